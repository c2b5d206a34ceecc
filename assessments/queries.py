"""Reads that feed the cycle pages, each with a known number of queries.

Participation counts who has submitted, who is still answering and who has not started;
it names those who have not submitted only where the organisation turns names on, never
those who have, and it never reads an answer or a score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from orgs.models import Membership, Organization, Team

from . import progress as progress_rules
from .instrument.types import Answers, Instrument
from .models import Answer, Cycle, ReopenRequest, Response

# People who answer for a team: its members and its lead (org admins and leaders may have
# a team too, but they count only once they start a response for it).


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
    team_takes_part: Exists | Value = Value(False)
    if membership.team_id is not None:
        team_takes_part = Exists(
            Cycle.teams.through.objects.filter(cycle=OuterRef("pk"), team_id=membership.team_id)
        )
    return cycles.annotate(team_takes_part=team_takes_part).order_by("-opens_on", "-id")


def own_response_statuses(membership: Membership, cycles: Iterable[Cycle]) -> dict[int, str]:
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
    """How many people in one team have submitted, are answering, or have not started.

    `in_progress_names` and `not_started_names` are filled only when the organisation shows
    participation names; nobody is ever named as having submitted.
    """

    team: Team
    submitted: int = 0
    in_progress: int = 0
    not_started: int = 0
    in_progress_names: list[Person] = field(default_factory=list)
    not_started_names: list[Person] = field(default_factory=list)

    @property
    def people(self) -> int:
        return self.submitted + self.in_progress + self.not_started

    @property
    def submitted_percent(self) -> int:
        return round(100 * self.submitted / self.people) if self.people else 0


def _person(name: str | None, email: str | None) -> Person:
    if email is None:  # the account was deleted; its response stays
        return Person("Former member", "")
    return Person(name or email, email)


def _sorted(people: list[Person]) -> list[Person]:
    return sorted(people, key=lambda p: (p.name.casefold(), p.email))


def participation(
    cycle: Cycle, teams: Sequence[Team], *, with_names: bool = False
) -> list[TeamParticipation]:
    """Participation per team in `cycle`, in the order of `teams`. Two queries, whatever
    the number of teams. Names (of those who have not submitted) only `with_names`.

    Not started: the team's current members and lead without a response for it. Anyone
    with a response for the team counts, even after moving to another team.
    """
    by_team = {t.pk: TeamParticipation(team=t) for t in teams}
    if not by_team:
        return []
    responses = Response.objects.filter(cycle=cycle, team_id__in=by_team)
    started: set[tuple[int, int | None]] = set()
    rows: Iterable[tuple[int, int, str, str | None, str | None]]
    if with_names:
        rows = responses.values_list(
            "team_id", "respondent_id", "status", "respondent__name", "respondent__email"
        )
    else:  # the names are not even read
        rows = (
            (t, u, st, None, None)
            for t, u, st in responses.values_list("team_id", "respondent_id", "status")
        )
    for team_id, user_id, status, name, email in rows:
        row = by_team[team_id]
        if status == Response.Status.SUBMITTED:
            row.submitted += 1
        else:
            row.in_progress += 1
            if with_names:
                row.in_progress_names.append(_person(name, email))
        started.add((team_id, user_id))
    members = (
        Membership.objects.counted_in_team()
        .filter(team_id__in=by_team)
        .values_list("team_id", "user_id", "user__name", "user__email")
    )
    for team_id, user_id, name, email in members:
        if (team_id, user_id) not in started:
            by_team[team_id].not_started += 1
            if with_names:
                by_team[team_id].not_started_names.append(_person(name, email))
    for row in by_team.values():
        row.in_progress_names = _sorted(row.in_progress_names)
        row.not_started_names = _sorted(row.not_started_names)
    return list(by_team.values())


def participation_totals(rows: Sequence[TeamParticipation]) -> dict[str, int]:
    """Counts over all rows, for the page's summary line."""
    return {
        "submitted": sum(r.submitted for r in rows),
        "in_progress": sum(r.in_progress for r in rows),
        "not_started": sum(r.not_started for r in rows),
        "people": sum(r.people for r in rows),
    }


def participating_teams(cycle: Cycle, membership: Membership) -> list[Team]:
    """The teams whose participation this member may see: all of the cycle's for an org
    admin, their own (when it takes part) for a team lead."""
    teams = cycle.teams.order_by("name")
    if not membership.is_org_admin():
        teams = teams.filter(pk=membership.team_id) if membership.team_id else teams.none()
    return list(teams)


@dataclass(frozen=True)
class ReopenRequestRow:
    """What a decider sees of a request: the team, the day, the respondent's own words.
    No response id and no respondent."""

    id: int
    team: str
    requested_on: date
    reason: str


def pending_reopen_requests(cycle: Cycle, teams: Sequence[Team]) -> list[ReopenRequestRow]:
    """Requests waiting for a decision in `teams`, oldest first. One query."""
    rows = (
        ReopenRequest.objects.filter(
            cycle=cycle, team__in=teams, status=ReopenRequest.Status.PENDING
        )
        .order_by("requested_at", "id")
        .values_list("id", "team__name", "requested_at", "reason")
    )
    return [ReopenRequestRow(pk, team, at.date(), reason) for pk, team, at, reason in rows]


@dataclass(frozen=True)
class CycleToAnswer:
    """One open cycle the member answers in, and how far their own response is."""

    cycle: Cycle
    team: Team
    status: str | None  # None: not started
    answered: int
    total: int
    submitted_at: datetime | None


@dataclass(frozen=True)
class CycleAhead:
    """An open cycle an invitee's team answers in: what the invitation says up front."""

    name: str
    closes_on: date
    time: progress_rules.AnswerTime


def cycles_ahead(
    team_id: int | None, instrument_for: Callable[[str], Instrument], today: date
) -> list[CycleAhead]:
    """Open cycles the team takes part in, with how long the questionnaire takes (one query)."""
    if not team_id:
        return []
    cycles = Cycle.objects.filter(state=Cycle.State.OPEN, teams=team_id).select_related(
        "instrument"
    )
    return [
        CycleAhead(
            c.name, c.closes_on, progress_rules.answer_time(instrument_for(c.instrument.version))
        )
        for c in cycles.order_by("closes_on", "id")
        if c.is_open(today)
    ]


def cycles_to_answer(
    membership: Membership, instrument_for: Callable[[str], Instrument], today: date
) -> list[CycleToAnswer]:
    """Open cycles the member's team takes part in, with the member's own progress.

    Three queries whatever the number of cycles. `instrument_for(version)` gives the parsed
    instrument (passed in so this module reads, and never loads files itself).
    """
    if not membership.team_id:
        return []
    cycles = [
        c
        for c in membership.organization.cycles.filter(
            state=Cycle.State.OPEN, teams=membership.team_id
        ).select_related("instrument")
        if c.is_open(today)
    ]
    if not cycles:
        return []
    responses = {
        r.cycle_id: r
        for r in Response.objects.filter(
            cycle__in=cycles, team_id=membership.team_id, respondent_id=membership.user_id
        )
    }
    answers: dict[int, Answers] = defaultdict(dict)
    for response_id, key, value in Answer.objects.filter(
        response__in=list(responses.values())
    ).values_list("response_id", "item_key", "value"):
        answers[response_id][key] = value
    rows = []
    for c in cycles:
        instrument = instrument_for(c.instrument.version)
        response = responses.get(c.pk)
        done = progress_rules.progress(instrument, answers[response.pk] if response else {})
        rows.append(
            CycleToAnswer(
                cycle=c,
                team=membership.team,  # type: ignore[arg-type]
                status=response.status if response else None,
                answered=done.answered,
                total=done.total,
                submitted_at=response.submitted_at if response else None,
            )
        )
    return rows
