"""Loaders of the assessments app's objects for a member: cycles, their own response,
reopen requests and classified actions under review. Each applies the rules of
orgs/access.py: an outsider gets 404, a member without the right role 403."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404

from orgs.access import REVIEWERS, can_lead_team, team_in_org
from orgs.models import Membership, Organization, Role, Team

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

    Read from the latest release of each cycle, never from live submissions: an action
    enters the queue only when a release includes its text, so it arrives together with at
    least k changed people (the release's rule), never alone at the moment its author
    submits. ``named``: (cycle id, team id) pairs of teams released with at least k
    included responses; their actions are shown with the team's name. ``pooled``: pairs of
    the teams in the release's pool of small teams (released only with at least k people
    together), shown to org admins only, without the team's name, so that no action can be
    narrowed down to fewer than k people. ``actions``: the ids of the actions in scope
    whose text is the one the release holds and has a home (reports/text_homes.py);
    ``by_name``: those of them shown with their team's name (their home is their team).
    """

    named: frozenset[tuple[int, int]]
    pooled: frozenset[tuple[int, int]]
    actions: frozenset[int] = frozenset()
    by_name: frozenset[int] = frozenset()  # the actions shown with their team's name

    def actions_filter(self) -> Q:
        """A filter on ClassifiedAction for the actions in scope (matches none when empty)."""
        return Q(pk__in=sorted(self.actions))

    def names_team(self, action_id: int) -> bool:
        """Whether the reviewer may see which team an action is from (its text's home is its
        team: reports/text_homes.py)."""
        return action_id in self.by_name


def review_scope(membership: Membership) -> ReviewScope:
    """The review queue's anonymity rule, over the latest release of each cycle (four
    queries, whatever the number of teams and cycles).

    A text is in the queue only once the release gives it a home (reports/text_homes.py:
    the unit it was first shown in, together with at least k people), and is named by its
    team only where that home is its team: a text first shown in the pool of small teams
    stays unnamed when the team is later shown, or the two lists would meet in one person.
    Team leads see their own team's texts whose home is the team, in cycles whose latest
    release shows the team with at least k included responses (k: the higher of the
    release's and the organisation's threshold), never below. Org admins see every text with
    a home; those whose home is the pool, unnamed. Others see none.
    """
    org = membership.organization
    if membership.is_org_admin():
        team_ids = None
    elif membership.role == Role.TEAM_LEAD and membership.team_id is not None:
        team_ids = {membership.team_id}
    else:
        return ReviewScope(frozenset(), frozenset())
    thresholds, responses = _released_responses(org, team_ids)
    shown, pool_shown = _released_units(list(thresholds))
    named: set[tuple[int, int]] = set()
    pooled: set[tuple[int, int]] = set()
    for cycle_id, threshold in thresholds.values():
        k = max(org.anonymity_threshold, threshold)
        teams = {t: len(held) for (c, t), held in responses.items() if c == cycle_id}
        named |= {(cycle_id, t) for t, n in teams.items() if n >= k and (cycle_id, t) in shown}
        # The release's pool: its teams below the release's threshold, shown together.
        small = {t: n for t, n in teams.items() if n < threshold}
        if team_ids is None and cycle_id in pool_shown and sum(small.values()) >= k:
            pooled |= {(cycle_id, t) for t in small}
    # Each included response's home, as (cycle, home) -> response -> its texts.
    homes: dict[tuple[int, str], dict[int, frozenset[tuple[str, str]]]] = {}
    for (cycle_id, team_id), held in responses.items():
        for rid, (stored, texts) in held.items():
            home = stored
            if stored == LEGACY:  # as the queue showed it then
                home = f"team:{team_id}" if (cycle_id, team_id) in named else ""
                home = "pool" if (cycle_id, team_id) in pooled else home
            if home in (f"team:{team_id}", "pool"):
                homes.setdefault((cycle_id, home), {})[rid] = texts
    wanted: dict[tuple[int, str, str], bool] = {}  # (response, item, text) -> named
    for (cycle_id, home), members in homes.items():
        # Today's threshold applies at once (a raised k before its regrouping release): a
        # home counts only while it holds at least k people.
        k = max(org.anonymity_threshold, next(t for c, t in thresholds.values() if c == cycle_id))
        if len(members) < k:
            continue
        if home == "pool":
            by_name = False
            if team_ids is not None:
                continue
        elif team_ids is None or (cycle_id, int(home.split(":")[1])) in named:
            by_name = True
        else:
            continue
        wanted |= {
            (rid, key, text): by_name for rid, texts in members.items() for key, text in texts
        }
    in_scope = [
        (pk, wanted[(rid, key, text)])
        for pk, rid, key, text in ClassifiedAction.objects.filter(
            cycle__organization=org, response_id__in=sorted({rid for rid, _, _ in wanted})
        ).values_list("pk", "response_id", "item_key", "text")
        if (rid, key, text) in wanted
    ]
    return ReviewScope(
        frozenset(named),
        frozenset(pooled),
        frozenset(pk for pk, _ in in_scope),
        frozenset(pk for pk, by_name in in_scope if by_name),
    )


def _released_responses(
    org: Organization, team_ids: set[int] | None
) -> tuple[
    dict[int, tuple[int, int]],
    dict[tuple[int, int], dict[int, tuple[str, frozenset[tuple[str, str]]]]],
]:
    """The latest release of each of the organisation's cycles (two queries): release id ->
    (cycle id, threshold); per (cycle, team) its included responses, each with its texts'
    home (LEGACY in a release from before homes were kept) and the (item key, text) pairs
    the release holds of it."""
    Release, ResponseSnapshot = _release_models()

    newest = Release.objects.filter(cycle=OuterRef("cycle")).order_by("-number").values("pk")[:1]
    releases = list(
        Release.objects.filter(cycle__organization=org, pk=Subquery(newest)).values_list(
            "pk", "cycle_id", "threshold", "people", "text_homes"
        )
    )
    homes_of = {cycle_id: homes for _, cycle_id, _, _, homes in releases}
    snapshots = ResponseSnapshot.objects.filter(
        pk__in=[pk for *_, people, _ in releases for pk in people.values()]
    )
    if team_ids is not None:
        snapshots = snapshots.filter(team_id__in=sorted(team_ids))
    responses: dict[tuple[int, int], dict[int, tuple[str, frozenset[tuple[str, str]]]]] = {}
    for cycle_id, rid, team_id, digest, held in snapshots.values_list(
        "cycle_id", "response_key", "team_id", "digest", "texts"
    ):
        homes = homes_of.get(cycle_id)
        home = LEGACY if homes is None else homes.get(f"{rid}:{digest}", "")
        texts = frozenset((t["item_key"], t["text"]) for t in held)
        responses.setdefault((cycle_id, team_id), {})[rid] = (home, texts)
    thresholds = {pk: (cycle_id, threshold) for pk, cycle_id, threshold, *_ in releases}
    return thresholds, responses


LEGACY = "?"  # a release from before homes were kept: the unit its people were shown in


def _released_units(release_ids: list[int]) -> tuple[set[tuple[int, int]], set[int]]:
    """(cycle, team) pairs the releases show as teams, and the cycles whose release shows
    the pool of small teams (one query)."""
    ReleasePage = apps.get_model("reports", "ReleasePage")

    teams: set[tuple[int, int]] = set()
    pools: set[int] = set()
    for cycle_id, team_id, pooled_names in ReleasePage.objects.filter(
        Q(team__isnull=False) | Q(key="org"), release_id__in=release_ids
    ).values_list("release__cycle_id", "team_id", "data__pooled_teams"):
        if team_id is not None:
            teams.add((cycle_id, team_id))
        elif pooled_names:
            pools.add(cycle_id)
    return teams, pools


def reviewable_actions(membership: Membership, scope: ReviewScope) -> QuerySet[ClassifiedAction]:
    """The classified actions in a reviewer's scope (see review_scope)."""
    return ClassifiedAction.objects.filter(
        scope.actions_filter(), cycle__organization=membership.organization
    )


def _release_models() -> tuple[Any, Any]:
    """The review queue follows releases, which the reports app stores. Looked up by name:
    assessments sits below reports, and the queue only reads two of its tables."""
    return apps.get_model("reports", "Release"), apps.get_model("reports", "ResponseSnapshot")


def action_for_review(
    membership: Membership, public_id: uuid.UUID, scope: ReviewScope | None = None
) -> ClassifiedAction:
    """A classified action the member may review, by its public id (pages never show row
    ids, which follow submission order): 404 outside the organisation or outside the review
    scope (a team below the anonymity threshold, a response not submitted); 403 for a team
    lead of another team."""
    action = get_object_or_404(
        ClassifiedAction.objects.select_related("team", "cycle__instrument", "reviewed_by"),
        cycle__organization=membership.organization,
        public_id=public_id,
    )
    if not can_lead_team(membership, action.team):
        # 404, not 403: another team's action must look like a missing one, so that a
        # public id seen elsewhere (an old link, a former role) tells nothing.
        if membership.role in REVIEWERS:
            raise Http404("No such action in your review queue.")
        raise PermissionDenied("Only the team's lead or an org admin reviews its actions.")
    scope = scope or review_scope(membership)
    if not reviewable_actions(membership, scope).filter(pk=action.pk).exists():
        raise Http404("No such action in your review queue.")
    return action
