"""The email-first sign-in page: routing a company domain to its identity provider, the
password step for everyone else, and "require single sign-on" turning passwords off."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from orgs import sso
from orgs.models import IdentityProvider, Membership, Role
from tests.builders import PASSWORD, make_user

from .test_saml import IDP_SSO, key_and_certificate


@pytest.fixture
def acme_idp(world):
    """acme routes acme.test to a SAML provider (nothing to fetch: no network needed)."""
    _, cert = key_and_certificate()
    settings = {
        "protocol": IdentityProvider.Protocol.SAML,
        "enabled": True,
        "saml_entity_id": "https://idp.acme.test/saml",
        "saml_sso_url": IDP_SSO,
        "saml_certificate": cert,
    }
    return sso.save_identity_provider(world.alice, world.acme, settings, ["acme.test"])


@pytest.fixture
def client(client, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "recouple.test"]
    client.defaults["HTTP_HOST"] = "recouple.test"
    return client


@pytest.fixture
def ada(world):
    """ada@acme.test: on acme's roster, with a password."""
    user = make_user("ada@acme.test", "Ada")
    Membership.objects.create(user=user, organization=world.acme, role=Role.MEMBER, team=world.beta)
    return user


def require_sso(provider: IdentityProvider) -> None:
    provider.sso_required = True
    provider.save(update_fields=["sso_required"])


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_sign_in_asks_for_the_email_first(db, client):
    page = client.get(reverse("login"))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="username"' in body
    assert 'name="password"' not in body
    assert "Continue" in body


def test_an_address_without_a_provider_gets_the_password_step(world, client, acme_idp):
    page = client.post(reverse("login"), {"username": "Alice@Example.com"})
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="password"' in body
    assert 'value="alice@example.com"' in body
    signed = client.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD})
    assert signed.status_code == 302 and signed_in(client)


def test_a_company_address_goes_to_its_identity_provider(world, client, acme_idp):
    page = client.post(reverse("login"), {"username": "Someone@ACME.test"})
    assert page.status_code == 302
    assert page["Location"].startswith(IDP_SSO + "?SAMLRequest=")
    assert not signed_in(client)


def test_a_disabled_provider_routes_nobody(world, client, acme_idp):
    acme_idp.enabled = False
    acme_idp.save(update_fields=["enabled"])
    page = client.post(reverse("login"), {"username": "someone@acme.test"})
    assert page.status_code == 200
    assert 'name="password"' in page.content.decode()


@pytest.mark.parametrize("typed", ["", "not-an-email", "x" * 300 + "@acme.test"])
def test_a_bad_email_is_refused_with_a_message_and_kept(db, client, typed):
    page = client.post(reverse("login"), {"username": typed})
    assert page.status_code == 400
    body = page.content.decode()
    assert "invalid-feedback" in body or "This field is required" in body
    assert 'name="password"' not in body


def test_password_instead_link_opens_the_password_step_with_the_email(db, client):
    page = client.get(reverse("login"), {"email": "ada@acme.test"})
    body = page.content.decode()
    assert 'name="password"' in body and 'value="ada@acme.test"' in body


def test_without_required_sso_a_member_may_still_use_their_password(ada, client, acme_idp):
    page = client.post(reverse("login"), {"username": "ada@acme.test", "password": PASSWORD})
    assert page.status_code == 302 and signed_in(client)


@pytest.mark.parametrize("password", [PASSWORD, "wrong password"])
def test_required_sso_sends_a_member_to_the_provider_without_checking_the_password(
    ada, client, acme_idp, password
):
    require_sso(acme_idp)
    page = client.post(reverse("login"), {"username": "ADA@acme.test", "password": password})
    assert page.status_code == 302
    assert page["Location"].startswith(IDP_SSO)
    assert not signed_in(client)
    assert not AccessAttempt.objects.exists()  # no password was tried, right or wrong


def test_required_sso_leaves_people_outside_the_roster_their_password(world, client, acme_idp):
    # someone@acme.test has an account (another organisation's) but is not acme's member.
    other = make_user("someone@acme.test")
    Membership.objects.create(user=other, organization=world.other, role=Role.MEMBER)
    require_sso(acme_idp)
    page = client.post(reverse("login"), {"username": "someone@acme.test", "password": PASSWORD})
    assert page.status_code == 302 and signed_in(client)


def test_required_sso_turns_off_password_reset_for_members(ada, client, acme_idp, mailoutbox):
    require_sso(acme_idp)
    page = client.post(reverse("password_reset"), {"email": "ada@acme.test"})
    assert page.status_code == 302
    assert page["Location"] == reverse("password_reset_done")  # says the same as ever
    assert mailoutbox == []


def test_password_reset_still_works_without_required_sso(ada, client, acme_idp, mailoutbox):
    client.post(reverse("password_reset"), {"email": "ada@acme.test"})
    assert [m.to for m in mailoutbox] == [["ada@acme.test"]]


@pytest.fixture
def unreachable_oidc(world):
    settings = {
        "protocol": IdentityProvider.Protocol.OIDC,
        "issuer_url": "http://127.0.0.1:9",  # nothing listens there
        "client_id": "c",
        "client_secret": "s",
    }
    return sso.save_identity_provider(world.alice, world.acme, settings, ["acme.test"])


def test_an_unreachable_provider_is_a_clear_page_not_a_server_error(client, unreachable_oidc):
    page = client.post(reverse("login"), {"username": "ada@acme.test"})
    assert page.status_code == 502
    assert "could not be reached" in page.content.decode()


def test_the_providers_own_login_url_asks_before_leaving_and_fails_clearly(
    client, unreachable_oidc
):
    login_url = reverse("openid_connect_login", args=["acme"])
    page = client.get(login_url)
    assert page.status_code == 200
    assert "Continue to Acme" in page.content.decode()
    posted = client.post(login_url)
    assert posted.status_code == 502
    assert "could not be reached" in posted.content.decode()


def test_allauth_pages_we_do_not_use_are_not_mounted(db, client):
    for path in ["/accounts/3rdparty/", "/accounts/social/signup/", "/accounts/email/"]:
        assert client.get(path).status_code == 404, path
