"""The org admin's single sign-on page: who may open it, what it saves, what it refuses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from orgs import sso
from orgs.models import AuditEvent, IdentityProvider

from .test_saml import key_and_certificate

SECRET = "a-client-secret-nobody-should-see-again-42"


def url(org: str = "acme") -> str:
    return reverse("admin_sso", args=[org])


def oidc_form(**overrides: str) -> dict[str, str]:
    return {
        "protocol": "oidc",
        "enabled": "on",
        "domains": "acme.test",
        "issuer_url": "https://login.acme.test/oauth2",
        "client_id": "recouple",
        "client_secret": SECRET,
        **overrides,
    }


def saml_form(**overrides: str) -> dict[str, str]:
    return {
        "protocol": "saml",
        "enabled": "on",
        "domains": "acme.test",
        "saml_entity_id": "https://idp.acme.test/saml",
        "saml_sso_url": "https://idp.acme.test/saml/sso",
        "saml_certificate": key_and_certificate()[1],
        **overrides,
    }


# --- Access ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "status"),
    [("alice", 200), ("leo", 403), ("tess", 403), ("max", 403), ("charlie", 404)],
)
def test_only_the_org_admin_opens_the_page(world, login, actor, status):
    assert login(getattr(world, actor)).get(url()).status_code == status


def test_outsider_cannot_save_either(world, login):
    response = login(world.charlie).post(url(), oidc_form())
    assert response.status_code == 404
    assert not IdentityProvider.objects.exists()


def test_anonymous_goes_to_sign_in(db, client):
    response = client.get(url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_other_methods_are_refused(world, login):
    assert login(world.alice).put(url()).status_code == 405


# --- Saving ------------------------------------------------------------------------------


def test_admin_saves_openid_connect_and_the_secret_is_never_shown_back(world, login):
    client = login(world.alice)
    response = client.post(url(), oidc_form(domains="Acme.test, @acme-labs.test\nacme.test"))
    assert response.status_code == 302 and response["Location"] == url()
    provider = IdentityProvider.objects.get(organization=world.acme)
    assert (provider.protocol, provider.issuer_url, provider.client_id) == (
        "oidc",
        "https://login.acme.test/oauth2",
        "recouple",
    )
    assert provider.client_secret == SECRET
    assert provider.domain_names() == ["acme-labs.test", "acme.test"]
    page = client.get(url()).content.decode()
    assert SECRET not in page
    assert "A secret is saved (not shown)" in page
    assert "http://testserver/accounts/oidc/acme/login/callback/" in page
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.SSO_CHANGED)
    assert "client_secret" in event.data["fields"]
    assert SECRET not in str(event.data)


def test_saving_without_a_secret_keeps_the_stored_one(world, login):
    client = login(world.alice)
    client.post(url(), oidc_form())
    response = client.post(url(), oidc_form(client_secret="", client_id="renamed"))
    assert response.status_code == 302
    provider = IdentityProvider.objects.get(organization=world.acme)
    assert (provider.client_id, provider.client_secret) == ("renamed", SECRET)


def test_admin_saves_saml_with_a_certificate(world, login):
    response = login(world.alice).post(url(), saml_form(sso_required="on"))
    assert response.status_code == 302
    provider = IdentityProvider.objects.get(organization=world.acme)
    assert provider.protocol == "saml" and provider.sso_required
    assert "BEGIN" not in provider.saml_certificate  # stored as the bare base64 body


def test_removing_a_domain_frees_it(world, login):
    client = login(world.alice)
    client.post(url(), oidc_form(domains="acme.test, old.test"))
    client.post(url(), oidc_form(domains="acme.test", client_secret=""))
    assert sso.provider_for_email("x@old.test") is None
    assert sso.provider_for_email("x@acme.test").organization == world.acme


# --- Bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("issuer", "message"),
    [
        ("not a url", "Enter a valid URL."),
        ("ftp://login.acme.test", "must start with https://"),
        ("http://login.acme.test", "must start with https://"),
        ("https://login.acme.test/?tenant=1", "without ?query"),
        ("https://user:pw@login.acme.test", "without ?query"),
        ("", "OpenID Connect needs the issuer URL."),
        ("https://" + "x" * 300 + ".test", "at most 300 characters"),
    ],
)
def test_a_bad_issuer_url_is_refused_and_what_was_typed_is_kept(world, login, issuer, message):
    response = login(world.alice).post(url(), oidc_form(issuer_url=issuer, client_id="kept-id"))
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert 'value="kept-id"' in body
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize(
    "issuer",
    [
        "http://127.0.0.1:8080",
        "https://localhost/",
        "https://10.0.0.5/oidc",
        "https://169.254.169.254/latest",
        "https://[::1]:8443/",
        "https://idp.localhost/",
    ],
)
def test_a_provider_on_this_machine_or_a_private_network_is_refused(world, login, issuer):
    response = login(world.alice).post(url(), oidc_form(issuer_url=issuer))
    assert response.status_code == 400
    assert "points at this server or a private network" in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_local_provider_is_allowed_when_development_allows_it(world, login, settings):
    settings.RECOUPLE_SSO_ALLOW_LOCAL_PROVIDERS = True
    response = login(world.alice).post(url(), oidc_form(issuer_url="http://127.0.0.1:8080"))
    assert response.status_code == 302
    assert IdentityProvider.objects.get().issuer_url == "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        ("", "This field is required."),
        ("acme", "is not a domain name"),
        ("acme.test, not a domain!", "is not a domain name"),
        ("-acme.test", "is not a domain name"),
        ("acme..test", "is not a domain name"),
        ("gmail.com", "public mail provider"),
        (", ".join(f"d{i}.test" for i in range(21)), "At most 20 domains."),
        ("a" * 2001, "at most 2000 characters"),
    ],
)
def test_bad_domain_lists_are_refused(world, login, domains, message):
    response = login(world.alice).post(url(), oidc_form(domains=domains))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_a_domain_claimed_by_another_organisation_is_refused(world, login):
    login(world.charlie).post(url("other"), oidc_form(domains="shared.test"))
    assert sso.provider_for_email("x@shared.test").organization == world.other

    response = login(world.alice).post(url(), oidc_form(domains="acme.test, Shared.test"))

    assert response.status_code == 400
    assert "shared.test is claimed by another organisation" in response.content.decode()
    assert not IdentityProvider.objects.filter(organization=world.acme).exists()
    assert sso.provider_for_email("x@shared.test").organization == world.other


def test_oidc_needs_a_client_id_and_a_secret_the_first_time(world, login):
    response = login(world.alice).post(url(), oidc_form(client_id="", client_secret=""))
    body = response.content.decode()
    assert response.status_code == 400
    assert "OpenID Connect needs the client ID." in body
    assert "OpenID Connect needs the client secret." in body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"saml_certificate": "not a certificate"}, "This is not an X.509 certificate."),
        ({"saml_certificate": ""}, "Without a metadata URL, SAML needs the certificate."),
        ({"saml_sso_url": ""}, "Without a metadata URL, SAML needs the SSO URL."),
        ({"saml_entity_id": ""}, "SAML needs the IdP"),
        ({"saml_sso_url": "http://idp.acme.test/sso"}, "must start with https://"),
    ],
)
def test_bad_saml_settings_are_refused(world, login, overrides, message):
    response = login(world.alice).post(url(), saml_form(**overrides))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IdentityProvider.objects.exists()


def test_an_unknown_protocol_is_refused(world, login):
    response = login(world.alice).post(url(), oidc_form(protocol="kerberos"))
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
