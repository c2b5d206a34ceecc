"""Autosave through a network outage in real Chromium."""

from __future__ import annotations

import pytest


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_autosave_shows_failure_during_an_outage_and_saves_once_back(
    world, cycle, page, live_server, sign_in
):
    from assessments.models import Answer
    from tests.builders import PASSWORD

    sign_in(world.max.email, PASSWORD)
    page.goto(f"{live_server.url}/o/acme/cycles/{cycle.slug}/teams/alpha/response/s/about/")
    # The server goes away: every autosave fails at the network level.
    page.route("**/response/answer/", lambda route: route.abort("connectionrefused"))
    page.locator("#item-ctx_role input[value=engineering]").check()
    page.wait_for_selector("#status-ctx_role.is-failed")
    assert "kept here" in page.locator("#status-ctx_role").inner_text()
    assert not Answer.objects.filter(item_key="ctx_role").exists()
    # It comes back: the kept answer is retried without the user doing anything.
    page.unroute("**/response/answer/")
    page.wait_for_selector("#status-ctx_role.is-saved", timeout=40_000)
    assert Answer.objects.get(item_key="ctx_role").value == "engineering"
