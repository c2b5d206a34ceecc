"""Generated bad input against every form and JSON endpoint: never a 500, and nobody changes
what they may not change (other organisations' data, admin data as a member)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Answer, ClassifiedAction, Cycle, Response
from orgs.models import AuditEvent, Invitation, Membership, Organization, Team
from reports.models import Report
from tests.matrix_objects import objects_for
from tests.test_permission_matrix import ALL_PATTERNS

FIELD_NAMES = [
    "name", "email", "role", "team", "anonymity_threshold", "password1", "password2", "item",
    "value", "base_version", "evidence", "reason", "kind", "cycle", "instrument", "opens_on",
    "closes_on", "teams", "state", "action", "q", "go", "username", "password", "old_password",
    "new_password1", "new_password2", "item__ctx_role", "version__ctx_role", "item__ctx_genai_uses",
    "evidence__ind_review_outputs", "table", "stage", "organization", "page", "actor",
    "protocol", "domains", "issuer_url", "client_id", "client_secret", "saml_entity_id",
    "saml_metadata_url", "saml_sso_url", "saml_certificate", "SAMLResponse", "enabled",
]  # fmt: skip

junk = st.one_of(
    st.text(max_size=40),
    # Huge values, drawn from a few prepared ones (generating them is slow).
    st.sampled_from(["x" * 10_000, "é😀<\x00>" * 2_000, "'; DROP TABLE orgs_user; --" * 300]),
    st.integers(-(2**63), 2**63).map(str),
    st.sampled_from(
        ["", " ", "null", "[]", "{}", "-1", "0", "1e309", "NaN", "../../etc/passwd", "x" * 300]
    ),
    st.sampled_from(
        ["org_admin", "leader", "member", "team_lead", "individual", "collective", "open", "closed"]
    ),
)
payloads = st.dictionaries(
    st.one_of(st.sampled_from(FIELD_NAMES), st.text(min_size=1, max_size=12)),
    st.one_of(junk, st.lists(junk, max_size=3)),
    max_size=8,
)


def snapshot(org: Organization) -> tuple:
    """Everything about an organisation a stranger or a member must not be able to change."""
    return (
        tuple(Organization.objects.filter(pk=org.pk).values_list("name", "anonymity_threshold")),
        tuple(
            Team.objects.filter(organization=org)
            .order_by("pk")
            .values_list("name", "slug", "archived_at")
        ),
        tuple(
            Membership.objects.filter(organization=org)
            .order_by("pk")
            .values_list("user_id", "role", "team_id")
        ),
        tuple(
            Invitation.objects.filter(organization=org)
            .order_by("pk")
            .values_list("email", "revoked_at")
        ),
        tuple(
            Cycle.objects.filter(organization=org)
            .order_by("pk")
            .values_list("name", "state", "closes_on")
        ),
        tuple(
            Response.objects.filter(cycle__organization=org).order_by("pk").values_list("status")
        ),
        tuple(
            Answer.objects.filter(response__cycle__organization=org)
            .order_by("pk")
            .values_list("value")
        ),
        tuple(ClassifiedAction.objects.filter(team__organization=org).values_list("reviewed_kind")),
        tuple(Report.objects.filter(organization=org).values_list("status")),
    )


POST_ROUTES = [(route, p) for route, p in ALL_PATTERNS if p.name]


def _url(world, route: str, pattern) -> str:
    values = objects_for(world)
    names = re.findall(r"<(?:\w+:)?(\w+)>", route)
    return reverse(pattern.name, kwargs={n: values[n] for n in names})


@pytest.mark.parametrize("route,pattern", POST_ROUTES, ids=[r or "/" for r, _ in POST_ROUTES])
def test_generated_posts_never_500_and_strangers_change_nothing(route, pattern, world, login):
    url = _url(world, route, pattern)
    other_before = snapshot(world.other)

    @settings(
        max_examples=6,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=payloads, actor=st.sampled_from(["charlie", "max", "alice", None]))
    def check(data, actor):
        client = login(getattr(world, actor) if actor else None)
        acme_before = snapshot(world.acme)
        response = client.post(url, data, HTTP_ACCEPT="application/json")
        assert response.status_code < 500, (url, actor, response.status_code)
        policy = pattern.callback.access_policy
        if actor == "charlie" and policy not in {"public", "signed_in"}:
            assert response.status_code in {404, 405, 429}, (url, response.status_code)
        admin_only = policy == "roles:org_admin"
        if (actor in {None, "charlie"} and policy != "public") or (actor == "max" and admin_only):
            assert snapshot(world.acme) == acme_before, (url, actor)

    check()
    assert snapshot(world.other) == other_before


def test_other_organisations_ids_are_refused(world, login):
    """Ids of another organisation's objects in acme's URLs are 404, never a change."""
    other_membership = Membership.objects.get(user=world.charlie)
    client = login(world.alice)
    before = snapshot(world.other)
    for name in ("admin_member_role", "admin_member_remove"):
        assert (
            client.post(
                reverse(name, args=["acme", other_membership.pk]), {"role": "member"}
            ).status_code
            == 404
        )
    assert (
        client.post(
            reverse("admin_team_edit", args=["acme", world.other_team.slug]), {"name": "x"}
        ).status_code
        == 404
    )
    assert snapshot(world.other) == before
    assert not AuditEvent.objects.filter(organization=world.other).exists()
