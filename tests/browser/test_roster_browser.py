"""An org admin imports a roster in real Chromium; a real Celery worker applies it and the
page follows the apply by itself (htmx polling) until the summary shows."""

from __future__ import annotations

import pytest

from orgs.models import Membership, RosterUpload
from tests.browser.axe import serious
from tests.browser.conftest import sign_in_page
from tests.builders import PASSWORD
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


@pytest.mark.parametrize("width", [375, 1280])
def test_roster_pages_have_no_serious_accessibility_violations(
    world, page, live_server, sign_in, width
):
    rows = "email,name,team,role\nalice@example.com,Alice,,org admin\n"
    bad = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="bad.csv",
        content=(rows + "x@example.com,X,Alpha,chief\nmax@example.com,Max,Beta,member\n").encode(),
    )
    good = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="good.csv",
        content=(rows + "max@example.com,Max,Beta,member\nn@example.com,N,Gamma,member\n").encode(),
    )
    summary = {"created": 1, "updated": 1, "moved": 1, "deactivated": 0, "unchanged": 1}
    applied = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="done.csv",
        content=b"",
        status=RosterUpload.Status.APPLIED,
        result={**summary, "teams_created": 1, "team_names": ["Gamma"], "seconds": 0.2},
    )
    waiting = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="waiting.csv",
        content=b"email,name,team,role\n",
        status=RosterUpload.Status.QUEUED,
        planned={**summary, "teams_created": 0},
    )
    failed = RosterUpload.objects.create(
        organization=world.acme,
        uploaded_by=world.alice,
        filename="failed.csv",
        content=b"email,name,team,role\n",
        status=RosterUpload.Status.FAILED,
        error="The organisation changed since this preview.",
    )
    base = f"{live_server.url}/o/acme/admin/roster/"
    paths = [
        "",
        f"{bad.pk}/",
        f"{good.pk}/?list=created",
        f"{good.pk}/?list=moved",
        f"{applied.pk}/progress/",
        f"{waiting.pk}/progress/",
        f"{failed.pk}/progress/",
    ]
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(world.alice.email, PASSWORD)
    found = {}
    for path in paths:
        page.goto(base + path)
        page.wait_for_load_state("domcontentloaded")
        assert "Page not found" not in page.content(), path
        if problems := serious(page):
            found[path] = problems
    assert not found, "\n".join(f"{p}: {v}" for p, v in found.items())
