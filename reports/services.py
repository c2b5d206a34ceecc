"""Requesting, rendering and storing PDF reports. The request never waits for a render."""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from assessments.models import Cycle
from orgs.models import Organization, Team, User

from .models import Report

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3


class ReportNotAllowed(Exception):
    """The report cannot be made (e.g. the team is below the anonymity threshold)."""


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
    from kombu.exceptions import OperationalError

    from .tasks import render_report_task

    try:
        render_report_task.delay(report_id)
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


def render_and_store(report: Report) -> Report:
    """Render the PDF and store it under a fixed name, replacing any earlier file."""
    from .pdf import render_pdf  # WeasyPrint loads only in workers and commands

    result = render_pdf(report.organization, report.cycle, report.team)
    name = f"report-{report.pk}.pdf"
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.file:
            locked.file.delete(save=False)
        locked.file.save(name, ContentFile(result.content), save=False)
        locked.pages = result.pages
        locked.size = len(result.content)
        locked.status = Report.Status.READY
        locked.finished_at = timezone.now()
        locked.save(update_fields=["file", "pages", "size", "status", "finished_at"])
    return locked


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
