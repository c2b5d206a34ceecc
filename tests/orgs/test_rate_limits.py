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
    statuses = [client.post(url, {"name": "", "email": "bad"}).status_code for _ in range(11)]
    assert statuses[:10] == [400] * 10 and statuses[10] == 429
