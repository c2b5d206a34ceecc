"""Generated bad input against every form and JSON endpoint: never a 500, and nobody changes
what they may not change (other organisations' data, admin data as a member). NUL bytes,
lone surrogates and huge integers go into every URL parameter, query value and form field."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from django.http import QueryDict
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assessments.models import Answer, ClassifiedAction, Cycle, Response
from orgs.models import AuditEvent, Invitation, Membership, Organization, Team
from reports.models import Report
from tests.matrix_objects import ALL_PATTERNS, objects_for

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


@pytest.mark.parametrize(("route", "pattern"), POST_ROUTES, ids=[r or "/" for r, _ in POST_ROUTES])
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
            # 400: input no column can store (NUL), refused before any view for every URL
            # alike, so it tells an outsider nothing.
            assert response.status_code in {400, 404, 405, 429}, (url, response.status_code)
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


# --- Characters PostgreSQL cannot store, and integers no column holds ------------------------
#
# Every URL parameter, every query value and every form field of every route gets a NUL
# byte, a lone surrogate (as the bytes a client would send: UTF-8 of U+D800) and a huge
# integer; the answer is never a server error. The database is PostgreSQL, as deployed.

NUL = "typo\x00fix"
LONE_SURROGATE = "\ud800".encode("utf-8", "surrogatepass")  # b"\xed\xa0\x80"
HUGE_INT = "9" * 40
BAD_VALUES = {"nul": NUL, "surrogate": LONE_SURROGATE, "huge-int": HUGE_INT}
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _encode(value: str | bytes) -> str:
    return quote(value, safe="")


def _path_with(world_values: dict[str, object], route: str, bad: dict[str, str | bytes]) -> str:
    """The route's path with sample values, except the parameters in `bad`."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(2)
        return _encode(bad[name]) if name in bad else _encode(str(world_values[name]))

    return "/" + PARAM.sub(fill, route)


def _body(value: str | bytes) -> str:
    """A form body with every known field (and a bad field name) set to `value`."""
    pairs = [(name, value) for name in FIELD_NAMES] + [(value, "x")]
    return urlencode(pairs)


CASES = [
    (route, pattern, kind) for route, pattern in ALL_PATTERNS if pattern.name for kind in BAD_VALUES
]


@pytest.mark.parametrize(
    ("route", "pattern", "kind"), CASES, ids=[f"{r or '/'}-{k}" for r, _, k in CASES]
)
def test_unstorable_and_huge_values_anywhere_never_500(route, pattern, kind, world, login):
    values = objects_for(world)
    value = BAD_VALUES[kind]
    good_url = _path_with(values, route, {})
    urls = [good_url] + [
        _path_with(values, route, {name: value}) for _, name in PARAM.findall(route)
    ]
    for actor in (world.alice, world.max, None):
        client = login(actor)
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                assert response.status_code < 500, (method, url, response.status_code)
        query = "&".join(f"{name}={_encode(value)}" for name in FIELD_NAMES)
        response = client.get(f"{good_url}?{query}")
        assert response.status_code < 500, ("get", good_url, kind, response.status_code)
        response = client.post(
            good_url, _body(value), content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code < 500, ("post", good_url, kind, response.status_code)
        if kind == "nul":
            assert response.status_code == 400, ("post", good_url, response.status_code)


@pytest.mark.parametrize(
    ("method", "name", "data"),
    [
        ("get", "admin_members", {"q": "a\x00b"}),
        ("post", "report_request", {"cycle": "\x00"}),
        ("post", "admin_teams", {"name\x00": "Gamma"}),  # in a field name too
    ],
)
def test_nul_in_a_query_or_form_value_is_refused_with_a_clear_400(method, name, data, world, login):
    client = login(world.alice)
    before = snapshot(world.acme)
    response = getattr(client, method)(reverse(name, args=["acme"]), data)
    assert response.status_code == 400
    assert "cannot be stored (a NUL byte" in response.content.decode()
    assert snapshot(world.acme) == before


def test_nul_in_a_reopen_reason_is_refused_and_nothing_reopens(world, login):
    from assessments.models import ReopenRequest

    values = objects_for(world)
    response_obj = Response.objects.get(pk=values["response"])
    response_obj.status = Response.Status.SUBMITTED
    response_obj.save(update_fields=["status"])
    url = reverse("response_reopen_request", args=["acme", values["cycle"], response_obj.team.slug])
    before = ReopenRequest.objects.count()
    answer = login(response_obj.respondent).post(url, {"reason": "typo\x00fix"})
    assert answer.status_code == 400
    response_obj.refresh_from_db()
    assert response_obj.status == Response.Status.SUBMITTED
    assert ReopenRequest.objects.count() == before


def test_nul_in_an_autosave_is_refused_as_json(world, login):
    values = objects_for(world)
    before = Answer.objects.count()  # the sample objects include a released response
    url = reverse("response_answer", args=["acme", values["cycle"], "alpha"])
    answer = login(world.max).post(
        url,
        {"item": "ctx_role", "value": "a\x00", "base_version": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert answer.status_code == 400
    assert answer.json()["status"] == "invalid"
    assert Answer.objects.count() == before
    assert not Answer.objects.filter(response__respondent=world.max, item_key="ctx_role").exists()


def test_lone_surrogates_in_values_and_keys_are_refused(rf):
    """A lone surrogate cannot come off the wire as form data (Django decodes broken UTF-8
    to U+FFFD), but a value decoded any other way must still not reach the database."""
    from config.middleware import UnstorableInputMiddleware

    reached = []
    middleware = UnstorableInputMiddleware(lambda request: reached.append(request) or None)
    for data in ({"q": "a\ud800"}, {"\udfff": "x"}):
        request = rf.get("/")
        request.GET = QueryDict(mutable=True)
        request.GET.update(data)
        assert middleware(request).status_code == 400
    assert reached == []
