"""assessments 0007: every classified action gets its own random public id, and audit
events that named an action by its row id name it by that public id instead."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests.builders import historical_cycle

BEFORE = [("assessments", "0006_action_classifier_version")]
AFTER = [("assessments", "0007_action_public_id")]


def test_existing_actions_get_distinct_random_public_ids(latest_schema_after):
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    cycle = historical_cycle(old)
    org = cycle.organization
    team = old.get_model("orgs", "Team").objects.create(organization=org, name="A", slug="a")
    user = old.get_model("orgs", "User").objects.create(email="max@example.com")
    response = old.get_model("assessments", "Response").objects.create(
        cycle=cycle, team=team, respondent=user
    )
    actions = old.get_model("assessments", "ClassifiedAction").objects
    made = [
        actions.create(
            response=response,
            cycle=cycle,
            team=team,
            item_key=f"act_{i}",
            text=f"Text {i}",
            kind="individual",
            confidence=0.5,
        )
        for i in range(5)
    ]
    events = old.get_model("orgs", "AuditEvent").objects
    reviewed = events.create(
        organization=org,
        action="action_reviewed",
        target_type="classifiedaction",
        target_id=str(made[2].pk),
        target_repr=f"Action {made[2].pk}",
    )
    gone = events.create(
        organization=org,
        action="action_reviewed",
        target_type="classifiedaction",
        target_id=str(made[-1].pk + 1000),  # an action replaced at a resubmission since
        target_repr=f"Action {made[-1].pk + 1000}",
    )
    other = events.create(
        organization=org,
        action="cycle_created",
        target_type="cycle",
        target_id="7",
        target_repr="Q4",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    public = dict(
        new.get_model("assessments", "ClassifiedAction").objects.values_list("pk", "public_id")
    )
    assert len(set(public.values())) == len(made)
    assert all(isinstance(p, uuid.UUID) and p.version == 4 for p in public.values())
    renamed = new.get_model("orgs", "AuditEvent").objects
    assert renamed.get(pk=reviewed.pk).target_repr == f"Action {public[made[2].pk]}"
    assert renamed.get(pk=gone.pk).target_repr == "Action (since removed)"
    assert renamed.get(pk=other.pk).target_repr == "Q4"  # other events keep their names
