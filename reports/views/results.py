"""A respondent's own results: her scores beside her team's released results, and the few
things she can do now. Shown to her alone."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from assessments.access import cycle_in_org, own_response, respondent_team
from assessments.scoring.response import ResponseScore
from assessments.services import instrument_for, rules_for
from orgs.access import org_view
from orgs.models import Membership

from .. import dashboards, selectors


@org_view(policy="respondent")
@require_GET
def response_results(
    request: HttpRequest, m: Membership, cycle: str, team_slug: str
) -> HttpResponse:
    """The URL names no response: whoever opens it sees only their own submitted one."""
    response = own_response(m, cycle, team_slug)
    if response is None:
        respondent_team(m, cycle_in_org(m, cycle), team_slug)  # 404 outside, 403 another team
    if response is None or not response.is_locked() or not response.scores:
        messages.info(request, "Your results appear here once you have submitted your answers.")
        return redirect("response_start", m.organization.slug, cycle, team_slug)
    cycle_obj = response.cycle
    version = cycle_obj.instrument.version
    release, page = selectors.release_page(cycle_obj, f"team:{response.team_id}")
    view = dashboards.own_results_view(
        rules_for(version),
        instrument_for(version),
        ResponseScore.from_dict(response.scores),
        page,
    )
    context = {
        "m": m,
        "cycle": cycle_obj,
        "team": response.team,
        "response": response,
        "release": release,
        "view": view,
        "threshold": m.organization.anonymity_threshold,
    }
    out = render(request, "reports/own_results.html", context)
    out["Cache-Control"] = "no-store, private"
    return out
