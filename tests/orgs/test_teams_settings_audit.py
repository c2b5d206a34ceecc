"""Teams (create, rename, archive, restore), organisation settings and the audit log page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orgs import audit
from orgs.models import AuditEvent, Organization, Team

from .conftest import events, messages_of

A = AuditEvent.Action


def teams_url(world) -> str:
    return reverse("admin_teams", args=[world.acme.slug])


def team_url(world, team: Team) -> str:
    return reverse("admin_team_edit", args=[world.acme.slug, team.slug])


def settings_url(world) -> str:
    return reverse("admin_settings", args=[world.acme.slug])


def audit_url(world) -> str:
    return reverse("admin_audit", args=[world.acme.slug])


# --- Teams -----------------------------------------------------------------------------


def test_create_team_gives_unique_slug_and_audits(world, login):
    response = login(world.alice).post(teams_url(world), {"name": "  Gamma Ray  "})
    assert response.status_code == 302
    assert response["Location"] == teams_url(world)
    assert "Team “Gamma Ray” created." in messages_of(response)
    team = Team.objects.get(organization=world.acme, name="Gamma Ray")
    assert team.slug == "gamma-ray"
    [event] = events(world.acme, A.TEAM_CREATED)
    assert (event.actor, event.target_id, event.target_repr) == (
        world.alice,
        str(team.pk),
        "Gamma Ray",
    )


def test_team_whose_slug_is_taken_gets_a_numbered_slug(world, login):
    login(world.alice).post(teams_url(world), {"name": "Alpha!"})
    team = Team.objects.get(organization=world.acme, name="Alpha!")
    assert team.slug == "alpha-2"


def test_same_team_name_in_another_organisation_is_fine(world, login):
    response = login(world.charlie).post(reverse("admin_teams", args=["other"]), {"name": "Alpha"})
    assert response.status_code == 302
    assert Team.objects.filter(name="Alpha").count() == 2


@pytest.mark.parametrize("name", ["Alpha", "alpha", "  ALPHA "])
def test_duplicate_team_name_is_refused_with_message(world, login, name):
    response = login(world.alice).post(teams_url(world), {"name": name})
    assert response.status_code == 400
    assert "A team with this name exists already." in response.content.decode()
    assert Team.objects.filter(organization=world.acme).count() == 2
    assert not events(world.acme, A.TEAM_CREATED)


@pytest.mark.parametrize("name", ["", "   ", "x" * 121, "x" * 10_000])
def test_blank_or_too_long_team_name_is_refused(world, login, name):
    response = login(world.alice).post(teams_url(world), {"name": name})
    assert response.status_code == 400
    assert Team.objects.filter(organization=world.acme).count() == 2


def test_rename_team_keeps_slug_and_audits_old_and_new(world, login):
    response = login(world.alice).post(team_url(world, world.alpha), {"name": "Alpha Prime"})
    assert response.status_code == 302
    assert "Team renamed." in messages_of(response)
    world.alpha.refresh_from_db()
    assert (world.alpha.name, world.alpha.slug) == ("Alpha Prime", "alpha")
    [event] = events(world.acme, A.TEAM_RENAMED)
    assert event.data == {"old": "Alpha", "new": "Alpha Prime"}


def test_rename_to_another_teams_name_is_refused(world, login):
    response = login(world.alice).post(team_url(world, world.alpha), {"name": "beta"})
    assert response.status_code == 400
    assert "A team with this name exists already." in response.content.decode()
    world.alpha.refresh_from_db()
    assert world.alpha.name == "Alpha"
    assert not events(world.acme, A.TEAM_RENAMED)


def test_rename_to_a_different_case_of_its_own_name_is_allowed(world, login):
    response = login(world.alice).post(team_url(world, world.alpha), {"name": "ALPHA"})
    assert response.status_code == 302
    world.alpha.refresh_from_db()
    assert world.alpha.name == "ALPHA"


def test_archive_and_restore_team_with_audit(world, login):
    client = login(world.alice)
    response = client.post(team_url(world, world.alpha), {"action": "archive"})
    assert response.status_code == 302
    assert "Team “Alpha” archived." in messages_of(response)
    world.alpha.refresh_from_db()
    assert world.alpha.is_archived()
    # Archived teams leave the choices for invitations and roles.
    page = client.get(reverse("admin_invitations", args=["acme"]))
    assert world.alpha not in page.context["form"].fields["team"].queryset

    response = client.post(team_url(world, world.alpha), {"action": "restore"})
    assert response.status_code == 302
    assert "Team “Alpha” restored." in messages_of(response)
    world.alpha.refresh_from_db()
    assert not world.alpha.is_archived()
    assert [e.action for e in AuditEvent.objects.order_by("id")] == [
        A.TEAM_ARCHIVED,
        A.TEAM_RESTORED,
    ]


def test_archiving_an_archived_team_records_nothing_more(world, login):
    client = login(world.alice)
    client.post(team_url(world, world.alpha), {"action": "archive"})
    client.post(team_url(world, world.alpha), {"action": "archive"})
    assert len(events(world.acme, A.TEAM_ARCHIVED)) == 1


def test_team_page_of_another_organisation_is_not_found(world, login):
    client = login(world.alice)
    response = client.post(
        reverse("admin_team_edit", args=["acme", world.other_team.slug]), {"action": "archive"}
    )
    assert response.status_code == 404
    world.other_team.refresh_from_db()
    assert not world.other_team.is_archived()


@pytest.mark.parametrize("actor", ["leo", "tess", "max"])
def test_team_pages_are_forbidden_to_non_admins(world, login, actor):
    client = login(getattr(world, actor))
    assert client.post(teams_url(world), {"name": "Sneaky"}).status_code == 403
    assert client.post(team_url(world, world.alpha), {"action": "archive"}).status_code == 403
    assert not Team.objects.filter(name="Sneaky").exists()
    world.alpha.refresh_from_db()
    assert not world.alpha.is_archived()


def test_team_pages_are_not_found_for_outsider(world, login):
    client = login(world.charlie)
    assert client.post(teams_url(world), {"name": "Sneaky"}).status_code == 404
    assert client.post(team_url(world, world.alpha), {"action": "archive"}).status_code == 404


def test_team_pages_refuse_other_methods(world, login):
    client = login(world.alice)
    assert client.put(teams_url(world)).status_code == 405
    assert client.delete(team_url(world, world.alpha)).status_code == 405
    assert Team.objects.filter(pk=world.alpha.pk).exists()


# --- Settings ----------------------------------------------------------------------------


def test_settings_change_is_saved_and_audited_with_old_and_new(world, login):
    response = login(world.alice).post(
        settings_url(world), {"name": "Acme", "anonymity_threshold": "5"}
    )
    assert response.status_code == 302
    assert "Settings saved." in messages_of(response)
    world.acme.refresh_from_db()
    assert world.acme.anonymity_threshold == 5
    [event] = events(world.acme, A.SETTINGS_CHANGED)
    assert event.actor == world.alice
    assert event.data == {"changes": {"anonymity_threshold": [3, 5]}}


def test_settings_name_and_threshold_change_together(world, login):
    response = login(world.alice).post(
        settings_url(world), {"name": "Acme Europe", "anonymity_threshold": "10"}
    )
    assert response.status_code == 302
    world.acme.refresh_from_db()
    assert (world.acme.name, world.acme.anonymity_threshold) == ("Acme Europe", 10)
    [event] = events(world.acme, A.SETTINGS_CHANGED)
    assert event.data == {
        "changes": {"name": ["Acme", "Acme Europe"], "anonymity_threshold": [3, 10]}
    }


def test_settings_saved_without_change_records_nothing(world, login):
    response = login(world.alice).post(
        settings_url(world), {"name": "Acme", "anonymity_threshold": "3"}
    )
    assert response.status_code == 302
    assert not events(world.acme, A.SETTINGS_CHANGED)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("1", "Ensure this value is greater than or equal to 2."),
        ("51", "Ensure this value is less than or equal to 50."),
        ("abc", "Enter a whole number."),
        ("-3", "Ensure this value is greater than or equal to"),
        ("", "This field is required."),
    ],
)
def test_threshold_out_of_range_is_refused_and_the_typed_value_stays(world, login, value, error):
    response = login(world.alice).post(
        settings_url(world), {"name": "Acme Renamed", "anonymity_threshold": value}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert f'name="anonymity_threshold" value="{value}"' in body or (
        value == "" and 'name="anonymity_threshold"' in body
    )
    assert 'value="Acme Renamed"' in body  # the typed name too
    org = Organization.objects.get(pk=world.acme.pk)
    assert (org.name, org.anonymity_threshold) == ("Acme", 3)
    assert not events(world.acme, A.SETTINGS_CHANGED)
    # The page header still shows the saved name, not the rejected one.
    assert '<p class="rc-eyebrow">Acme</p>' in body


def test_huge_organisation_name_is_refused(world, login):
    response = login(world.alice).post(
        settings_url(world), {"name": "x" * 10_000, "anonymity_threshold": "3"}
    )
    assert response.status_code == 400
    world.acme.refresh_from_db()
    assert world.acme.name == "Acme"


@pytest.mark.parametrize("actor", ["leo", "tess", "max"])
def test_settings_are_forbidden_to_non_admins(world, login, actor):
    response = login(getattr(world, actor)).post(
        settings_url(world), {"name": "Acme", "anonymity_threshold": "2"}
    )
    assert response.status_code == 403
    world.acme.refresh_from_db()
    assert world.acme.anonymity_threshold == 3


def test_settings_are_not_found_for_outsider(world, login):
    response = login(world.charlie).post(
        settings_url(world), {"name": "Hacked", "anonymity_threshold": "2"}
    )
    assert response.status_code == 404
    world.acme.refresh_from_db()
    assert world.acme.name == "Acme"


# --- Audit log page ---------------------------------------------------------------------


def _record_events(world, count: int, actor=None, action=A.TEAM_RENAMED) -> None:
    start = timezone.now() - timedelta(hours=1)
    for i in range(count):
        event = audit.record(world.acme, actor or world.alice, action, world.alpha, n=i)
        AuditEvent.objects.filter(pk=event.pk).update(created_at=start + timedelta(seconds=i))


def test_audit_log_paginates_newest_first(world, login):
    _record_events(world, 30)
    client = login(world.alice)
    first = client.get(audit_url(world))
    assert first.status_code == 200
    rows = list(first.context["page"].object_list)
    assert len(rows) == 25
    assert [e.data["n"] for e in rows] == list(range(29, 4, -1))
    second = client.get(audit_url(world) + "?page=2")
    assert [e.data["n"] for e in second.context["page"].object_list] == [4, 3, 2, 1, 0]


def test_audit_log_filters_by_actor(world, login):
    _record_events(world, 3, actor=world.alice)
    _record_events(world, 2, actor=world.leo)
    response = login(world.alice).get(audit_url(world), {"actor": world.leo.pk})
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert len(rows) == 2
    assert {e.actor for e in rows} == {world.leo}


def test_audit_log_filters_by_action(world, login):
    _record_events(world, 3, action=A.TEAM_RENAMED)
    _record_events(world, 2, action=A.TEAM_ARCHIVED)
    response = login(world.alice).get(audit_url(world), {"action": A.TEAM_ARCHIVED})
    rows = list(response.context["page"].object_list)
    assert len(rows) == 2
    assert {e.action for e in rows} == {A.TEAM_ARCHIVED}


def test_audit_log_filter_is_kept_in_pagination_links(world, login):
    _record_events(world, 30, action=A.TEAM_ARCHIVED)
    response = login(world.alice).get(audit_url(world), {"action": A.TEAM_ARCHIVED})
    assert "?action=team.archived&amp;page=2" in response.content.decode()


def test_audit_log_shows_only_this_organisations_events(world, login):
    audit.record(world.other, world.charlie, A.TEAM_CREATED, world.other_team)
    _record_events(world, 1)
    response = login(world.alice).get(audit_url(world))
    rows = list(response.context["page"].object_list)
    assert [e.organization_id for e in rows] == [world.acme.pk]
    assert "charlie@example.com" not in response.content.decode()


def test_audit_log_filter_by_outsider_actor_shows_nothing(world, login):
    audit.record(world.other, world.charlie, A.TEAM_CREATED, world.other_team)
    response = login(world.alice).get(audit_url(world), {"actor": world.charlie.pk})
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []


@pytest.mark.parametrize("query", [{"actor": "abc"}, {"action": "nope"}, {"actor": "9" * 30}])
def test_audit_log_bad_filter_values_do_not_break_the_page(world, login, query):
    _record_events(world, 2)
    response = login(world.alice).get(audit_url(world), query)
    assert response.status_code == 200


def test_audit_log_keeps_reading_after_the_actor_is_deleted(world, login):
    _record_events(world, 1, actor=world.leo)
    world.leo.delete()
    response = login(world.alice).get(audit_url(world))
    assert "leo@example.com" in response.content.decode()


def test_audit_page_query_count_does_not_grow_with_events(world, login):
    client = login(world.alice)
    _record_events(world, 5)
    client.get(audit_url(world))  # warm up anything cached per process
    with CaptureQueriesContext(connection) as five:
        assert client.get(audit_url(world)).status_code == 200
    _record_events(world, 35, actor=world.leo, action=A.TEAM_ARCHIVED)
    with CaptureQueriesContext(connection) as forty:
        assert client.get(audit_url(world)).status_code == 200
    assert len(five) == len(forty), [q["sql"] for q in forty]


def test_audit_page_query_count_is_pinned(world, login, django_assert_num_queries):
    client = login(world.alice)
    _record_events(world, 40)
    client.get(audit_url(world))
    # session, user, membership, navigation, actor choices, count, page
    with django_assert_num_queries(7):
        client.get(audit_url(world))


@pytest.mark.parametrize("actor", ["leo", "tess", "max"])
def test_audit_log_is_forbidden_to_non_admins(world, login, actor):
    assert login(getattr(world, actor)).get(audit_url(world)).status_code == 403


def test_audit_log_is_not_found_for_outsider(world, login):
    assert login(world.charlie).get(audit_url(world)).status_code == 404


def test_audit_log_refuses_post(world, login):
    assert login(world.alice).post(audit_url(world)).status_code == 405


# --- A new team joins the cycles ahead (issue 14) ----------------------------------------------


def make_cycle_in(world, name: str, state: str, days_left: int = 20):
    from assessments.models import Cycle
    from assessments.services import publish_instrument

    today = timezone.localdate()
    cycle = Cycle.objects.create(
        organization=world.acme,
        name=name,
        slug=name.lower().replace(" ", "-"),
        instrument=publish_instrument("1"),
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=days_left),
        state=state,
    )
    cycle.teams.set([world.alpha])
    return cycle


def test_new_team_form_offers_open_and_draft_cycles_checked_by_default(world, login):
    make_cycle_in(world, "2026 Q4", "open")
    make_cycle_in(world, "2027 Q1", "draft")
    make_cycle_in(world, "2026 Q3", "closed")
    make_cycle_in(world, "2026 Q2", "open", days_left=-1)  # past its closing date
    page = login(world.alice).get(teams_url(world))
    form = page.context["form"]
    assert [c.name for c in form.joinable_cycles] == ["2026 Q4", "2027 Q1"]
    html = page.content.decode()
    assert "Add to open and draft cycles" in html
    assert "2026 Q4 (open), 2027 Q1 (draft)" in html
    assert 'name="add_to_cycles"' in html and "checked" in str(form["add_to_cycles"])


def test_new_team_form_without_cycles_ahead_does_not_offer_them(world, login):
    page = login(world.alice).get(teams_url(world))
    assert "add_to_cycles" not in page.context["form"].fields


def test_new_team_added_to_cycles_lets_its_invitees_find_their_cycle(
    world, login, client, mailoutbox, django_capture_on_commit_callbacks
):
    from .conftest import token_from_email

    open_cycle = make_cycle_in(world, "2026 Q4", "open")
    draft = make_cycle_in(world, "2027 Q1", "draft")
    admin = login(world.alice)
    response = admin.post(teams_url(world), {"name": "Gamma", "add_to_cycles": "on"})
    assert response.status_code == 302
    gamma = Team.objects.get(organization=world.acme, name="Gamma")
    assert set(gamma.cycles.all()) == {open_cycle, draft}
    assert "Team “Gamma” created. It takes part in 2026 Q4, 2027 Q1." in messages_of(response)
    assert len(events(world.acme, A.CYCLE_CHANGED)) == 2

    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("admin_invitations", args=["acme"]),
            {"email": "gina@example.com", "role": "member", "team": gamma.pk},
        )
    token = token_from_email(mailoutbox[-1].body)
    client.logout()
    password = "a long enough new passphrase"
    joined = client.post(
        reverse("invitation_accept", args=[token]),
        {"name": "Gina", "password1": password, "password2": password},
    )
    assert joined.status_code == 302
    rows = client.get(reverse("cycles", args=["acme"])).context["rows"]
    answerable = [r["cycle"].name for r in rows if r["can_answer"]]
    assert answerable == ["2026 Q4"]
    start = client.get(reverse("response_start", args=["acme", open_cycle.slug, gamma.slug]))
    assert start.status_code in {200, 302}


def test_new_team_left_out_of_cycles_when_unticked(world, login):
    make_cycle_in(world, "2026 Q4", "open")
    login(world.alice).post(teams_url(world), {"name": "Gamma"})  # an unticked box is absent
    gamma = Team.objects.get(organization=world.acme, name="Gamma")
    assert not gamma.cycles.exists()
    assert not events(world.acme, A.CYCLE_CHANGED)


# --- Reserved slugs (issue 17) --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["New", "export", "Admin"])
def test_team_named_like_a_page_gets_a_slug_of_its_own(world, login, name):
    login(world.alice).post(teams_url(world), {"name": name})
    team = Team.objects.get(organization=world.acme, name=name)
    assert team.slug == f"{name.lower()}-2"


def test_every_literal_beside_a_slug_in_the_url_patterns_is_reserved():
    from orgs.services import reserved_slugs

    reserved = reserved_slugs()
    # /o/new/ beside /o/<org>/, /admin/cycles/new/ beside /admin/cycles/<cycle>/.
    assert {"new", "export", "admin"} <= reserved
    # The password reset pages beside /password/reset/<uidb64>/<token>/.
    assert {"done", "complete"} <= reserved
    # Ordinary words are not.
    assert not {"alpha", "2026-q4", "acme"} & reserved
