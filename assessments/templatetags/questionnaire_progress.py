"""The organisation home's "your questionnaire" card and the invitation's "what to expect":
orgs' templates show them without orgs importing assessments (imports run orgs ← assessments)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from orgs.models import Membership

from .. import queries, services

register = template.Library()


@register.inclusion_tag("assessments/questionnaire/_home_progress.html")
def cycles_to_answer(m: Membership) -> dict[str, object]:
    """One line per open cycle the member answers in: "16 of 70 answered, closes 11 Jan"."""
    rows = queries.cycles_to_answer(m, services.instrument_for, timezone.localdate())
    return {"m": m, "rows": rows}


@register.simple_tag
def questionnaires_ahead(team_id: int | None) -> list[queries.CycleAhead]:
    """For an invitation to a team: its open cycles, their deadline and the time to answer."""
    return queries.cycles_ahead(team_id, services.instrument_for, timezone.localdate())
