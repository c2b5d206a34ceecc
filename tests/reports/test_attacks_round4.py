"""Round 4 of the attacks: a construct mean differenced with its items across releases, and
a reviewer's label showing at once. Both were confirmed against the database by a red team
before the fix (each recovered the individual's true answer) and must now fail.

A. Where some of a group said "don't know" to item i1 and at least k others did not, the
   family plan blanks i1 and keeps the construct mean and the other items. Per person the
   construct score is a weighted mean of the items answered, so between two releases in
   which the people who answered i1 move by one (the team by k, the other newcomers saying
   "don't know"), the mean's change minus 1/W of the items' changes is
   (w1 / W) * (the target's i1 minus the mean of their other items): its sign is the answer.
   reports/parts_audit.py audits a mean beside its items with each person's weights.
B. A reviewer's label was left out of a response's digest, so a relabel reached the next
   release at once, as one action's move in one team's counts: an org admin could relabel
   an unnamed (pooled) text and watch which team page moved. The label is in the digest
   now, so a review waits, like an answer, until its group changes by 0 or at least k.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS
from assessments.models import Answer, ClassifiedAction
from reports import releases
from reports.models import Release
from tests.builders import add_people, release, submit
from tests.reports.answer_patterns import (
    V1,
    action_answerer,
    org_with_a_one_person_team,
    practice_mix,
)

UNIFORM = {"ctx_lifecycle_stage": "build", "ctx_role": "engineering"}

C = "individual_practice"
I1 = "ind_document_limitations"  # yes / no / don't know
C_LABEL = "Low-resource individual recoupling actions"


def _team_tables(client, slug):
    base = reverse("team_dashboard_export", args=["acme", slug])
    cons = list(
        csv.DictReader(io.StringIO(client.get(base + "?table=constructs").content.decode()))
    )
    items = list(csv.DictReader(io.StringIO(client.get(base + "?table=items").content.decode())))
    return cons, items


def _shows_mean_and_items(tables):
    cons, items = tables
    row = next(r for r in cons if r["construct"] == C_LABEL)
    keys = {i.key for i in V1.items if i.construct == C}
    return bool(row["mean"]) and any(r["mean"] for r in items if r["item"] in keys)


def _sums(cons, items):
    """(sum of C over its scored people, {item: (sum, n)}) from the team's CSV exports."""
    row = next(r for r in cons if r["construct"] == C_LABEL)
    total_c = float(row["mean"]) * int(row["n"])
    scores = {i.key: {o.label: o.score for o in i.options} for i in V1.items if i.construct == C}
    per_item: dict[str, list[float]] = {}
    for r in items:
        if r["item"] not in scores:
            continue
        acc = per_item.setdefault(r["item"], [0.0, 0.0, r["mean"]])
        s = scores[r["item"]].get(r["answer"])
        if s is not None and r["count"]:
            acc[0] += s * int(r["count"])
            acc[1] += int(r["count"])
    return total_c, per_item


def _answers(i, dont_know, i1=None):
    extra = {**UNIFORM, **practice_mix(i)}
    if dont_know:
        extra[I1] = "dont_know"
    elif i1:
        extra[I1] = i1
    return extra


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("secret", ["yes", "no"])
def test_attack_r4_a_construct_minus_items_across_releases(world, cycle, login, seed, secret):
    alpha = world.alpha
    people = [world.tess, world.max, *add_people(world.acme, alpha, 5)]
    # Release 1: three answer every item, one says "don't know" to I1.
    for i, u in enumerate(people[:3]):
        submit(cycle, alpha, u, GUARDRAILS, extra=_answers(i + seed, False))
    submit(cycle, alpha, people[3], GUARDRAILS, extra=_answers(3 + seed, True))
    release(cycle)
    lead = login(world.tess)
    before = _team_tables(lead, "alpha")
    # Release 2: the target answers I1; two newcomers say "don't know" to it (team moves by 3).
    target = people[4]
    submit(cycle, alpha, target, GUARDRAILS, extra=_answers(4 + seed, False, secret))
    for i, u in enumerate(people[5:]):
        submit(cycle, alpha, u, GUARDRAILS, extra=_answers(5 + i + seed, True))
    release(cycle)
    after = _team_tables(lead, "alpha")

    if not _shows_mean_and_items(before) or not _shows_mean_and_items(after):
        return  # the mean or every item withheld in a release: nothing left to difference
    c0, items0 = _sums(*before)
    c1, items1 = _sums(*after)
    # I1 is blanked on the page in both releases (no counts, no mean): what is protected.
    assert all(
        not r["mean"] and int(r["count"]) == 0 for r in before[1] + after[1] if r["item"] == I1
    )
    shown = [k for k in items1 if k != I1 and items1[k][1] > 0]
    weights = {i.key: i.weight for i in V1.items if i.construct == C}
    w_s = sum(weights[k] for k in shown)
    d_c = c1 - c0
    d_items = sum(weights[k] * (items1[k][0] - items0[k][0]) for k in shown)
    signal = d_c - d_items / w_s  # = (w1 / W_I) * (s_I1(target) - mean of target's others)
    recovered = "yes" if signal > 0 else "no"

    truth = Answer.objects.get(response__respondent=target, item_key=I1).value
    assert recovered != truth or abs(signal) < 0.5, (signal, truth)  # rounding noise only


@pytest.mark.parametrize("third", ["another_team", "three_more"])
@pytest.mark.parametrize("secret", ["yes", "no"])
def test_attack_r4_c_the_same_across_three_releases(world, cycle, login, secret, third):
    """Release 2 withholds the items beside the mean (the fix above); release 3 must not give
    them back as if release 1 (mean and items, before the target came) were forgotten."""
    alpha = world.alpha
    people = [world.tess, world.max, *add_people(world.acme, alpha, 8)]
    for i, u in enumerate(people[:3]):
        submit(cycle, alpha, u, GUARDRAILS, extra=_answers(i, False))
    submit(cycle, alpha, people[3], GUARDRAILS, extra=_answers(3, True))
    release(cycle)
    lead = login(world.tess)
    first = _team_tables(lead, "alpha")
    target = people[4]
    submit(cycle, alpha, target, GUARDRAILS, extra=_answers(4, False, secret))
    for i, u in enumerate(people[5:7]):
        submit(cycle, alpha, u, GUARDRAILS, extra=_answers(5 + i, True))
    release(cycle)
    if third == "another_team":  # Alpha unchanged: Beta's answers bring the next release
        for u in [world.bob, *add_people(world.acme, world.beta, 2)]:
            submit(cycle, world.beta, u, GUARDRAILS, extra=UNIFORM)
    else:  # three more in Alpha, all "don't know" to I1
        for i, u in enumerate(people[7:10]):
            submit(cycle, alpha, u, GUARDRAILS, extra=_answers(7 + i, True))
    assert releases.build(cycle.pk, Release.Reason.SUBMISSIONS) is not None
    third_tables = _team_tables(lead, "alpha")
    if not _shows_mean_and_items(first) or not _shows_mean_and_items(third_tables):
        return  # the mean or every item withheld in one of them: nothing to difference
    c1, items1 = _sums(*first)
    c3, items3 = _sums(*third_tables)
    shown = [k for k in items3 if k != I1 and items3[k][1] and items1.get(k, [0, 0])[1]]
    weights = {i.key: i.weight for i in V1.items if i.construct == C}
    signal = (c3 - c1) - sum(weights[k] * (items3[k][0] - items1[k][0]) for k in shown) / sum(
        weights[k] for k in shown
    )
    truth = Answer.objects.get(response__respondent=target, item_key=I1).value
    assert ("yes" if signal > 0 else "no") != truth or abs(signal) < 0.5, (signal, truth)


SMALL_TEAM = "A team below the anonymity threshold"


def _queue(client):
    page = client.get(reverse("review_queue", args=["acme"]) + "?state=all")
    assert page.status_code == 200
    return {r.public_id: r for r in page.context["rows"]}


def _action_counts(client, slug):
    url = reverse("team_dashboard_export", args=["acme", slug]) + "?table=actions"
    rows = csv.DictReader(io.StringIO(client.get(url).content.decode()))
    return {r["kind"]: int(r["count"]) for r in rows if r["kind"] != "quote"}


def test_attack_r4_b_relabel_an_unnamed_action_and_watch_the_team_pages(world, cycle, login):
    # Release 1: Alpha 3 (shown), Beta 2 and Gamma 1 (the target) pooled.
    answer = action_answerer(cycle)
    gamma, target = org_with_a_one_person_team(world, cycle, answer)
    admin = login(world.alice)
    unnamed_then = {pid for pid, r in _queue(admin).items() if r.team == SMALL_TEAM}
    assert len(unnamed_then) == 3  # the pool's three actions, no team named

    # Release 2: Gamma grows to 3 and is shown on its own; the target's text keeps the pool.
    for u in add_people(world.acme, gamma, 2, start=5):
        answer(gamma, u)
    release(cycle)
    queue = _queue(admin)
    assert all(queue[pid].team == SMALL_TEAM for pid in unnamed_then)  # still unnamed

    # The attack: relabel each pooled-era text in turn, release, and watch Gamma's page.
    found = None
    for pid in sorted(unnamed_then):
        before = _action_counts(admin, "gamma")
        row = queue[pid]
        new_kind = "none" if row.suggestion != "none" else "collective"
        post = admin.post(
            reverse("review_action", args=["acme", pid]),
            {"kind": new_kind, "reason": "not clearly an action", "state": "all"},
        )
        assert post.status_code == 302, post.content[:500]
        release(cycle)  # what the admin's "Release now" asks for
        after = _action_counts(admin, "gamma")
        if after != before:
            found = row.text
            break

    truth = Answer.objects.get(response__respondent=target, item_key="act_individual").value
    assert ClassifiedAction.objects.get(response__respondent=target).text == truth
    assert found is None, (found, truth)  # no relabel moved one team's counts alone
