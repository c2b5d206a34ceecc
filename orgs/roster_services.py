"""Roster imports written: a file planned against the organisation's current state, applied
in one transaction and audited; and the web apply, queued to a Celery task, with its
progress on the upload row. The planning itself is pure, in `orgs/roster.py`."""

from __future__ import annotations

import logging

from celery import current_app
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from . import audit, roster
from .models import AuditEvent, Membership, Organization, RosterUpload, Team, User
from .services import announce_joiners, unique_slug

A = AuditEvent.Action
log = logging.getLogger(__name__)


class StaleRosterPlan(Exception):
    """The organisation changed between the preview and the apply."""


def current_roster(org: Organization) -> tuple[list[roster.CurrentMember], list[tuple[str, bool]]]:
    """The organisation's memberships and teams as the roster planner reads them."""
    members = [
        roster.CurrentMember(
            email=email.lower(),
            name=name,
            team=team or "",
            role=role,
            active=deactivated_at is None,
            segments=tuple(sorted((segments or {}).items())),
        )
        for email, name, team, role, deactivated_at, segments in Membership.objects.filter(
            organization=org
        ).values_list(
            "user__email", "user__name", "team__name", "role", "deactivated_at", "segments"
        )
    ]
    teams = [
        (name, archived is not None)
        for name, archived in org.teams.values_list("name", "archived_at")
    ]
    return members, teams


def plan_roster_import(
    org: Organization, data: bytes, *, segments: tuple[str, ...], deactivate_missing: bool
) -> roster.RosterPlan:
    """What importing `data` into `org` would do now (a read; nothing changes)."""
    members, teams = current_roster(org)
    return roster.plan_roster(
        roster.parse_roster(data, segments), members, teams, deactivate_missing=deactivate_missing
    )


@transaction.atomic
def apply_roster(
    actor: User | None,
    org: Organization,
    data: bytes,
    *,
    segments: tuple[str, ...] = (),
    deactivate_missing: bool = False,
    filename: str = "",
    expected: str | None = None,
) -> roster.RosterPlan:
    """Import a roster file in one transaction, audited; return the plan that was applied.

    A plan with errors changes nothing (the caller shows them). With `expected` (the
    fingerprint of the plan the admin previewed), a plan that differs raises StaleRosterPlan.
    Nobody is deleted: people who leave are deactivated and keep their answers.
    """
    # One import at a time per organisation, planned against the state it will change.
    Organization.objects.select_for_update().get(pk=org.pk)
    plan = plan_roster_import(org, data, segments=segments, deactivate_missing=deactivate_missing)
    if plan.errors:
        return plan
    if expected is not None and plan.fingerprint() != expected:
        raise StaleRosterPlan("The organisation changed since the preview.")
    if not plan.changes_anything():
        return plan
    _write_roster_plan(org, plan)
    audit.record(
        org,
        actor,
        A.ROSTER_IMPORTED,
        org,
        filename=filename[:200],
        deactivate_missing=deactivate_missing,
        teams_created=list(plan.teams_to_create[:50]),
        **plan.counts(),
    )
    announce_joiners(org)
    return plan


def _write_roster_plan(org: Organization, plan: roster.RosterPlan) -> None:
    """Bulk writes, a fixed number of queries whatever the roster's size."""
    batch = 2000
    taken = set(org.teams.values_list("slug", flat=True))
    new_teams = []
    for name in plan.teams_to_create:
        team = Team(organization=org, name=name, slug=unique_slug(name, taken, "team"))
        taken.add(team.slug)
        new_teams.append(team)
    Team.objects.bulk_create(new_teams, batch_size=batch)
    team_ids = dict(org.teams.values_list("name", "pk"))

    emails = [r.email for r in plan.created]
    users = dict(User.objects.filter(email__in=emails).values_list("email", "pk"))
    fresh = [
        User(email=r.email, name=r.name, password=make_password(None))
        for r in plan.created
        if r.email not in users
    ]
    User.objects.bulk_create(fresh, batch_size=batch)
    users |= {u.email: u.pk for u in fresh}
    Membership.objects.bulk_create(
        [
            Membership(
                user_id=users[r.email],
                organization=org,
                role=r.role,
                team_id=team_ids[r.team] if r.team else None,
                segments=dict(r.segments),
            )
            for r in plan.created
        ],
        batch_size=batch,
    )

    if plan.updated:
        existing = {
            email.lower(): (pk, user_id, segments)
            for email, pk, user_id, segments in Membership.objects.filter(
                organization=org, user__email__in=[c.row.email for c in plan.updated]
            ).values_list("user__email", "pk", "user_id", "segments")
        }
        memberships, renamed = [], []
        for change in plan.updated:
            pk, user_id, segments = existing[change.row.email]
            if "segments" in change.fields:
                segments = dict(change.row.segments)
            memberships.append(
                Membership(
                    pk=pk,
                    role=change.row.role,
                    team_id=team_ids[change.row.team] if change.row.team else None,
                    segments=segments,
                    deactivated_at=None,
                )
            )
            if "name" in change.fields:
                renamed.append(User(pk=user_id, name=change.row.name))
        Membership.objects.bulk_update(
            memberships, ["role", "team", "segments", "deactivated_at"], batch_size=batch
        )
        User.objects.bulk_update(renamed, ["name"], batch_size=batch)

    if plan.deactivated:
        Membership.objects.filter(
            organization=org, user__email__in=[m.email for m in plan.deactivated]
        ).update(deactivated_at=timezone.now())


def store_roster_upload(
    actor: User,
    org: Organization,
    *,
    filename: str,
    content: bytes,
    segments: tuple[str, ...],
    deactivate_missing: bool,
) -> RosterUpload:
    """Keep an uploaded file for its preview and apply; old uploads are dropped."""
    RosterUpload.objects.filter(
        organization=org, created_at__lt=timezone.now() - RosterUpload.KEEP_FOR
    ).exclude(status__in=[RosterUpload.Status.QUEUED, RosterUpload.Status.APPLYING]).delete()
    return RosterUpload.objects.create(
        organization=org,
        uploaded_by=actor,
        filename=filename[:200],
        content=content,
        segment_columns=list(segments),
        deactivate_missing=deactivate_missing,
    )


def plan_roster_upload(upload: RosterUpload) -> roster.RosterPlan:
    return plan_roster_import(
        upload.organization,
        bytes(upload.content),
        segments=tuple(upload.segment_columns),
        deactivate_missing=upload.deactivate_missing,
    )


# --- Roster apply in a Celery task ------------------------------------------------------------
# The web apply is queued, not run in the request: a large roster takes seconds to write.
# The upload row carries the progress (preview → queued → applying → applied | failed), the
# way a Report row does; the task is queued by name so this module does not import it.

ROSTER_APPLY_TASK = "orgs.tasks.apply_roster_upload_task"
ROSTER_MAX_ATTEMPTS = 3


def _plan_summary(plan: roster.RosterPlan) -> dict[str, object]:
    return {
        **plan.counts(),
        "moved": len(plan.moved),
        "teams_created": len(plan.teams_to_create),
        "team_names": list(plan.teams_to_create[:20]),
    }


def request_roster_apply(actor: User, upload: RosterUpload, *, expected: str) -> roster.RosterPlan:
    """Queue the apply of a previewed upload once the request commits; return the plan.

    A plan with errors is returned unqueued (the caller shows them); one that differs from
    `expected`, the plan the admin saw, raises StaleRosterPlan. An upload that is no longer
    a preview (queued twice by a double click, say) is left as it is.
    """
    with transaction.atomic():
        upload = RosterUpload.objects.select_for_update().get(pk=upload.pk)
        plan = plan_roster_upload(upload)
        if not upload.is_previewable() or plan.errors:
            return plan
        if plan.fingerprint() != expected:
            raise StaleRosterPlan("The organisation changed since the preview.")
        upload.status = RosterUpload.Status.QUEUED
        upload.expected_plan = expected
        upload.planned = _plan_summary(plan)
        upload.applied_by = actor
        upload.apply_requested_at = timezone.now()
        upload.started_at = None
        upload.error = ""
        upload.result = {}
        upload.attempts = 0
        upload.save(
            update_fields=[
                "status",
                "expected_plan",
                "planned",
                "applied_by",
                "apply_requested_at",
                "started_at",
                "error",
                "result",
                "attempts",
            ]
        )
        transaction.on_commit(lambda: enqueue_roster_apply(upload.pk))
    return plan


def enqueue_roster_apply(upload_id: int) -> None:
    """Send the apply to the broker. If the broker is down the upload stays queued, and
    `recover_stale_roster_apply` sends it again once it has waited too long."""
    try:
        current_app.tasks[ROSTER_APPLY_TASK].delay(upload_id)
    except OperationalError:
        log.warning("broker unavailable; roster upload %s stays queued", upload_id)


def start_roster_apply(upload_id: int) -> RosterUpload | None:
    """Claim a queued upload for its apply; None when there is nothing to do (a redelivery
    of an apply that finished, or an upload that is gone)."""
    with transaction.atomic():
        upload = RosterUpload.objects.select_for_update().filter(pk=upload_id).first()
        if upload is None or upload.status not in {
            RosterUpload.Status.QUEUED,
            RosterUpload.Status.APPLYING,  # its worker died mid-apply: the apply rolled back
        }:
            return None
        upload.status = RosterUpload.Status.APPLYING
        upload.started_at = timezone.now()
        upload.attempts += 1
        upload.save(update_fields=["status", "started_at", "attempts"])
    return upload


@transaction.atomic
def apply_roster_upload(upload_id: int) -> roster.RosterPlan:
    """Apply a claimed upload in one transaction, with the import's audit event; the upload
    is marked applied (with its result summary) in the same transaction, and its file dropped.

    Raises StaleRosterPlan when the plan is no longer the one the admin confirmed, and
    RosterApplyRefused when lines have become bad since the preview (a team archived, say).
    """
    upload = (
        RosterUpload.objects.select_for_update().select_related("organization").get(pk=upload_id)
    )
    started = upload.started_at or timezone.now()
    plan = apply_roster(
        upload.applied_by,
        upload.organization,
        bytes(upload.content),
        segments=tuple(upload.segment_columns),
        deactivate_missing=upload.deactivate_missing,
        filename=upload.filename,
        expected=upload.expected_plan,
    )
    if plan.errors:
        first = plan.errors[0]
        raise RosterApplyRefused(
            f"{len(plan.errors)} line(s) can no longer be imported (line {first.line}: "
            f"{first.message}). Check the preview again."
        )
    now = timezone.now()
    upload.status = RosterUpload.Status.APPLIED
    upload.applied_at = now
    upload.result = {**_plan_summary(plan), "seconds": round((now - started).total_seconds(), 1)}
    upload.content = b""
    upload.error = ""
    upload.save(update_fields=["status", "applied_at", "result", "content", "error"])
    return plan


class RosterApplyRefused(Exception):
    """The file has bad lines now that it did not have at its preview."""


def mark_roster_apply_failed(upload_id: int, message: str) -> None:
    RosterUpload.objects.filter(pk=upload_id).exclude(status=RosterUpload.Status.APPLIED).update(
        status=RosterUpload.Status.FAILED, error=message[:500]
    )


def reopen_roster_preview(upload: RosterUpload) -> None:
    """A failed apply goes back to its preview, planned afresh, to be checked and applied again."""
    RosterUpload.objects.filter(pk=upload.pk, status=RosterUpload.Status.FAILED).update(
        status=RosterUpload.Status.PREVIEW, error=""
    )


def recover_stale_roster_apply(upload: RosterUpload) -> None:
    """Nothing stays "applying" forever: queue a stale apply again, or fail it after
    ROSTER_MAX_ATTEMPTS."""
    if not upload.is_stale():
        return
    if upload.attempts >= ROSTER_MAX_ATTEMPTS:
        log.warning("roster upload %s failed after %s attempts", upload.pk, upload.attempts)
        mark_roster_apply_failed(upload.pk, "The apply did not finish after several attempts.")
    else:
        log.warning("roster upload %s was stale; queued again", upload.pk)
        with transaction.atomic():
            RosterUpload.objects.filter(pk=upload.pk).update(
                status=RosterUpload.Status.QUEUED,
                started_at=None,
                apply_requested_at=timezone.now(),
            )
            transaction.on_commit(lambda: enqueue_roster_apply(upload.pk))
    upload.refresh_from_db()
