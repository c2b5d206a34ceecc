"""Access rules: the one module every view and download goes through.

An outsider (not a member of the organisation) gets 404 for anything in it, so that
existence does not leak; a member without the right role gets 403. This module holds the
rules (membership, roles, which teams a member sees or leads) and the view decorators; the
loaders of other apps' objects live next to their models and use these rules
(assessments/access.py, reports/access.py), so imports run orgs <- assessments <- reports.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, resolve_url
from django_htmx.middleware import HtmxDetails

from .models import Membership, Role, Team, User

ADMIN_ONLY = (Role.ORG_ADMIN,)
LEADERSHIP = (Role.ORG_ADMIN, Role.LEADER)
ANY_ROLE = tuple(Role)
REVIEWERS = (Role.ORG_ADMIN, Role.TEAM_LEAD)

View = Callable[..., HttpResponseBase]


class AuthenticatedHttpRequest(HttpRequest):
    """The request a view behind `org_view` or `signed_in_view` gets: the decorator has
    checked sign-in, so `user` is a real user (healthchecks' idea); `htmx` comes from
    django-htmx's middleware. For type checking only: no request is of this class."""

    user: User
    htmx: HtmxDetails


def membership_for(user: Any, org_slug: str) -> Membership:
    """The signed-in user's membership of the organisation, or 404."""
    if not user.is_authenticated:
        raise Http404
    return get_object_or_404(
        # someone who left (roster import) is an outsider now
        Membership.objects.active().select_related("organization", "team", "user"),
        user=user,
        organization__slug=org_slug,
    )


def require_role(membership: Membership, roles: Collection[str]) -> None:
    if membership.role not in roles:
        raise PermissionDenied("Your role does not allow this.")


def team_in_org(membership: Membership, team_slug: str) -> Team:
    """A team of the member's organisation, or 404."""
    return get_object_or_404(Team, organization=membership.organization, slug=team_slug)


def can_see_team(membership: Membership, team: Team) -> bool:
    """Team results: leadership sees every team (anonymity applies), others only their own."""
    return membership.is_leadership() or membership.team_id == team.pk


def can_lead_team(membership: Membership, team: Team) -> bool:
    """Team management (reopen responses, review actions): the team's lead and org admins."""
    return membership.is_org_admin() or membership.leads(team)


def team_for(membership: Membership, team_slug: str, *, lead: bool = False) -> Team:
    """Load a team the member may see (or lead, with `lead=True`): 404 outside, 403 inside."""
    team = team_in_org(membership, team_slug)
    allowed = can_lead_team(membership, team) if lead else can_see_team(membership, team)
    if not allowed:
        raise PermissionDenied("This is another team's page.")
    return team


def _signed_out(request: HttpRequest) -> HttpResponse:
    """Anonymous: pages go to sign-in; background saves get 401 JSON so nothing typed is lost."""
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse(
            {
                "status": "signed_out",
                "message": "You were signed out. Sign in again to keep saving.",
                "login_url": str(settings.LOGIN_URL and resolve_url(settings.LOGIN_URL)),
            },
            status=401,
        )
    return redirect_to_login(request.get_full_path())


def org_view(
    roles: Collection[str] = ANY_ROLE, *, policy: str | None = None
) -> Callable[[View], View]:
    """Decorate a view under /o/<org>/: sign-in, membership (404) and role (403) checks.

    The view is called as `view(request, membership, **other_url_kwargs)`. The declared
    policy is attached to the view so the permission-matrix test can check every URL.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, org: str, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return _signed_out(request)
            membership = membership_for(request.user, org)
            require_role(membership, roles)
            return view(request, membership, **kwargs)

        wrapped.access_policy = policy or ("roles:" + ",".join(sorted(roles)))  # type: ignore[attr-defined]
        return wrapped

    return decorator


def public_view(view: View) -> View:
    """Mark a view as deliberately open to anonymous visitors."""
    view.access_policy = "public"  # type: ignore[attr-defined]
    return view


def signed_in_view(view: View) -> View:
    """A view for any signed-in user, not scoped to an organisation."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return _signed_out(request)
        return view(request, *args, **kwargs)

    wrapped.access_policy = "signed_in"  # type: ignore[attr-defined]
    return wrapped
