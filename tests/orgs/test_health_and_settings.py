"""/healthz, settings that refuse unsafe production values, `check --deploy`, `seed_demo`."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse

from orgs.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_SLUG
from orgs.models import Membership, Organization, Team, User

BASE_DIR = Path(__file__).resolve().parents[2]
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


# --- /healthz -------------------------------------------------------------------------------


def test_healthz_reports_database_and_broker_ok(db, client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_is_open_to_anonymous_visitors_and_signed_in_users(world, login):
    assert login(None).get(reverse("healthz")).status_code == 200
    assert login(world.charlie).get(reverse("healthz")).status_code == 200


def test_healthz_reports_503_when_the_broker_is_unreachable(db, client, settings):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unavailable"},
    }


def test_healthz_follows_the_broker_setting_back_after_an_override(db, client, settings):
    # The Celery app reads Django's settings on each use: a broker URL set after start-up
    # (here: by the test) is the one checked, and the original one again afterwards.
    original = settings.CELERY_BROKER_URL
    assert client.get("/healthz").status_code == 200
    settings.CELERY_BROKER_URL = DEAD_BROKER
    assert client.get("/healthz").status_code == 503
    settings.CELERY_BROKER_URL = original
    assert client.get("/healthz").status_code == 200


def test_healthz_does_not_sleep_between_retries_when_the_broker_is_down(
    db, client, settings, monkeypatch
):
    # A load balancer gives up after a few seconds: the check must not back off and sleep.
    # (Its speed is a matter for `make bench`; here we check the behaviour that makes it fast.)
    import kombu.utils.functional

    naps: list[float] = []
    monkeypatch.setattr(kombu.utils.functional, "sleep", naps.append, raising=False)
    monkeypatch.setattr("time.sleep", naps.append)
    settings.CELERY_BROKER_URL = DEAD_BROKER
    response = client.get("/healthz")
    assert response.status_code == 503
    assert not any(n > 0 for n in naps), naps


def test_healthz_reports_503_when_the_database_fails(db, client, monkeypatch):
    import config.health

    class BrokenConnection:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(config.health, "connection", BrokenConnection())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "unavailable", "broker": "ok"}


def test_healthz_refuses_post(db, client):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_not_redirected_to_https_for_a_load_balancer(db, client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200


# --- Settings refuse unsafe production values -----------------------------------------------


def run_python(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    """Run the project's Python with exactly `env` (plus PATH and a private var/ dir)."""
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "RECOUPLE_VAR_DIR": str(tmp_path / "var"),
        **env,
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def random_secret_key(length: int = 60) -> str:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off(tmp_path):
    result = run_python(["-c", "import config.settings"], {}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize(
    "key",
    ["too-short-key", "dev-insecure-key-only-for-local-development-with-debug-on-0123456789"],
    ids=["short", "development-key"],
)
def test_settings_refuse_a_weak_secret_key_when_debug_is_off(tmp_path, key):
    result = run_python(["-c", "import config.settings"], {"SECRET_KEY": key}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "at least 50 random characters" in result.stderr


def test_settings_start_without_secret_key_in_debug(tmp_path):
    result = run_python(
        ["-c", "import config.settings as s; print(s.DEBUG, bool(s.SECRET_KEY))"],
        {"DEBUG": "true"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True"


@pytest.mark.parametrize(
    "extra",
    [{}, {"CACHE_URL": "redis://127.0.0.1:6379/13"}],
    ids=["process-cache", "redis-cache-as-deployed"],
)
def test_check_deploy_passes_with_production_like_environment(tmp_path, extra):
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        {"SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": "example.com", **extra},
        tmp_path,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


def test_settings_module_in_production_turns_on_https_protections(tmp_path):
    code = (
        "import config.settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS > 0, s.ALLOWED_HOSTS)"
    )
    result = run_python(
        ["-c", code], {"SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": "example.com"}, tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False True True True True ['example.com']"


# --- seed_demo --------------------------------------------------------------------------------


def demo_counts() -> dict[str, int]:
    org = Organization.objects.get(slug=DEMO_SLUG)
    return {
        "users": User.objects.filter(email__endswith="@demo.example").count(),
        "teams": Team.objects.filter(organization=org).count(),
        "memberships": Membership.objects.filter(organization=org).count(),
        "organizations": Organization.objects.filter(slug=DEMO_SLUG).count(),
    }


def test_seed_demo_twice_keeps_counts_and_restores_the_demo_password(db):
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = demo_counts()
    assert first["organizations"] == 1
    assert first["teams"] > 1
    assert first["memberships"] >= 4
    assert DEMO_PASSWORD in out.getvalue()
    assert all(email in out.getvalue() for email, _ in DEMO_LOGINS)
    admin = User.objects.get(email="admin@demo.example")
    admin.set_password("someone changed it")
    admin.save(update_fields=["password"])

    call_command("seed_demo", stdout=StringIO())

    assert demo_counts() == first
    admin.refresh_from_db()
    assert admin.check_password(DEMO_PASSWORD)


def test_seed_demo_logins_sign_in_with_the_printed_password_in_their_roles(db, client):
    call_command("seed_demo", stdout=StringIO())
    roles = {
        m.user.email: (m.role, m.team.name if m.team else None)
        for m in Membership.objects.filter(organization__slug=DEMO_SLUG).select_related(
            "user", "team"
        )
    }
    assert roles["admin@demo.example"][0] == "org_admin"
    assert roles["leader@demo.example"][0] == "leader"
    assert roles["lead@demo.example"][0] == "team_lead"
    assert roles["member@demo.example"][0] == "member"
    assert roles["lead@demo.example"][1] == roles["member@demo.example"][1] is not None
    for email, _ in DEMO_LOGINS:
        client.logout()
        response = client.post(reverse("login"), {"username": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert int(client.session["_auth_user_id"]) == User.objects.get(email=email).pk


def test_seed_demo_on_a_fresh_checkout_migrates_first(tmp_path):
    """`seed_demo` is a command-line contract: on an empty database it must still work."""
    result = run_python(["manage.py", "seed_demo"], {"DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Applying database migrations first" in result.stdout
    assert "Demo organisation 'demo' ready" in result.stdout
    assert "leader@demo.example" in result.stdout


# --- Settings that would fail open refuse to start -------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECURE_SSL_REDIRECT", "Treu"),
        ("AXES_ENABLED", "ture"),
        ("EMAIL_USE_TLS", "yes please"),
        ("DEBUG", "flase"),
    ],
)
def test_settings_refuse_an_unrecognised_yes_no_value_naming_the_variable(tmp_path, name, value):
    env = {"SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": "example.com", name: value}
    result = run_python(["-c", "import config.settings"], env, tmp_path)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}={value!r} is not a yes/no value" in result.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AXES_FAILURE_LIMIT", "five"),
        ("SECURE_HSTS_SECONDS", "1y"),
        ("EMAIL_PORT", "25x"),
        ("DB_CONN_MAX_AGE", "-1"),
        ("TRUSTED_PROXY_COUNT", "one"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("RECOUPLE_CLASSIFIER_THRESHOLD", "high"),
        ("RECOUPLE_CLASSIFIER_THRESHOLD", "nan"),
    ],
)
def test_settings_refuse_a_number_that_does_not_parse_naming_the_variable(tmp_path, name, value):
    env = {"SECRET_KEY": random_secret_key(), "ALLOWED_HOSTS": "example.com", name: value}
    result = run_python(["-c", "import config.settings"], env, tmp_path)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name}={value!r}" in result.stderr


def test_settings_accept_the_usual_spellings_of_yes_and_no(tmp_path):
    code = (
        "import config.settings as s; print(s.AXES_ENABLED, s.SECURE_SSL_REDIRECT, s.EMAIL_USE_TLS)"
    )
    env = {
        "SECRET_KEY": random_secret_key(),
        "ALLOWED_HOSTS": "example.com",
        "AXES_ENABLED": " Yes ",
        "SECURE_SSL_REDIRECT": "",  # empty: the safe default
        "EMAIL_USE_TLS": "ON",
        "TRUSTED_PROXY_COUNT": "1",
    }
    result = run_python(["-c", code], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True True True"
