"""Organisations, teams, people and what they may do; invitations; the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # Emails are stored lower-case; sign-in should not depend on how they are typed.
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person, signing in with an email address."""

    email = models.EmailField(unique=True, max_length=254)
    name = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class Organization(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    # Fewest submitted responses before a group's results are shown; see orgs/anonymity.py.
    anonymity_threshold = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(2), MaxValueValidator(50)]
    )
    # Team leads and org admins see the names of people who have not submitted yet only
    # when an org admin turns this on (audited); otherwise participation is counts only.
    show_participation_names = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_per_org"),
            models.UniqueConstraint(fields=["organization", "name"], name="team_name_per_org"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_archived(self) -> bool:
        return self.archived_at is not None


class Role(models.TextChoices):
    ORG_ADMIN = "org_admin", "Org admin"
    LEADER = "leader", "Leader"
    TEAM_LEAD = "team_lead", "Team lead"
    MEMBER = "member", "Member"


# Roles that belong to one team and so need one.
TEAM_ROLES = frozenset({Role.TEAM_LEAD, Role.MEMBER})
ORG_WIDE_ROLES = frozenset({Role.ORG_ADMIN, Role.LEADER})


def counted_in_team(through: str = "") -> models.Q:
    """Who counts in a team, the one rule: its active members and lead. Org admins and
    leaders who also answer for a team, and people who left, do not. An input to the
    anonymity rule, participation, mailings and the team sizes pages show. `through` reaches
    memberships through a relation: `counted_in_team("memberships__")` on teams."""
    return models.Q(
        **{f"{through}role__in": sorted(TEAM_ROLES), f"{through}deactivated_at__isnull": True}
    )


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        """People who belong now: not deactivated (by a roster import, say)."""
        return self.filter(deactivated_at__isnull=True)

    def counted_in_team(self) -> MembershipQuerySet:
        """The memberships that count in their team (`counted_in_team`)."""
        return self.filter(counted_in_team())


def team_size() -> models.Count:
    """A team's size as an annotation on teams: the people who count in it."""
    return models.Count("memberships", filter=counted_in_team("memberships__"))


class Membership(models.Model):
    """A user's single role in one organisation (and their team, where they have one).

    A person who leaves (a roster import without them) is deactivated, not deleted: their
    submitted answers stay, and importing them again brings them back.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    # Required for team leads and members; optional for org admins and leaders who also
    # answer the questionnaire for a team.
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, null=True, blank=True, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    # Declared roster columns (e.g. {"department": "Payments"}), from the last import.
    segments = models.JSONField(default=dict, blank=True)
    reminders_opted_out_at = models.DateTimeField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.organization}"

    def is_org_admin(self) -> bool:
        return self.role == Role.ORG_ADMIN

    def is_leadership(self) -> bool:
        return self.role in ORG_WIDE_ROLES

    def leads(self, team: Team) -> bool:
        return self.role == Role.TEAM_LEAD and self.team_id == team.pk

    def is_active(self) -> bool:
        return self.deactivated_at is None


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self, now: datetime | None = None) -> InvitationQuerySet:
        now = now or timezone.now()
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)


class Invitation(models.Model):
    """A single-use, expiring link that gives one email address a role in an organisation.

    Only a hash of the token is stored: a leaked database does not leak working links.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=20, choices=Role.choices)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organization}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        """A fresh random token and its stored hash."""
        token = secrets.token_urlsafe(32)
        return token, _hash_token(token)

    @classmethod
    def find_by_token(cls, token: str) -> Invitation | None:
        return (
            cls.objects.select_related("organization", "team")
            .filter(token_hash=_hash_token(token))
            .first()
        )

    @staticmethod
    def expiry_from(now: datetime) -> datetime:
        return now + timedelta(days=settings.RECOUPLE_INVITATION_DAYS)

    def status(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= now:
            return "expired"
        return "pending"

    def is_pending(self, now: datetime | None = None) -> bool:
        return self.status(now) == "pending"


class AuditEvent(models.Model):
    """Who did what, when, to which object, in which organisation.

    A domain event log rather than a field-diff history: "invitation accepted" or
    "response reopened" are what an org admin needs to read, not row diffs.
    """

    class Action(models.TextChoices):
        ORG_CREATED = "org.created", "Organisation created"
        SETTINGS_CHANGED = "org.settings_changed", "Settings changed"
        TEAM_CREATED = "team.created", "Team created"
        TEAM_RENAMED = "team.renamed", "Team renamed"
        TEAM_ARCHIVED = "team.archived", "Team archived"
        TEAM_RESTORED = "team.restored", "Team restored"
        INVITATION_SENT = "invitation.sent", "Invitation sent"
        INVITATION_RESENT = "invitation.resent", "Invitation resent"
        INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
        INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
        ROLE_CHANGED = "member.role_changed", "Role changed"
        MEMBER_REMOVED = "member.removed", "Member removed"
        ROSTER_IMPORTED = "roster.imported", "Roster imported"
        REMINDERS_OPTED_OUT = "member.reminders_opted_out", "Opted out of reminders"
        CYCLE_CREATED = "cycle.created", "Cycle created"
        CYCLE_CHANGED = "cycle.changed", "Cycle changed"
        REOPEN_REQUESTED = "response.reopen_requested", "Reopening requested"
        RESPONSE_REOPENED = "response.reopened", "Response reopened"
        REOPEN_DECLINED = "response.reopen_declined", "Reopening declined"
        ACTION_REVIEWED = "action.reviewed", "Classified action reviewed"
        REPORT_DOWNLOADED = "report.downloaded", "Report downloaded"
        SSO_CHANGED = "org.sso_changed", "Single sign-on changed"
        SSO_SIGNED_IN = "sso.signed_in", "Signed in with single sign-on"
        PLAN_CREATED = "plan.created", "Action plan recorded"
        PLAN_CHANGED = "plan.changed", "Action plan changed"
        PLAN_STATUS_CHANGED = "plan.status_changed", "Action plan status changed"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Kept as text too, so the log still reads after an account is deleted.
    actor_email = models.EmailField(blank=True)
    action = models.CharField(max_length=40, choices=Action.choices)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=40, blank=True)
    target_repr = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organization", "-created_at"], name="audit_org_time")]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target_repr}"
        )


class IdentityProvider(models.Model):
    """An organisation's own identity provider (OpenID Connect or SAML 2.0), which signs in
    people whose email is in one of its domains. The allauth app is built from this row
    (orgs/sso_adapter.py); nothing is stored twice."""

    class Protocol(models.TextChoices):
        OIDC = "oidc", "OpenID Connect"
        SAML = "saml", "SAML 2.0"

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="identity_provider"
    )
    protocol = models.CharField(max_length=10, choices=Protocol.choices, default=Protocol.OIDC)
    enabled = models.BooleanField(default=True)
    # Members whose email is in the provider's domains then cannot use a password.
    sso_required = models.BooleanField(default=False)
    # OpenID Connect: the issuer (its /.well-known/openid-configuration is read).
    issuer_url = models.URLField(max_length=300, blank=True)
    client_id = models.CharField(max_length=200, blank=True)
    # Needed in clear to talk to the provider; never shown back on the admin page.
    client_secret = models.CharField(max_length=500, blank=True)
    # SAML 2.0: the IdP's entity id, and either its metadata URL or its SSO URL + certificate.
    saml_entity_id = models.CharField(max_length=300, blank=True)
    saml_metadata_url = models.URLField(max_length=300, blank=True)
    saml_sso_url = models.URLField(max_length=300, blank=True)
    saml_certificate = models.TextField(max_length=10_000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.get_protocol_display()} for {self.organization}"

    def is_oidc(self) -> bool:
        return self.protocol == self.Protocol.OIDC

    def domain_names(self) -> list[str]:
        return sorted(d.domain for d in self.domains.all())


class IdentityProviderDomain(models.Model):
    """An email domain routed to one identity provider. Unique across organisations: a
    domain claimed by one organisation cannot be claimed by another."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class RosterUpload(models.Model):
    """An uploaded roster file kept between its preview and its apply (a few hours at most),
    so the admin confirms what they saw without uploading it again."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="roster_uploads"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )

    class Status(models.TextChoices):
        PREVIEW = "preview", "Preview"
        QUEUED = "queued", "Waiting for a worker"
        APPLYING = "applying", "Applying"
        APPLIED = "applied", "Applied"
        FAILED = "failed", "Failed"

    filename = models.CharField(max_length=200)
    content = models.BinaryField()
    segment_columns = models.JSONField(default=list, blank=True)
    deactivate_missing = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The apply runs in a Celery task (orgs/tasks.py); these fields are its progress.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEW)
    # The fingerprint of the plan the admin confirmed; the task refuses a plan that differs.
    expected_plan = models.CharField(max_length=64, blank=True)
    # What the confirmed preview said it would do (counts), shown while the apply runs.
    planned = models.JSONField(default=dict, blank=True)
    # What the apply did: counts, moves, teams created (the result summary).
    result = models.JSONField(default=dict, blank=True)
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    apply_requested_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    KEEP_FOR = timedelta(hours=6)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Roster {self.filename} for {self.organization}"

    def is_expired(self, now: datetime | None = None) -> bool:
        """A preview not applied within KEEP_FOR is gone; an apply under way never expires."""
        if self.status != self.Status.PREVIEW:
            return False
        return (now or timezone.now()) - self.created_at > self.KEEP_FOR

    def is_previewable(self, now: datetime | None = None) -> bool:
        return self.status == self.Status.PREVIEW and not self.is_expired(now)

    def is_finished(self) -> bool:
        return self.status in {self.Status.APPLIED, self.Status.FAILED}

    def is_stale(self, now: datetime | None = None) -> bool:
        """Queued or applying for longer than any apply may run: its worker died or the
        message was lost."""
        if self.status not in {self.Status.QUEUED, self.Status.APPLYING}:
            return False
        since = self.started_at or self.apply_requested_at
        limit = timedelta(seconds=settings.RECOUPLE_ROSTER_TIME_LIMIT * 2)
        return since is not None and (now or timezone.now()) - since > limit
