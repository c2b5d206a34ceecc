"""Where `manage.py enabler_lift` (and later the release builder) gets a cycle's lift rows.

One function, so that pointing it at the stored release is a one-line change.
"""

from __future__ import annotations

from assessments.instrument import Answers
from assessments.models import Cycle, Response
from assessments.scoring import ResponseScore


def cycle_lift_rows(cycle: Cycle) -> list[tuple[ResponseScore, Answers]]:
    """The submitted responses of `cycle` as (stored scores, answers) pairs (one query).

    Scores are those stored at submission (`Response.scores`); the answers are the scored
    items' answers carried in them, which is all the lift needs.
    """
    rows = (
        Response.objects.filter(cycle=cycle, status=Response.Status.SUBMITTED, scores__isnull=False)
        .order_by("pk")
        .values_list("scores", flat=True)
    )
    out = []
    for stored in rows:
        score = ResponseScore.from_dict(stored)
        out.append((score, score.answers()))
    return out
