"""A respondent on a phone (375 px), from the invitation email to a submitted questionnaire:
time and deadline up front, progress in view, a failed submit that leads to the question."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.core import mail

from assessments.models import Response
from orgs import services
from orgs.models import Role
from tests.browser.conftest import answer_visible_items

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 740}
SHOTS = Path(os.environ.get("RECOUPLE_SHOTS", "var/screenshots"))


def test_phone_from_invitation_email_to_submitted_without_a_dead_end(
    world, cycle, browser, live_server
):
    services.invite(
        world.alice,
        world.acme,
        "pia@example.com",
        Role.MEMBER,
        world.alpha,
        lambda token: f"{live_server.url}/invite/{token}/",
    )
    body = mail.outbox[-1].body
    link = re.search(r"https?://\S+/invite/\S+/", body).group(0)
    # The email already says how long it takes and until when, before the link.
    up_front = f"{cycle.name} is open until {cycle.closes_on:%-d %B %Y}. The questionnaire takes"
    assert up_front in body.split(link)[0] and "minutes (66 questions)" in body
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(link)
    assert "minutes (66 questions)" in page.locator("main").inner_text()
    page.screenshot(path=str(SHOTS / "phone-invitation-375.png"), full_page=True)
    page.fill("input[name=name]", "Pia Phone")
    page.fill("input[name=password1]", "a-long-new-password-42")
    page.fill("input[name=password2]", "a-long-new-password-42")
    page.get_by_role("button", name="Create account and join").click()
    page.wait_for_load_state("networkidle")

    # The organisation home says where she is and when the cycle closes.
    card = page.locator(".rc-home-card", has_text="Your questionnaire")
    assert f"0 of 66 answered, closes {cycle.closes_on:%-d %b}" in card.inner_text()
    card.get_by_role("link", name=re.compile("Start")).click()
    page.wait_for_load_state("networkidle")

    # The first screen: time, deadline, who sees what, the quoting rule.
    facts = page.locator(".rc-intro-facts").inner_text()
    assert "About 20–30 minutes for 66 questions" in facts
    assert f"Open until {cycle.closes_on:%-d %B %Y}" in facts
    assert "may be quoted word for word, without your name" in facts
    page.get_by_role("link", name="Start", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "About you and your product"

    # Answer every section but leave the first question of the second one unanswered.
    skipped = None
    for _ in range(12):
        if skipped is None and "/s/clarity/" in page.url:
            skipped = page.locator("fieldset[data-item]:visible").first.get_attribute("data-item")
        answer_visible_items(page, skip=frozenset({skipped} if skipped else ()))
        # The progress bar stays in view however far down the page she is.
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(100)
        top = page.locator("[data-sticky-progress]").bounding_box()["y"]
        assert -1 <= top <= 5, top
        page.locator(".rc-q-nav button.btn-primary").click()
        page.wait_for_load_state("networkidle")
        if "/review/" in page.url:
            break
    assert skipped and "/review/" in page.url

    # Submitting with a question left: the error links to it, and the link lands on it.
    page.get_by_role("button", name="Submit my response").last.click()
    page.wait_for_load_state("networkidle")
    missing = page.locator(".rc-missing-list a")
    assert missing.count() == 1
    missing.first.click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith(f"#item-{skipped}")
    focused = page.evaluate("document.activeElement.closest('fieldset')?.dataset.item")
    assert focused == skipped
    box = page.locator(f"#item-{skipped}").bounding_box()
    assert 0 < box["y"] < PHONE["height"]
    page.locator(f"#item-{skipped} input[type=radio]").nth(3).check()
    page.wait_for_selector(f"#status-{skipped}.is-saved")

    # The section list ticks the sections that are done, then she submits.
    page.locator(".rc-section-menu summary").click()
    assert page.locator(".rc-section-menu .rc-tick").count() >= 2
    page.locator(".rc-section-menu").get_by_role("link", name="Review and submit").click()
    page.wait_for_load_state("networkidle")
    assert "Everything required is answered" in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Submit my response").first.click()
    page.wait_for_load_state("networkidle")
    assert "Sent on" in page.content() and "Ask to reopen" in page.content()
    assert Response.objects.get(respondent__email="pia@example.com").is_locked()
    # No horizontal scrolling on the way.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not errors, errors
    context.close()
