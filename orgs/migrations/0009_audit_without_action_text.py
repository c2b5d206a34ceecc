"""Audit events about reviewed actions stored the first 60 characters of the action's text
as the target's name; the name is now "Action <id>", and earlier events are scrubbed."""

from django.db import migrations
from django.db.models import Value
from django.db.models.functions import Concat


def scrub(apps, schema_editor):
    AuditEvent = apps.get_model("orgs", "AuditEvent")
    AuditEvent.objects.filter(target_type="classifiedaction").update(
        target_repr=Concat(Value("Action "), "target_id")
    )


class Migration(migrations.Migration):
    dependencies = [("orgs", "0008_roster_apply_status")]

    operations = [migrations.RunPython(scrub, migrations.RunPython.noop)]
