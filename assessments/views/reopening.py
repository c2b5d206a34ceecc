"""Team leads and org admins decide respondents' requests to reopen a submitted response.

A decider sees the team, the day and the respondent's own reason; never the respondent,
the response or its answers. Requests of another team are 404, like ids that do not exist.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from orgs.access import REVIEWERS, AuthenticatedHttpRequest, org_view
from orgs.models import Membership

from .. import queries, services
from ..access import cycle_in_org, reopen_request_to_decide

DECISIONS = {"approve": True, "decline": False}


@org_view(REVIEWERS)
@require_GET
def reopen_requests(request: HttpRequest, m: Membership, cycle: str) -> HttpResponse:
    cycle_obj = cycle_in_org(m, cycle)
    teams = queries.participating_teams(cycle_obj, m)
    return render(
        request,
        "assessments/cycles/reopen_requests.html",
        {
            "m": m,
            "cycle": cycle_obj,
            "requests": queries.pending_reopen_requests(cycle_obj, teams),
            "teams": teams,
        },
    )


@org_view(REVIEWERS)
@require_POST
def reopen_request_decide(
    request: AuthenticatedHttpRequest, m: Membership, cycle: str, reopen_request: int
) -> HttpResponse:
    cycle_obj = cycle_in_org(m, cycle)
    target = reopen_request_to_decide(m, cycle_obj, reopen_request)
    decision = DECISIONS.get(request.POST.get("decision", ""))
    if decision is None:
        messages.error(request, "Choose Approve or Decline.")
        status = 400
    else:
        try:
            services.decide_reopen_request(request.user, target, decision)
        except services.ReopenRefused as error:
            messages.error(request, str(error))
            status = 409
        else:
            messages.success(
                request,
                f"Approved: the response in {target.team.name} is open for changes until it "
                "is submitted again."
                if decision
                else f"Declined: the response in {target.team.name} stays as it was submitted.",
            )
            return redirect("reopen_requests", m.organization.slug, cycle)
    teams = queries.participating_teams(cycle_obj, m)
    return render(
        request,
        "assessments/cycles/reopen_requests.html",
        {
            "m": m,
            "cycle": cycle_obj,
            "requests": queries.pending_reopen_requests(cycle_obj, teams),
            "teams": teams,
        },
        status=status,
    )
