"""Loaders of the assessments app's objects for a member: cycles, their own response,
reopen requests and classified actions under review. Each applies the rules of
orgs/access.py: an outsider gets 404, a member without the right role 403."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from orgs.access import REVIEWERS, can_lead_team, team_in_org
from orgs.models import Membership, Role, Team

from .models import ClassifiedAction, Cycle, ReopenRequest, Response


def cycle_in_org(membership: Membership, cycle_slug: str) -> Cycle:
    """A cycle of the member's organisation, or 404."""
    return get_object_or_404(
        Cycle.objects.select_related("instrument", "organization"),
        organization=membership.organization,
        slug=cycle_slug,
    )


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
    request = get_object_or_404(
        ReopenRequest.objects.select_related("team", "cycle"), cycle=cycle, pk=request_id
    )
    if not can_lead_team(membership, request.team):
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
    return ClassifiedAction.objects.filter(
        scope.actions_filter(), cycle__organization=membership.organization
    )


def action_for_review(
    membership: Membership, action_id: int, scope: ReviewScope | None = None
) -> ClassifiedAction:
    """A classified action the member may review: 404 outside the organisation or outside
    the review scope (a team below the anonymity threshold, a response not submitted);
    403 for a team lead of another team."""
    action = get_object_or_404(
        ClassifiedAction.objects.select_related("team", "cycle__instrument", "reviewed_by"),
        cycle__organization=membership.organization,
        pk=action_id,
    )
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
