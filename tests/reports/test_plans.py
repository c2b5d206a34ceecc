"""Action plans: recording a decision from a leadership recommendation, permissions, bad
input, the audit log, the dashboards that show plans, and whether targeted constructs moved."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.demo import DECOUPLED, GUARDRAILS, RECOUPLED
from assessments.models import Cycle
from assessments.services import publish_instrument
from orgs.models import AuditEvent, Membership
from reports import selectors
from reports.models import ActionPlan
from tests.builders import add_people, release, submit
from tests.reports.plain_words import jargon_in


@pytest.fixture
def results(world, cycle):
    """Alpha: 4 submitted, Beta: 2; released, so leadership recommendations exist."""
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS, role="engineering")
    for user in [world.bob, *add_people(world.acme, world.beta, 1)]:
        submit(cycle, world.beta, user, DECOUPLED, role="design")
    release(cycle)
    return cycle


@pytest.fixture
def action(results):
    """The first leadership recommendation the release shows."""
    _, page = selectors.release_page(results, "org")
    assert page and page["actions"], "the fixture's release should fire a leadership action"
    return page["actions"][0]


def new_url(cycle=None, rule=None):
    query = "&".join(f"{k}={v}" for k, v in (("cycle", cycle), ("rule", rule)) if v)
    return reverse("plan_new", args=["acme"]) + (f"?{query}" if query else "")


def valid_post(world, **over):
    data = {
        "title": "Fund a review slot in every sprint",
        "constructs": ["leadership", "collective_practice"],
        "owner": world.membership(world.leo).pk,
        "due_on": (timezone.localdate() + timedelta(days=60)).isoformat(),
        "change": "Each team gets two hours a sprint for a responsible-AI review.",
        "teams": [world.alpha.pk],
    }
    return data | over


def make_plan(world, cycle, **over) -> ActionPlan:
    fields = {
        "organization": world.acme,
        "cycle": cycle,
        "rule_id": "some_rule",
        "title": "Name an owner for AI risk",
        "constructs": ["leadership"],
        "owner": world.membership(world.leo),
        "due_on": timezone.localdate() + timedelta(days=30),
        "change": "Leo names an owner per product.",
        "created_by": world.leo,
    } | over
    teams = fields.pop("teams", [])
    plan = ActionPlan.objects.create(**fields)
    plan.teams.set(teams)
    return plan


# --- recording a decision ----------------------------------------------------------------


def test_dashboard_links_each_leadership_recommendation_to_a_prefilled_form(
    world, results, action, login
):
    client = login(world.leo)
    page = client.get(reverse("org_dashboard", args=["acme"])).content.decode()
    link = new_url(results.slug, action["rule_id"]).replace("&", "&amp;")
    assert "Record a decision" in page and link in page
    form = client.get(new_url(results.slug, action["rule_id"]))
    assert form.status_code == 200
    html = form.content.decode()
    assert f'value="{action["title"]}"' in html  # the title is prefilled
    rule_construct = form.context["rec"].construct
    assert form.context["form"].initial["constructs"] == [rule_construct]
    assert form.context["form"].initial["owner"] == world.membership(world.leo).pk
    proposed = timezone.localdate() + timedelta(days=90)
    assert f'value="{proposed.isoformat()}"' in html  # a date the browser's picker can show
    named = {t.name for t in form.context["form"].initial["teams"]}
    assert named == {n for n in action["teams"] if n in {"Alpha", "Beta"}}


def test_a_leader_records_a_decision_and_it_is_audited(world, results, action, login):
    client = login(world.leo)
    data = valid_post(world, constructs=[])
    rule_construct = client.get(new_url(results.slug, action["rule_id"])).context["rec"].construct
    data["constructs"] = [rule_construct, "governance_design"]
    response = client.post(new_url(results.slug, action["rule_id"]), data)
    plan = ActionPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("plan_detail", args=["acme", plan.pk])
    assert plan.rule_id == action["rule_id"] and plan.cycle == results
    assert plan.constructs[0] == rule_construct and "governance_design" in plan.constructs
    assert plan.owner.user == world.leo and plan.created_by == world.leo
    assert list(plan.teams.all()) == [world.alpha]
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_CREATED)
    assert event.organization == world.acme and event.actor == world.leo
    assert event.target_id == str(plan.pk)
    assert event.data["rule_id"] == action["rule_id"] and event.data["teams"] == ["Alpha"]


def test_plan_pages_name_the_recommendation_in_words_and_keep_the_rule_id_in_the_trace(
    world, results, action, login
):
    client = login(world.leo)
    form = client.get(new_url(results.slug, action["rule_id"])).content.decode()
    client.post(new_url(results.slug, action["rule_id"]), valid_post(world))
    plan = ActionPlan.objects.get()
    detail = client.get(reverse("plan_detail", args=["acme", plan.pk])).content.decode()
    assert f"The recommendation “{action['title']}”" in detail
    for page in (form, detail):
        assert jargon_in(page) == []
        assert action["rule_id"] in page  # behind "How we got this"


def test_bad_input_is_a_400_with_messages_and_keeps_what_was_typed(world, results, action, login):
    client = login(world.alice)
    typed = "A long explanation that must survive the error. " * 3
    data = valid_post(
        world,
        title="",
        constructs=["leadership"] if action["construct"] != "Leadership commitment" else [],
        due_on=(timezone.localdate() - timedelta(days=1)).isoformat(),
        change=typed,
    )
    response = client.post(new_url(results.slug, action["rule_id"]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a due date from today on." in html
    assert "it is the construct this recommendation serves" in html
    assert "This field is required." in html
    assert typed.strip() in html
    assert not ActionPlan.objects.exists()
    too_long = client.post(
        new_url(results.slug, action["rule_id"]), valid_post(world, change="x" * 2001)
    )
    assert too_long.status_code == 400 and "at most 2000 characters" in too_long.content.decode()
    far = (timezone.localdate() + timedelta(days=5 * 365)).isoformat()
    late = client.post(new_url(results.slug, action["rule_id"]), valid_post(world, due_on=far))
    assert late.status_code == 400 and "within three years" in late.content.decode()


def test_owner_and_teams_must_belong_to_the_organisation(world, results, action, login):
    client = login(world.leo)
    charlie = world.membership(world.charlie).pk
    response = client.post(
        new_url(results.slug, action["rule_id"]),
        valid_post(world, owner=charlie, teams=[world.other_team.pk]),
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not ActionPlan.objects.exists()


def test_a_missing_or_unknown_recommendation_is_a_400_and_an_unknown_cycle_a_404(
    world, results, login
):
    client = login(world.leo)
    missing = client.get(new_url())
    assert missing.status_code == 400
    assert "names no cycle or recommendation" in missing.content.decode()
    unknown = client.post(new_url(results.slug, "no_such_rule"), valid_post(world))
    assert unknown.status_code == 400
    assert "show no leadership recommendation" in unknown.content.decode()
    assert client.get(new_url("no-such-cycle", "x")).status_code == 404
    assert not ActionPlan.objects.exists()


# --- permissions ---------------------------------------------------------------------------


def test_members_and_team_leads_get_403_for_every_write(world, results, action, login):
    plan = make_plan(world, results)
    for user in (world.max, world.tess, world.bob):
        client = login(user)
        assert (
            client.post(new_url(results.slug, action["rule_id"]), valid_post(world)).status_code
            == 403
        )
        assert (
            client.post(
                reverse("plan_detail", args=["acme", plan.pk]), valid_post(world)
            ).status_code
            == 403
        )
        assert (
            client.post(reverse("plan_status", args=["acme", plan.pk]), {"to": "done"}).status_code
            == 403
        )
    plan.refresh_from_db()
    assert plan.status == ActionPlan.Status.OPEN and ActionPlan.objects.count() == 1


def test_another_organisations_plan_is_a_404(world, results, login):
    plan = make_plan(world, results)
    client = login(world.charlie)
    for name in ("plan_detail", "plan_status"):
        assert client.get(reverse(name, args=["acme", plan.pk])).status_code == 404
    # charlie's own organisation does not hold acme's plan either
    assert client.get(reverse("plan_detail", args=["other", plan.pk])).status_code == 404
    assert (
        client.post(reverse("plan_status", args=["other", plan.pk]), {"to": "done"}).status_code
        == 404
    )


def test_anonymous_is_sent_to_sign_in(world, results, login):
    plan = make_plan(world, results)
    client = login(None)
    for url in (
        reverse("plan_list", args=["acme"]),
        reverse("plan_detail", args=["acme", plan.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_wrong_methods_are_405(world, results, login):
    plan = make_plan(world, results)
    client = login(world.leo)
    assert client.post(reverse("plan_list", args=["acme"])).status_code == 405
    assert client.put(reverse("plan_detail", args=["acme", plan.pk])).status_code == 405
    assert client.delete(reverse("plan_status", args=["acme", plan.pk])).status_code == 405


# --- list, edit, status ----------------------------------------------------------------------


def test_list_is_paginated_and_filters_open_and_done(world, results, login):
    for i in range(23):
        make_plan(world, results, title=f"Open plan {i:02d}")
    make_plan(world, results, title="Finished plan", status=ActionPlan.Status.DONE)
    client = login(world.alice)
    first = client.get(reverse("plan_list", args=["acme"]))
    html = first.content.decode()
    assert first.status_code == 200 and "Page 1 of 2" in html and "Finished plan" not in html
    second = client.get(
        reverse("plan_list", args=["acme"]) + "?status=open&page=2"
    ).content.decode()
    assert "Open plan 22" in second
    done = client.get(reverse("plan_list", args=["acme"]) + "?status=done").content.decode()
    assert "Finished plan" in done and "Open plan 00" not in done
    odd = client.get(reverse("plan_list", args=["acme"]) + "?status=zzz&page=999")
    assert odd.status_code == 200


def test_editing_logs_which_fields_changed(world, results, login):
    plan = make_plan(world, results, teams=[world.alpha])
    client = login(world.alice)
    url = reverse("plan_detail", args=["acme", plan.pk])
    shown = client.get(url).content.decode()
    assert f'type="date" name="due_on" value="{plan.due_on.isoformat()}"' in shown
    data = valid_post(
        world,
        title=plan.title,
        constructs=["leadership"],
        due_on=plan.due_on.isoformat(),
        change=plan.change,
        teams=[world.alpha.pk, world.beta.pk],
        owner=world.membership(world.alice).pk,
    )
    assert client.post(url, data).status_code == 302
    plan.refresh_from_db()
    assert plan.owner.user == world.alice
    assert {t.name for t in plan.teams.all()} == {"Alpha", "Beta"}
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_CHANGED)
    assert event.data["changed"] == ["owner", "teams"] and event.actor == world.alice
    # dropping the recommendation's own construct is refused
    bad = client.post(url, data | {"constructs": ["principles"]})
    assert (
        bad.status_code == 400
        and "it is the construct this recommendation serves" in bad.content.decode()
    )


def test_a_past_due_date_may_stay_when_editing_an_overdue_plan(world, results, login):
    past = timezone.localdate() - timedelta(days=3)
    plan = make_plan(world, results, due_on=past)
    client = login(world.leo)
    data = valid_post(world, constructs=["leadership"], due_on=past.isoformat(), title="Renamed")
    assert client.post(reverse("plan_detail", args=["acme", plan.pk]), data).status_code == 302
    plan.refresh_from_db()
    assert plan.title == "Renamed" and plan.due_on == past


def test_status_change_asks_for_confirmation_then_is_audited(world, results, login):
    plan = make_plan(world, results)
    client = login(world.leo)
    url = reverse("plan_status", args=["acme", plan.pk])
    confirm = client.get(url + "?to=done")
    assert confirm.status_code == 200 and "Mark as done" in confirm.content.decode()
    plan.refresh_from_db()
    assert plan.status == ActionPlan.Status.OPEN  # GET changes nothing
    assert client.post(url, {"to": "done"}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == ActionPlan.Status.DONE
    event = AuditEvent.objects.get(action=AuditEvent.Action.PLAN_STATUS_CHANGED)
    assert event.data == {"from": "open", "to": "done"}
    bad = client.post(url, {"to": "exploded"})
    assert bad.status_code == 400 and "mark it done, drop it or reopen it" in bad.content.decode()


# --- dashboards ------------------------------------------------------------------------------


def test_org_dashboard_shows_open_plans_with_overdue_highlighted(world, results, login):
    make_plan(
        world, results, title="Late decision", due_on=timezone.localdate() - timedelta(days=2)
    )
    make_plan(world, results, title="Upcoming decision")
    make_plan(world, results, title="Closed decision", status=ActionPlan.Status.DONE)
    html = login(world.leo).get(reverse("org_dashboard", args=["acme"])).content.decode()
    assert "Open actions" in html
    assert "Late decision" in html and "Upcoming decision" in html
    assert "Closed decision" not in html
    assert html.count("Overdue") == 1
    assert "Leo" in html  # the owner


def test_team_dashboard_shows_the_plans_that_concern_it_and_not_others(world, results, login):
    make_plan(
        world, results, title="For Alpha", teams=[world.alpha], change="Alpha gets review time."
    )
    make_plan(world, results, title="For Beta only", teams=[world.beta])
    make_plan(world, results, title="Dropped for Alpha", teams=[world.alpha], status="dropped")
    html = login(world.max).get(reverse("team_dashboard", args=["acme", "alpha"])).content.decode()
    assert "For Alpha" in html and "Alpha gets review time." in html and "Leo" in html
    assert "For Beta only" not in html and "Dropped for Alpha" not in html
    beta = login(world.bob).get(reverse("team_dashboard", args=["acme", "beta"])).content.decode()
    assert "For Beta only" in beta and "For Alpha" not in beta


# --- did it move? ----------------------------------------------------------------------------


def test_detail_shows_how_targeted_constructs_moved_at_the_next_cycle(world, login):
    today = timezone.localdate()
    instrument = publish_instrument("1")
    earlier = Cycle.objects.create(
        organization=world.acme,
        name="2026 Q1",
        slug="2026-q1",
        instrument=instrument,
        opens_on=today - timedelta(days=200),
        closes_on=today - timedelta(days=170),
        state=Cycle.State.OPEN,
    )
    later = Cycle.objects.create(
        organization=world.acme,
        name="2026 Q3",
        slug="2026-q3",
        instrument=instrument,
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=20),
        state=Cycle.State.OPEN,
    )
    people = add_people(world.acme, world.alpha, 4) + add_people(world.acme, world.beta, 4)
    for c in (earlier, later):
        c.teams.set([world.alpha, world.beta])
    plan = make_plan(world, earlier, constructs=["leadership", "uncertainty"])
    client = login(world.leo)
    before = client.get(reverse("plan_detail", args=["acme", plan.pk])).content.decode()
    assert "No later cycle has released results yet" in before
    for climate, c in ((DECOUPLED, earlier), (RECOUPLED, later)):
        for u in people:
            team = Membership.objects.get(user=u).team
            submit(c, team, u, climate, role="engineering")
        release(c)
    html = client.get(reverse("plan_detail", args=["acme", plan.pk])).content.decode()
    assert "2026 Q1 against 2026 Q3" in html
    # DECOUPLED -> RECOUPLED: leadership up, uncertainty down; both improvements
    assert "Leadership commitment improved by" in html
    assert "Uncertainty about responsible AI improved by" in html
    assert "95 % CI" in html and "after the decision" in html
    assert "because of" not in html
    # the list and the dashboard card say it in short
    listed = client.get(reverse("plan_list", args=["acme"])).content.decode()
    assert "By 2026 Q3:" in listed and "Leadership commitment <span" in listed
    assert listed.count(">Improved<") == 2
    dash = client.get(reverse("org_dashboard", args=["acme"]) + "?cycle=2026-q3").content.decode()
    assert "By 2026 Q3:" in dash and dash.count(">Improved<") >= 2


def test_plan_list_queries_do_not_grow_with_plans(world, results, login):
    client = login(world.leo)
    url = reverse("plan_list", args=["acme"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    make_plan(world, results)
    few = queries()
    for i in range(12):
        make_plan(world, results, title=f"Plan {i}", teams=[world.alpha])
    assert queries() == few
