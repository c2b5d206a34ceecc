"""Single sign-on pages: the email step of sign-in, and the org admin's provider page."""

from __future__ import annotations

import logging

from allauth.socialaccount.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from onelogin.saml2.errors import OneLogin_Saml2_Error
from requests import RequestException

from . import sso
from .access import ADMIN_ONLY, AuthenticatedHttpRequest, org_view, public_view
from .forms import SignInForm
from .models import IdentityProvider, Membership
from .sso_forms import EmailStepForm, IdentityProviderForm

logger = logging.getLogger(__name__)

password_sign_in = auth_views.LoginView.as_view(
    authentication_form=SignInForm, redirect_authenticated_user=True
)


def _safe_next(request: HttpRequest) -> str | None:
    url = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and ok else None


def to_identity_provider(request: HttpRequest, provider: IdentityProvider) -> HttpResponse:
    """Send the browser to the organisation's identity provider (allauth keeps the state)."""
    allauth_provider = get_adapter(request).get_provider(
        request, provider=provider.organization.slug
    )
    try:
        return allauth_provider.redirect(request, process="login", next_url=_safe_next(request))
    except (RequestException, OneLogin_Saml2_Error, ImproperlyConfigured, KeyError) as error:
        logger.warning("identity provider of %s failed: %r", provider.organization, error)
        return render(
            request,
            "registration/sso_error.html",
            {"unreachable": True, "org_name": provider.organization.name},
            status=502,
        )


@public_view
@never_cache  # a sign-in page is never cached (as Django's own LoginView)
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponseBase:
    """Email first: a company domain goes to its identity provider, anyone else gets the
    password step. A post with a password is Django's sign-in (django-axes counts it),
    unless the person must use single sign-on: then the password is not even checked."""
    if request.user.is_authenticated:
        return password_sign_in(request)  # which sends them home
    if request.method == "GET":
        if "email" not in request.GET:
            return render(request, "registration/login.html", {"form": EmailStepForm()})
        # "Sign in with a password instead", the email filled in.
        form = EmailStepForm({"username": request.GET["email"][:254]})
        return _password_step(request, form.cleaned_data["username"] if form.is_valid() else "")
    if "password" in request.POST:
        required = sso.required_provider_for(request.POST.get("username", "")[:254])
        if required is not None:
            return to_identity_provider(request, required)
        return password_sign_in(request)
    form = EmailStepForm(request.POST)
    if not form.is_valid():
        return render(request, "registration/login.html", {"form": form}, status=400)
    email = form.cleaned_data["username"]
    provider = sso.provider_for_email(email)
    if provider is not None:
        return to_identity_provider(request, provider)
    return _password_step(request, email)


def _password_step(request: HttpRequest, email: str) -> HttpResponse:
    form = SignInForm(request, initial={"username": email})
    form.fields["password"].widget.attrs["autofocus"] = True
    form.fields["username"].widget.attrs.pop("autofocus", None)
    return render(request, "registration/login.html", {"form": form, "step": "password"})


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_sso(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    existing = IdentityProvider.objects.filter(organization=org).first()
    initial: dict[str, object] = {"protocol": IdentityProvider.Protocol.OIDC, "enabled": True}
    if existing:
        initial = {f: getattr(existing, f) for f in sso.SETTING_FIELDS}
        initial["domains"] = "\n".join(existing.domain_names())
    form = IdentityProviderForm(
        request.POST or None, organization=org, existing=existing, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        domains = data.pop("domains")
        try:
            sso.save_identity_provider(request.user, org, data, domains)
        except sso.DomainTaken:
            form.add_error(
                "domains", "One of these domains was just claimed by another organisation."
            )
        else:
            messages.success(request, "Single sign-on saved.")
            return redirect("admin_sso", org=org.slug)
    return render(
        request,
        "orgs/admin/sso.html",
        {
            "m": m,
            "form": form,
            "provider": existing,
            "section": "sso",
            "endpoints": {
                name: request.build_absolute_uri(reverse(name, args=[org.slug]))
                for name in ("openid_connect_callback", "saml_acs", "saml_metadata")
            },
        },
        status=400 if form.errors else 200,
    )
