"""Helpers for the orgs tests: invitations with known tokens, messages, audit look-ups."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from orgs.models import AuditEvent, Invitation, Organization, Role, Team, User

ACCEPT_LINK = re.compile(r"https?://testserver/invite/([A-Za-z0-9_-]+)/")


def accept_path(token: str) -> str:
    return reverse("invitation_accept", args=[token])


def token_from_email(body: str) -> str:
    """The token of the one accept link in an invitation email."""
    links = ACCEPT_LINK.findall(body)
    assert len(links) == 1, body
    return links[0]


def messages_of(response: HttpResponse) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def events(org: Organization, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(organization=org, action=action).order_by("id"))


@pytest.fixture
def make_invitation(world) -> Callable[..., tuple[Invitation, str]]:
    """`make_invitation(email, role=..., team=...)`: a pending invitation and its raw token."""

    def _make(
        email: str,
        role: str = Role.MEMBER,
        team: Team | None = None,
        org: Organization | None = None,
        invited_by: User | None = None,
    ) -> tuple[Invitation, str]:
        token, token_hash = Invitation.new_token()
        if team is None and role in {Role.MEMBER, Role.TEAM_LEAD}:
            team = world.alpha
        invitation = Invitation.objects.create(
            organization=org or world.acme,
            email=email,
            role=role,
            team=team,
            token_hash=token_hash,
            invited_by=invited_by or world.alice,
            expires_at=Invitation.expiry_from(timezone.now()),
        )
        return invitation, token

    return _make
