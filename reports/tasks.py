"""Celery tasks: thin wrappers that own retries and limits; the work is in services."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from . import releases, rendering, services

log = logging.getLogger(__name__)
TIME_LIMIT = settings.RECOUPLE_REPORT_TIME_LIMIT


@shared_task(
    bind=True,
    acks_late=True,  # a worker that dies mid-render leaves the message to be delivered again
    reject_on_worker_lost=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 10,
    autoretry_for=(DatabaseError, OSError),
    retry_backoff=True,
    max_retries=services.MAX_ATTEMPTS,
)
def render_report_task(self, report_id: int) -> str:
    """Render one report. Safe to run twice: a second run re-renders and replaces the file."""
    report = services.start_render(report_id)
    if report is None:
        return "skipped"
    try:
        rendering.render_and_store(report)
    except (DatabaseError, OSError):
        if self.request.retries >= self.max_retries:
            services.mark_failed(report_id, "The report could not be stored. Try again later.")
            return "failed"
        raise  # transient: Celery retries with backoff
    except Exception as error:  # a permanent error: say what failed, don't retry forever
        log.exception("report %s failed", report_id)
        services.mark_failed(report_id, f"The report could not be rendered: {error}")
        return "failed"
    return "ready"


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 10,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    max_retries=3,
)
def build_release_task(cycle_id: int, reason: str = "submissions") -> str:
    """Build the cycle's next release. Safe to run twice: builds lock the cycle, and a
    second run finds nothing new."""
    release = releases.build(cycle_id, reason)
    return f"release {release.number}" if release else "unchanged"


@shared_task(time_limit=TIME_LIMIT, soft_time_limit=TIME_LIMIT - 10)
def recover_stale_reports_task() -> int:
    """The periodic pass (Celery beat): requeue or fail reports whose render stalled."""
    return services.recover_stale_reports()


@shared_task(time_limit=TIME_LIMIT * 4, soft_time_limit=TIME_LIMIT * 4 - 10)
def refresh_releases_task() -> int:
    """The periodic pass (Celery beat): release every cycle whose submissions changed or that
    closed since its latest release."""
    built = 0
    for cycle_id, reason in releases.cycles_to_refresh():
        built += releases.build(cycle_id, reason) is not None
    return built
