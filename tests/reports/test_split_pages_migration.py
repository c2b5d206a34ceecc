"""reports 0006: organisation pages stored before the split become the two rows new
releases store (what the dashboard shows, and `#more`), and go back whole."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports import selectors
from tests.builders import historical_cycle

REPORTS_BEFORE = ("reports", "0005_release_regrouped_from")
AFTER = [("reports", "0006_split_org_pages")]


def _before(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """Every other app as it is now, reports before the split."""
    others = [n for n in executor.loader.graph.leaf_nodes() if n[0] != "reports"]
    return [*others, REPORTS_BEFORE]


ACTIONS = [{"rule_id": f"r{i}", "title": f"Action {i}"} for i in range(11)]
WHOLE = {
    "visible": True,
    "overall": {"aggregate": {"n": 9}},
    "groups": [{"name": "Alpha"}, {"name": "Beta"}],
    "lift_rows": [[1, 2]],
    "lift_cells": [],
    "lift_withheld": [],
    "actions": ACTIONS,
    "pressure_by_group": {
        "Alpha": {"n": 4, "high": 1, "share": 25.0, "counts": [{"count": 1, "label": "Agree"}]},
        "Beta": None,
    },
}


def _release(apps):
    return apps.get_model("reports", "Release").objects.create(
        cycle=historical_cycle(apps), number=1, reason="requested", threshold=3, n_included=9
    )


def test_old_organisation_pages_are_split_and_merged_back(latest_schema_after):
    executor = MigrationExecutor(connection)
    before = _before(executor)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    release = _release(old)
    pages = old.get_model("reports", "ReleasePage").objects
    pages.create(release=release, key="org", data=WHOLE)
    pages.create(release=release, key="org?role=pm", data={"visible": False})
    pages.create(release=release, key="rules", data={"r1": "text"})

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state([*before[:-1], *AFTER]).apps
    stored = dict(new.get_model("reports", "ReleasePage").objects.values_list("key", "data"))
    assert set(stored) == {"org", "org#more", "org?role=pm", "org?role=pm#more", "rules"}
    # The migration's copy of the rule gives what new releases store.
    assert {k: stored[k] for k in ("org", "org#more")} == selectors.stored_rows("org", WHOLE)
    assert stored["org"]["actions"] == ACTIONS[: selectors.DASHBOARD_ACTIONS]
    assert stored["org"]["n_groups"] == 2 and stored["org"]["more_actions"] == 3
    assert "groups" not in stored["org"] and stored["org#more"]["actions"] == ACTIONS
    assert stored["org"]["pressure_by_group"] == {
        "Alpha": {"n": 4, "high": 1, "share": 25.0},
        "Beta": None,
    }
    assert stored["rules"] == {"r1": "text"}

    executor = MigrationExecutor(connection)
    executor.migrate(before)
    back = executor.loader.project_state(before).apps
    whole = dict(back.get_model("reports", "ReleasePage").objects.values_list("key", "data"))
    assert whole == {"org": WHOLE, "org?role=pm": {"visible": False}, "rules": {"r1": "text"}}
