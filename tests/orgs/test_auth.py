"""Sign-in, sign-out, password change and reset, sign-up, and where a new user lands."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from orgs.models import AuditEvent, Membership, Organization, Role, User
from tests.builders import PASSWORD

from .conftest import events, messages_of

NEW_PASSWORD = "another long passphrase 42"


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post(reverse("login"), {"username": email, "password": password, **extra})


def signed_in_user_id(client) -> int | None:
    value = client.session.get("_auth_user_id")
    return int(value) if value else None


# --- Sign-in and sign-out ----------------------------------------------------------------


@pytest.mark.parametrize("typed", ["alice@example.com", "ALICE@Example.COM", "Alice@example.com"])
def test_sign_in_with_email_in_any_case(world, client, typed):
    response = sign_in(client, typed)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_user_id(client) == world.alice.pk
    # Home sends a member to their organisation.
    assert client.get(reverse("home"))["Location"] == reverse("org_home", args=["acme"])


def test_sign_in_follows_a_safe_next_url(world, client):
    response = sign_in(client, "alice@example.com", next="/o/acme/admin/members/")
    assert response["Location"] == "/o/acme/admin/members/"


def test_sign_in_ignores_an_offsite_next_url(world, client):
    response = sign_in(client, "alice@example.com", next="https://evil.example/")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("email", "password"),
    [("alice@example.com", "wrong password"), ("nobody@example.com", PASSWORD)],
    ids=["wrong-password", "unknown-email"],
)
def test_wrong_credentials_show_a_message_not_an_error(world, client, email, password):
    response = sign_in(client, email, password)
    assert response.status_code == 200
    assert "Please enter a correct email and password." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_inactive_user_cannot_sign_in(world, client):
    User.objects.filter(pk=world.max.pk).update(is_active=False)
    response = sign_in(client, "max@example.com")
    assert response.status_code == 200
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize(
    "form",
    [
        {"username": "a" * 10_000 + "@example.com", "password": "x"},
        {"username": "alice@example.com", "password": "x" * 10_000},
        {"username": "not-an-email", "password": "x"},
        {},
    ],
    ids=["huge-email", "huge-password", "not-an-email", "empty"],
)
def test_malformed_sign_in_never_errors(world, client, form):
    response = client.post(reverse("login"), form)
    assert response.status_code in {200, 400}
    assert signed_in_user_id(client) is None


def test_repeated_failures_lock_the_account_for_a_while(world, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "alice@example.com", "wrong password")
    response = sign_in(client, "alice@example.com")  # even the right password now
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert signed_in_user_id(client) is None


def test_lockout_cannot_be_dodged_by_changing_the_case_of_the_email(world, client, settings):
    for typed in ["alice@example.com", "Alice@example.com", "aLice@example.com"]:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, typed, "wrong password")
    response = sign_in(client, "ALICE@EXAMPLE.COM")
    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_sign_out_needs_post_and_ends_the_session(world, client):
    sign_in(client, "alice@example.com")
    assert client.get(reverse("logout")).status_code == 405
    assert signed_in_user_id(client) == world.alice.pk
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert signed_in_user_id(client) is None
    assert client.get(reverse("org_home", args=["acme"]))["Location"].startswith(reverse("login"))


def test_signed_in_user_visiting_sign_in_goes_home(world, login):
    response = login(world.alice).get(reverse("login"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_anonymous_home_goes_to_sign_in(client):
    assert client.get(reverse("home"))["Location"] == reverse("login")


# --- Password change and reset -------------------------------------------------------------


def test_password_change_keeps_session_and_new_password_works(world, client):
    sign_in(client, "alice@example.com")
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    assert client.get(reverse("password_change_done")).status_code == 200  # still signed in
    world.alice.refresh_from_db()
    assert world.alice.check_password(NEW_PASSWORD)
    assert not world.alice.check_password(PASSWORD)


def test_password_change_with_wrong_old_password_changes_nothing(world, client):
    sign_in(client, "alice@example.com")
    response = client.post(
        reverse("password_change"),
        {"old_password": "nope", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "Your old password was entered incorrectly" in response.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.check_password(PASSWORD)


def change_password(client, old: str):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )


def test_wrong_old_passwords_on_password_change_are_throttled_per_user(world, client, login):
    sign_in(client, "alice@example.com")
    for _ in range(5):
        assert change_password(client, "wrong guess").status_code == 400
    refused = change_password(client, PASSWORD)  # even the right one, for a while
    assert refused.status_code == 429
    assert "Too many wrong current passwords" in refused.content.decode()
    world.alice.refresh_from_db()
    assert world.alice.check_password(PASSWORD)
    # Another user is not affected.
    other = login(world.leo)
    assert change_password(other, PASSWORD).status_code == 302


def test_password_change_throttle_counts_only_wrong_old_passwords(world, client):
    sign_in(client, "alice@example.com")
    mismatch = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": "x"}
    for _ in range(6):
        assert client.post(reverse("password_change"), mismatch).status_code == 400
    assert change_password(client, PASSWORD).status_code == 302


def test_password_change_needs_sign_in(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_password_reset_email_and_confirm_flow(world, client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "Alice@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["alice@example.com"]
    link = re.search(
        r"https?://testserver(/accounts/password/reset/[^/\s]+/[^/\s]+/)", mailoutbox[0].body
    )
    assert link, mailoutbox[0].body

    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    world.alice.refresh_from_db()
    assert world.alice.check_password(NEW_PASSWORD)

    # The link works once.
    client.cookies.clear()
    reused = client.get(link.group(1), follow=True)
    assert reused.context["validlink"] is False
    assert "invalid or was already used" in reused.content.decode()
    fresh = client.__class__()
    assert sign_in(fresh, "alice@example.com", NEW_PASSWORD).status_code == 302


def test_password_reset_for_unknown_email_sends_nothing_and_says_the_same(db, client, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "ghost@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mailoutbox == []


# --- Sign-up: the email is confirmed before anything is created ----------------------------

CONFIRM_LINK = re.compile(r"https?://testserver(/accounts/signup/confirm/[^/\s]+/)")


def signup_form(**overrides) -> dict[str, str]:
    return {
        "name": "Sam Founder",
        "email": "sam@newco.example",
        "organization": "NewCo",
        **overrides,
    }


def password_form(password: str = NEW_PASSWORD, again: str | None = None) -> dict[str, str]:
    return {"password1": password, "password2": password if again is None else again}


def confirm_path(mailoutbox) -> str:
    [link] = CONFIRM_LINK.findall(mailoutbox[-1].body)
    return link


def sign_up(client, mailoutbox, **overrides):
    """Both steps: ask with the form, then confirm from the emailed link with a password."""
    assert client.post(reverse("signup"), signup_form(**overrides)).status_code == 200
    return client.post(confirm_path(mailoutbox), password_form())


def test_signup_sends_a_link_and_creates_nothing_until_it_is_confirmed(db, client, mailoutbox):
    response = client.post(reverse("signup"), signup_form(email="Sam@NewCo.example"))
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert not User.objects.exists() and not Organization.objects.exists()
    [mail] = mailoutbox
    assert mail.to == ["sam@newco.example"]
    assert "create NewCo" in mail.body and "expires in 24 hours" in mail.body
    page = client.get(confirm_path(mailoutbox))
    assert page.status_code == 200
    assert "sam@newco.example" in page.content.decode()
    assert not User.objects.exists()


def test_confirmed_signup_creates_user_organisation_admin_membership_and_audit(
    db, client, mailoutbox
):
    response = sign_up(client, mailoutbox, email="Sam@NewCo.example")
    assert response.status_code == 302
    user = User.objects.get(email="sam@newco.example")
    assert user.name == "Sam Founder"
    assert user.check_password(NEW_PASSWORD)
    org = Organization.objects.get(name="NewCo")
    assert org.slug == "newco"
    assert response["Location"] == reverse("admin_teams", args=[org.slug])
    membership = Membership.objects.get(user=user)
    assert (membership.organization, membership.role, membership.team) == (
        org,
        Role.ORG_ADMIN,
        None,
    )
    [event] = events(org, AuditEvent.Action.ORG_CREATED)
    assert event.actor == user
    assert signed_in_user_id(client) == user.pk
    assert any("NewCo is ready" in m for m in messages_of(response))
    assert client.get(reverse("admin_teams", args=[org.slug])).status_code == 200


def test_signup_link_works_once(db, client, mailoutbox):
    sign_up(client, mailoutbox)
    link = confirm_path(mailoutbox)
    client.logout()
    again = client.post(link, password_form("yet another long passphrase"))
    assert again.status_code == 410
    assert "This link was already used" in again.content.decode()
    assert client.get(link).status_code == 410
    assert Organization.objects.count() == 1
    assert User.objects.get().check_password(NEW_PASSWORD)


def test_signup_link_expires(db, client, mailoutbox, monkeypatch):
    import time

    client.post(reverse("signup"), signup_form())
    link = confirm_path(mailoutbox)
    later = time.time() + 25 * 3600
    monkeypatch.setattr("django.core.signing.time.time", lambda: later)
    response = client.post(link, password_form())
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-3] + "abc",
        lambda t: "x" + t,
        lambda t: "not-a-token",
        lambda t: "\u00e9" * 5000,
    ],
    ids=["tampered-signature", "tampered-data", "garbage", "huge"],
)
def test_tampered_signup_link_is_refused(db, client, mailoutbox, mangle):
    client.post(reverse("signup"), signup_form())
    token = confirm_path(mailoutbox).split("/")[-2]
    response = client.post(reverse("signup_confirm", args=[mangle(token)]), password_form())
    assert response.status_code == 404
    assert "This link is not valid" in response.content.decode()
    assert not User.objects.exists()


def test_a_signup_link_cannot_be_forged_from_an_invitation_or_reset_token(world, client):
    from django.core import signing

    forged = signing.dumps({"e": "evil@example.com", "n": "E", "o": "Evil"}, compress=True)
    response = client.get(reverse("signup_confirm", args=[forged]))  # right key, wrong salt
    assert response.status_code == 404


def test_signup_with_a_taken_organisation_name_gets_its_own_slug(world, client, mailoutbox):
    sign_up(client, mailoutbox, organization="Acme")
    org = Organization.objects.get(memberships__user__email="sam@newco.example")
    assert org.slug == "acme-2"
    assert world.acme.memberships.count() == 5


@pytest.mark.parametrize("name", ["New", "new"])
def test_organisation_named_new_gets_a_slug_that_does_not_clash_with_the_create_page(
    db, client, mailoutbox, name
):
    sign_up(client, mailoutbox, organization=name)
    org = Organization.objects.get(name=name)
    assert org.slug != "new"
    home = client.get(reverse("org_home", args=[org.slug]))
    assert home.status_code == 200
    assert home.context["m"].organization == org


@pytest.mark.parametrize("email", ["alice@example.com", "ALICE@EXAMPLE.COM"])
def test_signup_with_an_existing_email_answers_the_same_page_and_creates_nothing(
    world, client, mailoutbox, email
):
    known = client.post(reverse("signup"), signup_form(email=email))
    unknown = client.post(reverse("signup"), signup_form(email="nobody@example.com"))
    assert known.status_code == unknown.status_code == 200

    def page(response, address):
        html = response.content.decode().replace(address, "ADDRESS")
        return re.sub(r'"X-CSRFToken": "\w+"', "TOKEN", html)  # masked afresh each time

    assert page(known, email.lower()) == page(unknown, "nobody@example.com")
    assert not Organization.objects.filter(name="NewCo").exists()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    # The account holder learns about it by email, with a way in but no sign-up link.
    existing = mailoutbox[0]
    assert existing.to == ["alice@example.com"]
    assert "You already have an account" in existing.body
    assert "/accounts/login/" in existing.body and "/accounts/password/reset/" in existing.body
    assert not CONFIRM_LINK.search(existing.body)


def test_signup_link_for_an_address_that_got_an_account_meanwhile_is_used_up(
    world, client, mailoutbox, make_invitation
):
    client.post(reverse("signup"), signup_form(email="nora@example.com"))
    link = confirm_path(mailoutbox)
    User.objects.create_user("nora@example.com", PASSWORD)  # e.g. accepted an invitation
    response = client.post(link, password_form())
    assert response.status_code == 410
    assert not Organization.objects.filter(name="NewCo").exists()


@pytest.mark.parametrize(
    ("field", "error"),
    [
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"organization": ""}, "This field is required."),
        ({"name": ""}, "This field is required."),
    ],
    ids=["bad-email", "no-organisation", "no-name"],
)
def test_signup_with_invalid_input_is_refused_and_sends_nothing(
    db, client, mailoutbox, field, error
):
    response = client.post(reverse("signup"), signup_form(**field))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("passwords", "error"),
    [
        (password_form(NEW_PASSWORD, NEW_PASSWORD + "x"), "The two passwords differ."),
        (password_form("short"), "This password is too short"),
        (password_form("sam@newco.example"), "too similar"),
    ],
    ids=["mismatch", "short", "similar-to-email"],
)
def test_bad_password_on_confirm_is_refused_and_creates_nothing(
    db, client, mailoutbox, passwords, error
):
    client.post(reverse("signup"), signup_form())
    response = client.post(confirm_path(mailoutbox), passwords)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not User.objects.exists()
    assert not Organization.objects.exists()


@pytest.mark.parametrize("field", ["name", "email", "organization", "password1"])
def test_huge_signup_inputs_are_refused_never_a_server_error(db, client, mailoutbox, field):
    huge = "x" * 10_000
    value = huge + "@example.com" if field == "email" else huge
    if field == "password1":
        client.post(reverse("signup"), signup_form())
        response = client.post(confirm_path(mailoutbox), password_form(value))
    else:
        response = client.post(reverse("signup"), signup_form(**{field: value}))
    assert response.status_code == 400
    assert "Ensure this value has at most" in response.content.decode()
    assert not User.objects.exists()


def test_signup_mails_to_one_address_are_limited(db, client, mailoutbox):
    typed = ["sam@newco.example", "Sam@NewCo.example", " SAM@newco.example"] * 2
    statuses = [client.post(reverse("signup"), signup_form(email=e)).status_code for e in typed]
    assert statuses == [200] * 5 + [429]
    assert len(mailoutbox) == 5


def test_signed_in_user_following_a_signup_link_goes_home(world, login, mailoutbox):
    client = login(None)
    client.post(reverse("signup"), signup_form())
    link = confirm_path(mailoutbox)
    response = login(world.alice).get(link)
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_signed_in_user_visiting_signup_goes_home(world, login):
    response = login(world.alice).get(reverse("signup"))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_signup_refuses_other_methods(db, client):
    assert client.put(reverse("signup")).status_code == 405


# --- A user without an organisation -----------------------------------------------------


def test_signed_in_user_without_organisation_lands_on_create_an_organisation(db, client):
    User.objects.create_user("solo@example.com", PASSWORD)
    response = sign_in(client, "solo@example.com")
    page = client.get(response["Location"], follow=True)
    assert page.redirect_chain[-1][0] == reverse("org_new")
    assert page.status_code == 200
    assert "Create an organisation" in page.content.decode()


def test_user_without_organisation_can_create_one_and_becomes_its_admin(db, client):
    user = User.objects.create_user("solo@example.com", PASSWORD)
    sign_in(client, "solo@example.com")
    response = client.post(reverse("org_new"), {"name": "Solo Ltd"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user)
    assert (membership.organization.name, membership.role) == ("Solo Ltd", Role.ORG_ADMIN)
    assert len(events(membership.organization, AuditEvent.Action.ORG_CREATED)) == 1


@pytest.mark.parametrize("name", ["", "x" * 10_000])
def test_create_organisation_with_bad_name_is_refused(db, client, name):
    User.objects.create_user("solo@example.com", PASSWORD)
    sign_in(client, "solo@example.com")
    response = client.post(reverse("org_new"), {"name": name})
    assert response.status_code == 400
    assert not Organization.objects.exists()


def test_create_organisation_needs_sign_in(db, client):
    response = client.post(reverse("org_new"), {"name": "Anon Ltd"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not Organization.objects.exists()


# --- Lockout behind load balancers (TRUSTED_PROXY_COUNT) ------------------------------------


def test_client_address_ignores_forwarded_for_without_a_trusted_proxy(rf, settings):
    from config.client_address import client_ip

    settings.TRUSTED_PROXY_COUNT = 0
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "6.6.6.6, 203.0.113.5", "203.0.113.5"),  # the left entry is the client's own claim
        (2, "6.6.6.6, 203.0.113.5, 10.0.0.7", "203.0.113.5"),
        (1, "", "10.0.0.1"),  # came straight to the app: the connection counts
        (2, "203.0.113.5", "10.0.0.1"),  # fewer hops than proxies: do not trust it
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_behind_trusted_proxies(rf, settings, count, forwarded, expected):
    from config.client_address import client_ip

    settings.TRUSTED_PROXY_COUNT = count
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == expected


def sign_in_from(client, forwarded: str, password: str = PASSWORD):
    return client.post(
        reverse("login"),
        {"username": "alice@example.com", "password": password},
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_without_trusted_proxy_a_forged_forwarded_for_does_not_dodge_lockout(
    world, client, settings
):
    assert settings.TRUSTED_PROXY_COUNT == 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, f"203.0.113.{i}", "wrong password")
    assert sign_in_from(client, "203.0.113.200").status_code == 429
    assert signed_in_user_id(client) is None


def test_behind_a_proxy_lockout_is_per_account_and_client_address(world, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = "6.6.6.6, 203.0.113.66"  # a forged entry, then the balancer's
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in_from(client, attacker, "wrong password")
    assert sign_in_from(client, attacker).status_code == 429
    # The real user, behind the same balancer from elsewhere, still signs in.
    response = sign_in_from(client, "198.51.100.20")
    assert response.status_code == 302
    assert signed_in_user_id(client) == world.alice.pk
