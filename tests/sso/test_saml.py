"""SAML 2.0: our AuthnRequest out, and a Response signed with a real XML-DSig signature
(python3-saml's signing on xmlsec, with a key and certificate made here) posted back to our
assertion consumer service, as an identity provider's page would post it."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client
from django.urls import reverse
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from orgs import sso
from orgs.models import IdentityProvider, Membership, Role, User
from tests.builders import make_user

IDP_ENTITY = "https://idp.acme.test/saml"
IDP_SSO = "https://idp.acme.test/saml/sso"
EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
HOST = "recouple.test"
ACS = f"http://{HOST}/accounts/saml/acme/acs/"
SP_ENTITY = f"http://{HOST}/accounts/saml/acme/metadata/"


def key_and_certificate() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "idp.acme.test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def client(settings):
    # Browsers always send Host; python3-saml builds the URLs it checks from it (and wants
    # a dotted host name).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, HOST]
    return Client(HTTP_HOST=HOST)


@pytest.fixture(scope="module")
def idp_keys() -> tuple[str, str]:
    return key_and_certificate()


@pytest.fixture
def acme_saml(world, idp_keys):
    _, cert = idp_keys
    settings = {
        "protocol": IdentityProvider.Protocol.SAML,
        "enabled": True,
        "saml_entity_id": IDP_ENTITY,
        "saml_sso_url": IDP_SSO,
        "saml_certificate": cert,
    }
    sso.save_identity_provider(world.alice, world.acme, settings, ["acme.test"])
    member = make_user("max@acme.test", "Max")
    Membership.objects.create(
        user=member, organization=world.acme, role=Role.MEMBER, team=world.alpha
    )
    return member


def _instant(delta: timedelta = timedelta()) -> str:
    return (datetime.now(UTC) + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def saml_response(in_response_to: str, email: str, key: str, cert: str) -> str:
    """A SAML Response for `email`, the whole message signed (RSA-SHA256)."""
    response_id, assertion_id = f"_{uuid.uuid4().hex}", f"_{uuid.uuid4().hex}"
    soon = _instant(timedelta(minutes=5))
    xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
 xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{response_id}" Version="2.0"
 IssueInstant="{_instant()}" Destination="{ACS}" InResponseTo="{in_response_to}">
 <saml:Issuer>{IDP_ENTITY}</saml:Issuer>
 <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
 <saml:Assertion ID="{assertion_id}" Version="2.0" IssueInstant="{_instant()}">
  <saml:Issuer>{IDP_ENTITY}</saml:Issuer>
  <saml:Subject>
   <saml:NameID Format="{EMAIL_FORMAT}">{email}</saml:NameID>
   <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
    <saml:SubjectConfirmationData NotOnOrAfter="{soon}" Recipient="{ACS}"
     InResponseTo="{in_response_to}"/>
   </saml:SubjectConfirmation>
  </saml:Subject>
  <saml:Conditions NotBefore="{_instant(-timedelta(minutes=1))}" NotOnOrAfter="{soon}">
   <saml:AudienceRestriction><saml:Audience>{SP_ENTITY}</saml:Audience></saml:AudienceRestriction>
  </saml:Conditions>
  <saml:AuthnStatement AuthnInstant="{_instant()}" SessionIndex="{assertion_id}">
   <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext>
  </saml:AuthnStatement>
  <saml:AttributeStatement>
   <saml:Attribute Name="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress">
    <saml:AttributeValue>{email}</saml:AttributeValue>
   </saml:Attribute>
   <saml:Attribute Name="urn:oid:2.5.4.42">
    <saml:AttributeValue>Nia</saml:AttributeValue>
   </saml:Attribute>
   <saml:Attribute Name="urn:oid:2.5.4.4">
    <saml:AttributeValue>Newbie</saml:AttributeValue>
   </saml:Attribute>
  </saml:AttributeStatement>
 </saml:Assertion>
</samlp:Response>"""
    signed = OneLogin_Saml2_Utils.add_sign(xml, key, cert)
    return signed.decode() if isinstance(signed, bytes) else signed


def start_sign_in(client, email: str, next_url: str = "") -> str:
    """Our email step for `email`: returns the AuthnRequest's ID sent to the IdP."""
    query = f"?next={next_url}" if next_url else ""
    step = client.post(reverse("login") + query, {"username": email})
    assert step.status_code == 302, step.content[:2000]
    location = urlsplit(step["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == IDP_SSO
    request_xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(
        parse_qs(location.query)["SAMLRequest"][0]
    )
    request_xml = request_xml.decode() if isinstance(request_xml, bytes) else request_xml
    assert f'AssertionConsumerServiceURL="{ACS}"' in request_xml
    return re.search(r'ID="([^"]+)"', request_xml).group(1)


def post_to_acs(client, xml: str):
    encoded = base64.b64encode(xml.encode()).decode()
    return client.post(reverse("saml_acs", args=["acme"]), {"SAMLResponse": encoded}, follow=True)


def test_roster_member_signs_in_with_a_signed_saml_response(client, acme_saml, idp_keys):
    key, cert = idp_keys
    request_id = start_sign_in(client, "max@acme.test")

    page = post_to_acs(client, saml_response(request_id, "max@acme.test", key, cert))

    assert page.status_code == 200, page.content[:2000]
    assert page.redirect_chain[-1][0] == reverse("org_home", args=["acme"])
    assert int(client.session["_auth_user_id"]) == acme_saml.pk


def test_an_invited_person_joins_with_their_name_from_the_attributes(
    client, acme_saml, idp_keys, make_invitation
):
    key, cert = idp_keys
    make_invitation("nia@acme.test")
    request_id = start_sign_in(client, "nia@acme.test")
    page = post_to_acs(client, saml_response(request_id, "nia@acme.test", key, cert))
    assert page.redirect_chain[-1][0] == reverse("org_home", args=["acme"])
    nia = User.objects.get(email="nia@acme.test")
    assert nia.name == "Nia Newbie"
    assert nia.memberships.get().organization.slug == "acme"


def test_sign_in_returns_to_the_page_asked_for(client, acme_saml, idp_keys):
    key, cert = idp_keys
    request_id = start_sign_in(client, "max@acme.test", next_url="/o/acme/cycles/")
    page = post_to_acs(client, saml_response(request_id, "max@acme.test", key, cert))
    assert page.redirect_chain[-1][0] == "/o/acme/cycles/"


def test_an_offsite_next_url_is_ignored(client, acme_saml, idp_keys):
    key, cert = idp_keys
    request_id = start_sign_in(client, "max@acme.test", next_url="https://evil.example/")
    page = post_to_acs(client, saml_response(request_id, "max@acme.test", key, cert))
    assert page.redirect_chain[-1][0] == reverse("org_home", args=["acme"])


def test_someone_not_on_the_roster_is_refused(client, acme_saml, idp_keys):
    key, cert = idp_keys
    request_id = start_sign_in(client, "stranger@acme.test")

    page = post_to_acs(client, saml_response(request_id, "stranger@acme.test", key, cert))

    assert page.status_code == 403
    assert "roster" in page.content.decode()
    assert "_auth_user_id" not in client.session
    assert not User.objects.filter(email="stranger@acme.test").exists()


def test_a_response_changed_after_signing_is_rejected(client, acme_saml, idp_keys):
    key, cert = idp_keys
    request_id = start_sign_in(client, "stranger@acme.test")
    signed = saml_response(request_id, "stranger@acme.test", key, cert)

    page = post_to_acs(client, signed.replace("stranger@acme.test", "max@acme.test"))

    assert page.status_code == 401
    assert "could not accept" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_response_signed_by_another_key_is_rejected(client, acme_saml):
    other_key, other_cert = key_and_certificate()
    request_id = start_sign_in(client, "max@acme.test")

    page = post_to_acs(client, saml_response(request_id, "max@acme.test", other_key, other_cert))

    assert page.status_code == 401
    assert "_auth_user_id" not in client.session


def test_an_unsolicited_response_is_rejected(client, acme_saml, idp_keys):
    # A response must answer a request this browser sent (no IdP-initiated sign-in).
    key, cert = idp_keys
    page = post_to_acs(client, saml_response("_never-sent", "max@acme.test", key, cert))
    assert page.status_code == 403
    assert "_auth_user_id" not in client.session
