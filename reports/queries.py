"""Reads that feed the dashboards and reports, each with a fixed number of queries.

Responses carry their scores (computed once at submission), so a page reads one column per
response instead of re-scoring answers; the organisation-wide computation is cached under a
stamp that changes whenever any response of the cycle changes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max, Q

from assessments.models import ClassifiedAction, Cycle, Response
from assessments.scoring import ResponseScore
from orgs.models import Membership, Organization, Role, Team


@dataclass(frozen=True)
class Respondent:
    """One submitted response as the dashboards see it: never who wrote it."""

    team_id: int
    cycle_id: int
    score: ResponseScore
    answers: dict[str, Any]
    segments: dict[str, Any]


def _respondents(queryset: Any) -> list[Respondent]:
    rows = queryset.filter(status=Response.Status.SUBMITTED, scores__isnull=False).values_list(
        "team_id", "cycle_id", "scores", "segments"
    )
    out = []
    for team_id, cycle_id, scores, segments in rows:
        score = ResponseScore.from_dict(scores)
        out.append(Respondent(team_id, cycle_id, score, score.answers(), segments or {}))
    return out


def cycle_respondents(cycle: Cycle) -> list[Respondent]:
    """All submitted responses of a cycle (one query)."""
    return _respondents(Response.objects.filter(cycle=cycle))


def team_respondents(team: Team, cycles: list[Cycle]) -> list[Respondent]:
    """A team's submitted responses across cycles (one query)."""
    return _respondents(Response.objects.filter(team=team, cycle__in=cycles))


def _submitted_stamp(responses: Any) -> str:
    """Count and last change of the submitted responses among `responses` (one query).

    Only submitted responses feed the results, so drafts being autosaved never invalidate
    a cached page; a submission, a reopening (it leaves the count) or a deletion does.
    """
    agg = responses.filter(status=Response.Status.SUBMITTED).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    return f"{agg['n']}:{agg['last'].timestamp() if agg['last'] else 0}"


def results_stamp(cycle: Cycle) -> str:
    """Changes whenever a submitted response of the cycle appears, changes or goes."""
    return f"{cycle.pk}:" + _submitted_stamp(Response.objects.filter(cycle=cycle))


def org_stamp(cycle: Cycle) -> str:
    """Changes with the cycle's responses, its reviewed actions and its teams' sizes."""
    return results_stamp(cycle) + ":" + _actions_and_sizes_stamp(cycle.teams.all(), cycle)


def team_stamp(team: Team, cycle: Cycle) -> str:
    """Changes with any of the team's submitted responses (every cycle: the trend), its reviewed
    actions in `cycle`, and its size."""
    return (
        f"{team.pk}:"
        + _submitted_stamp(Response.objects.filter(team=team))
        + ":"
        + _actions_and_sizes_stamp(Team.objects.filter(pk=team.pk), cycle)
    )


def _actions_and_sizes_stamp(teams: Any, cycle: Cycle) -> str:
    """One query: reviewed actions and membership counts of the teams."""
    row = teams.aggregate(
        members=Count("memberships", distinct=True),
        reviewed=Count(
            "actions",
            filter=Q(actions__cycle=cycle, actions__reviewed_at__isnull=False),
            distinct=True,
        ),
        last=Max("actions__reviewed_at", filter=Q(actions__cycle=cycle)),
    )
    return f"{row['members']}:{row['reviewed']}:{row['last'].timestamp() if row['last'] else 0}"


def cached(key: str, stamp: str, compute: Any, timeout: int = 3600) -> Any:
    """`compute()` cached under `key`, recomputed when `stamp` changes."""
    full = "recouple:" + hashlib.sha256(f"{key}|{stamp}".encode()).hexdigest()
    value = cache.get(full)
    if value is None:
        value = compute()
        cache.set(full, value, timeout)
    return value


def _with_results(cycles: Any) -> list[Cycle]:
    """The cycles that may have results (not drafts), newest first (one query)."""
    return list(
        cycles.exclude(state=Cycle.State.DRAFT)
        .select_related("instrument")
        .order_by("-opens_on", "-id")
    )


def org_cycles(org: Organization) -> list[Cycle]:
    return _with_results(Cycle.objects.filter(organization=org))


def team_cycles(team: Team) -> list[Cycle]:
    """Only the cycles the team takes part in."""
    return _with_results(Cycle.objects.filter(teams=team))


def cycle_teams(cycle: Cycle) -> list[Team]:
    """Participating teams of a cycle with their current size annotated (one query)."""
    return list(
        cycle.teams.annotate(
            size=Count("memberships", filter=Q(memberships__role__in=[Role.MEMBER, Role.TEAM_LEAD]))
        ).order_by("name")
    )


def team_size(team: Team) -> int:
    return Membership.objects.filter(team=team, role__in=[Role.MEMBER, Role.TEAM_LEAD]).count()


def team_actions(team: Team, cycle: Cycle) -> list[ClassifiedAction]:
    """Classified actions of a team's submitted responses (one query; no authors)."""
    return list(
        ClassifiedAction.objects.filter(
            team=team, cycle=cycle, response__status=Response.Status.SUBMITTED
        )
        .only("text", "kind", "needs_review", "reviewed_kind", "reviewed_at", "confidence")
        .order_by("id")
    )


def participation_counts(cycle: Cycle) -> dict[int, dict[str, int]]:
    """Submitted and in-progress response counts per team (one query)."""
    rows = (
        Response.objects.filter(cycle=cycle)
        .values("team_id")
        .annotate(
            submitted=Count("pk", filter=Q(status=Response.Status.SUBMITTED)),
            in_progress=Count("pk", filter=Q(status=Response.Status.DRAFT)),
        )
    )
    return {
        r["team_id"]: {"submitted": r["submitted"], "in_progress": r["in_progress"]} for r in rows
    }


def team_page(
    team: Team, cycle: Cycle, cycles: list[Cycle], viewer_in_team: bool
) -> dict[str, Any]:
    """The team dashboard's (and team report's) view for `cycle`, with the earlier cycles'
    results for the trend. A fixed number of queries whatever the team's size."""
    from assessments.services import instrument_for, rules_for

    from .dashboards import TeamInfo, team_view

    instrument = instrument_for(cycle.instrument.version)
    by_cycle: dict[int, list[Respondent]] = {}
    for r in team_respondents(team, cycles):
        by_cycle.setdefault(r.cycle_id, []).append(r)
    history = [
        (c.name, by_cycle.get(c.pk, [])) for c in reversed(cycles) if c.opens_on <= cycle.opens_on
    ]
    return team_view(
        instrument,
        rules_for(instrument.version),
        TeamInfo(team.pk, team.name, team.slug, team_size(team)),
        by_cycle.get(cycle.pk, []),
        team.organization.anonymity_threshold,
        viewer_in_team=viewer_in_team,
        actions=team_actions(team, cycle),
        history=history,
    )


def org_page(org: Organization, cycle: Cycle, filters: dict[str, str]) -> dict[str, Any]:
    """The organisation dashboard's (and leadership report's) view for `cycle` under
    `filters`, cached until a response of the cycle changes."""
    from assessments.services import instrument_for, rules_for

    from .dashboards import TeamInfo, apply_filters, org_view

    instrument = instrument_for(cycle.instrument.version)
    teams = [TeamInfo(t.pk, t.name, t.slug, t.size) for t in cycle_teams(cycle)]

    def compute() -> dict[str, Any]:
        respondents = cycle_respondents(cycle)
        return org_view(
            instrument,
            rules_for(instrument.version),
            teams,
            respondents,
            apply_filters(respondents, filters),
            org.anonymity_threshold,
            participation_counts(cycle),
            filters,
        )

    sizes = [t.size for t in teams]
    key = f"org:{cycle.pk}:{org.anonymity_threshold}:{sorted(filters.items())}:{sizes}"
    return cached(key, results_stamp(cycle), compute)
