"""Pages with personal or organisation results are never kept by shared caches, and exports
neutralise formula-looking text (the teams CSV is a command-line contract)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from assessments.demo import GUARDRAILS
from reports.models import Report
from tests.builders import add_people, release, submit

NO_STORE = "no-store, private"
FORMULA = '=HYPERLINK("http://attacker.example","x")'


@pytest.fixture
def alpha_results(world, cycle):
    """Alpha answered above the threshold (4 of k=3)."""
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    release(cycle)
    return cycle


@pytest.fixture
def ready_report(world, cycle, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    report = Report.objects.create(
        organization=world.acme,
        cycle=cycle,
        team=world.alpha,
        kind=Report.Kind.TEAM,
        requested_by=world.max,
        status=Report.Status.READY,
    )
    report.file.save("alpha.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    return report


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("org_dashboard", ["acme"]),
        ("team_dashboard", ["acme", "alpha"]),
        ("org_home", ["acme"]),
        ("cycles", ["acme"]),
        ("admin_members", ["acme"]),
    ],
)
def test_signed_in_pages_are_not_stored_by_caches(world, cycle, login, name, args):
    response = login(world.alice).get(reverse(name, args=args))
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE


def test_questionnaire_pages_are_not_stored_by_caches(world, cycle, login):
    client = login(world.max)
    start = client.get(reverse("response_start", args=["acme", cycle.slug, "alpha"]), follow=True)
    assert start.status_code == 200
    assert start["Cache-Control"] == NO_STORE
    export = client.get(reverse("response_export", args=["acme", cycle.slug, "alpha", "json"]))
    assert "no-store" in export["Cache-Control"]


def test_exports_are_not_stored_by_caches(world, alpha_results, login):
    client = login(world.alice)
    for url in (
        reverse("org_dashboard_export", args=["acme"]) + "?table=teams",
        reverse("team_dashboard_export", args=["acme", "alpha"]) + "?table=constructs",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_pdf_download_is_not_stored_by_caches(world, ready_report, login):
    response = login(world.max).get(reverse("report_download", args=["acme", ready_report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Cache-Control"] == NO_STORE


def test_public_pages_keep_their_own_caching(db, client):
    # The sign-in page sets its own (never_cache); a response that chose stays as it is.
    response = client.get(reverse("login"))
    assert (
        "no-store" in response["Cache-Control"] and "must-revalidate" in response["Cache-Control"]
    )


def test_team_named_like_a_formula_comes_out_neutralised_in_the_teams_export(
    world, alpha_results, login
):
    world.alpha.name = FORMULA
    world.alpha.save(update_fields=["name"])
    release(alpha_results)  # names are as of the release
    response = login(world.alice).get(
        reverse("org_dashboard_export", args=["acme"]) + "?table=teams"
    )
    assert response.status_code == 200
    text = (
        b"".join(response.streaming_content).decode()
        if response.streaming
        else (response.content.decode())
    )
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["team", "n"]
    teams = [row[0] for row in rows[1:]]
    assert "'" + FORMULA in teams
    assert FORMULA not in teams
    alpha = next(row for row in rows[1:] if row[0] == "'" + FORMULA)
    assert alpha[1] == "4"  # numbers stay numbers
