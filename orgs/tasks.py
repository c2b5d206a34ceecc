"""Celery tasks of the organisation app: thin wrappers that own retries and limits; the
work is in roster_services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from . import roster_services

log = logging.getLogger(__name__)
TIME_LIMIT = settings.RECOUPLE_ROSTER_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,  # a worker that dies mid-apply leaves the message to be delivered again
    reject_on_worker_lost=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 20,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=roster_services.ROSTER_MAX_ATTEMPTS,
)
def apply_roster_upload_task(self, upload_id: int) -> str:
    """Apply one confirmed roster upload. Safe to run twice: the apply is one transaction
    that also marks the upload applied, and a second run finds it applied and skips."""
    if roster_services.start_roster_apply(upload_id) is None:
        return "skipped"
    try:
        roster_services.apply_roster_upload(upload_id)
    except roster_services.StaleRosterPlan:
        roster_services.mark_roster_apply_failed(
            upload_id,
            "The organisation changed since this preview (someone else imported or edited "
            "members), so nothing was applied. Check the preview again.",
        )
        return "stale"
    except roster_services.RosterApplyRefused as refused:
        roster_services.mark_roster_apply_failed(upload_id, f"Nothing was applied: {refused}")
        return "refused"
    except DatabaseError:
        if self.request.retries >= self.max_retries:
            roster_services.mark_roster_apply_failed(
                upload_id, "The database refused the import; nothing was applied. Try again later."
            )
            return "failed"
        raise  # transient (a lock, a restart): Celery retries with backoff
    except Exception as error:  # a bug, not a transient fault: say so, don't retry forever
        log.exception("roster upload %s failed", upload_id)
        roster_services.mark_roster_apply_failed(
            upload_id, f"The import failed and nothing was applied: {error}"
        )
        return "failed"
    return "applied"
