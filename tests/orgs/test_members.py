"""Members: role changes, removal, the last org admin, cross-org ids, list and search."""

from __future__ import annotations

import contextlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orgs import services
from orgs.models import AuditEvent, Membership, Role, Team
from tests.builders import make_user

from .conftest import events, messages_of

A = AuditEvent.Action


def members_url(world, **query) -> str:
    url = reverse("admin_members", args=[world.acme.slug])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def role_url(world, membership: Membership) -> str:
    return reverse("admin_member_role", args=[world.acme.slug, membership.pk])


def remove_url(world, membership: Membership) -> str:
    return reverse("admin_member_remove", args=[world.acme.slug, membership.pk])


# --- Changing roles ------------------------------------------------------------------


def test_change_role_updates_membership_and_audits_old_and_new(world, login):
    target = world.membership(world.max)
    response = login(world.alice).post(
        role_url(world, target), {"role": Role.TEAM_LEAD, "team": world.beta.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == members_url(world)
    assert "Max is now Team lead." in messages_of(response)
    target.refresh_from_db()
    assert (target.role, target.team) == (Role.TEAM_LEAD, world.beta)
    [event] = events(world.acme, A.ROLE_CHANGED)
    assert event.actor == world.alice
    assert event.target_id == str(world.max.pk)
    assert event.data == {
        "old_role": Role.MEMBER,
        "old_team": "Alpha",
        "new_role": Role.TEAM_LEAD,
        "new_team": "Beta",
    }


def test_promoting_to_leader_without_team_is_allowed(world, login):
    target = world.membership(world.bob)
    response = login(world.alice).post(role_url(world, target), {"role": Role.LEADER, "team": ""})
    assert response.status_code == 302
    target.refresh_from_db()
    assert (target.role, target.team) == (Role.LEADER, None)


def test_saving_the_same_role_records_nothing(world, login):
    target = world.membership(world.max)
    response = login(world.alice).post(
        role_url(world, target), {"role": Role.MEMBER, "team": world.alpha.pk}
    )
    assert response.status_code == 302
    assert not events(world.acme, A.ROLE_CHANGED)


def test_role_page_shows_the_current_role(world, login):
    response = login(world.alice).get(role_url(world, world.membership(world.tess)))
    assert response.status_code == 200
    assert "Now: Team lead in Alpha." in response.content.decode()


@pytest.mark.parametrize("role", [Role.MEMBER, Role.TEAM_LEAD])
def test_member_and_team_lead_roles_need_a_team(world, login, role):
    target = world.membership(world.leo)
    response = login(world.alice).post(role_url(world, target), {"role": role, "team": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["team"] == ["A team lead or member needs a team."]
    target.refresh_from_db()
    assert (target.role, target.team) == (Role.LEADER, None)
    assert not events(world.acme, A.ROLE_CHANGED)


def test_role_change_to_a_team_of_another_organisation_is_refused(world, login):
    target = world.membership(world.max)
    response = login(world.alice).post(
        role_url(world, target), {"role": Role.MEMBER, "team": world.other_team.pk}
    )
    assert response.status_code == 400
    target.refresh_from_db()
    assert target.team == world.alpha


def test_demoting_the_last_org_admin_is_refused_with_message(world, login):
    alice = world.membership(world.alice)
    response = login(world.alice).post(role_url(world, alice), {"role": Role.LEADER, "team": ""})
    assert response.status_code == 400
    assert "An organisation needs at least one org admin." in response.content.decode()
    alice.refresh_from_db()
    assert alice.role == Role.ORG_ADMIN
    assert not events(world.acme, A.ROLE_CHANGED)


def test_an_org_admin_can_be_demoted_when_another_remains(world, login):
    leo = world.membership(world.leo)
    services.change_role(world.alice, leo, Role.ORG_ADMIN, None)
    alice = world.membership(world.alice)
    response = login(world.leo).post(role_url(world, alice), {"role": Role.LEADER, "team": ""})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.role == Role.LEADER


# --- Removing members ----------------------------------------------------------------


def test_remove_member_get_shows_confirmation_and_changes_nothing(world, login):
    target = world.membership(world.max)
    response = login(world.alice).get(remove_url(world, target))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Remove Max from Acme?" in body
    assert 'method="post"' in body
    assert Membership.objects.filter(pk=target.pk).exists()
    assert not events(world.acme, A.MEMBER_REMOVED)


def test_remove_member_on_post_removes_and_audits(world, login):
    target = world.membership(world.max)
    response = login(world.alice).post(remove_url(world, target))
    assert response.status_code == 302
    assert response["Location"] == members_url(world)
    assert "Max was removed from Acme." in messages_of(response)
    assert not Membership.objects.filter(pk=target.pk).exists()
    assert world.max.__class__.objects.filter(pk=world.max.pk).exists()  # account kept
    [event] = events(world.acme, A.MEMBER_REMOVED)
    assert (event.actor, event.target_id, event.data) == (
        world.alice,
        str(world.max.pk),
        {"role": Role.MEMBER},
    )


def test_removed_member_then_gets_not_found_on_the_organisation(world, login):
    target = world.membership(world.max)
    login(world.alice).post(remove_url(world, target))
    client = login(world.max)
    assert client.get(reverse("org_home", args=["acme"])).status_code == 404
    assert client.get(reverse("home")).url == reverse("org_new")


def test_removing_the_last_org_admin_is_refused_with_message(world, login):
    alice = world.membership(world.alice)
    response = login(world.alice).post(remove_url(world, alice))
    assert response.status_code == 302
    assert "You cannot remove the last org admin." in messages_of(response)
    assert Membership.objects.filter(pk=alice.pk).exists()
    assert not events(world.acme, A.MEMBER_REMOVED)


@pytest.mark.parametrize("method", ["put", "delete"])
def test_member_pages_refuse_other_methods(world, login, method):
    client = login(world.alice)
    target = world.membership(world.max)
    assert getattr(client, method)(remove_url(world, target)).status_code == 405
    assert getattr(client, method)(role_url(world, target)).status_code == 405
    assert client.post(members_url(world)).status_code == 405
    assert Membership.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize("actor", ["leo", "tess", "max", "bob"])
def test_member_pages_are_forbidden_to_non_admins(world, login, actor):
    client = login(getattr(world, actor))
    target = world.membership(world.bob)
    assert client.get(members_url(world)).status_code == 403
    assert client.post(remove_url(world, target)).status_code == 403
    assert client.post(role_url(world, target), {"role": Role.LEADER}).status_code == 403
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_member_pages_send_anonymous_visitors_to_sign_in(world, client):
    target = world.membership(world.max)
    for url in (members_url(world), remove_url(world, target), role_url(world, target)):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert Membership.objects.filter(pk=target.pk).exists()


# --- Other organisations' ids ----------------------------------------------------------


def test_other_organisations_membership_id_in_acme_urls_is_not_found(world, login):
    charlies = world.membership(world.charlie)
    client = login(world.alice)
    assert client.get(role_url(world, charlies)).status_code == 404
    assert client.post(role_url(world, charlies), {"role": Role.LEADER}).status_code == 404
    assert client.get(remove_url(world, charlies)).status_code == 404
    assert client.post(remove_url(world, charlies)).status_code == 404
    charlies.refresh_from_db()
    assert charlies.role == Role.ORG_ADMIN
    assert not AuditEvent.objects.filter(action__in=[A.ROLE_CHANGED, A.MEMBER_REMOVED]).exists()


def test_outsider_gets_not_found_for_acme_member_pages(world, login):
    target = world.membership(world.max)
    client = login(world.charlie)
    assert client.get(members_url(world)).status_code == 404
    assert client.post(remove_url(world, target)).status_code == 404
    assert client.post(role_url(world, target), {"role": Role.LEADER}).status_code == 404
    assert Membership.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize("member", ["999999999", "99999999999999999999999"])
def test_unknown_or_oversized_member_id_is_not_found(world, login, member):
    client = login(world.alice)
    assert client.get(f"/o/acme/admin/members/{member}/role/").status_code == 404
    assert client.post(f"/o/acme/admin/members/{member}/remove/").status_code == 404


# --- Member list -----------------------------------------------------------------------


@pytest.fixture
def thirty_more(world) -> list[Membership]:
    team = Team.objects.get(pk=world.beta.pk)
    return [
        Membership.objects.create(
            user=make_user(f"person{i:02}@example.com", name=f"Person {i:02}"),
            organization=world.acme,
            role=Role.MEMBER,
            team=team,
        )
        for i in range(30)
    ]


def test_member_list_paginates_by_25(world, login, thirty_more):
    client = login(world.alice)
    first = client.get(members_url(world))
    assert first.status_code == 200
    page = first.context["page"]
    assert page.paginator.count == 35  # five in the world, thirty more
    assert len(page.object_list) == 25
    assert "Page 1 of 2" in first.content.decode()
    second = client.get(members_url(world, page=2))
    assert second.status_code == 200
    assert len(second.context["page"].object_list) == 10
    assert second.context["page"].number == 2
    emails = [m.user.email for m in first.context["page"].object_list] + [
        m.user.email for m in second.context["page"].object_list
    ]
    assert len(set(emails)) == 35
    assert emails == sorted(emails)
    assert "charlie@example.com" not in emails


def test_member_list_out_of_range_or_bad_page_falls_back(world, login, thirty_more):
    client = login(world.alice)
    assert client.get(members_url(world, page=99)).context["page"].number == 2
    assert client.get(members_url(world, page="abc")).context["page"].number == 1


def test_member_search_matches_email_or_name_case_insensitively(world, login, thirty_more):
    client = login(world.alice)
    by_name = client.get(members_url(world, q="PERSON 1"))
    assert by_name.status_code == 200
    assert sorted(m.user.email for m in by_name.context["page"].object_list) == [
        f"person1{i}@example.com" for i in range(10)
    ]
    by_email = client.get(members_url(world, q="tess@"))
    assert [m.user.email for m in by_email.context["page"].object_list] == ["tess@example.com"]


def test_member_search_keeps_query_in_pagination_links(world, login, thirty_more):
    response = login(world.alice).get(members_url(world, q="person"))
    assert response.context["page"].paginator.count == 30
    assert "?q=person&amp;page=2" in response.content.decode()


def test_member_search_without_match_says_so(world, login):
    response = login(world.alice).get(members_url(world, q="nobody-here"))
    assert response.status_code == 200
    assert "Nobody matches" in response.content.decode()


def test_member_search_never_shows_other_organisations(world, login):
    response = login(world.alice).get(members_url(world, q="charlie"))
    assert list(response.context["page"].object_list) == []


def test_member_list_query_count_does_not_grow_with_members(world, login, thirty_more):
    client = login(world.alice)
    with CaptureQueriesContext(connection) as full_page:
        client.get(members_url(world))
    Membership.objects.filter(pk__in=[m.pk for m in thirty_more[3:]]).delete()
    with CaptureQueriesContext(connection) as short_page:
        client.get(members_url(world))
    assert len(full_page) == len(short_page), [q["sql"] for q in full_page]


# --- Concurrency: two admins demoting each other at once --------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_once_leave_one_admin(world, monkeypatch):
    leo = world.membership(world.leo)
    Membership.objects.filter(pk=leo.pk).update(role=Role.ORG_ADMIN, team=None)
    # Each request counts the remaining admins, then waits (briefly) for the other to
    # count too: without a lock both see one other admin and both demotions go through.
    barrier = threading.Barrier(2)
    original = services._admins_left_after

    def count_then_wait(membership):
        left = original(membership)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=2)
        return left

    monkeypatch.setattr(services, "_admins_left_after", count_then_wait)
    outcomes: list[str] = []

    def demote(actor, target_user):
        def run():
            try:
                services.change_role(
                    actor, Membership.objects.get(user=target_user), Role.LEADER, None
                )
                outcomes.append("demoted")
            except ValidationError:
                outcomes.append("refused")
            finally:
                connection.close()

        return run

    threads = [
        threading.Thread(target=demote(world.alice, world.leo)),
        threading.Thread(target=demote(world.leo, world.alice)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["demoted", "refused"]
    assert Membership.objects.filter(organization=world.acme, role=Role.ORG_ADMIN).count() == 1
