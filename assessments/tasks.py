"""Celery tasks for a cycle's emails: thin, idempotent (mailings.py claims each email before
sending it), with limits well below the broker's visibility timeout."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError

from . import mailings

# Thousands of emails over SMTP take minutes; the Redis visibility timeout is an hour.
TIME_LIMIT = 20 * 60
RETRIED = (DatabaseError, SMTPException, OSError)


@shared_task(
    acks_late=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 30,
    autoretry_for=RETRIED,
    retry_backoff=True,
    max_retries=5,
)
def send_launch_emails_task(cycle_id: int) -> int:
    """Email everyone on an opened cycle's teams their personal link."""
    return mailings.send_launch_emails(cycle_id)


@shared_task(
    acks_late=True,
    time_limit=TIME_LIMIT,
    soft_time_limit=TIME_LIMIT - 30,
    autoretry_for=RETRIED,
    retry_backoff=True,
    max_retries=3,
)
def daily_cycle_emails_task() -> dict[str, int]:
    """The daily pass (Celery beat): launch emails still owed (cycles opening today, people
    who joined a team since), then one reminder pass."""
    launched = mailings.launch_catch_up()
    return {"launched": launched, **mailings.reminder_pass().to_dict()}
