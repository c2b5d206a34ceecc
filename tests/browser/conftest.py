"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live server."""

from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop; the ORM work in these tests happens outside it.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("RECOUPLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    yield page
    context.close()


def sign_in_page(page, base_url: str, email: str, password: str) -> None:
    """Sign in with a password: the email step (no identity provider for the address), then
    the password step."""
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.click("button[type=submit]")
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def sign_in(page, live_server):
    def _sign_in(email: str, password: str) -> None:
        sign_in_page(page, live_server.url, email, password)

    return _sign_in


def answer_visible_items(page, skip: frozenset[str] = frozenset()) -> int:
    """Pick an answer for every visible question on the page but those in `skip`; returns
    how many."""
    count = 0
    for fs in page.locator("fieldset[data-item]:visible").all():
        if fs.get_attribute("data-widget") == "textarea" or fs.get_attribute("data-item") in skip:
            continue  # written answers are optional; their box is "May be quoted", not an answer
        radios = fs.locator("input[type=radio]")
        boxes = fs.locator("input[type=checkbox]")
        if radios.count():
            radios.nth(min(3, radios.count() - 1)).check()
        elif boxes.count():
            boxes.first.check()
        else:
            continue
        key = fs.get_attribute("data-item")
        page.wait_for_selector(f"#status-{key}.is-saved")
        count += 1
    return count
