"""Roster import against the database: the service, the command and the admin pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.models import Response
from orgs import roster_services
from orgs.models import AuditEvent, Membership, Organization, RosterUpload, Team, User
from orgs.tasks import apply_roster_upload_task
from tests.orgs.conftest import events

ROOT = Path(__file__).resolve().parents[2]
HEADER = "email,name,team,role\n"


def roster(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode()


# acme as the world fixture makes it, written as a roster (alice the admin is not a respondent).
ACME = (
    "alice@example.com,Alice,,org admin",
    "leo@example.com,Leo,,leader",
    "tess@example.com,Tess,Alpha,team lead",
    "max@example.com,Max,Alpha,member",
    "bob@example.com,Bob,Beta,member",
)


def test_import_creates_people_teams_and_one_audit_event(world):
    plan = roster_services.apply_roster(
        world.alice,
        world.acme,
        roster(
            *ACME, "new@example.com,New Person,Gamma,member", "eve@example.com,Eve,gamma,team lead"
        ),
        filename="people.csv",
    )
    assert plan.counts() == {"created": 2, "updated": 0, "unchanged": 5, "deactivated": 0}
    gamma = Team.objects.get(organization=world.acme, name="Gamma")
    new = Membership.objects.get(organization=world.acme, user__email="new@example.com")
    assert (new.team, new.role, new.user.name) == (gamma, "member", "New Person")
    assert not new.user.has_usable_password()  # signs in by personal link or password reset
    [event] = events(world.acme, AuditEvent.Action.ROSTER_IMPORTED)
    assert event.actor == world.alice
    assert event.data["created"] == 2 and event.data["teams_created"] == ["Gamma"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(world):
    data = roster(*ACME, "new@example.com,New,Gamma,member")
    roster_services.apply_roster(world.alice, world.acme, data, deactivate_missing=True)
    before = list(Membership.objects.order_by("pk").values())
    second = roster_services.apply_roster(world.alice, world.acme, data, deactivate_missing=True)
    assert second.counts() == {"created": 0, "updated": 0, "unchanged": 6, "deactivated": 0}
    assert list(Membership.objects.order_by("pk").values()) == before
    assert len(events(world.acme, AuditEvent.Action.ROSTER_IMPORTED)) == 1


def test_existing_account_of_another_organisation_joins_without_a_new_account(world):
    plan = roster_services.apply_roster(
        world.alice, world.acme, roster(*ACME, "charlie@example.com,C,Beta,member")
    )
    assert plan.counts()["created"] == 1
    assert User.objects.filter(email="charlie@example.com").count() == 1
    assert world.charlie.memberships.count() == 2


def test_moves_and_leavers_keep_their_submitted_answers(world, cycle):
    Response.objects.create(cycle=cycle, team=world.beta, respondent=world.bob, status="submitted")
    lines = [line for line in ACME if not line.startswith("bob")]
    lines = [
        line.replace("max@example.com,Max,Alpha", "max@example.com,Max,Beta") for line in lines
    ]
    plan = roster_services.apply_roster(
        world.alice, world.acme, roster(*lines), deactivate_missing=True
    )
    assert plan.counts() == {"created": 0, "updated": 1, "unchanged": 3, "deactivated": 1}
    bob = Membership.objects.get(user=world.bob)
    assert bob.deactivated_at is not None  # not deleted
    assert Response.objects.filter(respondent=world.bob, status="submitted").count() == 1
    assert Membership.objects.get(user=world.max).team == world.beta
    # Back in the file: active again.
    again = roster_services.apply_roster(world.alice, world.acme, roster(*ACME))
    assert [c.fields for c in again.updated if c.row.email == "bob@example.com"] == [
        ("reactivated",)
    ]
    assert Membership.objects.get(user=world.bob).deactivated_at is None


def test_a_person_who_left_is_an_outsider(world, login):
    roster_services.apply_roster(
        world.alice,
        world.acme,
        roster(*[x for x in ACME if "bob" not in x]),
        deactivate_missing=True,
    )
    client = login(world.bob)
    assert client.get(reverse("cycles", args=["acme"])).status_code == 404
    assert "/o/acme/" not in client.get(reverse("home"))["Location"]


def test_file_with_one_bad_line_changes_nothing(world):
    data = roster(*ACME, "new@example.com,New,Gamma,member", "bad@example.com,Bad,Alpha,boss")
    plan = roster_services.apply_roster(world.alice, world.acme, data, deactivate_missing=True)
    assert [(e.line, "boss" in e.message) for e in plan.errors] == [(8, True)]
    assert not User.objects.filter(email="new@example.com").exists()
    assert not Team.objects.filter(organization=world.acme, name="Gamma").exists()
    assert not events(world.acme, AuditEvent.Action.ROSTER_IMPORTED)


def test_declared_segments_are_kept_on_the_membership(world):
    header = "email,name,team,role,department,desk\n"
    data = roster("max@example.com,Max,Alpha,member,Payments,12", header=header)
    roster_services.apply_roster(world.alice, world.acme, data, segments=("department",))
    assert Membership.objects.get(user=world.max).segments == {"department": "Payments"}


def test_stale_preview_is_refused(world):
    data = roster(*ACME, "new@example.com,New,Gamma,member")
    fingerprint = roster_services.plan_roster_import(
        world.acme, data, segments=(), deactivate_missing=False
    ).fingerprint()
    roster_services.apply_roster(
        world.alice, world.acme, roster(*ACME, "new@example.com,New,Alpha,member")
    )
    with pytest.raises(roster_services.StaleRosterPlan):
        roster_services.apply_roster(world.alice, world.acme, data, expected=fingerprint)


def test_import_writes_in_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    small = roster(*(f"p{i}@example.com,P{i},T{i % 3},member" for i in range(10)))
    large = roster(*(f"q{i}@example.com,Q{i},U{i % 30},member" for i in range(300)))
    with django_assert_max_num_queries(20):
        roster_services.apply_roster(world.alice, world.acme, small)
    with django_assert_max_num_queries(20):
        roster_services.apply_roster(world.alice, world.acme, large)


# --- Command --------------------------------------------------------------------------------


def run_command(*args: str) -> dict:
    out = StringIO()
    call_command("import_roster", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_command_json_contract_and_dry_run(world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(roster(*ACME, "new@example.com,New,Gamma,member"))
    dry = run_command("acme", str(path), "--dry-run")
    assert dry == {"created": 1, "updated": 0, "unchanged": 5, "deactivated": 0, "errors": []}
    assert not User.objects.filter(email="new@example.com").exists()
    assert run_command("acme", str(path)) == dry
    assert run_command("acme", str(path)) == {
        "created": 0,
        "updated": 0,
        "unchanged": 6,
        "deactivated": 0,
        "errors": [],
    }


def test_command_deactivate_missing(world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(roster(*ACME[:4]))
    assert run_command("acme", str(path), "--deactivate-missing")["deactivated"] == 1


@pytest.mark.django_db(transaction=True)
def test_command_in_a_subprocess_prints_errors_with_lines_and_exits_1(tmp_path):
    Organization.objects.create(name="Sub", slug="sub")
    path = tmp_path / "people.csv"
    path.write_bytes(roster("a@example.com,A,Alpha,member", "b@example.com,B,Alpha,chief"))
    settings_db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": (
            f"postgres://{settings_db['USER']}@{settings_db['HOST']}:{settings_db['PORT']}/"
            f"{settings_db['NAME']}"
        ),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "import_roster", "sub", str(path), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    payload = json.loads(result.stdout)
    assert set(payload) == {"created", "updated", "unchanged", "deactivated", "errors"}
    assert payload["created"] == 0
    assert payload["errors"] == [
        {"line": 3, "message": "Unknown role “chief”: use member, team lead, leader or org admin."}
    ]
    assert not User.objects.filter(email="a@example.com").exists()


def test_command_unknown_organisation_is_a_clear_error(world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(roster(*ACME))
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No organisation"):
        call_command("import_roster", "nope", str(path))


# --- Admin pages ----------------------------------------------------------------------------


def upload(client, data: bytes, **fields):
    return client.post(
        reverse("admin_roster", args=["acme"]),
        {"file": SimpleUploadedFile("people.csv", data, content_type="text/csv"), **fields},
    )


def test_upload_preview_apply_flow(world, login, django_capture_on_commit_callbacks):
    client = login(world.alice)
    assert client.get(reverse("admin_roster", args=["acme"])).status_code == 200
    data = roster(*ACME[:4], "new@example.com,New,Gamma,member")
    response = upload(client, data, deactivate_missing="on")
    stored = RosterUpload.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin_roster_preview", args=["acme", stored.pk])
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert preview.context["plan"].counts() == {
        "created": 1,
        "updated": 0,
        "unchanged": 4,
        "deactivated": 1,
    }
    assert b"Gamma" in preview.content and b"Apply roster" in preview.content
    assert not User.objects.filter(email="new@example.com").exists()  # preview changes nothing
    leave = client.get(response["Location"] + "?list=deactivated")
    assert b"bob@example.com" in leave.content
    apply_url = reverse("admin_roster_apply", args=["acme", stored.pk])
    progress_url = reverse("admin_roster_progress", args=["acme", stored.pk])
    unconfirmed = client.post(apply_url, {"plan": preview.context["plan"].fingerprint()})
    assert unconfirmed.status_code == 400 and b"Tick the box" in unconfirmed.content
    assert not User.objects.filter(email="new@example.com").exists()
    fingerprint = preview.context["plan"].fingerprint()
    with django_capture_on_commit_callbacks() as queued:
        done = client.post(apply_url, {"plan": fingerprint, "confirm": "on"})
    # The request only queues the apply: nothing has changed yet, the page shows progress.
    assert done.status_code == 302 and done["Location"] == progress_url
    stored.refresh_from_db()
    assert stored.status == RosterUpload.Status.QUEUED and stored.applied_by == world.alice
    assert stored.planned["created"] == 1 and stored.planned["deactivated"] == 1
    assert not User.objects.filter(email="new@example.com").exists()
    waiting = client.get(progress_url)
    assert (
        b"Waiting for a worker" in waiting.content and b'hx-trigger="every 1s"' in waiting.content
    )
    assert client.get(response["Location"])["Location"] == progress_url  # no second preview
    assert len(queued) == 1
    queued[0]()  # the commit sends the task; tests run it eagerly
    stored.refresh_from_db()
    assert stored.status == RosterUpload.Status.APPLIED and stored.content == b""
    assert stored.result["created"] == 1 and stored.result["deactivated"] == 1
    assert Membership.objects.get(user=world.bob).deactivated_at is not None
    assert User.objects.filter(email="new@example.com").exists()
    summary = client.get(progress_url, HTTP_HX_REQUEST="true")
    assert summary.status_code == 200 and b"hx-trigger" not in summary.content  # polling stops
    text = " ".join(summary.content.decode().split())
    assert "Applied" in text and "Teams created" in text and "New teams: Gamma" in text
    assert events(world.acme, "roster.imported")[0].actor == world.alice
    # The same upload cannot be applied twice: a second post lands on the summary.
    again = client.post(apply_url, {"plan": fingerprint, "confirm": "on"})
    assert again.status_code == 302 and again["Location"] == progress_url
    assert len(events(world.acme, "roster.imported")) == 1


def test_double_click_on_apply_queues_one_task(world, login, django_capture_on_commit_callbacks):
    client = login(world.alice)
    upload(client, roster(*ACME, "new@example.com,New,Alpha,member"))
    stored = RosterUpload.objects.get()
    fingerprint = roster_services.plan_roster_upload(stored).fingerprint()
    apply_url = reverse("admin_roster_apply", args=["acme", stored.pk])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(apply_url, {"plan": fingerprint, "confirm": "on"})
        client.post(apply_url, {"plan": fingerprint, "confirm": "on"})
    assert len(queued) == 1


def test_apply_of_a_preview_that_went_stale_fails_with_a_way_back(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.alice)
    upload(client, roster(*ACME, "new@example.com,New,Alpha,member"))
    stored = RosterUpload.objects.get()
    fingerprint = roster_services.plan_roster_upload(stored).fingerprint()
    with django_capture_on_commit_callbacks() as queued:
        client.post(
            reverse("admin_roster_apply", args=["acme", stored.pk]),
            {"plan": fingerprint, "confirm": "on"},
        )
    # Someone else adds the same person before the worker gets to the apply.
    roster_services.apply_roster(world.alice, world.acme, roster("new@example.com,New,Beta,member"))
    queued[0]()
    stored.refresh_from_db()
    assert stored.status == RosterUpload.Status.FAILED and "changed since" in stored.error
    assert Membership.objects.get(user__email="new@example.com").team == world.beta  # untouched
    progress = client.get(reverse("admin_roster_progress", args=["acme", stored.pk]))
    assert b"was not applied" in progress.content and b"Check the preview again" in progress.content
    back = client.post(reverse("admin_roster_reopen", args=["acme", stored.pk]))
    assert back["Location"] == reverse("admin_roster_preview", args=["acme", stored.pk])
    fresh = client.get(back["Location"])
    assert fresh.status_code == 200 and fresh.context["plan"].counts()["updated"] == 1


def test_a_file_that_went_bad_after_its_preview_is_refused_whole(world):
    stored = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="r.csv",
        content=roster(*ACME, "new@example.com,New,Alpha,member"),
    )
    fingerprint = roster_services.plan_roster_upload(stored).fingerprint()
    roster_services.request_roster_apply(world.alice, stored, expected=fingerprint)
    world.alpha.archived_at = timezone.now()
    world.alpha.save(update_fields=["archived_at"])
    assert apply_roster_upload_task.delay(stored.pk).get() == "refused"
    stored.refresh_from_db()
    assert stored.status == RosterUpload.Status.FAILED and "archived" in stored.error
    assert not User.objects.filter(email="new@example.com").exists()


def test_redelivered_apply_task_changes_nothing_the_second_time(world):
    stored = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="r.csv",
        content=roster(*ACME, "new@example.com,New,Alpha,member"),
    )
    fingerprint = roster_services.plan_roster_upload(stored).fingerprint()
    roster_services.request_roster_apply(world.alice, stored, expected=fingerprint)
    assert apply_roster_upload_task.delay(stored.pk).get() == "applied"
    assert apply_roster_upload_task.delay(stored.pk).get() == "skipped"
    assert len(events(world.acme, "roster.imported")) == 1


def test_stale_apply_is_queued_again_then_failed(world, settings):
    stored = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="r.csv",
        content=roster(*ACME),
        status=RosterUpload.Status.APPLYING,
        attempts=1,
        apply_requested_at=timezone.now() - timedelta(hours=1),
        started_at=timezone.now() - timedelta(hours=1),
    )
    roster_services.recover_stale_roster_apply(stored)
    assert stored.status == RosterUpload.Status.QUEUED and not stored.is_stale()
    RosterUpload.objects.filter(pk=stored.pk).update(
        status=RosterUpload.Status.APPLYING,
        attempts=3,
        started_at=timezone.now() - timedelta(hours=1),
    )
    stored.refresh_from_db()
    roster_services.recover_stale_roster_apply(stored)
    assert stored.status == RosterUpload.Status.FAILED and "several attempts" in stored.error


def test_preview_toggle_people_leave(world, login):
    client = login(world.alice)
    upload(client, roster(*ACME[:4]))
    stored = RosterUpload.objects.get()
    url = reverse("admin_roster_preview", args=["acme", stored.pk])
    assert client.get(url).context["plan"].counts()["deactivated"] == 0
    client.post(url, {"deactivate_missing": "on"})
    assert client.get(url).context["plan"].counts()["deactivated"] == 1


def test_preview_lists_every_bad_line_and_offers_no_apply(world, login):
    client = login(world.alice)
    data = roster(
        "a@example.com,A,Alpha,chief", "b@example.com,B,,member", "c@example.com,C,Alpha,member"
    )
    upload(client, data)
    stored = RosterUpload.objects.get()
    preview = client.get(reverse("admin_roster_preview", args=["acme", stored.pk]))
    assert [e.line for e in preview.context["plan"].errors] == [2, 3]
    assert b"Unknown role" in preview.content and b"needs a team" in preview.content
    assert b"Apply roster" not in preview.content
    forced = client.post(
        reverse("admin_roster_apply", args=["acme", stored.pk]),
        {"plan": preview.context["plan"].fingerprint(), "confirm": "on"},
    )
    assert forced.status_code == 400
    assert not User.objects.filter(email="c@example.com").exists()


def test_upload_over_the_size_limit_is_refused(world, login):
    response = upload(login(world.alice), HEADER.encode() + b"x" * (5 * 1024 * 1024 + 1))
    assert response.status_code == 400 and b"the limit is 5 MB" in response.content
    assert not RosterUpload.objects.exists()


def test_upload_with_bad_segment_declaration_keeps_the_page(world, login):
    response = upload(login(world.alice), roster(*ACME), segments="team")
    assert response.status_code == 400 and "roster column" in response.content.decode()


def test_non_utf8_upload_shows_the_reason_in_the_preview(world, login):
    client = login(world.alice)
    upload(client, "email,name,team,role\nz@example.com,Zoë,Alpha,member\n".encode("latin-1"))
    preview = client.get(
        reverse("admin_roster_preview", args=["acme", RosterUpload.objects.get().pk])
    )
    assert "not UTF-8" in preview.content.decode()


@pytest.mark.parametrize("actor", ["leo", "tess", "max"])
def test_roster_pages_are_for_org_admins(world, login, actor):
    stored = RosterUpload.objects.create(
        organization=world.acme, uploaded_by=world.alice, filename="r.csv", content=roster(*ACME)
    )
    client = login(getattr(world, actor))
    assert client.get(reverse("admin_roster", args=["acme"])).status_code == 403
    assert client.get(reverse("admin_roster_preview", args=["acme", stored.pk])).status_code == 403
    assert client.post(reverse("admin_roster_apply", args=["acme", stored.pk])).status_code == 403
    assert client.get(reverse("admin_roster_progress", args=["acme", stored.pk])).status_code == 403
    assert client.post(reverse("admin_roster_reopen", args=["acme", stored.pk])).status_code == 403


def test_roster_pages_are_404_for_outsiders_and_other_organisations_uploads(world, login):
    stored = RosterUpload.objects.create(
        organization=world.acme, uploaded_by=world.alice, filename="r.csv", content=roster(*ACME)
    )
    client = login(world.charlie)
    assert client.get(reverse("admin_roster", args=["acme"])).status_code == 404
    assert client.get(reverse("admin_roster_preview", args=["acme", stored.pk])).status_code == 404
    # charlie's own organisation does not reach acme's upload either.
    assert client.get(reverse("admin_roster_preview", args=["other", stored.pk])).status_code == 404
    assert (
        client.get(reverse("admin_roster_progress", args=["other", stored.pk])).status_code == 404
    )


def test_roster_pages_anonymous_and_wrong_method(world, login):
    client = login(None)
    response = client.get(reverse("admin_roster", args=["acme"]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    stored = RosterUpload.objects.create(
        organization=world.acme, uploaded_by=world.alice, filename="r.csv", content=roster(*ACME)
    )
    client = login(world.alice)
    assert client.get(reverse("admin_roster_apply", args=["acme", stored.pk])).status_code == 405
    progress = reverse("admin_roster_progress", args=["acme", stored.pk])
    assert client.post(progress).status_code == 405
    assert client.get(reverse("admin_roster_reopen", args=["acme", stored.pk])).status_code == 405
    assert Client().get(progress).status_code == 302  # anonymous: to sign-in
    assert client.put(reverse("admin_roster", args=["acme"])).status_code == 405
