"""Access rules: the one module every view and download goes through.

An outsider (not a member of the organisation) gets 404 for anything in it, so that
existence does not leak; a member without the right role gets 403.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django_htmx.middleware import HtmxDetails

from .models import Membership, Role, Team, User

if TYPE_CHECKING:
    from assessments.models import ClassifiedAction, Cycle, ReopenRequest, Response
    from reports.models import ActionPlan, Report

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
    membership = (
        Membership.objects.active()  # someone who left (roster import) is an outsider now
        .select_related("organization", "team", "user")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organisation.")
    return membership


def require_role(membership: Membership, roles: Collection[str]) -> None:
    if membership.role not in roles:
        raise PermissionDenied("Your role does not allow this.")


def team_in_org(membership: Membership, team_slug: str) -> Team:
    """A team of the member's organisation, or 404."""
    team = Team.objects.filter(organization=membership.organization, slug=team_slug).first()
    if team is None:
        raise Http404("No such team.")
    return team


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


def cycle_in_org(membership: Membership, cycle_slug: str) -> Cycle:
    """A cycle of the member's organisation, or 404."""
    from assessments.models import Cycle

    cycle = (
        Cycle.objects.select_related("instrument", "organization")
        .filter(organization=membership.organization, slug=cycle_slug)
        .first()
    )
    if cycle is None:
        raise Http404("No such cycle.")
    return cycle


def respondent_team(membership: Membership, cycle: Cycle, team_slug: str) -> Team:
    """The team the member answers for in `cycle`: 404 if it is not in the cycle, 403 if it
    is not the member's own team (nobody answers for another team)."""
    team = team_in_org(membership, team_slug)
    if not cycle.teams.filter(pk=team.pk).exists():
        raise Http404("This team does not take part in this cycle.")
    if membership.team_id != team.pk:
        raise PermissionDenied("You can only answer for your own team.")
    return team


def own_response(membership: Membership, cycle_slug: str, team_slug: str) -> Response | None:
    """The member's existing response for their own team in a cycle of their organisation,
    in one query; None when there is none yet (or the rules would refuse it), so callers
    fall back to `cycle_in_org` and `respondent_team`, which say why. The hot path of
    autosave: every rule of those two is part of the filter."""
    from assessments.models import Response

    if membership.team_id is None:
        return None
    return (
        Response.objects.select_related("cycle__instrument", "cycle__organization", "team")
        .filter(
            cycle__organization=membership.organization,
            cycle__slug=cycle_slug,
            team_id=membership.team_id,
            team__slug=team_slug,  # the member's team is in their organisation already
            cycle__teams=F("team_id"),  # the team still takes part in the cycle
            respondent_id=membership.user_id,
        )
        .first()
    )


def reopen_request_to_decide(
    membership: Membership, cycle: Cycle, request_id: int
) -> ReopenRequest:
    """A reopen request the member may decide: their team's (team lead) or any (org admin).

    Any other id is 404, whether it exists in another team or not at all, so walking ids
    tells nothing; the request carries no respondent for the page to show.
    """
    from assessments.models import ReopenRequest

    request = (
        ReopenRequest.objects.select_related("team", "cycle")
        .filter(cycle=cycle, pk=request_id)
        .first()
    )
    if request is None or not can_lead_team(membership, request.team):
        raise Http404("No such request.")
    return request


@dataclass(frozen=True)
class ReviewScope:
    """Which cycles' and teams' classified actions a reviewer sees, and how.

    ``named``: (cycle id, team id) pairs of teams with at least k submitted respondents in
    that cycle; their actions are shown with the team's name. ``pooled``: pairs of teams
    below k, shown to org admins only, without the team's name, and only where the cycle's
    teams below k have at least k submitted respondents together, so that no action can be
    narrowed down to fewer than k people (a one-person team's action is never shown alone).
    """

    named: frozenset[tuple[int, int]]
    pooled: frozenset[tuple[int, int]]

    def actions_filter(self) -> Q:
        """A filter on ClassifiedAction for the actions in scope (matches none when empty)."""
        by_cycle: dict[int, set[int]] = {}
        for cycle_id, team_id in self.named | self.pooled:
            by_cycle.setdefault(cycle_id, set()).add(team_id)
        q = Q(pk__in=[])
        for cycle_id, team_ids in sorted(by_cycle.items()):
            q |= Q(cycle_id=cycle_id, team_id__in=sorted(team_ids))
        return q & Q(response__status="submitted")

    def names_team(self, cycle_id: int, team_id: int) -> bool:
        """Whether the reviewer may see which team an action of this cycle and team is from."""
        return (cycle_id, team_id) in self.named


def review_scope(membership: Membership) -> ReviewScope:
    """The review queue's anonymity rule, in one query.

    Team leads see their own team's actions only in cycles where it has at least k
    (``organization.anonymity_threshold``) submitted respondents, never below. Org admins
    see every such team's actions by name, and those of smaller teams pooled and unnamed,
    when the cycle's smaller teams reach k respondents together. Others see none.
    """
    from assessments.models import Response

    k = membership.organization.anonymity_threshold
    if membership.is_org_admin():
        teams = Team.objects.filter(organization=membership.organization)
    elif membership.role == Role.TEAM_LEAD and membership.team_id is not None:
        teams = Team.objects.filter(pk=membership.team_id)
    else:
        return ReviewScope(frozenset(), frozenset())
    counts = (
        Response.objects.filter(team__in=teams, status=Response.Status.SUBMITTED)
        .values("cycle_id", "team_id")
        .annotate(n=Count("respondent_id", distinct=True))
        .values_list("cycle_id", "team_id", "n")
    )
    named: set[tuple[int, int]] = set()
    small: dict[int, list[tuple[int, int]]] = {}
    for cycle_id, team_id, n in counts:
        if n >= k:
            named.add((cycle_id, team_id))
        else:
            small.setdefault(cycle_id, []).append((team_id, n))
    pooled: set[tuple[int, int]] = set()
    if membership.is_org_admin():
        for cycle_id, members in small.items():
            if sum(n for _, n in members) >= k:
                pooled.update((cycle_id, team_id) for team_id, _ in members)
    return ReviewScope(frozenset(named), frozenset(pooled))


def reviewable_actions(membership: Membership, scope: ReviewScope) -> QuerySet[ClassifiedAction]:
    """The classified actions in a reviewer's scope (see review_scope)."""
    from assessments.models import ClassifiedAction

    return ClassifiedAction.objects.filter(
        scope.actions_filter(), cycle__organization=membership.organization
    )


def action_for_review(
    membership: Membership, action_id: int, scope: ReviewScope | None = None
) -> ClassifiedAction:
    """A classified action the member may review: 404 outside the organisation or outside
    the review scope (a team below the anonymity threshold, a response not submitted);
    403 for a team lead of another team."""
    from assessments.models import ClassifiedAction

    action = (
        ClassifiedAction.objects.select_related("team", "cycle__instrument", "reviewed_by")
        .filter(cycle__organization=membership.organization, pk=action_id)
        .first()
    )
    if action is None:
        raise Http404("No such action.")
    if not can_lead_team(membership, action.team):
        # 404, not 403: another team's action must look like a missing one, or walking ids
        # would count other teams' actions and see new ones arrive.
        if membership.role in REVIEWERS:
            raise Http404("No such action in your review queue.")
        raise PermissionDenied("Only the team's lead or an org admin reviews its actions.")
    scope = scope or review_scope(membership)
    if not reviewable_actions(membership, scope).filter(pk=action.pk).exists():
        raise Http404("No such action in your review queue.")
    return action


def report_for(membership: Membership, report_id: int) -> Report:
    """A report the member may see: 404 outside the organisation; a team report needs the
    team's results to be visible to them (their team, or leadership); a leadership report
    needs a leadership role (403)."""
    from reports.models import Report

    report = (
        Report.objects.select_related("team", "cycle", "organization", "requested_by")
        .filter(organization=membership.organization, pk=report_id)
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    allowed = can_see_team(membership, report.team) if report.team else membership.is_leadership()
    if not allowed:
        raise PermissionDenied("This report is not yours to see.")
    return report


def visible_reports(membership: Membership) -> QuerySet[Report]:
    """Reports of the organisation the member may see."""
    from reports.models import Report

    reports = Report.objects.filter(organization=membership.organization)
    if membership.is_leadership():
        return reports
    return reports.filter(team_id=membership.team_id) if membership.team_id else reports.none()


def plan_for(membership: Membership, plan_id: int) -> ActionPlan:
    """An action plan of the member's organisation: 404 outside it; recording and changing
    decisions is for leadership (403 for anyone else)."""
    from reports.models import ActionPlan

    plan = (
        ActionPlan.objects.select_related("cycle", "owner__user", "created_by")
        .filter(organization=membership.organization, pk=plan_id)
        .first()
    )
    if plan is None:
        raise Http404("No such action plan.")
    if not membership.is_leadership():
        raise PermissionDenied("Only leaders and org admins record and change decisions.")
    return plan


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
