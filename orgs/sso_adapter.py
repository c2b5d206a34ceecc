"""django-allauth, held to the protocol work: it talks OpenID Connect and SAML with each
organisation's identity provider; who gets in is decided by orgs/sso.py.

The allauth apps are built per request from our IdentityProvider rows (nothing stored in
allauth's SocialApp table), and allauth's own account sign-up never opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialApp, SocialLogin
from django.http import HttpRequest
from django.shortcuts import render

from . import sso
from .models import IdentityProvider

PROTOCOL_TO_ALLAUTH = {
    IdentityProvider.Protocol.OIDC: "openid_connect",
    IdentityProvider.Protocol.SAML: "saml",
}

# SAML attributes read for the email and name, in the order tried (Entra ID, Okta, ADFS,
# Google and the OIDs of the SAML attribute profiles).
SAML_ATTRIBUTES = {
    "uid": ["urn:oasis:names:tc:SAML:attribute:subject-id"],
    "email": [
        "urn:oid:0.9.2342.19200300.100.1.3",
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "email",
        "mail",
    ],
    "first_name": [
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "urn:oid:2.5.4.42",
        "firstName",
    ],
    "last_name": [
        "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "urn:oid:2.5.4.4",
        "lastName",
    ],
}


def social_app_for(provider: IdentityProvider) -> SocialApp:
    """The allauth app (unsaved) that speaks to `provider`; its provider id is the
    organisation's slug, so URLs read /accounts/oidc/<org>/... and /accounts/saml/<org>/..."""
    org = provider.organization
    app = SocialApp(
        provider=PROTOCOL_TO_ALLAUTH[IdentityProvider.Protocol(provider.protocol)],
        provider_id=org.slug,
        name=org.name,
    )
    if provider.is_oidc():
        app.client_id = provider.client_id
        app.secret = provider.client_secret
        app.settings = {"server_url": provider.issuer_url, "oauth_pkce_enabled": True}
    else:
        app.client_id = org.slug  # allauth's SAML URLs are keyed by client_id
        idp: dict[str, str] = {"entity_id": provider.saml_entity_id}
        if provider.saml_metadata_url:
            idp["metadata_url"] = provider.saml_metadata_url
        else:
            idp |= {"sso_url": provider.saml_sso_url, "x509cert": provider.saml_certificate}
        app.settings = {
            "idp": idp,
            "attribute_mapping": SAML_ATTRIBUTES,
            "advanced": {"strict": True, "reject_idp_initiated_sso": True},
        }
    return app


def refuse(request: HttpRequest, reason: str, email: str = "") -> ImmediateHttpResponse:
    return ImmediateHttpResponse(
        render(
            request,
            "registration/sso_refused.html",
            {"reason": sso.REFUSALS[reason], "email": email},
            status=403,
        )
    )


@dataclass(frozen=True)
class Assertion:
    """What the identity provider said about the person: email, its `email_verified` claim
    if it made one (None when silent, as enterprise providers often are), and a name."""

    email: str
    verified: bool | None
    name: str


def _first(values: Any) -> str:
    if isinstance(values, list):
        values = values[0] if values else ""
    return values if isinstance(values, str) else ""


def asserted(sociallogin: SocialLogin) -> Assertion:
    """OpenID Connect keeps the claims under "userinfo" / "id_token"; SAML keeps the raw
    attributes (lists of values)."""
    data = sociallogin.account.extra_data or {}
    email = (sociallogin.user.email if sociallogin.user else "") or ""
    if not email and sociallogin.email_addresses:
        email = sociallogin.email_addresses[0].email
    claims = (data.get("userinfo") or data.get("id_token")) if isinstance(data, dict) else None
    if isinstance(claims, dict):
        verified = claims.get("email_verified")
        return Assertion(
            email.strip().lower(),
            verified if isinstance(verified, bool) else None,
            _first(claims.get("name")),
        )
    parts = [
        next((v for attr in SAML_ATTRIBUTES[key] if (v := _first(data.get(attr)))), "")
        for key in ("first_name", "last_name")
    ]
    return Assertion(email.strip().lower(), None, " ".join(p for p in parts if p))


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[SocialApp]:
        rows = IdentityProvider.objects.filter(enabled=True).select_related("organization")
        if provider is not None and provider in PROTOCOL_TO_ALLAUTH.values():
            protocol = {v: k for k, v in PROTOCOL_TO_ALLAUTH.items()}[provider]
            rows = rows.filter(protocol=protocol)
        elif provider:
            rows = rows.filter(organization__slug=provider)
        apps = [social_app_for(row) for row in rows]
        return [app for app in apps if not client_id or app.client_id == client_id]

    def pre_social_login(self, request: HttpRequest, sociallogin: SocialLogin) -> None:
        """Sign in only someone the roster or an invitation has a place for."""
        provider = IdentityProvider.objects.select_related("organization").get(
            organization__slug=sociallogin.provider.app.provider_id
        )
        said = asserted(sociallogin)
        if said.verified is False:
            raise refuse(request, "unverified_email", said.email)
        admission = sso.admit(provider, said.email, said.name)
        if admission.user is None:
            raise refuse(request, admission.refusal, said.email)
        if sociallogin.is_existing:
            if sociallogin.user.pk != admission.user.pk:
                raise refuse(request, "other_account", said.email)
        else:
            sociallogin.connect(request, admission.user)

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: Exception | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """Cancelled, refused by the provider, or a broken response: our own page (allauth's
        would link to its account pages, which are not mounted)."""
        raise ImmediateHttpResponse(
            render(
                request,
                "registration/sso_error.html",
                {"cancelled": error == "cancelled", "org_name": provider.app.name},
                status=401,
            )
        )

    def is_open_for_signup(self, request: HttpRequest, sociallogin: SocialLogin) -> bool:
        # Everyone admitted already has an account by now (pre_social_login).
        return False


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False  # sign-up is ours (orgs.views.signup, invitations), never allauth's

    def login(self, request: HttpRequest, user: Any) -> None:
        # allauth would pick the first backend with get_user (axes' standalone backend,
        # which loads nobody); sessions must name the model backend.
        user.backend = "django.contrib.auth.backends.ModelBackend"
        super().login(request, user)
