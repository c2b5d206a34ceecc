"""PDF reports: request from a dashboard, watch progress, download, retry."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from assessments.access import cycle_in_org
from orgs import audit
from orgs.access import ANY_ROLE, AuthenticatedHttpRequest, can_see_team, org_view, team_in_org
from orgs.models import AuditEvent, Membership

from .. import selectors, services
from ..access import report_for, visible_reports
from ..models import Report

PAGE_SIZE = 20


def _bad_request(request: HttpRequest, m: Membership, message: str) -> HttpResponse:
    messages.error(request, message)
    return render(request, "reports/reports.html", _list_context(request, m), status=400)


def _list_context(request: HttpRequest, m: Membership) -> dict[str, object]:
    reports = visible_reports(m).select_related("team", "cycle", "requested_by")
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    return {"m": m, "page": page}


@org_view(ANY_ROLE)
@require_GET
def report_list(request: HttpRequest, m: Membership) -> HttpResponse:
    return render(request, "reports/reports.html", _list_context(request, m))


@org_view(ANY_ROLE)
@require_POST
def report_request(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    """Queue a team report (with `team`) or a leadership report; answers at once."""
    try:
        cycle = cycle_in_org(m, request.POST.get("cycle", "")[:60])
    except Http404:  # an unknown cycle is the user's mistake: say so, don't hide it
        return _bad_request(request, m, "Choose a cycle to report on.")
    team = None
    team_slug = request.POST.get("team", "")[:60]
    if team_slug:
        team = team_in_org(m, team_slug)
        if not can_see_team(m, team):
            return render(request, "403.html", status=403)
        if not cycle.teams.filter(pk=team.pk).exists():
            return _bad_request(request, m, f"{team.name} does not take part in {cycle.name}.")
        _, page = selectors.release_page(cycle, f"team:{team.pk}")
        if page is None:
            threshold = m.organization.anonymity_threshold
            return _bad_request(
                request,
                m,
                f"{team.name} has no released results for {cycle.name} yet: a report needs "
                f"at least {threshold} responses, released.",
            )
    elif not m.is_leadership():
        return render(request, "403.html", status=403)
    report = services.request_report(request.user, m.organization, cycle, team)
    messages.info(request, "Your report is being prepared; this page updates when it is ready.")
    return redirect("report_detail", m.organization.slug, report.pk)


@org_view(policy="team:see")  # object-level: the report's team (or leadership)
@require_GET
def report_detail(request: AuthenticatedHttpRequest, m: Membership, report_id: int) -> HttpResponse:
    obj = report_for(m, report_id)
    template = "reports/_report_status.html" if request.htmx else "reports/report_detail.html"
    return render(request, template, {"m": m, "report": obj})


@org_view(policy="team:see")  # object-level: the report's team (or leadership)
@require_GET
def report_download(
    request: AuthenticatedHttpRequest, m: Membership, report_id: int
) -> HttpResponseBase:
    obj = report_for(m, report_id)
    if obj.status != Report.Status.READY or not obj.file:
        messages.error(request, "This report is not ready yet.")
        return redirect("report_detail", m.organization.slug, obj.pk)
    audit.record(m.organization, request.user, AuditEvent.Action.REPORT_DOWNLOADED, obj)
    response = FileResponse(
        obj.file.open("rb"),
        as_attachment=True,
        filename=obj.filename(),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "no-store, private"
    return response


@org_view(policy="team:see")  # object-level: the report's team (or leadership)
@require_POST
def report_retry(request: HttpRequest, m: Membership, report_id: int) -> HttpResponse:
    obj = report_for(m, report_id)
    if obj.status != Report.Status.FAILED:
        messages.error(request, "Only a failed report can be retried.")
        return redirect("report_detail", m.organization.slug, obj.pk)
    services.retry_report(obj)
    messages.info(request, "Trying again.")
    return redirect("report_detail", m.organization.slug, obj.pk)
