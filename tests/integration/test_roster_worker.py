"""The web roster apply through real Redis and a real Celery worker process."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from orgs.models import AuditEvent, Membership, RosterUpload
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PEOPLE = 2000


def big_roster() -> bytes:
    lines = ["email,name,team,role", "alice@example.com,Alice,,org admin"]
    for i in range(PEOPLE):
        role = "team lead" if i % 40 == 0 else "member"
        lines.append(f"person{i:04d}@example.com,Person {i},Team {i % 40:02d},{role}")
    return ("\n".join(lines) + "\n").encode()


def test_web_apply_runs_in_the_worker_and_shows_its_summary(world, start_worker, login):
    worker = start_worker()
    client = login(world.alice)
    posted = client.post(
        reverse("admin_roster", args=["acme"]),
        {"file": SimpleUploadedFile("people.csv", big_roster(), content_type="text/csv")},
    )
    stored = RosterUpload.objects.get()
    preview = client.get(posted["Location"])
    plan = preview.context["plan"]
    assert plan.counts()["created"] == PEOPLE and not plan.errors
    done = client.post(
        reverse("admin_roster_apply", args=["acme", stored.pk]),
        {"plan": plan.fingerprint(), "confirm": "on"},
    )
    progress = reverse("admin_roster_progress", args=["acme", stored.pk])
    assert done["Location"] == progress
    wait_for(
        lambda: RosterUpload.objects.get(pk=stored.pk).status == RosterUpload.Status.APPLIED,
        what=f"roster applied (worker log: {worker.log_path})",
    )
    assert (
        Membership.objects.filter(organization=world.acme, user__email__startswith="person").count()
        == PEOPLE
    )
    assert world.acme.teams.count() == 2 + 40
    event = AuditEvent.objects.get(organization=world.acme, action="roster.imported")
    assert event.actor == world.alice and event.data["created"] == PEOPLE
    summary = client.get(progress, HTTP_HX_REQUEST="true")
    text = " ".join(summary.content.decode().split())
    assert "Applied" in text and "2,000" in text and "hx-trigger" not in text
