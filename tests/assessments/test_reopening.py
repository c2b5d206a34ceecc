"""Reopening a submitted response: asked for by the respondent, decided by the team's lead
(or an org admin) who never learns who asked or what they answered."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from assessments.models import Cycle, ReopenRequest, Response
from orgs.models import AuditEvent
from tests.builders import fill_everything

A = AuditEvent.Action
SECRET_ANSWER_TEXT = "only-max-may-read-this"


@pytest.fixture
def submitted(world, cycle, login):
    """Max's submitted response in Alpha, with a free-text answer nobody else may read."""
    response = fill_everything(world, cycle)
    response.answers.filter(item_key="txt_anything_else").update(value=SECRET_ANSWER_TEXT)
    assert login(world.max).post(review_url(cycle)).status_code == 302
    response.refresh_from_db()
    assert response.is_locked()
    return response


def review_url(cycle, team="alpha"):
    return reverse("response_review", args=["acme", cycle.slug, team])


def ask_url(cycle, team="alpha"):
    return reverse("response_reopen_request", args=["acme", cycle.slug, team])


def list_url(cycle):
    return reverse("reopen_requests", args=["acme", cycle.slug])


def decide_url(cycle, request_id):
    return reverse("reopen_request_decide", args=["acme", cycle.slug, request_id])


def ask(client, cycle, reason="I misread the question on audits"):
    return client.post(ask_url(cycle), {"reason": reason})


# --- The respondent asks ---------------------------------------------------------------------


def test_respondent_asks_from_their_submitted_response(world, cycle, login, submitted):
    client = login(world.max)
    page = client.get(review_url(cycle)).content.decode()
    assert ask_url(cycle) in page and "Ask to reopen" in page
    response = ask(client, cycle)
    assert response.status_code == 302 and response["Location"] == review_url(cycle)
    request = ReopenRequest.objects.get()
    assert request.is_pending() and request.reason == "I misread the question on audits"
    assert request.team == world.alpha and request.response == submitted
    submitted.refresh_from_db()
    assert submitted.is_locked()  # nothing changes until the lead approves
    page = client.get(review_url(cycle)).content.decode()
    assert "your team lead has not decided yet" in page


def test_asking_is_audited_without_naming_the_respondent(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    event = AuditEvent.objects.get(action=A.REOPEN_REQUESTED)
    assert event.actor is None and event.actor_email == ""
    assert event.target_repr == "Reopen request in Alpha · 2026 Q4"
    assert event.target_type == "reopenrequest"
    assert "max" not in str(event.data).lower()


def test_reason_is_optional_but_limited_and_kept_when_too_long(world, cycle, login, submitted):
    client = login(world.max)
    too_long = "x" * 501
    response = ask(client, cycle, too_long)
    assert response.status_code == 400
    assert "the limit is 500" in response.content.decode()
    assert too_long in response.content.decode()  # nothing typed is lost
    assert not ReopenRequest.objects.exists()
    assert ask(client, cycle, "").status_code == 302


def test_asking_twice_or_for_a_draft_or_a_closed_cycle_is_refused(world, cycle, login, submitted):
    client = login(world.max)
    assert ask(client, cycle).status_code == 302
    assert ask(client, cycle).status_code == 409
    assert ReopenRequest.objects.count() == 1
    tess = login(world.tess)
    assert ask(tess, cycle).status_code == 409  # tess's own response is a draft
    cycle.state = Cycle.State.CLOSED
    cycle.save(update_fields=["state"])
    ReopenRequest.objects.all().delete()
    response = ask(login(world.max), cycle)
    assert response.status_code == 409 and "not open any more" in response.content.decode()


def test_nobody_asks_for_another_teams_response(world, cycle, login, submitted):
    assert login(world.bob).post(ask_url(cycle), {"reason": "x"}).status_code == 403
    assert login(world.charlie).post(ask_url(cycle), {"reason": "x"}).status_code == 404
    assert login(world.leo).post(ask_url(cycle), {"reason": "x"}).status_code == 403
    assert not ReopenRequest.objects.exists()


# --- The lead decides ------------------------------------------------------------------------


def test_lead_sees_team_date_and_reason_but_no_name_and_no_answers(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    page = login(world.tess).get(list_url(cycle)).content.decode()
    request = ReopenRequest.objects.get()
    assert f"A response in Alpha, requested {request.requested_at:%-d %b %Y}" in page
    assert "I misread the question on audits" in page
    for secret in ("Max", "max@example.com", SECRET_ANSWER_TEXT, f"/{submitted.pk}/"):
        assert secret not in page.replace(f"reopen-requests/{request.pk}/", ""), secret


def test_approving_lets_the_respondent_change_and_resubmit(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    response = login(world.tess).post(decide_url(cycle, request.pk), {"decision": "approve"})
    assert response.status_code == 302
    request.refresh_from_db()
    submitted.refresh_from_db()
    assert request.status == ReopenRequest.Status.APPROVED and request.decided_by == world.tess
    assert submitted.is_reopened() and submitted.scores is None
    event = AuditEvent.objects.get(action=A.RESPONSE_REOPENED)
    assert event.actor == world.tess and event.target_type == "reopenrequest"
    assert event.target_repr == "Reopen request in Alpha · 2026 Q4"
    client = login(world.max)
    page = client.get(review_url(cycle)).content.decode()
    assert "Your response is open again" in page and "Submit my response" in page
    assert client.post(review_url(cycle)).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Response.Status.SUBMITTED and submitted.scores


def test_declining_keeps_the_response_and_tells_the_respondent(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    assert (
        login(world.alice).post(decide_url(cycle, request.pk), {"decision": "decline"}).status_code
        == 302
    )
    submitted.refresh_from_db()
    assert submitted.is_locked()
    assert AuditEvent.objects.get(action=A.REOPEN_DECLINED).actor == world.alice
    page = login(world.max).get(review_url(cycle)).content.decode()
    assert "Your last request to change your answers was declined." in page
    assert "Ask to reopen" in page  # they may ask again


def test_a_decision_needs_a_valid_choice_and_happens_once(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    lead = login(world.tess)
    assert lead.post(decide_url(cycle, request.pk), {"decision": "maybe"}).status_code == 400
    assert lead.post(decide_url(cycle, request.pk), {"decision": "decline"}).status_code == 302
    assert lead.post(decide_url(cycle, request.pk), {"decision": "approve"}).status_code == 409
    submitted.refresh_from_db()
    assert submitted.is_locked()


def test_another_teams_lead_cannot_see_or_approve(world, cycle, login):
    bob_response = Response.objects.create(
        cycle=cycle, team=world.beta, respondent=world.bob, status=Response.Status.SUBMITTED
    )
    request = ReopenRequest.objects.create(
        response=bob_response, cycle=cycle, team=world.beta, reason="beta-reason"
    )
    tess = login(world.tess)
    assert "beta-reason" not in tess.get(list_url(cycle)).content.decode()
    assert tess.post(decide_url(cycle, request.pk), {"decision": "approve"}).status_code == 404
    bob_response.refresh_from_db()
    assert bob_response.is_locked()
    assert login(world.alice).get(list_url(cycle)).content.decode().count("beta-reason") == 1


def test_walking_request_ids_reveals_nothing(world, cycle, login):
    """Every id the lead may not decide, existing in another team or not at all, is the
    same 404: no name, no team, no sign it exists."""
    bob_response = Response.objects.create(
        cycle=cycle, team=world.beta, respondent=world.bob, status=Response.Status.SUBMITTED
    )
    other = ReopenRequest.objects.create(response=bob_response, cycle=cycle, team=world.beta)
    tess = login(world.tess)
    bodies = set()
    for request_id in (other.pk, other.pk + 1, other.pk + 1000):
        response = tess.post(decide_url(cycle, request_id), {"decision": "decline"})
        assert response.status_code == 404
        body = re.sub(r'(value="|X-CSRFToken": ")[\w-]{40,}', "", response.content.decode())
        assert "Bob" not in body and "Beta" not in body
        bodies.add(body.replace(f"/{request_id}/", "/ID/"))
    assert len(bodies) == 1
    other.refresh_from_db()
    assert other.is_pending()


def test_no_page_reopens_a_response_by_its_id(world, cycle, login, submitted):
    """The old lead-initiated reopen page is gone: response ids lead nowhere."""
    for path in (
        f"/o/acme/cycles/{cycle.slug}/responses/{submitted.pk}/reopen/",
        f"/o/acme/cycles/{cycle.slug}/responses/{submitted.pk}/",
    ):
        assert login(world.tess).post(path, {"reason": "x"}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.is_locked()


def test_members_and_leaders_cannot_see_the_list(world, cycle, login):
    for user in (world.max, world.bob, world.leo):
        assert login(user).get(list_url(cycle)).status_code == 403
    assert login(world.charlie).get(list_url(cycle)).status_code == 404
    response = login(None).get(list_url(cycle))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert login(world.tess).post(list_url(cycle)).status_code == 405
    assert login(world.tess).get(decide_url(cycle, 1)).status_code == 405


def test_list_reads_in_a_fixed_number_of_queries(world, cycle, login, django_assert_num_queries):
    for n in range(3):
        response = Response.objects.create(
            cycle=cycle, team=world.alpha, respondent=world.max if n == 0 else None
        )
        ReopenRequest.objects.create(response=response, cycle=cycle, team=world.alpha)
    client = login(world.tess)
    client.get(list_url(cycle))
    with django_assert_num_queries(7):
        assert client.get(list_url(cycle)).status_code == 200


def test_approving_after_the_cycle_closed_is_refused(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    cycle.state = Cycle.State.CLOSED
    cycle.save(update_fields=["state"])
    response = login(world.tess).post(decide_url(cycle, request.pk), {"decision": "approve"})
    assert response.status_code == 409
    submitted.refresh_from_db()
    assert submitted.is_locked()


def test_participation_page_points_the_lead_to_waiting_requests(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    page = login(world.tess).get(reverse("participation", args=["acme", cycle.slug])).content
    assert b"1 request to reopen a response is waiting for you." in page
    assert list_url(cycle).encode() in page


def test_after_approval_the_respondent_saves_answers_again(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    login(world.tess).post(decide_url(cycle, request.pk), {"decision": "approve"})
    client = login(world.max)
    current = submitted.answers.get(item_key="ctx_role")
    saved = client.post(
        reverse("response_answer", args=["acme", cycle.slug, "alpha"]),
        {"item": "ctx_role", "value": "design", "base_version": current.version},
        HTTP_ACCEPT="application/json",
    )
    assert saved.status_code == 200 and saved.json()["status"] == "saved"


def test_audit_log_shows_the_request_and_decision_but_not_who_asked(world, cycle, login, submitted):
    ask(login(world.max), cycle)
    request = ReopenRequest.objects.get()
    login(world.tess).post(decide_url(cycle, request.pk), {"decision": "approve"})
    page = login(world.alice).get(reverse("admin_audit", args=["acme"])).content.decode()
    assert "Reopening requested" in page and "Response reopened" in page
    assert "Reopen request in Alpha" in page
    assert "max@example.com" not in page
