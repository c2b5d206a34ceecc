"""Celery tasks for a cycle's emails: thin, idempotent (mailings.py claims each email before
sending it), with limits well below the broker's visibility timeout."""

from __future__ import annotations

import logging
from smtplib import SMTPException

from celery import shared_task
from django.db import DatabaseError
from django.dispatch import receiver
from django.utils import timezone
from kombu.exceptions import OperationalError

from orgs.models import Organization
from orgs.signals import members_joined

from . import mailings

log = logging.getLogger(__name__)

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


@receiver(members_joined)
def launch_for_joiners(sender: type, organization: Organization, **kwargs: object) -> None:
    """People who just joined a team get an open cycle's launch email now, not tomorrow.
    If the broker is down they still get it from the daily pass."""
    for cycle in mailings.open_cycles(timezone.localdate(), organization.slug):
        try:
            send_launch_emails_task.delay(cycle.pk)
        except OperationalError:
            log.warning(
                "broker unavailable; cycle %s launch emails wait for the daily pass", cycle.pk
            )
