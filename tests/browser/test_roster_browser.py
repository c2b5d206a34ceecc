"""An org admin imports a roster in real Chromium; a real Celery worker applies it and the
page follows the apply by itself (htmx polling) until the summary shows."""

from __future__ import annotations

import pytest

from orgs.models import Membership, RosterUpload
from tests.browser.conftest import sign_in_page
from tests.conftest import PASSWORD
from tests.integration import conftest as integration

# The real Redis broker and worker of the integration tests, as fixtures of this module.
redis_broker = integration.redis_broker
start_worker = integration.start_worker

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_apply_progress_updates_itself_until_the_summary(
    world,
    page,
    live_server,
    start_worker,
    tmp_path,
):
    lines = ["email,name,team,role", "alice@example.com,Alice,,org admin"]
    lines += [f"p{i}@example.com,Person {i},Gamma,member" for i in range(30)]
    lines += ["broken@example.com,Broken,Gamma,chief"]
    path = tmp_path / "people.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    path.write_text("\n".join(lines[:-1]) + "\n")
    sign_in_page(page, live_server.url, world.alice.email, PASSWORD)

    page.goto(f"{live_server.url}/o/acme/admin/roster/")
    page.set_input_files("input[type=file]", str(bad))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    assert "Unknown role “chief”" in page.content()
    assert page.get_by_role("button", name="Apply roster").count() == 0

    page.goto(f"{live_server.url}/o/acme/admin/roster/")
    page.set_input_files("input[type=file]", str(path))
    page.get_by_role("button", name="Preview").click()
    page.wait_for_load_state("networkidle")
    page.check("input[name=confirm]")
    page.get_by_role("button", name="Apply roster").click()
    page.wait_for_load_state("networkidle")
    # No worker yet: the request queued the apply and changed nothing.
    assert "Waiting for a worker" in page.locator("#roster-status").inner_text()
    assert not Membership.objects.filter(user__email="p0@example.com").exists()
    url = page.url

    start_worker()
    page.wait_for_selector("text=The roster is in place", timeout=90_000)
    assert page.url == url  # the same page, updated by its own polling
    summary = " ".join(page.locator("#roster-status").inner_text().split())
    assert "ADDED 30" in summary.upper() and "TEAMS CREATED 1" in summary.upper()
    assert RosterUpload.objects.get(filename="people.csv").status == RosterUpload.Status.APPLIED
    assert Membership.objects.filter(organization=world.acme, team__name="Gamma").count() == 30
    assert page.js_errors == []
