"""The first enabler lift: one risk ratio per cell with the Katz log interval and the
Haldane correction.

The pages, PDFs and `manage.py enabler_lift` use `assessments.lift` (two measures, exact
intervals, false-discovery control); this one is kept for its tests.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assessments.instrument.types import ENABLERS, Answers, Instrument, Item
from assessments.scoring.profile import construct_label, rounded
from assessments.scoring.response import ResponseScore, practice_item_scores

# Two-sided 95% normal quantile, for the enabler-lift interval.
_Z95 = statistics.NormalDist().inv_cdf(0.975)


LIFT_METHOD = "Ratio of the two rates, with a 95% confidence interval by the Katz log method."
HALDANE_NOTE = (
    " A count was 0 or covered the whole group, so 0.5 was added to every cell "
    "(Haldane correction) and both the ratio and the interval use the corrected counts."
)


@dataclass(frozen=True)
class LiftCell:
    """How much more often respondents reporting an enabler also report a practice."""

    enabler: str
    practice_item: str
    practice_label: str
    resource: str | None
    with_enabler: tuple[int, int]  # (respondents reporting the practice, respondents)
    without_enabler: tuple[int, int]
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    withheld: bool
    reason: str | None
    method: str

    @property
    def rate_with(self) -> float | None:
        k, n = self.with_enabler
        return k / n if n else None

    @property
    def rate_without(self) -> float | None:
        k, n = self.without_enabler
        return k / n if n else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabler": self.enabler,
            "enabler_label": construct_label(self.enabler),
            "practice_item": self.practice_item,
            "practice_label": self.practice_label,
            "resource": self.resource,
            "with_enabler": {"k": self.with_enabler[0], "n": self.with_enabler[1]},
            "without_enabler": {"k": self.without_enabler[0], "n": self.without_enabler[1]},
            "ratio": rounded(self.ratio, 2),
            "ci_low": rounded(self.ci_low, 2),
            "ci_high": rounded(self.ci_high, 2),
            "withheld": self.withheld,
            "reason": self.reason,
            "method": self.method,
        }


def risk_ratio(
    with_enabler: tuple[int, int], without_enabler: tuple[int, int]
) -> tuple[float, float, float, bool]:
    """Ratio of two rates k1/n1 over k2/n2 with its 95% Katz log interval.

    Returns (ratio, ci_low, ci_high, corrected). When any k is 0 or equals its n, 0.5 is
    added to each cell (Haldane) and the ratio and interval use the corrected counts.
    """
    (k1, n1), (k2, n2) = with_enabler, without_enabler
    a, c, m1, m2 = float(k1), float(k2), float(n1), float(n2)
    corrected = k1 in (0, n1) or k2 in (0, n2)
    if corrected:
        a, c, m1, m2 = a + 0.5, c + 0.5, m1 + 1.0, m2 + 1.0
    ratio = (a / m1) / (c / m2)
    se = math.sqrt(1 / a - 1 / m1 + 1 / c - 1 / m2)
    log_ratio = math.log(ratio)
    return (
        ratio,
        math.exp(log_ratio - _Z95 * se),
        math.exp(log_ratio + _Z95 * se),
        corrected,
    )


def _lift_cell(
    enabler: str,
    item: Item,
    with_group: tuple[int, int],
    without_group: tuple[int, int],
    min_group: int,
) -> LiftCell:
    def cell(
        ratio: float | None = None,
        low: float | None = None,
        high: float | None = None,
        reason: str | None = None,
        method: str = LIFT_METHOD,
    ) -> LiftCell:
        return LiftCell(
            enabler,
            item.key,
            item.text,
            item.resource,
            with_group,
            without_group,
            ratio,
            low,
            high,
            reason is not None,
            reason,
            method,
        )

    (k1, n1), (k2, n2) = with_group, without_group
    label = construct_label(enabler).lower()
    if n1 < min_group or n2 < min_group:
        return cell(
            reason=(
                f"Too few respondents to compare: {n1} report {label} and {n2} do not; "
                f"each group needs at least {min_group}."
            )
        )
    if k1 == 0 and k2 == 0:
        return cell(
            reason="Nobody in either group reports this practice, so there is nothing to compare."
        )
    ratio, low, high, corrected = risk_ratio(with_group, without_group)
    return cell(ratio, low, high, method=LIFT_METHOD + (HALDANE_NOTE if corrected else ""))


def enabler_lift(
    instrument: Instrument,
    respondents: Sequence[tuple[ResponseScore, Answers]],
    min_group: int | None = None,
) -> list[LiftCell]:
    """For each enabler and practice item: the practice rate with vs without the enabler.

    A respondent reports the enabler when its construct score is at least
    `lift_enabler_min` (no score: left out), and reports the practice when the item's
    score, after reverse coding, is at least `lift_practice_min` (unanswered, don't know,
    not applicable or hidden: left out of that cell). Cells where either group is below
    `min_group` (default `lift_min_group`), or where nobody reports the practice, are
    withheld with a reason. Sorted by ratio, highest first, withheld cells last.
    """
    thresholds = instrument.thresholds
    minimum = thresholds.lift_min_group if min_group is None else min_group
    practice_items = [i for i in instrument.items if i.is_practice and i.is_scored]
    keys = [i.key for i in practice_items]
    rows = [
        (response, practice_item_scores(instrument, response, answers, keys))
        for response, answers in respondents
    ]
    cells: list[LiftCell] = []
    for enabler in ENABLERS:
        for item in practice_items:
            groups = {True: [0, 0], False: [0, 0]}
            for response, item_scores in rows:
                enabler_score = response.constructs[enabler].score
                item_score = item_scores.get(item.key)
                if enabler_score is None or item_score is None:
                    continue
                group = groups[enabler_score >= thresholds.lift_enabler_min]
                group[0] += int(item_score >= thresholds.lift_practice_min)
                group[1] += 1
            cells.append(
                _lift_cell(
                    enabler,
                    item,
                    (groups[True][0], groups[True][1]),
                    (groups[False][0], groups[False][1]),
                    minimum,
                )
            )
    # Stable sort keeps enabler and instrument order among equal ratios.
    return sorted(cells, key=lambda c: (c.withheld, -(c.ratio or 0.0)))
