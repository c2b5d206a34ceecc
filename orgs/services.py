"""Writes that touch organisations, teams, memberships and invitations, each audited."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone
from django.utils.text import slugify

from . import audit
from .models import (
    TEAM_ROLES,
    AuditEvent,
    Invitation,
    Membership,
    Organization,
    Role,
    Team,
    User,
)
from .signals import members_joined

A = AuditEvent.Action
log = logging.getLogger(__name__)
UrlBuilder = Callable[[str], str]


def unique_slug(name: str, taken: set[str], fallback: str = "item") -> str:
    """A slug for `name` that is not in `taken` and no page's own path word (appends -2,
    -3...): a cycle "New" must not become /admin/cycles/new/, the new-cycle page."""
    base = (slugify(name) or fallback)[:50]
    reserved = reserved_slugs()
    slug, n = base, 2
    while slug in taken or slug in reserved:
        slug, n = f"{base}-{n}", n + 1
    return slug


# Words kept free for pages not built yet, beside those the URL patterns use today.
FUTURE_PATH_WORDS = frozenset({"new", "edit", "delete", "export", "admin"})
_SLUG_WORD = re.compile(r"[-a-zA-Z0-9_]+")


def _routes(patterns: list[Any], prefix: list[str]) -> list[list[str]]:
    """Every path pattern as its segments, includes expanded (regex patterns skipped)."""
    routes = []
    for entry in patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue
        segments = prefix + [s for s in str(entry.pattern).split("/") if s]
        if isinstance(entry, URLResolver):
            routes += _routes(entry.url_patterns, segments)
        else:
            routes.append(segments)
    return routes


@lru_cache(maxsize=1)
def reserved_slugs() -> frozenset[str]:
    """Literal path words that stand where a slug also can: `admin/cycles/new/` beside
    `admin/cycles/<slug:cycle>/` reserves "new" (for every kind of slug, to keep it simple)."""
    routes = _routes(get_resolver().url_patterns, [])

    def shape(segments: list[str]) -> tuple[str, ...]:
        return tuple("<>" if "<" in s else s for s in segments)

    slot_prefixes = {
        shape(r[:i]) for r in routes for i, segment in enumerate(r) if segment.startswith("<")
    }
    literal = {
        r[i]
        for r in routes
        for i in range(len(r))
        if "<" not in r[i] and _SLUG_WORD.fullmatch(r[i]) and shape(r[:i]) in slot_prefixes
    }
    return frozenset(literal) | FUTURE_PATH_WORDS


# --- Sign-up: the email is confirmed before anything is created ----------------------------

SIGNUP_SALT = "recouple.signup"
SIGNUP_LINK_HOURS = 24


@dataclass(frozen=True)
class PendingSignup:
    """What a sign-up link carries: who asked, and the organisation to create."""

    email: str
    name: str
    organization: str


class SignupLinkError(Exception):
    def __init__(self, reason: str) -> None:  # "invalid" or "expired"
        super().__init__(reason)
        self.reason = reason


def signup_token(pending: PendingSignup) -> str:
    """A signed, timestamped token; it expires after SIGNUP_LINK_HOURS and is used up once
    the account exists (see create_account_with_organization)."""
    data = {"e": pending.email, "n": pending.name, "o": pending.organization}
    return signing.dumps(data, salt=SIGNUP_SALT, compress=True)


def read_signup_token(token: str) -> PendingSignup:
    try:
        data = signing.loads(token, salt=SIGNUP_SALT, max_age=SIGNUP_LINK_HOURS * 3600)
    except signing.SignatureExpired:
        raise SignupLinkError("expired") from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise SignupLinkError("invalid") from None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), str) for k in "eno"):
        raise SignupLinkError("invalid")
    return PendingSignup(email=data["e"], name=data["n"], organization=data["o"])


def request_signup(pending: PendingSignup, urls: dict[str, str], build_url: UrlBuilder) -> None:
    """Mail the sign-up link, or, if the address has an account, a note saying so: the
    person asking sees the same page either way, so sign-up does not tell who has one."""
    if User.objects.filter(email__iexact=pending.email).exists():
        subject = "You already have a Recouple account"
        body = render_to_string("registration/email/signup_existing.txt", urls)
    else:
        subject = "Confirm your email to create your organisation on Recouple"
        context = {
            "name": pending.name,
            "organization": pending.organization,
            "confirm_url": build_url(signup_token(pending)),
            "link_hours": SIGNUP_LINK_HOURS,
        }
        body = render_to_string("registration/email/signup_confirm.txt", context)
    send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[pending.email],
    )


@transaction.atomic
def create_account_with_organization(
    pending: PendingSignup, password: str
) -> tuple[User, Organization]:
    """The confirmed person's account and their organisation, with them as its admin."""
    if User.objects.filter(email__iexact=pending.email).exists():
        raise ValidationError("An account with this email exists: this link was already used.")
    try:
        with transaction.atomic():
            user = User.objects.create_user(pending.email, password, name=pending.name)
    except IntegrityError:  # the same link confirmed twice at once
        raise ValidationError(
            "An account with this email exists: this link was already used."
        ) from None
    return user, create_organization(user, pending.organization)


@transaction.atomic
def create_organization(creator: User, name: str) -> Organization:
    taken = set(Organization.objects.values_list("slug", flat=True))
    org = Organization.objects.create(name=name, slug=unique_slug(name, taken, "org"))
    Membership.objects.create(user=creator, organization=org, role=Role.ORG_ADMIN)
    audit.record(org, creator, A.ORG_CREATED, org)
    return org


@transaction.atomic
def create_team(actor: User, org: Organization, name: str, cycles: Sequence[Any] = ()) -> Team:
    """A new team, taking part in `cycles` (the organisation's, each audited as changed)."""
    taken = set(org.teams.values_list("slug", flat=True))
    team = Team.objects.create(organization=org, name=name, slug=unique_slug(name, taken, "team"))
    audit.record(org, actor, A.TEAM_CREATED, team)
    for cycle in cycles:
        if cycle.organization_id != org.pk:
            raise ValidationError("A team can only join its own organisation's cycles.")
        cycle.teams.add(team)
        audit.record(org, actor, A.CYCLE_CHANGED, cycle, team_added=team.name)
    return team


@transaction.atomic
def rename_team(actor: User, team: Team, name: str) -> None:
    old = team.name
    if old == name:
        return
    team.name = name
    team.save(update_fields=["name"])
    audit.record(team.organization, actor, A.TEAM_RENAMED, team, old=old, new=name)


@transaction.atomic
def set_team_archived(actor: User, team: Team, archived: bool) -> None:
    if team.is_archived() == archived:
        return
    team.archived_at = timezone.now() if archived else None
    team.save(update_fields=["archived_at"])
    audit.record(team.organization, actor, A.TEAM_ARCHIVED if archived else A.TEAM_RESTORED, team)


@transaction.atomic
def update_settings(
    actor: User,
    org: Organization,
    *,
    name: str,
    anonymity_threshold: int,
    show_participation_names: bool | None = None,
) -> None:
    """Change the organisation's settings, audited; `show_participation_names=None` keeps it."""
    # Compare with the stored row, not `org`: a validated ModelForm has already copied the
    # new values onto its instance, which would make every change look like no change.
    stored = Organization.objects.select_for_update().get(pk=org.pk)
    if show_participation_names is None:
        show_participation_names = stored.show_participation_names
    wanted = {
        "name": name,
        "anonymity_threshold": anonymity_threshold,
        "show_participation_names": show_participation_names,
    }
    changes = {
        field: [getattr(stored, field), value]
        for field, value in wanted.items()
        if getattr(stored, field) != value
    }
    if not changes:
        return
    for field, value in wanted.items():
        setattr(org, field, value)
    org.save(update_fields=list(wanted))
    audit.record(org, actor, A.SETTINGS_CHANGED, org, changes=changes)


def check_role_team(role: str, team: Team | None) -> None:
    if role in TEAM_ROLES and team is None:
        raise ValidationError({"team": "A team lead or member needs a team."})
    if team is not None and team.is_archived():
        raise ValidationError({"team": "This team is archived."})


def _admins_left_after(membership: Membership) -> int:
    # Lock the organisation first (callers are atomic): two admins demoting or removing
    # each other at once would otherwise each count the other and leave none.
    Organization.objects.select_for_update().get(pk=membership.organization_id)
    return (
        Membership.objects.active()
        .filter(organization=membership.organization, role=Role.ORG_ADMIN)
        .exclude(pk=membership.pk)
        .count()
    )


@transaction.atomic
def change_role(actor: User, membership: Membership, role: str, team: Team | None) -> None:
    check_role_team(role, team)
    if (
        membership.role == Role.ORG_ADMIN
        and role != Role.ORG_ADMIN
        and not _admins_left_after(membership)
    ):
        raise ValidationError("An organisation needs at least one org admin.")
    old = (membership.role, membership.team.name if membership.team else None)
    if old == (role, team.name if team else None):
        return
    membership.role = role
    membership.team = team
    membership.save(update_fields=["role", "team"])
    audit.record(
        membership.organization,
        actor,
        A.ROLE_CHANGED,
        membership.user,
        old_role=old[0],
        old_team=old[1],
        new_role=role,
        new_team=team.name if team else None,
    )


@transaction.atomic
def remove_member(actor: User, membership: Membership) -> None:
    if membership.role == Role.ORG_ADMIN and not _admins_left_after(membership):
        raise ValidationError("You cannot remove the last org admin.")
    org, user, role = membership.organization, membership.user, membership.role
    membership.delete()
    audit.record(org, actor, A.MEMBER_REMOVED, user, role=role)


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    token: str  # the raw token, only known at send time


def _send_invitation_email(invitation: Invitation, token: str, accept_url: str) -> None:
    context = {"invitation": invitation, "accept_url": accept_url}
    # A name may hold a pasted line break; a subject with one is refused by the mailer.
    org_name = " ".join(invitation.organization.name.split())
    send_mail(
        subject=f"You're invited to {org_name} on Recouple",
        message=render_to_string("orgs/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[invitation.email],
    )


@transaction.atomic
def invite(
    actor: User,
    org: Organization,
    email: str,
    role: str,
    team: Team | None,
    build_url: UrlBuilder,
) -> SentInvitation:
    """Invite `email` with `role`; `build_url(token)` gives the absolute accept link."""
    email = email.strip().lower()
    check_role_team(role, team)
    if Membership.objects.filter(organization=org, user__email__iexact=email).exists():
        raise ValidationError({"email": "This person is already a member of the organisation."})
    if org.invitations.pending().filter(email__iexact=email).exists():
        raise ValidationError(
            {"email": "An invitation to this address is already pending: resend or revoke it."}
        )
    token, token_hash = Invitation.new_token()
    now = timezone.now()
    invitation = Invitation.objects.create(
        organization=org,
        email=email,
        role=role,
        team=team if role in TEAM_ROLES or team else None,
        token_hash=token_hash,
        invited_by=actor,
        sent_at=now,
        expires_at=Invitation.expiry_from(now),
    )
    audit.record(org, actor, A.INVITATION_SENT, invitation, email=email, role=role)
    url = build_url(token)
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, url))
    return SentInvitation(invitation, token)


@transaction.atomic
def resend_invitation(actor: User, invitation: Invitation, build_url: UrlBuilder) -> SentInvitation:
    """A fresh link and expiry; the old link stops working."""
    if invitation.status() in {"accepted", "revoked"}:
        raise ValidationError("Only pending or expired invitations can be resent.")
    token, token_hash = Invitation.new_token()
    now = timezone.now()
    invitation.token_hash = token_hash
    invitation.sent_at = now
    invitation.expires_at = Invitation.expiry_from(now)
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    audit.record(
        invitation.organization, actor, A.INVITATION_RESENT, invitation, email=invitation.email
    )
    url = build_url(token)
    transaction.on_commit(lambda: _send_invitation_email(invitation, token, url))
    return SentInvitation(invitation, token)


@transaction.atomic
def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if invitation.status() != "pending" and invitation.status() != "expired":
        raise ValidationError("This invitation was already accepted or revoked.")
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        invitation.organization, actor, A.INVITATION_REVOKED, invitation, email=invitation.email
    )


@transaction.atomic
def accept_invitation(invitation: Invitation, user: User) -> Membership:
    """Attach `user` to the invitation's organisation; the link is used up."""
    # Lock the row so two tabs accepting at once cannot both succeed.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending():
        raise ValidationError(f"This invitation is {invitation.status()}.")
    if user.email.lower() != invitation.email.lower():
        raise ValidationError("This invitation was sent to another email address.")
    if Membership.objects.filter(organization=invitation.organization, user=user).exists():
        raise ValidationError("You are already a member of this organisation.")
    team = invitation.team if invitation.team and not invitation.team.is_archived() else None
    if invitation.role in TEAM_ROLES and team is None:
        raise ValidationError("The team of this invitation no longer exists. Ask for a new one.")
    membership = Membership.objects.create(
        user=user, organization=invitation.organization, role=invitation.role, team=team
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(invitation.organization, user, A.INVITATION_ACCEPTED, invitation, email=user.email)
    if team is not None:
        announce_joiners(invitation.organization)
    return membership


@transaction.atomic
def accept_invitation_as_new_user(invitation: Invitation, name: str, password: str) -> Membership:
    """Create the invited person's account and accept; if joining fails, no account is kept."""
    # Lock before creating the account: a second tab waits here and then finds the link
    # used, instead of failing on the duplicate email of the account the first one made.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending():
        raise ValidationError(f"This invitation is {invitation.status()}.")
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError("An account with this email exists: sign in to accept.")
    user = User.objects.create_user(invitation.email, password, name=name)
    return accept_invitation(invitation, user)


def announce_joiners(org: Organization) -> None:
    """Once committed, tell the apps above that people joined a team of `org`."""
    transaction.on_commit(lambda: members_joined.send(sender=Organization, organization=org))
