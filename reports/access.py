"""Loaders of the reports app's objects for a member: PDF reports and action plans, under
the rules of orgs/access.py (404 outside the organisation, 403 without the right role)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from orgs.access import can_see_team
from orgs.models import Membership

from .models import ActionPlan, Report


def report_for(membership: Membership, report_id: int) -> Report:
    """A report the member may see: 404 outside the organisation; a team report needs the
    team's results to be visible to them (their team, or leadership); a leadership report
    needs a leadership role (403)."""
    report = get_object_or_404(
        Report.objects.select_related("team", "cycle", "organization", "requested_by"),
        organization=membership.organization,
        pk=report_id,
    )
    allowed = can_see_team(membership, report.team) if report.team else membership.is_leadership()
    if not allowed:
        raise PermissionDenied("This report is not yours to see.")
    return report


def visible_reports(membership: Membership) -> QuerySet[Report]:
    """Reports of the organisation the member may see."""
    reports = Report.objects.filter(organization=membership.organization)
    if membership.is_leadership():
        return reports
    return reports.filter(team_id=membership.team_id) if membership.team_id else reports.none()


def plan_for(membership: Membership, plan_id: int) -> ActionPlan:
    """An action plan of the member's organisation: 404 outside it; recording and changing
    decisions is for leadership (403 for anyone else)."""
    plan = get_object_or_404(
        ActionPlan.objects.select_related("cycle", "owner__user", "created_by"),
        organization=membership.organization,
        pk=plan_id,
    )
    if not membership.is_leadership():
        raise PermissionDenied("Only leaders and org admins record and change decisions.")
    return plan
