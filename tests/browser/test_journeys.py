"""Whole journeys in real Chromium: invitation to PDF, leadership's quarter, the review queue."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from assessments.demo import GUARDRAILS, RECOUPLED
from assessments.models import Answer, ClassifiedAction
from orgs.models import Membership
from reports.models import Report
from tests.browser.conftest import answer_visible_items, sign_in_page
from tests.builders import PASSWORD, add_people, release, submit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def answer_everything(page) -> None:
    """Walk the questionnaire with its own Next buttons, answering every visible question."""
    for _ in range(12):
        answer_visible_items(page)
        page.locator(".rc-q-nav button.btn-primary").click()
        page.wait_for_load_state("networkidle")
        if "/review/" in page.url:
            return
    raise AssertionError("never reached the review page")


def test_invite_answer_and_team_pdf(world, cycle, browser, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    for user in add_people(world.acme, world.alpha, 2):
        submit(cycle, world.alpha, user, GUARDRAILS)
    admin = browser.new_context().new_page()
    sign_in_page(admin, live_server.url, world.alice.email, PASSWORD)
    admin.goto(f"{live_server.url}/o/acme/admin/invitations/")
    admin.fill("input[name=email]", "newbie@example.com")
    admin.select_option("select[name=role]", "member")
    admin.select_option("select[name=team]", label="Alpha")
    admin.get_by_role("button", name="Send invitation").click()
    admin.wait_for_load_state("networkidle")
    assert "Invitation sent to newbie@example.com" in admin.content()
    link = re.search(r"https?://\S+/invite/\S+/", mail.outbox[-1].body).group(0)

    member = browser.new_context().new_page()
    member.goto(link)
    member.fill("input[name=name]", "Nia Newbie")
    member.fill("input[name=password1]", "a-long-new-password-42")
    member.fill("input[name=password2]", "a-long-new-password-42")
    member.get_by_role("button", name="Create account and join").click()
    member.wait_for_load_state("networkidle")
    assert "Welcome to Acme" in member.content()
    assert Membership.objects.get(user__email="newbie@example.com").team == world.alpha
    member.goto(f"{live_server.url}/o/acme/cycles/")
    member.get_by_role("link", name=re.compile("Start")).first.click()
    member.wait_for_load_state("networkidle")
    member.get_by_role("link", name="Start", exact=True).click()  # the first screen
    member.wait_for_load_state("networkidle")
    answer_everything(member)
    member.once("dialog", lambda d: d.accept())
    member.get_by_role("button", name="Submit my response").first.click()
    member.wait_for_load_state("networkidle")
    assert "Sent on" in member.content()
    release(cycle)  # what the periodic task does a minute later

    lead = browser.new_context(accept_downloads=True).new_page()
    sign_in_page(lead, live_server.url, world.tess.email, PASSWORD)
    lead.goto(f"{live_server.url}/o/acme/teams/alpha/dashboard/")
    lead.wait_for_selector("figure[data-chart-ready]")
    assert "n = 3" in lead.content()
    lead.get_by_role("button", name="Create PDF report").click()
    lead.wait_for_selector("text=Download PDF", timeout=60_000)
    with lead.expect_download() as download:
        lead.get_by_role("link", name="Download PDF").click()
    assert download.value.path().read_bytes()[:5] == b"%PDF-"
    assert Report.objects.get().status == Report.Status.READY


def test_leader_filters_exports_and_gets_the_leadership_pdf(
    world, cycle, browser, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    for team, climate in ((world.alpha, GUARDRAILS), (world.beta, RECOUPLED)):
        for i, user in enumerate(add_people(world.acme, team, 6)):
            submit(
                cycle, team, user, climate, role="product_management" if i % 2 else "engineering"
            )
    release(cycle)
    page = browser.new_context(accept_downloads=True).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # The strict CSP must not block anything the charts need (e.g. plotly's style block).
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in_page(page, live_server.url, world.leo.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/dashboard/")
    page.wait_for_selector("figure[data-chart-ready]")
    assert page.evaluate("typeof Plotly") == "object"
    plotly_src = page.locator("script[src*=plotly]").get_attribute("src")
    assert plotly_src.startswith("/static/vendor/plotly/")

    page.select_option("#f-filter", "role:engineering")  # one filter at a time, on change
    page.wait_for_url(re.compile(r"filter=role%3Aengineering"))
    page.wait_for_selector("figure[data-chart-ready]")
    assert page.locator(".js-plotly-plot").count() >= 3

    heatmap = page.locator("#chart-org-heatmap")
    heatmap.get_by_role("button", name="Show as table").click()
    assert heatmap.locator("table").is_visible()
    assert not heatmap.locator(".rc-chart-plot").is_visible()

    with page.expect_download() as download:
        page.locator("a[href*='table=teams']").first.click()
    csv_text = download.value.path().read_text(encoding="utf-8")
    assert csv_text.startswith("team,n,profile") and "Alpha" in csv_text

    page.get_by_role("button", name="Create PDF report").click()
    page.wait_for_selector("text=Download PDF", timeout=90_000)
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Download PDF").click()
    assert pdf.value.path().read_bytes()[:5] == b"%PDF-"
    assert not errors, errors


def test_team_lead_overrides_a_classification_in_the_review_queue(
    world, cycle, page, live_server, sign_in
):
    response = submit(cycle, world.alpha, world.max, GUARDRAILS)
    # The queue shows a team's actions once k of its people have submitted.
    for user in add_people(world.acme, world.alpha, world.acme.anonymity_threshold - 1):
        submit(cycle, world.alpha, user, GUARDRAILS)
    # The generated answers may queue vague actions of their own (they depend on the user's
    # id): clear them so the queue holds exactly the one this journey reviews.
    ClassifiedAction.objects.filter(cycle=cycle).delete()
    action = ClassifiedAction.objects.create(
        response=response,
        cycle=cycle,
        team=world.alpha,
        item_key="act_individual",
        text="Made sure things were handled properly.",
        kind="individual",
        confidence=0.6,
        needs_review=True,
    )
    Answer.objects.update_or_create(
        response=response, item_key="act_individual", defaults={"value": action.text}
    )
    release(cycle)  # the queue shows only what a release includes
    sign_in(world.tess.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/reviews/")
    assert "Made sure things were handled properly." in page.content()
    page.get_by_role("link", name=re.compile("^Decide differently for .Made sure things")).click()
    page.check("#kind-collective")
    page.fill("#reason", "It needed the support org to change its process")
    page.get_by_role("button", name="Save decision").click()
    page.wait_for_load_state("networkidle")
    assert "Saved: you changed to collective." in page.content()
    action.refresh_from_db()
    assert action.final_kind() == "collective" and action.was_overridden()
    assert "Nothing is waiting for review" in page.content()
