"""orgs 0009: audit events that named a reviewed action by its text are scrubbed."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orgs", "0008_roster_apply_status")]
AFTER = [("orgs", "0009_audit_without_action_text")]


def test_earlier_review_events_lose_the_actions_text(latest_schema_after):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    org = old.get_model("orgs", "Organization").objects.create(name="Acme", slug="acme")
    events = old.get_model("orgs", "AuditEvent").objects
    review = events.create(
        organization=org,
        action="action_reviewed",
        target_type="classifiedaction",
        target_id="42",
        target_repr="I told my manager about the chatbot's bias and he",
        data={"decision": "individual"},
    )
    other = events.create(
        organization=org,
        action="cycle_created",
        target_type="cycle",
        target_id="7",
        target_repr="2026 Q4",
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps.get_model("orgs", "AuditEvent").objects
    assert new.get(pk=review.pk).target_repr == "Action 42"
    assert new.get(pk=other.pk).target_repr == "2026 Q4"  # other events keep their names
    assert new.get(pk=review.pk).data == {"decision": "individual"}
