"""Answers that put a construct high or low, and a fixed mix of practice answers: the
set-ups the attack tests (test_attacks_round2/3/4.py) share."""

from __future__ import annotations

from assessments.demo import GUARDRAILS
from assessments.services import instrument_for
from orgs.models import Team
from tests.builders import add_people, release, submit

V1 = instrument_for("1")
UNIFORM = {"ctx_lifecycle_stage": "build", "ctx_role": "engineering"}


def high_answers(construct: str) -> dict[str, object]:
    """Answers that put `construct` at 100 (reverse-coded items disagreed with)."""
    return {
        i.key: "strongly_disagree" if i.reverse else "strongly_agree"
        for i in V1.items
        if i.construct == construct
    }


def low_answers(construct: str) -> dict[str, object]:
    return {
        i.key: "strongly_agree" if i.reverse else "strongly_disagree"
        for i in V1.items
        if i.construct == construct
    }


PRACTICES = [i for i in V1.items if i.is_practice and i.is_scored and not i.show_if]


def practice_mix(person: int) -> dict[str, object]:
    """A fixed, mixed pattern of practice answers (about 40 % reported) for person `person`."""
    out: dict[str, object] = {}
    for j, item in enumerate(PRACTICES):
        reported = (person * 7 + j * 3) % 5 < 2
        values = {o.value for o in item.options}
        if "yes" in values:
            out[item.key] = "yes" if reported else "no"
        else:
            out[item.key] = "always" if reported else "rarely"
    return out


def action_answerer(cycle):
    """Submits uniform answers with a numbered individual action ("..., week <n>")."""
    n = 0

    def answer(team, user):
        nonlocal n
        n += 1
        text = f"I checked prompt changes against our checklist, week {n}"
        submit(cycle, team, user, GUARDRAILS, extra={**UNIFORM, "act_individual": text})

    return answer


def org_with_a_one_person_team(world, cycle, answer):
    """Alpha 3, Beta 2 and Gamma 1 (pooled), released; returns Gamma and its only member."""
    gamma = Team.objects.create(organization=world.acme, name="Gamma", slug="gamma")
    cycle.teams.add(gamma)
    target = add_people(world.acme, gamma, 1)[0]
    alpha = [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]
    beta = [world.bob, *add_people(world.acme, world.beta, 1)]
    for team, users in ((world.alpha, alpha), (world.beta, beta), (gamma, [target])):
        for user in users:
            answer(team, user)
    release(cycle)
    return gamma, target
