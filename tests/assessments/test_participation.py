"""Participation: who has submitted, who is answering, who has not started. Never answers."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import queries
from assessments.models import Answer, Cycle, Response
from orgs.models import Membership, Role, Team
from tests.conftest import make_user

SECRET_ANSWER = "zebra-crossing-4711"
SECRET_EVIDENCE = "evidence-only-max-may-read"


def member(world, name: str, team: Team, role: str = Role.MEMBER):
    user = make_user(f"{name.lower()}@example.com", name)
    Membership.objects.create(user=user, organization=world.acme, role=role, team=team)
    return user


def url(cycle: Cycle) -> str:
    return reverse("participation", args=[cycle.organization.slug, cycle.slug])


def names(people) -> list[str]:
    return [p.name for p in people]


@pytest.fixture
def answered(world, cycle):
    """Max submitted (with a distinctive answer and score), Nina is answering, Tess has not
    started; in Beta, Bob has not started."""
    nina = member(world, "Nina", world.alpha)
    submitted = Response.objects.create(
        cycle=cycle,
        team=world.alpha,
        respondent=world.max,
        status=Response.Status.SUBMITTED,
        scores={"constructs": {"leadership": 87.654321}},
    )
    Answer.objects.create(
        response=submitted, item_key="ctx_role", value=SECRET_ANSWER, evidence=SECRET_EVIDENCE
    )
    draft = Response.objects.create(cycle=cycle, team=world.alpha, respondent=nina)
    Answer.objects.create(response=draft, item_key="ctx_role", value=SECRET_ANSWER)
    return {"nina": nina}


# --- Access -----------------------------------------------------------------------------------


def test_leader_and_members_are_refused(world, login, cycle):
    for user in (world.leo, world.max, world.bob):
        assert login(user).get(url(cycle)).status_code == 403


def test_outsider_gets_404_and_anonymous_goes_to_sign_in(world, login, cycle):
    assert login(world.charlie).get(url(cycle)).status_code == 404
    response = login(None).get(url(cycle))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_cycle_is_404(world, login, cycle):
    response = login(world.alice).get(reverse("participation", args=["acme", "nope"]))
    assert response.status_code == 404


def test_post_is_refused(world, login, cycle):
    assert login(world.alice).post(url(cycle)).status_code == 405


# --- Content ------------------------------------------------------------------------------------


def test_people_are_in_the_right_buckets(world, login, cycle, answered):
    response = login(world.alice).get(url(cycle))
    assert response.status_code == 200
    alpha, beta = response.context["rows"]
    assert (alpha.team, beta.team) == (world.alpha, world.beta)
    assert names(alpha.submitted) == ["Max"]
    assert names(alpha.in_progress) == ["Nina"]
    assert names(alpha.not_started) == ["Tess"]
    assert (names(beta.submitted), names(beta.in_progress), names(beta.not_started)) == (
        [],
        [],
        ["Bob"],
    )
    assert response.context["totals"] == {
        "submitted": 1,
        "in_progress": 1,
        "not_started": 2,
        "people": 4,
    }
    html = response.content.decode()
    for name in ("Max", "Nina", "Tess", "Bob"):
        assert name in html


def test_no_answer_evidence_or_score_reaches_the_page(world, login, cycle, answered):
    for user in (world.alice, world.tess):
        html = login(user).get(url(cycle)).content.decode()
        assert SECRET_ANSWER not in html
        assert SECRET_EVIDENCE not in html
        assert "87.65" not in html and "leadership" not in html.lower()


def test_team_lead_sees_only_their_team(world, login, cycle, answered):
    response = login(world.tess).get(url(cycle))
    assert response.status_code == 200
    assert [r.team for r in response.context["rows"]] == [world.alpha]
    html = response.content.decode()
    assert "Nina" in html and "Bob" not in html and "Beta" not in html


def test_team_lead_of_a_team_not_in_the_cycle_sees_an_empty_state(world, login, cycle):
    cycle.teams.set([world.beta])
    response = login(world.tess).get(url(cycle))
    assert response.status_code == 200
    assert response.context["rows"] == []
    assert "Alpha does not take part in this cycle" in response.content.decode()


def test_someone_who_moved_team_counts_where_they_answered(world, cycle):
    Response.objects.create(
        cycle=cycle, team=world.alpha, respondent=world.bob, status=Response.Status.SUBMITTED
    )
    alpha, beta = queries.participation(cycle, [world.alpha, world.beta])
    assert names(alpha.submitted) == ["Bob"]
    assert names(beta.not_started) == ["Bob"]  # still in Beta, with no response there


def test_org_wide_roles_count_only_once_they_answer(world, cycle):
    Membership.objects.filter(user=world.leo).update(team=world.alpha)
    (alpha,) = queries.participation(cycle, [world.alpha])
    assert "Leo" not in names(alpha.not_started)
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.leo)
    (alpha,) = queries.participation(cycle, [world.alpha])
    assert names(alpha.in_progress) == ["Leo"]


def test_deleted_account_shows_as_former_member(world, cycle):
    gone = member(world, "Gone", world.alpha)
    Response.objects.create(
        cycle=cycle, team=world.alpha, respondent=gone, status=Response.Status.SUBMITTED
    )
    gone.delete()
    (alpha,) = queries.participation(cycle, [world.alpha])
    assert names(alpha.submitted) == ["Former member"]


def test_names_are_sorted_and_fall_back_to_email(world, cycle):
    member(world, "aaron", world.alpha)
    nameless = make_user("zed@example.com")
    nameless.name = ""
    nameless.save(update_fields=["name"])
    Membership.objects.create(
        user=nameless, organization=world.acme, role=Role.MEMBER, team=world.alpha
    )
    (alpha,) = queries.participation(cycle, [world.alpha])
    assert names(alpha.not_started) == ["aaron", "Max", "Tess", "zed@example.com"]


# --- Query counts -------------------------------------------------------------------------------


def add_teams(world, cycle, count: int) -> None:
    for n in range(count):
        team = Team.objects.create(organization=world.acme, name=f"Team {n}", slug=f"team-{n}")
        cycle.teams.add(team)
        for p in range(3):
            user = member(world, f"P{n}x{p}", team)
            if p:
                Response.objects.create(cycle=cycle, team=team, respondent=user, status="submitted")


def test_participation_query_is_two_queries_whatever_the_team_count(
    world, cycle, django_assert_num_queries
):
    add_teams(world, cycle, 8)
    teams = list(cycle.teams.all())
    with django_assert_num_queries(2):
        rows = queries.participation(cycle, teams)
    assert len(rows) == 10


def test_participation_page_query_count_is_the_same_for_2_and_10_teams(
    world, login, cycle, django_assert_num_queries
):
    client = login(world.alice)
    client.get(url(cycle))
    with CaptureQueriesContext(connection) as two:
        response = client.get(url(cycle))
    assert len(response.context["rows"]) == 2
    add_teams(world, cycle, 8)
    with django_assert_num_queries(len(two.captured_queries)):
        response = client.get(url(cycle))
    assert len(response.context["rows"]) == 10
