"""Exact query counts of the list and export pages, on a few rows and on many: the count does
not grow with the rows, and raising it is a decision, not an accident (zulip's habit).

Each count includes the session, the user and the membership that every page under /o/ reads.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from assessments.demo import GUARDRAILS
from orgs.models import Invitation, Team
from reports.models import Report
from tests.builders import add_people, release, submit

REPORT_LIST = 6
INVITATIONS = 7
TEAMS = 6
ORG_EXPORT = 6
TEAM_EXPORT = 7
REVIEW_EXPORT = 8  # the review scope reads the latest releases (3 queries)
# A dashboard read from a release with an empty cache (the cached page is cheaper still).
ORG_DASHBOARD = 8  # participation loads on its own (ORG_PARTICIPATION)
TEAM_DASHBOARD = 9
ORG_PARTICIPATION = 7


def _reports(world, cycle, n: int) -> None:
    for _ in range(n):
        Report.objects.create(
            organization=world.acme, cycle=cycle, team=world.alpha, kind=Report.Kind.TEAM
        )


def _invitations(world, start: int, n: int) -> None:
    for i in range(start, start + n):
        _, token_hash = Invitation.new_token()
        Invitation.objects.create(
            organization=world.acme,
            email=f"new-{i}@example.com",
            role="member",
            team=world.alpha if i % 2 else world.beta,
            token_hash=token_hash,
            expires_at=Invitation.expiry_from(timezone.now()),
        )


def _teams(world, start: int, n: int) -> None:
    for i in range(start, start + n):
        Team.objects.create(organization=world.acme, name=f"Team {i}", slug=f"team-{i}")


@pytest.fixture
def released(world, cycle):
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    release(cycle)
    return cycle


def test_report_list_reads_in_a_fixed_number_of_queries(
    world, cycle, login, django_assert_num_queries
):
    client = login(world.alice)
    _reports(world, cycle, 2)
    with django_assert_num_queries(REPORT_LIST):
        assert client.get(reverse("report_list", args=["acme"])).status_code == 200
    _reports(world, cycle, 20)
    with django_assert_num_queries(REPORT_LIST):
        assert client.get(reverse("report_list", args=["acme"])).status_code == 200


def test_invitations_page_reads_in_a_fixed_number_of_queries(
    world, login, django_assert_num_queries
):
    client = login(world.alice)
    _invitations(world, 0, 2)
    with django_assert_num_queries(INVITATIONS):
        assert client.get(reverse("admin_invitations", args=["acme"])).status_code == 200
    _invitations(world, 2, 20)
    with django_assert_num_queries(INVITATIONS):
        assert client.get(reverse("admin_invitations", args=["acme"])).status_code == 200


def test_teams_page_reads_in_a_fixed_number_of_queries(world, login, django_assert_num_queries):
    client = login(world.alice)
    with django_assert_num_queries(TEAMS):
        assert client.get(reverse("admin_teams", args=["acme"])).status_code == 200
    _teams(world, 0, 20)
    add_people(world.acme, world.beta, 5)
    with django_assert_num_queries(TEAMS):
        assert client.get(reverse("admin_teams", args=["acme"])).status_code == 200


def test_dashboard_exports_read_in_a_fixed_number_of_queries(
    world, released, login, django_assert_num_queries
):
    client = login(world.alice)
    org_export = reverse("org_dashboard_export", args=["acme"])
    team_export = reverse("team_dashboard_export", args=["acme", "alpha"])
    with django_assert_num_queries(ORG_EXPORT):
        assert client.get(org_export, {"table": "teams"}).status_code == 200
    with django_assert_num_queries(TEAM_EXPORT):
        assert client.get(team_export, {"table": "constructs"}).status_code == 200
    for user in add_people(world.acme, world.beta, 4):
        submit(released, world.beta, user, GUARDRAILS)
    release(released)
    with django_assert_num_queries(ORG_EXPORT):
        assert client.get(org_export, {"table": "teams"}).status_code == 200
    with django_assert_num_queries(TEAM_EXPORT):
        assert client.get(team_export, {"table": "constructs"}).status_code == 200


def test_review_export_reads_in_a_fixed_number_of_queries(
    world, released, login, django_assert_num_queries
):
    client = login(world.alice)
    url = reverse("review_export", args=["acme"])
    with django_assert_num_queries(REVIEW_EXPORT):
        assert client.get(url).status_code == 200
    for user in add_people(world.acme, world.alpha, 4, start=10):
        submit(released, world.alpha, user, GUARDRAILS)
    with django_assert_num_queries(REVIEW_EXPORT):
        assert client.get(url).status_code == 200


def _more_teams(world, cycle, start: int, n: int) -> None:
    for t in range(start, start + n):
        team = Team.objects.create(organization=world.acme, name=f"T{t:02d}", slug=f"t{t:02d}")
        cycle.teams.add(team)
        for user in add_people(world.acme, team, 3):
            submit(cycle, team, user, GUARDRAILS)
    release(cycle)


@pytest.mark.parametrize(
    ("page", "pinned"),
    [("org", ORG_DASHBOARD), ("team", TEAM_DASHBOARD), ("participation", ORG_PARTICIPATION)],
)
def test_dashboards_read_in_an_exact_number_of_queries(
    world, released, login, django_assert_num_queries, page, pinned
):
    client = login(world.max if page == "team" else world.alice)
    url = {
        "org": reverse("org_dashboard", args=["acme"]),
        "team": reverse("team_dashboard", args=["acme", "alpha"]),
        "participation": reverse("org_participation", args=["acme"]),
    }[page]
    _more_teams(world, released, 0, 2)
    cache.clear()
    with django_assert_num_queries(pinned):
        assert client.get(url).status_code == 200
    _more_teams(world, released, 2, 6)
    cache.clear()
    with django_assert_num_queries(pinned):
        assert client.get(url).status_code == 200
