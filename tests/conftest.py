"""Named actors, one per role, plus an outsider who must see nothing (the healthchecks habit).

Organisation "acme": alice (org admin), leo (leader), tess (team lead of Alpha),
max (member of Alpha), bob (member of Beta). Organisation "other": charlie (org admin).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from orgs.models import Membership, Organization, Role, Team, User
from tests.builders import make_open_cycle, make_user


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and cached dashboards live in the cache: no test sees another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def latest_schema_after(transactional_db):
    """For a test that migrates backwards: afterwards every app is migrated forward again
    (migrating one app back also unapplies other apps' migrations that depend on it, and
    the tests after it need every table and column)."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@dataclass
class World:
    acme: Organization
    other: Organization
    alpha: Team
    beta: Team
    other_team: Team
    alice: User
    leo: User
    tess: User
    max: User
    bob: User
    charlie: User

    def membership(self, user: User) -> Membership:
        return Membership.objects.get(user=user)


@pytest.fixture
def world(db) -> World:
    acme = Organization.objects.create(name="Acme", slug="acme")
    other = Organization.objects.create(name="Other Inc", slug="other")
    alpha = Team.objects.create(organization=acme, name="Alpha", slug="alpha")
    beta = Team.objects.create(organization=acme, name="Beta", slug="beta")
    other_team = Team.objects.create(organization=other, name="Gamma", slug="gamma")
    people = {
        "alice": (acme, Role.ORG_ADMIN, None),
        "leo": (acme, Role.LEADER, None),
        "tess": (acme, Role.TEAM_LEAD, alpha),
        "max": (acme, Role.MEMBER, alpha),
        "bob": (acme, Role.MEMBER, beta),
        "charlie": (other, Role.ORG_ADMIN, other_team),
    }
    users = {}
    for name, (org, role, team) in people.items():
        users[name] = make_user(f"{name}@example.com")
        Membership.objects.create(user=users[name], organization=org, role=role, team=team)
    return World(acme, other, alpha, beta, other_team, **users)


@pytest.fixture
def login(client: Client):
    """`login(user)` signs the test client in as `user` and returns it."""

    def _login(user: User | None) -> Client:
        client.logout()
        if user is not None:
            client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def cycle(world):
    return make_open_cycle(world)
