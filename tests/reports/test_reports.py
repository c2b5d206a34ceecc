"""PDF reports: request, permissions, bad parameters, failure and retry, stale renders."""

from __future__ import annotations

import re
import subprocess
import zlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.demo import GUARDRAILS
from orgs.models import AuditEvent
from reports import rendering, services
from reports.models import Report
from tests.builders import add_people, release, submit


@pytest.fixture
def alpha_results(world, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    release(cycle)
    return cycle


def pdf_objects(content: bytes) -> bytes:
    """The PDF's objects, with compressed object streams inflated."""
    parts = [content]
    for match in re.finditer(rb"stream\r?\n", content):
        end = content.find(b"endstream", match.end())
        try:
            parts.append(zlib.decompress(content[match.end() : end]))
        except zlib.error:
            continue
    return b"".join(parts)


def post_request(client, cycle, team="alpha"):
    data = {"cycle": cycle.slug} | ({"team": team} if team else {})
    return client.post(reverse("report_request", args=["acme"]), data)


def test_request_renders_in_the_task_and_download_is_audited(
    world, alpha_results, login, django_capture_on_commit_callbacks
):
    client = login(world.max)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_request(client, alpha_results)
    report = Report.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/reports/{report.pk}/")
    assert report.status == Report.Status.READY and report.pages >= 4
    download = client.get(reverse("report_download", args=["acme", report.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert download["Content-Disposition"].startswith("attachment")
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REPORT_DOWNLOADED, actor=world.max
        ).count()
        == 1
    )


def test_status_partial_polls_until_finished(world, alpha_results, login):
    report = Report.objects.create(
        organization=world.acme, cycle=alpha_results, team=world.alpha, kind="team"
    )
    url = reverse("report_detail", args=["acme", report.pk])
    partial = login(world.max).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in partial and "Waiting for a worker" in partial
    report.status = Report.Status.FAILED
    report.error = "The report could not be rendered: boom"
    report.save()
    partial = login(world.max).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in partial and "boom" in partial and "Try again" in partial


def test_team_report_permissions(world, alpha_results, login):
    report = Report.objects.create(
        organization=world.acme, cycle=alpha_results, team=world.alpha, kind="team"
    )
    url = reverse("report_detail", args=["acme", report.pk])
    for user in (world.alice, world.leo, world.tess, world.max):
        assert login(user).get(url).status_code == 200
    assert login(world.bob).get(url).status_code == 403
    assert login(world.charlie).get(url).status_code == 404
    assert (
        login(world.charlie).get(reverse("report_download", args=["acme", report.pk])).status_code
        == 404
    )


def test_leadership_report_is_for_leadership_only(world, alpha_results, login):
    assert post_request(login(world.max), alpha_results, team=None).status_code == 403
    report = Report.objects.create(
        organization=world.acme, cycle=alpha_results, kind="organization"
    )
    assert (
        login(world.tess).get(reverse("report_detail", args=["acme", report.pk])).status_code == 403
    )
    assert (
        login(world.leo).get(reverse("report_detail", args=["acme", report.pk])).status_code == 200
    )
    titles = login(world.max).get(reverse("report_list", args=["acme"])).content.decode()
    assert "Leadership report" not in titles


def test_bad_parameters_are_clear_4xx(world, alpha_results, login):
    client = login(world.tess)
    response = client.post(
        reverse("report_request", args=["acme"]), {"cycle": "nope", "team": "alpha"}
    )
    assert response.status_code == 400 and "Choose a cycle" in response.content.decode()
    assert post_request(client, alpha_results, team="no-such-team").status_code == 404
    assert post_request(login(world.max), alpha_results, team="beta").status_code == 403
    assert client.get(reverse("report_detail", args=["acme", 999999])).status_code == 404
    assert not Report.objects.exists()


def test_team_below_threshold_gets_no_report(world, alpha_results, login):
    response = post_request(login(world.bob), alpha_results, team="beta")
    assert response.status_code == 400 and "no released results" in response.content.decode()


def test_failed_render_shows_its_message_and_can_be_retried(
    world, alpha_results, login, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ValueError("the chart data was malformed")

    monkeypatch.setattr("reports.rendering.render_pdf", broken)
    client = login(world.tess)
    with django_capture_on_commit_callbacks(execute=True):
        post_request(client, alpha_results)
    report = Report.objects.get()
    assert report.status == Report.Status.FAILED
    assert "the chart data was malformed" in report.error
    page = client.get(reverse("report_detail", args=["acme", report.pk])).content.decode()
    assert "could not be made" in page and "the chart data was malformed" in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("report_retry", args=["acme", report.pk])).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.READY and report.attempts == 2


def test_retry_refuses_a_report_that_did_not_fail(world, alpha_results, login):
    report = Report.objects.create(
        organization=world.acme, cycle=alpha_results, team=world.alpha, kind="team"
    )
    client = login(world.tess)
    client.post(reverse("report_retry", args=["acme", report.pk]))
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED and report.attempts == 0


def test_rendering_twice_replaces_the_file(world, alpha_results):
    report = Report.objects.create(
        organization=world.acme, cycle=alpha_results, team=world.alpha, kind="team"
    )
    first = rendering.render_and_store(services.start_render(report.pk))
    path = first.file.path
    second = rendering.render_and_store(services.start_render(report.pk) or first)
    assert second.file.path == path and second.status == Report.Status.READY


def test_stale_render_is_retried_then_failed(
    world, alpha_results, django_capture_on_commit_callbacks, monkeypatch
):
    sent: list[int] = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    old = timezone.now() - timedelta(hours=1)
    report = Report.objects.create(
        organization=world.acme,
        cycle=alpha_results,
        team=world.alpha,
        kind="team",
        status="rendering",
        attempts=1,
    )
    Report.objects.filter(pk=report.pk).update(started_at=old)
    report.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        services.recover_stale([report])
    assert report.status == Report.Status.QUEUED and sent == [report.pk]
    Report.objects.filter(pk=report.pk).update(
        status="rendering", started_at=old, attempts=services.MAX_ATTEMPTS
    )
    report.refresh_from_db()
    services.recover_stale([report])
    assert report.status == Report.Status.FAILED and "several attempts" in report.error


def _stalled(world, cycle, minutes: int, attempts: int = 1) -> Report:
    report = Report.objects.create(
        organization=world.acme,
        cycle=cycle,
        team=world.alpha,
        kind="team",
        status="rendering",
        attempts=attempts,
    )
    then = timezone.now() - timedelta(minutes=minutes)
    Report.objects.filter(pk=report.pk).update(created_at=then, started_at=then)
    return report


def test_periodic_pass_requeues_stalled_renders_and_leaves_the_rest(
    world, alpha_results, django_capture_on_commit_callbacks, monkeypatch
):
    from reports import tasks

    sent: list[int] = []
    monkeypatch.setattr(services, "enqueue", sent.append)
    stalled = _stalled(world, alpha_results, minutes=60)
    exhausted = _stalled(world, alpha_results, minutes=60, attempts=services.MAX_ATTEMPTS)
    running = _stalled(world, alpha_results, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.recover_stale_reports_task() == 2
    statuses = dict(Report.objects.values_list("pk", "status"))
    assert statuses[stalled.pk] == Report.Status.QUEUED and sent == [stalled.pk]
    assert statuses[exhausted.pk] == Report.Status.FAILED
    assert statuses[running.pk] == Report.Status.RENDERING


def test_report_pages_read_a_stalled_report_without_changing_it(world, alpha_results, login):
    report = _stalled(world, alpha_results, minutes=60)
    client = login(world.max)
    assert client.get(reverse("report_detail", args=["acme", report.pk])).status_code == 200
    assert client.get(reverse("report_list", args=["acme"])).status_code == 200
    report.refresh_from_db()
    assert report.status == Report.Status.RENDERING and report.attempts == 1


def test_beat_schedule_runs_the_stale_report_pass():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "reports.tasks.recover_stale_reports_task" in tasks
    app.loader.import_default_modules()
    assert "reports.tasks.recover_stale_reports_task" in app.tasks


def test_render_report_command_writes_the_same_pdf(world, alpha_results, tmp_path):
    from django.core.management import CommandError, call_command

    out = tmp_path / "alpha.pdf"
    call_command("render_report", "--org", "acme", "--team", "alpha", "--out", str(out))
    content = out.read_bytes()
    assert content.startswith(b"%PDF")
    assert b"/Lang (en)" in pdf_objects(content)  # the document's language, for screen readers
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "Title:           Alpha · 2026 Q4 · Recouple team report" in info
    assert "Tagged:          yes" in info  # PDF/UA: a tagged, accessible PDF
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Leadership commitment" in text  # selectable text, not pictures of text
    first_page = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True
    ).stdout
    assert "Where your team stands" in first_page  # the cover comes first, not a blank page
    with pytest.raises(CommandError, match="No team"):
        call_command("render_report", "--org", "acme", "--team", "zeta", "--out", str(out))
    with pytest.raises(CommandError, match="No organisation"):
        call_command("render_report", "--org", "nope", "--out", str(out))
