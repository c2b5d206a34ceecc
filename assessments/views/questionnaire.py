"""The respondent's questionnaire: first screen, section pages, autosave, review and submit,
own export, and asking to reopen a submitted response."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgs.access import AuthenticatedHttpRequest, org_view
from orgs.csv_export import csv_response
from orgs.models import Membership

from .. import services
from ..access import cycle_in_org, own_response, respondent_team
from ..answers import AnswerError, parse_answer
from ..instrument.types import TEXT_TYPES, Answers, Instrument, Item, Section
from ..instrument.visibility import visible_item_keys
from ..models import Answer, Cycle, Response
from ..progress import answer_time, is_answered, progress, section_complete

RESPONDENT = "respondent"
MISSING_LISTED = 10


def one_response_per_cycle(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Someone who answered this cycle for their previous team is told so (409), plainly,
    instead of starting a second response."""

    @wraps(view)
    def wrapped(
        request: AuthenticatedHttpRequest, m: Membership, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        try:
            return view(request, m, *args, **kwargs)
        except services.AlreadyAnswered as answered:
            context = {"m": m, "earlier": answered.earlier, "cycle": answered.earlier.cycle}
            return render(
                request, "assessments/questionnaire/already_answered.html", context, status=409
            )

    return wrapped


def _load(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> tuple[Cycle, Response, Instrument]:
    response = own_response(m, cycle, team_slug)
    if response is None:
        cycle_obj = cycle_in_org(m, cycle)
        team_obj = respondent_team(m, cycle_obj, team_slug)
        response = services.response_for(cycle_obj, team_obj, request.user)
    cycle_obj = response.cycle
    return cycle_obj, response, services.instrument_for(cycle_obj.instrument.version)


def _section(instrument: Instrument, key: str) -> Section | None:
    return next((s for s in instrument.sections if s.key == key), None)


def _answer_rows(response: Response) -> dict[str, Answer]:
    return {a.item_key: a for a in response.answers.all()}


def _progress(instrument: Instrument, answers: Answers) -> dict[str, int]:
    return progress(instrument, answers).to_dict()


def _quote_rule(m: Membership) -> str:
    """The one sentence, shown on the first screen and below each written answer's box."""
    k = m.organization.anonymity_threshold
    return (
        "Written answers may be quoted word for word, without your name, to your team and "
        f"to leadership, only in results for a group of at least {k} people, and only if "
        "you tick “May be quoted” below the answer. Otherwise they are only counted."
    )


def _item_view(
    item: Item, answer: Answer | None, hidden: bool, typed: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the template needs to draw one question (no logic left for the template)."""
    value = (
        typed.get(item.key, answer.value if answer else None)
        if typed
        else (answer.value if answer else None)
    )
    chosen = set(value) if isinstance(value, list) else {value}
    widget = {"multiple_choice": "checkbox", "free_text": "textarea", "action": "textarea"}.get(
        item.type, "radio"
    )
    return {
        "key": item.key,
        "text": item.text,
        "help": item.help,
        "type": item.type,
        "widget": widget,
        "scale": item.type in {"agreement", "frequency", "yes_no"},
        "required": item.required,
        "hidden": hidden,
        "version": answer.version if answer else 0,
        "options": [
            {"value": o.value, "label": o.label, "checked": o.value in chosen} for o in item.options
        ],
        "text_value": value if isinstance(value, str) and widget == "textarea" else "",
        "max_length": item.max_length,
        "is_practice": item.is_practice,
        "evidence": (typed or {}).get(f"evidence__{item.key}", answer.evidence if answer else ""),
        "quotable": item.type in TEXT_TYPES,
        "may_quote": (typed or {}).get(
            f"may_quote__{item.key}", answer.may_quote if answer else False
        ),
    }


def _state_notice(cycle: Cycle, response: Response) -> str | None:
    if response.is_locked():
        return "submitted"
    if cycle.is_closed():
        return "closed"
    if not cycle.is_open():
        return "not_open"
    return None


def _resume_section(instrument: Instrument, answers: Answers) -> Section | None:
    """The first section with a required question left, or None when none is left."""
    missing = set(services.missing_required(instrument, answers))
    return next((s for s in instrument.sections if any(i.key in missing for i in s.items)), None)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_GET
def response_start(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> HttpResponse:
    """The questionnaire's entry: the first screen before any answer; afterwards straight
    back to the first section with something left (or to review when nothing is)."""
    cycle_obj, response, instrument = _load(request, m, cycle, team_slug)
    if response.is_locked():
        return redirect("response_review", m.organization.slug, cycle, team_slug)
    answers = services.answers_of(response)
    if not answers:
        return _intro(request, m, cycle_obj, response, instrument, answers)
    section = _resume_section(instrument, answers)
    if section is None:
        return redirect("response_review", m.organization.slug, cycle, team_slug)
    return redirect("response_section", m.organization.slug, cycle, team_slug, section.key)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_GET
def response_intro(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> HttpResponse:
    """The first screen again, on demand: time, deadline, who sees what."""
    cycle_obj, response, instrument = _load(request, m, cycle, team_slug)
    return _intro(request, m, cycle_obj, response, instrument, services.answers_of(response))


def _intro(
    request: HttpRequest,
    m: Membership,
    cycle: Cycle,
    response: Response,
    instrument: Instrument,
    answers: Answers,
) -> HttpResponse:
    args = [m.organization.slug, cycle.slug, response.team.slug]
    resume = _resume_section(instrument, answers) if answers else instrument.sections[0]
    if response.is_locked() or resume is None:
        go = reverse("response_review", args=args)
    else:
        go = reverse("response_section", args=[*args, resume.key])
    context = {
        "m": m,
        "cycle": cycle,
        "response": response,
        "team": response.team,
        "time": answer_time(instrument),
        "sections": instrument.sections,
        "progress": _progress(instrument, answers),
        "started": bool(answers),
        "go_url": go,
        "notice": _state_notice(cycle, response),
        "quote_rule": _quote_rule(m),
        "k": m.organization.anonymity_threshold,
    }
    return render(request, "assessments/questionnaire/intro.html", context)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_http_methods(["GET", "POST"])
def response_section(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str, section: str
) -> HttpResponse:
    cycle_obj, response, instrument = _load(request, m, cycle, team_slug)
    sec = _section(instrument, section)
    if sec is None:
        return render(request, "404.html", status=404)
    rows = _answer_rows(response)
    notice = _state_notice(cycle_obj, response)
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        if notice:
            messages.error(request, "This response can no longer be changed.")
            return redirect("response_section", m.organization.slug, cycle, team_slug, section)
        typed, errors = _save_section(response, sec, request.POST, rows)
        if not errors:
            target = request.POST.get("go", "next")
            return redirect(_neighbour_url(m, cycle, team_slug, instrument, sec, target))
        rows = _answer_rows(response)
    answers = {k: a.value for k, a in rows.items()}
    visible = visible_item_keys(instrument, answers)
    index = instrument.sections.index(sec)
    context = {
        "m": m,
        "cycle": cycle_obj,
        "response": response,
        "team": response.team,
        "section": sec,
        "sections": [
            {
                "key": s.key,
                "title": s.title,
                "current": s.key == sec.key,
                "number": n + 1,
                "complete": section_complete(s, answers, visible),
            }
            for n, s in enumerate(instrument.sections)
        ],
        "number": index + 1,
        "previous": instrument.sections[index - 1] if index else None,
        "next": instrument.sections[index + 1] if index + 1 < len(instrument.sections) else None,
        "items": [
            {
                **_item_view(i, rows.get(i.key), i.key not in visible, typed),
                "error": errors.get(i.key),
            }
            for i in sec.items
        ],
        "progress": _progress(instrument, answers),
        "notice": notice,
        "readonly": bool(notice),
        "autosave_url": reverse("response_answer", args=[m.organization.slug, cycle, team_slug]),
        "quote_rule": _quote_rule(m),
        "reopen": _reopen_state(response),
    }
    return render(
        request, "assessments/questionnaire/section.html", context, status=400 if errors else 200
    )


def _save_section(
    response: Response, sec: Section, post: Any, rows: dict[str, Answer]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The no-JavaScript path: save every changed answer of a posted section page."""
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for item in sec.items:
        field = f"item__{item.key}"
        raw = post.getlist(field)
        evidence = post.get(f"evidence__{item.key}")
        # The quote box posts "0" always and "1" when ticked, so an unticked box is seen.
        quote_values = post.getlist(f"may_quote__{item.key}")
        may_quote = "1" in quote_values if quote_values else None
        current = rows.get(item.key)
        if not raw and evidence is None and field not in post:
            continue
        typed[item.key] = raw if item.type == "multiple_choice" else (raw[0] if raw else None)
        if evidence is not None:
            typed[f"evidence__{item.key}"] = evidence
        if may_quote is not None:
            typed[f"may_quote__{item.key}"] = may_quote
        try:
            if (
                current
                and parse_answer(item, raw) == current.value
                and (evidence or "") == current.evidence
                and may_quote in (None, current.may_quote)
            ):
                continue  # unchanged (autosave got there first): do not bump its version
            base = int(post.get(f"version__{item.key}", current.version if current else 0))
            result = services.save_answer(response, item.key, raw, base, evidence, may_quote)
        except (AnswerError, ValueError) as error:
            errors[item.key] = (
                str(error) if isinstance(error, AnswerError) else "That answer could not be read."
            )
            continue
        if result.outcome == "conflict":
            errors[item.key] = (
                "This answer was changed in another tab or window; its current value is shown."
            )
            typed.pop(item.key, None)
    return typed, errors


def _neighbour_url(
    m: Membership, cycle: str, team_slug: str, instrument: Instrument, sec: Section, go: str
) -> str:
    index = instrument.sections.index(sec)
    args = [m.organization.slug, cycle, team_slug]
    if go == "previous" and index > 0:
        return reverse("response_section", args=[*args, instrument.sections[index - 1].key])
    if go == "next" and index + 1 < len(instrument.sections):
        return reverse("response_section", args=[*args, instrument.sections[index + 1].key])
    if go == "stay":
        return reverse("response_section", args=[*args, sec.key])
    return reverse("response_review", args=args)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_POST
def response_answer(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> JsonResponse:
    """Autosave one answer, answering JSON: saved, conflict (409), invalid (400), locked (409)."""
    _, response, instrument = _load(request, m, cycle, team_slug)
    key = request.POST.get("item", "")[:80]
    try:
        base = int(request.POST.get("base_version", ""))
    except ValueError:
        return JsonResponse(
            {"status": "invalid", "message": "The save was missing its version."}, status=400
        )
    try:
        result = services.save_answer(
            response,
            key,
            request.POST.getlist("value"),
            base,
            request.POST.get("evidence"),
            _flag(request.POST.get("may_quote")),
        )
    except AnswerError as error:
        return JsonResponse({"status": "invalid", "item": key, "message": str(error)}, status=400)
    except services.ResponseLocked as error:
        return JsonResponse({"status": "locked", "item": key, "message": str(error)}, status=409)
    answers = services.answers_of(response)
    visible = visible_item_keys(instrument, answers)
    payload = {
        "status": result.outcome,
        "item": key,
        "version": result.version,
        "value": result.value,
        "evidence": result.evidence,
        "may_quote": result.may_quote,
        "hidden": [i.key for i in instrument.items if i.key not in visible],
        "progress": _progress(instrument, answers),
    }
    if result.outcome == "conflict":
        payload["message"] = "Changed in another tab or window: its current answer is shown."
        return JsonResponse(payload, status=409)
    return JsonResponse(payload)


def _flag(raw: str | None) -> bool | None:
    """A posted yes/no ("1"/"0"); None when it was not sent (keep the stored choice)."""
    return None if raw is None else raw == "1"


def _review_rows(instrument: Instrument, rows: dict[str, Answer]) -> list[dict[str, Any]]:
    answers = {k: a.value for k, a in rows.items()}
    visible = visible_item_keys(instrument, answers)
    sections = []
    for sec in instrument.sections:
        items = []
        for item in sec.items:
            if item.key not in visible:
                continue
            answer = rows.get(item.key)
            items.append(
                {
                    "key": item.key,
                    "text": item.text,
                    "answer": _answer_label(item, answer.value) if answer else "",
                    "evidence": answer.evidence if answer else "",
                    "missing": item.required and not is_answered(answer.value if answer else None),
                    "quotable": item.type in TEXT_TYPES and bool(answer),
                    "may_quote": bool(answer and answer.may_quote),
                }
            )
        sections.append({"key": sec.key, "title": sec.title, "items": items})
    return sections


def _answer_label(item: Item, value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(o.label for o in item.options if o.value in value)
    option = item.option(value) if item.options else None
    return option.label if option else str(value)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_http_methods(["GET", "POST"])
def response_review(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> HttpResponse:
    cycle_obj, response, instrument = _load(request, m, cycle, team_slug)
    status = 200
    if request.method == "POST":
        try:
            services.submit_response(response)
        except services.ResponseLocked as error:
            messages.error(request, str(error))
            status = 409
        except ValidationError as error:
            messages.error(
                request, " ".join(error.messages) + " Each one is listed below: follow its link."
            )
            status = 400
        else:
            messages.success(
                request, "Thank you: your answers are sent. You can still read them here."
            )
            return redirect("response_review", m.organization.slug, cycle, team_slug)
        response.refresh_from_db()
    rows = _answer_rows(response)
    sections = _review_rows(instrument, rows)
    missing = [
        {**i, "section": s["key"], "section_title": s["title"]}
        for s in sections
        for i in s["items"]
        if i["missing"]
    ]
    context = {
        "m": m,
        "cycle": cycle_obj,
        "response": response,
        "team": response.team,
        "review_sections": sections,
        "missing": missing,
        # A long list helps nobody: the first few, then "and N more", all marked below.
        "missing_shown": missing[:MISSING_LISTED],
        "missing_more": max(0, len(missing) - MISSING_LISTED),
        "notice": _state_notice(cycle_obj, response),
        "first_section": instrument.sections[0].key,
        "progress": _progress(instrument, {k: a.value for k, a in rows.items()}),
        "reopen": _reopen_state(response),
        "reason_max": services.REOPEN_REASON_MAX,
    }
    return render(request, "assessments/questionnaire/review.html", context, status=status)


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_GET
def response_export(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str, fmt: str
) -> HttpResponse:
    """The respondent's own answers, as JSON or CSV."""
    if fmt not in {"json", "csv"}:
        return render(request, "404.html", status=404)
    cycle_obj, response, instrument = _load(request, m, cycle, team_slug)
    rows = _answer_rows(response)
    records = [
        {
            "section": sec.key,
            "item": item.key,
            "question": item.text,
            "value": rows[item.key].value,
            "answer": _answer_label(item, rows[item.key].value),
            "evidence": rows[item.key].evidence,
        }
        for sec in instrument.sections
        for item in sec.items
        if item.key in rows
    ]
    name = f"recouple-{slugify(cycle_obj.name)}-{response.team.slug}-my-answers.{fmt}"
    if fmt == "json":
        body = json.dumps(
            {
                "organization": m.organization.name,
                "cycle": cycle_obj.name,
                "team": response.team.name,
                "instrument_version": cycle_obj.instrument.version,
                "status": response.status,
                "answers": records,
            },
            indent=2,
            ensure_ascii=False,
        )
        out = HttpResponse(body, content_type="application/json")
    else:
        columns = ["section", "item", "question", "answer", "value", "evidence"]
        return csv_response(
            name,
            columns,
            (
                [
                    *(r[c] for c in columns[:4]),
                    json.dumps(r["value"], ensure_ascii=False),
                    r["evidence"],
                ]
                for r in records
            ),
        )
    out["Content-Disposition"] = f'attachment; filename="{name}"'
    return out


def _reopen_state(response: Response) -> dict[str, Any]:
    """What the respondent's own pages say about reopening: can ask, asked, declined."""
    latest = response.reopen_requests.order_by("-requested_at", "-id").first()
    can_ask = (
        response.is_locked() and response.cycle.is_open() and not (latest and latest.is_pending())
    )
    return {"latest": latest, "can_ask": can_ask, "reopened": response.is_reopened()}


@org_view(policy=RESPONDENT)
@one_response_per_cycle
@require_http_methods(["GET", "POST"])
def response_reopen_request(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, team_slug: str
) -> HttpResponse:
    """The respondent asks their team lead to reopen their submitted response."""
    cycle_obj, response, _ = _load(request, m, cycle, team_slug)
    reason = request.POST.get("reason", "")
    error, status = None, 200
    if request.method == "POST":
        try:
            services.request_reopen(response, reason)
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
        except services.ReopenRefused as exc:
            error, status = str(exc), 409
        else:
            messages.success(
                request,
                "Asked. Your team lead sees only that a response in "
                f"{response.team.name} asks to be reopened, and your reason; "
                "not your name or your answers.",
            )
            return redirect("response_review", m.organization.slug, cycle, team_slug)
    return render(
        request,
        "assessments/questionnaire/reopen_request.html",
        {
            "m": m,
            "cycle": cycle_obj,
            "response": response,
            "team": response.team,
            "reason": reason,
            "reason_max": services.REOPEN_REASON_MAX,
            "error": error,
            "reopen": _reopen_state(response),
        },
        status=status,
    )
