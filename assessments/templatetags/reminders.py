"""`{% reminder_summary cycle rows %}`: the participation page's reminder counts, rendered
from templates/assessments/cycles/_reminders.html."""

from __future__ import annotations

from collections.abc import Sequence

from django import template

from assessments.mailings import reminder_summary as summary_of
from assessments.models import Cycle
from assessments.queries import TeamParticipation

register = template.Library()


@register.inclusion_tag("assessments/cycles/_reminders.html")
def reminder_summary(cycle: Cycle, rows: Sequence[TeamParticipation]) -> dict[str, object]:
    return {"summary": summary_of(cycle, [r.team for r in rows])}
