"""Outages: the database or the broker going away gives clear answers and loses nothing."""

from __future__ import annotations

from django.db import OperationalError
from django.urls import reverse

from reports import services
from reports.models import Report


def test_database_outage_gives_a_clear_503_page_and_json_for_autosave(
    world, cycle, login, monkeypatch
):
    from assessments.views import questionnaire

    def down(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    client = login(world.max)
    monkeypatch.setattr(questionnaire.services, "response_for", down)
    page = client.get(reverse("response_start", args=["acme", cycle.slug, "alpha"]))
    assert page.status_code == 503
    assert "briefly unavailable" in page.content.decode()
    save = client.post(
        reverse("response_answer", args=["acme", cycle.slug, "alpha"]),
        {"item": "ctx_role", "value": "design", "base_version": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert save.status_code == 503 and save.json()["status"] == "unavailable"
    assert save["Retry-After"]


def test_broker_outage_leaves_the_report_queued_for_recovery(world, cycle, monkeypatch):
    from kombu.exceptions import OperationalError as BrokerDown

    from reports import tasks

    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_report_task, "delay", refuse)
    report = Report.objects.create(
        organization=world.acme, cycle=cycle, team=world.alpha, kind="team"
    )
    services.enqueue(report.pk)  # must not raise: the request that asked already answered
    report.refresh_from_db()
    assert report.status == Report.Status.QUEUED
