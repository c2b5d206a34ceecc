"""Rendering a requested report and storing its file: run by the worker (loads WeasyPrint)."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from .models import Report
from .pdf import render_pdf


def render_and_store(report: Report) -> Report:
    """Render the PDF and store it under a fixed name, replacing any earlier file."""
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
