"""Red-team round 2: attacks that recovered one person's answers after issue 12's fixes.

Each test plays the attack as a leader, org admin or team lead through the views they use,
checks against the database that the set-up is what the attack needs, and then asserts the
promise (README, "Anonymity: what is guaranteed"). They FAIL today: each is marked
`xfail(strict=True)` so the file stays green; remove the mark when the attack is fixed.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS
from assessments.instrument.types import CONSTRUCTS
from assessments.models import Answer, ClassifiedAction, Response
from assessments.services import (
    decide_reopen_request,
    request_reopen,
    submit_response,
)
from orgs.models import Membership, Team
from reports.disclosure import Person, Prior, plan_release
from tests.builders import add_people, release, submit
from tests.reports.answer_patterns import PRACTICES, V1, high_answers, low_answers, practice_mix
from tests.reports.exposure import (
    exposed,
    release_sequence,
    shown_rows,
    small_combinations_exposed,
)

K = 3


def _reports(response: Response) -> dict[str, bool]:
    """Ground truth from the database: which practices this one response reports."""
    answers = dict(Answer.objects.filter(response=response).values_list("item_key", "value"))
    cut = V1.thresholds.lift_practice_min
    out = {}
    for item in PRACTICES:
        option = next(o for o in item.options if o.value == answers[item.key])
        out[item.key] = option.score is not None and option.score >= cut
    return out


# --- Attack 1: two enablers' lift cells on the same practice, differenced -------------------


@pytest.fixture
def lift_org(world, cycle):
    """Zeta, 12 people: 6 report both enablers, 5 neither, and one (the target) reports
    leadership commitment but not organisational principles."""
    zeta = Team.objects.create(organization=world.acme, name="Zeta", slug="zeta")
    cycle.teams.add(zeta)
    responses = []
    for i, user in enumerate(add_people(world.acme, zeta, 12)):
        if i < 6:
            enablers = high_answers("leadership") | high_answers("principles")
        elif i < 11:
            enablers = low_answers("leadership") | low_answers("principles")
        else:
            enablers = high_answers("leadership") | low_answers("principles")
        extra = {"ctx_lifecycle_stage": "build", **enablers, **practice_mix(i)}
        responses.append(submit(cycle, zeta, user, GUARDRAILS, role="engineering", extra=extra))
    release(cycle)
    return cycle, responses


def test_attack_r2_1_lift_cells_of_two_enablers_differenced(world, lift_org, login):
    _, responses = lift_org
    target = responses[11]
    scores = target.scores["constructs"]
    assert scores["leadership"]["score"] >= 60 > scores["principles"]["score"]
    view = login(world.leo).get(reverse("org_dashboard", args=["acme"])).context["view"]
    cells = {
        (c["enabler"], c["practice"]): c
        for c in view["lift_all"]
        if not c["reason"] and c["with_k"] is not None
    }
    recovered = {}
    for item in PRACTICES:
        lead, princ = cells.get(("leadership", item.key)), cells.get(("principles", item.key))
        if lead is None or princ is None:
            continue
        if lead["with_n"] - princ["with_n"] == 1:  # W(lead) = W(princ) + one person
            recovered[item.key] = bool(lead["with_k"] - princ["with_k"])
    truth = _reports(target)
    # Today all 20 practices are recovered, each equal to the target's answer.
    right = sum(recovered[k] == truth[k] for k in recovered)
    assert not recovered or right < len(recovered), (len(PRACTICES), len(recovered), right)


# --- Attack 2: the review queue's action ids are in submission order -------------------------

TEXTS = (
    "I read every answer the assistant gave before we shipped it",
    "I kept customer names out of the prompts I wrote",
    "I wrote down what the summariser gets wrong and shared it",
    "I tried to break the chatbot with awkward questions",
    "I checked each prompt change against our checklist",
    "I told users in the help page that answers come from AI",
    "I asked a colleague to review the refusal messages with me",
    "I turned off the feature for a customer whose data looked wrong",
)
# Whatever reference the queue gives each action (a row id before the fix, a public id now).
QUEUE_ROW = re.compile(r'id="action-([^"]+)-text">“([^”]*)”')


def only_action(text: str) -> dict[str, object]:
    return {"act_individual": text, "act_collective": ""}


def _queue(client) -> dict[str, str]:
    """What a reviewer reads on the review queue ("All actions"): text -> the reference in
    its element id and links."""
    body = client.get(reverse("review_queue", args=["acme"]) + "?state=all").content.decode()
    return {text: ref for ref, text in QUEUE_ROW.findall(body)}


def _in_order(queue: dict[str, str]) -> list[str]:
    """The texts by their references, in natural order (numbers by value)."""
    return sorted(queue, key=lambda text: (len(queue[text]), queue[text]))


def _not_submitted(client, cycle) -> set[str]:
    page = client.get(reverse("participation", args=["acme", cycle.slug]))
    names = set()
    for row in page.context["rows"]:
        names |= {p.email for p in (*row.in_progress_names, *row.not_started_names)}
    return names


def test_attack_r2_2_review_queue_ids_follow_submission_order(world, cycle, login):
    """Fixed: the queue refers to actions by random public ids. The lead still sorts the
    texts by them and pairs them with the submission order; that now names all eight
    authors only by chance (1 in 8!)."""
    world.acme.show_participation_names = True  # an org setting, off by default
    world.acme.save()
    people = [world.max, *add_people(world.acme, world.alpha, 7)]
    lead = login(world.tess)
    waiting = _not_submitted(lead, cycle)
    order = []  # who submitted, in order, as the team lead sees it on the participation page
    for user, text in zip(people, sorted(TEXTS, reverse=True), strict=True):
        submit(cycle, world.alpha, user, GUARDRAILS, extra=only_action(text))
        now = _not_submitted(lead, cycle)
        order.append(next(iter(waiting - now)))
        waiting = now
    release(cycle)
    queue = _queue(lead)
    assert len(queue) == len(people)  # Alpha is released (8 >= k): its texts are in the queue
    guessed = dict(zip(_in_order(queue), order, strict=True))
    truth = {
        a.text: a.response.respondent.email
        for a in ClassifiedAction.objects.filter(team=world.alpha).select_related(
            "response__respondent"
        )
    }
    named = {text for text, who in guessed.items() if truth[text] == who}
    # Before the fix every one of the texts was attributed to its author by name.
    assert len(named) < len(people), named
    assert not set(queue.values()) & {  # and no row id shows in the queue
        str(pk) for pk in ClassifiedAction.objects.values_list("pk", flat=True)
    }


def test_attack_r2_2b_reopen_moves_the_requesters_text_to_the_end(world, cycle, login):
    """Fixed: a reopened response resubmitted unchanged used to get new ClassifiedAction
    rows (and ids), so its text moved to the end of the queue's id order and the lead who
    approved the request knew the requester's text. Unchanged texts now keep their row."""
    people = [world.max, *add_people(world.acme, world.alpha, 4)]
    for i, user in enumerate(people):
        text = f"I checked the prompt changes of sprint {i} against our checklist"
        submit(cycle, world.alpha, user, GUARDRAILS, extra=only_action(text))
    release(cycle)
    lead = login(world.tess)
    before = _queue(lead)
    target = Response.objects.get(cycle=cycle, respondent=world.max)
    decide_reopen_request(world.tess, request_reopen(target, "I ticked one box wrong"), True)
    submit_response(target)  # resubmitted as it was: same answers, nothing held back
    after = _queue(lead)
    assert set(after) == set(before)  # the release did not change: same texts
    moved = {text for text in after if after[text] != before[text]}
    max_text = ClassifiedAction.objects.get(response=target).text
    # Before the fix exactly the requester's text changed id, and became the largest.
    assert not moved, (moved == {max_text}, _in_order(after)[-1] == max_text)


# --- Attack 3: the pool of one release minus a team of the next is two people ---------------


def _teams_csv(client) -> dict[str, dict[str, str]]:
    body = client.get(reverse("org_dashboard_export", args=["acme"]) + "?table=teams")
    return _rows_by_team(body.content.decode())


def _rows_by_team(text: str) -> dict[str, dict[str, str]]:
    """A teams CSV by team; {} when nothing is released there (the CSV is then a note)."""
    reader = csv.DictReader(io.StringIO(text))
    return {r["team"]: r for r in reader} if "team" in (reader.fieldnames or ()) else {}


def _constructs_csv(client, team: str) -> dict[str, dict[str, str]]:
    url = reverse("team_dashboard_export", args=["acme", team]) + "?table=constructs"
    rows = csv.DictReader(io.StringIO(client.get(url).content.decode()))
    return {r["construct"]: r for r in rows}


UNIFORM = {"ctx_lifecycle_stage": "build", "ctx_role": "engineering"}


def test_attack_r2_3_pool_then_team_leaves_one_minus_one(world, cycle, login):
    gamma = Team.objects.create(organization=world.acme, name="Gamma", slug="gamma")
    cycle.teams.add(gamma)
    alpha = [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]
    beta = [world.bob, *add_people(world.acme, world.beta, 1)]
    target_user = add_people(world.acme, gamma, 1)[0]  # Gamma's only member: named by team
    for team, users in ((world.alpha, alpha), (world.beta, beta), (gamma, [target_user])):
        for user in users:
            submit(cycle, team, user, GUARDRAILS, extra=UNIFORM)
    release(cycle)
    admin = login(world.alice)
    first = _teams_csv(admin)
    pool = first["Other teams (pooled)"]
    assert int(pool["n"]) == 3 and "Beta" not in first  # Beta (2) and Gamma (1), pooled
    # The org admin answers for Beta herself (admins may), as Alpha grows by three.
    Membership.objects.filter(user=world.alice).update(team=world.beta)
    own = submit(cycle, world.beta, world.alice, GUARDRAILS, extra=UNIFORM, seed=7)
    for user in add_people(world.acme, world.alpha, 3, start=10):
        submit(cycle, world.alpha, user, GUARDRAILS, extra=UNIFORM)
    release(cycle)
    second = _teams_csv(admin)
    beta = second.get("Beta")
    # Defended: Beta alone (bob, his teammate and the admin) would be pool(1) minus Gamma
    # plus the admin, so it waits; the pool keeps showing as it was.
    assert beta is None and second["Other teams (pooled)"]["n"] == "3"
    truth = Response.objects.get(respondent=target_user).scores["constructs"]
    recovered = {}
    for key in CONSTRUCTS:
        if beta and pool[key] and beta[key]:
            mine = own.scores["constructs"][key]["score"]
            recovered[key] = 3 * float(pool[key]) - 3 * float(beta[key]) + mine
    # The CSV rounds means to 0.1, so 3 x (two roundings) leaves at most 0.3: a construct
    # score is a mean of a few 25-point steps, so that pins it.
    exact = {k for k, v in recovered.items() if abs(v - truth[k]["score"]) <= 0.35}
    # Today every construct the pool showed (six of seven) is recovered, to the step.
    assert not recovered or len(exact) < len(recovered), (exact, recovered)


# --- Attack 4: one filter's cell minus another filter's cell is one person minus another ------


def _filtered_csv(client, **params) -> dict[str, dict[str, str]]:
    query = "&".join(f"{k}={v}" for k, v in {"table": "teams", **params}.items())
    body = client.get(reverse("org_dashboard_export", args=["acme"]) + "?" + query)
    return _rows_by_team(body.content.decode())


def test_attack_r2_4_cells_of_two_filters_differenced(world, cycle, login):
    Membership.objects.filter(user=world.alice).update(team=world.alpha)
    others = add_people(world.acme, world.alpha, 4)
    target = world.max  # the one engineer in the test stage
    people = [
        (world.alice, "design", "build"),  # the attacker answers for her own team
        (target, "engineering", "test"),
        (others[0], "engineering", "build"),
        (others[1], "engineering", "build"),
        (others[2], "design", "test"),
        (others[3], "design", "test"),
    ]
    responses = {}
    for user, role, stage in people:
        extra = {"ctx_role": role, "ctx_lifecycle_stage": stage}
        responses[user] = submit(cycle, world.alpha, user, GUARDRAILS, extra=extra)
    release(cycle)
    admin = login(world.alice)
    eng = _filtered_csv(admin, role="engineering").get("Alpha")
    build = _filtered_csv(admin, stage="build").get("Alpha")
    assert _filtered_csv(admin)["Alpha"]["n"] == "6"
    recovered = {}
    if eng and build and eng["n"] == build["n"] == "3":
        for key in CONSTRUCTS:
            if eng[key] and build[key]:
                mine = responses[world.alice].scores["constructs"][key]["score"]
                recovered[key] = 3 * float(eng[key]) - 3 * float(build[key]) + mine
    truth = responses[target].scores["constructs"]
    exact = {k for k, v in recovered.items() if abs(v - truth[k]["score"]) <= 0.35}
    # Today every construct the cells show is recovered, to the rounding of the CSV.
    assert not recovered or len(exact) < len(recovered), (exact, recovered)


def test_attack_r2_4_the_planner_releases_two_cells_whose_difference_is_two_people():
    roles = ["design", "engineering", "engineering", "engineering", "design", "design"]
    stages = ["build", "test", "build", "build", "test", "test"]
    current = {
        i: Person(i, "d1", 1, {"role": role, "stage": stage})
        for i, (role, stage) in enumerate(zip(roles, stages, strict=True))
    }
    plan = plan_release(Prior(), current, K, ("role", "stage"))
    released = {(dim, value) for (_, dim, value) in plan.cells}
    assert not {("role", "engineering"), ("stage", "build")} <= released, released


# --- Attack 5: a reopened response's change, through a cell's complement -------------------

SAME = {"ctx_lifecycle_stage": "build", "ctx_delivery_pressure": "neutral"}
SAME |= {"ctx_self_view": "guardrail"}


def test_attack_r2_5_a_reopened_change_through_the_complement_of_a_cell(world, cycle, login):
    engineers = [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]
    for user in engineers:
        submit(cycle, world.alpha, user, GUARDRAILS, role="engineering", extra=SAME)
    release(cycle)
    leader = login(world.leo)
    first = _teams_csv(leader)["Alpha"]
    target = Response.objects.get(cycle=cycle, respondent=world.max)
    before = target.scores["constructs"]
    decide_reopen_request(world.tess, request_reopen(target, "I misread a question"), True)
    Answer.objects.filter(response=target, item_key__in=high_answers("leadership")).delete()
    Answer.objects.bulk_create(
        Answer(response=target, item_key=key, value=value)
        for key, value in high_answers("leadership").items()
    )
    submit_response(target)
    for user in add_people(world.acme, world.alpha, 3, start=20):
        submit(cycle, world.alpha, user, GUARDRAILS, role="design", extra=SAME)
    release(cycle)
    target.refresh_from_db()
    after = target.scores["constructs"]
    assert after["leadership"]["score"] != before["leadership"]["score"]
    second = _teams_csv(leader)["Alpha"]
    designers = _filtered_csv(leader, role="design").get("Alpha")
    recovered = {}
    if designers and designers["n"] == "3":
        for key in CONSTRUCTS:
            if first[key] and second[key] and designers[key]:
                recovered[key] = (
                    6 * float(second[key]) - 3 * float(designers[key]) - 3 * float(first[key])
                )
    change = {k: after[k]["score"] - before[k]["score"] for k in recovered}
    exact = {k for k, v in recovered.items() if abs(v - change[k]) <= 0.5}
    # Today the change of every construct shown is recovered (leadership: the one changed).
    assert not recovered or len(exact) < len(recovered), (recovered, change)


GAMMA_WORDS = "We asked legal twice and never heard back, so I stopped asking"


def test_attack_r2_3b_a_pool_quote_is_attributed_when_the_pool_dissolves(world, cycle, login):
    gamma = Team.objects.create(organization=world.acme, name="Gamma", slug="gamma")
    cycle.teams.add(gamma)
    alpha = [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]
    beta = [world.bob, *add_people(world.acme, world.beta, 1)]
    author = add_people(world.acme, gamma, 1)[0]
    for team, users in ((world.alpha, alpha), (world.beta, beta)):
        for user in users:
            submit(cycle, team, user, GUARDRAILS, extra=UNIFORM)
    quoted = {**UNIFORM, "txt_anything_else": GAMMA_WORDS}
    submit(cycle, gamma, author, GUARDRAILS, extra=quoted, quotable=frozenset(quoted))
    release(cycle)
    leader = login(world.leo)

    def shows(url: str) -> bool:
        return GAMMA_WORDS in leader.get(url).content.decode()

    org_url = reverse("org_dashboard", args=["acme"])
    assert shows(org_url)  # quoted inside the released pool (Beta 2 + Gamma 1), as allowed
    in_alpha = shows(reverse("team_dashboard", args=["acme", "alpha"]))
    # Beta grows by one newcomer, Alpha by three (so the organisation moves by k or more).
    submit(cycle, world.beta, add_people(world.acme, world.beta, 1, start=30)[0], GUARDRAILS)
    for user in add_people(world.acme, world.alpha, 3, start=10):
        submit(cycle, world.alpha, user, GUARDRAILS, extra=UNIFORM)
    release(cycle)
    beta_page = leader.get(reverse("team_dashboard", args=["acme", "beta"]))
    beta_shown = bool(beta_page.context["view"].get("visible"))
    gone = not shows(org_url) and GAMMA_WORDS not in beta_page.content.decode()
    assert Answer.objects.get(value=GAMMA_WORDS).response.respondent == author
    # Today: shown in the pool, not Alpha's, then gone with the pool while Beta is shown.
    assert not (not in_alpha and beta_shown and gone)


# --- The audit the planner needs: signed combinations, not only sums ------------------------


def test_attack_r2_3_the_planner_releases_a_one_minus_one_difference():
    # Alpha 0-2, Beta 3-4 (+ 6 later), Gamma 5; Alpha grows by 7-9 in release 2.
    teams = [(1, "pm", "build")] * 3 + [(2, "pm", "build")] * 2 + [(3, "pm", "build")]
    teams += [(2, "pm", "build")] + [(1, "pm", "build")] * 3
    first = [("submit", i) for i in range(6)]
    plans = release_sequence(K, teams, [first, [("submit", i) for i in (6, 7, 8, 9)]])
    assert plans[0].pool is not None  # Beta and Gamma pooled
    assert not small_combinations_exposed(shown_rows(plans[0]), K)  # release 1 alone is safe
    # Defended: Beta alone would be pool(1) - Gamma + the newcomer, so Beta's newcomer waits.
    assert 2 not in plans[1].teams and 6 in plans[1].held_back
    rows = [r for plan in plans for r in shown_rows(plan)]
    assert not exposed(rows)
    assert not small_combinations_exposed(rows, K)


def test_attack_r2_5_the_planner_releases_one_persons_change_through_a_rest_block():
    teams = [(1, "engineering", "build")] * 3 + [(1, "design", "build")] * 3
    first = [("submit", i) for i in range(3)]
    plans = release_sequence(K, teams, [first, [("submit", i) for i in (1, 3, 4, 5)]])
    assert plans[1].people[1].digest == "d2" and not plans[1].held_back  # the change is out
    rows = [r for plan in plans for r in shown_rows(plan)]
    assert not exposed(rows)  # the audit as it is passes
    assert not small_combinations_exposed(rows, K)
