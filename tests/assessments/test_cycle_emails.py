"""A cycle's emails: launch emails with personal links, reminders, unsubscribing, the
send_reminders command, the beat schedule, and delivery through a real SMTP server."""

from __future__ import annotations

import json
import re
import socket
import time
from datetime import timedelta
from email import message_from_bytes
from email.message import Message
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments import mailings
from assessments.models import Cycle, CycleEmail, Response
from assessments.services import publish_instrument, update_cycle
from orgs import roster_services
from orgs import services as org_services
from orgs.models import AuditEvent, Membership, Role
from tests.builders import make_user

LINK = re.compile(r"(http://testserver/o/acme/cycles/[\w-]+/start/\?sesame=[\w-]+)")
UNSUBSCRIBE = re.compile(r"(http://testserver/o/acme/reminders/unsubscribe/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.RECOUPLE_SITE_URL = "http://testserver"


def draft_cycle(world, **fields) -> Cycle:
    today = timezone.localdate()
    cycle = Cycle.objects.create(
        organization=world.acme,
        name="2027 Q1",
        slug="2027-q1",
        instrument=publish_instrument("1"),
        opens_on=fields.pop("opens_on", today),
        closes_on=fields.pop("closes_on", today + timedelta(days=28)),
        **fields,
    )
    cycle.teams.set([world.alpha, world.beta])
    return cycle


def open_it(world, cycle: Cycle, capture) -> None:
    with capture(execute=True):
        update_cycle(
            world.alice,
            cycle,
            name=cycle.name,
            opens_on=cycle.opens_on,
            closes_on=cycle.closes_on,
            teams=list(cycle.teams.all()),
            state=Cycle.State.OPEN,
        )


def link_in(message) -> str:
    [link] = set(LINK.findall(message.body))
    return link


def by_recipient(messages) -> dict[str, object]:
    return {m.to[0]: m for m in messages}


# --- Launch emails and personal links --------------------------------------------------------


def test_opening_a_cycle_emails_everyone_on_its_teams_once_after_commit(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    sent = by_recipient(mail.outbox)
    # Team leads and members of Alpha and Beta; not the org admin or the leader, not charlie.
    assert set(sent) == {"tess@example.com", "max@example.com", "bob@example.com"}
    message = sent["max@example.com"]
    assert "2027 Q1" in message.subject
    assert "Alpha takes part" in message.body and link_in(message)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html" and "Open my questionnaire" in html
    assert CycleEmail.objects.filter(cycle=cycle, kind="launch").count() == 3
    # A task delivered twice sends nothing more.
    assert mailings.send_launch_emails(cycle.pk) == 0
    assert len(mail.outbox) == 3


def test_people_who_already_started_get_no_launch_email(world, django_capture_on_commit_callbacks):
    cycle = draft_cycle(world)
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    assert set(by_recipient(mail.outbox)) == {"tess@example.com", "bob@example.com"}


def test_deactivated_people_get_no_launch_email(world, django_capture_on_commit_callbacks):
    Membership.objects.filter(user=world.bob).update(deactivated_at=timezone.now())
    open_it(world, draft_cycle(world), django_capture_on_commit_callbacks)
    assert "bob@example.com" not in by_recipient(mail.outbox)


def test_reopening_a_closed_cycle_sends_no_second_launch(world, django_capture_on_commit_callbacks):
    cycle = draft_cycle(world, state=Cycle.State.CLOSED)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def test_a_cycle_opening_later_is_launched_on_its_first_day(
    world, django_capture_on_commit_callbacks
):
    tomorrow = timezone.localdate() + timedelta(days=1)
    cycle = draft_cycle(world, opens_on=tomorrow)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    assert mail.outbox == []
    assert mailings.launch_catch_up(tomorrow) == 3
    assert mailings.launch_catch_up(tomorrow) == 0


def test_someone_who_joins_a_team_later_gets_the_launch_email_on_the_next_pass(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    mia = make_user("mia@example.com")
    Membership.objects.create(user=mia, organization=world.acme, role=Role.MEMBER, team=world.beta)
    mail.outbox.clear()
    assert mailings.launch_catch_up() == 1
    assert [m.to for m in mail.outbox] == [["mia@example.com"]]


def test_people_a_roster_import_adds_to_a_team_get_the_launch_email_at_once(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    roster = (
        b"email,name,team,role\n"
        b"alice@example.com,Alice,,org admin\nleo@example.com,Leo,,leader\n"
        b"tess@example.com,Tess,Alpha,team lead\nmax@example.com,Max,Alpha,member\n"
        b"bob@example.com,Bob,Beta,member\nmia@example.com,Mia,Beta,member\n"
        b"ola@example.com,Ola,Gamma,member\n"  # a new team, not in the cycle: no email
    )
    with django_capture_on_commit_callbacks(execute=True):
        roster_services.apply_roster(world.alice, world.acme, roster)
    assert [m.to for m in mail.outbox] == [["mia@example.com"]]
    assert CycleEmail.objects.filter(cycle=cycle, user__email="mia@example.com").count() == 1
    assert mailings.launch_catch_up() == 0  # the daily pass finds nothing owed
    # The same roster again changes nobody and sends nothing.
    with django_capture_on_commit_callbacks(execute=True):
        roster_services.apply_roster(world.alice, world.acme, roster)
    assert len(mail.outbox) == 1


def test_an_invitation_accepted_into_a_team_sends_the_open_cycles_launch_email(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    join_by_invitation(world, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["nia@example.com"]]
    assert "2027 Q1" in mail.outbox[0].subject + mail.outbox[0].body


def test_joining_when_no_cycle_is_open_sends_nothing(world, django_capture_on_commit_callbacks):
    draft_cycle(world)  # a draft: not open
    join_by_invitation(world, django_capture_on_commit_callbacks)
    assert mail.outbox == []


def join_by_invitation(world, capture) -> None:
    """Nia is invited into Alpha and accepts; the outbox then holds only what accepting sent."""
    with capture(execute=True):
        sent = org_services.invite(
            world.alice, world.acme, "nia@example.com", Role.MEMBER, world.alpha, str
        )
    mail.outbox.clear()
    with capture(execute=True):
        org_services.accept_invitation(sent.invitation, make_user("nia@example.com"))


def test_personal_link_signs_in_once_into_ones_own_questionnaire(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    link = link_in(by_recipient(mail.outbox)["max@example.com"])
    client = Client()
    first = client.get(link)
    start = reverse("cycle_start", args=["acme", cycle.slug])
    assert first.status_code == 302 and first["Location"] == start  # token leaves the URL
    landing = client.get(start)
    assert landing["Location"] == reverse("response_start", args=["acme", cycle.slug, "alpha"])
    assert client.get(landing["Location"]).status_code in {200, 302}
    assert int(client.session["_auth_user_id"]) == world.max.pk
    # The same link in another browser: used up.
    again = Client().get(link)
    assert again.status_code == 403 and b"used already or has expired" in again.content
    assert "_auth_user_id" not in again.wsgi_request.session


def test_expired_personal_link_does_not_sign_in(
    world, settings, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    link = link_in(by_recipient(mail.outbox)["max@example.com"])
    settings.SESAME_MAX_AGE = 0  # every link is now past its age
    response = Client().get(link)
    assert response.status_code == 403
    assert "_auth_user_id" not in response.wsgi_request.session


def test_a_link_is_its_owners_and_opens_no_one_elses_questionnaire(
    world, django_capture_on_commit_callbacks
):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    bobs = link_in(by_recipient(mail.outbox)["bob@example.com"])
    client = Client()
    client.get(bobs)
    landing = client.get(reverse("cycle_start", args=["acme", cycle.slug]))
    assert landing["Location"] == reverse("response_start", args=["acme", cycle.slug, "beta"])
    assert int(client.session["_auth_user_id"]) == world.bob.pk
    alpha = reverse("response_start", args=["acme", cycle.slug, "alpha"])
    assert client.get(alpha).status_code == 403
    assert not Response.objects.filter(team=world.alpha, respondent=world.bob).exists()


def test_a_tampered_link_does_not_sign_in(world, django_capture_on_commit_callbacks):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    link = link_in(by_recipient(mail.outbox)["max@example.com"])
    response = Client().get(link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB"))
    assert response.status_code == 403


def test_start_page_without_a_link_asks_to_sign_in(world, cycle):
    response = Client().get(reverse("cycle_start", args=["acme", cycle.slug]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Reminders -------------------------------------------------------------------------------


@pytest.fixture
def due_cycle(world):
    """An open cycle that closes in two days (reminders 7 and 2 days before: due today),
    whose launch emails went out a week ago."""
    today = timezone.localdate()
    cycle = draft_cycle(
        world, opens_on=today - timedelta(days=10), closes_on=today + timedelta(days=2)
    )
    Cycle.objects.filter(pk=cycle.pk).update(state=Cycle.State.OPEN, reminder_days="7,2")
    for user in (world.tess, world.max, world.bob):
        CycleEmail.objects.create(
            cycle=cycle, user=user, kind="launch", sent_on=today - timedelta(days=7)
        )
    return Cycle.objects.get(pk=cycle.pk)


def test_reminders_skip_the_submitted_the_opted_out_and_those_mailed_today(world, due_cycle):
    today = timezone.localdate()
    Response.objects.create(
        cycle=due_cycle, team=world.alpha, respondent=world.tess, status="submitted"
    )
    Membership.objects.filter(user=world.max).update(reminders_opted_out_at=timezone.now())
    mia = make_user("mia@example.com")
    Membership.objects.create(user=mia, organization=world.acme, role=Role.MEMBER, team=world.beta)
    CycleEmail.objects.create(cycle=due_cycle, user=mia, kind="launch", sent_on=today)
    result = mailings.reminder_pass()
    assert result.to_dict() == {"due": 1, "sent": 1}
    [message] = mail.outbox
    assert message.to == ["bob@example.com"]
    assert "closes on" in message.subject
    [unsubscribe] = UNSUBSCRIBE.findall(message.body)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe}>"
    [(html, _)] = message.alternatives
    assert "No more reminders" in html and LINK.search(message.body)
    # A second pass the same day sends nothing.
    assert mailings.reminder_pass().to_dict() == {"due": 0, "sent": 0}


def test_draft_answers_do_not_stop_reminders(world, due_cycle):
    Response.objects.create(cycle=due_cycle, team=world.beta, respondent=world.bob)
    assert mailings.reminder_pass().to_dict() == {"due": 3, "sent": 3}


def test_no_reminder_between_reminder_days(world, due_cycle):
    Cycle.objects.filter(pk=due_cycle.pk).update(reminder_days="1")
    assert mailings.reminder_pass().to_dict() == {"due": 0, "sent": 0}


def test_unsubscribe_link_stops_reminders(world, due_cycle):
    mailings.reminder_pass()
    url = UNSUBSCRIBE.findall(by_recipient(mail.outbox)["bob@example.com"].body)[0]
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and b"Stop reminders" in page.content
    assert (
        Membership.objects.get(user=world.bob).reminders_opted_out_at is None
    )  # GET changes nothing
    done = client.post(url)
    assert done.status_code == 200 and b"No more reminders" in done.content
    assert Membership.objects.get(user=world.bob).reminders_opted_out_at is not None
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REMINDERS_OPTED_OUT).count() == 1
    # As if today's reminders had not gone yet: everyone but bob is reminded.
    CycleEmail.objects.filter(kind="reminder").delete()
    mail.outbox.clear()
    assert mailings.reminder_pass().to_dict() == {"due": 2, "sent": 2}
    assert set(by_recipient(mail.outbox)) == {"tess@example.com", "max@example.com"}


def test_unsubscribe_link_of_another_organisation_or_tampered_is_refused(world, due_cycle):
    token = mailings.unsubscribe_token(Membership.objects.get(user=world.charlie))
    assert Client().get(reverse("reminders_unsubscribe", args=["acme", token])).status_code == 400
    bad = reverse("reminders_unsubscribe", args=["acme", token + "x"])
    assert Client().post(bad).status_code == 400
    assert Membership.objects.get(user=world.charlie).reminders_opted_out_at is None


def run_send_reminders(*args: str) -> dict:
    out = StringIO()
    call_command("send_reminders", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_send_reminders_command_json(world, due_cycle):
    assert run_send_reminders("--dry-run") == {"due": 3, "sent": 0}
    assert mail.outbox == []
    assert run_send_reminders("--org", "other") == {"due": 0, "sent": 0}
    assert run_send_reminders("--org", "acme") == {"due": 3, "sent": 3}
    assert run_send_reminders() == {"due": 0, "sent": 0}


def test_send_reminders_json_stays_parseable_with_the_console_email_backend(
    world, due_cycle, settings, capsys
):
    # `make run` prints emails to the console: with --json they must not mix into the JSON.
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    call_command("send_reminders", "--org", "acme", "--json")
    printed = capsys.readouterr()
    assert json.loads(printed.out) == {"due": 3, "sent": 3}
    assert sorted(re.findall(r"^To: (\S+)$", printed.err, re.M)) == [
        "bob@example.com",
        "max@example.com",
        "tess@example.com",
    ]


def test_participation_page_shows_reminder_counts(world, due_cycle, login):
    Cycle.objects.filter(pk=due_cycle.pk).update(reminder_days="2,1")
    mailings.reminder_pass()
    Response.objects.create(
        cycle=due_cycle, team=world.beta, respondent=world.bob, status="submitted"
    )
    page = login(world.alice).get(reverse("participation", args=["acme", due_cycle.slug]))
    text = " ".join(page.content.decode().split())
    assert "Reminders:</span> 3 sent;" in text
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert f"next on {tomorrow:%-d %b %Y}, to 2 people who have not submitted" in text


def test_beat_schedule_runs_the_daily_pass():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "assessments.tasks.daily_cycle_emails_task" in tasks
    app.loader.import_default_modules()
    assert "assessments.tasks.daily_cycle_emails_task" in app.tasks


def test_daily_task_launches_and_reminds(world, due_cycle):
    from assessments.tasks import daily_cycle_emails_task

    assert daily_cycle_emails_task.delay().get() == {"launched": 0, "due": 3, "sent": 3}


# --- The cycle form's reminder days -----------------------------------------------------------


def test_cycle_form_saves_reminder_days(world, login, due_cycle):
    client = login(world.alice)
    url = reverse("admin_cycle_edit", args=["acme", due_cycle.slug])
    assert 'value="7,2"' in client.get(url).content.decode()
    data = {
        "name": due_cycle.name,
        "opens_on": due_cycle.opens_on.isoformat(),
        "closes_on": due_cycle.closes_on.isoformat(),
        "teams": [world.alpha.pk, world.beta.pk],
        "reminder_days": "3, 10",
    }
    assert client.post(url, data).status_code == 302
    assert Cycle.objects.get(pk=due_cycle.pk).reminder_days == "10,3"
    refused = client.post(url, {**data, "reminder_days": "soon"})
    assert refused.status_code == 400 and "not a number of days" in refused.content.decode()
    assert Cycle.objects.get(pk=due_cycle.pk).reminder_days == "10,3"


# --- A real SMTP server on loopback ------------------------------------------------------------


class Inbox:
    """aiosmtpd handler: keeps every message that arrives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


def wait_for(inbox: Inbox, count: int) -> None:
    deadline = time.monotonic() + 10
    while len(inbox.messages) < count and time.monotonic() < deadline:
        time.sleep(0.05)


def parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in message.walk()
        if not part.is_multipart()
    }


def test_launch_emails_arrive_through_real_smtp(world, smtp, django_capture_on_commit_callbacks):
    cycle = draft_cycle(world)
    open_it(world, cycle, django_capture_on_commit_callbacks)
    wait_for(smtp, 3)
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == [
        "bob@example.com",
        "max@example.com",
        "tess@example.com",
    ]
    message = next(m for rcpts, m in smtp.messages if rcpts == ["max@example.com"])
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    link = LINK.search(body["text/plain"]).group(1)
    client = Client()
    client.get(link)
    assert int(client.session["_auth_user_id"]) == world.max.pk


def test_reminders_arrive_through_real_smtp(world, due_cycle, smtp):
    Response.objects.create(
        cycle=due_cycle, team=world.alpha, respondent=world.tess, status="submitted"
    )
    assert run_send_reminders() == {"due": 2, "sent": 2}
    wait_for(smtp, 2)
    assert sorted(r for rcpts, _ in smtp.messages for r in rcpts) == [
        "bob@example.com",
        "max@example.com",
    ]
    message = smtp.messages[0][1]
    assert (
        message["List-Unsubscribe"]
        .strip()
        .startswith("<http://testserver/o/acme/reminders/unsubscribe/")
    )
    body = parts(message)
    assert "No more reminders" in body["text/html"] and UNSUBSCRIBE.search(body["text/plain"])


def test_new_cycle_takes_reminder_days(world, login):
    today = timezone.localdate()
    response = login(world.alice).post(
        reverse("admin_cycle_new", args=["acme"]),
        {
            "name": "With reminders",
            "instrument": "1",
            "opens_on": today.isoformat(),
            "closes_on": (today + timedelta(days=20)).isoformat(),
            "teams": [world.alpha.pk],
            "reminder_days": "3",
        },
    )
    assert response.status_code == 302
    assert Cycle.objects.get(name="With reminders").reminder_days == "3"


def test_reminder_summary_after_todays_pass_points_to_the_next_reminder_day(world, due_cycle):
    today = timezone.localdate()
    Cycle.objects.filter(pk=due_cycle.pk).update(reminder_days="2,1")
    cycle = Cycle.objects.get(pk=due_cycle.pk)
    teams = [world.alpha, world.beta]
    before = mailings.reminder_summary(cycle, teams)
    assert (before.sent, before.next_on, before.next_to) == (0, today, 3)
    mailings.reminder_pass()
    after = mailings.reminder_summary(cycle, teams)
    assert (after.sent, after.next_on, after.next_to) == (3, today + timedelta(days=1), 3)
    only_alpha = mailings.reminder_summary(cycle, [world.alpha])
    assert (only_alpha.sent, only_alpha.next_to) == (2, 2)
