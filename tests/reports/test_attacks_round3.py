"""Round 3 of the attacks: a text is the same string in every list it appears in.

Sums are audited as linear algebra (disclosure.py); texts can also be intersected. A team
pooled in one release and shown in the next meets the pool's list in the one person who had
answered while it was pooled. Each text keeps one home (reports/text_homes.py); these
attacks, confirmed against the database before the fix, must fail.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from assessments import lift
from assessments.demo import GUARDRAILS
from assessments.models import Answer
from orgs.models import Team
from reports import selectors, text_homes
from reports.disclosure import POOL
from tests.builders import add_people, release, submit
from tests.reports.answer_patterns import (
    V1,
    action_answerer,
    high_answers,
    low_answers,
    org_with_a_one_person_team,
    practice_mix,
)

UNIFORM = {"ctx_lifecycle_stage": "build", "ctx_role": "engineering"}
K = 3


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

    gamma, target = org_with_a_one_person_team(world, cycle, answer)
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
    answer = action_answerer(cycle)
    gamma, target = org_with_a_one_person_team(world, cycle, answer)
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


# --- Two practices' lift cells differenced: the enabler is a released answer too ------------

COLLECTIVE = [i.key for i in V1.items if i.construct == "collective_practice"]
P, Q = "ind_minimise_prompt_data", "col_internal_review_board"


def _enablers(high: bool):
    make = high_answers if high else low_answers
    return make("leadership") | make("principles")


def _lift_counts(client):
    """Every (enabler, practice item) -> (with_n, without_n) the leader can read: the page's
    table and the lift CSV (which names both by label)."""
    page = client.get(reverse("org_dashboard", args=["acme"]))
    cells = page.context["view"]["lift_all"]
    out = {(c["enabler"], c["practice"]): (c["with_n"], c["without_n"]) for c in cells}
    keys = {(c["enabler_label"], c["practice_label"]): (c["enabler"], c["practice"]) for c in cells}
    export = client.get(reverse("org_dashboard_export", args=["acme"]) + "?table=lift")
    assert export.status_code == 200
    for row in csv.DictReader(io.StringIO(export.content.decode())):
        key = keys[(row["enabler"], row["practice"])]
        if row["with_n"] and out[key][0] is None:
            out[key] = (int(row["with_n"]), int(row["without_n"]))
    return out


@pytest.mark.parametrize("reports", [True, False])
def test_attack_r3_b_two_practices_scored_sets_one_apart_difference_the_enabler(
    world, cycle, login, reports
):
    """Zeta's 3 say "don't know" to P and to every collective practice; in Eta (7) only the
    target says "don't know" to the collective ones. P's and Q's scored people then differ by
    the target alone, so with_n(e, P) - with_n(e, Q) is whether the target reports e."""
    zeta = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    eta = Team.objects.create(organization=world.acme, name="Eta", slug="eta")
    cycle.teams.add(zeta, eta)
    dont_know = dict.fromkeys(COLLECTIVE, "dont_know")
    for i, user in enumerate(add_people(world.acme, zeta, 3)):
        extra = {**UNIFORM, **_enablers(i % 2 == 0), **practice_mix(i), **dont_know, P: "dont_know"}
        submit(cycle, zeta, user, GUARDRAILS, extra=extra)
    eta_people = add_people(world.acme, eta, 7)
    for i, user in enumerate(eta_people[:6]):
        submit(
            cycle, eta, user, GUARDRAILS, extra={**UNIFORM, **_enablers(i < 3), **practice_mix(i)}
        )
    target_answers = {**UNIFORM, **_enablers(reports), **practice_mix(9)}
    target = submit(cycle, eta, eta_people[6], GUARDRAILS, extra=target_answers | dont_know)
    release(cycle)
    scores = target.scores["constructs"]
    truth = {e: scores[e]["score"] >= 60 for e in ("leadership", "principles")}
    assert truth == dict.fromkeys(truth, reports)  # the set-up the attack needs

    counts = _lift_counts(login(world.leo))
    assert len(counts) == 2 * len(lift.practice_items(V1))
    recovered = {}
    for e in ("leadership", "principles"):
        (p, _), (q, _) = counts[(e, P)], counts[(e, Q)]
        if p is not None and q is not None:
            recovered[e] = p - q == 1
    assert recovered != truth, recovered
