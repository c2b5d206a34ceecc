# Kinds of a classified action: the classifier may say "none" (no action taken); a reviewer
# may also mark a duplicate. Choices only: no data changes.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0003_respondent_privacy"),
    ]

    operations = [
        migrations.AlterField(
            model_name="classifiedaction",
            name="kind",
            field=models.CharField(
                choices=[
                    ("individual", "Individual (low-resource)"),
                    ("collective", "Collective (high-resource)"),
                    ("none", "Not an action (or too vague)"),
                    ("duplicate", "Duplicate of another action"),
                ],
                max_length=12,
            ),
        ),
        migrations.AlterField(
            model_name="classifiedaction",
            name="reviewed_kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("individual", "Individual (low-resource)"),
                    ("collective", "Collective (high-resource)"),
                    ("none", "Not an action (or too vague)"),
                    ("duplicate", "Duplicate of another action"),
                ],
                max_length=12,
            ),
        ),
    ]
