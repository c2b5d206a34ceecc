"""A PDF report: requested from a dashboard, rendered by a Celery task, downloaded later."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from assessments.models import Cycle
from orgs.models import Organization, Team


class Report(models.Model):
    class Kind(models.TextChoices):
        TEAM = "team", "Team report"
        ORGANIZATION = "organization", "Leadership report"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Rendering"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reports")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=500, blank=True)
    # Private: stored through Django's storage API and served only by an access-checked view.
    file = models.FileField(upload_to="reports/", blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="report_org_time")]

    def __str__(self) -> str:
        subject = self.team.name if self.team_id and self.team else self.organization.name
        return f"{self.get_kind_display()} · {subject} · {self.cycle.name}"

    def is_finished(self) -> bool:
        return self.status in {self.Status.READY, self.Status.FAILED}

    def is_stale(self, now: datetime | None = None) -> bool:
        """Rendering for longer than any task may run: its worker died or the message was lost."""
        now = now or timezone.now()
        limit = timedelta(seconds=settings.RECOUPLE_REPORT_TIME_LIMIT * 2)
        started = self.started_at or self.created_at
        return not self.is_finished() and started is not None and now - started > limit

    def filename(self) -> str:
        subject = self.team.slug if self.team_id and self.team else self.organization.slug
        return f"recouple-{subject}-{self.cycle.slug}-{self.kind}.pdf"
