"""Red-team pass over access and bad input around releases, as regression tests."""

from __future__ import annotations

import itertools
import uuid

import pytest
from django.urls import reverse

from assessments.demo import GUARDRAILS
from assessments.models import ClassifiedAction
from orgs.models import Team
from tests.builders import add_people, release, submit


@pytest.fixture
def two_teams(world, cycle):
    """Alpha and Beta both above k = 3, each with one free-text action per person."""
    for team, users in (
        (world.alpha, [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]),
        (world.beta, [world.bob, *add_people(world.acme, world.beta, 3)]),
    ):
        for i, user in enumerate(users):
            extra = {"act_individual": f"{team.slug} action {i}", "ctx_lifecycle_stage": "build"}
            submit(cycle, team, user, GUARDRAILS, extra=extra)
    release(cycle)
    return cycle


def test_a_team_lead_cannot_tell_another_teams_action_ids_from_missing_ones(
    world, two_teams, login
):
    """Walking /reviews/<id>/ as Alpha's lead: Beta's actions answer 403, ids that do not
    exist 404, so the lead counts every other team's actions and sees when new ones arrive
    (a submission elsewhere, to the minute). Reopen requests of another team answer 404 like
    missing ids; review actions should too."""
    client = login(world.tess)
    beta_action = ClassifiedAction.objects.filter(team=world.beta).first()
    missing = uuid.uuid4()
    other = client.get(reverse("review_action", args=["acme", beta_action.public_id])).status_code
    absent = client.get(reverse("review_action", args=["acme", missing])).status_code
    assert other == absent == 404


PARAMS = [
    "",
    "cycle=%00",
    "cycle=" + "x" * 5000,
    "filter=role",
    "filter=:",
    "filter=role:",
    "filter=:x",
    "filter=role:engineering:x",
    "filter=role%3Aengineering%00",
    "role=engineering&stage=build",
    "role=engineering&role=design",
    "role=%00",
    "role=%ED%A0%80",
    "stage=build&filter=role:engineering",
    "%FF=1",
]
TABLES = ["", "table=teams", "table=lift", "table=prevalence", "table=actions", "table=%00"]


def test_dashboards_and_exports_never_fail_on_odd_filters(world, two_teams, login):
    """On PostgreSQL (a NUL byte in a query fails there, not on SQLite)."""
    seen = 0
    for user, (params, table) in itertools.product(
        (world.leo, world.tess), itertools.product(PARAMS, TABLES)
    ):
        client = login(user)
        urls = [
            reverse("team_dashboard", args=["acme", "alpha"]),
            reverse("team_dashboard_export", args=["acme", "alpha"]),
        ]
        if user == world.leo:
            urls += [
                reverse("org_dashboard", args=["acme"]),
                reverse("org_dashboard_export", args=["acme"]),
            ]
        for url in urls:
            status = client.get(f"{url}?{params}&{table}").status_code
            seen += 1
            assert status < 500, (user.email, url, params, table, status)
    assert seen == 2 * len(PARAMS) * len(TABLES) * 3


def test_release_now_is_for_this_organisations_admins_only(world, two_teams, login):
    url = reverse("release_now", args=["acme"])
    for user in (world.leo, world.tess, world.max):
        assert login(user).post(url, {"cycle": two_teams.slug}).status_code == 403
    assert login(world.charlie).post(url, {"cycle": two_teams.slug}).status_code == 404
    admin = login(world.alice)
    assert admin.get(url).status_code == 405
    for bad in ("", "\x00", "x" * 10_000, "2026-q4\x00", ["a", "b"]):
        assert admin.post(url, {"cycle": bad}).status_code in (400, 302), bad
    other_cycle_slug = "other-cycle"
    assert admin.post(url, {"cycle": other_cycle_slug}).status_code == 400
    assert Team.objects.filter(organization=world.acme).count() == 2
