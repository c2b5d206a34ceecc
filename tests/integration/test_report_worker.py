"""PDF reports through real Redis and a real Celery worker process."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time

import pytest
from django.urls import reverse

from reports.models import Report
from tests.builders import add_people, release, submit
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        return subprocess.run(
            ["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True
        ).stdout


@pytest.fixture
def alpha_results(world, cycle):
    from assessments.demo import GUARDRAILS

    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    release(cycle)
    return cycle


def request_team_report(client, cycle) -> Report:
    response = client.post(
        reverse("report_request", args=["acme"]), {"cycle": cycle.slug, "team": "alpha"}
    )
    assert response.status_code == 302
    return Report.objects.get()


def test_team_report_is_rendered_by_the_worker_and_downloaded(
    world, alpha_results, start_worker, login
):
    start_worker()
    client = login(world.tess)
    report = request_team_report(client, alpha_results)
    assert report.status == Report.Status.QUEUED  # the request did not wait for the render
    wait_for(
        lambda: Report.objects.get(pk=report.pk).status == Report.Status.READY, what="report ready"
    )
    report.refresh_from_db()
    assert report.pages and report.pages >= 4 and report.size
    download = client.get(reverse("report_download", args=["acme", report.pk]))
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Alpha" in text
    for construct in (
        "Leadership commitment",
        "Diffused responsibility",
        "Uncertainty about responsible AI",
    ):
        assert construct in " ".join(text.split())
    view = login(world.tess).get(reverse("team_dashboard", args=["acme", "alpha"])).context["view"]
    flat = " ".join(text.split())
    for rec in view["recs_team"][:3] + view["recs_leadership"][:3]:
        assert " ".join(rec["title"].split()) in flat


def test_killing_the_worker_mid_render_still_ends_ready_exactly_once(
    world, alpha_results, start_worker, login
):
    worker = start_worker(slow=4)
    client = login(world.tess)
    report = request_team_report(client, alpha_results)
    wait_for(
        lambda: Report.objects.get(pk=report.pk).status == Report.Status.RENDERING,
        what="render start",
    )
    # The pool process running the task dies (as under the OOM killer); the parent survives.
    children = wait_for(
        lambda: subprocess.run(
            ["pgrep", "-P", str(worker.pid)], capture_output=True, text=True
        ).stdout.split(),
        what="pool process",
    )
    for pid in children:
        os.kill(int(pid), signal.SIGKILL)
    time.sleep(0.5)
    assert Report.objects.get(pk=report.pk).status != Report.Status.READY
    wait_for(
        lambda: Report.objects.get(pk=report.pk).status == Report.Status.READY,
        timeout=120,
        what="ready after kill",
    )
    report.refresh_from_db()
    assert report.attempts == 2  # the render ran again after the kill, and only once more
    assert report.file.name.endswith(f"report-{report.pk}.pdf")
    assert os.listdir(os.path.dirname(report.file.path)) == [os.path.basename(report.file.name)]


def test_the_worker_releases_new_submissions_in_batches(world, cycle, start_worker, login):
    """The periodic pass, run by a real worker: three submissions make a release; one more
    waits for enough others."""
    from assessments.demo import GUARDRAILS
    from reports.models import Release
    from reports.tasks import refresh_releases_task

    start_worker()
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    refresh_releases_task.delay()
    wait_for(lambda: Release.objects.filter(cycle=cycle).exists(), what="first release")
    first = Release.objects.get(cycle=cycle)
    assert first.n_included == 3
    page = login(world.leo).get(reverse("org_dashboard", args=["acme"])).content.decode()
    assert "3 responses" in page and "Alpha (n=3)" in page
    submit(cycle, world.alpha, add_people(world.acme, world.alpha, 1, start=7)[0], GUARDRAILS)
    refresh_releases_task.delay()
    wait_for(
        lambda: Release.objects.get(pk=first.pk).n_held_back == 1, what="a held-back submission"
    )
    assert Release.objects.filter(cycle=cycle).count() == 1
