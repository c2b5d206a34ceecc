"""Round 3 of the attacks: a text is the same string in every list it appears in.

Sums are audited as linear algebra (disclosure.py); texts can also be intersected. A team
pooled in one release and shown in the next meets the pool's list in the one person who had
answered while it was pooled. Each text keeps one home (reports/text_homes.py); these
attacks, confirmed against the database before the fix, must fail.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS
from assessments.models import Answer
from orgs.models import Team
from reports import selectors, text_homes
from reports.disclosure import POOL
from tests.builders import add_people, release, submit

UNIFORM = {"ctx_lifecycle_stage": "build", "ctx_role": "engineering"}
K = 3


def _org_with_a_one_person_team(world, cycle, answer):
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


def _quotes(cycle, key):
    """The quotes of a stored page of the latest release (what the page, CSV and PDF show)."""
    page = selectors.release_page(cycle, key)[1]
    if not page or not page.get("visible", True):
        return set()
    return {t["text"] for q in page["free_text"]["quotes"] for t in q["texts"]}


def test_attack_r3_a_pool_quote_meets_its_team_once_the_team_is_shown(world, cycle, login):
    n = 0

    def answer(team, user):
        nonlocal n
        n += 1
        extra = {**UNIFORM, "txt_anything_else": f"Quoted words number {n}"}
        submit(cycle, team, user, GUARDRAILS, extra=extra, quotable=frozenset(extra))

    gamma, target = _org_with_a_one_person_team(world, cycle, answer)
    alpha = f"team:{world.alpha.pk}"
    pool_first = _quotes(cycle, "org") - _quotes(cycle, alpha)
    assert len(pool_first) == 3  # quoted inside the released pool, as allowed
    for user in add_people(world.acme, gamma, 2, start=5):
        answer(gamma, user)
    release(cycle)
    page = login(world.leo).get(reverse("team_dashboard", args=["acme", "gamma"]))
    assert page.context["view"].get("visible")  # Gamma is shown now, with 3
    truth = Answer.objects.get(response__respondent=target, item_key="txt_anything_else").value
    assert not pool_first & _quotes(cycle, f"team:{gamma.pk}")
    # The pool's words stay quoted where they were (no text vanishes with a small group),
    # and the two newcomers' words wait: two people are fewer than k.
    assert truth in _quotes(cycle, "org")
    assert not _quotes(cycle, f"team:{gamma.pk}")
    # Three more (a change of Gamma by k): the five newcomers get their home together.
    for user in add_people(world.acme, gamma, 3, start=9):
        answer(gamma, user)
    release(cycle)
    gamma_quotes = _quotes(cycle, f"team:{gamma.pk}")
    assert len(gamma_quotes) == 5 and truth not in gamma_quotes


def _queue(client):
    page = client.get(reverse("review_queue", args=["acme"]) + "?state=all")
    assert page.status_code == 200
    return {r.public_id: (r.text, r.team) for r in page.context["rows"]}


def test_attack_r3_a_pooled_action_is_named_once_its_team_is_shown(world, cycle, login):
    n = 0

    def answer(team, user):
        nonlocal n
        n += 1
        text = f"I checked prompt changes against our checklist, week {n}"
        submit(cycle, team, user, GUARDRAILS, extra={**UNIFORM, "act_individual": text})

    gamma, target = _org_with_a_one_person_team(world, cycle, answer)
    admin = login(world.alice)
    first = _queue(admin)
    pooled_first = {pid for pid, (_, team) in first.items() if team != "Alpha"}
    assert len(pooled_first) == 3
    for user in add_people(world.acme, gamma, 2, start=5):
        answer(gamma, user)
    release(cycle)
    second = _queue(admin)
    named_gamma = {pid for pid, (_, team) in second.items() if team == "Gamma"}
    truth = Answer.objects.get(response__respondent=target, item_key="act_individual").value
    assert not {second[pid][0] for pid in pooled_first & named_gamma}
    assert truth in {text for text, _ in second.values()}  # still reviewed, unnamed
    assert all(team != "Gamma" for text, team in second.values() if text == truth)


# --- the rule itself -----------------------------------------------------------------------


def _row(*rids):
    return frozenset((rid, "d1") for rid in rids)


def test_a_home_is_given_to_k_people_together_and_then_kept():
    first = text_homes.plan_homes(
        {}, _row(1, 2, 3, 4, 5, 6), {"team:1": _row(1, 2, 3), POOL: _row(4, 5, 6)}, K
    )
    assert first == {**dict.fromkeys(_row(1, 2, 3), "team:1"), **dict.fromkeys(_row(4, 5, 6), POOL)}
    # Team 2 (was 6, pooled) is shown with two newcomers: 6 keeps the pool, 7 and 8 wait.
    units = {"team:1": _row(1, 2, 3), POOL: _row(4, 5), "team:2": _row(6, 7, 8)}
    second = text_homes.plan_homes(first, _row(*range(1, 9)), units, K)
    assert second[(6, "d1")] == POOL and (7, "d1") not in second and (8, "d1") not in second
    # One more newcomer: three get team 2 together.
    units["team:2"] = _row(6, 7, 8, 9)
    third = text_homes.plan_homes(second, _row(*range(1, 10)), units, K)
    assert {v for v, h in third.items() if h == "team:2"} == _row(7, 8, 9)
    # A withdrawn version takes its home with it.
    assert (1, "d1") not in text_homes.plan_homes(third, _row(*range(2, 10)), units, K)


@pytest.mark.parametrize("key", ["team:4|role=pm", "pool|stage=build", "org"])
def test_only_units_stand_for_homes_of_releases_from_before(key):
    last = {"team:4": _row(1, 2, 3), key: _row(1, 2), POOL: _row(7, 8, 9)}
    homes = text_homes.homes_shown_before(last)
    assert homes[(1, "d1")] == "team:4" and homes[(7, "d1")] == POOL
    assert text_homes.decode(text_homes.encode(homes)) == homes
