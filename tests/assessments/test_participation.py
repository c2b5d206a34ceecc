"""Participation: how many have submitted, are answering, have not started. Never answers;
names of those who have not submitted only where the organisation turns them on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments import queries
from assessments.models import Answer, Cycle, Response
from orgs.models import AuditEvent, Membership, Organization, Role, Team
from tests.builders import make_user

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


def show_names(world, on: bool = True) -> None:
    world.acme.show_participation_names = on
    world.acme.save(update_fields=["show_participation_names"])


def test_people_are_counted_in_the_right_buckets_and_not_named(world, login, cycle, answered):
    response = login(world.alice).get(url(cycle))
    assert response.status_code == 200
    alpha, beta = response.context["rows"]
    assert (alpha.team, beta.team) == (world.alpha, world.beta)
    assert (alpha.submitted, alpha.in_progress, alpha.not_started) == (1, 1, 1)
    assert (beta.submitted, beta.in_progress, beta.not_started) == (0, 0, 1)
    assert alpha.in_progress_names == alpha.not_started_names == beta.not_started_names == []
    assert response.context["totals"] == {
        "submitted": 1,
        "in_progress": 1,
        "not_started": 2,
        "people": 4,
    }
    html = response.content.decode()
    for name in ("Max", "Nina", "Tess", "Bob", "max@example.com"):
        assert name not in html, name
    assert "Nobody is named" in html


def test_lead_sees_no_names_by_default(world, login, cycle, answered):
    html = login(world.tess).get(url(cycle)).content.decode()
    for name in ("Max", "Nina", "nina@example.com"):
        assert name not in html


def test_with_names_on_only_those_who_have_not_submitted_are_named(world, login, cycle, answered):
    show_names(world)
    response = login(world.alice).get(url(cycle))
    alpha, beta = response.context["rows"]
    assert names(alpha.in_progress_names) == ["Nina"]
    assert names(alpha.not_started_names) == ["Tess"]
    assert names(beta.not_started_names) == ["Bob"]
    html = response.content.decode()
    assert "Nina" in html and "Bob" in html
    assert "Max" not in html  # submitted: counted, never named
    assert "nobody is named as having submitted" in html


def test_no_answer_evidence_or_score_reaches_the_page(world, login, cycle, answered):
    for user in (world.alice, world.tess):
        html = login(user).get(url(cycle)).content.decode()
        assert SECRET_ANSWER not in html
        assert SECRET_EVIDENCE not in html
        assert "87.65" not in html and "leadership" not in html.lower()


def test_team_lead_sees_only_their_team(world, login, cycle, answered):
    show_names(world)
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
    alpha, beta = queries.participation(cycle, [world.alpha, world.beta], with_names=True)
    assert alpha.submitted == 1
    assert names(beta.not_started_names) == ["Bob"]  # still in Beta, with no response there


def test_org_wide_roles_count_only_once_they_answer(world, cycle):
    Membership.objects.filter(user=world.leo).update(team=world.alpha)
    (alpha,) = queries.participation(cycle, [world.alpha], with_names=True)
    assert "Leo" not in names(alpha.not_started_names)
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.leo)
    (alpha,) = queries.participation(cycle, [world.alpha], with_names=True)
    assert names(alpha.in_progress_names) == ["Leo"]


def test_deleted_account_shows_as_former_member(world, cycle):
    gone = member(world, "Gone", world.alpha)
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=gone)
    gone.delete()
    (alpha,) = queries.participation(cycle, [world.alpha], with_names=True)
    assert names(alpha.in_progress_names) == ["Former member"]


def test_names_are_sorted_and_fall_back_to_email(world, cycle):
    member(world, "aaron", world.alpha)
    nameless = make_user("zed@example.com")
    nameless.name = ""
    nameless.save(update_fields=["name"])
    Membership.objects.create(
        user=nameless, organization=world.acme, role=Role.MEMBER, team=world.alpha
    )
    (alpha,) = queries.participation(cycle, [world.alpha], with_names=True)
    assert names(alpha.not_started_names) == ["aaron", "Max", "Tess", "zed@example.com"]


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
    for with_names in (False, True):
        with django_assert_num_queries(2):
            rows = queries.participation(cycle, teams, with_names=with_names)
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


# --- The organisation setting --------------------------------------------------------------------


def settings_form(world, **changes):
    return {"name": world.acme.name, "anonymity_threshold": 3, **changes}


def test_names_are_off_by_default_and_an_org_admin_turns_them_on_audited(
    world, login, cycle, answered
):
    assert Organization.objects.get(pk=world.acme.pk).show_participation_names is False
    settings_url = reverse("admin_settings", args=["acme"])
    client = login(world.alice)
    assert "Show who has not submitted yet" in client.get(settings_url).content.decode()
    response = client.post(settings_url, settings_form(world, show_participation_names="on"))
    assert response.status_code == 302
    assert Organization.objects.get(pk=world.acme.pk).show_participation_names is True
    event = AuditEvent.objects.get(action=AuditEvent.Action.SETTINGS_CHANGED)
    assert event.actor == world.alice
    assert event.data["changes"] == {"show_participation_names": [False, True]}
    assert "Nina" in login(world.tess).get(url(cycle)).content.decode()
    # Saving the form without the box turns names off again, audited too.
    client = login(world.alice)
    assert client.post(settings_url, settings_form(world)).status_code == 302
    assert Organization.objects.get(pk=world.acme.pk).show_participation_names is False
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SETTINGS_CHANGED).count() == 2
    assert "Nina" not in login(world.tess).get(url(cycle)).content.decode()


def test_only_org_admins_change_the_setting(world, login):
    settings_url = reverse("admin_settings", args=["acme"])
    for user in (world.leo, world.tess, world.max):
        response = login(user).post(
            settings_url, settings_form(world, show_participation_names="on")
        )
        assert response.status_code == 403
    assert login(world.charlie).post(settings_url, settings_form(world)).status_code == 404
    assert Organization.objects.get(pk=world.acme.pk).show_participation_names is False
