"""Writes for instruments, cycles and responses. Each is one transaction; audited where the
organisation's admins need to know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from orgs import audit
from orgs.models import AuditEvent, Membership, Organization, Team, User
from orgs.services import unique_slug

from . import tasks
from .answers import AnswerError, parse_answer, parse_evidence
from .classify import label, load_classifier, review_threshold
from .instrument.loader import load_version
from .instrument.types import TEXT_TYPES, Answers, Instrument, InstrumentError
from .instrument.visibility import visible_item_keys
from .models import Answer, ClassifiedAction, Cycle, InstrumentVersion, ReopenRequest, Response
from .progress import is_answered
from .recommend.rules import DEFAULT_RULES_PATH, Rule, load_rules
from .scoring.response import score_response

A = AuditEvent.Action


@transaction.atomic
def opt_out_of_reminders(membership: Membership) -> None:
    """No more reminder emails for this person in this organisation, audited."""
    if membership.reminders_opted_out_at is not None:
        return
    membership.reminders_opted_out_at = timezone.now()
    membership.save(update_fields=["reminders_opted_out_at"])
    audit.record(membership.organization, membership.user, A.REMINDERS_OPTED_OUT, membership.user)


@lru_cache(maxsize=16)
def instrument_for(version: str) -> Instrument:
    """The parsed instrument of a version (files do not change while a process runs)."""
    return load_version(version)


@lru_cache(maxsize=16)
def rules_for(version: str) -> tuple[Rule, ...]:
    """The recommendation rules, validated against the instrument version they apply to."""
    return load_rules(DEFAULT_RULES_PATH, instrument_for(version))


@transaction.atomic
def publish_instrument(version: str) -> InstrumentVersion:
    """Record `version` as published, or check that its file has not changed since."""
    instrument = load_version(version)
    published = (
        InstrumentVersion.objects.select_for_update().filter(version=instrument.version).first()
    )
    if published is None:
        return InstrumentVersion.objects.create(
            version=instrument.version, title=instrument.title, content_hash=instrument.content_hash
        )
    if published.content_hash != instrument.content_hash:
        raise InstrumentError(
            f"Instrument v{version} was published with different content "
            f"(hash {published.content_hash[:12]}…, file now {instrument.content_hash[:12]}…). "
            "A published version is immutable: save your changes as a new version "
            f"(bump `version` and name the file v<new>.yaml)."
        )
    return published


@transaction.atomic
def create_cycle(
    actor: User,
    org: Organization,
    *,
    name: str,
    instrument: InstrumentVersion,
    opens_on: date,
    closes_on: date,
    teams: list[Team],
    reminder_days: str | None = None,
) -> Cycle:
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "The cycle must close on or after the day it opens."})
    taken = set(org.cycles.values_list("slug", flat=True))
    cycle = Cycle.objects.create(
        organization=org,
        name=name,
        slug=unique_slug(name, taken, "cycle"),
        instrument=instrument,
        opens_on=opens_on,
        closes_on=closes_on,
        **({"reminder_days": reminder_days} if reminder_days is not None else {}),
    )
    cycle.teams.set(teams)
    audit.record(
        org, actor, A.CYCLE_CREATED, cycle, instrument=instrument.version, teams=len(teams)
    )
    return cycle


CYCLE_TRANSITIONS = {
    Cycle.State.DRAFT: {Cycle.State.OPEN},
    Cycle.State.OPEN: {Cycle.State.CLOSED},
    Cycle.State.CLOSED: {Cycle.State.OPEN},  # reopen a cycle closed by mistake
}


@transaction.atomic
def update_cycle(
    actor: User,
    cycle: Cycle,
    *,
    name: str,
    opens_on: date,
    closes_on: date,
    teams: list[Team],
    state: str,
    reminder_days: str | None = None,
) -> None:
    """Change a cycle's details or state. Opening a draft emails everyone on its teams their
    personal link, once the change is committed (tasks.send_launch_emails_task)."""
    if closes_on < opens_on:
        raise ValidationError({"closes_on": "The cycle must close on or after the day it opens."})
    if state != cycle.state and state not in CYCLE_TRANSITIONS[Cycle.State(cycle.state)]:
        raise ValidationError(
            {"state": f"A {cycle.get_state_display().lower()} cycle cannot become {state}."}
        )
    if reminder_days is None:  # a state change alone leaves the reminder days as they are
        reminder_days = cycle.reminder_days
    launches = cycle.state == Cycle.State.DRAFT and state == Cycle.State.OPEN
    changes: dict[str, list[str | int]] = {
        field: [str(getattr(cycle, field)), str(value)]
        for field, value in (
            ("name", name),
            ("opens_on", opens_on),
            ("closes_on", closes_on),
            ("state", state),
            ("reminder_days", reminder_days),
        )
        if getattr(cycle, field) != value
    }
    cycle.name, cycle.opens_on, cycle.closes_on, cycle.state = name, opens_on, closes_on, state
    cycle.reminder_days = reminder_days
    cycle.save(update_fields=["name", "opens_on", "closes_on", "state", "reminder_days"])
    if launches:
        cycle_id = cycle.pk
        transaction.on_commit(lambda: tasks.send_launch_emails_task.delay(cycle_id))
    before = set(cycle.teams.values_list("pk", flat=True))
    if before != {t.pk for t in teams}:
        cycle.teams.set(teams)
        changes["teams"] = [len(before), len(teams)]
    if changes:
        audit.record(cycle.organization, actor, A.CYCLE_CHANGED, cycle, changes=changes)


class AlreadyAnswered(Exception):
    """The respondent answered this cycle for another team: one person, one response."""

    def __init__(self, earlier: Response) -> None:
        super().__init__(f"already answered for team {earlier.team_id}")
        self.earlier = earlier


def response_for(cycle: Cycle, team: Team, user: User) -> Response:
    """The user's response for the team in the cycle, created on first visit.

    Someone who moved team during the cycle has one response, not one per team (or they
    would count twice, and the two would differ by one person): a draft follows them to the
    new team; one submitted for the old team (or reopened since) stays with it, and
    AlreadyAnswered says so."""
    earlier = (
        Response.objects.filter(cycle=cycle, respondent=user)
        .exclude(team=team)
        .select_related("team")
        .first()
    )
    if earlier is not None:
        if earlier.submitted_at is not None or earlier.reopened_at is not None:
            raise AlreadyAnswered(earlier)
        earlier.team = team
        earlier.save(update_fields=["team", "updated_at"])
        return earlier
    try:
        response, _ = Response.objects.get_or_create(cycle=cycle, team=team, respondent=user)
    except IntegrityError:  # two tabs opened it at the same moment
        response = Response.objects.get(cycle=cycle, team=team, respondent=user)
    return response


def answers_of(response: Response) -> Answers:
    # Plain rows, not model instances: every autosave reads them all back for progress.
    return dict(Answer.objects.filter(response=response).values_list("item_key", "value"))


@dataclass(frozen=True)
class SaveResult:
    """What an autosave did: `saved`, `cleared`, or `conflict` (with the current value)."""

    outcome: str
    item_key: str
    value: object
    evidence: str
    version: int
    may_quote: bool = False


class ResponseLocked(Exception):
    """The response was submitted, or its cycle is not open."""


def check_editable(response: Response) -> None:
    if response.is_locked():
        raise ResponseLocked("This response is submitted and locked.")
    if not response.cycle.is_open():
        raise ResponseLocked("This cycle is not open for answers.")


@transaction.atomic
def save_answer(
    response: Response,
    item_key: str,
    raw_values: list[str],
    base_version: int,
    raw_evidence: str | None = None,
    may_quote: bool | None = None,
) -> SaveResult:
    """Save one answer if `base_version` is the version the client last saw.

    A stale save (another tab saved in between) changes nothing and returns the current
    value, so the client can show it instead of silently overwriting. `may_quote` (free-text
    items only; None keeps the stored choice) is the respondent's permission to quote it.
    """
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("cycle__instrument")
        .get(pk=response.pk)
    )
    check_editable(response)
    instrument = instrument_for(response.cycle.instrument.version)
    try:
        item = instrument.item(item_key)
    except KeyError:
        raise AnswerError("This question is not part of the questionnaire.") from None
    value = parse_answer(item, raw_values)
    evidence = parse_evidence(raw_evidence) if item.is_practice else ""
    current = Answer.objects.filter(response=response, item_key=item_key).first()
    current_version = current.version if current else 0
    if base_version != current_version:
        return SaveResult(
            "conflict",
            item_key,
            current.value if current else None,
            current.evidence if current else "",
            current_version,
            current.may_quote if current else False,
        )
    if value is None and not evidence:
        if current:
            current.delete()
        # Deleting resets the version; the next save is based on 0 again.
        return SaveResult("cleared", item_key, None, "", 0)
    quotable = item.type in TEXT_TYPES
    if may_quote is None:
        may_quote = current.may_quote if current else False
    may_quote = may_quote and quotable
    if current is None:
        current = Answer.objects.create(
            response=response,
            item_key=item_key,
            value=value,
            evidence=evidence,
            may_quote=may_quote,
        )
    else:
        current.value, current.evidence, current.may_quote = value, evidence, may_quote
        current.version += 1
        current.save(update_fields=["value", "evidence", "may_quote", "version", "updated_at"])
    # The response row is left alone: a draft's last change is its answers' `updated_at`,
    # and one write fewer per autosave is what the load test measures.
    return SaveResult(
        "saved", item_key, current.value, current.evidence, current.version, current.may_quote
    )


def missing_required(instrument: Instrument, answers: Answers) -> list[str]:
    """Keys of required, visible items without an answer: what blocks submission."""
    visible = visible_item_keys(instrument, answers)
    return [
        i.key
        for i in instrument.items
        if i.required and i.key in visible and not is_answered(answers.get(i.key))
    ]


@transaction.atomic
def submit_response(response: Response) -> None:
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("cycle__instrument")
        .get(pk=response.pk)
    )
    check_editable(response)
    instrument = instrument_for(response.cycle.instrument.version)
    answers = answers_of(response)
    missing = missing_required(instrument, answers)
    if missing:
        raise ValidationError(
            f"{len(missing)} required question{'s' if len(missing) != 1 else ''} "
            f"still need{'s' if len(missing) == 1 else ''} an answer.",
            code="missing",
            params={"missing": missing},
        )
    store_submission(response, instrument, answers)


def store_submission(response: Response, instrument: Instrument, answers: Answers) -> None:
    """Score the answers, copy out the segments used for filtering, and lock the response."""
    visible = visible_item_keys(instrument, answers)
    response.scores = score_response(instrument, answers, visible).to_dict()
    response.segments = {
        i.segment: answers[i.key]
        for i in instrument.items
        if i.segment and i.key in answers and i.key in visible
    }
    response.status = Response.Status.SUBMITTED
    response.submitted_at = timezone.now()
    response.save(update_fields=["scores", "segments", "status", "submitted_at", "updated_at"])
    quotable = frozenset(
        Answer.objects.filter(response=response, may_quote=True).values_list("item_key", flat=True)
    )
    classify_actions(response, instrument, answers, quotable)


def classify_actions(
    response: Response,
    instrument: Instrument,
    answers: Answers,
    quotable: frozenset[str] = frozenset(),
) -> list[ClassifiedAction]:
    """Label the response's free-text actions (individual, collective, or none: no action
    taken); low confidence goes to the review queue.

    `quotable`: keys of the answers the respondent allowed to be quoted (copied onto each
    action as `may_quote`). Re-submitting after a reopen keeps an unchanged text (same item,
    same words) as it was: its row, public id, labels and review decision; only `may_quote`
    follows the answer. New rows, or new labels after a lexicon change, for only the
    requester's texts would tell the team lead who approved the reopen which texts are
    theirs. A changed text is a new action with a new public id.
    """
    classifier = load_classifier()
    threshold = review_threshold(classifier, settings.RECOUPLE_CLASSIFIER_THRESHOLD)
    previous = {(a.item_key, a.text): a for a in response.actions.all()}
    out: list[ClassifiedAction] = []
    kept: list[ClassifiedAction] = []
    made: list[ClassifiedAction] = []
    for item in instrument.items:
        text = answers.get(item.key)
        if item.type != "action" or not isinstance(text, str) or not text.strip():
            continue
        action = previous.pop((item.key, text.strip()), None)
        if action is not None:
            action.may_quote = item.key in quotable
            kept.append(action)
        else:
            result = label(text, classifier, threshold)
            action = ClassifiedAction(
                response=response,
                cycle_id=response.cycle_id,
                team_id=response.team_id,
                item_key=item.key,
                text=result.text,
                kind=result.kind,
                confidence=result.confidence,
                needs_review=result.needs_review,
                cues=list(result.cues),
                classifier_version=result.version,
                may_quote=item.key in quotable,
            )
            made.append(action)
        out.append(action)
    if previous:  # texts changed or emptied since the last submission
        ClassifiedAction.objects.filter(pk__in=[a.pk for a in previous.values()]).delete()
    ClassifiedAction.objects.bulk_update(kept, ["may_quote"])
    ClassifiedAction.objects.bulk_create(made)
    return out


REVIEW_REASON_MAX = 500


@transaction.atomic
def review_action(actor: User, action: ClassifiedAction, kind: str, reason: str) -> None:
    """Store a reviewer's label, audited: agreeing with the classifier needs no reason,
    disagreeing (another kind, none, duplicate) needs a short one."""
    if kind not in ClassifiedAction.Kind.values:
        raise ValidationError(
            {"kind": "Choose individual, collective, not an action, or duplicate."}
        )
    reason = reason.strip()
    if kind != action.kind and not reason:
        raise ValidationError(
            {"reason": "You disagree with the suggestion: say why in a few words."}
        )
    if len(reason) > REVIEW_REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REVIEW_REASON_MAX} characters."})
    _store_review(actor, action, kind, reason, bulk=False)


@transaction.atomic
def confirm_suggestions(actor: User, actions: list[ClassifiedAction]) -> int:
    """Agree with the classifier on several actions at once (each audited); actions
    reviewed by someone else in the meantime are left as they are. Returns how many."""
    ids = [action.pk for action in actions]
    fresh = ClassifiedAction.objects.select_for_update().filter(pk__in=ids, reviewed_at=None)
    confirmed = 0
    # In public-id order (random): row-id order would be submission order, and it would
    # show in the audit log and the reviewed actions' order (by review time).
    for action in fresh.select_related("cycle__organization").order_by("public_id"):
        _store_review(actor, action, action.kind, "", bulk=True)
        confirmed += 1
    return confirmed


def _store_review(
    actor: User, action: ClassifiedAction, kind: str, reason: str, *, bulk: bool
) -> None:
    action.reviewed_kind = kind
    action.reviewed_by = actor
    action.reviewed_at = timezone.now()
    action.review_reason = reason
    action.save(update_fields=["reviewed_kind", "reviewed_by", "reviewed_at", "review_reason"])
    audit.record(
        action.cycle.organization,
        actor,
        A.ACTION_REVIEWED,
        action,
        classifier=action.kind,
        decision=kind,
        overridden=kind != action.kind,
        reason=reason,
        bulk=bulk,
    )


def reopen_response(response: Response) -> None:
    """Unlock a submitted response for its respondent to change; called by
    `decide_reopen_request` on approval (no page reopens a response by id). The response
    stays a draft with `reopened_at` set until it is submitted again."""
    response.status = Response.Status.DRAFT
    response.reopened_at = timezone.now()
    response.scores = None
    response.save(update_fields=["status", "reopened_at", "scores", "updated_at"])


class ReopenRefused(Exception):
    """A reopening cannot be asked for or decided now; the message says why."""


REOPEN_REASON_MAX = 500


@transaction.atomic
def request_reopen(response: Response, reason: str) -> ReopenRequest:
    """The respondent asks to change their submitted response while the cycle is open.

    Audited without an actor: the log says a response in the team asked, not who.
    """
    response = (
        Response.objects.select_for_update(of=("self",))
        .select_related("cycle__organization", "team")
        .get(pk=response.pk)
    )
    reason = reason.strip()
    if len(reason) > REOPEN_REASON_MAX:
        raise ValidationError(
            f"The reason is {len(reason):,} characters long; the limit is {REOPEN_REASON_MAX}."
        )
    if not response.is_locked():
        raise ReopenRefused("Your response is not submitted, so you can change it already.")
    if not response.cycle.is_open():
        raise ReopenRefused("The cycle is not open any more; submitted responses stay as they are.")
    if response.reopen_requests.filter(status=ReopenRequest.Status.PENDING).exists():
        raise ReopenRefused("You have already asked; your team lead has not decided yet.")
    made = ReopenRequest.objects.create(
        response=response, cycle=response.cycle, team=response.team, reason=reason
    )
    audit.record(
        response.cycle.organization,
        None,
        A.REOPEN_REQUESTED,
        made,
        team=response.team.name,
        cycle=response.cycle.name,
    )
    return made


@transaction.atomic
def decide_reopen_request(actor: User, request: ReopenRequest, approve: bool) -> None:
    """A team lead or org admin approves (the response opens for changes) or declines.

    The decider never sees the answers or the respondent; the audit records who decided.
    """
    request = (
        ReopenRequest.objects.select_for_update(of=("self",))
        .select_related("cycle__organization", "team", "response")
        .get(pk=request.pk)
    )
    if not request.is_pending():
        raise ReopenRefused("This request was already decided.")
    if approve and not request.cycle.is_open():
        raise ReopenRefused("The cycle is not open any more; the response stays as it is.")
    request.status = ReopenRequest.Status.APPROVED if approve else ReopenRequest.Status.DECLINED
    request.decided_at, request.decided_by = timezone.now(), actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    if approve:
        response = Response.objects.select_for_update(of=("self",)).get(pk=request.response_id)
        if response.is_locked():
            reopen_response(response)
    audit.record(
        request.cycle.organization,
        actor,
        A.RESPONSE_REOPENED if approve else A.REOPEN_DECLINED,
        request,
        team=request.team.name,
        cycle=request.cycle.name,
    )
