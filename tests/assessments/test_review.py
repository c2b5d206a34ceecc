"""Classified actions: labelled at submission, reviewed by team leads, measured by admins."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS, demo_answers
from assessments.models import Answer, ClassifiedAction, Response
from assessments.services import instrument_for, submit_response
from orgs.models import AuditEvent

CLEAR_COLLECTIVE = "We held the launch two weeks for an external bias audit paid by the company."
VAGUE = "Made sure things were handled properly."


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


@pytest.fixture
def submitted(world, cycle):
    submit_with_actions(world, cycle, world.max, world.alpha, VAGUE, CLEAR_COLLECTIVE)
    submit_with_actions(world, cycle, world.bob, world.beta, VAGUE, CLEAR_COLLECTIVE)
    return ClassifiedAction.objects.all()


def test_submission_classifies_each_action_and_routes_unsure_ones_to_review(submitted):
    by_text = {(a.team.slug, a.text): a for a in submitted}
    clear = by_text[("alpha", CLEAR_COLLECTIVE)]
    vague = by_text[("alpha", VAGUE)]
    assert (
        clear.kind == "collective" and not clear.needs_review and clear.final_kind() == "collective"
    )
    assert vague.needs_review and vague.final_kind() is None
    assert clear.cues


def test_team_lead_sees_only_their_teams_pending_actions_without_authors(world, submitted, login):
    page = login(world.tess).get(reverse("review_queue", args=["acme"])).content.decode()
    assert page.count(f"“{VAGUE}”</p>") == 1  # Alpha's, not Beta's
    assert "max@example.com" not in page and "Max" not in page


def test_reviewer_override_is_stored_audited_and_used(world, submitted, login):
    action = submitted.get(team=world.alpha, text=VAGUE)
    url = reverse("review_action", args=["acme", action.pk])
    client = login(world.tess)
    assert client.post(url, {"kind": "collective", "reason": ""}).status_code == 400
    assert client.post(url, {"kind": "sideways", "reason": "x"}).status_code == 400
    assert (
        client.post(
            url, {"kind": "collective", "reason": "Needed a cross-team process"}
        ).status_code
        == 302
    )
    action.refresh_from_db()
    assert action.final_kind() == "collective" and action.reviewed_by == world.tess
    assert action.was_overridden() != (action.kind == "collective")
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACTION_REVIEWED)
    assert (
        event.data["decision"] == "collective"
        and event.data["reason"] == "Needed a cross-team process"
    )


def test_review_survives_a_reopen_and_resubmit_of_the_same_text(world, cycle, submitted, login):
    action = submitted.get(team=world.alpha, text=VAGUE)
    login(world.tess).post(
        reverse("review_action", args=["acme", action.pk]),
        {"kind": "individual", "reason": "Team habit"},
    )
    response = action.response
    response.status = Response.Status.DRAFT
    response.save(update_fields=["status"])
    submit_response(response)
    again = ClassifiedAction.objects.get(response=response, text=VAGUE)
    assert again.final_kind() == "individual" and again.review_reason == "Team habit"


def test_team_lead_cannot_review_another_teams_action(world, submitted, login):
    beta_action = submitted.get(team=world.beta, text=VAGUE)
    url = reverse("review_action", args=["acme", beta_action.pk])
    assert login(world.tess).post(url, {"kind": "individual", "reason": "x"}).status_code == 403
    assert login(world.charlie).get(url).status_code == 404
    beta_action.refresh_from_db()
    assert not beta_action.is_reviewed()


def test_admin_sees_override_rate_and_exports_labelled_data(world, submitted, login):
    alpha = submitted.get(team=world.alpha, text=VAGUE)
    beta = submitted.get(team=world.beta, text=VAGUE)
    admin = login(world.alice)
    admin.post(
        reverse("review_action", args=["acme", alpha.pk]), {"kind": alpha.kind, "reason": "right"}
    )
    other = "collective" if beta.kind == "individual" else "individual"
    admin.post(reverse("review_action", args=["acme", beta.pk]), {"kind": other, "reason": "wrong"})
    page = admin.get(reverse("review_stats", args=["acme"])).content.decode()
    assert "50%" in page  # one of two reviews overrode the classifier
    rows = list(
        csv.DictReader(
            io.StringIO(admin.get(reverse("review_export", args=["acme"])).content.decode())
        )
    )
    assert {(r["text"], r["kind"]) for r in rows} == {(VAGUE, alpha.kind), (VAGUE, other)}
