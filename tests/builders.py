"""Builders shared by the tests: people, submitted responses, releases."""

from __future__ import annotations

import random

from assessments.demo import Climate, demo_answers
from assessments.models import Answer, Cycle, Response
from assessments.services import instrument_for, store_submission
from orgs.models import Membership, Organization, Role, Team, User
from reports import releases
from reports.models import Release


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
    """A submitted response with generated answers (as the questionnaire would store it)."""
    instrument = instrument_for(cycle.instrument.version)
    answers = demo_answers(instrument, climate, random.Random(f"{team.slug}{user.pk}{seed}"))
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
