"""Cycle administration, the member's list of cycles, and participation.

Thin: access check (orgs.access), a read from queries.py or a write through services.py,
render.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from orgs.access import ADMIN_ONLY, ANY_ROLE, AuthenticatedHttpRequest, org_view
from orgs.models import Membership, Role

from .. import queries, services
from ..access import cycle_in_org
from ..forms import CycleForm, NewCycleForm
from ..instrument.types import InstrumentError
from ..models import Cycle, Response

PAGE_SIZE = 25
DEFAULT_LENGTH = timedelta(days=28)
PARTICIPATION_ROLES = (Role.ORG_ADMIN, Role.TEAM_LEAD)


# --- Org admin --------------------------------------------------------------------------


@org_view(ADMIN_ONLY)
@require_GET
def admin_cycles(request: HttpRequest, m: Membership) -> HttpResponse:
    page = Paginator(queries.admin_cycle_list(m.organization), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    has_teams = m.organization.teams.filter(archived_at__isnull=True).exists()
    return render(
        request,
        "assessments/cycles/admin_list.html",
        {"m": m, "page": page, "has_teams": has_teams, "section": "cycles"},
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_cycle_new(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    org = m.organization
    today = timezone.localdate()
    form = NewCycleForm(
        request.POST or None,
        organization=org,
        initial={"opens_on": today, "closes_on": today + DEFAULT_LENGTH},
    )
    if not form.is_bound:
        form.initial["teams"] = list(form.team_choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                instrument = services.publish_instrument(data["instrument"])
                cycle = services.create_cycle(
                    request.user,
                    org,
                    name=data["name"],
                    instrument=instrument,
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    teams=list(data["teams"]),
                    reminder_days=data["reminder_days"],
                )
        except InstrumentError as error:
            for line in error.errors:
                form.add_error("instrument", line)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"Cycle “{cycle.name}” created as a draft. Open it when you are ready."
            )
            return redirect("admin_cycle_edit", org=org.slug, cycle=cycle.slug)
    return render(
        request,
        "assessments/cycles/admin_new.html",
        {"m": m, "form": form, "section": "cycles"},
        status=400 if form.errors else 200,
    )


@org_view(ADMIN_ONLY)
@require_http_methods(["GET", "POST"])
def admin_cycle_edit(request: AuthenticatedHttpRequest, m: Membership, cycle: str) -> HttpResponse:
    org = m.organization
    cycle_obj = cycle_in_org(m, cycle)
    teams = list(cycle_obj.teams.all())
    current = {
        "name": cycle_obj.name,
        "opens_on": cycle_obj.opens_on,
        "closes_on": cycle_obj.closes_on,
        "teams": teams,
        "state": cycle_obj.state,
    }
    # Two forms post here: the details form, and one button per state change.
    state_change = request.POST.get("action") == "state"
    bound = request.method == "POST" and not state_change
    form = CycleForm(
        request.POST if bound else None, organization=org, cycle=cycle_obj, initial=current
    )
    overlaps: list[Cycle] = []
    if request.method == "POST":
        changes = _requested_changes(request, cycle_obj, form, current, state_change)
        if (
            changes is not None
            and _opens(cycle_obj, changes)
            and not request.POST.get("confirm_overlap")
        ):
            overlaps = _overlapping_open_cycles(cycle_obj)
            if overlaps:
                changes = None  # shown below, with "Open anyway"
        if changes is not None:
            try:
                services.update_cycle(request.user, cycle_obj, **changes)
            except ValidationError as error:
                if state_change:
                    _form_errors_to_messages(request, error)
                else:
                    form.add_error(None, error)
            else:
                messages.success(request, _saved_message(cycle_obj, state_change))
                return redirect("admin_cycle_edit", org=org.slug, cycle=cycle_obj.slug)
        cycle_obj.refresh_from_db()  # a refused change must not show as made
    context = {
        "m": m,
        "form": form,
        "cycle": cycle_obj,
        "teams": teams,
        "submitted_count": cycle_obj.responses.filter(status=Response.Status.SUBMITTED).count(),
        "transitions": _transitions(cycle_obj, len(teams)),
        "overlaps": overlaps,
        "section": "cycles",
    }
    status = 409 if overlaps else 400 if request.method == "POST" else 200
    return render(request, "assessments/cycles/admin_edit.html", context, status=status)


def _requested_changes(
    request: HttpRequest,
    cycle: Cycle,
    form: CycleForm,
    current: dict[str, Any],
    state_change: bool,
) -> dict[str, Any] | None:
    """The update_cycle arguments a POST asks for, or None (reason shown) if it cannot be."""
    if state_change:
        return {**current, "state": request.POST.get("state", "")}
    if cycle.state == Cycle.State.CLOSED:
        messages.error(request, "This cycle is closed: reopen it before changing it.")
        return None
    if not form.is_valid():
        return None
    return {**form.cleaned_data, "teams": list(form.cleaned_data["teams"]), "state": cycle.state}


def _opens(cycle: Cycle, changes: dict[str, Any]) -> bool:
    return changes["state"] == Cycle.State.OPEN and cycle.state != Cycle.State.OPEN


def _overlapping_open_cycles(cycle: Cycle) -> list[Cycle]:
    """Other open cycles of the organisation whose dates share a day with `cycle`'s: two
    at once split people's answers, so opening one more asks first."""
    return list(
        Cycle.objects.filter(
            organization_id=cycle.organization_id,
            state=Cycle.State.OPEN,
            opens_on__lte=cycle.closes_on,
            closes_on__gte=cycle.opens_on,
        )
        .exclude(pk=cycle.pk)
        .order_by("opens_on", "name")
    )


def _form_errors_to_messages(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _saved_message(cycle: Cycle, state_change: bool) -> str:
    if not state_change:
        return "Cycle saved."
    if cycle.state == Cycle.State.CLOSED:
        return f"“{cycle.name}” is closed. Its responses are read-only everywhere."
    if cycle.is_open():
        return f"“{cycle.name}” is open: members of its teams can answer now."
    if cycle.is_closed():
        return (
            f"“{cycle.name}” is open again, but its closing date has passed: "
            "move it later to accept answers."
        )
    return f"“{cycle.name}” is open; answers start on {cycle.opens_on:%-d %b %Y}."


def _transitions(cycle: Cycle, team_count: int) -> list[dict[str, str]]:
    """The state changes offered on the edit page, each with its confirmation text."""
    teams = f"{team_count} team{'s' if team_count != 1 else ''}"
    if cycle.state == Cycle.State.DRAFT:
        return [
            {
                "state": Cycle.State.OPEN,
                "label": "Open cycle",
                "style": "btn-primary",
                "confirm": f"Open “{cycle.name}”? Members of {teams} can answer from "
                f"{cycle.opens_on:%-d %b %Y} to {cycle.closes_on:%-d %b %Y}.",
            }
        ]
    if cycle.state == Cycle.State.OPEN:
        return [
            {
                "state": Cycle.State.CLOSED,
                "label": "Close cycle",
                "style": "btn-outline-danger",
                "confirm": f"Close “{cycle.name}”? Answers become read-only everywhere; "
                "responses not submitted stay unsubmitted.",
            }
        ]
    return [
        {
            "state": Cycle.State.OPEN,
            "label": "Reopen cycle",
            "style": "btn-outline-primary",
            "confirm": f"Reopen “{cycle.name}”? Members can change drafts again until "
            f"{cycle.closes_on:%-d %b %Y}.",
        }
    ]


# --- Members ------------------------------------------------------------------------------

STATUS_LABELS: dict[str | None, str] = {
    None: "Not started",
    Response.Status.DRAFT: "In progress",
    Response.Status.SUBMITTED: "Submitted",
}


@org_view(ANY_ROLE)
@require_GET
def cycles(request: HttpRequest, m: Membership) -> HttpResponse:
    page = Paginator(queries.member_cycle_list(m), PAGE_SIZE).get_page(request.GET.get("page"))
    statuses = queries.own_response_statuses(m, page.object_list)
    today = timezone.localdate()
    rows = [
        {
            "cycle": c,
            "status": statuses.get(c.pk),
            "status_label": STATUS_LABELS[statuses.get(c.pk)],
            "can_answer": bool(m.team_id and c.team_takes_part and c.is_open(today)),
            "sees_participation": c.state != Cycle.State.DRAFT
            and (m.is_org_admin() or (m.role == Role.TEAM_LEAD and c.team_takes_part)),
        }
        for c in page.object_list
    ]
    return render(
        request, "assessments/cycles/member_list.html", {"m": m, "page": page, "rows": rows}
    )


@org_view(PARTICIPATION_ROLES)
@require_GET
def participation(request: HttpRequest, m: Membership, cycle: str) -> HttpResponse:
    cycle_obj = cycle_in_org(m, cycle)
    teams = queries.participating_teams(cycle_obj, m)
    names = m.organization.show_participation_names
    rows = queries.participation(cycle_obj, teams, with_names=names)
    return render(
        request,
        "assessments/cycles/participation.html",
        {
            "m": m,
            "cycle": cycle_obj,
            "rows": rows,
            "totals": queries.participation_totals(rows),
            "names": names,
            "reopen_requests": len(queries.pending_reopen_requests(cycle_obj, teams)),
        },
    )
