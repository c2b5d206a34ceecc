"""The respondent's questionnaire: autosave, conflicts, branching, submit, reopen, export."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from django.urls import reverse

from assessments.demo import RECOUPLED, demo_answers
from assessments.models import Answer, Cycle, Response
from assessments.services import instrument_for, missing_required
from orgs.models import AuditEvent


@pytest.fixture
def urls(world, cycle):
    args = [world.acme.slug, cycle.slug, world.alpha.slug]

    class U:
        start = reverse("response_start", args=args)
        answer = reverse("response_answer", args=args)
        review = reverse("response_review", args=args)
        about = reverse("response_section", args=[*args, "about"])
        practice = reverse("response_section", args=[*args, "your_practice"])

        @staticmethod
        def export(fmt):
            return reverse("response_export", args=[*args, fmt])

    return U


def autosave(client, url, item, values, base=0, evidence=None):
    data = {"item": item, "value": values, "base_version": base}
    if evidence is not None:
        data["evidence"] = evidence
    return client.post(url, data, HTTP_ACCEPT="application/json")


def response_of(world, cycle):
    return Response.objects.get(cycle=cycle, team=world.alpha, respondent=world.max)


def fill_everything(world, cycle):
    instrument = instrument_for("1")
    response = Response.objects.get_or_create(cycle=cycle, team=world.alpha, respondent=world.max)[
        0
    ]
    answers = demo_answers(instrument, RECOUPLED, random.Random(1))
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v) for k, v in answers.items()
    )
    return response


def test_start_creates_a_draft_and_goes_to_the_first_section(world, cycle, login, urls):
    client = login(world.max)
    response = client.get(urls.start)
    assert response.status_code == 302 and response["Location"] == urls.about
    assert response_of(world, cycle).status == Response.Status.DRAFT


def test_autosave_round_trip_shows_the_answer_after_reload(world, cycle, login, urls):
    client = login(world.max)
    saved = autosave(client, urls.answer, "ctx_role", ["engineering"])
    assert saved.status_code == 200
    assert saved.json()["status"] == "saved" and saved.json()["version"] == 1
    page = client.get(urls.about).content.decode()
    assert 'value="engineering" checked' in page
    second = autosave(client, urls.answer, "ctx_role", ["design"], base=1)
    assert second.json()["version"] == 2
    assert Answer.objects.get(item_key="ctx_role").value == "design"


def test_stale_autosave_returns_conflict_and_current_value(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["engineering"])  # tab A: version 1
    autosave(client, urls.answer, "ctx_role", ["design"], base=1)  # tab A again: version 2
    stale = autosave(client, urls.answer, "ctx_role", ["operations"], base=1)  # tab B saw v1
    assert stale.status_code == 409
    body = stale.json()
    assert body["status"] == "conflict" and body["value"] == "design" and body["version"] == 2
    assert Answer.objects.get(item_key="ctx_role").value == "design"


def test_first_save_from_two_tabs_conflicts_instead_of_overwriting(world, cycle, login, urls):
    client = login(world.max)
    assert autosave(client, urls.answer, "ctx_role", ["engineering"], base=0).status_code == 200
    assert autosave(client, urls.answer, "ctx_role", ["design"], base=0).status_code == 409
    assert Answer.objects.get(item_key="ctx_role").value == "engineering"


@pytest.mark.parametrize(
    "item,values,message",
    [
        ("ctx_role", ["astronaut"], "not one of the options"),
        ("ctx_role", ["engineering", "design"], "Choose one option"),
        ("no_such_item", ["x"], "not part of the questionnaire"),
        ("act_individual", ["x" * 2001], "the limit is 2,000"),
    ],
)
def test_invalid_value_gets_400_with_a_message(world, cycle, login, urls, item, values, message):
    client = login(world.max)
    response = autosave(client, urls.answer, item, values)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert not Answer.objects.exists()


def test_missing_or_bad_version_is_a_400(world, cycle, login, urls):
    client = login(world.max)
    response = client.post(
        urls.answer, {"item": "ctx_role", "value": "design", "base_version": "abc"}
    )
    assert response.status_code == 400


def test_evidence_is_kept_for_practice_items_and_limited(world, cycle, login, urls):
    client = login(world.max)
    ok = autosave(
        client, urls.answer, "ind_review_outputs", ["often"], evidence="https://wiki/checklist"
    )
    assert ok.status_code == 200
    assert Answer.objects.get(item_key="ind_review_outputs").evidence == "https://wiki/checklist"
    too_long = autosave(
        client, urls.answer, "ind_review_outputs", ["often"], base=1, evidence="e" * 1001
    )
    assert too_long.status_code == 400 and "evidence" in too_long.json()["message"]


def test_signed_out_autosave_gets_401_json_not_a_login_page(world, cycle, login, urls):
    client = login(None)
    response = autosave(client, urls.answer, "ctx_role", ["design"])
    assert response.status_code == 401
    assert response.json()["status"] == "signed_out"


def test_branching_is_decided_on_the_server(world, cycle, login, urls):
    instrument = instrument_for("1")
    client = login(world.max)
    saved = autosave(client, urls.answer, "ctx_lifecycle_stage", ["define"]).json()
    assert "gov_production_monitoring" in saved["hidden"]
    saved = autosave(client, urls.answer, "ctx_lifecycle_stage", ["monitor"], base=1).json()
    assert "gov_production_monitoring" not in saved["hidden"]
    # A hidden item is not required for submission.
    response = response_of(world, cycle)
    answers = {"ctx_lifecycle_stage": "define"}
    assert "gov_production_monitoring" not in missing_required(instrument, answers)
    assert "gov_production_monitoring" in missing_required(
        instrument, {"ctx_lifecycle_stage": "launch"}
    )
    assert response.answers.count() == 1


def test_submit_refuses_while_required_items_are_missing(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["design"])
    response = client.post(urls.review)
    assert response.status_code == 400
    assert "required question" in response.content.decode()
    assert response_of(world, cycle).status == Response.Status.DRAFT


def test_submit_scores_and_locks_the_response(world, cycle, login, urls):
    fill_everything(world, cycle)
    client = login(world.max)
    assert client.post(urls.review).status_code == 302
    response = response_of(world, cycle)
    assert response.is_locked() and response.submitted_at
    assert response.scores["profile"]["state"] in {
        "recoupled",
        "guardrails_without_backing",
        "top_down_only",
        "decoupled",
    }
    assert response.segments["respondent_role"]
    locked = autosave(client, urls.answer, "ctx_role", ["design"], base=1)
    assert locked.status_code == 409 and locked.json()["status"] == "locked"
    page = client.get(urls.review).content.decode()
    assert "Submitted and locked" in page


def test_section_page_is_read_only_after_submission(world, cycle, login, urls):
    fill_everything(world, cycle)
    client = login(world.max)
    client.post(urls.review)
    page = client.get(urls.about).content.decode()
    assert "Submitted and locked" in page and " disabled>" in page


def test_team_lead_reopens_with_a_reason_and_it_is_audited(world, cycle, login, urls):
    fill_everything(world, cycle)
    login(world.max).post(urls.review)
    response = response_of(world, cycle)
    url = reverse("response_reopen", args=[world.acme.slug, cycle.slug, response.pk])
    client = login(world.tess)
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Max asked to fix a typo"}).status_code == 302
    response.refresh_from_db()
    assert response.status == Response.Status.DRAFT and response.scores is None
    event = AuditEvent.objects.get(action=AuditEvent.Action.RESPONSE_REOPENED)
    assert event.actor == world.tess and event.data["reason"] == "Max asked to fix a typo"


def test_another_teams_lead_cannot_reopen(world, cycle, login):
    response = Response.objects.create(
        cycle=cycle, team=world.beta, respondent=world.bob, status="submitted"
    )
    url = reverse("response_reopen", args=[world.acme.slug, cycle.slug, response.pk])
    assert login(world.tess).post(url, {"reason": "x"}).status_code == 403
    assert login(world.charlie).post(url, {"reason": "x"}).status_code == 404


def test_closed_cycle_is_read_only(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["design"])
    cycle.state = Cycle.State.CLOSED
    cycle.save(update_fields=["state"])
    response = autosave(client, urls.answer, "ctx_role", ["engineering"], base=1)
    assert response.status_code == 409 and "not open" in response.json()["message"]
    page = client.get(urls.about).content.decode()
    assert "This cycle is closed" in page
    posted = client.post(urls.about, {"item__ctx_role": "engineering", "version__ctx_role": "1"})
    assert posted.status_code == 302
    assert Answer.objects.get(item_key="ctx_role").value == "design"


def test_section_post_without_javascript_saves_and_moves_on(world, cycle, login, urls):
    client = login(world.max)
    response = client.post(
        urls.about,
        {
            "item__ctx_role": "engineering",
            "version__ctx_role": "0",
            "item__ctx_genai_uses": ["conversation", "summarise"],
            "go": "next",
        },
    )
    assert response.status_code == 302 and response["Location"].endswith("/s/clarity/")
    assert Answer.objects.get(item_key="ctx_role").value == "engineering"
    assert Answer.objects.get(item_key="ctx_genai_uses").value == ["conversation", "summarise"]


def test_section_post_with_bad_value_keeps_the_typed_answers(world, cycle, login, urls):
    client = login(world.max)
    response = client.post(
        urls.about, {"item__ctx_role": "astronaut", "item__ctx_self_view": "guardrail"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "not one of the options" in page
    assert 'value="guardrail" checked' in page


def test_only_ones_own_team_can_be_answered(world, cycle, login):
    url = reverse("response_start", args=[world.acme.slug, cycle.slug, world.beta.slug])
    assert login(world.max).get(url).status_code == 403
    assert login(world.charlie).get(url).status_code == 404


def test_export_gives_own_answers_as_json_and_csv(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["engineering"])
    data = json.loads(client.get(urls.export("json")).content)
    assert data["team"] == "Alpha" and data["answers"][0]["answer"] == "Engineering or data science"
    rows = list(csv.DictReader(io.StringIO(client.get(urls.export("csv")).content.decode())))
    assert rows[0]["item"] == "ctx_role" and rows[0]["answer"] == "Engineering or data science"
    assert client.get(urls.export("xml")).status_code == 404


def test_export_never_includes_someone_elses_answers(world, cycle, login, urls):
    tess_response = Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.tess)
    Answer.objects.create(
        response=tess_response, item_key="txt_anything_else", value="tess-secret-answer"
    )
    client = login(world.max)
    assert "tess-secret-answer" not in client.get(urls.export("json")).content.decode()


def test_a_draft_stops_taking_answers_once_its_team_no_longer_applies(world, cycle, login, urls):
    """The one-query lookup of an existing draft keeps every access rule: moving the member
    to another team, or taking the team out of the cycle, closes the old draft to them."""
    client = login(world.max)
    assert autosave(client, urls.answer, "ctx_role", ["engineering"]).status_code == 200
    membership = world.max.memberships.get(organization=world.acme)
    membership.team = world.beta
    membership.save()
    assert autosave(client, urls.answer, "ctx_role", ["design"], base=1).status_code == 403
    membership.team = world.alpha
    membership.save()
    cycle.teams.remove(world.alpha)
    assert autosave(client, urls.answer, "ctx_role", ["design"], base=1).status_code == 404
    assert Answer.objects.get(item_key="ctx_role").value == "engineering"
