"""Single sign-on rules: which identity provider an email address belongs to, whether a
person must use it, and who it may sign in (only people the roster or an invitation has a
place for: owning an email domain never makes anyone a member)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml
from django.db import IntegrityError, transaction
from django.db.models import Field

from . import audit, services
from .models import (
    AuditEvent,
    IdentityProvider,
    IdentityProviderDomain,
    Invitation,
    Organization,
    User,
)

MAX_DOMAINS = 20
# A DNS name: labels of letters, digits and inner hyphens, a top-level label of letters
# (or an IDNA "xn--" label), 253 characters at most.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+(?:[a-z]{{2,63}}|xn--[a-z0-9-]{{1,59}})$")
_SEPARATORS = re.compile(r"[\s,;]+")

# Mail providers anyone can get an address at: an organisation claiming one would send
# everybody with such an address to its identity provider.
PUBLIC_EMAIL_DOMAINS = frozenset(
    yaml.safe_load((Path(__file__).parent / "public_email_domains.yaml").read_text())["domains"]
)


class DomainError(ValueError):
    """A domain list that cannot be used; the message says which entry and why."""


def parse_domains(text: str) -> list[str]:
    """The email domains in `text` (separated by commas, semicolons, spaces or new lines),
    lower-cased, in order, without duplicates. "@example.com" is read as "example.com".
    Raises DomainError naming the first entry that is not a usable domain."""
    domains: list[str] = []
    for raw in _SEPARATORS.split(text.strip()):
        if not raw:
            continue
        entry = raw.lower().removeprefix("@").rstrip(".")
        try:
            entry = entry.encode("idna").decode("ascii")
        except UnicodeError as error:
            raise DomainError(f"“{raw[:80]}” is not a domain name.") from error
        if len(entry) > 253 or not _DOMAIN.match(entry):
            raise DomainError(f"“{raw[:80]}” is not a domain name (like example.com).")
        if entry in PUBLIC_EMAIL_DOMAINS:
            raise DomainError(
                f"{entry} is a public mail provider: anyone can get an address there, "
                "so it cannot be an organisation's domain."
            )
        if entry not in domains:
            domains.append(entry)
    if len(domains) > MAX_DOMAINS:
        raise DomainError(f"At most {MAX_DOMAINS} domains.")
    return domains


def email_domain(email: str) -> str:
    """The domain of an email address, lower-cased; "" when there is no @."""
    _, at, domain = email.rpartition("@")
    return domain.strip().lower() if at else ""


def provider_for_email(email: str) -> IdentityProvider | None:
    """The enabled identity provider that the email's domain routes to, if any."""
    domain = email_domain(email)
    if not domain:
        return None
    claim = (
        IdentityProviderDomain.objects.select_related("provider__organization")
        .filter(domain=domain, provider__enabled=True)
        .first()
    )
    return claim.provider if claim else None


def is_sso_required(provider: IdentityProvider | None, email: str) -> bool:
    """True when the person with this email must sign in through `provider`: it requires
    single sign-on and they are a member of its organisation. (Addresses outside its
    domains never route to it, so contractors with other addresses keep their password.)"""
    if provider is None or not provider.sso_required:
        return False
    return provider.organization.memberships.filter(user__email__iexact=email).exists()


def required_provider_for(email: str) -> IdentityProvider | None:
    """The identity provider this person must use instead of a password, if any."""
    provider = provider_for_email(email)
    return provider if is_sso_required(provider, email) else None


@dataclass(frozen=True)
class Admission:
    """The outcome of an identity provider vouching for `email`: the user to sign in, or
    the reason (a key of REFUSALS) why nobody is signed in."""

    email: str
    user: User | None = None
    refusal: str = ""


REFUSALS = {
    "no_email": "Your identity provider did not tell us your email address.",
    "unverified_email": "Your identity provider says your email address is not verified.",
    "outside_domains": (
        "Your identity provider vouched for an address outside the organisation's domains."
    ),
    "not_on_roster": (
        "You are not on this organisation's roster and have no pending invitation. "
        "Ask an org admin to add or invite you."
    ),
    "inactive": "This account is deactivated. Ask an org admin.",
    "left": ("You are no longer on this organisation's roster. Ask an org admin to add you again."),
    "other_account": "This sign-in is linked to another account. Ask an org admin.",
}


@transaction.atomic
def admit(provider: IdentityProvider, email: str, name: str = "") -> Admission:
    """Decide whom `provider`'s assertion of `email` signs in. A member of the provider's
    organisation is signed in; a person with a pending invitation to it joins (their account
    is created without a password if they have none). Everyone else is refused."""
    email = email.strip().lower()
    if not email:
        return Admission(email, refusal="no_email")
    if email_domain(email) not in provider.domain_names():
        return Admission(email, refusal="outside_domains")
    org = provider.organization
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and not user.is_active:
        return Admission(email, refusal="inactive")
    membership = org.memberships.filter(user=user).first() if user is not None else None
    if membership is not None and membership.deactivated_at is not None:
        # Left with a roster import: kept (with their answers), but no place to sign in to.
        return Admission(email, refusal="left")
    if membership is None:
        invitation = (
            Invitation.objects.pending()
            .select_for_update()
            .filter(organization=org, email__iexact=email)
            .order_by("-sent_at")
            .first()
        )
        if invitation is None:
            return Admission(email, refusal="not_on_roster")
        if user is None:
            user = User.objects.create_user(email, None, name=name[:120])
        services.accept_invitation(invitation, user)
    assert user is not None
    audit.record(org, user, AuditEvent.Action.SSO_SIGNED_IN, provider, email=email)
    return Admission(email, user=user)


SETTING_FIELDS = (
    "protocol",
    "enabled",
    "sso_required",
    "issuer_url",
    "client_id",
    "saml_entity_id",
    "saml_metadata_url",
    "saml_sso_url",
    "saml_certificate",
)


class DomainTaken(ValueError):
    """Another organisation claimed one of the domains in the meantime."""


@transaction.atomic
def save_identity_provider(
    actor: User, org: Organization, settings: dict[str, Any], domains: list[str]
) -> IdentityProvider:
    """Create or update `org`'s identity provider and its domains, audited (field names
    only, never the secret). An empty `client_secret` keeps the stored one."""
    provider = IdentityProvider.objects.select_for_update().filter(organization=org).first()
    created = provider is None
    provider = provider or IdentityProvider(organization=org)
    values = {
        f: settings.get(f, cast(Field, IdentityProvider._meta.get_field(f)).get_default())
        for f in SETTING_FIELDS
    }
    changed = [f for f, value in values.items() if getattr(provider, f) != value]
    for field, value in values.items():
        setattr(provider, field, value)
    if settings.get("client_secret"):
        changed.append("client_secret")
        provider.client_secret = settings["client_secret"]
    provider.save()
    old = set(provider.domains.values_list("domain", flat=True))
    if old != set(domains):
        changed.append("domains")
        provider.domains.exclude(domain__in=domains).delete()
        try:
            with transaction.atomic():
                IdentityProviderDomain.objects.bulk_create(
                    IdentityProviderDomain(provider=provider, domain=d)
                    for d in domains
                    if d not in old
                )
        except IntegrityError as error:
            raise DomainTaken from error
    if created or changed:
        audit.record(
            org, actor, AuditEvent.Action.SSO_CHANGED, provider, fields=changed, domains=domains
        )
    return provider
