"""Cycle administration (list, new, edit, state changes) and the member's list of cycles."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from assessments.instrument.loader import load_version
from assessments.models import Cycle, InstrumentVersion, Response
from assessments.services import publish_instrument
from orgs.models import AuditEvent, Membership, Role, Team
from tests.builders import make_user

A = AuditEvent.Action


@pytest.fixture
def today() -> date:
    return timezone.localdate()


@pytest.fixture
def make_cycle(world, today):
    def _make(
        name: str = "2026 Q4",
        *,
        state: str = Cycle.State.OPEN,
        teams: list[Team] | None = None,
        org=None,
        opens_on: date | None = None,
        closes_on: date | None = None,
    ) -> Cycle:
        cycle = Cycle.objects.create(
            organization=org or world.acme,
            name=name,
            slug=slugify(name),
            instrument=publish_instrument("1"),
            opens_on=opens_on or today - timedelta(days=3),
            closes_on=closes_on or today + timedelta(days=20),
            state=state,
        )
        cycle.teams.set(teams if teams is not None else [world.alpha, world.beta])
        return cycle

    return _make


def new_cycle_data(world, today, **overrides) -> dict[str, object]:
    data = {
        "name": "2027 Q1",
        "instrument": "1",
        "opens_on": today.isoformat(),
        "closes_on": (today + timedelta(days=30)).isoformat(),
        "teams": [world.alpha.pk, world.beta.pk],
    }
    data.update(overrides)
    return data


def audit_actions(world) -> list[str]:
    return list(AuditEvent.objects.filter(organization=world.acme).values_list("action", flat=True))


# --- Access, for each page (the permission matrix covers every actor too) ----------------------

ADMIN_PAGES = ["admin_cycles", "admin_cycle_new", "admin_cycle_edit"]


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_cycle_pages_refuse_members_outsiders_and_anonymous(name, world, login, make_cycle):
    cycle = make_cycle()
    kwargs = {"org": "acme"} | ({"cycle": cycle.slug} if name == "admin_cycle_edit" else {})
    url = reverse(name, kwargs=kwargs)
    assert login(None).get(url).status_code == 302
    assert login(world.charlie).get(url).status_code == 404
    for user in (world.leo, world.tess, world.max):
        assert login(user).get(url).status_code == 403
    assert login(world.alice).get(url).status_code == 200


def test_admin_cycles_refuses_post(world, login):
    assert login(world.alice).post(reverse("admin_cycles", args=["acme"])).status_code == 405


def test_cycles_page_refuses_post_and_outsider(world, login):
    url = reverse("cycles", args=["acme"])
    assert login(world.max).post(url).status_code == 405
    assert login(world.charlie).get(url).status_code == 404
    assert login(None).get(url).status_code == 302


def test_edit_of_another_organisations_cycle_is_404(world, login, make_cycle):
    cycle = make_cycle("Their cycle", org=world.other, teams=[world.other_team])
    response = login(world.alice).get(reverse("admin_cycle_edit", args=["acme", cycle.slug]))
    assert response.status_code == 404


# --- List -------------------------------------------------------------------------------------


def test_admin_cycles_lists_state_dates_teams_and_submitted(world, login, make_cycle):
    cycle = make_cycle()
    make_cycle("2026 Q3", state=Cycle.State.DRAFT, teams=[world.alpha])
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max, status="submitted")
    Response.objects.create(cycle=cycle, team=world.beta, respondent=world.bob, status="submitted")
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.tess)  # draft
    response = login(world.alice).get(reverse("admin_cycles", args=["acme"]))
    assert response.status_code == 200
    rows = {c.name: c for c in response.context["page"].object_list}
    assert (rows["2026 Q4"].team_count, rows["2026 Q4"].submitted_count) == (2, 2)
    assert (rows["2026 Q3"].team_count, rows["2026 Q3"].submitted_count) == (1, 0)
    html = response.content.decode()
    assert "Open" in html and "Draft" in html and "v1" in html
    assert reverse("admin_cycle_edit", args=["acme", cycle.slug]) in html
    assert reverse("admin_cycle_new", args=["acme"]) in html


def test_admin_cycles_empty_state_says_what_to_do(world, login):
    html = login(world.alice).get(reverse("admin_cycles", args=["acme"])).content.decode()
    assert "No cycles yet" in html and "Create the first cycle" in html


def test_admin_cycles_without_teams_points_to_teams_first(world, login):
    Team.objects.filter(organization=world.acme).update(archived_at=timezone.now())
    html = login(world.alice).get(reverse("admin_cycles", args=["acme"])).content.decode()
    assert "Create your teams" in html
    assert reverse("admin_cycle_new", args=["acme"]) not in html


def test_admin_cycles_query_count_does_not_grow_with_cycles(
    world, login, make_cycle, django_assert_num_queries
):
    client = login(world.alice)
    url = reverse("admin_cycles", args=["acme"])
    make_cycle("C1")
    client.get(url)  # warm the session
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for n in range(2, 8):
        cycle = make_cycle(f"C{n}")
        Response.objects.create(
            cycle=cycle, team=world.alpha, respondent=world.max, status="submitted"
        )
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(url)
    assert len(response.context["page"].object_list) == 7


# --- New ---------------------------------------------------------------------------------------


def test_new_cycle_form_checks_every_active_team_by_default(world, login):
    Team.objects.create(organization=world.acme, name="Old", slug="old", archived_at=timezone.now())
    response = login(world.alice).get(reverse("admin_cycle_new", args=["acme"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert set(response.context["form"].initial["teams"]) == {world.alpha, world.beta}
    assert "Old" not in html
    assert 'type="date"' in html
    assert html.count("checked") >= 2


def test_new_cycle_form_defaults_to_the_newest_instrument_v2(world, login):
    response = login(world.alice).get(reverse("admin_cycle_new", args=["acme"]))
    form = response.context["form"]
    assert form.fields["instrument"].initial == "2"
    assert [v for v, _ in form.fields["instrument"].choices][:2] == ["2", "1"]
    assert '<option value="2" selected>' in response.content.decode()


def test_new_cycle_on_v2_publishes_v2_and_leaves_v1_cycles_on_v1(world, login, today, cycle):
    response = login(world.alice).post(
        reverse("admin_cycle_new", args=["acme"]), new_cycle_data(world, today, instrument="2")
    )
    assert response.status_code == 302
    new = Cycle.objects.get(organization=world.acme, name="2027 Q1")
    assert new.instrument.version == "2"
    cycle.refresh_from_db()
    assert cycle.instrument.version == "1"
    assert InstrumentVersion.objects.get(version="2").content_hash == (
        load_version("2").content_hash
    )


def test_new_cycle_creates_a_draft_publishes_the_instrument_and_audits(world, login, today):
    response = login(world.alice).post(
        reverse("admin_cycle_new", args=["acme"]), new_cycle_data(world, today)
    )
    cycle = Cycle.objects.get(organization=world.acme)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin_cycle_edit", args=["acme", cycle.slug])
    assert (cycle.name, cycle.state, cycle.instrument.version) == ("2027 Q1", "draft", "1")
    assert set(cycle.teams.all()) == {world.alpha, world.beta}
    assert InstrumentVersion.objects.filter(version="1").exists()
    assert A.CYCLE_CREATED in audit_actions(world)


def test_new_cycle_with_closing_before_opening_is_refused(world, login, today):
    data = new_cycle_data(world, today, closes_on=(today - timedelta(days=1)).isoformat())
    response = login(world.alice).post(reverse("admin_cycle_new", args=["acme"]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "must close on or after the day it opens" in html
    assert 'value="2027 Q1"' in html  # typed values kept
    assert not Cycle.objects.exists()


@pytest.mark.parametrize("field", ["opens_on", "closes_on"])
def test_new_cycle_dates_must_be_within_two_years(field, world, login, today):
    far = today + timedelta(days=3 * 365)
    data = new_cycle_data(world, today, **{field: far.isoformat()})
    if field == "opens_on":
        data["closes_on"] = (far + timedelta(days=10)).isoformat()
    response = login(world.alice).post(reverse("admin_cycle_new", args=["acme"]), data)
    assert response.status_code == 400
    assert "within two years of today" in response.content.decode()
    assert not Cycle.objects.exists()


def test_new_cycle_needs_a_team_and_a_known_version(world, login, today):
    data = new_cycle_data(world, today, teams=[], instrument="99")
    response = login(world.alice).post(reverse("admin_cycle_new", args=["acme"]), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose at least one team." in html
    assert "Select a valid choice" in html
    assert not Cycle.objects.exists()


def test_new_cycle_refuses_a_team_of_another_organisation(world, login, today):
    data = new_cycle_data(world, today, teams=[world.other_team.pk])
    response = login(world.alice).post(reverse("admin_cycle_new", args=["acme"]), data)
    assert response.status_code == 400
    assert not Cycle.objects.exists()


def test_new_cycle_name_must_be_unique_in_the_organisation(world, login, today, make_cycle):
    make_cycle("2027 Q1")
    response = login(world.alice).post(
        reverse("admin_cycle_new", args=["acme"]), new_cycle_data(world, today, name="2027 q1")
    )
    assert response.status_code == 400
    assert "exists already" in response.content.decode()


def test_new_cycle_on_a_changed_published_version_asks_to_bump_the_version(world, login, today):
    InstrumentVersion.objects.create(version="1", title="Old v1", content_hash="0" * 64)
    response = login(world.alice).post(
        reverse("admin_cycle_new", args=["acme"]), new_cycle_data(world, today)
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "published with different content" in html
    assert "bump" in html
    assert not Cycle.objects.exists()
    assert InstrumentVersion.objects.get(version="1").content_hash == "0" * 64


# --- Edit and state -----------------------------------------------------------------------


def edit_url(cycle: Cycle) -> str:
    return reverse("admin_cycle_edit", args=[cycle.organization.slug, cycle.slug])


def test_edit_changes_name_dates_and_teams_and_audits(world, login, make_cycle, today):
    cycle = make_cycle(state=Cycle.State.DRAFT)
    data = {
        "action": "details",
        "name": "2026 Q4 (late)",
        "opens_on": (today + timedelta(days=1)).isoformat(),
        "closes_on": (today + timedelta(days=40)).isoformat(),
        "teams": [world.alpha.pk],
    }
    response = login(world.alice).post(edit_url(cycle), data)
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.name == "2026 Q4 (late)" and cycle.closes_on == today + timedelta(days=40)
    assert list(cycle.teams.all()) == [world.alpha]
    event = AuditEvent.objects.get(action=A.CYCLE_CHANGED)
    assert set(event.data["changes"]) == {"name", "opens_on", "closes_on", "teams"}


def test_edit_with_bad_dates_is_refused_and_keeps_typed_values(world, login, make_cycle, today):
    cycle = make_cycle()
    data = {
        "action": "details",
        "name": "Renamed",
        "opens_on": today.isoformat(),
        "closes_on": (today - timedelta(days=5)).isoformat(),
        "teams": [world.alpha.pk],
    }
    response = login(world.alice).post(edit_url(cycle), data)
    assert response.status_code == 400
    assert 'value="Renamed"' in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.name == "2026 Q4"
    assert A.CYCLE_CHANGED not in audit_actions(world)


def test_edit_keeps_old_dates_valid_as_time_passes(world, login, make_cycle, today):
    long_ago = today - timedelta(days=3 * 365)
    cycle = make_cycle(opens_on=long_ago, closes_on=long_ago + timedelta(days=20))
    data = {
        "action": "details",
        "name": "Renamed",
        "opens_on": long_ago.isoformat(),
        "closes_on": (long_ago + timedelta(days=20)).isoformat(),
        "teams": [world.alpha.pk, world.beta.pk],
    }
    assert login(world.alice).post(edit_url(cycle), data).status_code == 302


def state_post(client, cycle: Cycle, state: str):
    return client.post(edit_url(cycle), {"action": "state", "state": state})


def test_state_goes_draft_open_closed_and_reopens_each_audited(world, login, make_cycle):
    cycle = make_cycle(state=Cycle.State.DRAFT)
    client = login(world.alice)
    for state in ("open", "closed", "open"):
        response = state_post(client, cycle, state)
        assert response.status_code == 302, response.content.decode()
        cycle.refresh_from_db()
        assert cycle.state == state
    events = AuditEvent.objects.filter(action=A.CYCLE_CHANGED).order_by("id")
    assert [e.data["changes"]["state"] for e in events] == [
        ["draft", "open"],
        ["open", "closed"],
        ["closed", "open"],
    ]


def test_invalid_state_change_is_refused_with_a_message(world, login, make_cycle):
    cycle = make_cycle(state=Cycle.State.DRAFT)
    response = state_post(login(world.alice), cycle, "closed")
    assert response.status_code == 400
    assert "A draft cycle cannot become closed." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.state == "draft"
    assert A.CYCLE_CHANGED not in audit_actions(world)


def test_state_changes_ask_for_confirmation(world, login, make_cycle):
    cycle = make_cycle(state=Cycle.State.OPEN)
    html = login(world.alice).get(edit_url(cycle)).content.decode()
    assert 'data-confirm="Close “2026 Q4”?' in html
    assert 'name="state" value="closed"' in html


def test_closed_cycle_shows_read_only_notice_and_refuses_detail_changes(world, login, make_cycle):
    cycle = make_cycle(state=Cycle.State.CLOSED)
    client = login(world.alice)
    html = client.get(edit_url(cycle)).content.decode()
    assert "read-only everywhere" in html
    assert "Reopen cycle" in html
    data = {"action": "details", "name": "Changed", "opens_on": "2026-01-01"}
    response = client.post(edit_url(cycle), data)
    assert response.status_code == 400
    assert "reopen it before changing it" in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.name == "2026 Q4"


def test_open_cycle_past_its_closing_date_reads_as_closed(world, login, make_cycle, today):
    cycle = make_cycle(opens_on=today - timedelta(days=30), closes_on=today - timedelta(days=1))
    html = login(world.alice).get(edit_url(cycle)).content.decode()
    assert "read-only everywhere" in html and "Move the closing date later" in html


# --- The member's list ------------------------------------------------------------------------


def cycles_page(client):
    return client.get(reverse("cycles", args=["acme"]))


def test_member_sees_own_team_cycles_with_start_button(world, login, make_cycle):
    cycle = make_cycle()
    make_cycle("Beta only", teams=[world.beta])
    make_cycle("Draft", state=Cycle.State.DRAFT)
    response = cycles_page(login(world.max))
    html = response.content.decode()
    assert [r["cycle"].name for r in response.context["rows"]] == ["2026 Q4"]
    assert "Not started" in html and ">Start<" in html
    assert reverse("response_start", args=["acme", cycle.slug, "alpha"]) in html
    assert reverse("participation", args=["acme", cycle.slug]) not in html


@pytest.mark.parametrize(
    ("status", "label", "button"),
    [("draft", "In progress", "Continue"), ("submitted", "Submitted", "View answers")],
)
def test_member_sees_own_response_status(status, label, button, world, login, make_cycle):
    cycle = make_cycle()
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max, status=status)
    Response.objects.create(
        cycle=cycle, team=world.alpha, respondent=world.tess, status="submitted"
    )
    html = cycles_page(login(world.max)).content.decode()
    assert label in html and button in html


def test_closed_cycle_is_listed_read_only_without_start(world, login, make_cycle):
    make_cycle(state=Cycle.State.CLOSED)
    html = cycles_page(login(world.max)).content.decode()
    assert "Closed — read-only" in html
    assert ">Start<" not in html


def test_team_lead_gets_participation_link_leader_does_not(world, login, make_cycle):
    cycle = make_cycle()
    link = reverse("participation", args=["acme", cycle.slug])
    assert link in cycles_page(login(world.tess)).content.decode()
    leader_html = cycles_page(login(world.leo)).content.decode()
    assert "2026 Q4" in leader_html and link not in leader_html


def test_org_admin_sees_every_cycle_including_drafts(world, login, make_cycle):
    make_cycle()
    make_cycle("Draft", state=Cycle.State.DRAFT, teams=[])
    response = cycles_page(login(world.alice))
    assert {r["cycle"].name for r in response.context["rows"]} == {"2026 Q4", "Draft"}
    assert reverse("participation", args=["acme", "2026-q4"]) in response.content.decode()


def test_member_without_team_gets_a_clear_message(world, login, make_cycle):
    make_cycle()
    html = cycles_page(login(world.alice)).content.decode()
    assert "You are not in a team" in html
    assert ">Start<" not in html


def test_member_of_a_team_in_no_cycle_sees_empty_state(world, login, make_cycle):
    make_cycle(teams=[world.alpha])
    html = cycles_page(login(world.bob)).content.decode()
    assert "No cycle for Beta yet" in html


def test_leader_with_a_team_can_answer_for_it(world, login, make_cycle):
    Membership.objects.filter(user=world.leo).update(team=world.beta)
    cycle = make_cycle()
    html = cycles_page(login(world.leo)).content.decode()
    assert reverse("response_start", args=["acme", cycle.slug, "beta"]) in html


def test_cycles_page_query_count_does_not_grow_with_cycles(
    world, login, make_cycle, django_assert_num_queries
):
    client = login(world.max)
    make_cycle("C1")
    cycles_page(client)
    with CaptureQueriesContext(connection) as one:
        cycles_page(client)
    for n in range(2, 8):
        cycle = make_cycle(f"C{n}")
        Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max)
    with django_assert_num_queries(len(one.captured_queries)):
        response = cycles_page(client)
    assert len(response.context["rows"]) == 7


def test_nav_and_overview_link_to_cycles(world, login):
    client = login(world.max)
    html = client.get(reverse("org_home", args=["acme"])).content.decode()
    assert html.count(f'href="{reverse("cycles", args=["acme"])}"') >= 2
    admin_html = login(world.alice).get(reverse("admin_members", args=["acme"])).content.decode()
    assert f'href="{reverse("admin_cycles", args=["acme"])}"' in admin_html


def test_new_member_in_team_sees_cycle(world, login, make_cycle):
    user = make_user("nina@example.com", "Nina")
    Membership.objects.create(user=user, organization=world.acme, role=Role.MEMBER, team=world.beta)
    make_cycle()
    assert "2026 Q4" in cycles_page(login(user)).content.decode()


# --- Huge team ids (issue 17, finding 4) ------------------------------------------------------

HUGE_ID = "9" * 30  # beyond any 64-bit integer: SQLite cannot bind it at all


@pytest.mark.parametrize("form_name", ["new", "edit"])
def test_cycle_form_refuses_a_huge_team_id_before_asking_the_database(
    world, today, make_cycle, form_name
):
    from assessments.forms import CycleForm, NewCycleForm

    data = new_cycle_data(world, today, teams=[world.alpha.pk, HUGE_ID])
    if form_name == "new":
        form = NewCycleForm(data, organization=world.acme)
    else:
        form = CycleForm(data, organization=world.acme, cycle=make_cycle())
    with CaptureQueriesContext(connection) as queries:
        assert not form.is_valid()
    assert form.errors["teams"] == ["Choose the teams from the list."]
    # The number never reaches the database (which on SQLite would raise OverflowError).
    assert not any(HUGE_ID in str(q["sql"]) for q in queries.captured_queries)


@pytest.mark.parametrize("teams", [[HUGE_ID], ["-1"], ["1.5"], ["٣"], [" "]])
def test_new_and_edit_pages_answer_a_bad_team_id_with_a_clear_400(
    world, login, today, make_cycle, teams
):
    client = login(world.alice)
    data = new_cycle_data(world, today, teams=teams)
    response = client.post(reverse("admin_cycle_new", args=["acme"]), data)
    assert response.status_code == 400
    assert "Choose the teams from the list." in response.content.decode()
    cycle = make_cycle()
    response = client.post(edit_url(cycle), {**data, "action": "details"})
    assert response.status_code == 400
    assert "Choose the teams from the list." in response.content.decode()
    assert Cycle.objects.count() == 1


# --- Reserved slugs (issue 17, finding 9) --------------------------------------------------------


@pytest.mark.parametrize("name", ["New", "new", "NEW"])
def test_cycle_named_new_gets_a_slug_that_does_not_clash_with_the_new_cycle_page(
    world, login, today, name
):
    client = login(world.alice)
    response = client.post(
        reverse("admin_cycle_new", args=["acme"]), new_cycle_data(world, today, name=name)
    )
    assert response.status_code == 302
    cycle = Cycle.objects.get(name=name)
    assert cycle.slug != "new"
    assert response["Location"] == reverse("admin_cycle_edit", args=["acme", cycle.slug])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["cycle"] == cycle
    # The new-cycle page is still the new-cycle page.
    assert (
        "Questionnaire version"
        in client.get(reverse("admin_cycle_new", args=["acme"])).content.decode()
    )


# --- Overlapping open cycles (issue 14, org admin) ----------------------------------------------


def test_opening_a_cycle_that_overlaps_an_open_one_warns_and_waits(world, login, make_cycle):
    make_cycle("2026 Q4", state=Cycle.State.OPEN)
    draft = make_cycle("2026 Q4 retry", state=Cycle.State.DRAFT)
    client = login(world.alice)
    response = state_post(client, draft, "open")
    assert response.status_code == 409
    html = response.content.decode()
    assert "overlaps" in html and "2026 Q4" in html
    assert 'name="confirm_overlap"' in html and "Open anyway" in html
    draft.refresh_from_db()
    assert draft.state == Cycle.State.DRAFT
    assert A.CYCLE_CHANGED not in audit_actions(world)


def test_opening_anyway_after_the_warning_opens_the_cycle(world, login, make_cycle):
    make_cycle("2026 Q4", state=Cycle.State.OPEN)
    draft = make_cycle("2026 Q4 retry", state=Cycle.State.DRAFT)
    client = login(world.alice)
    response = client.post(
        edit_url(draft), {"action": "state", "state": "open", "confirm_overlap": "1"}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Cycle.State.OPEN


def test_opening_a_cycle_that_overlaps_nothing_open_needs_no_extra_step(
    world, login, make_cycle, today
):
    make_cycle(
        "2026 Q3",
        state=Cycle.State.OPEN,
        opens_on=today - timedelta(days=60),
        closes_on=today - timedelta(days=4),
    )
    make_cycle("2026 Q4 draft", state=Cycle.State.DRAFT)  # drafts do not count
    make_cycle("2026 Q2", state=Cycle.State.CLOSED)  # nor closed ones
    make_cycle("Other org", state=Cycle.State.OPEN, org=world.other)
    draft = make_cycle("2026 Q4", state=Cycle.State.DRAFT)
    response = state_post(login(world.alice), draft, "open")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.state == Cycle.State.OPEN


def test_reopening_a_closed_cycle_that_overlaps_an_open_one_warns_too(world, login, make_cycle):
    make_cycle("2026 Q4", state=Cycle.State.OPEN)
    closed = make_cycle("2026 Q3", state=Cycle.State.CLOSED)
    response = state_post(login(world.alice), closed, "open")
    assert response.status_code == 409
    closed.refresh_from_db()
    assert closed.state == Cycle.State.CLOSED
