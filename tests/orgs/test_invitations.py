"""Invitations: sending, accepting (new and existing accounts), resending, revoking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.progress import answer_time
from assessments.services import instrument_for
from orgs import services
from orgs.forms import AcceptInvitationForm
from orgs.models import AuditEvent, Invitation, Membership, Role, User
from tests.builders import PASSWORD

from .conftest import accept_path, events, messages_of, token_from_email

A = AuditEvent.Action
NEW_PASSWORD = "a long enough new passphrase"


def invitations_url(world) -> str:
    return reverse("admin_invitations", args=[world.acme.slug])


def revoke_url(world, invitation: Invitation) -> str:
    return reverse("admin_invitation_revoke", args=[world.acme.slug, invitation.pk])


def resend_url(world, invitation: Invitation) -> str:
    return reverse("admin_invitation_resend", args=[world.acme.slug, invitation.pk])


def accept_form(name: str = "Nora New", password: str = NEW_PASSWORD, again: str | None = None):
    return {"name": name, "password1": password, "password2": password if again is None else again}


# --- Sending -----------------------------------------------------------------------


def test_admin_invite_sends_email_with_accept_link_and_audits(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    client = login(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invitations_url(world),
            {"email": "Nora@Example.com", "role": Role.MEMBER, "team": world.alpha.pk},
        )

    assert response.status_code == 302
    assert response["Location"] == invitations_url(world)
    assert "Invitation sent to nora@example.com." in messages_of(response)
    invitation = Invitation.objects.get(organization=world.acme)
    assert (invitation.email, invitation.role, invitation.team) == (
        "nora@example.com",
        Role.MEMBER,
        world.alpha,
    )
    assert invitation.invited_by == world.alice
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["nora@example.com"]
    assert "Acme" in mail.subject
    token = token_from_email(mail.body)
    assert Invitation.find_by_token(token) == invitation
    # Only the hash is stored, never the token itself.
    assert invitation.token_hash != token
    assert token not in str(Invitation.objects.filter(pk=invitation.pk).values().get())
    [event] = events(world.acme, A.INVITATION_SENT)
    assert event.actor == world.alice
    assert event.data == {"email": "nora@example.com", "role": Role.MEMBER}


def test_invitation_expires_after_seven_days_by_default(
    world, login, django_capture_on_commit_callbacks
):
    client = login(world.alice)
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(invitations_url(world), {"email": "nora@example.com", "role": Role.LEADER})
    after = timezone.now()
    invitation = Invitation.objects.get(email="nora@example.com")
    assert before + timedelta(days=7) <= invitation.expires_at <= after + timedelta(days=7)
    assert invitation.expires_at - invitation.sent_at == timedelta(days=7)


def test_no_email_is_sent_before_the_invitation_is_committed(world, login, mailoutbox):
    # Without running on-commit callbacks, the transaction never commits in this test:
    # the email must wait for the commit rather than go out for a row that may roll back.
    client = login(world.alice)
    response = client.post(invitations_url(world), {"email": "nora@example.com", "role": "leader"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_invitation_email_goes_out_when_the_organisation_name_has_a_line_break(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    # Names come from a text field that lets a pasted line break through; an email
    # subject may not contain one.
    client = login(world.alice)
    client.post(
        reverse("admin_settings", args=["acme"]),
        {"name": "Acme\r\nResearch", "anonymity_threshold": "3"},
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invitations_url(world), {"email": "nora@example.com", "role": "leader"}
        )
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "\n" not in mailoutbox[0].subject
    assert "Acme" in mailoutbox[0].subject and "Research" in mailoutbox[0].subject


@pytest.mark.parametrize("role", [Role.MEMBER, Role.TEAM_LEAD])
def test_invitation_for_team_role_without_team_is_refused_with_form_error(
    world, login, mailoutbox, role
):
    client = login(world.alice)
    response = client.post(invitations_url(world), {"email": "nora@example.com", "role": role})
    assert response.status_code == 400
    assert response.context["form"].errors["team"] == ["A team lead or member needs a team."]
    assert "A team lead or member needs a team." in response.content.decode()
    assert not Invitation.objects.exists()
    assert not events(world.acme, A.INVITATION_SENT)
    assert mailoutbox == []


def test_invitation_to_an_archived_team_is_refused(world, login):
    services.set_team_archived(world.alice, world.beta, archived=True)
    client = login(world.alice)
    response = client.post(
        invitations_url(world),
        {"email": "nora@example.com", "role": "member", "team": world.beta.pk},
    )
    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_invitation_with_a_team_of_another_organisation_is_refused(world, login):
    client = login(world.alice)
    response = client.post(
        invitations_url(world),
        {"email": "nora@example.com", "role": "member", "team": world.other_team.pk},
    )
    assert response.status_code == 400
    assert "team" in response.context["form"].errors
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("email", ["max@example.com", "MAX@Example.COM"])
def test_inviting_an_existing_member_is_refused_with_message(world, login, email):
    client = login(world.alice)
    response = client.post(
        invitations_url(world), {"email": email, "role": "member", "team": world.alpha.pk}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "This person is already a member of the organisation."
    ]
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.exists()


def test_inviting_an_address_with_a_pending_invitation_is_refused_with_message(
    world, login, make_invitation
):
    make_invitation("nora@example.com")
    client = login(world.alice)
    response = client.post(invitations_url(world), {"email": "Nora@example.com", "role": "leader"})
    assert response.status_code == 400
    assert response.context["form"].errors["email"] == [
        "An invitation to this address is already pending: resend or revoke it."
    ]
    assert Invitation.objects.count() == 1


def test_an_address_whose_invitation_expired_can_be_invited_again(world, login, make_invitation):
    old, _ = make_invitation("nora@example.com")
    Invitation.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    client = login(world.alice)
    response = client.post(invitations_url(world), {"email": "nora@example.com", "role": "leader"})
    assert response.status_code == 302
    assert Invitation.objects.filter(email="nora@example.com").count() == 2


def test_invitations_page_lists_open_invitations_only(world, login, make_invitation):
    make_invitation("open@example.com")
    used, _ = make_invitation("used@example.com")
    Invitation.objects.filter(pk=used.pk).update(accepted_at=timezone.now())
    client = login(world.alice)
    response = client.get(invitations_url(world))
    assert response.status_code == 200
    listed = [inv.email for inv in response.context["page"].object_list]
    assert listed == ["open@example.com"]


# --- Accepting -----------------------------------------------------------------------


def test_accept_as_new_user_creates_account_signs_in_and_joins_with_role_and_team(
    world, client, make_invitation
):
    invitation, token = make_invitation("nora@example.com", role=Role.TEAM_LEAD, team=world.beta)
    page = client.get(accept_path(token))
    assert page.status_code == 200
    assert "Join Acme" in page.content.decode()

    response = client.post(accept_path(token), accept_form(name="Nora New"))

    assert response.status_code == 302
    assert response["Location"] == reverse("org_home", args=["acme"])
    user = User.objects.get(email="nora@example.com")
    assert user.name == "Nora New"
    assert user.check_password(NEW_PASSWORD)
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.team) == (
        world.acme,
        Role.TEAM_LEAD,
        world.beta,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get(reverse("org_home", args=["acme"])).status_code == 200
    [event] = events(world.acme, A.INVITATION_ACCEPTED)
    assert event.actor == user
    assert event.target_id == str(invitation.pk)


def test_accept_as_existing_user_asks_to_sign_in_first(world, client, make_invitation):
    charlie = world.charlie  # has an account (in "other"), not in acme
    _, token = make_invitation("charlie@example.com", role=Role.LEADER, team=None)

    page = client.get(accept_path(token))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Sign in to accept" in body
    assert f"{reverse('login')}?next={accept_path(token)}" in body
    # Posting without signing in neither creates nor joins anything.
    client.post(accept_path(token), accept_form())
    assert not Membership.objects.filter(user=charlie, organization=world.acme).exists()
    assert User.objects.filter(email="charlie@example.com").count() == 1

    signed_in = client.post(
        f"{reverse('login')}?next={accept_path(token)}",
        {"username": "charlie@example.com", "password": PASSWORD, "next": accept_path(token)},
    )
    assert signed_in.status_code == 302
    assert signed_in["Location"] == accept_path(token)
    assert client.get(accept_path(token)).status_code == 200

    response = client.post(accept_path(token))
    assert response.status_code == 302
    assert response["Location"] == reverse("org_home", args=["acme"])
    membership = Membership.objects.get(user=charlie, organization=world.acme)
    assert (membership.role, membership.team) == (Role.LEADER, None)
    # The other organisation's membership is untouched.
    assert Membership.objects.filter(user=charlie, organization=world.other).exists()
    [event] = events(world.acme, A.INVITATION_ACCEPTED)
    assert event.actor == charlie


def test_accept_while_signed_in_as_another_email_is_refused_and_changes_nothing(
    world, login, make_invitation
):
    invitation, token = make_invitation("nora@example.com")
    client = login(world.bob)
    for method in ("get", "post"):
        response = getattr(client, method)(accept_path(token))
        assert response.status_code == 403
        body = response.content.decode()
        assert "This invitation is for someone else" in body
        assert "bob@example.com" in body and "nora@example.com" in body
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not User.objects.filter(email="nora@example.com").exists()
    assert Membership.objects.filter(user=world.bob).get().team == world.beta
    assert not events(world.acme, A.INVITATION_ACCEPTED)


def test_reused_link_after_acceptance_is_gone(world, client, make_invitation):
    _, token = make_invitation("nora@example.com")
    assert client.post(accept_path(token), accept_form()).status_code == 302
    client.logout()

    for method in ("get", "post"):
        response = getattr(client, method)(accept_path(token), accept_form())
        assert response.status_code == 410
        assert "This invitation was already used" in response.content.decode()
    assert Membership.objects.filter(user__email="nora@example.com").count() == 1


def test_expired_link_is_gone(world, client, make_invitation):
    invitation, token = make_invitation("nora@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for method in ("get", "post"):
        response = getattr(client, method)(accept_path(token), accept_form())
        assert response.status_code == 410
        assert "This invitation has expired" in response.content.decode()
    assert not User.objects.filter(email="nora@example.com").exists()


def test_revoked_link_is_gone(world, login, make_invitation):
    invitation, token = make_invitation("nora@example.com")
    client = login(world.alice)
    assert client.post(revoke_url(world, invitation)).status_code == 302
    client.logout()
    for method in ("get", "post"):
        response = getattr(client, method)(accept_path(token), accept_form())
        assert response.status_code == 410
        assert "This invitation was withdrawn" in response.content.decode()
    assert not User.objects.filter(email="nora@example.com").exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
        lambda t: t[:10],
        lambda t: "nonsense",
        lambda t: t + "x" * 5000,
    ],
    ids=["one-char-changed", "truncated", "unknown", "huge"],
)
def test_tampered_or_unknown_token_is_not_found_with_clear_message(
    world, client, make_invitation, mangle
):
    _, token = make_invitation("nora@example.com")
    response = client.get(accept_path(mangle(token)))
    assert response.status_code == 404
    body = response.content.decode()
    assert "This invitation link is not valid" in body
    assert "Acme" not in body  # an unknown link says nothing about the organisation
    response = client.post(accept_path(mangle(token)), accept_form())
    assert response.status_code == 404
    assert not User.objects.filter(email="nora@example.com").exists()


@pytest.mark.parametrize(
    ("form", "error"),
    [
        (accept_form(password="short1"), "This password is too short"),
        (accept_form(password=NEW_PASSWORD, again=NEW_PASSWORD + "!"), "The two passwords differ."),
        (accept_form(password="12345678901"), "This password is entirely numeric."),
        (accept_form(password="password123"), "This password is too common."),
    ],
    ids=["too-short", "mismatch", "numeric", "common"],
)
def test_bad_password_on_acceptance_is_refused_keeping_the_typed_name(
    world, client, make_invitation, form, error
):
    invitation, token = make_invitation("nora@example.com")
    form["name"] = "Nora Typed-Name"
    response = client.post(accept_path(token), form)
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body
    assert 'value="Nora Typed-Name"' in body
    assert not User.objects.filter(email="nora@example.com").exists()
    assert not Membership.objects.filter(organization=world.acme, user__email="nora@example.com")
    invitation.refresh_from_db()
    assert invitation.is_pending()
    assert "_auth_user_id" not in client.session


def test_password_too_similar_to_the_invited_email_is_refused(world, client, make_invitation):
    _, token = make_invitation("nora.newcomer@example.com")
    response = client.post(
        accept_path(token), accept_form(name="N", password="nora.newcomer@example.com")
    )
    assert response.status_code == 400
    assert "too similar" in response.content.decode()
    assert not User.objects.filter(email="nora.newcomer@example.com").exists()


def test_missing_name_on_acceptance_is_refused(world, client, make_invitation):
    _, token = make_invitation("nora@example.com")
    response = client.post(accept_path(token), accept_form(name=""))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not User.objects.filter(email="nora@example.com").exists()


def test_failed_acceptance_as_new_user_creates_no_account(world, client, make_invitation):
    # The invitation's team was archived after it was sent: joining fails, and the account
    # created for it must not be left behind without a membership.
    _, token = make_invitation("nora@example.com", role=Role.MEMBER, team=world.beta)
    services.set_team_archived(world.alice, world.beta, archived=True)
    response = client.post(accept_path(token), accept_form())
    assert response.status_code == 409
    assert "The team of this invitation no longer exists" in response.content.decode()
    assert not User.objects.filter(email="nora@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_wrong_user_can_sign_out_and_come_back_to_the_link(world, login, make_invitation):
    _, token = make_invitation("nora@example.com")
    client = login(world.bob)
    page = client.get(accept_path(token))
    assert "Sign out and continue" in page.content.decode()
    response = client.post(reverse("logout"), {"next": accept_path(token)})
    assert response.status_code == 302
    assert response["Location"] == accept_path(token)
    again = client.get(accept_path(token))
    assert again.status_code == 200
    assert "Create your account for" in again.content.decode()


def test_two_acceptances_of_the_same_link_make_one_membership(world, make_invitation):
    _, token = make_invitation("charlie@example.com", role=Role.LEADER, team=None)
    first, second = Client(), Client()
    for c in (first, second):
        c.force_login(world.charlie, backend="django.contrib.auth.backends.ModelBackend")
        assert c.get(accept_path(token)).status_code == 200  # both tabs show the button
    assert first.post(accept_path(token)).status_code == 302
    again = second.post(accept_path(token))
    assert again.status_code == 410
    assert Membership.objects.filter(user=world.charlie, organization=world.acme).count() == 1
    assert len(events(world.acme, A.INVITATION_ACCEPTED)) == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_accept_link_allows_only_get_and_post(world, client, make_invitation, method):
    _, token = make_invitation("nora@example.com")
    response = getattr(client, method)(accept_path(token))
    assert response.status_code == 405
    assert not User.objects.filter(email="nora@example.com").exists()


# --- Concurrent acceptance (real transactions, two threads) ----------------------------


def _run_in_threads(*targets):
    errors: list[BaseException] = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as error:  # reported to the test below
                errors.append(error)
            finally:
                connection.close()

        return run

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_new_account_acceptances_make_one_account_and_no_error(
    world, make_invitation, monkeypatch
):
    _, token = make_invitation("nora@example.com")
    # Both requests pass the form check before either creates the account.
    barrier = threading.Barrier(2, timeout=10)
    original_is_valid = AcceptInvitationForm.is_valid

    def is_valid_then_wait(self):
        result = original_is_valid(self)
        barrier.wait()
        return result

    monkeypatch.setattr(AcceptInvitationForm, "is_valid", is_valid_then_wait)
    statuses: list[int] = []

    def accept():
        # The test client's exception hook is process-wide: read status codes instead.
        client = Client(raise_request_exception=False)
        statuses.append(client.post(accept_path(token), accept_form()).status_code)

    errors = _run_in_threads(accept, accept)

    assert errors == []
    assert sorted(statuses) == [302, 409]
    assert User.objects.filter(email="nora@example.com").count() == 1
    assert Membership.objects.filter(user__email="nora@example.com").count() == 1
    assert len(events(world.acme, A.INVITATION_ACCEPTED)) == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_by_a_signed_in_user_make_one_membership(
    world, make_invitation
):
    _, token = make_invitation("charlie@example.com", role=Role.LEADER, team=None)
    barrier = threading.Barrier(2, timeout=10)
    statuses: list[int] = []

    def accept():
        c = Client(raise_request_exception=False)
        c.force_login(world.charlie, backend="django.contrib.auth.backends.ModelBackend")
        barrier.wait()
        statuses.append(c.post(accept_path(token)).status_code)

    errors = _run_in_threads(accept, accept)

    assert errors == []
    assert 302 in statuses and len(statuses) == 2
    assert sorted(statuses)[1] in {409, 410}
    assert Membership.objects.filter(user=world.charlie, organization=world.acme).count() == 1


# --- Resending and revoking ----------------------------------------------------------


def test_resend_gives_a_new_link_and_the_old_one_stops_working(
    world, login, mailoutbox, django_capture_on_commit_callbacks, make_invitation
):
    invitation, old_token = make_invitation("nora@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() + timedelta(days=4)
    )
    client = login(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(resend_url(world, invitation))
    assert response.status_code == 302
    assert any("new link was sent" in m for m in messages_of(response))
    assert len(mailoutbox) == 1
    new_token = token_from_email(mailoutbox[0].body)
    assert new_token != old_token
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)
    [event] = events(world.acme, A.INVITATION_RESENT)
    assert event.actor == world.alice

    client.logout()
    old = client.get(accept_path(old_token))
    assert old.status_code == 404
    assert "This invitation link is not valid" in old.content.decode()
    assert client.get(accept_path(new_token)).status_code == 200
    assert client.post(accept_path(new_token), accept_form()).status_code == 302
    assert Membership.objects.filter(user__email="nora@example.com").exists()


def test_resending_an_expired_invitation_revives_it(
    world, login, mailoutbox, django_capture_on_commit_callbacks, make_invitation
):
    invitation, _ = make_invitation("nora@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    client = login(world.alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend_url(world, invitation))
    invitation.refresh_from_db()
    assert invitation.is_pending()
    client.logout()
    assert client.get(accept_path(token_from_email(mailoutbox[0].body))).status_code == 200


def test_revoke_stops_the_link_and_audits(world, login, make_invitation):
    invitation, _ = make_invitation("nora@example.com")
    client = login(world.alice)
    response = client.post(revoke_url(world, invitation))
    assert response.status_code == 302
    assert any("revoked" in m for m in messages_of(response))
    invitation.refresh_from_db()
    assert invitation.status() == "revoked"
    [event] = events(world.acme, A.INVITATION_REVOKED)
    assert (event.actor, event.data) == (world.alice, {"email": "nora@example.com"})


def test_revoking_an_accepted_invitation_is_refused_with_message(world, login, make_invitation):
    invitation, token = make_invitation("nora@example.com")
    Client().post(accept_path(token), accept_form())
    client = login(world.alice)
    response = client.post(revoke_url(world, invitation))
    assert response.status_code == 302
    assert "This invitation was already accepted or revoked." in messages_of(response)
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert Membership.objects.filter(user__email="nora@example.com").exists()
    assert not events(world.acme, A.INVITATION_REVOKED)


def test_resending_an_accepted_invitation_is_refused_with_message(
    world, login, mailoutbox, make_invitation
):
    invitation, token = make_invitation("nora@example.com")
    Client().post(accept_path(token), accept_form())
    hash_before = Invitation.objects.get(pk=invitation.pk).token_hash
    client = login(world.alice)
    response = client.post(resend_url(world, invitation))
    assert response.status_code == 302
    assert "Only pending or expired invitations can be resent." in messages_of(response)
    assert Invitation.objects.get(pk=invitation.pk).token_hash == hash_before
    assert mailoutbox == []


@pytest.mark.parametrize("actor", ["leo", "tess", "max"])
@pytest.mark.parametrize("url", [revoke_url, resend_url], ids=["revoke", "resend"])
def test_revoke_and_resend_by_non_admin_is_forbidden(world, login, make_invitation, actor, url):
    invitation, token = make_invitation("nora@example.com")
    response = login(getattr(world, actor)).post(url(world, invitation))
    assert response.status_code == 403
    invitation.refresh_from_db()
    assert invitation.is_pending()
    assert Invitation.find_by_token(token) == invitation


@pytest.mark.parametrize("url", [revoke_url, resend_url], ids=["revoke", "resend"])
def test_revoke_and_resend_by_outsider_is_not_found(world, login, make_invitation, url):
    invitation, token = make_invitation("nora@example.com")
    response = login(world.charlie).post(url(world, invitation))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending()
    assert Invitation.find_by_token(token) == invitation


@pytest.mark.parametrize("url", [revoke_url, resend_url], ids=["revoke", "resend"])
def test_revoke_and_resend_of_another_organisations_invitation_is_not_found(
    world, login, make_invitation, url
):
    # charlie's invitation id used in acme's URLs by acme's admin.
    invitation, _ = make_invitation("nora@example.com", org=world.other, team=world.other_team)
    response = login(world.alice).post(url(world, invitation))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending()


@pytest.mark.parametrize("url", [revoke_url, resend_url], ids=["revoke", "resend"])
def test_revoke_and_resend_need_post(world, login, make_invitation, url):
    invitation, _ = make_invitation("nora@example.com")
    response = login(world.alice).get(url(world, invitation))
    assert response.status_code == 405
    invitation.refresh_from_db()
    assert invitation.is_pending()


def test_revoke_and_resend_send_anonymous_visitors_to_sign_in(world, client, make_invitation):
    invitation, _ = make_invitation("nora@example.com")
    for url in (revoke_url(world, invitation), resend_url(world, invitation)):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("actor", ["leo", "tess", "max", "bob"])
def test_invitations_page_is_forbidden_to_non_admins(world, login, actor):
    client = login(getattr(world, actor))
    assert client.get(invitations_url(world)).status_code == 403
    response = client.post(invitations_url(world), {"email": "nora@example.com", "role": "leader"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_invitations_page_is_not_found_for_outsider(world, login):
    response = login(world.charlie).post(
        invitations_url(world), {"email": "nora@example.com", "role": "leader"}
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_invitations_page_rejects_other_methods(world, login):
    assert login(world.alice).put(invitations_url(world)).status_code == 405


def test_existing_member_of_the_org_cannot_accept_a_second_invitation(world, make_invitation):
    # Created directly (the form refuses it): the service still refuses a second membership.
    invitation, _ = make_invitation("max@example.com", role=Role.LEADER, team=None)
    with pytest.raises(Exception, match="already a member"):
        services.accept_invitation(invitation, world.max)
    assert Membership.objects.get(user=world.max).role == Role.MEMBER


def test_new_user_can_sign_in_with_the_chosen_password_after_accepting(world, make_invitation):
    _, token = make_invitation("nora@example.com")
    Client().post(accept_path(token), accept_form())
    fresh = Client()
    response = fresh.post(
        reverse("login"), {"username": "nora@example.com", "password": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert int(fresh.session["_auth_user_id"]) == User.objects.get(email="nora@example.com").pk


# --- The role is chosen, never defaulted (issue 14) -----------------------------------------


def test_invitation_with_only_an_email_is_refused_and_makes_no_admin(world, login, mailoutbox):
    response = login(world.alice).post(invitations_url(world), {"email": "nora@example.com"})
    assert response.status_code == 400
    assert "Choose the role this person will have." in response.content.decode()
    assert not Invitation.objects.filter(organization=world.acme).exists()
    assert mailoutbox == []


def test_invitation_form_preselects_no_role(world, login):
    form = login(world.alice).get(invitations_url(world)).context["form"]
    assert form["role"].value() in {None, ""}
    html = str(form["role"])
    assert '<option value="" selected>Choose a role…</option>' in html
    assert 'value="org_admin" selected' not in html


# --- What to expect, up front ------------------------------------------------------


def _invite(world, team, email="nora@example.com"):
    return services.invite(
        world.alice,
        world.acme,
        email,
        Role.MEMBER if team else Role.LEADER,
        team,
        lambda token: f"http://testserver/invite/{token}/",
    )


def test_invitation_to_a_team_in_an_open_cycle_says_how_long_and_until_when(
    world, cycle, mailoutbox, django_capture_on_commit_callbacks
):
    time = answer_time(instrument_for(cycle.instrument.version))
    with django_capture_on_commit_callbacks(execute=True):
        sent = _invite(world, world.alpha)
    expected = (
        f"{cycle.name} is open until {cycle.closes_on:%-d %B %Y}. The questionnaire takes "
        f"about {time.low_minutes}–{time.high_minutes} minutes ({time.questions} questions)"
    )
    assert expected in mailoutbox[0].body
    page = Client().get(accept_path(sent.token)).content.decode()
    assert f"{cycle.name} is open until {cycle.closes_on:%-d %B %Y}." in page
    assert f"about {time.low_minutes}–{time.high_minutes} minutes" in page


def test_invitation_without_an_open_cycle_promises_no_questionnaire(
    world, cycle, mailoutbox, django_capture_on_commit_callbacks
):
    cycle.teams.remove(world.alpha)
    with django_capture_on_commit_callbacks(execute=True):
        _invite(world, world.alpha)
        _invite(world, None, email="lena@example.com")  # a leader belongs to no team
    assert all("minutes" not in mail.body for mail in mailoutbox)
    assert len(mailoutbox) == 2
