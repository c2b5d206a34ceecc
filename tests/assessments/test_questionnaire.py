"""The respondent's questionnaire: first screen, autosave, conflicts, branching, quoting,
submit, export. Reopening has its own file (test_reopening.py)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.demo import GUARDRAILS
from assessments.models import Answer, ClassifiedAction, Cycle, Response
from assessments.progress import answer_time
from assessments.services import instrument_for, missing_required
from orgs.models import Membership
from tests.builders import fill_everything, submit


@pytest.fixture
def urls(world, cycle):
    args = [world.acme.slug, cycle.slug, world.alpha.slug]

    class U:
        start = reverse("response_start", args=args)
        intro = reverse("response_intro", args=args)
        answer = reverse("response_answer", args=args)
        review = reverse("response_review", args=args)
        about = reverse("response_section", args=[*args, "about"])
        practice = reverse("response_section", args=[*args, "your_practice"])

        @staticmethod
        def export(fmt):
            return reverse("response_export", args=[*args, fmt])

    return U


def autosave(client, url, item, values, base=0, evidence=None, may_quote=None):
    data = {"item": item, "value": values, "base_version": base}
    if evidence is not None:
        data["evidence"] = evidence
    if may_quote is not None:
        data["may_quote"] = "1" if may_quote else "0"
    return client.post(url, data, HTTP_ACCEPT="application/json")


def response_of(world, cycle):
    return Response.objects.get(cycle=cycle, team=world.alpha, respondent=world.max)


def test_start_creates_a_draft_and_shows_the_first_screen(world, cycle, login, urls):
    client = login(world.max)
    response = client.get(urls.start)
    assert response.status_code == 200
    page = response.content.decode()
    # Time computed from the instrument, the deadline, who sees what, the quoting rule.
    time = answer_time(instrument_for("1"))
    assert (time.low_minutes, time.high_minutes, time.questions) == (20, 30, 66)
    assert "About 20–30 minutes</strong> for 66 questions" in page
    assert f"Open until {cycle.closes_on:%-d %B %Y}" in page
    assert "Your answers are seen by you alone." in page
    assert "only in results for a group of at least 3 people" in page
    assert "May be quoted" in page
    assert f'href="{urls.about}">Start</a>' in page
    assert response_of(world, cycle).status == Response.Status.DRAFT


def test_start_resumes_at_the_first_unfinished_section_once_answering(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["engineering"])
    response = client.get(urls.start)
    assert response.status_code == 302 and response["Location"] == urls.about
    intro = client.get(urls.intro).content.decode()
    assert "1 of 66" in intro and f'href="{urls.about}">Continue</a>' in intro


def test_first_screen_time_follows_the_instrument(world):
    instrument = instrument_for("1")
    fewer = dataclasses.replace(instrument, sections=instrument.sections[:1])
    time = answer_time(fewer)
    assert time.questions == len([i for i in fewer.sections[0].items if i.show_if is None])
    assert time.low_minutes < 20 and time.high_minutes <= 10


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
    ("item", "values", "message"),
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
    assert "required questions still need an answer" in response.content.decode()
    assert response_of(world, cycle).status == Response.Status.DRAFT


def test_failed_submit_links_each_missing_question_to_its_place(world, cycle, login, urls):
    fill_everything(world, cycle)
    Answer.objects.filter(item_key__in=["ctx_role", "lead_asks_how_checked"]).delete()
    client = login(world.max)
    response = client.post(urls.review)
    assert response.status_code == 400
    page = response.content.decode()
    assert "2 questions still need an answer before you can submit" in page
    instrument = instrument_for("1")
    for key in ("ctx_role", "lead_asks_how_checked"):
        section = next(s for s in instrument.sections if any(i.key == key for i in s.items))
        link = reverse("response_section", args=["acme", cycle.slug, "alpha", section.key])
        assert f'href="{link}#item-{key}"' in page
        # The link lands on the question: the section page has an element with that id.
        assert f'id="item-{key}"' in client.get(link).content.decode()


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
    assert "Sent on" in page and "Ask to reopen" in page


def test_section_page_is_read_only_after_submission(world, cycle, login, urls):
    fill_everything(world, cycle)
    client = login(world.max)
    client.post(urls.review)
    page = client.get(urls.about).content.decode()
    assert "Sent on" in page and " disabled>" in page


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


# --- Quoting free text ------------------------------------------------------------------------


def test_written_answers_are_not_quotable_until_the_respondent_allows_it(world, cycle, login, urls):
    client = login(world.max)
    saved = autosave(client, urls.answer, "txt_anything_else", ["Leadership should fund evals"])
    assert saved.json()["may_quote"] is False
    assert Answer.objects.get(item_key="txt_anything_else").may_quote is False
    allowed = autosave(client, urls.answer, "txt_anything_else", ["Fund evals"], 1, may_quote=True)
    assert allowed.status_code == 200 and allowed.json()["may_quote"] is True
    # A save that does not mention it keeps the choice; an explicit "0" withdraws it.
    autosave(client, urls.answer, "txt_anything_else", ["Fund evals!"], 2)
    assert Answer.objects.get(item_key="txt_anything_else").may_quote is True
    autosave(client, urls.answer, "txt_anything_else", ["Fund evals!"], 3, may_quote=False)
    assert Answer.objects.get(item_key="txt_anything_else").may_quote is False


def test_only_written_answers_can_be_quoted(world, cycle, login, urls):
    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["design"], may_quote=True)
    assert Answer.objects.get(item_key="ctx_role").may_quote is False
    page = client.get(urls.about).content.decode()
    assert 'name="may_quote__ctx_role"' not in page


def test_quote_choice_is_posted_with_the_section_without_javascript(world, cycle, login, urls):
    client = login(world.max)
    practice = urls.practice
    ticked = {"item__act_individual": "Reviewed outputs", "may_quote__act_individual": ["0", "1"]}
    assert client.post(practice, {**ticked, "go": "stay"}).status_code == 302
    assert Answer.objects.get(item_key="act_individual").may_quote is True
    page = client.get(practice).content.decode()
    assert 'id="q-act_individual" value="1" checked' in page
    unticked = {
        "item__act_individual": "Reviewed outputs",
        "may_quote__act_individual": "0",
        "version__act_individual": "1",
        "go": "stay",
    }
    assert client.post(practice, unticked).status_code == 302
    assert Answer.objects.get(item_key="act_individual").may_quote is False


def test_submission_copies_the_quote_permission_onto_classified_actions(world, cycle, login, urls):
    response = fill_everything(world, cycle)
    Answer.objects.filter(response=response, item_key="act_individual").update(may_quote=True)
    Answer.objects.filter(response=response, item_key="act_collective").update(may_quote=False)
    assert login(world.max).post(urls.review).status_code == 302
    actions = {a.item_key: a.may_quote for a in ClassifiedAction.objects.filter(response=response)}
    assert actions == {"act_individual": True, "act_collective": False}


def test_review_page_says_which_written_answers_may_be_quoted(world, cycle, login, urls):
    response = fill_everything(world, cycle)
    Answer.objects.filter(response=response, item_key="act_individual").update(may_quote=True)
    page = login(world.max).get(urls.review).content.decode()
    assert page.count("May be quoted, without your name.") == 1
    assert "Not quoted: only counted." in page


# --- Progress ---------------------------------------------------------------------------------


def test_section_list_ticks_complete_sections_only(world, cycle, login, urls):
    response = fill_everything(world, cycle)
    instrument = instrument_for("1")
    first = instrument.sections[0]
    Answer.objects.filter(response=response, item_key=first.items[0].key).delete()
    page = login(world.max).get(urls.practice).content.decode()
    ticks = page.count('<span class="visually-hidden"> (done)</span>')
    # Both section lists (wide and phone) tick every section but the first.
    assert ticks == 2 * (len(instrument.sections) - 1)


def test_progress_bar_is_sticky_on_every_questionnaire_page(world, cycle, login, urls):
    client = login(world.max)
    client.get(urls.start)
    for url in (urls.about, urls.review):
        assert 'class="rc-q-header mb-3" data-sticky-progress' in client.get(url).content.decode()


# --- Organisation home and footer ---------------------------------------------------------------


def test_home_shows_progress_deadline_and_continue_for_each_open_cycle(world, cycle, login, urls):
    client = login(world.max)
    home = reverse("org_home", args=["acme"])
    page = client.get(home).content.decode()
    assert f"2026 Q4:</strong>\n        0 of 66 answered, closes {cycle.closes_on:%-d %b}" in page
    assert f'href="{urls.start}">Start' in page
    autosave(client, urls.answer, "ctx_role", ["engineering"])
    page = client.get(home).content.decode()
    assert "1 of 66 answered" in page and f'href="{urls.start}">Continue' in page


def test_home_card_counts_own_answers_only_and_skips_closed_cycles(world, cycle, login, urls):
    fill_everything(world, cycle)  # max's answers must not show on tess's card
    page = login(world.tess).get(reverse("org_home", args=["acme"])).content.decode()
    assert "0 of 66 answered" in page
    login(world.max).post(urls.review)
    page = login(world.max).get(reverse("org_home", args=["acme"])).content.decode()
    assert "2026 Q4:</strong>\n        sent on" in page and "See your answers" in page
    cycle.state = Cycle.State.CLOSED
    cycle.save(update_fields=["state"])
    assert (
        "Your questionnaire"
        not in login(world.max).get(reverse("org_home", args=["acme"])).content.decode()
    )
    # Leadership without a team answer nothing: no card.
    assert (
        "Your questionnaire"
        not in login(world.leo).get(reverse("org_home", args=["acme"])).content.decode()
    )


def test_home_card_reads_in_a_fixed_number_of_queries(
    world, cycle, login, django_assert_num_queries
):
    client = login(world.max)
    home = reverse("org_home", args=["acme"])
    client.get(reverse("response_start", args=["acme", cycle.slug, "alpha"]))
    client.get(home)
    with CaptureQueriesContext(connection) as one:
        client.get(home)
    for n in range(3):
        extra = Cycle.objects.create(
            organization=world.acme,
            name=f"Extra {n}",
            slug=f"extra-{n}",
            instrument=cycle.instrument,
            opens_on=cycle.opens_on,
            closes_on=cycle.closes_on,
            state=Cycle.State.OPEN,
        )
        extra.teams.set([world.alpha])
        Response.objects.create(cycle=extra, team=world.alpha, respondent=world.max)
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(home).content.decode()
    assert page.count("0 of 66 answered") == 4


def test_footer_promise_says_what_is_true(world, cycle, login):
    page = login(world.max).get(reverse("org_home", args=["acme"])).content.decode()
    assert (
        "Your answers are seen by you alone. Results are shown only for groups of at least 3 "
        "people, as released snapshots; written answers are quoted only where you allowed it."
    ) in page
    assert "shown only above the anonymity threshold" not in page


def test_a_long_list_of_missing_questions_shows_the_first_ten_and_a_count(
    world, cycle, login, urls
):
    client = login(world.max)
    client.get(urls.start)
    page = client.post(urls.review).content.decode()
    total = len(missing_required(instrument_for("1"), {}))
    assert page.count('<li><a href="/o/acme/cycles/2026-q4/teams/alpha/response/s/') == 10
    assert f"…and {total - 10} more" in page
    assert page.count('class="link-danger">Required: answer this') == total


def test_someone_who_moved_team_after_submitting_answers_once_per_cycle(world, cycle, login):
    """Max submitted for Alpha, then moved to Beta: a second response would count him twice
    (and differ from the first by one person), so Beta's questionnaire says he has answered."""

    submit(cycle, world.alpha, world.max, GUARDRAILS)
    Membership.objects.filter(user=world.max).update(team=world.beta)
    url = reverse("response_start", args=[world.acme.slug, cycle.slug, world.beta.slug])
    page = login(world.max).get(url)
    assert page.status_code == 409
    assert "You submitted your response for <strong>Alpha</strong>" in page.content.decode()
    assert list(
        Response.objects.filter(cycle=cycle, respondent=world.max).values_list(
            "team__name", flat=True
        )
    ) == ["Alpha"]
    section = reverse("response_review", args=[world.acme.slug, cycle.slug, world.beta.slug])
    assert login(world.max).post(section, {}).status_code == 409  # nor by submitting


def test_a_draft_follows_its_author_to_the_new_team(world, cycle, login, urls):

    client = login(world.max)
    autosave(client, urls.answer, "ctx_role", ["engineering"])
    draft = Response.objects.get(cycle=cycle, respondent=world.max)
    Membership.objects.filter(user=world.max).update(team=world.beta)
    url = reverse("response_start", args=[world.acme.slug, cycle.slug, world.beta.slug])
    assert client.get(url).status_code in (200, 302)
    moved = Response.objects.get(cycle=cycle, respondent=world.max)
    assert moved.pk == draft.pk and moved.team == world.beta
    assert Answer.objects.filter(response=moved, item_key="ctx_role").exists()
