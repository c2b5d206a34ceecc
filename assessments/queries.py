"""Reads that feed the cycle pages, each with a known number of queries.

Participation names who has submitted, who is still answering and who has not started;
it never reads an answer or a score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from orgs.models import Membership, Organization, Role, Team

from .models import Cycle, Response

# People who answer for a team: its members and its lead (org admins and leaders may have
# a team too, but they count only once they start a response for it).
RESPONDENT_ROLES = (Role.MEMBER, Role.TEAM_LEAD)


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) subquery: avoids the row explosion of joining two relations."""
    counted = queryset.order_by().values("cycle_id").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def admin_cycle_list(org: Organization) -> QuerySet[Cycle]:
    """The organisation's cycles with their instrument, team count and submitted count.

    One query for any number of cycles.
    """
    return (
        org.cycles.select_related("instrument")
        .annotate(
            team_count=_count(Cycle.teams.through.objects.filter(cycle=OuterRef("pk"))),
            submitted_count=_count(
                Response.objects.filter(cycle=OuterRef("pk"), status=Response.Status.SUBMITTED)
            ),
        )
        .order_by("-opens_on", "-id")
    )


def member_cycle_list(membership: Membership) -> QuerySet[Cycle]:
    """Cycles a member sees: leadership sees them all, others those their team takes part in.

    Drafts are shown to org admins only. Each cycle carries `team_takes_part`: whether the
    member's own team is in it (False without a team).
    """
    cycles = membership.organization.cycles.select_related("instrument")
    if not membership.is_org_admin():
        cycles = cycles.exclude(state=Cycle.State.DRAFT)
    if not membership.is_leadership():
        cycles = cycles.filter(teams=membership.team) if membership.team_id else cycles.none()
    in_cycle = Cycle.teams.through.objects.filter(cycle=OuterRef("pk"), team_id=membership.team_id)
    return cycles.annotate(team_takes_part=Exists(in_cycle)).order_by("-opens_on", "-id")


def own_response_statuses(membership: Membership, cycles: Sequence[Cycle]) -> dict[int, str]:
    """The member's response status for their team in each cycle: {cycle id: status}."""
    if not membership.team_id or not cycles:
        return {}
    rows = Response.objects.filter(
        respondent_id=membership.user_id,
        team_id=membership.team_id,
        cycle__in=[c.pk for c in cycles],
    ).values_list("cycle_id", "status")
    return dict(rows)


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass
class TeamParticipation:
    """Who, in one team, has submitted, is answering, or has not started. Names only."""

    team: Team
    submitted: list[Person] = field(default_factory=list)
    in_progress: list[Person] = field(default_factory=list)
    not_started: list[Person] = field(default_factory=list)

    @property
    def people(self) -> int:
        return len(self.submitted) + len(self.in_progress) + len(self.not_started)

    @property
    def submitted_percent(self) -> int:
        return round(100 * len(self.submitted) / self.people) if self.people else 0


def _person(name: str | None, email: str | None) -> Person:
    if email is None:  # the account was deleted; its response stays
        return Person("Former member", "")
    return Person(name or email, email)


def _sorted(people: list[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (p.name.casefold(), p.email))


def participation(cycle: Cycle, teams: Sequence[Team]) -> list[TeamParticipation]:
    """Participation per team in `cycle`, in the order of `teams`. Two queries, whatever
    the number of teams.

    Not started: the team's current members and lead without a response for it. Anyone
    with a response for the team counts, even after moving to another team.
    """
    by_team = {t.pk: TeamParticipation(team=t) for t in teams}
    if not by_team:
        return []
    responses = Response.objects.filter(cycle=cycle, team_id__in=by_team).values_list(
        "team_id", "respondent_id", "status", "respondent__name", "respondent__email"
    )
    started: set[tuple[int, int | None]] = set()
    for team_id, user_id, status, name, email in responses:
        row = by_team[team_id]
        bucket = row.submitted if status == Response.Status.SUBMITTED else row.in_progress
        bucket.append(_person(name, email))
        started.add((team_id, user_id))
    members = (
        Membership.objects.active()
        .filter(team_id__in=by_team, role__in=RESPONDENT_ROLES)
        .values_list("team_id", "user_id", "user__name", "user__email")
    )
    for team_id, user_id, name, email in members:
        if (team_id, user_id) not in started:
            by_team[team_id].not_started.append(_person(name, email))
    for row in by_team.values():
        row.submitted, row.in_progress, row.not_started = (
            _sorted(row.submitted),
            _sorted(row.in_progress),
            _sorted(row.not_started),
        )
    return list(by_team.values())


def participation_totals(rows: Sequence[TeamParticipation]) -> dict[str, int]:
    """Counts over all rows, for the page's summary line."""
    return {
        "submitted": sum(len(r.submitted) for r in rows),
        "in_progress": sum(len(r.in_progress) for r in rows),
        "not_started": sum(len(r.not_started) for r in rows),
        "people": sum(r.people for r in rows),
    }


def participating_teams(cycle: Cycle, membership: Membership) -> list[Team]:
    """The teams whose participation this member may see: all of the cycle's for an org
    admin, their own (when it takes part) for a team lead."""
    teams = cycle.teams.order_by("name")
    if not membership.is_org_admin():
        teams = teams.filter(pk=membership.team_id) if membership.team_id else teams.none()
    return list(teams)
