"""The review queue for classified free-text actions (team leads and org admins)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from orgs.access import ADMIN_ONLY, REVIEWERS, action_for_review, org_view, reviewable_teams
from orgs.csv_export import csv_response
from orgs.models import Membership

from .. import services
from ..models import ClassifiedAction

PAGE_SIZE = 20
STATES = {
    "pending": "Waiting for review",
    "reviewed": "Reviewed",
    "all": "All actions",
}


def _actions_for(m: Membership) -> QuerySet[ClassifiedAction]:
    return ClassifiedAction.objects.filter(
        team__in=reviewable_teams(m), response__status="submitted"
    ).select_related("team", "cycle", "reviewed_by")


@org_view(REVIEWERS)
@require_GET
def review_queue(request: HttpRequest, m: Membership) -> HttpResponse:
    state = request.GET.get("state", "pending")
    state = state if state in STATES else "pending"
    actions = _actions_for(m)
    counts = actions.aggregate(
        pending=Count("pk", filter=Q(needs_review=True, reviewed_at__isnull=True)),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
        all=Count("pk"),
    )
    if state == "pending":
        actions = actions.filter(needs_review=True, reviewed_at__isnull=True).order_by(
            "confidence", "id"
        )
    elif state == "reviewed":
        actions = actions.filter(reviewed_at__isnull=False).order_by("-reviewed_at")
    page = Paginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "assessments/review/queue.html",
        {
            "m": m,
            "page": page,
            "state": state,
            "states": STATES,
            "counts": counts,
            "extra_query": f"state={state}",
        },
    )


@org_view(policy="team:lead")
@require_http_methods(["GET", "POST"])
def review_action(request: HttpRequest, m: Membership, action: int) -> HttpResponse:
    target = action_for_review(m, action)
    errors: dict[str, str] = {}
    kind = request.POST.get("kind", target.reviewed_kind or target.kind)
    reason = request.POST.get("reason", target.review_reason)[:500]
    if request.method == "POST":
        try:
            services.review_action(request.user, target, kind, reason)
        except ValidationError as error:
            errors = {field: " ".join(msgs) for field, msgs in error.message_dict.items()}
        else:
            verb = "changed to" if target.was_overridden() else "confirmed as"
            messages.success(
                request, f"Action {verb} {target.get_reviewed_kind_display().lower()}."
            )
            return redirect("review_queue", m.organization.slug)
    return render(
        request,
        "assessments/review/action.html",
        {
            "m": m,
            "action": target,
            "kind": kind,
            "reason": reason,
            "errors": errors,
            "kinds": ClassifiedAction.Kind.choices,
        },
        status=400 if errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_GET
def review_stats(request: HttpRequest, m: Membership) -> HttpResponse:
    actions = _actions_for(m)
    stats = actions.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(needs_review=True)),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
        overridden=Count("pk", filter=Q(reviewed_at__isnull=False) & ~Q(reviewed_kind=F("kind"))),
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
    """Reviewed actions as labelled data (text,kind), the format the classifier's tests read."""
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
            for a in _actions_for(m).filter(reviewed_at__isnull=False).order_by("reviewed_at")
        ),
    )
