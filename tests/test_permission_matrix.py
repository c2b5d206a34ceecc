"""Every URL of the project against every actor: anonymous, each role, an outsider.

URLs are enumerated from the resolver, so a new view is covered without editing this test;
each view declares its access policy through orgs/access.py, and a view without one fails.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.matrix_objects import ALL_PATTERNS, objects_for

ACTORS = ["anonymous", "alice", "leo", "tess", "max", "bob", "charlie"]
ROLE_OF = {
    "alice": "org_admin",
    "leo": "leader",
    "tess": "team_lead",
    "max": "member",
    "bob": "member",
}


def sample_kwargs(world, names: list[str]) -> dict[str, object]:
    """URL arguments pointing at objects of the actors' organisation ("acme")."""
    values = objects_for(world)
    missing = [n for n in names if n not in values]
    assert not missing, f"add sample values for URL arguments {missing} to tests/matrix_objects.py"
    return {n: values[n] for n in names}


def expected(policy: str, actor: str, world) -> str:
    """'ok' (allowed: not 403/404/500, not sent to sign-in), 'login', '403', '404', or 'any'."""
    if policy == "public":
        return "any"
    if actor == "anonymous":
        return "login"
    if policy == "signed_in":
        return "ok"
    if actor == "charlie":
        return "404"
    kind, _, spec = policy.partition(":")
    role = ROLE_OF[actor]
    if kind == "roles":
        return "ok" if role in spec.split(",") else "403"
    if kind == "team":
        # Team pages (Alpha): leadership and Alpha's own people (spec "see"), or only its
        # lead and org admins (spec "lead").
        if spec == "lead":
            return "ok" if actor in {"alice", "tess"} else "403"
        return "ok" if actor in {"alice", "leo", "tess", "max"} else "403"
    if policy == "respondent":
        # One's own questionnaire for Alpha: only Alpha's own people answer for Alpha.
        return "ok" if actor in {"tess", "max"} else "403"
    raise AssertionError(f"unknown access policy {policy!r}")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    ("route", "pattern"), ALL_PATTERNS, ids=[p[0] or "/" for p in ALL_PATTERNS]
)
def test_permission_matrix(route, pattern, actor, method, world, login):
    policy = getattr(pattern.callback, "access_policy", None)
    assert policy, (
        f"view {pattern.lookup_str} for '{route}' declares no access policy (orgs/access.py)"
    )
    kwargs = sample_kwargs(world, re.findall(r"<(?:\w+:)?(\w+)>", route))
    url = reverse(pattern.name, kwargs=kwargs)
    client = login(getattr(world, actor) if actor != "anonymous" else None)
    response = getattr(client, method)(url)
    status = response.status_code
    want = expected(policy, actor, world)
    assert status < 500, f"{method.upper()} {url} as {actor}: {status}"
    if want == "login":
        assert status == 302 and "/accounts/login/" in response["Location"], (url, status)
    elif want == "404":
        assert status == 404, f"{method.upper()} {url} as outsider {actor}: {status}"
    elif want == "403":
        # 405 is as good a refusal: the method is refused before the object-level check,
        # the same for everyone, so it reveals nothing.
        assert status in {403, 405}, f"{method.upper()} {url} as {actor}: {status}"
    elif want == "ok":
        assert status not in {403, 404}, f"{method.upper()} {url} as {actor}: {status}"
        if status == 302:
            assert "/accounts/login/" not in response["Location"], (url, status)


def test_django_admin_is_for_staff_only(world, login):
    client = login(world.alice)
    response = client.get("/django-admin/")
    assert response.status_code == 302 and "/django-admin/login/" in response["Location"]
