"""Repeated attempts on public forms are slowed down (django-ratelimit), with a clear 429."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse


@pytest.fixture(autouse=True)
def clean_cache():
    cache.clear()
    yield
    cache.clear()


def test_password_reset_for_one_email_is_limited(world, client):
    url = reverse("password_reset")
    for _ in range(5):
        assert client.post(url, {"email": "alice@example.com"}).status_code == 302
    response = client.post(url, {"email": "alice@example.com"})
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert len(mail.outbox) == 5


@pytest.mark.parametrize(
    "variants",
    [
        ["member@example.com", "Member@example.com", "MEMBER@EXAMPLE.COM"],
        ["max@example.com", " max@example.com", "Max@Example.com "],
    ],
    ids=["case", "spaces"],
)
def test_password_reset_limit_counts_one_mailbox_however_it_is_typed(world, client, variants):
    url = reverse("password_reset")
    typed = [variants[i % len(variants)] for i in range(6)]
    statuses = [client.post(url, {"email": email}).status_code for email in typed]
    assert statuses == [302] * 5 + [429]


def test_password_reset_from_one_address_is_limited(world, client):
    url = reverse("password_reset")
    statuses = [client.post(url, {"email": f"p{i}@example.com"}).status_code for i in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_invitation_guessing_is_limited(world, client):
    url = reverse("invitation_accept", args=["not-a-real-token"])
    statuses = [client.post(url, {"name": "x"}).status_code for _ in range(31)]
    assert set(statuses[:30]) == {404} and statuses[30] == 429


def test_signup_flood_is_limited(db, client):
    url = reverse("signup")
    # Each a different address: the per-address limit (5/h) is tested in test_auth.
    statuses = [client.post(url, {"name": "", "email": f"bad{i}"}).status_code for i in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429


# --- Behind load balancers: which address counts (TRUSTED_PROXY_COUNT) --------------------


def reset_from(client, forwarded: str, email: str) -> int:
    return client.post(
        reverse("password_reset"), {"email": email}, HTTP_X_FORWARDED_FOR=forwarded
    ).status_code


def test_without_trusted_proxy_a_forged_forwarded_for_does_not_dodge_the_address_limit(
    world, client, settings
):
    assert settings.TRUSTED_PROXY_COUNT == 0  # the default
    statuses = [reset_from(client, f"203.0.113.{i}", f"p{i}@example.com") for i in range(11)]
    assert statuses[:10] == [302] * 10 and statuses[10] == 429


def test_behind_one_proxy_each_client_address_has_its_own_limit(world, client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The balancer appends the address it saw; anything left of it is what the client sent.
    one = [reset_from(client, f"10.9.9.{i}, 198.51.100.7", f"p{i}@example.com") for i in range(11)]
    assert one[:10] == [302] * 10 and one[10] == 429
    # Everyone else behind the same balancer is not limited by it.
    assert reset_from(client, "198.51.100.8", "someone@example.com") == 302


def test_behind_two_proxies_the_address_two_from_the_right_counts(world, client, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    statuses = [
        reset_from(client, f"1.2.3.{i}, 198.51.100.7, 10.0.0.1", f"p{i}@example.com")
        for i in range(11)
    ]
    assert statuses[10] == 429
    assert reset_from(client, "1.2.3.4, 198.51.100.9, 10.0.0.1", "x@example.com") == 302
