"""validate_instrument, instrument_summary and publish_instrument."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from assessments.instrument.loader import INSTRUMENTS_DIR
from assessments.instrument.types import CONSTRUCTS
from assessments.models import InstrumentVersion

BROKEN = Path(__file__).resolve().parent.parent / "data" / "instruments" / "broken.yaml"
V1 = INSTRUMENTS_DIR / "v1.yaml"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


# --- validate_instrument --------------------------------------------------------------------


def test_validate_accepts_v1_and_counts_its_items():
    assert run("validate_instrument", str(V1)).strip() == "OK: v1, 71 items"


def test_validate_reports_every_problem_of_a_broken_file():
    with pytest.raises(CommandError) as caught:
        run("validate_instrument", str(BROKEN))
    lines = str(caught.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{BROKEN}: item '") for line in lines)
    text = "\n".join(lines)
    assert "unknown construct 'uncertainy'" in text
    assert "unknown type 'essay'" in text
    assert "resource" in text


def test_validate_names_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        run("validate_instrument", str(tmp_path / "v9.yaml"))


def test_validate_exits_with_status_1():
    # CommandError from the command line becomes exit status 1 (Django's run_from_argv).
    with pytest.raises(SystemExit) as caught:
        ManagementUtility(["manage.py", "validate_instrument", str(BROKEN)]).execute()
    assert caught.value.code == 1


# --- instrument_summary ---------------------------------------------------------------------


@pytest.mark.django_db
def test_summary_json_has_stable_keys_and_v1_coverage():
    run("publish_instrument", "1")
    summary = json.loads(run("instrument_summary", "--json"))
    assert set(summary) == {
        "version",
        "items",
        "items_by_construct",
        "practice_items_by_resource",
        "free_text_action_items",
        "governance_layers",
        "roadmap_items",
        "real_test_items",
        "segments",
    }
    assert summary["version"] == "1"
    assert summary["items"] == 71
    assert list(summary["items_by_construct"]) == list(CONSTRUCTS)
    assert summary["items_by_construct"]["individual_practice"] == 11
    assert summary["items_by_construct"]["collective_practice"] == 12
    assert summary["practice_items_by_resource"] == {"individual": 11, "collective": 12}
    assert summary["free_text_action_items"] == 2
    assert summary["real_test_items"] == {"explain": 0, "prove": 0, "prevent": 0}
    assert "self_view" in summary["segments"] and "delivery_pressure" in summary["segments"]


@pytest.mark.django_db
def test_summary_json_of_v2_counts_layers_roadmap_real_test_and_segments():
    run("publish_instrument", "2")
    summary = json.loads(run("instrument_summary", "--json"))
    assert summary["version"] == "2"
    assert summary["items"] == 79
    assert summary["governance_layers"] == {"policy": 5, "controls": 7, "operations": 6}
    assert sum(summary["roadmap_items"].values()) == 9
    assert all(n >= 1 for n in summary["roadmap_items"].values())
    assert summary["real_test_items"] == {"explain": 1, "prove": 1, "prevent": 1}
    assert summary["segments"] == [
        "respondent_role",
        "lifecycle_stage",
        "self_view",
        "delivery_pressure",
    ]


@pytest.mark.django_db
def test_summary_falls_back_to_the_newest_file_when_nothing_is_published():
    assert not InstrumentVersion.objects.exists()
    out = run("instrument_summary")
    assert "Instrument v2" in out and "newest file, not published" in out
    assert "individual_practice" in out and "79" in out
    assert "Governance items by layer" in out and "operations" in out
    assert "Real test parts" in out and "prevent" in out
    assert "Segments: respondent_role, lifecycle_stage, self_view, delivery_pressure" in out


@pytest.mark.django_db
def test_summary_prefers_the_newest_published_version():
    run("publish_instrument", "1")
    out = run("instrument_summary")
    assert "(newest published)" in out


# --- publish_instrument ---------------------------------------------------------------------


@pytest.mark.django_db
def test_publish_records_the_version_once():
    assert "Published v1" in run("publish_instrument", "1")
    published = InstrumentVersion.objects.get(version="1")
    assert len(published.content_hash) == 64
    assert "already published" in run("publish_instrument", "1")
    assert InstrumentVersion.objects.count() == 1


@pytest.mark.django_db
def test_publish_refuses_a_changed_file_and_asks_to_bump_the_version():
    InstrumentVersion.objects.create(version="1", title="v1 as it was", content_hash="f" * 64)
    with pytest.raises(CommandError) as caught:
        run("publish_instrument", "1")
    assert "published with different content" in str(caught.value)
    assert "bump `version`" in str(caught.value)
    assert InstrumentVersion.objects.get(version="1").content_hash == "f" * 64


@pytest.mark.django_db
def test_publish_of_an_unknown_version_is_refused():
    with pytest.raises(CommandError, match="cannot read the file"):
        run("publish_instrument", "99")
    assert not InstrumentVersion.objects.exists()


def test_summary_works_on_a_fresh_checkout_before_any_migration(tmp_path):
    """The command-line contract is checked on fresh machines: no database tables yet."""
    import subprocess
    import sys

    from django.conf import settings

    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    done = subprocess.run(
        [sys.executable, "manage.py", "instrument_summary", "--json"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["version"] == "2" and summary["items"] == 79
