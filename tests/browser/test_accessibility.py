"""axe-core over every main page: no serious or critical violations."""

from __future__ import annotations

import pytest

from reports.models import Report
from tests.browser.axe import serious
from tests.builders import PASSWORD, add_people, release, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(world, cycle):
    from assessments.demo import GUARDRAILS

    for user in [world.tess, world.bob, *add_people(world.acme, world.alpha, 3)]:
        submit(cycle, world.beta if user == world.bob else world.alpha, user, GUARDRAILS)
    release(cycle)
    Report.objects.create(
        organization=world.acme, cycle=cycle, team=world.alpha, kind="team", requested_by=world.tess
    )
    return cycle


PAGES = {
    "max@example.com": [
        "/o/acme/",
        "/o/acme/cycles/",
        "/o/acme/cycles/2026-q4/teams/alpha/response/intro/",
        "/o/acme/cycles/2026-q4/teams/alpha/response/s/about/",
        "/o/acme/cycles/2026-q4/teams/alpha/response/s/your_practice/",
        "/o/acme/cycles/2026-q4/teams/alpha/response/review/",
        "/o/acme/teams/alpha/dashboard/",
        "/o/acme/reports/",
    ],
    "alice@example.com": [
        "/o/acme/dashboard/",
        "/o/acme/admin/members/",
        "/o/acme/admin/invitations/",
        "/o/acme/admin/teams/",
        "/o/acme/admin/settings/",
        "/o/acme/admin/sso/",
        "/o/acme/admin/audit/",
        "/o/acme/admin/cycles/",
        "/o/acme/admin/cycles/new/",
        "/o/acme/cycles/2026-q4/participation/",
        "/o/acme/cycles/2026-q4/reopen-requests/",
        "/o/acme/reviews/",
    ],
}


def test_sign_in_page_has_no_serious_violations(page, live_server):
    page.goto(f"{live_server.url}/accounts/login/")
    assert serious(page) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_main_pages_have_no_serious_violations(site, page, live_server, sign_in, width):
    page.set_viewport_size({"width": width, "height": 900})
    found: dict[str, list[str]] = {}
    for email, paths in PAGES.items():
        page.context.clear_cookies()
        sign_in(email, PASSWORD)
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("networkidle")
            assert "Page not found" not in page.content(), path
            problems = serious(page)
            if problems:
                found[path] = problems
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())


def test_questionnaire_can_be_completed_with_the_keyboard_alone(
    world, cycle, page, live_server, sign_in
):
    sign_in(world.max.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/cycles/{cycle.slug}/teams/alpha/response/s/clarity/")
    first = page.locator("fieldset[data-item] input[type=radio]").first
    first.focus()
    page.keyboard.press("Space")  # choose the focused option
    key = page.locator("fieldset[data-item]").first.get_attribute("data-item")
    page.wait_for_selector(f"#status-{key}.is-saved")
    page.keyboard.press("ArrowRight")  # radios move and select with arrow keys
    page.wait_for_selector(f"#status-{key}.is-saved")
    checked = page.locator(f"#item-{key} input:checked").get_attribute("value")
    assert checked == "disagree"
    # Tab reaches the next question's options and the navigation buttons.
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.rc-q-nav button.btn-primary')"):
            break
    else:
        pytest.fail("the Next button is not reachable with Tab")
    with page.expect_navigation(url="**/s/ownership/"):
        page.keyboard.press("Enter")
    assert page.url.endswith("/s/ownership/")
