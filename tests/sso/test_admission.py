"""orgs.sso.admit: whom an identity provider's assertion signs in, and whom it never does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from orgs import sso
from orgs.models import AuditEvent, IdentityProvider, Membership, Role, User
from tests.builders import make_user


@pytest.fixture
def provider(world) -> IdentityProvider:
    settings = {"issuer_url": "https://login.acme.test", "client_id": "c", "client_secret": "s"}
    return sso.save_identity_provider(world.alice, world.acme, settings, ["acme.test"])


def test_a_member_is_admitted_and_it_is_audited(world, provider):
    ada = make_user("ada@acme.test")
    Membership.objects.create(user=ada, organization=world.acme, role=Role.LEADER)
    admission = sso.admit(provider, " Ada@ACME.test ")
    assert admission == sso.Admission("ada@acme.test", user=ada)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SSO_SIGNED_IN, actor=ada).exists()


def test_an_invitation_makes_an_account_without_a_password_and_joins(
    world, provider, make_invitation
):
    invitation, _ = make_invitation("new@acme.test", role=Role.MEMBER, team=world.beta)
    admission = sso.admit(provider, "new@acme.test", "Nia")
    user = admission.user
    assert user is not None and user.name == "Nia" and not user.has_usable_password()
    assert Membership.objects.get(user=user).team == world.beta
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_an_invitation_for_someone_with_an_account_elsewhere_joins_that_account(
    world, provider, make_invitation
):
    elsewhere = make_user("sam@acme.test")
    Membership.objects.create(user=elsewhere, organization=world.other, role=Role.MEMBER)
    make_invitation("sam@acme.test")
    assert sso.admit(provider, "sam@acme.test").user == elsewhere
    assert elsewhere.memberships.count() == 2


@pytest.mark.parametrize("state", ["revoked", "expired", "accepted"])
def test_an_invitation_that_is_no_longer_pending_admits_nobody(
    world, provider, make_invitation, state
):
    invitation, _ = make_invitation("late@acme.test")
    now = timezone.now()
    if state == "revoked":
        invitation.revoked_at = now
    elif state == "expired":
        invitation.expires_at = now - timedelta(minutes=1)
    else:
        invitation.accepted_at = now
    invitation.save()
    assert sso.admit(provider, "late@acme.test").refusal == "not_on_roster"
    assert not User.objects.filter(email="late@acme.test").exists()


def test_owning_an_address_in_the_domain_admits_nobody(world, provider):
    assert sso.admit(provider, "anyone@acme.test") == sso.Admission(
        "anyone@acme.test", refusal="not_on_roster"
    )
    assert not User.objects.filter(email="anyone@acme.test").exists()


def test_a_member_of_another_organisation_only_is_not_admitted(world, provider):
    other = make_user("carol@acme.test")
    Membership.objects.create(user=other, organization=world.other, role=Role.ORG_ADMIN)
    assert sso.admit(provider, "carol@acme.test").refusal == "not_on_roster"


def test_an_address_outside_the_domains_is_refused_even_for_a_member(world, provider):
    # alice@example.com is acme's admin, but acme's provider does not speak for example.com.
    assert sso.admit(provider, "alice@example.com").refusal == "outside_domains"


def test_a_deactivated_member_is_refused(world, provider):
    ada = make_user("ada@acme.test")
    Membership.objects.create(user=ada, organization=world.acme, role=Role.MEMBER, team=world.alpha)
    User.objects.filter(pk=ada.pk).update(is_active=False)
    assert sso.admit(provider, "ada@acme.test").refusal == "inactive"


def test_a_member_who_left_with_a_roster_import_is_refused(world, provider):
    ada = make_user("ada@acme.test")
    Membership.objects.create(
        user=ada,
        organization=world.acme,
        role=Role.MEMBER,
        team=world.alpha,
        deactivated_at=timezone.now(),
    )
    assert sso.admit(provider, "ada@acme.test").refusal == "left"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SSO_SIGNED_IN).exists()


def test_no_email_is_refused(world, provider):
    assert sso.admit(provider, "").refusal == "no_email"
