from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_reminders"),
    ]

    operations = [
        migrations.AddField(
            model_name="classifiedaction",
            name="classifier_version",
            field=models.CharField(blank=True, default="", max_length=40),
        ),
    ]
