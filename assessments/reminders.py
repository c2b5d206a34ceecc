"""Reminder rules: which days a cycle reminds on, and who is due a reminder today.

Pure: plain dates and dataclasses in, plain data out. `mailings.py` loads the state,
asks these functions, sends, and records what went out.

A cycle's reminder days count back from its closing day ("7,2": seven and two days before
it closes). On a pass, the current *slot* is the latest reminder day that has come. A person
is due when they have not submitted, have not opted out, have had no email about the cycle
since that slot began (the launch email counts), and have had no email from us today at all:
at most one a day. A pass missed (beat down for a day) is caught up by the next one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

MAX_DAYS = 5
LONGEST = 90


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """ "7, 2" → (7, 2): days before the close, largest first. Blank means no reminders.

    Raises ValueError with a message for the person who typed it.
    """
    days: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValueError(f"“{part[:10]}” is not a number of days: write e.g. 7, 2.")
        value = int(part)
        if not 0 <= value <= LONGEST:
            raise ValueError(f"Reminder days are between 0 (the closing day) and {LONGEST}.")
        days.add(value)
    if len(days) > MAX_DAYS:
        raise ValueError(f"At most {MAX_DAYS} reminder days.")
    return tuple(sorted(days, reverse=True))


def format_reminder_days(days: Iterable[int]) -> str:
    return ",".join(str(d) for d in sorted(set(days), reverse=True))


def reminder_dates(closes_on: date, days: Iterable[int]) -> tuple[date, ...]:
    """The days a cycle reminds on, earliest first."""
    return tuple(sorted({closes_on - timedelta(days=d) for d in days}))


def current_slot(today: date, closes_on: date, days: Iterable[int]) -> date | None:
    """The latest reminder day on or before `today` (None before the first, or after the
    cycle closed)."""
    if today > closes_on:
        return None
    passed = [d for d in reminder_dates(closes_on, days) if d <= today]
    return passed[-1] if passed else None


def next_reminder_on(today: date, closes_on: date, days: Iterable[int]) -> date | None:
    """The next reminder day after `today`, if the cycle has one left."""
    coming = [d for d in reminder_dates(closes_on, days) if today < d <= closes_on]
    return coming[0] if coming else None


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know about one person in one cycle."""

    user_id: int
    submitted: bool
    opted_out: bool
    last_cycle_email_on: date | None  # launch or reminder about this cycle
    last_email_on: date | None  # any email from us about any cycle


def is_due(recipient: Recipient, today: date, slot: date | None) -> bool:
    """Whether `recipient` gets a reminder on `today` for the cycle whose current slot is
    `slot`."""
    if slot is None or recipient.submitted or recipient.opted_out:
        return False
    if recipient.last_email_on is not None and recipient.last_email_on >= today:
        return False  # at most one email a person a day
    return recipient.last_cycle_email_on is None or recipient.last_cycle_email_on < slot


def due_recipients(
    recipients: Iterable[Recipient], today: date, closes_on: date, days: Iterable[int]
) -> list[Recipient]:
    """Those of `recipients` who are due a reminder today."""
    slot = current_slot(today, closes_on, tuple(days))
    return [r for r in recipients if is_due(r, today, slot)]
