"""allauth's provider URLs, and only those: the OpenID Connect login and callback and the
SAML endpoints, each per organisation. Mounted under /accounts/ (config/urls.py). allauth's
account, sign-up and connections pages are deliberately not mounted."""

from __future__ import annotations

from functools import wraps
from typing import Any

from allauth.socialaccount.providers.openid_connect import views as oidc
from allauth.socialaccount.providers.saml import views as saml
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import path
from requests import RequestException

from .access import View, public_view


def _public(view: View) -> View:
    """A wrapper that declares allauth's view open to anonymous visitors (orgs/access.py):
    the protocol itself authenticates, and pre_social_login decides who gets in."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except RequestException:
            # The provider's discovery document could not be read: say so, not a 500.
            return render(request, "registration/sso_error.html", {"unreachable": True}, status=502)

    return public_view(wrapped)


sso_patterns = [
    path("oidc/<str:provider_id>/login/", _public(oidc.login), name="openid_connect_login"),
    path(
        "oidc/<str:provider_id>/login/callback/",
        _public(oidc.callback),
        name="openid_connect_callback",
    ),
    path("saml/<str:organization_slug>/login/", _public(saml.login), name="saml_login"),
    path("saml/<str:organization_slug>/acs/", _public(saml.acs), name="saml_acs"),
    path(
        "saml/<str:organization_slug>/acs/finish/", _public(saml.finish_acs), name="saml_finish_acs"
    ),
    path("saml/<str:organization_slug>/sls/", _public(saml.sls), name="saml_sls"),
    path("saml/<str:organization_slug>/metadata/", _public(saml.metadata), name="saml_metadata"),
]
