"""Classified actions get a random public id (UUID4), which the review queue, its forms and
the audit log use instead of the row id: row ids grow in submission order, and with the
participation page a team lead could pair texts with people by that order.

Existing rows get one each (a callable default on AddField would give every row the same
value); earlier audit events named the action by row id and are renamed the same way.
"""

import uuid

from django.db import migrations, models

BATCH = 1000


def backfill(apps, schema_editor):
    ClassifiedAction = apps.get_model("assessments", "ClassifiedAction")
    AuditEvent = apps.get_model("orgs", "AuditEvent")
    pending = ClassifiedAction.objects.filter(public_id__isnull=True).only("pk")
    batch = []
    for action in pending.iterator(chunk_size=BATCH):
        action.public_id = uuid.uuid4()
        batch.append(action)
        if len(batch) == BATCH:
            ClassifiedAction.objects.bulk_update(batch, ["public_id"])
            batch = []
    ClassifiedAction.objects.bulk_update(batch, ["public_id"])

    events = AuditEvent.objects.filter(target_type="classifiedaction")
    wanted = {e.target_id for e in events.only("target_id") if e.target_id.isdigit()}
    public = dict(
        ClassifiedAction.objects.filter(pk__in=sorted(int(t) for t in wanted)).values_list(
            "pk", "public_id"
        )
    )
    renamed = []
    for event in events.only("pk", "target_id", "target_repr").iterator(chunk_size=BATCH):
        key = int(event.target_id) if event.target_id.isdigit() else None
        # An action deleted since (replaced at a resubmission) keeps no id in the log.
        event.target_repr = f"Action {public[key]}" if key in public else "Action (since removed)"
        renamed.append(event)
    AuditEvent.objects.bulk_update(renamed, ["target_repr"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0006_action_classifier_version"),
        ("orgs", "0009_audit_without_action_text"),
    ]

    operations = [
        migrations.AddField(
            model_name="classifiedaction",
            name="public_id",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="classifiedaction",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
