"""Synthetic organisations for the bench: teams, people, two cycles with results.

Built with bulk_create (one precomputed password hash, scores computed in process) so that
200 teams take seconds, not minutes. Answers are realistic: the demo's climates
(assessments/demo.py) scattered per team, the later cycle a little better than the earlier.
Each team has 11 people: a team lead and 10 members. In each cycle 8 of them submitted; in the
open cycle the other 3 are halfway through (draft responses: the autosave respondents).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from assessments.classify import label, load_classifier, review_threshold
from assessments.demo import (
    AMBIGUOUS_ACTIONS,
    COLLECTIVE_ACTIONS,
    DECOUPLED,
    GAP,
    GUARDRAILS,
    INDIVIDUAL_ACTIONS,
    RECOUPLED,
    TOP_DOWN,
    Climate,
    demo_answers,
)
from assessments.instrument.types import Instrument
from assessments.instrument.visibility import visible_item_keys
from assessments.models import Answer, ClassifiedAction, Cycle, Response
from assessments.scoring.response import score_response
from assessments.services import instrument_for, publish_instrument
from orgs.models import Membership, Organization, Role, Team, User

PEOPLE_PER_TEAM = 11  # a team lead and ten members
SUBMITTED_PER_TEAM = 8  # per cycle
DRAFTS_PER_TEAM = 3  # open cycle only: people halfway through
CLIMATES = (GUARDRAILS, RECOUPLED, TOP_DOWN, DECOUPLED, GAP, GUARDRAILS)
PASSWORD = "bench-password-not-secret"


@dataclass
class BenchOrg:
    """What the measurements need to know about one built organisation."""

    org: Organization
    n_teams: int
    leader: User
    team: Team  # the team whose dashboard and report are measured
    team_lead: User
    closed: Cycle
    open: Cycle
    drafts: list[Response] = field(default_factory=list)  # open-cycle drafts, team order
    counts: dict[str, int] = field(default_factory=dict)


def improved(climate: Climate, drift: float) -> Climate:
    """The demo's drift: the later cycle a little better (constrainers down, the rest up)."""
    return Climate(
        *(
            v - 100 * drift * 0.3 if k in {"uncertainty", "diffusion"} else v + 100 * drift * 0.3
            for k, v in vars(climate).items()
        )
    )


def segments_of(
    instrument: Instrument, answers: dict[str, Any], visible: set[str]
) -> dict[str, Any]:
    """As services.store_submission copies them out."""
    return {
        i.segment: answers[i.key]
        for i in instrument.items
        if i.segment and i.key in answers and i.key in visible
    }


def build_org(slug: str, n_teams: int, password_hash: str | None = None) -> BenchOrg:
    """An organisation of `n_teams` teams with a closed and an open cycle, both with results."""
    instrument = instrument_for("1")
    version = publish_instrument("1")
    password_hash = password_hash or make_password(PASSWORD)
    org = Organization.objects.create(name=f"Bench {n_teams} teams", slug=slug)
    teams = Team.objects.bulk_create(
        Team(organization=org, name=f"Team {i:03d}", slug=f"team-{i:03d}")
        for i in range(1, n_teams + 1)
    )

    def user(email: str, name: str) -> User:
        return User(email=email, name=name, password=password_hash)

    leader, admin = User.objects.bulk_create(
        [user(f"leader@{slug}.bench", "Bench Leader"), user(f"admin@{slug}.bench", "Bench Admin")]
    )
    people = User.objects.bulk_create(
        user(f"t{t:03d}-p{p:02d}@{slug}.bench", f"Person {t:03d}-{p:02d}")
        for t in range(1, n_teams + 1)
        for p in range(PEOPLE_PER_TEAM)
    )
    by_team = [people[i * PEOPLE_PER_TEAM : (i + 1) * PEOPLE_PER_TEAM] for i in range(n_teams)]
    Membership.objects.bulk_create(
        [
            Membership(user=leader, organization=org, role=Role.LEADER),
            Membership(user=admin, organization=org, role=Role.ORG_ADMIN),
            *(
                Membership(
                    user=person,
                    organization=org,
                    team=team,
                    role=Role.TEAM_LEAD if p == 0 else Role.MEMBER,
                )
                for team, members in zip(teams, by_team, strict=True)
                for p, person in enumerate(members)
            ),
        ]
    )
    today = timezone.localdate()
    closed = Cycle.objects.create(
        organization=org,
        name="Bench Q2",
        slug="bench-q2",
        instrument=version,
        opens_on=today - timedelta(days=200),
        closes_on=today - timedelta(days=110),
        state=Cycle.State.CLOSED,
    )
    current = Cycle.objects.create(
        organization=org,
        name="Bench Q4",
        slug="bench-q4",
        instrument=version,
        opens_on=today - timedelta(days=20),
        closes_on=today + timedelta(days=40),
        state=Cycle.State.OPEN,
    )
    for cycle in (closed, current):
        cycle.teams.set(teams)

    bench = BenchOrg(org, n_teams, leader, teams[0], by_team[0][0], closed, current)
    counts = {"teams": n_teams, "people": len(people), "submitted": 0, "drafts": 0, "answers": 0}
    counts["actions"] = 0
    for cycle, drift in ((closed, 0.0), (current, 0.15)):
        made = _responses(bench, instrument, cycle, drift, teams, by_team)
        for key, value in made.items():
            counts[key] += value
    bench.counts = counts
    return bench


def _responses(
    bench: BenchOrg,
    instrument: Instrument,
    cycle: Cycle,
    drift: float,
    teams: list[Team],
    by_team: list[list[User]],
) -> dict[str, int]:
    is_open = cycle.state == Cycle.State.OPEN
    now = timezone.now()
    submitted_at = now if is_open else now - timedelta(days=120)
    rows: list[tuple[Response, dict[str, Any]]] = []
    for index, (team, members) in enumerate(zip(teams, by_team, strict=True)):
        climate = CLIMATES[index % len(CLIMATES)]
        climate = improved(climate, drift) if drift else climate
        respondents = members[: SUBMITTED_PER_TEAM + (DRAFTS_PER_TEAM if is_open else 0)]
        for p, person in enumerate(respondents):
            rng = random.Random(f"{bench.org.slug}:{cycle.slug}:{person.email}")
            answers = demo_answers(instrument, climate, rng)
            if p < SUBMITTED_PER_TEAM:
                visible = visible_item_keys(instrument, answers)
                response = Response(
                    cycle=cycle,
                    team=team,
                    respondent=person,
                    status=Response.Status.SUBMITTED,
                    submitted_at=submitted_at,
                    scores=score_response(instrument, answers, visible).to_dict(),
                    segments=segments_of(instrument, answers, visible),
                )
            else:  # halfway through, like the demo's in-progress respondents
                answers = dict(list(answers.items())[: len(answers) // 2])
                response = Response(cycle=cycle, team=team, respondent=person)
            rows.append((response, answers))
    Response.objects.bulk_create([r for r, _ in rows], batch_size=2000)
    answers_made = Answer.objects.bulk_create(
        (
            Answer(response=response, item_key=key, value=value)
            for response, answers in rows
            for key, value in answers.items()
        ),
        batch_size=5000,
    )
    actions = _actions(
        instrument, cycle, [(r, a) for r, a in rows if r.status == Response.Status.SUBMITTED]
    )
    drafts = [r for r, _ in rows if r.status == Response.Status.DRAFT]
    bench.drafts.extend(drafts)
    return {
        "submitted": len(rows) - len(drafts),
        "drafts": len(drafts),
        "answers": len(answers_made),
        "actions": len(actions),
    }


def _actions(
    instrument: Instrument, cycle: Cycle, rows: list[tuple[Response, dict[str, Any]]]
) -> list[ClassifiedAction]:
    """Classified actions, as services.classify_actions stores them at submission."""
    classifier = load_classifier()
    threshold = review_threshold(classifier, settings.RECOUPLE_CLASSIFIER_THRESHOLD)
    action_items = [i.key for i in instrument.items if i.type == "action"]
    made = []
    for response, answers in rows:
        for key in action_items:
            text = answers.get(key)
            if not isinstance(text, str) or not text.strip():
                continue
            result = label(text, classifier, threshold)
            made.append(
                ClassifiedAction(
                    response=response,
                    cycle_id=cycle.pk,
                    team_id=response.team_id,
                    item_key=key,
                    text=result.text,
                    kind=result.kind,
                    confidence=result.confidence,
                    needs_review=result.needs_review,
                    cues=list(result.cues),
                    classifier_version=result.version,
                )
            )
    return ClassifiedAction.objects.bulk_create(made, batch_size=2000)


ACTION_TEXTS = [*INDIVIDUAL_ACTIONS, *COLLECTIVE_ACTIONS, *AMBIGUOUS_ACTIONS]
