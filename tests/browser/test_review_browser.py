"""The review queue in real Chromium: agree in one click, bulk confirm, keyboard only, and
how it looks on a phone and a desktop."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assessments.demo import GUARDRAILS
from assessments.models import Answer, ClassifiedAction
from tests.builders import PASSWORD, add_people, release, submit

pytestmark = pytest.mark.browser

TEXTS = [
    "Talked to a few people about it.",
    "Made sure things were handled properly.",
    "Looked into the bias question with the designer.",
]
SHOTS = Path(os.environ.get("RECOUPLE_SHOTS", "var/screenshots"))


@pytest.fixture
def queued(world, cycle):
    """Alpha with k submitted respondents and three actions waiting for review."""
    people = [world.max, *add_people(world.acme, world.alpha, world.acme.anonymity_threshold - 1)]
    responses = [submit(cycle, world.alpha, user, GUARDRAILS) for user in people]
    ClassifiedAction.objects.filter(cycle=cycle).delete()
    actions = []
    for response, text, kind in zip(
        responses, TEXTS, ["individual", "none", "individual"], strict=True
    ):
        Answer.objects.update_or_create(
            response=response, item_key="act_individual", defaults={"value": text}
        )
        actions.append(
            ClassifiedAction.objects.create(
                response=response,
                cycle=cycle,
                team=world.alpha,
                item_key="act_individual",
                text=text,
                kind=kind,
                confidence=0.55,
                needs_review=True,
                cues=["individual:team_scope"],
            )
        )
    release(cycle)  # the queue shows only what a release includes
    return actions


def test_agree_in_one_click_and_bulk_confirm_with_a_confirm_step(
    queued, page, live_server, sign_in
):
    sign_in("tess@example.com", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/reviews/")
    assert not page.locator("input[type=radio]:checked").count()
    page.get_by_role("button", name=f"Agree: not an action for “{TEXTS[1]}”").click()
    page.wait_for_load_state("networkidle")
    assert "Saved: you agreed with the suggestion: not an action." in page.content()
    page.get_by_label(f"Select “{TEXTS[0]}”").check()
    page.get_by_label(f"Select “{TEXTS[2]}”").check()
    page.get_by_role("button", name="Agree with the suggestion for the selected actions…").click()
    page.wait_for_load_state("networkidle")
    assert "Agree with the suggestion for 2 actions?" in page.content()
    assert not ClassifiedAction.objects.filter(reviewed_at__isnull=False).exclude(kind="none")
    page.get_by_role("button", name="Agree with 2 suggestions").click()
    page.wait_for_load_state("networkidle")
    assert "Agreed with the suggestion for 2 action(s)." in page.content()
    assert "Nothing is waiting for review" in page.content()
    for action in queued:
        action.refresh_from_db()
        assert action.final_kind() == action.kind and action.reviewed_by.email == "tess@example.com"
    assert not page.js_errors, page.js_errors


def test_the_queue_works_from_the_keyboard_alone(queued, page, live_server, sign_in):
    sign_in("tess@example.com", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/reviews/")
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(
            page.evaluate(
                "() => { const e = document.activeElement;"
                " return (e.id || e.getAttribute('aria-label') || e.innerText || e.name || '')"
                ".trim(); }"
            )
        )
    joined = "\n".join(reached)
    unique = set(reached)
    assert "cycle-filter" in reached
    assert all(f"select-{action.public_id}" in reached for action in queued)
    assert "Agree with the suggestion for the selected actions…" in joined
    assert len({r for r in unique if r.startswith("Agree: ")}) == 3
    assert len({r for r in unique if r.startswith("Decide differently")}) == 3
    # Tick one action and confirm it with Space and Enter only.
    page.focus(f"#select-{queued[0].public_id}")
    page.keyboard.press("Space")
    page.focus("#bulk button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.get_by_role("button", name="Agree with 1 suggestion").focus()
    with page.expect_navigation():  # Enter submits; wait for the save, not just the idle page
        page.keyboard.press("Enter")
    queued[0].refresh_from_db()
    assert queued[0].is_reviewed()


@pytest.mark.parametrize("width", [375, 1440])
def test_screenshots_of_the_queue_and_an_action(queued, page, live_server, sign_in, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("tess@example.com", PASSWORD)
    page.goto(f"{live_server.url}/o/acme/reviews/")
    page.screenshot(path=str(SHOTS / f"review-queue-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the queue scrolls sideways at {width}px"
    page.get_by_label(f"Select “{TEXTS[0]}”").check()
    page.get_by_label(f"Select “{TEXTS[2]}”").check()
    page.get_by_role("button", name="Agree with the suggestion for the selected actions…").click()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(SHOTS / f"review-confirm-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    page.goto(f"{live_server.url}/o/acme/reviews/{queued[0].public_id}/")
    page.screenshot(path=str(SHOTS / f"review-action-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
