"""Single sign-on through a real OpenID Connect provider on loopback (npm oidc-provider):
our email step, the provider's sign-in page, the code exchange and userinfo, and back."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from allauth.socialaccount.models import SocialAccount
from django.core.management import call_command

from orgs.models import AuditEvent, Invitation, Membership, Role, User
from tests.builders import make_user

from .conftest import configure_oidc, sign_in_through_provider, text_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme_sso(world, oidc_server):
    """acme signs in with the loopback provider; max@acme.test is on its roster (Alpha)."""
    configure_oidc(world.acme, oidc_server.issuer)
    member = make_user("max@acme.test", "Max")
    Membership.objects.create(
        user=member, organization=world.acme, role=Role.MEMBER, team=world.alpha
    )
    return member


def test_roster_member_signs_in_through_the_provider(acme_sso, oidc_server, live_server):
    session = sign_in_through_provider(live_server.url, "Max@Acme.test", "max")

    assert session.to_provider.startswith(f"{oidc_server.issuer}/auth?")
    assert "code_challenge=" in session.to_provider  # PKCE
    final = session.last
    assert final.status_code == 200, final.text[:2000]
    assert final.url == f"{live_server.url}/o/acme/"
    assert "Acme" in final.text
    account = SocialAccount.objects.get(user=acme_sso)
    assert (account.provider, account.uid) == ("acme", "max")
    assert AuditEvent.objects.filter(
        organization__slug="acme", action=AuditEvent.Action.SSO_SIGNED_IN, actor=acme_sso
    ).exists()
    # A second sign-in finds the linked account and keeps one link.
    again = sign_in_through_provider(live_server.url, "max@acme.test", "max")
    assert again.last.url == f"{live_server.url}/o/acme/"
    assert SocialAccount.objects.filter(user=acme_sso).count() == 1


def test_someone_not_on_the_roster_is_refused_and_no_account_is_made(
    acme_sso, oidc_server, live_server
):
    session = sign_in_through_provider(live_server.url, "stranger@acme.test", "stranger")

    assert session.last.status_code == 403
    assert "not on this organisation's roster" in text_of(session.last)
    assert not User.objects.filter(email="stranger@acme.test").exists()
    assert not SocialAccount.objects.filter(uid="stranger").exists()
    assert "_auth_user_id" not in session.cookies.get_dict()
    # Not signed in: the organisation's pages still send them to sign in.
    home = session.get(f"{live_server.url}/o/acme/", allow_redirects=False, timeout=20)
    assert home.status_code == 302 and "/accounts/login/" in home.headers["Location"]


def test_an_invited_person_joins_with_their_first_sign_in(
    acme_sso, oidc_server, live_server, make_invitation
):
    invitation, _ = make_invitation("newbie@acme.test", role=Role.MEMBER, team=None)

    session = sign_in_through_provider(live_server.url, "newbie@acme.test", "newbie")

    assert session.last.url == f"{live_server.url}/o/acme/", session.last.text[:2000]
    user = User.objects.get(email="newbie@acme.test")
    assert user.name == "Nia Newbie"
    assert not user.has_usable_password()
    membership = Membership.objects.get(user=user)
    assert (membership.organization.slug, membership.role, membership.team) == (
        "acme",
        Role.MEMBER,
        invitation.team,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user


def test_an_address_outside_the_organisations_domains_is_refused(
    acme_sso, oidc_server, live_server
):
    # The provider vouches for max@elsewhere.test: acme's provider may not speak for it,
    # even though that address could belong to someone in another organisation.
    make_user("max@elsewhere.test")
    session = sign_in_through_provider(live_server.url, "max@acme.test", "elsewhere")
    assert session.last.status_code == 403
    assert "outside the organisation's domains" in text_of(session.last)
    assert not SocialAccount.objects.exists()


def test_an_address_the_provider_says_is_unverified_is_refused(
    world, acme_sso, oidc_server, live_server, make_invitation
):
    make_invitation("unverified@acme.test")
    session = sign_in_through_provider(live_server.url, "unverified@acme.test", "unverified")
    assert session.last.status_code == 403
    assert "not verified" in text_of(session.last)
    assert not User.objects.filter(email="unverified@acme.test").exists()
    assert Invitation.objects.get(email="unverified@acme.test").accepted_at is None


def test_a_person_imported_from_a_roster_signs_in_and_leaving_it_ends_that(
    world, oidc_server, live_server, tmp_path
):
    """The whole path an organisation takes: the roster file puts max on it (no password,
    no invitation), the provider signs him in; a later file without him makes him leave,
    and the same provider sign-in is then refused."""
    configure_oidc(world.acme, oidc_server.issuer)
    first = tmp_path / "roster.csv"
    first.write_text("email,name,team,role\nmax@acme.test,Max Member,Alpha,member\n")
    out = StringIO()
    call_command("import_roster", "acme", str(first), "--json", stdout=out)
    assert json.loads(out.getvalue())["created"] == 1
    max_ = User.objects.get(email="max@acme.test")
    assert not max_.has_usable_password()

    session = sign_in_through_provider(live_server.url, "max@acme.test", "max")
    assert session.last.url == f"{live_server.url}/o/acme/", session.last.text[:2000]
    assert session.cookies.get_dict().get("sessionid")

    second = tmp_path / "roster2.csv"
    second.write_text("email,name,team,role\ntess@example.com,Tess,Alpha,team lead\n")
    out = StringIO()
    call_command("import_roster", "acme", str(second), "--deactivate-missing", "--json", stdout=out)
    assert json.loads(out.getvalue())["deactivated"] >= 1
    assert Membership.objects.get(user=max_).deactivated_at is not None

    again = sign_in_through_provider(live_server.url, "max@acme.test", "max")
    assert again.last.status_code == 403
    assert "no longer on this organisation's roster" in text_of(again.last)
    assert "_auth_user_id" not in again.cookies.get_dict()
    home = again.get(f"{live_server.url}/o/acme/", allow_redirects=False, timeout=20)
    assert home.status_code == 302 and "/accounts/login/" in home.headers["Location"]
