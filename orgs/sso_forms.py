"""Forms of single sign-on: the email step of sign-in and the org admin's provider page."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from allauth.socialaccount.providers import registry
from cryptography import x509
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms

from . import sso
from .models import IdentityProvider, IdentityProviderDomain, Organization

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_PEM_ARMOUR = re.compile(r"-----(BEGIN|END) CERTIFICATE-----|\s+")


class EmailStepForm(forms.Form):
    """The first step of sign-in: the email alone, to route a company domain to its
    identity provider. Named `username` like the password step's field (and axes)."""

    username = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


def is_local_host(host: str) -> bool:
    """This machine or a private network: a provider URL there would make our server fetch
    internal addresses for whoever configures it."""
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def provider_url(value: str, label: str) -> str:
    """An https URL without query or fragment, on a public host. A provider on this machine
    or a private network (plain http allowed there) only with
    RECOUPLE_SSO_ALLOW_LOCAL_PROVIDERS, which is on in development only. Raises
    ValidationError with a message naming `label`."""
    parts = urlsplit(value)
    host = (parts.hostname or "").lower()
    local = is_local_host(host)
    if local and not settings.RECOUPLE_SSO_ALLOW_LOCAL_PROVIDERS:
        raise forms.ValidationError(
            f"The {label} points at this server or a private network; use the provider's "
            "public address."
        )
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        raise forms.ValidationError(f"The {label} must start with https://.")
    if not host or parts.query or parts.fragment or parts.username or parts.password:
        raise forms.ValidationError(
            f"The {label} is a plain address like https://login.example.com/, "
            "without ?query, #fragment or a user name."
        )
    return value.rstrip("/") if "/.well-known/" not in value else value


def certificate_body(text: str) -> str:
    """The base64 body of a PEM (or bare base64) X.509 certificate, checked to parse."""
    body = _PEM_ARMOUR.sub("", text)
    try:
        x509.load_der_x509_certificate(base64.b64decode(body, validate=True))
    except (binascii.Error, ValueError) as error:
        raise forms.ValidationError(
            "This is not an X.509 certificate. Paste the IdP's signing certificate (PEM)."
        ) from error
    return body


class IdentityProviderForm(forms.Form):
    protocol = forms.ChoiceField(
        choices=IdentityProvider.Protocol.choices, widget=forms.RadioSelect, label="Protocol"
    )
    enabled = forms.BooleanField(
        required=False,
        label="Route these domains to the identity provider",
        help_text="Off: nobody is sent to the provider; passwords work for everyone.",
    )
    sso_required = forms.BooleanField(
        required=False,
        label="Require single sign-on",
        help_text=(
            "Members whose email is in these domains cannot sign in or reset a password; "
            "they sign in through the provider only."
        ),
    )
    domains = forms.CharField(
        label="Email domains",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "One per line or separated by commas, e.g. example.com. People with these "
            "addresses are sent to the provider; they get in only if they are on the roster "
            "or invited."
        ),
    )
    issuer_url = forms.CharField(
        label="Issuer URL",
        max_length=300,
        required=False,
        help_text="OpenID Connect: the issuer; its /.well-known/openid-configuration is read.",
    )
    client_id = forms.CharField(label="Client ID", max_length=200, required=False)
    client_secret = forms.CharField(
        label="Client secret",
        max_length=500,
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    saml_entity_id = forms.CharField(label="IdP entity ID", max_length=300, required=False)
    saml_metadata_url = forms.CharField(
        label="IdP metadata URL",
        max_length=300,
        required=False,
        help_text="SAML: either the metadata URL, or the SSO URL and certificate below.",
    )
    saml_sso_url = forms.CharField(label="IdP SSO URL", max_length=300, required=False)
    saml_certificate = forms.CharField(
        label="IdP signing certificate (PEM)",
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
    )

    def __init__(
        self,
        *args: Any,
        organization: Organization,
        existing: IdentityProvider | None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.organization, self.existing = organization, existing
        if existing and existing.client_secret:
            self.fields["client_secret"].help_text = (
                "A secret is saved (not shown). Leave empty to keep it; "
                "type a new one to replace it."
            )

    def clean_domains(self) -> list[str]:
        try:
            domains = sso.parse_domains(self.cleaned_data["domains"])
        except sso.DomainError as error:
            raise forms.ValidationError(str(error)) from error
        if not domains:
            raise forms.ValidationError("At least one email domain.")
        claimed = IdentityProviderDomain.objects.filter(domain__in=domains).exclude(
            provider__organization=self.organization
        )
        taken = sorted(claimed.values_list("domain", flat=True))
        if taken:
            raise forms.ValidationError(
                f"{', '.join(taken)} {'is' if len(taken) == 1 else 'are'} claimed by another "
                "organisation. A domain routes to one organisation only."
            )
        return domains

    def _url(self, name: str, label: str) -> str:
        value = self.cleaned_data.get(name, "").strip()
        if value:
            try:
                return provider_url(forms.URLField(assume_scheme="https").clean(value), label)
            except forms.ValidationError as error:
                self.add_error(name, error)
        return ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if registry.get_class(self.organization.slug) is not None:
            raise forms.ValidationError(
                "Single sign-on cannot be set up for an organisation at "
                f"/o/{self.organization.slug}/."
            )
        if data.get("protocol") == IdentityProvider.Protocol.OIDC:
            data["issuer_url"] = self._url("issuer_url", "issuer URL")
            for name, label in [("issuer_url", "issuer URL"), ("client_id", "client ID")]:
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, f"OpenID Connect needs the {label}.")
            has_secret = bool(self.existing and self.existing.client_secret)
            if not data.get("client_secret") and not has_secret:
                self.add_error("client_secret", "OpenID Connect needs the client secret.")
        elif data.get("protocol") == IdentityProvider.Protocol.SAML:
            data["saml_metadata_url"] = self._url("saml_metadata_url", "metadata URL")
            data["saml_sso_url"] = self._url("saml_sso_url", "SSO URL")
            if not data.get("saml_entity_id"):
                self.add_error("saml_entity_id", "SAML needs the IdP's entity ID.")
            if data.get("saml_certificate"):
                try:
                    data["saml_certificate"] = certificate_body(data["saml_certificate"])
                except forms.ValidationError as error:
                    self.add_error("saml_certificate", error)
            if not data.get("saml_metadata_url") and not self.errors.get("saml_metadata_url"):
                for name, label in [
                    ("saml_sso_url", "SSO URL"),
                    ("saml_certificate", "certificate"),
                ]:
                    if not data.get(name) and name not in self.errors:
                        self.add_error(name, f"Without a metadata URL, SAML needs the {label}.")
        return data


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Django's reset form, sending nothing to someone who must use single sign-on (the
    page says the same either way, so it reveals nothing)."""

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if sso.required_provider_for(user.email) is None:
                yield user
