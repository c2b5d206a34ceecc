"""The team and organisation dashboards: anonymity, traces, CSV, query counts."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.demo import DECOUPLED, GUARDRAILS, RECOUPLED
from assessments.models import Answer, Response
from assessments.services import rules_for
from orgs.models import Team
from reports import charts, dashboards, selectors
from reports.models import Release
from tests.builders import add_people, release, submit


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


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
    release(cycle)
    return cycle


def test_team_dashboard_shows_scores_profile_and_two_kinds_of_recommendation(world, results, login):
    page = login(world.max).get(team_url()).content.decode()
    assert "Guardrails without backing" in page
    assert "What your team can do now" in page and "What to ask leadership for" in page
    assert "How we got this" in page
    assert "Leadership commitment" in page
    assert "n = 4" in page


def test_release_line_on_a_team_page_says_its_count_is_the_organisations(world, results, login):
    team_page = login(world.max).get(team_url()).content.decode()
    assert "6 responses across Acme." in team_page and "n = 4" in team_page
    org_page = login(world.leo).get(org_url()).content.decode()
    assert "6 responses." in org_page and "across Acme" not in org_page


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
        assert "responses needed before team results are released" in page
        assert "Recoupling profile" not in page


def test_one_person_team_sees_only_its_own_scores(world, cycle, login):
    solo = Team.objects.create(organization=world.acme, name="Solo", slug="solo")
    cycle.teams.add(solo)
    user = add_people(world.acme, solo, 1)[0]
    submit(cycle, solo, user, RECOUPLED)
    release(cycle)
    own = login(user).get(team_url("solo")).content.decode()
    assert "Your own scores" in own and "Recoupling profile" not in own
    assert "Your own scores" not in login(world.leo).get(team_url("solo")).content.decode()


def test_whoever_joins_a_one_person_team_sees_nothing_of_the_previous_answers(world, cycle, login):
    """Attack 4: an admin (or the next member) of a one-person team saw its answers."""
    solo = Team.objects.create(organization=world.acme, name="Solo", slug="solo")
    cycle.teams.add(solo)
    author = add_people(world.acme, solo, 1)[0]
    submit(cycle, solo, author, RECOUPLED)
    release(cycle)
    Membership = world.membership(world.alice).__class__
    Membership.objects.filter(user=author).delete()  # the author leaves
    Membership.objects.filter(user=world.alice).update(team=solo)  # an admin joins
    page = login(world.alice).get(team_url("solo")).content.decode()
    assert "Your own scores" not in page and "Recoupling profile" not in page
    newcomer = add_people(world.acme, solo, 1, start=9)[0]
    page = login(newcomer).get(team_url("solo")).content.decode()
    assert "Your own scores" not in page and "Recoupling profile" not in page


def test_members_see_only_their_own_team_dashboard(world, results, login):
    assert login(world.bob).get(team_url("alpha")).status_code == 403
    assert login(world.charlie).get(team_url("alpha")).status_code == 404
    assert login(world.max).get(reverse("org_dashboard", args=["acme"])).status_code == 403


def test_org_dashboard_pools_small_teams_and_never_shows_them_alone(world, results, login):
    response = login(world.leo).get(org_url())
    view = response.context["view"]
    _, stored = selectors.release_page(results, "org")
    names = [g["name"] for g in stored["groups"]]
    assert names == ["Alpha"] and view["n_groups"] == 1  # Beta (2) is below 3 and its pool (2) too
    assert view["hidden_teams"] == 1
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
    assert not view["visible"]  # Alpha's rest (one engineer) would be alone
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
    _, view = selectors.release_page(results, "org")
    for table in ("participation", "teams", "profiles", "prevalence", "lift", "actions"):
        response = client.get(f"{base}?table={table}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert len(rows) >= 2, table
    teams = list(csv.DictReader(io.StringIO(client.get(f"{base}?table=teams").content.decode())))
    alpha = view["groups"][0]["aggregate"]["constructs"]["leadership"]["mean"]
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
    release(cycle)
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
    release(cycle)
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
        "No released results" in body.content.decode()
        and "Leadership commitment" not in body.content.decode()
    )
    # The differencing filter hides Alpha from the org export too.
    base = reverse("org_dashboard_export", args=["acme"])
    filtered = login(world.leo).get(f"{base}?table=teams&role=product_management").content.decode()
    assert "Alpha" not in filtered and "No released results" in filtered
    lift = login(world.leo).get(f"{base}?table=lift&role=product_management").content.decode()
    assert "No released results" in lift


def test_results_change_only_with_a_release_and_in_batches_of_k(world, results, login):
    """Attack 3: one snapshot before a submission and one after gave one person's answers."""
    client = login(world.leo)
    assert "Alpha (n=4)" in client.get(org_url()).content.decode()
    newcomers = add_people(world.acme, world.alpha, 3, start=50)
    submit(results, world.alpha, newcomers[0], GUARDRAILS)
    assert "Alpha (n=4)" in client.get(org_url()).content.decode()  # not live
    release(results)
    page = client.get(org_url()).content.decode()
    assert "Alpha (n=4)" in page and "1 newer or changed response waits" in page
    for user in newcomers[1:]:
        submit(results, world.alpha, user, GUARDRAILS)
    release(results)
    assert "Alpha (n=7)" in client.get(org_url()).content.decode()


def test_a_review_waits_like_an_answer_until_its_team_changes_by_k(world, results, login):
    """A review is a change of the response (its label is in what the release holds): shown
    alone it would move one action in one team's counts and name the team of a text the
    queue shows unnamed. So it waits, like an answer, until its groups change by k."""
    from assessments.models import ClassifiedAction

    actions = list(ClassifiedAction.objects.filter(team=world.alpha).order_by("pk"))
    ClassifiedAction.objects.filter(team=world.alpha).update(needs_review=True, reviewed_at=None)
    assert release(results).n_held_back == 0  # every response of the team changed at once
    lead = login(world.tess)

    def in_review():
        view = lead.get(team_url()).context["view"]
        return {c["kind"]: c["count"] for c in view["free_text"]["action_counts"]}["in_review"]

    assert in_review() == len(actions) >= 3

    def review(action):
        reply = lead.post(
            reverse("review_action", args=["acme", action.public_id]),
            {"kind": "collective", "reason": "x-team"},
        )
        assert reply.status_code == 302

    review(actions[0])
    assert release(results).n_held_back == 1  # one change alone waits
    assert in_review() == len(actions)
    for action in actions[1:]:
        review(action)
    assert release(results).n_held_back == 0
    assert in_review() == 0


def test_autosaving_a_draft_does_not_trigger_a_release_but_reopening_does(world, results):
    """Drafts never feed the results, so a member typing must not rebuild every page."""
    from assessments.services import reopen_response, response_for, save_answer
    from reports import releases, selectors

    newcomer = add_people(world.acme, world.alpha, 1, start=60)[0]
    release(results)
    before = selectors.submissions_stamp(results)
    draft = response_for(results, world.alpha, newcomer)
    assert save_answer(draft, "ctx_role", ["engineering"], 0).outcome == "saved"
    assert selectors.submissions_stamp(results) == before
    assert (results.pk, "submissions") not in releases.cycles_to_refresh()

    submitted = Response.objects.filter(team=world.alpha, status=Response.Status.SUBMITTED).first()
    reopen_response(submitted)
    assert selectors.submissions_stamp(results) != before
    assert (results.pk, "submissions") in releases.cycles_to_refresh()


def test_dashboards_still_answer_while_the_shared_cache_is_down(world, results, login, settings):
    """Production caches in Redis; while it restarts the pages compute instead of failing."""
    from config.settings import shared_cache

    settings.CACHES = {"default": shared_cache("redis://127.0.0.1:1/0")}  # nothing listens
    assert "Alpha (n=4)" in login(world.leo).get(org_url()).content.decode()
    assert login(world.tess).get(team_url()).status_code == 200


def test_an_org_admin_can_release_now_and_others_cannot(world, results, login):
    from reports.models import Release

    url = reverse("release_now", args=["acme"])
    assert login(world.leo).post(url, {"cycle": results.slug}).status_code == 403
    assert login(world.charlie).post(url, {"cycle": results.slug}).status_code == 404
    bad = login(world.alice).post(url, {"cycle": "nope"})
    assert bad.status_code == 400 and "Choose a cycle to release" in bad.content.decode()
    before = Release.objects.filter(cycle=results).count()
    response = login(world.alice).post(url, {"cycle": results.slug})
    assert response.status_code == 302 and response["Location"].endswith(f"?cycle={results.slug}")
    assert Release.objects.filter(cycle=results).count() == before + 1  # eager in tests
    assert login(world.alice).get(url).status_code == 405


def test_release_now_is_throttled_per_organisation(world, results, login):
    """A few asks an hour are enough (the periodic pass releases anyway); a burst from any
    of the organisation's admins gets a clear 429 and builds nothing."""
    from reports.models import Release
    from reports.views.dashboards import RELEASE_NOW_RATE

    url = reverse("release_now", args=["acme"])
    allowed = int(RELEASE_NOW_RATE.split("/")[0])
    client = login(world.alice)
    for _ in range(allowed):
        assert client.post(url, {"cycle": results.slug}).status_code == 302
    built = Release.objects.filter(cycle=results).count()
    refused = client.post(url, {"cycle": results.slug})
    assert refused.status_code == 429
    assert "asked for too often" in refused.content.decode()
    assert Release.objects.filter(cycle=results).count() == built


def test_a_leader_is_told_plainly_when_nothing_stands_out(world, cycle, login):
    """Practice answers that do not differ between people with and without an enabler: no
    finding, and the page says so with how many more responses it would take."""
    from assessments.services import instrument_for

    instrument = instrument_for("1")
    practice = [i for i in instrument.items if i.is_practice and i.is_scored and i.options]
    people = add_people(world.acme, world.alpha, 12) + add_people(world.acme, world.beta, 12)
    for i, user in enumerate(people):
        team = world.alpha if i < 12 else world.beta
        # The same practice answers in every second pair of people, whatever their enablers.
        answers = {item.key: item.options[(i // 2) % 2].value for item in practice}
        submit(cycle, team, user, GUARDRAILS if i % 2 else DECOUPLED, extra=answers)
    release(cycle)
    view = login(world.leo).get(org_url()).context["view"]
    assert selectors.release_page(cycle, "org")[1]["lift_rows"] == [] and view["lift_top"] == []
    assert "Nothing stands out" in view["lift_none"]
    page = login(world.leo).get(org_url()).content.decode()
    assert "nothing stands out yet" in page and "unlocks" not in page.lower()


def test_org_dashboard_reads_only_what_it_shows_of_the_stored_page(world, results, login):
    """The dashboard gets the stored page without the groups' results, the lift tables and
    the actions past the first few (the exports and the PDF read those), and the number of
    groups and actions it shows instead."""
    cache.clear()
    view = login(world.leo).get(org_url()).context["view"]
    _, whole = selectors.release_page(results, "org")
    left_out = selectors.ORG_DASHBOARD_LEAVES_OUT
    assert whole["groups"] and all(k in whole for k in left_out)
    assert not any(k in view for k in left_out)
    assert {k: v for k, v in whole.items() if k not in left_out} == {
        **view,
        "actions": whole["actions"],
        "pressure_by_group": whole["pressure_by_group"],
    }
    assert view["n_groups"] == len(whole["groups"]) and view["n_actions"] == len(whole["actions"])
    assert view["actions"] == whole["actions"][: selectors.DASHBOARD_ACTIONS]


def test_the_dashboard_says_how_many_more_actions_the_exports_hold():
    actions = [{"rule_id": f"r{i}"} for i in range(selectors.DASHBOARD_ACTIONS + 3)]
    rows = selectors.stored_rows("org?role=pm", {"visible": True, "actions": actions})
    shown, more = rows["org?role=pm"], rows["org?role=pm#more"]
    assert shown["more_actions"] == 3 and len(shown["actions"]) == selectors.DASHBOARD_ACTIONS
    assert more["actions"] == actions
    assert selectors.stored_rows("team:4", {"n": 3}) == {"team:4": {"n": 3}}


def test_governance_actions_link_only_to_actions_the_dashboard_shows():
    actions = [{"rule_id": f"r{i}"} for i in range(selectors.DASHBOARD_ACTIONS + 1)]
    governance = [{"rule_id": "r0", "title": "Shown"}, {"rule_id": actions[-1]["rule_id"]}]
    page = {"visible": True, "actions": actions, "governance_actions": governance}
    shown = selectors.stored_rows("org", page)["org"]["governance_actions"]
    assert [a["on_page"] for a in shown] == [True, False]
    filtered = selectors.stored_rows("org?role=pm", {**page, "filtered": True})
    assert not any(a["on_page"] for a in filtered["org?role=pm"]["governance_actions"])


def test_team_pages_keep_only_the_facts_and_the_release_stores_each_rules_texts_once(
    world, results
):
    latest = Release.objects.filter(cycle=results).order_by("-number").first()
    stored = latest.pages.get(key=f"team:{world.alpha.pk}").data
    rule_texts = latest.pages.get(key=dashboards.RULES_PAGE).data
    recs = stored["recs_team"] + stored["recs_leadership"]
    assert recs and all("title" not in r and "why" not in r and "steps" not in r for r in recs)
    _, page = selectors.release_page(results, f"team:{world.alpha.pk}")
    shown = page["recs_team"] + page["recs_leadership"]
    rules = {rule.id: rule for rule in rules_for(results.instrument.version)}
    assert [r["rule_id"] for r in shown] == [r["rule_id"] for r in recs]
    for kept, rec in zip(recs, shown, strict=True):
        rule = rules[rec["rule_id"]]
        assert rec["title"] == rule.title and rec["steps"] == list(rule.steps)
        assert rec["why_sentences"] == [*kept["facts"], rule.framing]
        assert rec["why"] == " ".join(rec["why_sentences"])
        assert rec["audience"] == rule.audience and rec["resource"] == rule.resource
    texts: dict = {}
    assert [dashboards.stored_recommendation(r, texts) for r in shown] == recs
    assert texts == {r["rule_id"]: rule_texts[r["rule_id"]] for r in recs}
    # A page stored whole, before rule texts were stored apart, reads as it was.
    assert dashboards.with_rule_texts({"recs_team": shown}, {})["recs_team"] == shown


def participation_url(**params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse("org_participation", args=["acme"]) + (f"?{query}" if query else "")


def test_org_dashboard_loads_live_participation_beside_the_released_results(world, results, login):
    """The release body is read from cache; the live counts come as their own fragment, and
    without JavaScript the placeholder links to them on a page of their own."""
    page = login(world.leo).get(org_url()).content.decode()
    url = participation_url(cycle=results.slug)
    assert f'hx-get="{url}"' in page and f'href="{url}"' in page
    assert "rc-meter" not in page  # no live counts in the dashboard's own response


def test_participation_fragment_counts_per_team_and_names_no_one(world, results, login):
    client = login(world.leo)
    fragment = client.get(participation_url(cycle=results.slug), HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and fragment["Cache-Control"] == "no-store, private"
    html = fragment.content.decode()
    assert html.lstrip().startswith("<section") and "<html" not in html
    rows = {p["team"]: p for p in fragment.context["participation"]}
    assert (rows["Alpha"]["submitted"], rows["Beta"]["submitted"]) == (4, 2)
    assert world.tess.name not in html and world.bob.email not in html
    page = client.get(participation_url(cycle=results.slug)).content.decode()
    assert "<html" in page and "Back to the dashboard" in page and "Alpha" in page


def test_participation_fragment_is_leadership_only_and_stays_in_its_organisation(
    world, results, login
):
    assert login(world.alice).get(participation_url()).status_code == 200
    assert login(world.tess).get(participation_url()).status_code == 403
    assert login(world.max).get(participation_url()).status_code == 403
    assert login(world.charlie).get(participation_url()).status_code == 404
    assert login(world.leo).get(participation_url(cycle="nope")).status_code == 404


def test_an_org_page_stores_each_figure_as_the_json_the_dashboard_embeds(world, results, login):
    latest = Release.objects.filter(cycle=results).order_by("-number").first()
    stored = latest.pages.get(key="org").data["heatmap"]["figure"]
    assert isinstance(stored, str)
    html = login(world.leo).get(org_url()).content.decode()
    embedded = re.search(
        r'<script id="fig-org-heatmap" type="application/json">(.*?)</script>', html
    )
    assert embedded and json.loads(embedded.group(1)) == json.loads(stored)
    # The PDF reads the same chart back as a figure.
    _, page = selectors.release_page(results, "org")
    assert charts.chart_from_plain(page["heatmap"]).figure == json.loads(stored)
