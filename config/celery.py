"""The Celery app; tasks are discovered in each Django app's tasks.py. Beat runs the daily
pass of cycle emails (launch emails still owed, then reminders)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("recouple")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Results are released by a periodic pass, not on each submission, so that changes
    # batch up (reports/releases.py). Run exactly one beat per deployment.
    "refresh-releases": {
        "task": "reports.tasks.refresh_releases_task",
        "schedule": float(os.environ.get("RECOUPLE_RELEASE_INTERVAL", "60")),
    },
    # A render whose worker died is queued again (or failed after three attempts) here,
    # not by the pages that show reports: a GET never writes.
    "recover-stale-reports": {
        "task": "reports.tasks.recover_stale_reports_task",
        "schedule": float(os.environ.get("RECOUPLE_STALE_REPORT_INTERVAL", "300")),
    },
    "daily-cycle-emails": {
        "task": "assessments.tasks.daily_cycle_emails_task",
        "schedule": crontab(hour=int(os.environ.get("RECOUPLE_REMINDER_HOUR", "9")), minute=0),
    },
}
