"""Builders shared by the tests: people, cycles, submitted responses, releases."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from assessments.demo import RECOUPLED, Climate, demo_answers
from assessments.models import Answer, Cycle, Response
from assessments.services import instrument_for, publish_instrument, store_submission
from orgs.models import Membership, Organization, Role, Team, User
from reports import releases
from reports.models import Release

if TYPE_CHECKING:
    from tests.conftest import World

PASSWORD = "correct horse battery staple"


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email, PASSWORD, name=name or email.split("@")[0].title())


def make_open_cycle(
    world: World, version: str = "1", name: str = "2026 Q4", slug: str = "2026-q4"
) -> Cycle:
    """An open cycle of acme (instrument v1 unless `version`) in which Alpha and Beta take part."""
    today = timezone.localdate()
    cycle = Cycle.objects.create(
        organization=world.acme,
        name=name,
        slug=slug,
        instrument=publish_instrument(version),
        opens_on=today - timedelta(days=1),
        closes_on=today + timedelta(days=30),
        state=Cycle.State.OPEN,
    )
    cycle.teams.set([world.alpha, world.beta])
    return cycle


def add_people(org: Organization, team: Team, n: int, start: int = 0) -> list[User]:
    users = []
    for i in range(start, start + n):
        user = User.objects.create_user(f"{team.slug}-{i}@example.com", "x" * 12)
        Membership.objects.create(user=user, organization=org, role=Role.MEMBER, team=team)
        users.append(user)
    return users


def submit(
    cycle: Cycle,
    team: Team,
    user: User,
    climate: Climate,
    role: str | None = None,
    seed: int = 0,
    extra: dict[str, object] | None = None,
    quotable: frozenset[str] = frozenset(),
) -> Response:
    """A submitted response with generated answers (as the questionnaire would store it),
    the same for the same team, person and seed whatever ran before (no database ids)."""
    instrument = instrument_for(cycle.instrument.version)
    answers = demo_answers(instrument, climate, random.Random(f"{team.slug}{user.email}{seed}"))
    if role:
        answers["ctx_role"] = role
    answers |= extra or {}
    response = Response.objects.create(cycle=cycle, team=team, respondent=user)
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v, may_quote=k in quotable)
        for k, v in answers.items()
    )
    store_submission(response, instrument, answers)
    return response


def release(cycle: Cycle) -> Release | None:
    """Release the cycle's results now (the periodic task does this in production)."""
    return releases.build(cycle.pk, Release.Reason.REQUESTED)


def fill_everything(world: World, cycle: Cycle) -> Response:
    """Max's draft for Alpha with every question answered (a recoupled team's answers)."""
    instrument = instrument_for("1")
    response = Response.objects.get_or_create(cycle=cycle, team=world.alpha, respondent=world.max)[
        0
    ]
    answers = demo_answers(instrument, RECOUPLED, random.Random(1))
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v) for k, v in answers.items()
    )
    return response


def historical_cycle(apps: Any) -> Any:
    """Acme's cycle Q4 on instrument v1, made with a migration state's models (`apps`)."""
    org = apps.get_model("orgs", "Organization").objects.create(name="Acme", slug="acme")
    version = apps.get_model("assessments", "InstrumentVersion").objects.create(
        version="1", title="v1", content_hash="x"
    )
    return apps.get_model("assessments", "Cycle").objects.create(
        organization=org,
        name="Q4",
        slug="q4",
        instrument=version,
        opens_on=date(2026, 10, 1),
        closes_on=date(2026, 12, 31),
    )
