"""Reminder rules (assessments/reminders.py): pure, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from assessments.reminders import (
    Recipient,
    current_slot,
    due_recipients,
    format_reminder_days,
    is_due,
    next_reminder_on,
    parse_reminder_days,
    reminder_dates,
)

CLOSE = date(2026, 12, 20)
DAYS = (7, 2)


def person(**kw) -> Recipient:
    values = {
        "user_id": 1,
        "submitted": False,
        "opted_out": False,
        "last_cycle_email_on": date(2026, 12, 1),  # the launch email
        "last_email_on": date(2026, 12, 1),
    }
    return Recipient(**{**values, **kw})


def test_parse_reminder_days():
    assert parse_reminder_days("7, 2") == (7, 2)
    assert parse_reminder_days("2,7,7") == (7, 2)
    assert parse_reminder_days(" ") == ()
    assert parse_reminder_days("0") == (0,)
    assert format_reminder_days((2, 7)) == "7,2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seven", "not a number"),
        ("-1", "not a number"),
        ("91", "between 0"),
        ("1,2,3,4,5,6", "At most 5"),
    ],
)
def test_parse_reminder_days_refuses_bad_input(text, message):
    with pytest.raises(ValueError, match=message):
        parse_reminder_days(text)


def test_slots_count_back_from_the_close():
    assert reminder_dates(CLOSE, DAYS) == (date(2026, 12, 13), date(2026, 12, 18))
    assert current_slot(date(2026, 12, 12), CLOSE, DAYS) is None
    assert current_slot(date(2026, 12, 13), CLOSE, DAYS) == date(2026, 12, 13)
    assert current_slot(date(2026, 12, 17), CLOSE, DAYS) == date(2026, 12, 13)
    assert current_slot(date(2026, 12, 20), CLOSE, DAYS) == date(2026, 12, 18)
    assert current_slot(date(2026, 12, 21), CLOSE, DAYS) is None  # closed
    assert next_reminder_on(date(2026, 12, 13), CLOSE, DAYS) == date(2026, 12, 18)
    assert next_reminder_on(date(2026, 12, 18), CLOSE, DAYS) is None


def test_due_on_a_reminder_day_when_not_submitted():
    assert is_due(person(), date(2026, 12, 13), date(2026, 12, 13))


def test_never_to_someone_who_submitted_or_opted_out():
    today = date(2026, 12, 13)
    assert not is_due(person(submitted=True), today, today)
    assert not is_due(person(opted_out=True), today, today)


def test_at_most_one_email_a_day_whatever_the_cycle():
    today = date(2026, 12, 13)
    assert not is_due(person(last_email_on=today), today, today)


def test_once_per_slot_and_a_missed_slot_is_caught_up():
    slot = date(2026, 12, 13)
    reminded = person(last_cycle_email_on=slot, last_email_on=slot)
    assert not is_due(reminded, date(2026, 12, 14), slot)
    assert is_due(person(), date(2026, 12, 14), slot)  # beat was down on the 13th


def test_launch_email_after_the_slot_serves_it():
    # A cycle opened late (after its first reminder day): the launch email is the reminder.
    launched = person(last_cycle_email_on=date(2026, 12, 15), last_email_on=date(2026, 12, 15))
    assert not is_due(launched, date(2026, 12, 16), date(2026, 12, 13))


def test_due_recipients_filters_the_list():
    today = date(2026, 12, 18)
    people = [
        person(user_id=1),
        person(user_id=2, submitted=True),
        person(user_id=3, last_email_on=today),
    ]
    assert [r.user_id for r in due_recipients(people, today, CLOSE, DAYS)] == [1]
    assert due_recipients(people, today - timedelta(days=6), CLOSE, DAYS) == []
