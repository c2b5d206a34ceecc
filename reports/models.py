"""A PDF report: requested from a dashboard, rendered by a Celery task, downloaded later."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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


class BulkJSONField(models.JSONField):
    """A JSONField that bulk inserts as plain values. Django 5.2 bulk inserts on PostgreSQL
    through UNNEST, which sends a batch of JSON documents as one text array; psycopg quotes
    that array character by character, which made storing a release of 1,600 responses take
    seconds. A placeholder of its own turns UNNEST off for the models that use this field."""

    def get_placeholder(self, value: object, compiler: object, connection: object) -> str:
        return "%s"


class ResponseSnapshot(models.Model):
    """What a release holds of one version of a response, copied when first released: a
    reopened or resubmitted response keeps showing as it was until its change is released."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="+")
    response_key = models.PositiveIntegerField()  # the response id; kept if it is deleted
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=32)
    scores = BulkJSONField()
    segments = BulkJSONField(default=dict, blank=True)  # filter parameter -> value
    texts = BulkJSONField(default=list, blank=True)  # [{item_key, text, may_quote, kind}]
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["response_key", "digest"], name="one_snapshot_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"Snapshot {self.response_key}@{self.digest[:8]}"


class Release(models.Model):
    """One consistent snapshot of a cycle's results: every page is computed over the same
    included responses, and disclosure control (reports/disclosure.py) checked all of it."""

    class Reason(models.TextChoices):
        SUBMISSIONS = "submissions", "New or changed submissions"
        CLOSED = "closed", "Cycle closed"
        REQUESTED = "requested", "Requested by an admin"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="releases")
    number = models.PositiveIntegerField()
    reason = models.CharField(max_length=12, choices=Reason.choices)
    threshold = models.PositiveSmallIntegerField()
    n_included = models.PositiveIntegerField()
    n_held_back = models.PositiveIntegerField(default=0)
    # The threshold before it was raised, on the release that regrouped the previous one's
    # responses under the new threshold (and took no change: disclosure.plan_regrouping).
    regrouped_from = models.PositiveSmallIntegerField(null=True, blank=True)
    # response id -> snapshot id of the version included
    people = models.JSONField(default=dict)
    # disclosure state carried to the next release: last membership per group key, and
    # every distinct row released in the cycle, as [[response id, digest], ...]
    last_rows = models.JSONField(default=dict)
    all_rows = models.JSONField(default=list)
    # indices into all_rows of the rows shown as a unit or cell, and per family (a construct
    # or item: reports/disclosure.py) the shown rows over which that family was never shown
    shown_rows = models.JSONField(default=list)
    # Which of them were shown as a unit (with every item); null: not kept (before 0008).
    unit_rows = models.JSONField(null=True, blank=True)
    family_hidden = models.JSONField(default=dict)
    # the rows each enabler-lift cell last showed (reports/lift_rows.py), as bit masks
    lift_rows = models.JSONField(default=dict)
    # Where each included version's texts may be shown, "rid:digest" -> unit key
    # (reports/text_homes.py); None in releases built before homes were kept.
    text_homes = models.JSONField(null=True, blank=True, default=None)
    # what the builder saw of the cycle's submissions (to skip a build when nothing changed)
    source_stamp = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    checked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "number"], name="one_release_number")
        ]

    def __str__(self) -> str:
        return f"Release {self.number} of {self.cycle}"


class ReleasePage(models.Model):
    """One page of a release (the organisation, under one filter, or a team), JSON-ready."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="pages")
    key = models.CharField(max_length=120)
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    data = BulkJSONField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "key"], name="one_page_per_key")]

    def __str__(self) -> str:
        return f"{self.release} · {self.key}"


class ActionPlan(models.Model):
    """A leadership decision answering one released recommendation: who does what by when,
    for which teams, and which constructs it should move by the next cycle."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="action_plans"
    )
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="action_plans")
    rule_id = models.CharField(max_length=80)
    title = models.CharField(max_length=200)
    constructs = models.JSONField(default=list)  # construct keys, the rule's first
    owner = models.ForeignKey(
        "orgs.Membership",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_action_plans",
    )
    due_on = models.DateField()
    change = models.TextField(max_length=2000)
    teams = models.ManyToManyField(Team, related_name="action_plans", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["organization", "status", "due_on"], name="plan_org_status_due")
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: date | None = None) -> bool:
        return self.status == self.Status.OPEN and self.due_on < (today or timezone.localdate())
