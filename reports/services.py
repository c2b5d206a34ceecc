"""Requesting and tracking PDF reports, and queueing releases. The request never waits for
a render. Tasks are queued by name (`queue`), so this module does not import the tasks
that import it; rendering itself lives in reports/rendering.py, which only workers load."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from assessments.models import Cycle
from orgs.models import Organization, Team, User

from .models import Report

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
RENDER_TASK = "reports.tasks.render_report_task"
RELEASE_TASK = "reports.tasks.build_release_task"


def queue(task_name: str, *args: object) -> None:
    """Send a task to the broker by its registered name (run at once in eager mode)."""
    current_app.tasks[task_name].delay(*args)


def request_report(actor: User, org: Organization, cycle: Cycle, team: Team | None) -> Report:
    """Create a queued report and enqueue its render once the row is committed."""
    with transaction.atomic():
        report = Report.objects.create(
            organization=org,
            cycle=cycle,
            team=team,
            kind=Report.Kind.TEAM if team else Report.Kind.ORGANIZATION,
            requested_by=actor,
        )
        transaction.on_commit(lambda: enqueue(report.pk))
    return report


def enqueue(report_id: int) -> None:
    """Send the render to the broker. If the broker is down the report stays queued, and
    `recover_stale` sends it again once it has waited too long."""
    try:
        queue(RENDER_TASK, report_id)
    except OperationalError:
        log.warning("broker unavailable; report %s stays queued for a later retry", report_id)


def start_render(report_id: int) -> Report | None:
    """Claim a report for rendering; None when it is already finished (a redelivery)."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == Report.Status.READY:
            return None
        report.status = Report.Status.RENDERING
        report.started_at = timezone.now()
        report.attempts += 1
        report.error = ""
        report.save(update_fields=["status", "started_at", "attempts", "error"])
    return report


def mark_failed(report_id: int, message: str) -> None:
    Report.objects.filter(pk=report_id).exclude(status=Report.Status.READY).update(
        status=Report.Status.FAILED, error=message[:500], finished_at=timezone.now()
    )


def retry_report(report: Report) -> None:
    """Queue a failed (or stale) report again."""
    with transaction.atomic():
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.QUEUED, error="", started_at=None, finished_at=None
        )
        transaction.on_commit(lambda: enqueue(report.pk))


def recover_stale(reports: list[Report]) -> None:
    """Nothing stays "rendering" forever: retry a stale render, or fail it after MAX_ATTEMPTS."""
    for report in reports:
        if not report.is_stale():
            continue
        if report.attempts >= MAX_ATTEMPTS:
            log.warning("report %s failed after %s attempts", report.pk, report.attempts)
            mark_failed(report.pk, "The render did not finish after several attempts.")
        else:
            log.warning("report %s was stale; queued again", report.pk)
            retry_report(report)
        report.refresh_from_db()


def recover_stale_reports(now: datetime | None = None) -> int:
    """The periodic pass (Celery beat): every report whose render stalled (`is_stale`) is
    queued again or failed, so pages only read reports and never write them. Returns how
    many it recovered."""
    now = now or timezone.now()
    # A stale report was created before the limit at least (it started no earlier).
    limit = timedelta(seconds=settings.RECOUPLE_REPORT_TIME_LIMIT * 2)
    unfinished = Report.objects.exclude(
        status__in=[Report.Status.READY, Report.Status.FAILED]
    ).filter(created_at__lt=now - limit)
    stale = [report for report in unfinished if report.is_stale(now)]
    recover_stale(stale)
    return len(stale)


def request_release(cycle_id: int) -> None:
    """An org admin asked for a new release now."""
    queue(RELEASE_TASK, cycle_id, "requested")
