"""The team and organisation dashboards: anonymity, traces, CSV, query counts."""

from __future__ import annotations

import csv
import io
import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.demo import DECOUPLED, GUARDRAILS, RECOUPLED, Climate, demo_answers
from assessments.models import Answer, Response
from assessments.services import instrument_for, store_submission
from orgs.models import Membership, Role, Team, User


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def add_people(org, team, n, start=0):
    users = []
    for i in range(start, start + n):
        user = User.objects.create_user(f"{team.slug}-{i}@example.com", "x" * 12)
        Membership.objects.create(user=user, organization=org, role=Role.MEMBER, team=team)
        users.append(user)
    return users


def submit(cycle, team, user, climate: Climate, role: str | None = None, seed: int = 0) -> Response:
    instrument = instrument_for("1")
    answers = demo_answers(instrument, climate, random.Random(f"{team.slug}{user.pk}{seed}"))
    if role:
        answers["ctx_role"] = role
    response = Response.objects.create(cycle=cycle, team=team, respondent=user)
    Answer.objects.bulk_create(
        Answer(response=response, item_key=k, value=v) for k, v in answers.items()
    )
    store_submission(response, instrument, answers)
    return response


def org_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("org_dashboard", args=["acme"]) + (f"?{query}" if query else "")


def team_url(team="alpha"):
    return reverse("team_dashboard", args=["acme", team])


@pytest.fixture
def results(world, cycle):
    """Alpha: 4 submitted (above threshold 3); Beta: 2 (below)."""
    alpha = [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]
    for i, user in enumerate(alpha):
        submit(
            cycle,
            world.alpha,
            user,
            GUARDRAILS,
            role="product_management" if i < 3 else "engineering",
        )
    beta = [world.bob, *add_people(world.acme, world.beta, 1)]
    for user in beta:
        # A fixed role: generated ones depend on user ids, which differ from run to run.
        submit(cycle, world.beta, user, DECOUPLED, role="design")
    return cycle


def test_team_dashboard_shows_scores_profile_and_two_kinds_of_recommendation(world, results, login):
    page = login(world.max).get(team_url()).content.decode()
    assert "Guardrails without backing" in page
    assert "What your team can do now" in page and "What to ask leadership for" in page
    assert "Why am I seeing this?" in page
    assert "Leadership commitment" in page
    assert "n = 4" in page


def test_recommendation_trace_names_rule_answers_and_scores(world, results, login):
    response = login(world.max).get(team_url())
    recs = response.context["view"]["recs_team"] + response.context["view"]["recs_leadership"]
    assert recs
    for rec in recs:
        assert rec["rule_id"] and rec["instrument_version"] == "1" and rec["trace"]
        page = response.content.decode()
        assert rec["rule_id"] in page
    assert any("scored" in s or "respondent" in s for r in recs for s in r["trace"])


def test_team_below_threshold_shows_no_results_to_anyone(world, results, login):
    for user in (world.bob, world.leo, world.alice):
        page = login(user).get(team_url("beta")).content.decode()
        assert "responses needed before results are shown" in page
        assert "Recoupling profile" not in page


def test_one_person_team_sees_its_own_results(world, cycle, login):
    solo = Team.objects.create(organization=world.acme, name="Solo", slug="solo")
    cycle.teams.add(solo)
    user = add_people(world.acme, solo, 1)[0]
    submit(cycle, solo, user, RECOUPLED)
    assert "Recoupling profile" in login(user).get(team_url("solo")).content.decode()
    assert "Recoupling profile" not in login(world.leo).get(team_url("solo")).content.decode()


def test_members_see_only_their_own_team_dashboard(world, results, login):
    assert login(world.bob).get(team_url("alpha")).status_code == 403
    assert login(world.charlie).get(team_url("alpha")).status_code == 404
    assert login(world.max).get(reverse("org_dashboard", args=["acme"])).status_code == 403


def test_org_dashboard_pools_small_teams_and_never_shows_them_alone(world, results, login):
    response = login(world.leo).get(org_url())
    view = response.context["view"]
    names = [g.name for g in view["groups"]]
    assert names == ["Alpha"]  # Beta (2) is below 3 and its pool (2) too
    assert view["hidden_teams"] == ["Beta"]
    assert view["n_counted"] == 4  # Beta left out of the totals so it cannot be differenced
    rows = list(
        csv.reader(
            io.StringIO(
                login(world.leo)
                .get(org_url(table="teams").replace("dashboard/", "dashboard/export.csv"))
                .content.decode()
            )
        )
    )
    assert [r[0] for r in rows[1:]] == ["Alpha"]


def test_filter_differencing_cannot_isolate_a_small_group(world, results, login):
    # Alpha: 3 PMs + 1 engineer. "Alpha" minus "Alpha PMs" would reveal the engineer.
    view = login(world.leo).get(org_url(role="product_management")).context["view"]
    assert "Alpha" not in [g.name for g in view["groups"]]
    assert not view["visible"]
    engineers = login(world.leo).get(org_url(role="engineering")).context["view"]
    assert not engineers["visible"]


def test_unknown_filter_values_are_ignored_not_errors(world, results, login):
    response = login(world.leo).get(org_url(role="astronaut", stage="<script>"))
    assert response.status_code == 200
    assert response.context["filters"] == {}


def test_unknown_cycle_is_a_404(world, results, login):
    assert login(world.leo).get(org_url(cycle="nope")).status_code == 404


def test_org_csv_exports_each_table_with_the_same_numbers(world, results, login):
    client = login(world.alice)
    base = reverse("org_dashboard_export", args=["acme"])
    view = client.get(org_url()).context["view"]
    for table in ("participation", "teams", "profiles", "prevalence", "lift", "actions"):
        response = client.get(f"{base}?table={table}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    teams = list(csv.DictReader(io.StringIO(client.get(f"{base}?table=teams").content.decode())))
    alpha = view["groups"][0].aggregate.constructs["leadership"].mean
    assert float(teams[0]["leadership"]) == pytest.approx(alpha, abs=0.06)
    assert client.get(f"{base}?table=passwords").status_code == 400


def test_team_csv_exports_and_never_contains_authors(world, results, login):
    client = login(world.tess)
    base = reverse("team_dashboard_export", args=["acme", "alpha"])
    for table in ("constructs", "practices", "items", "recommendations", "actions"):
        body = client.get(f"{base}?table={table}").content.decode()
        assert "max@example.com" not in body and "tess@example.com" not in body
    constructs = list(
        csv.DictReader(io.StringIO(client.get(f"{base}?table=constructs").content.decode()))
    )
    assert {r["construct"] for r in constructs} >= {
        "Leadership commitment",
        "Diffused responsibility",
    }
    assert all(r["n"] == "4" for r in constructs)


def test_free_text_answers_never_appear_on_leadership_pages(world, results, login):
    response = Response.objects.filter(team=world.alpha).first()
    Answer.objects.filter(response=response, item_key="txt_anything_else").delete()
    Answer.objects.create(
        response=response, item_key="txt_anything_else", value="very-private-remark"
    )
    for url in (org_url(), team_url()):
        assert "very-private-remark" not in login(world.leo).get(url).content.decode()


def _grow(world, cycle, teams: int, per_team: int = 3) -> None:
    for t in range(teams):
        team = Team.objects.create(organization=world.acme, name=f"T{t:02d}", slug=f"t{t:02d}")
        cycle.teams.add(team)
        for user in add_people(world.acme, team, per_team):
            submit(cycle, team, user, GUARDRAILS if t % 2 else RECOUPLED)


@pytest.mark.parametrize("page", ["org", "team"])
def test_query_count_does_not_grow_with_teams_or_respondents(world, cycle, login, page):
    _grow(world, cycle, 5)
    client = login(world.alice if page == "org" else world.max)
    url = org_url() if page == "org" else team_url()
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    _grow_more = 45
    for t in range(5, 5 + _grow_more):
        team = Team.objects.create(organization=world.acme, name=f"T{t:02d}", slug=f"t{t:02d}")
        cycle.teams.add(team)
        for user in add_people(world.acme, team, 3):
            submit(cycle, team, user, GUARDRAILS)
    cache.clear()
    with CaptureQueriesContext(connection) as large:
        assert client.get(url).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert len(large.captured_queries) <= 20


def test_exports_apply_the_same_anonymity_as_the_pages(world, results, login):
    # Beta (2 responses) is below the threshold: its export has no numbers.
    body = login(world.bob).get(
        reverse("team_dashboard_export", args=["acme", "beta"]) + "?table=constructs"
    )
    assert body.status_code == 200
    assert (
        "Not enough responses" in body.content.decode()
        and "Leadership commitment" not in body.content.decode()
    )
    # The differencing filter hides Alpha from the org export too.
    base = reverse("org_dashboard_export", args=["acme"])
    filtered = login(world.leo).get(f"{base}?table=teams&role=product_management").content.decode()
    assert "Alpha" not in filtered and "Not enough responses" in filtered
    lift = login(world.leo).get(f"{base}?table=lift&role=product_management").content.decode()
    assert "Not enough responses" in lift


def test_cached_dashboards_change_as_soon_as_results_or_reviews_do(world, results, login):
    from assessments.models import ClassifiedAction

    client = login(world.leo)
    assert "Alpha (n=4)" in client.get(org_url()).content.decode()
    submit(results, world.alpha, add_people(world.acme, world.alpha, 1, start=50)[0], GUARDRAILS)
    assert "Alpha (n=5)" in client.get(org_url()).content.decode()

    action = ClassifiedAction.objects.create(
        response=Response.objects.filter(team=world.alpha).first(),
        cycle=results,
        team=world.alpha,
        item_key="act_individual",
        text="Checked outputs weekly with the support team",
        kind="individual",
        confidence=0.5,
        needs_review=True,
    )
    lead = login(world.tess)
    page = lead.get(team_url()).content.decode()
    assert "Checked outputs weekly with the support team" in page
    assert page.count("In review</span>") >= 1
    lead.post(
        reverse("review_action", args=["acme", action.pk]),
        {"kind": "collective", "reason": "x-team"},
    )
    after = lead.get(team_url()).content.decode()
    assert after.count("In review</span>") == page.count("In review</span>") - 1


def test_autosaving_a_draft_leaves_cached_results_alone_but_reopening_does_not(world, results):
    """Drafts never feed the results, so a member typing must not recompute every dashboard."""
    from assessments.services import reopen_response, response_for, save_answer
    from reports import queries

    newcomer = add_people(world.acme, world.alpha, 1, start=60)[0]
    before = (queries.org_stamp(results), queries.team_stamp(world.alpha, results))
    draft = response_for(results, world.alpha, newcomer)
    assert save_answer(draft, "ctx_role", ["engineering"], 0).outcome == "saved"
    assert (queries.org_stamp(results), queries.team_stamp(world.alpha, results)) == before

    submitted = Response.objects.filter(team=world.alpha, status=Response.Status.SUBMITTED).first()
    reopen_response(submitted)
    assert queries.org_stamp(results) != before[0]
    assert queries.team_stamp(world.alpha, results) != before[1]


def test_dashboards_still_answer_while_the_shared_cache_is_down(world, results, login, settings):
    """Production caches in Redis; while it restarts the pages compute instead of failing."""
    from config.settings import shared_cache

    settings.CACHES = {"default": shared_cache("redis://127.0.0.1:1/0")}  # nothing listens
    assert "Alpha (n=4)" in login(world.leo).get(org_url()).content.decode()
    assert login(world.tess).get(team_url()).status_code == 200
