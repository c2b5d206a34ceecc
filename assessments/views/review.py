"""The review queue for classified free-text actions (team leads and org admins).

Anonymity (assessments.access.review_scope): no page names an author or a response; a team's
actions appear only in cycles where it has at least k submitted respondents; smaller teams'
actions go to org admins only, pooled and without the team's name. Pages, forms and links
name an action by its random public id, never its row id, and no list is ordered by
anything that follows submission (row id, created_at): with the participation page, that
order would pair texts with people.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from orgs.access import ADMIN_ONLY, REVIEWERS, AuthenticatedHttpRequest, org_view
from orgs.csv_export import csv_response
from orgs.models import Membership

from .. import services
from ..access import ReviewScope, action_for_review, review_scope, reviewable_actions
from ..instrument.types import Instrument
from ..models import ClassifiedAction, Cycle

PAGE_SIZE = 20
# A bulk confirmation covers at most a few pages of the queue.
BULK_MAX = 100
STATES = {
    "pending": "Waiting for review",
    "reviewed": "Reviewed",
    "all": "All actions",
}
SMALL_TEAM = "A team below the anonymity threshold"
# What each kind means, in the words a reviewer decides by.
KIND_HELP = {
    ClassifiedAction.Kind.INDIVIDUAL: "one person or team could do it without anyone's budget "
    "or sign-off",
    ClassifiedAction.Kind.COLLECTIVE: "it needed budget, authority, headcount or other departments",
    ClassifiedAction.Kind.NONE: "it describes no action taken (a refusal, a plan, a wish, a "
    "complaint), or is too vague to tell",
    ClassifiedAction.Kind.DUPLICATE: "the same action is already described in another answer "
    "of this team",
}
SHORT_LABELS = {
    ClassifiedAction.Kind.INDIVIDUAL: "Individual",
    ClassifiedAction.Kind.COLLECTIVE: "Collective",
    ClassifiedAction.Kind.NONE: "Not an action",
    ClassifiedAction.Kind.DUPLICATE: "Duplicate",
}


@dataclass(frozen=True)
class KindChoice:
    value: str
    label: str
    help: str


@dataclass(frozen=True)
class ReviewRow:
    """One action as the queue shows it: no author, no response, a team only above k."""

    public_id: str
    text: str
    question: str
    cycle: str
    team: str
    suggestion: str
    suggestion_label: str
    sure: bool
    cues: tuple[str, ...]
    pending: bool
    decision_label: str
    overridden: bool
    reviewer: str
    reviewed_on: str
    reason: str


KIND_CHOICES = tuple(
    KindChoice(
        value, SHORT_LABELS[ClassifiedAction.Kind(value)], KIND_HELP[ClassifiedAction.Kind(value)]
    )
    for value in ClassifiedAction.Kind.values
)


def _question(instruments: dict[str, Instrument], cycle: Cycle, item_key: str) -> str:
    version = cycle.instrument.version
    if version not in instruments:
        instruments[version] = services.instrument_for(version)
    try:
        return instruments[version].item(item_key).text
    except KeyError:
        return ""


def _row(
    action: ClassifiedAction, scope: ReviewScope, instruments: dict[str, Instrument]
) -> ReviewRow:
    named = scope.names_team(action.pk)
    reviewed = action.is_reviewed()
    return ReviewRow(
        public_id=str(action.public_id),
        text=action.text,
        question=_question(instruments, action.cycle, action.item_key),
        cycle=action.cycle.name,
        team=action.team.name if named else SMALL_TEAM,
        suggestion=action.kind,
        suggestion_label=SHORT_LABELS.get(ClassifiedAction.Kind(action.kind), action.kind),
        sure=not action.needs_review,
        cues=tuple(action.cues or ()),
        pending=not reviewed,
        decision_label=SHORT_LABELS[ClassifiedAction.Kind(action.reviewed_kind)]
        if reviewed
        else "",
        overridden=action.was_overridden(),
        reviewer=(action.reviewed_by.display_name if action.reviewed_by else "someone")
        if reviewed
        else "",
        reviewed_on=f"{action.reviewed_at:%-d %b %Y}" if action.reviewed_at else "",
        reason=action.review_reason,
    )


def _queue_query(state: str, cycle: str, page: str = "") -> str:
    params = {"state": state}
    if cycle:
        params["cycle"] = cycle
    if page:
        params["page"] = page
    return urlencode(params)


def _back_to_queue(request: HttpRequest, m: Membership) -> HttpResponseRedirect:
    """The queue page the reviewer came from, rebuilt from checked values (no open redirect)."""
    state = request.POST.get("state", "pending")
    state = state if state in STATES else "pending"
    cycle = request.POST.get("cycle", "")
    cycle = cycle if Cycle.objects.filter(organization=m.organization, slug=cycle).exists() else ""
    page = request.POST.get("page", "")
    page = page if page.isdigit() and len(page) < 6 else ""
    url = reverse("review_queue", args=[m.organization.slug])
    return HttpResponseRedirect(f"{url}?{_queue_query(state, cycle, page)}")


@org_view(REVIEWERS)
@require_GET
def review_queue(request: HttpRequest, m: Membership) -> HttpResponse:
    state = request.GET.get("state", "pending")
    state = state if state in STATES else "pending"
    cycles = list(Cycle.objects.filter(organization=m.organization).order_by("-opens_on", "name"))
    wanted = request.GET.get("cycle", "")
    cycle = next((c for c in cycles if c.slug == wanted), None)
    scope = review_scope(m)
    actions = reviewable_actions(m, scope).select_related(
        "team", "cycle__instrument", "reviewed_by"
    )
    if cycle is not None:
        actions = actions.filter(cycle=cycle)
    counts = actions.aggregate(
        pending=Count("pk", filter=Q(needs_review=True, reviewed_at__isnull=True)),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
        all=Count("pk"),
    )
    # Ordered by confidence and text, ties by the random public id, never by submission
    # (id, created_at): the order must not tell who answered when.
    if state == "pending":
        actions = actions.filter(needs_review=True, reviewed_at__isnull=True)
        actions = actions.order_by("confidence", "text", "public_id")
    elif state == "reviewed":
        actions = actions.filter(reviewed_at__isnull=False).order_by("-reviewed_at", "public_id")
    else:
        actions = actions.order_by("-cycle__opens_on", "confidence", "text", "public_id")
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    instruments: dict[str, Instrument] = {}
    rows = [_row(action, scope, instruments) for action in page.object_list]
    cycle_slug = cycle.slug if cycle else ""
    return render(
        request,
        "assessments/review/queue.html",
        {
            "m": m,
            "page": page,
            "rows": rows,
            "state": state,
            "states": STATES,
            "counts": counts,
            "cycles": cycles,
            "cycle": cycle,
            "unknown_cycle": wanted if wanted and cycle is None else "",
            "state_links": {key: _queue_query(key, cycle_slug) for key in STATES},
            "extra_query": _queue_query(state, cycle_slug),
            "page_number": str(page.number),
            "bulk_max": BULK_MAX,
        },
    )


@org_view(policy="team:lead")
@require_http_methods(["GET", "POST"])
def review_action(
    request: AuthenticatedHttpRequest, m: Membership, action: uuid.UUID
) -> HttpResponse:
    scope = review_scope(m)
    target = action_for_review(m, action, scope)
    errors: dict[str, str] = {}
    kind = request.POST.get("kind", target.reviewed_kind)
    reason = request.POST.get("reason", target.review_reason)
    if request.method == "POST":
        try:
            services.review_action(request.user, target, kind, reason)
        except ValidationError as error:
            errors = {field: " ".join(msgs) for field, msgs in error.message_dict.items()}
        else:
            label = SHORT_LABELS[ClassifiedAction.Kind(kind)].lower()
            verb = "agreed with the suggestion:" if kind == target.kind else "changed to"
            messages.success(request, f"Saved: you {verb} {label}.")
            return _back_to_queue(request, m)
    return render(
        request,
        "assessments/review/action.html",
        {
            "m": m,
            "row": _row(target, scope, {}),
            "kind": kind if kind in ClassifiedAction.Kind.values else "",
            "reason": reason[:2000],
            "errors": errors,
            "kinds": KIND_CHOICES,
            "reason_max": services.REVIEW_REASON_MAX,
        },
        status=400 if errors else 200,
    )


def _public_ids(raw: list[str]) -> list[uuid.UUID] | None:
    """The selected actions' public ids, sorted and without repeats; None if one is not a
    public id at all (a forged or mangled form)."""
    if any(len(value) > 36 for value in raw):
        return None
    try:
        return sorted({uuid.UUID(value) for value in raw})
    except ValueError:
        return None


@org_view(REVIEWERS)
@require_POST
def review_confirm(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    """Bulk agree: first a confirmation page listing the selected actions, then the save."""
    raw = request.POST.getlist("action")
    public_ids = _public_ids(raw)
    error = ""
    if not raw:
        error = "Select at least one action to agree with."
    elif len(raw) > BULK_MAX:
        error = f"Select at most {BULK_MAX} actions at a time."
    elif public_ids is None:
        error = "That selection is not valid: go back to the queue and select again."
    if error or public_ids is None:
        return render(
            request,
            "assessments/review/confirm.html",
            {"m": m, "rows": [], "error": error},
            status=400,
        )
    scope = review_scope(m)
    # Listed in public-id order (random), never in row-id (submission) order.
    targets = [action_for_review(m, public_id, scope) for public_id in public_ids]
    if request.POST.get("confirmed") == "yes":
        confirmed = services.confirm_suggestions(request.user, targets)
        skipped = len(targets) - confirmed
        note = f" {skipped} had been reviewed already and kept that decision." if skipped else ""
        messages.success(request, f"Agreed with the suggestion for {confirmed} action(s).{note}")
        return _back_to_queue(request, m)
    instruments: dict[str, Instrument] = {}
    return render(
        request,
        "assessments/review/confirm.html",
        {
            "m": m,
            "rows": [_row(target, scope, instruments) for target in targets],
            "error": "",
            "state": request.POST.get("state", "pending"),
            "cycle": request.POST.get("cycle", ""),
            "page_number": request.POST.get("page", ""),
        },
    )


def _admin_actions(m: Membership) -> QuerySet[ClassifiedAction]:
    return reviewable_actions(m, review_scope(m))


@org_view(ADMIN_ONLY)
@require_GET
def review_stats(request: HttpRequest, m: Membership) -> HttpResponse:
    actions = _admin_actions(m)
    stats = actions.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(needs_review=True)),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
        overridden=Count("pk", filter=Q(reviewed_at__isnull=False) & ~Q(reviewed_kind=F("kind"))),
        none=Count("pk", filter=Q(kind=ClassifiedAction.Kind.NONE)),
    )
    stats["override_rate"] = (
        round(100 * stats["overridden"] / stats["reviewed"]) if stats["reviewed"] else None
    )
    stats["review_rate"] = round(100 * stats["sent"] / stats["total"]) if stats["total"] else None
    return render(
        request, "assessments/review/stats.html", {"m": m, "stats": stats, "section": "classifier"}
    )


@org_view(ADMIN_ONLY)
@require_GET
def review_export(request: HttpRequest, m: Membership) -> HttpResponse:
    """Reviewed actions as labelled data (text,kind), the format the classifier's tests read.
    Duplicates are left out: they are labels of the answer, not of the text."""
    return csv_response(
        f"{m.organization.slug}-reviewed-actions.csv",
        ["text", "kind", "classifier_kind", "confidence", "reason", "reviewed_at"],
        (
            [
                a.text,
                a.reviewed_kind,
                a.kind,
                f"{a.confidence:.3f}",
                a.review_reason,
                a.reviewed_at.isoformat() if a.reviewed_at else "",
            ]
            for a in _admin_actions(m)
            .filter(reviewed_at__isnull=False)
            .exclude(reviewed_kind=ClassifiedAction.Kind.DUPLICATE)
            .order_by("reviewed_at", "public_id")
        ),
    )
