"""Published instrument versions, cycles, responses and their answers."""

from __future__ import annotations

import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from orgs.models import Organization, Team


class InstrumentVersion(models.Model):
    """A published questionnaire version. The file is the content; the hash pins it.

    Once published, a version's file must not change: a changed file under the same
    version is refused (see services.publish_instrument), so old cycles stay comparable.
    """

    version = models.CharField(max_length=20, unique=True)
    title = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-published_at"]

    def __str__(self) -> str:
        return f"v{self.version}"


class Cycle(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="cycles")
    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=60)
    instrument = models.ForeignKey(
        InstrumentVersion, on_delete=models.PROTECT, related_name="cycles"
    )
    opens_on = models.DateField()
    closes_on = models.DateField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    teams = models.ManyToManyField(Team, related_name="cycles", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Days before the close on which those who have not submitted are reminded ("7,2");
    # see reminders.py. Blank: no reminders.
    reminder_days = models.CharField(max_length=40, blank=True, default="7,2")

    class Meta:
        ordering = ["-opens_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="cycle_slug_per_org"),
            models.CheckConstraint(
                condition=models.Q(closes_on__gte=models.F("opens_on")), name="cycle_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_open(self, today: date | None = None) -> bool:
        """Accepting answers: opened by an admin and within its dates."""
        today = today or timezone.localdate()
        return self.state == self.State.OPEN and self.opens_on <= today <= self.closes_on

    def is_closed(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.state == self.State.CLOSED or (
            self.state == self.State.OPEN and today > self.closes_on
        )

    def status_label(self, today: date | None = None) -> str:
        if self.is_closed(today):
            return "Closed"
        if self.is_open(today):
            return "Open"
        if self.state == self.State.OPEN:
            return "Opens " + self.opens_on.strftime("%-d %b %Y")
        return "Draft"


class Response(models.Model):
    """One person's answers for one team in one cycle."""

    class Status(models.TextChoices):
        DRAFT = "draft", "In progress"
        SUBMITTED = "submitted", "Submitted"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responses")
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="responses"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    # Construct scores and profile computed by assessments/scoring at submission
    # (ResponseScore.to_dict()), so dashboards read one column instead of re-scoring every
    # answer on every view.
    scores = models.JSONField(null=True, blank=True)
    # Context answers copied out for filtering (respondent_role, lifecycle_stage...).
    segments = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "team", "respondent"], name="one_response_per_person"
            ),
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="response_cycle_status")]

    def __str__(self) -> str:
        return f"Response {self.pk} ({self.team} · {self.cycle})"

    def is_locked(self) -> bool:
        return self.status == self.Status.SUBMITTED

    def is_reopened(self) -> bool:
        """Reopened on the respondent's approved request and not yet submitted again."""
        return self.status == self.Status.DRAFT and self.reopened_at is not None


class Answer(models.Model):
    """One answer, saved on its own (autosave). `version` makes concurrent saves safe:
    a save must name the version it was based on, or it is a conflict."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item_key = models.CharField(max_length=80)
    value = models.JSONField()
    evidence = models.CharField(max_length=1000, blank=True)
    # Free-text answers only: the respondent allows this text to be quoted word for word
    # (without their name, inside released groups of at least k). Off unless they tick it.
    may_quote = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["response", "item_key"]
        constraints = [
            models.UniqueConstraint(fields=["response", "item_key"], name="one_answer_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_key}={self.value!r}"


class ClassifiedAction(models.Model):
    """A free-text action from a submitted response, labelled individual, collective or none.

    The classifier's guess is kept next to a reviewer's decision so the override rate can
    be measured and reviewed cases exported as labelled data to tune the lexicon. The
    classifier says individual, collective or none (the text describes no action taken); a
    reviewer may also mark an action a duplicate of another one of the same response or
    team, so that it is not counted twice.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "Individual (low-resource)"
        COLLECTIVE = "collective", "Collective (high-resource)"
        NONE = "none", "Not an action (or too vague)"
        DUPLICATE = "duplicate", "Duplicate of another action"

    # What the classifier can say; a reviewer can choose any Kind.
    CLASSIFIER_KINDS = (Kind.INDIVIDUAL, Kind.COLLECTIVE, Kind.NONE)
    # Final kinds that are actions taken, counted as such downstream.
    ACTION_KINDS = (Kind.INDIVIDUAL, Kind.COLLECTIVE)

    # How pages, forms and the audit log name an action. Random (UUID4), never the row id:
    # ids grow in submission order, which with the participation page names authors.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="actions")
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="actions")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="actions")
    item_key = models.CharField(max_length=80)
    text = models.TextField()
    kind = models.CharField(max_length=12, choices=Kind.choices)
    confidence = models.FloatField()
    needs_review = models.BooleanField(default=False)
    cues = models.JSONField(default=list, blank=True)
    # Which classifier labelled it (``v7+<training data hash>``; blank before v6), so that
    # override rates and exports can be told apart by version.
    classifier_version = models.CharField(max_length=40, blank=True, default="")
    # Copied from Answer.may_quote at submission: only such texts may ever be quoted.
    may_quote = models.BooleanField(default=False)
    reviewed_kind = models.CharField(max_length=12, choices=Kind.choices, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["cycle", "team"], name="action_cycle_team")]

    def __str__(self) -> str:
        # No text: this string lands in the audit log, which every org admin reads, and a
        # respondent's words are shown only where the anonymity rules allow. No row id
        # either: ids follow submission order.
        return f"Action {self.public_id}"

    def is_reviewed(self) -> bool:
        return self.reviewed_at is not None

    def final_kind(self) -> str | None:
        """The label used everywhere: a reviewer's decision wins; a pending one has none yet."""
        if self.is_reviewed():
            return self.reviewed_kind
        return None if self.needs_review else self.kind

    def was_overridden(self) -> bool:
        return self.is_reviewed() and self.reviewed_kind != self.kind

    def is_counted_action(self) -> bool:
        """Whether the final label is an action taken (not none, duplicate or pending)."""
        return self.final_kind() in self.ACTION_KINDS


class ReopenRequest(models.Model):
    """A respondent's request to change their submitted response, decided by the team's lead
    (or an org admin) without seeing the answers or who asked.

    Deciders load requests only through `assessments.access.reopen_request_to_decide`; pages show
    the team, the date and the respondent's own reason, never the respondent or response id.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="reopen_requests")
    # Copied from the response so the decision list filters without reading responses.
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="reopen_requests")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="reopen_requests")
    reason = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["response"],
                condition=models.Q(status="pending"),
                name="one_pending_reopen_request",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "status"], name="reopen_cycle_status")]

    def __str__(self) -> str:
        # No response id and no name: this string lands in the audit log.
        return f"Reopen request in {self.team} · {self.cycle}"

    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class CycleEmail(models.Model):
    """An email that went to one person about one cycle: the launch email with their
    personal link, or a reminder. What the one-a-day and once-per-slot rules read."""

    class Kind(models.TextChoices):
        LAUNCH = "launch", "Launch"
        REMINDER = "reminder", "Reminder"

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="emails")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    sent_on = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "user"],
                condition=models.Q(kind="launch"),
                name="one_launch_email_per_person",
            ),
            models.UniqueConstraint(
                fields=["user", "sent_on"],
                condition=models.Q(kind="reminder"),
                name="one_reminder_a_day",
            ),
        ]
        indexes = [models.Index(fields=["cycle", "kind"], name="cycle_email_kind")]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} to {self.user_id} about {self.cycle_id} on {self.sent_on}"
        )
