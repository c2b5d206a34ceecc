"""A cycle's emails: the launch email with each person's personal link, and reminders.

Who is due comes from reminders.py (pure); this module loads the state, renders the emails
(plain text and HTML), sends them through one connection, and records each in CycleEmail.
A message is *claimed* (its CycleEmail row written) before it is sent, so a task delivered
twice, or two passes at once, never send the same email twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import Max, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from sesame.utils import get_query_string

from orgs.models import Membership, Team

from . import reminders
from .models import Cycle, CycleEmail, Response

log = logging.getLogger(__name__)
SEND_BATCH = 200
UNSUBSCRIBE_SALT = "recouple.reminders.unsubscribe"


@dataclass(frozen=True)
class PassResult:
    due: int
    sent: int

    def to_dict(self) -> dict[str, int]:
        return {"due": self.due, "sent": self.sent}


def respondents(cycle: Cycle) -> QuerySet[Membership]:
    """The people a cycle writes to: active members and leads of its teams."""
    return (
        Membership.objects.counted_in_team()
        .filter(organization_id=cycle.organization_id, team__in=cycle.teams.all())
        .select_related("user", "team", "organization")
        .order_by("pk")
    )


def questionnaire_link(cycle: Cycle, membership: Membership) -> str:
    """The person's personal link: signs them in once and opens their questionnaire."""
    path = reverse("cycle_start", args=[cycle.organization.slug, cycle.slug])
    return settings.RECOUPLE_SITE_URL + path + get_query_string(membership.user)


def unsubscribe_token(membership: Membership) -> str:
    return signing.dumps(membership.pk, salt=UNSUBSCRIBE_SALT)


def membership_id_from_unsubscribe_token(token: str) -> int | None:
    try:
        value = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def unsubscribe_link(membership: Membership) -> str:
    path = reverse(
        "reminders_unsubscribe", args=[membership.organization.slug, unsubscribe_token(membership)]
    )
    return settings.RECOUPLE_SITE_URL + path


def _message(kind: str, cycle: Cycle, membership: Membership) -> EmailMultiAlternatives:
    org = " ".join(cycle.organization.name.split())  # a pasted line break breaks a subject
    name = " ".join(cycle.name.split())
    context = {
        "cycle": cycle,
        "membership": membership,
        "organization": cycle.organization,
        "link": questionnaire_link(cycle, membership),
        "link_days": settings.SESAME_MAX_AGE // 86400,
        "unsubscribe": unsubscribe_link(membership) if kind == CycleEmail.Kind.REMINDER else "",
    }
    if kind == CycleEmail.Kind.LAUNCH:
        subject = f"{org}: “{name}” is open — tell us how responsible AI works in your team"
    else:
        subject = f"Reminder: “{name}” closes on {cycle.closes_on:%-d %B}"
    headers = {"List-Unsubscribe": f"<{context['unsubscribe']}>"} if context["unsubscribe"] else {}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"assessments/email/{kind}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[membership.user.email],
        headers=headers,
    )
    message.attach_alternative(
        render_to_string(f"assessments/email/{kind}.html", context), "text/html"
    )
    return message


def _claim(cycle: Cycle, kind: str, batch: Sequence[Membership], today: date) -> list[Membership]:
    """Write the batch's CycleEmail rows; return the people whose rows this call wrote (the
    unique constraints refuse a second launch email, or a second reminder the same day)."""
    now = timezone.now()
    CycleEmail.objects.bulk_create(
        [
            CycleEmail(
                cycle=cycle,
                user_id=m.user_id,
                team_id=m.team_id,
                kind=kind,
                sent_on=today,
                sent_at=now,
            )
            for m in batch
        ],
        ignore_conflicts=True,
    )
    ours = set(
        CycleEmail.objects.filter(
            cycle=cycle, kind=kind, sent_at=now, user_id__in=[m.user_id for m in batch]
        ).values_list("user_id", flat=True)
    )
    return [m for m in batch if m.user_id in ours]


def _send(cycle: Cycle, kind: str, people: Sequence[Membership], today: date) -> int:
    sent = 0
    with get_connection() as connection:
        for start in range(0, len(people), SEND_BATCH):
            claimed = _claim(cycle, kind, people[start : start + SEND_BATCH], today)
            try:
                connection.send_messages([_message(kind, cycle, m) for m in claimed])
            except Exception:
                # Not sent: release the claim so that a retry sends it.
                CycleEmail.objects.filter(
                    cycle=cycle, kind=kind, sent_on=today, user_id__in=[m.user_id for m in claimed]
                ).delete()
                raise
            sent += len(claimed)
    return sent


def send_launch_emails(cycle_id: int, today: date | None = None) -> int:
    """Email everyone on the cycle's teams who has not had its launch email yet (nor started
    a response).

    Nothing before the cycle accepts answers (an open cycle whose first day is still to
    come is launched by the daily pass on that day). Returns the number sent.
    """
    today = today or timezone.localdate()
    cycle = Cycle.objects.select_related("organization").filter(pk=cycle_id).first()
    if cycle is None or not cycle.is_open(today):
        return 0
    launched = CycleEmail.objects.filter(cycle=cycle, kind=CycleEmail.Kind.LAUNCH).values("user_id")
    # Someone who already started (a cycle opened before these emails existed) needs no launch.
    started = Response.objects.filter(cycle=cycle).values("respondent_id")
    people = list(respondents(cycle).exclude(user_id__in=launched).exclude(user_id__in=started))
    return _send(cycle, CycleEmail.Kind.LAUNCH, people, today)


def open_cycles(today: date, org_slug: str | None = None) -> QuerySet[Cycle]:
    cycles = Cycle.objects.filter(
        state=Cycle.State.OPEN, opens_on__lte=today, closes_on__gte=today
    ).select_related("organization")
    return cycles.filter(organization__slug=org_slug) if org_slug else cycles


def launch_catch_up(today: date | None = None) -> int:
    """Launch emails for cycles that opened today, and for people who joined a team since."""
    today = today or timezone.localdate()
    return sum(send_launch_emails(c.pk, today) for c in open_cycles(today))


def reminder_days_of(cycle: Cycle) -> tuple[int, ...]:
    try:
        return reminders.parse_reminder_days(cycle.reminder_days)
    except ValueError:  # stored before validation existed, or edited in the Django admin
        log.warning("cycle %s has unreadable reminder days %r", cycle.pk, cycle.reminder_days)
        return ()


def recipient_states(
    cycle: Cycle, people: Sequence[Membership], today: date
) -> list[reminders.Recipient]:
    """What the rules need for each person, in three queries."""
    ids = [m.user_id for m in people]
    submitted = set(
        Response.objects.filter(
            cycle=cycle, status=Response.Status.SUBMITTED, respondent_id__in=ids
        ).values_list("respondent_id", flat=True)
    )
    about_cycle = dict(
        CycleEmail.objects.filter(cycle=cycle, user_id__in=ids)
        .values("user_id")
        .annotate(last=Max("sent_on"))
        .values_list("user_id", "last")
    )
    mailed_today = set(
        CycleEmail.objects.filter(user_id__in=ids, sent_on__gte=today).values_list(
            "user_id", flat=True
        )
    )
    return [
        reminders.Recipient(
            user_id=m.user_id,
            submitted=m.user_id in submitted,
            opted_out=m.reminders_opted_out_at is not None,
            last_cycle_email_on=about_cycle.get(m.user_id),
            last_email_on=today if m.user_id in mailed_today else None,
        )
        for m in people
    ]


def reminder_pass(
    today: date | None = None, *, org_slug: str | None = None, dry_run: bool = False
) -> PassResult:
    """One reminder pass over the open cycles (of one organisation, with `org_slug`)."""
    today = today or timezone.localdate()
    due_total = sent_total = 0
    for cycle in open_cycles(today, org_slug):
        days = reminder_days_of(cycle)
        if reminders.current_slot(today, cycle.closes_on, days) is None:
            continue
        people = list(respondents(cycle))
        states = recipient_states(cycle, people, today)
        due_ids = {
            r.user_id for r in reminders.due_recipients(states, today, cycle.closes_on, days)
        }
        due = [m for m in people if m.user_id in due_ids]
        due_total += len(due)
        if not dry_run:
            sent_total += _send(cycle, CycleEmail.Kind.REMINDER, due, today)
    return PassResult(due=due_total, sent=sent_total)


@dataclass(frozen=True)
class ReminderSummary:
    """Counts for the participation page: reminders sent, and the next one."""

    days: tuple[int, ...]
    sent: int
    next_on: date | None
    next_to: int  # people who would get it if nobody else submits before


def reminder_summary(
    cycle: Cycle, teams: Sequence[Team], today: date | None = None
) -> ReminderSummary:
    """Over the given teams of the cycle. At most three queries."""
    today = today or timezone.localdate()
    days = reminder_days_of(cycle)
    team_ids = [t.pk for t in teams]
    sent = CycleEmail.objects.filter(
        cycle=cycle, kind=CycleEmail.Kind.REMINDER, team_id__in=team_ids
    ).count()
    if cycle.state != Cycle.State.OPEN:
        return ReminderSummary(days=days, sent=sent, next_on=None, next_to=0)
    submitted = Response.objects.filter(cycle=cycle, status=Response.Status.SUBMITTED).values(
        "respondent_id"
    )
    waiting = (
        Membership.objects.counted_in_team()
        .filter(team_id__in=team_ids, reminders_opted_out_at=None)
        .exclude(user_id__in=submitted)
    )
    if reminders.current_slot(today, cycle.closes_on, days) == today:
        # Today is a reminder day: still to come for those not yet emailed today.
        mailed_today = CycleEmail.objects.filter(sent_on__gte=today).values("user_id")
        due_today = waiting.exclude(user_id__in=mailed_today).count()
        if due_today:
            return ReminderSummary(days=days, sent=sent, next_on=today, next_to=due_today)
    next_on = reminders.next_reminder_on(today, cycle.closes_on, days)
    next_to = waiting.count() if next_on else 0
    return ReminderSummary(days=days, sent=sent, next_on=next_on, next_to=next_to)
