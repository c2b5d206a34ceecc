"""Action plans: record a decision from a leadership recommendation, list, edit, close."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from assessments.access import cycle_in_org
from assessments.instrument.types import CONSTRUCTS
from orgs.access import LEADERSHIP, AuthenticatedHttpRequest, org_view
from orgs.models import Membership

from .. import plan_services
from ..access import plan_for
from ..forms import ActionPlanForm
from ..models import ActionPlan

PAGE_SIZE = 20
DEFAULT_DUE = timedelta(days=90)  # a proposal on the form: about one cycle
LIST_FILTERS = {"open": ActionPlan.Status.OPEN, "done": ActionPlan.Status.DONE, "all": None}
# What each status change is called on its button and confirm page.
TRANSITIONS = {
    ActionPlan.Status.DONE: "Mark as done",
    ActionPlan.Status.DROPPED: "Drop this decision",
    ActionPlan.Status.OPEN: "Reopen",
}


def _bad_request(request: HttpRequest, m: Membership, message: str) -> HttpResponse:
    return render(
        request, "reports/plans/bad_request.html", {"m": m, "message": message}, status=400
    )


def _form_values(form: ActionPlanForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "constructs": data["constructs"],
        "owner": data["owner"],
        "due_on": data["due_on"],
        "change": data["change"],
        "teams": list(data["teams"]),
    }


@org_view(LEADERSHIP)
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    """Record a decision answering one leadership recommendation of a released cycle."""
    cycle_slug, rule_id = request.GET.get("cycle", "")[:60], request.GET.get("rule", "")[:80]
    if not cycle_slug or not rule_id:
        return _bad_request(
            request,
            m,
            "Record a decision from a leadership recommendation on the organisation "
            "dashboard: this link names no cycle or recommendation.",
        )
    cycle = cycle_in_org(m, cycle_slug)
    rec = plan_services.recommendation(cycle, rule_id)
    if rec is None:
        return _bad_request(
            request,
            m,
            f"The released results of {cycle.name} show no leadership recommendation "
            f"“{rule_id}”. Choose one on the organisation dashboard.",
        )
    org = m.organization
    kwargs: dict[str, Any] = {"organization": org, "rule_construct": rec.construct}
    if request.method == "POST":
        form = ActionPlanForm(request.POST, **kwargs)
        if form.is_valid():
            plan = plan_services.create_plan(request.user, org, cycle, rec, **_form_values(form))
            messages.success(request, "Decision recorded. It shows on the dashboards it concerns.")
            return redirect("plan_detail", org.slug, plan.pk)
    else:
        form = ActionPlanForm(
            initial={
                "title": rec.title,
                "constructs": [rec.construct] if rec.construct else [],
                "owner": m.pk,
                "due_on": timezone.localdate() + DEFAULT_DUE,
                "teams": plan_services.teams_named(org, rec.team_names),
            },
            **kwargs,
        )
    return render(
        request,
        "reports/plans/form.html",
        {"m": m, "form": form, "rec": rec, "cycle": cycle, "plan": None},
        status=400 if form.errors else 200,
    )


@org_view(LEADERSHIP)
@require_GET
def plan_list(request: HttpRequest, m: Membership) -> HttpResponse:
    wanted = request.GET.get("status", "open")
    if wanted not in LIST_FILTERS:
        wanted = "open"
    plans = ActionPlan.objects.filter(organization=m.organization).select_related(
        "owner__user", "cycle"
    )
    if LIST_FILTERS[wanted]:
        plans = plans.filter(status=LIST_FILTERS[wanted])
    page = Paginator(plans.order_by("due_on", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "reports/plans/list.html",
        {
            "m": m,
            "page": page,
            "rows": plan_services.with_movements(m.organization, page.object_list),
            "status": wanted,
            "filters": list(LIST_FILTERS),
            "extra_query": urlencode({"status": wanted}),
        },
    )


@org_view(LEADERSHIP)
@require_http_methods(["GET", "POST"])
def plan_detail(request: AuthenticatedHttpRequest, m: Membership, plan: int) -> HttpResponse:
    """The decision, whether its constructs moved at the next cycle, and its edit form."""
    obj = plan_for(m, plan)
    rule_construct = obj.constructs[0] if obj.constructs else ""
    kwargs: dict[str, Any] = {
        "organization": m.organization,
        "rule_construct": rule_construct,
        "plan": obj,
    }
    if request.method == "POST":
        form = ActionPlanForm(request.POST, **kwargs)
        if form.is_valid():
            changed = plan_services.update_plan(request.user, obj, **_form_values(form))
            messages.success(request, "Decision saved." if changed else "Nothing changed.")
            return redirect("plan_detail", m.organization.slug, obj.pk)
    else:
        form = ActionPlanForm(
            initial={
                "title": obj.title,
                "constructs": obj.constructs,
                "owner": obj.owner_id,
                "due_on": obj.due_on,
                "change": obj.change,
                "teams": list(obj.teams.all()),
            },
            **kwargs,
        )
    return render(
        request,
        "reports/plans/detail.html",
        {
            "m": m,
            "plan": obj,
            "form": form,
            "teams": list(obj.teams.order_by("name")),
            "construct_labels": [CONSTRUCTS[k]["label"] for k in obj.constructs if k in CONSTRUCTS],
            "rule_title": plan_services.recommendation_title(obj),
            "moved": plan_services.plan_movement(obj),
            "transitions": [(s, label) for s, label in TRANSITIONS.items() if s != obj.status],
        },
        status=400 if form.errors else 200,
    )


@org_view(LEADERSHIP)
@require_http_methods(["GET", "POST"])
def plan_status(request: AuthenticatedHttpRequest, m: Membership, plan: int) -> HttpResponse:
    """Confirm (GET), then change (POST), a plan's status."""
    obj = plan_for(m, plan)
    to = request.POST.get("to") if request.method == "POST" else request.GET.get("to")
    if to not in TRANSITIONS:
        return _bad_request(
            request, m, "Choose what to do with this decision: mark it done, drop it or reopen it."
        )
    if request.method == "POST":
        plan_services.set_status(request.user, obj, to)
        messages.success(request, f"“{obj.title}” is now {obj.get_status_display().lower()}.")
        return redirect("plan_detail", m.organization.slug, obj.pk)
    return render(
        request,
        "reports/plans/status.html",
        {
            "m": m,
            "plan": obj,
            "to": to,
            "to_label": ActionPlan.Status(to).label.lower(),
            "button": TRANSITIONS[ActionPlan.Status(to)],
            "cancel_url": reverse("plan_detail", args=[m.organization.slug, obj.pk]),
        },
    )
