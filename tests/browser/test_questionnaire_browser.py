"""A member answers, reloads, finishes and submits in real Chromium."""

from __future__ import annotations

import pytest

from assessments.models import Answer, Response
from tests.browser.conftest import answer_visible_items
from tests.builders import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_member_answers_reloads_finishes_and_submits(world, cycle, page, live_server, sign_in):
    sign_in(world.max.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/cycles/{cycle.slug}/teams/alpha/response/")
    assert page.locator("h1").inner_text() == "Before you start"
    page.get_by_role("link", name="Start", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "About you and your product"

    answered = answer_visible_items(page)
    assert answered >= 4
    page.reload()
    checked = page.locator("fieldset[data-item] input:checked").count()
    assert checked >= answered
    assert Answer.objects.filter(response__respondent=world.max).count() >= answered

    # Go through every section with the page's own "Next" button, answering as we go.
    for _ in range(10):
        page.locator(".rc-q-nav button.btn-primary").click()
        page.wait_for_load_state("networkidle")
        if "/review/" in page.url:
            break
        answer_visible_items(page)
    assert "/review/" in page.url
    assert "Everything required is answered" in page.content()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit my response").first.click()
    page.wait_for_load_state("networkidle")
    assert "Sent on" in page.content()
    assert Response.objects.get(respondent=world.max).is_locked()
    assert not page.js_errors, page.js_errors
