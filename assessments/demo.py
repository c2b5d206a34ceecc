"""Demo cycles and responses: teams with distinct, plausible situations so that every
recoupling profile, a decoupling gap and both shown and withheld enabler-lift cells appear.

Deterministic (seeded), and idempotent: a response that exists is left as it is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from orgs.demo import DEMO_SLUG, seed_people
from orgs.models import Membership, Organization, Role, Team

from .instrument.types import Answers, Instrument, Item
from .instrument.visibility import visible_item_keys
from .models import Answer, ClassifiedAction, Cycle, Response
from .services import instrument_for, publish_instrument, review_action, store_submission


@dataclass(frozen=True)
class Climate:
    """Target levels (0-100) a team's answers scatter around."""

    uncertainty: float
    diffusion: float
    leadership: float
    principles: float
    individual_practice: float
    collective_practice: float
    governance_design: float


# Recoupled, guardrails without backing (the paper's typical case), top-down only, decoupled.
RECOUPLED = Climate(25, 25, 80, 85, 80, 78, 78)
GUARDRAILS = Climate(55, 60, 30, 45, 78, 25, 45)
TOP_DOWN = Climate(60, 55, 75, 80, 35, 80, 65)
DECOUPLED = Climate(75, 75, 25, 30, 30, 20, 25)
GAP = Climate(55, 60, 65, 85, 40, 35, 40)  # principles known, practice low

TEAM_CLIMATES = {
    "search-assistant": GUARDRAILS,
    "support-copilot": RECOUPLED,
    "claims-triage": TOP_DOWN,
    "marketing-writer": DECOUPLED,
    "developer-tools": GUARDRAILS,
    "hr-helpdesk": GAP,
    "fraud-signals": RECOUPLED,
    "contract-review": TOP_DOWN,
    "sales-insights": DECOUPLED,
    "onboarding-guide": GUARDRAILS,
    "pricing-engine": GAP,
    "voice-agent": GUARDRAILS,
    "data-platform": DECOUPLED,
}

INDIVIDUAL_ACTIONS = [
    "I reviewed a sample of fifty generated answers before we widened the rollout.",
    "We added a checklist for prompt changes to our pull request template.",
    "I removed customer names from the examples we paste into the chatbot.",
    "Documented the known limitations of the summariser in our team wiki.",
    "Added a line in the UI telling users the reply was written by AI.",
    "Our team spent an afternoon trying to make the assistant say harmful things "
    "and logged what broke.",
]
COLLECTIVE_ACTIONS = [
    "We held the launch two weeks for an external bias audit.",
    "Leadership approved budget for an evaluation platform shared by all product teams.",
    "The cross-functional review board signed off our DPIA before launch.",
    "Legal and security ran a company-wide red-team exercise on our agent.",
    "Responsible AI goals were added to every PM's performance review this year.",
]
# Texts a careful reader can label but the classifier is unsure of (they go to review), with
# what that reader decides: the demo's team lead has some to work through.
AMBIGUOUS_ACTIONS = {
    "We looked into bias a bit before launch.": "individual",
    "Made sure things were handled properly.": "none",
    "Worked with security on the jailbreak thing.": "collective",
}


def _pick_option(item: Item, level: float, rng: random.Random) -> str:
    """The scale option closest to `level` (in the construct's own direction) plus noise."""
    target = min(100.0, max(0.0, rng.gauss(level, 18)))
    if item.reverse:
        target = 100 - target
    scored = [o for o in item.options if o.score is not None]
    if item.type == "yes_no":
        if rng.random() < 0.05:
            return next(o.value for o in item.options if o.dont_know)
        return "yes" if target >= 50 else "no"
    return min(scored, key=lambda o: abs((o.score or 0) - target)).value


STAGES = ["define", "build", "test", "launch", "monitor", "adjust"]
# Most genAI features are still being built; few are live. Items about live features are
# asked of few people, so some enabler-lift cells are too small to show.
STAGE_WEIGHTS = [15, 40, 32, 5, 5, 3]
# A team mostly works on one product, so most of its people name the same stage.
SAME_STAGE_AS_TEAM = 0.85


def team_stage(rng: random.Random) -> str:
    return rng.choices(STAGES, weights=STAGE_WEIGHTS)[0]


def _context_answers(instrument: Instrument, rng: random.Random, stage: str | None) -> Answers:
    role = rng.choices(
        ["product_management", "engineering", "design", "risk_legal", "operations", "leadership"],
        weights=[40, 30, 10, 8, 7, 5],
    )[0]
    if stage is None or rng.random() >= SAME_STAGE_AS_TEAM:
        stage = team_stage(rng)
    return {
        "ctx_role": role,
        "ctx_lifecycle_stage": stage,
        "ctx_genai_uses": rng.sample(
            [o.value for o in instrument.item("ctx_genai_uses").options], k=rng.randint(1, 3)
        ),
        "ctx_self_view": rng.choices(["guardrail", "gatekeeper", "neither"], weights=[60, 15, 25])[
            0
        ],
        "ctx_delivery_pressure": rng.choice(
            [o.value for o in instrument.item("ctx_delivery_pressure").options]
        ),
    }


# The v2 story (items tagged with a governance layer or a part of the real test): intent is
# written down, controls lag behind it and the evidence layer is thin; most teams can explain
# an error from their logs but fewer can prove why or stop it recurring. Gatekeepers, who can
# hold a release, report more collective practice and governance than guardrails do.
LAYER_SHIFT = {"policy": 18.0, "controls": -8.0, "operations": -28.0}
REAL_TEST_SHIFT = {"explain": 25.0, "prove": -12.0, "prevent": -4.0}
GATEKEEPER_SHIFT = {"collective_practice": 20.0, "governance_design": 12.0}


def _item_level(item: Item, climate: Climate, self_view: object) -> float:
    level = float(getattr(climate, item.construct or ""))
    if item.real_test:
        level += REAL_TEST_SHIFT[item.real_test]
    elif item.layer:
        level += LAYER_SHIFT[item.layer]
    if self_view == "gatekeeper" and item.construct in GATEKEEPER_SHIFT:
        level += GATEKEEPER_SHIFT[item.construct]
    return level


def demo_answers(
    instrument: Instrument, climate: Climate, rng: random.Random, stage: str | None = None
) -> Answers:
    """A plausible complete set of answers for someone in a team with this climate, whose
    team's product is mostly at `stage` (any stage when None)."""
    answers = _context_answers(instrument, rng, stage)
    # Only instruments with governance layers (v2 on) tell the v2 story; v1 answers are
    # generated exactly as before.
    story = any(i.layer for i in instrument.items)
    if story and climate.collective_practice >= 70:
        # Where launches can be held, more people can hold them: gatekeepers cluster in
        # teams with collective backing, so their released segment reaches k.
        answers["ctx_self_view"] = rng.choices(
            ["guardrail", "gatekeeper", "neither"], weights=[30, 55, 15]
        )[0]
    self_view = answers["ctx_self_view"] if story else None
    for item in instrument.items:
        if item.construct:
            answers[item.key] = _pick_option(item, _item_level(item, climate, self_view), rng)
    if rng.random() < 0.7:
        answers["act_individual"] = rng.choice([*INDIVIDUAL_ACTIONS, *list(AMBIGUOUS_ACTIONS)[:1]])
    if rng.random() < 0.5 or climate.collective_practice > 60:
        answers["act_collective"] = rng.choice([*COLLECTIVE_ACTIONS, *list(AMBIGUOUS_ACTIONS)[1:]])
    visible = visible_item_keys(instrument, answers)
    return {k: v for k, v in answers.items() if k in visible}


# What a careful reviewer decides for the demo texts (the truth the demo review measures against).
DEMO_LABELS = (
    dict.fromkeys(INDIVIDUAL_ACTIONS, "individual")
    | dict.fromkeys(COLLECTIVE_ACTIONS, "collective")
    | AMBIGUOUS_ACTIONS
)


def seed_demo_review(org: Organization, cycle_slug: str = "2026-q2") -> dict[str, int]:
    """Review the closed cycle's queued actions as its team leads would; the open cycle's
    queue is left for the demo's team lead to work through."""
    reviewed = overridden = 0
    pending = ClassifiedAction.objects.filter(
        cycle__organization=org, cycle__slug=cycle_slug, needs_review=True, reviewed_at__isnull=True
    ).select_related("team", "cycle__organization")
    # In public-id order: the audit log lists the reviews, and submission order must not show.
    pending = pending.order_by("public_id")
    leads = {
        m.team_id: m.user for m in Membership.objects.filter(organization=org, role=Role.TEAM_LEAD)
    }
    for action in pending:
        decision = DEMO_LABELS.get(action.text)
        reviewer = leads.get(action.team_id)
        if decision is None or reviewer is None:
            continue
        review_action(
            reviewer, action, decision, "Demo review: judged from the wording of the action."
        )
        reviewed += 1
        overridden += int(decision != action.kind)
    return {"reviewed": reviewed, "overridden": overridden}


def _respondents(team: Team) -> list[Membership]:
    return list(
        Membership.objects.counted_in_team()
        .filter(team=team)
        .select_related("user")
        .order_by("user__email")
    )


def seed_cycles(org: Organization, teams: list[Team]) -> dict[str, int]:
    """A closed cycle on instrument v1 and an open one on v2, so that the cycle comparison
    matches items by key across versions. A cycle that exists keeps its version."""
    today = timezone.localdate()
    plan = [
        (
            "2026 Q2",
            "2026-q2",
            date(today.year, 4, 1),
            date(today.year, 6, 30),
            Cycle.State.CLOSED,
            0.0,
            "1",
        ),
        (
            "2026 Q4",
            "2026-q4",
            today - timedelta(days=20),
            today + timedelta(days=40),
            Cycle.State.OPEN,
            0.15,
            "2",
        ),
    ]
    counts = {"cycles": 0, "responses": 0}
    for name, slug, opens, closes, state, drift, version_key in plan:
        version = publish_instrument(version_key)
        cycle, created = Cycle.objects.get_or_create(
            organization=org,
            slug=slug,
            defaults={
                "name": name,
                "instrument": version,
                "opens_on": opens,
                "closes_on": closes,
                "state": state,
            },
        )
        if created:
            cycle.teams.set(teams)
        counts["cycles"] += 1
        instrument = instrument_for(cycle.instrument.version)
        counts["responses"] += _seed_responses(cycle, instrument, teams, drift)
    counts |= seed_demo_review(org)
    return counts


def _seed_responses(cycle: Cycle, instrument: Instrument, teams: list[Team], drift: float) -> int:
    made = 0
    for team in teams:
        climate = TEAM_CLIMATES.get(team.slug, GUARDRAILS)
        if drift:  # the later cycle: a little better than the earlier one
            climate = Climate(
                *(
                    v - 100 * drift * 0.3
                    if k in {"uncertainty", "diffusion"}
                    else v + 100 * drift * 0.3
                    for k, v in vars(climate).items()
                )
            )
        stage = team_stage(random.Random(f"{cycle.slug}:{team.slug}"))  # nosec B311
        for index, membership in enumerate(_respondents(team)):
            # Leave the demo member's open-cycle response for them to fill in.
            if cycle.state == Cycle.State.OPEN and membership.user.email == "member@demo.example":
                continue
            # Demo answers, not security: any generator will do.
            rng = random.Random(f"{cycle.slug}:{membership.user.email}")  # nosec B311
            response, created = Response.objects.get_or_create(
                cycle=cycle, team=team, respondent=membership.user
            )
            if not created:
                continue
            answers = demo_answers(instrument, climate, rng, stage)
            in_progress = cycle.state == Cycle.State.OPEN and index % 5 == 4
            if in_progress:  # some people are halfway through
                answers = dict(list(answers.items())[: len(answers) // 2])
            # About half of the demo's written answers may be quoted, as their authors chose.
            quotable = {i.key for i in instrument.items if i.type in ("free_text", "action")}
            Answer.objects.bulk_create(
                Answer(
                    response=response,
                    item_key=k,
                    value=v,
                    may_quote=k in quotable and rng.random() < 0.5,
                )
                for k, v in answers.items()
            )
            if not in_progress:
                store_submission(response, instrument, answers)
            made += 1
    return made


def seed_organization() -> str:
    """The whole demo: organisation, teams and people (orgs/demo.py), then cycles and
    responses. Lives here, not in orgs, because it spans both apps."""
    org, _ = Organization.objects.get_or_create(slug=DEMO_SLUG, defaults={"name": "Demo Corp"})
    teams = seed_people(org)
    people = Membership.objects.filter(organization=org).count()
    counts = seed_cycles(org, list(teams.values()))
    return (
        f"{len(teams)} teams, {people} people, {counts['cycles']} cycles, "
        f"{counts['responses']} new responses, "
        f"{counts['reviewed']} actions reviewed ({counts['overridden']} overriding the classifier)"
    )
