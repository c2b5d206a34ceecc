"""A leader's quarter in real Chromium, on a phone and a desktop: from a leadership
recommendation to a recorded decision, seen on the dashboard and by the team it concerns."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assessments.demo import DECOUPLED, GUARDRAILS
from orgs.models import AuditEvent
from reports.models import ActionPlan
from tests.browser.conftest import sign_in_page
from tests.builders import PASSWORD, add_people, release, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(os.environ.get("RECOUPLE_SHOTS", "var/screenshots"))


@pytest.fixture
def released(world, cycle):
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    for user in [world.bob, *add_people(world.acme, world.beta, 3)]:
        submit(cycle, world.beta, user, DECOUPLED)
    release(cycle)
    return cycle


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.mark.parametrize("width", [375, 1440])
def test_leader_records_a_decision_from_a_recommendation_and_the_team_sees_it(
    world, released, browser, live_server, width
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in_page(page, live_server.url, world.leo.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/dashboard/")
    # The live participation counts arrive after the released results, in place.
    participation = page.locator("#participation table")
    participation.wait_for()
    assert "Alpha" in participation.inner_text() and "Loading" not in page.content()
    # Ranked actions say what they count, not what acting would achieve.
    first = page.locator("section[aria-labelledby=actions-h] article").first
    assert "teams report this" in first.inner_text()
    assert "unblocks" not in page.content().lower()
    title = first.locator("h3").inner_text()
    first.get_by_role("link", name="Record a decision").click()
    page.wait_for_load_state("networkidle")
    assert title in page.content()
    page.screenshot(path=str(SHOTS / f"plan-form-{width}.png"), full_page=True)
    assert no_sideways_scroll(page)

    page.fill("input[name=title]", "Fund a review slot in every sprint")
    page.select_option("select[name=owner]", label=f"{world.leo.display_name} (Leader)")
    page.fill("input[name=due_on]", (timezone.localdate() + timedelta(days=45)).isoformat())
    page.fill("textarea[name=change]", "Each team gets two hours a sprint for a review.")
    page.get_by_label("Alpha").check()
    page.get_by_role("button", name="Record the decision").click()
    page.wait_for_load_state("networkidle")
    plan = ActionPlan.objects.get()
    assert world.alpha in plan.teams.all() and plan.owner.user == world.leo
    created = AuditEvent.Action.PLAN_CREATED
    assert AuditEvent.objects.filter(organization=world.acme, action=created).exists()
    page.screenshot(path=str(SHOTS / f"plan-detail-{width}.png"), full_page=True)
    assert no_sideways_scroll(page)

    # The dashboard lists it among the open actions; Alpha's team lead sees it too.
    page.goto(f"{live_server.url}/o/acme/dashboard/")
    open_actions = page.locator("section[aria-labelledby=plans-h]").inner_text()
    assert "Fund a review slot in every sprint" in open_actions
    lead = browser.new_context(viewport={"width": width, "height": 900}).new_page()
    sign_in_page(lead, live_server.url, world.tess.email, PASSWORD)
    lead.goto(f"{live_server.url}/o/acme/teams/alpha/dashboard/")
    assert "Fund a review slot in every sprint" in lead.content()
    lead.screenshot(path=str(SHOTS / f"plan-team-{width}.png"), full_page=True)
    assert no_sideways_scroll(lead)
    assert not errors, errors
    context.close()
