"""Classified actions: labelled at submission, reviewed by team leads, measured by admins.

The queue's anonymity rule, read from the latest release of each cycle (never from live
submissions): a team's actions are shown only where the release holds at least k of its
responses; smaller teams' actions go to org admins only, pooled across the release's small
teams (at least k people together) and without the team's name.
"""

from __future__ import annotations

import csv
import io
import itertools
import random
import re
import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS, demo_answers
from assessments.models import Answer, ClassifiedAction, Cycle, Response
from assessments.services import instrument_for, submit_response
from orgs.models import AuditEvent, Membership, Role, Team
from tests.builders import make_open_cycle, make_user, release

CLEAR_COLLECTIVE = "We held the launch two weeks for an external bias audit paid by the company."
VAGUE = "Made sure things were handled properly."
ONE_PERSON_TEXT = "Sat down with the only engineer and rewrote the refusal messages."
QUESTION = "Describe one thing you did in the last three months"
SUGGESTED = {"individual": "individual", "collective": "collective", "none": "not an action"}


def another_cycle(world, org, name: str, slug: str, teams: list[Team]) -> Cycle:
    base = Cycle.objects.filter(organization=world.acme).first() or make_open_cycle(world)
    cycle = Cycle.objects.create(
        organization=org,
        name=name,
        slug=slug,
        instrument=base.instrument,
        opens_on=base.opens_on + timedelta(days=1),
        closes_on=base.closes_on,
        state=Cycle.State.OPEN,
    )
    cycle.teams.set(teams)
    return cycle


def submit_with_actions(world, cycle, user, team, individual: str, collective: str) -> Response:
    instrument = instrument_for("1")
    response = Response.objects.create(cycle=cycle, team=team, respondent=user)
    answers = demo_answers(instrument, GUARDRAILS, random.Random(user.pk))
    answers["act_individual"], answers["act_collective"] = individual, collective
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v) for k, v in answers.items()
    )
    submit_response(response)
    return response


def add_member(world, team: Team, email: str):
    user = make_user(email)
    Membership.objects.create(user=user, organization=world.acme, role=Role.MEMBER, team=team)
    return user


def fill_team(world, cycle, team: Team, people: int, individual: str = VAGUE) -> None:
    """Submitted responses in `team` until `people` of it have submitted in `cycle`
    (existing members first, then new ones)."""
    done = set(Response.objects.filter(cycle=cycle, team=team).values_list("respondent", flat=True))
    members = [m.user for m in Membership.objects.filter(team=team).order_by("pk")]
    while len(members) < people:
        members.append(add_member(world, team, f"{team.slug}{len(members)}@example.com"))
    for user in members[:people]:
        if user.pk not in done:
            submit_with_actions(world, cycle, user, team, individual, CLEAR_COLLECTIVE)


@pytest.fixture
def submitted(world, cycle):
    """Alpha and Beta each with k=3 submitted respondents."""
    fill_team(world, cycle, world.alpha, 3)
    fill_team(world, cycle, world.beta, 3)
    release(cycle)
    return ClassifiedAction.objects.all()


def queue(client, **params) -> str:
    return client.get(reverse("review_queue", args=["acme"]), params).content.decode()


def queue_rows(client) -> tuple:
    """The queue's rows and counts as shown (the page also holds per-request tokens)."""
    page = client.get(reverse("review_queue", args=["acme"]), {"state": "all"})
    return tuple((r.public_id, r.text, r.team) for r in page.context["rows"]), page.context[
        "counts"
    ]


def pending_vague(team: Team) -> ClassifiedAction:
    return ClassifiedAction.objects.filter(team=team, text=VAGUE).order_by("pk").first()


# --- classification at submission ------------------------------------------------------


def test_submission_classifies_each_action_and_routes_unsure_ones_to_review(submitted):
    clear = submitted.filter(team__slug="alpha", text=CLEAR_COLLECTIVE).first()
    vague = submitted.filter(team__slug="alpha", text=VAGUE).first()
    assert (
        clear.kind == "collective" and not clear.needs_review and clear.final_kind() == "collective"
    )
    assert vague.needs_review and vague.final_kind() is None
    assert clear.cues


def test_a_text_that_describes_no_action_is_labelled_none_and_not_counted(world, cycle):
    submit_with_actions(
        world, cycle, world.max, world.alpha, "We did not get an audit.", CLEAR_COLLECTIVE
    )
    action = ClassifiedAction.objects.get(text="We did not get an audit.")
    assert action.kind == "none" and action.final_kind() == "none"
    assert not action.is_counted_action()


# --- anonymity of the queue ---------------------------------------------------------------


def test_team_lead_sees_only_their_teams_pending_actions_without_authors(world, submitted, login):
    page = queue(login(world.tess))
    assert page.count(f"“{VAGUE}”</p>") == 3  # Alpha's three, not Beta's
    for person in ("max@example.com", "Max", "Alpha1", "alpha1@example.com"):
        assert person not in page
    for response in Response.objects.all():
        assert f"responses/{response.pk}/" not in page
    for action in ClassifiedAction.objects.all():  # row ids follow submission order
        assert f"/reviews/{action.pk}/" not in page and f"action-{action.pk}-" not in page
    assert QUESTION in page  # which question the text answered


def test_team_lead_never_sees_their_own_teams_actions_below_k(world, cycle, login):
    fill_team(world, cycle, world.alpha, 2)
    release(cycle)
    client = login(world.tess)
    page = queue(client, state="all")
    assert VAGUE not in page and CLEAR_COLLECTIVE not in page
    action = pending_vague(world.alpha)
    url = reverse("review_action", args=["acme", action.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"kind": "individual"}).status_code == 404
    action.refresh_from_db()
    assert not action.is_reviewed()


def test_attack_5_a_one_person_teams_action_cannot_be_attributed(world, cycle, login):
    """A one-person team's action, with the participation page, would name its author."""
    fill_team(world, cycle, world.alpha, 3)
    submit_with_actions(world, cycle, world.bob, world.beta, ONE_PERSON_TEXT, CLEAR_COLLECTIVE)
    release(cycle)
    bobs = ClassifiedAction.objects.get(text=ONE_PERSON_TEXT)
    admin = login(world.alice)
    # Beta is the only team below k: its action is nobody else's, so it is not shown at all.
    assert ONE_PERSON_TEXT not in queue(admin, state="all")
    detail = reverse("review_action", args=["acme", bobs.public_id])
    assert admin.get(detail).status_code == 404
    assert (
        ONE_PERSON_TEXT not in admin.get(reverse("review_export", args=["acme"])).content.decode()
    )
    # Beta's own lead (the one person's lead) never sees it either.
    Membership.objects.filter(user=world.bob).update(role=Role.TEAM_LEAD)
    assert login(world.bob).get(detail).status_code == 404
    assert ONE_PERSON_TEXT not in queue(login(world.bob), state="all")


def test_small_teams_actions_go_to_admins_pooled_and_without_the_team_name(world, cycle, login):
    fill_team(world, cycle, world.alpha, 3)
    gamma = Team.objects.create(organization=world.acme, name="Gamma Squad", slug="gamma-squad")
    cycle.teams.add(gamma)
    submit_with_actions(world, cycle, world.bob, world.beta, ONE_PERSON_TEXT, CLEAR_COLLECTIVE)
    fill_team(world, cycle, gamma, 2)  # Beta 1 + Gamma 2 = k people in the small-team pool
    release(cycle)
    bobs = ClassifiedAction.objects.get(text=ONE_PERSON_TEXT)
    admin = login(world.alice)
    page = queue(admin, state="all")
    assert ONE_PERSON_TEXT in page
    assert "A team below the anonymity threshold" in page
    assert "Beta" not in page and "Gamma Squad" not in page
    assert "Alpha" in page  # teams at or above k are named
    detail = admin.get(reverse("review_action", args=["acme", bobs.public_id])).content.decode()
    assert ONE_PERSON_TEXT in detail and "Beta" not in detail
    assert "bob@example.com" not in detail and "Bob" not in detail
    # Team leads see no pooled actions, not even their own team's.
    Membership.objects.filter(user=world.bob).update(role=Role.TEAM_LEAD)
    assert ONE_PERSON_TEXT not in queue(login(world.bob), state="all")


def test_actions_of_a_reopened_response_leave_the_queue_only_with_a_release(world, cycle, login):
    """The queue changing the moment a response is reopened would tell the team lead, who
    approved the reopen, which texts are that person's. It follows the release instead."""
    fill_team(world, cycle, world.alpha, 4)
    fill_team(world, cycle, world.beta, 3)
    release(cycle)
    action = pending_vague(world.alpha)
    client = login(world.tess)
    before = queue_rows(client)
    assert len(before[0]) == 8  # Alpha's 4 people, two texts each
    Response.objects.filter(pk=action.response_id).update(status=Response.Status.DRAFT)
    assert queue_rows(client) == before
    release(cycle)  # one withdrawal from a team of 4 waits: the release keeps it
    assert queue_rows(client) == before
    assert client.get(reverse("review_action", args=["acme", action.public_id])).status_code == 200
    fill_team(world, cycle, world.alpha, 7)  # 3 more: with the withdrawal, 4 changes >= k
    release(cycle)
    assert queue(client, state="all").count(f"“{VAGUE}”</p>") == 6  # 3 of the first 4, 3 new
    assert client.get(reverse("review_action", args=["acme", action.public_id])).status_code == 404


def test_a_raised_threshold_applies_to_the_queue_at_once(world, cycle, submitted, login):
    """Alpha and Beta were released with 3 each at k = 3; k goes to 4. Before any new
    release the queue already counts by the new k; the regrouping release then pools the
    two teams (6 >= 4): org admins see their actions unnamed, the team lead none."""
    world.acme.anonymity_threshold = 4
    world.acme.save(update_fields=["anonymity_threshold"])
    assert VAGUE not in queue(login(world.tess), state="all")
    assert VAGUE not in queue(login(world.alice), state="all")
    regrouped = release(cycle)
    assert regrouped.regrouped_from == 3
    assert VAGUE not in queue(login(world.tess), state="all")
    admin = queue(login(world.alice), state="all")
    assert admin.count(f"“{VAGUE}”</p>") == 6
    assert "Alpha" not in admin and "Beta" not in admin


# --- deciding -----------------------------------------------------------------------------


def test_the_suggestion_is_not_preselected_and_the_question_is_shown(world, submitted, login):
    action = pending_vague(world.alpha)
    page = login(world.tess).get(reverse("review_action", args=["acme", action.public_id]))
    html = page.content.decode()
    assert page.status_code == 200
    assert " checked" not in html
    assert QUESTION in html
    assert f"Agree: {SUGGESTED[action.kind]}" in html
    for value in ("individual", "collective", "none", "duplicate"):
        assert f'id="kind-{value}"' in html and f'for="kind-{value}"' in html


def test_agreeing_takes_one_click_and_no_reason(world, submitted, login):
    action = pending_vague(world.alpha)
    client = login(world.tess)
    response = client.post(
        reverse("review_action", args=["acme", action.public_id]),
        {"kind": action.kind, "state": "pending", "page": "1"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/reviews/?state=pending&page=1"
    action.refresh_from_db()
    assert action.final_kind() == action.kind and not action.was_overridden()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACTION_REVIEWED)
    assert event.data["decision"] == action.kind and event.data["reason"] == ""
    assert event.actor == world.tess
    # Every org admin reads the audit log: it names the action by its public id, never by
    # its words or its row id (which follows submission order).
    assert event.target_repr == f"Action {action.public_id}"
    assert action.text[:20] not in str(event.data) + event.target_repr


def test_disagreeing_needs_a_reason_and_is_stored_audited_and_used(world, submitted, login):
    action = pending_vague(world.alpha)
    other = "collective" if action.kind != "collective" else "individual"
    url = reverse("review_action", args=["acme", action.public_id])
    client = login(world.tess)
    refused = client.post(url, {"kind": other, "reason": "  "})
    assert refused.status_code == 400
    assert "say why" in refused.content.decode()
    assert f'value="{other}" checked' in refused.content.decode()  # the choice is kept
    assert (
        client.post(url, {"kind": other, "reason": "Needed a cross-team process"}).status_code
        == 302
    )
    action.refresh_from_db()
    assert action.final_kind() == other and action.reviewed_by == world.tess
    assert action.was_overridden()
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACTION_REVIEWED)
    assert event.data == {
        "classifier": action.kind,
        "decision": other,
        "overridden": True,
        "reason": "Needed a cross-team process",
        "bulk": False,
    }


@pytest.mark.parametrize("decision", ["none", "duplicate"])
def test_reviewers_can_say_not_an_action_or_duplicate(world, submitted, login, decision):
    action = pending_vague(world.alpha)
    url = reverse("review_action", args=["acme", action.public_id])
    assert login(world.tess).post(url, {"kind": decision, "reason": "Too vague"}).status_code == 302
    action.refresh_from_db()
    assert action.final_kind() == decision
    assert not action.is_counted_action()


@pytest.mark.parametrize("kind", ["sideways", "", "INDIVIDUAL", "x" * 200])
def test_an_unknown_kind_is_refused_and_nothing_typed_is_lost(world, submitted, login, kind):
    action = pending_vague(world.alpha)
    url = reverse("review_action", args=["acme", action.public_id])
    response = login(world.tess).post(url, {"kind": kind, "reason": "My careful reason"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose individual, collective, not an action, or duplicate." in html
    assert "My careful reason" in html
    action.refresh_from_db()
    assert not action.is_reviewed()


def test_an_overlong_reason_is_refused_and_kept(world, submitted, login):
    action = pending_vague(world.alpha)
    url = reverse("review_action", args=["acme", action.public_id])
    response = login(world.tess).post(url, {"kind": "none", "reason": "y" * 600})
    assert response.status_code == 400
    assert "under 500 characters" in response.content.decode()
    assert "y" * 600 in response.content.decode()


def test_review_survives_a_reopen_and_resubmit_of_the_same_text(world, cycle, submitted, login):
    action = pending_vague(world.alpha)
    login(world.tess).post(
        reverse("review_action", args=["acme", action.public_id]),
        {"kind": "none", "reason": "Too vague"},
    )
    response = action.response
    rows = {a.item_key: (a.pk, a.public_id, a.created_at) for a in response.actions.all()}
    reopen(response)
    submit_response(response)
    again = ClassifiedAction.objects.get(response=response, text=VAGUE)
    assert again.final_kind() == "none" and again.review_reason == "Too vague"
    # The same rows, not copies: new rows (new ids) for only this response's texts would
    # tell the team lead who approved the reopen which texts are the requester's.
    assert {a.item_key: (a.pk, a.public_id, a.created_at) for a in response.actions.all()} == rows
    assert len(rows) == 2


def test_an_unchanged_text_keeps_its_labels_and_follows_the_quote_consent(world, submitted):
    """Labels from an earlier lexicon stay: relabelling only the resubmitted response's texts
    would single them out in the queue as new rows would. Consent to quote may change."""
    action = ClassifiedAction.objects.get(
        team=world.alpha, text=CLEAR_COLLECTIVE, response=pending_vague(world.alpha).response
    )
    ClassifiedAction.objects.filter(pk=action.pk).update(
        kind="individual", confidence=0.61, needs_review=True, cues=["old:cue"], may_quote=False
    )
    reopen(action.response)
    Answer.objects.filter(response=action.response, item_key=action.item_key).update(may_quote=True)
    submit_response(action.response)
    again = ClassifiedAction.objects.get(pk=action.pk)
    assert (again.public_id, again.kind, again.confidence, again.needs_review, again.cues) == (
        action.public_id,
        "individual",
        0.61,
        True,
        ["old:cue"],
    )
    assert again.may_quote


def test_a_changed_text_at_resubmission_is_a_new_action(world, submitted, login):
    action = pending_vague(world.alpha)
    login(world.tess).post(
        reverse("review_action", args=["acme", action.public_id]),
        {"kind": "none", "reason": "Too vague"},
    )
    response = action.response
    kept = ClassifiedAction.objects.get(response=response, item_key="act_collective")
    reopen(response)
    changed = "Wrote a checklist for prompt changes and used it every sprint."
    Answer.objects.filter(response=response, item_key=action.item_key).update(value=changed)
    submit_response(response)
    new = ClassifiedAction.objects.get(response=response, item_key=action.item_key)
    assert new.text == changed and not new.is_reviewed()  # the old decision was on other words
    assert new.pk != action.pk and new.public_id != action.public_id
    assert not ClassifiedAction.objects.filter(public_id=action.public_id).exists()
    same = ClassifiedAction.objects.get(response=response, item_key="act_collective")
    assert (same.pk, same.public_id) == (kept.pk, kept.public_id)


def test_public_ids_do_not_follow_creation_order(world, submitted):
    response = Response.objects.filter(team=world.alpha).first()
    made = [
        ClassifiedAction.objects.create(
            response=response,
            cycle=response.cycle,
            team=response.team,
            item_key=f"act_{i}",
            text=f"Action number {i}",
            kind="individual",
            confidence=0.5,
        )
        for i in range(60)
    ]
    public_ids = [a.public_id for a in made]
    # Random (version 4), not time-based like versions 1 and 7, which sort by creation.
    assert all(p.version == 4 for p in public_ids)
    assert len(set(public_ids)) == len(made)
    # In a random order about half the steps rise (29.5 of 59, give or take 2.3); in
    # creation order all 59 would, in reverse order none.
    rises = sum(a < b for a, b in itertools.pairwise(public_ids))
    assert 10 <= rises <= 49, rises
    assert sum(str(a) < str(b) for a, b in itertools.pairwise(public_ids)) == rises


def test_the_queue_breaks_ties_by_public_id_not_by_submission(world, submitted, login):
    rows = login(world.tess).get(reverse("review_queue", args=["acme"]), {"state": "all"})
    by_text: dict[str, list[str]] = {}
    for row in rows.context["rows"]:
        by_text.setdefault(row.text, []).append(row.public_id)
    assert sorted(len(ids) for ids in by_text.values()) == [3, 3]  # same text, same confidence
    assert all(ids == sorted(ids) for ids in by_text.values())


@pytest.mark.parametrize(
    "ref", ["12", "not-a-public-id", "0" * 36, "0123456789abcdef" * 2, "x" * 500]
)
def test_a_malformed_public_id_is_404_not_500(world, submitted, login, ref):
    client = login(world.tess)
    assert client.get(f"/o/acme/reviews/{ref}/").status_code == 404
    assert client.post(f"/o/acme/reviews/{ref}/", {"kind": "none"}).status_code == 404


def test_team_lead_cannot_review_another_teams_action(world, submitted, login):
    beta_action = pending_vague(world.beta)
    url = reverse("review_action", args=["acme", beta_action.public_id])
    assert login(world.tess).post(url, {"kind": "individual", "reason": "x"}).status_code == 404
    assert login(world.tess).get(url).status_code == 404
    assert login(world.charlie).get(url).status_code == 404
    beta_action.refresh_from_db()
    assert not beta_action.is_reviewed()


def reopen(response: Response) -> None:
    response.status = Response.Status.DRAFT
    response.save(update_fields=["status"])


def test_another_organisations_action_id_is_404(world, submitted, login):
    other_cycle = another_cycle(world, world.other, "Q4", "other-q4", [world.other_team])
    submit_with_actions(world, other_cycle, world.charlie, world.other_team, VAGUE, VAGUE)
    theirs = ClassifiedAction.objects.filter(team=world.other_team).first()
    admin = login(world.alice)
    assert admin.get(reverse("review_action", args=["acme", theirs.public_id])).status_code == 404
    assert admin.get(reverse("review_action", args=["acme", uuid.uuid4()])).status_code == 404
    confirm = reverse("review_confirm", args=["acme"])
    assert admin.post(confirm, {"action": [theirs.public_id]}).status_code == 404
    assert admin.post(confirm, {"action": [uuid.uuid4()]}).status_code == 404
    theirs.refresh_from_db()
    assert not theirs.is_reviewed()


def test_members_and_leaders_cannot_review(world, submitted, login):
    action = pending_vague(world.alpha)
    for user in (world.max, world.leo):
        client = login(user)
        assert client.get(reverse("review_queue", args=["acme"])).status_code == 403
        assert (
            client.post(reverse("review_action", args=["acme", action.public_id])).status_code
            == 403
        )
        assert client.post(reverse("review_confirm", args=["acme"])).status_code == 403
    anonymous = login(None).get(reverse("review_queue", args=["acme"]))
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


# --- the queue: filter, bulk confirm, query count -----------------------------------------


def test_the_queue_filters_by_cycle(world, cycle, login):
    fill_team(world, cycle, world.alpha, 3)
    later = another_cycle(world, world.acme, "2027 Q1", "2027-q1", [world.alpha])
    fill_team(world, later, world.alpha, 3, individual="Handled it somehow.")
    release(cycle)
    release(later)
    client = login(world.tess)
    everything = queue(client)
    assert VAGUE in everything and "Handled it somehow." in everything
    only_later = queue(client, cycle="2027-q1")
    assert VAGUE not in only_later and "Handled it somehow." in only_later
    assert 'value="2027-q1" selected' in only_later
    unknown = queue(client, cycle="no-such-cycle")
    assert "There is no cycle “no-such-cycle”" in unknown and VAGUE in unknown


def test_bulk_confirm_asks_first_then_agrees_with_each_suggestion(world, submitted, login):
    actions = list(ClassifiedAction.objects.filter(team=world.alpha, text=VAGUE))
    url = reverse("review_confirm", args=["acme"])
    client = login(world.tess)
    ids = [a.public_id for a in actions[:2]]
    asked = client.post(url, {"action": ids})
    assert asked.status_code == 200
    html = asked.content.decode()
    assert "Agree with the suggestion for 2 actions?" in html and html.count(VAGUE) == 2
    assert not ClassifiedAction.objects.filter(reviewed_at__isnull=False).exists()
    done = client.post(url, {"action": ids, "confirmed": "yes", "state": "pending"})
    assert done.status_code == 302 and done["Location"] == "/o/acme/reviews/?state=pending"
    for action in ClassifiedAction.objects.filter(public_id__in=ids):
        assert action.final_kind() == action.kind and action.reviewed_by == world.tess
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ACTION_REVIEWED)
    assert sorted(int(e.target_id) for e in events) == sorted(a.pk for a in actions[:2])
    assert all(e.data["bulk"] is True for e in events)
    # Recorded in public-id order: row-id order would be submission order, in the audit log.
    assert [e.target_repr for e in events.order_by("pk")] == [f"Action {p}" for p in sorted(ids)]
    assert not ClassifiedAction.objects.get(pk=actions[2].pk).is_reviewed()


def test_bulk_confirm_keeps_a_decision_made_in_the_meantime(world, submitted, login):
    action = pending_vague(world.alpha)
    client = login(world.tess)
    client.post(
        reverse("review_action", args=["acme", action.public_id]),
        {"kind": "duplicate", "reason": "Twice"},
    )
    client.post(
        reverse("review_confirm", args=["acme"]), {"action": [action.public_id], "confirmed": "yes"}
    )
    action.refresh_from_db()
    assert action.reviewed_kind == "duplicate"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Select at least one action"),
        ({"action": ["abc"]}, "not valid"),
        ({"action": ["-1"]}, "not valid"),
        ({"action": ["12"]}, "not valid"),  # a row id is not a public id
        ({"action": [str(uuid.UUID(int=1)), "x" * 5000]}, "not valid"),
        ({"action": [str(n) for n in range(1, 102)]}, "at most 100"),
    ],
)
def test_bulk_confirm_refuses_bad_selections_with_400(world, submitted, login, data, message):
    response = login(world.tess).post(reverse("review_confirm", args=["acme"]), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ClassifiedAction.objects.filter(reviewed_at__isnull=False).exists()


def test_bulk_confirm_of_another_teams_action_is_refused(world, submitted, login):
    beta_action = pending_vague(world.beta)
    url = reverse("review_confirm", args=["acme"])
    client = login(world.tess)
    assert (
        client.post(url, {"action": [beta_action.public_id], "confirmed": "yes"}).status_code == 404
    )
    assert client.get(url).status_code == 405
    beta_action.refresh_from_db()
    assert not beta_action.is_reviewed()


def test_queue_controls_are_labelled_and_reachable_by_keyboard(world, submitted, login):
    html = queue(login(world.tess))
    for checkbox in re.findall(r'<input class="form-check-input" type="checkbox"[^>]*>', html):
        public_id = re.search(r'id="select-([0-9a-f-]{36})"', checkbox).group(1)
        assert (
            f'class="form-check-label small text-body-secondary" for="select-{public_id}"' in html
        )
        assert 'form="bulk"' in checkbox
    assert '<label class="form-label small mb-1" for="cycle-filter">Cycle</label>' in html
    listing = html[html.index('<div class="vstack gap-2">') :]
    assert 'tabindex="-1"' not in listing and "disabled" not in listing
    assert html.count('type="submit">Agree: ') == 3


def test_queue_query_count_does_not_grow_with_the_page(
    world, submitted, login, django_assert_num_queries
):
    client = login(world.alice)
    # session, user, membership, cycles, scope (latest releases, their snapshots, their
    # pages, the actions), counts, page count, page rows, messages
    with django_assert_num_queries(12):
        client.get(reverse("review_queue", args=["acme"]), {"state": "all"})
    cycle = Response.objects.first().cycle
    fill_team(world, cycle, world.beta, 6)
    release(cycle)
    assert queue(client, state="all").count(f"“{VAGUE}”</p>") == 9
    with django_assert_num_queries(12):
        client.get(reverse("review_queue", args=["acme"]), {"state": "all"})


# --- statistics and export ------------------------------------------------------------------


def test_admin_sees_override_rate_and_exports_labelled_data(world, submitted, login):
    alpha = pending_vague(world.alpha)
    beta = pending_vague(world.beta)
    admin = login(world.alice)
    admin.post(reverse("review_action", args=["acme", alpha.public_id]), {"kind": alpha.kind})
    other = "collective" if beta.kind != "collective" else "individual"
    admin.post(
        reverse("review_action", args=["acme", beta.public_id]), {"kind": other, "reason": "wrong"}
    )
    page = admin.get(reverse("review_stats", args=["acme"])).content.decode()
    assert "50%" in page  # one of two reviews overrode the classifier
    rows = list(
        csv.DictReader(
            io.StringIO(admin.get(reverse("review_export", args=["acme"])).content.decode())
        )
    )
    assert {(r["text"], r["kind"]) for r in rows} == {(VAGUE, alpha.kind), (VAGUE, other)}


def test_duplicates_are_left_out_of_the_labelled_export(world, submitted, login):
    action = pending_vague(world.alpha)
    admin = login(world.alice)
    admin.post(
        reverse("review_action", args=["acme", action.public_id]),
        {"kind": "duplicate", "reason": "Twice"},
    )
    export = admin.get(reverse("review_export", args=["acme"])).content.decode()
    assert VAGUE not in export
