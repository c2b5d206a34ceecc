"""The leader's journey on the organisation dashboard and in the leadership PDF: what the
ranked actions count, that the PDF says it is unfiltered, and the trend between cycles."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.demo import DECOUPLED, GUARDRAILS, RECOUPLED
from assessments.models import Cycle
from assessments.services import publish_instrument
from orgs.models import Membership
from reports import pdf, selectors
from tests.builders import add_people, release, submit

DASHBOARD = reverse("org_dashboard", args=["acme"])


@pytest.fixture
def two_cycles(world):
    """Acme's Q1 (decoupled answers) and Q3 (recoupled), both released, 4 people a team."""
    today = timezone.localdate()
    instrument = publish_instrument("1")
    cycles = []
    for name, start in (("2026 Q1", 200), ("2026 Q3", 10)):
        cycle = Cycle.objects.create(
            organization=world.acme,
            name=name,
            slug=name.lower().replace(" ", "-"),
            instrument=instrument,
            opens_on=today - timedelta(days=start),
            closes_on=today - timedelta(days=start) + timedelta(days=30),
            state=Cycle.State.OPEN,
        )
        cycle.teams.set([world.alpha, world.beta])
        cycles.append(cycle)
    people = add_people(world.acme, world.alpha, 4) + add_people(world.acme, world.beta, 4)
    for climate, cycle in ((DECOUPLED, cycles[0]), (RECOUPLED, cycles[1])):
        for user in people:
            submit(cycle, Membership.objects.get(user=user).team, user, climate)
        release(cycle)
    return cycles


@pytest.fixture
def results(world, cycle):
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS, role="engineering")
    for user in [world.bob, *add_people(world.acme, world.beta, 3)]:
        submit(cycle, world.beta, user, DECOUPLED, role="design")
    release(cycle)
    return cycle


def test_leadership_actions_say_what_they_count_most_teams_first(world, results, login):
    page = login(world.leo).get(DASHBOARD)
    html = page.content.decode()
    actions = page.context["view"]["actions"]
    assert actions
    counts = [a["teams_reporting"] for a in actions]
    assert counts == sorted(counts, reverse=True)
    for a in actions[:8]:
        assert f"{a['teams_reporting']} of 2 teams report this" in html
    assert "unblocks" not in html.lower()
    assert "ranked by how many teams report the gap" in html


def test_the_pdf_button_and_cover_say_unfiltered_under_a_filter(world, results, login):
    page = login(world.leo).get(DASHBOARD + "?filter=role:engineering").content.decode()
    assert "Create PDF report (all responses, unfiltered)" in page
    html = pdf.render_html(world.acme, results, None)
    assert "all responses, unfiltered" in html


def test_dashboard_and_pdf_show_the_organisation_trend_from_released_cycles(
    world, two_cycles, login
):
    earlier, later = two_cycles
    _, q1 = selectors.release_page(earlier, "org")
    _, q3 = selectors.release_page(later, "org")
    q1_mean = q1["overall"]["aggregate"]["constructs"]["leadership"]["mean"]
    q3_mean = q3["overall"]["aggregate"]["constructs"]["leadership"]["mean"]
    change = round(q3_mean - q1_mean)
    assert change > 0  # recoupled answers after decoupled ones
    page = login(world.leo).get(DASHBOARD + f"?cycle={later.slug}").content.decode()
    assert "Organisation means from 2026 Q1 to 2026 Q3, released results only" in page
    rise = rf"Leadership commitment</span><strong class=\"text-success\">\+{change}"
    assert re.search(rise, page)
    html = pdf.render_html(world.acme, later, None)
    assert "<h2>Over time</h2>" in html and "Change since 2026 Q1" in html
    assert f"+{change} (better)" in html
    first = login(world.leo).get(DASHBOARD + f"?cycle={earlier.slug}").content.decode()
    assert "A trend appears after a second cycle with released results." in first


def test_anything_else_for_leadership_reaches_the_org_dashboard_and_pdf_only_if_quotable(
    world, cycle, login
):
    allowed, private = "Nobody watches the chatbot at night.", "my-private-remark-for-no-one"
    people = [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]
    for i, user in enumerate(people):
        text = allowed if i == 0 else private if i == 1 else ""
        extra = {"txt_anything_else": text} if text else {}
        quotable = frozenset({"txt_anything_else"}) if i == 0 else frozenset()
        submit(cycle, world.alpha, user, GUARDRAILS, extra=extra, quotable=quotable)
    release(cycle)
    page = login(world.leo).get(DASHBOARD).content.decode()
    question = "would like your team or leadership to know?"
    assert question in page and f"“{allowed}”" in page
    html = pdf.render_html(world.acme, cycle, None)
    assert allowed in html
    assert private not in page and private not in html
