"""Action plans: did the constructs a decision targets move at the next cycle?

Pure functions over released organisation figures (mean, sd, n of one construct in one
cycle). The difference of two released means gets a Welch 95 % interval; where a cycle's
standard deviation was not released (a group under twice the anonymity threshold) the
interval cannot be computed, and the words say so. The words describe a change that
happened *after* a decision, never one caused by it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assessments.differences import t_quantile
from assessments.instrument.types import CONSTRUCTS

Direction = Literal["improved", "worsened", "no_clear_change", "unknown"]


@dataclass(frozen=True)
class Released:
    """One construct's released organisation figures in one cycle."""

    mean: float | None
    sd: float | None  # None where the group was under 2k: spread is not released
    n: int

    @classmethod
    def from_page(cls, page: Mapping[str, Any] | None, construct: str) -> Released | None:
        """The construct's figures on a released organisation page, or None when absent."""
        if not page or not page.get("visible"):
            return None
        stats = (((page.get("overall") or {}).get("aggregate") or {}).get("constructs") or {}).get(
            construct
        )
        if not stats or stats.get("mean") is None:
            return None
        sd = stats.get("sd")
        return cls(float(stats["mean"]), None if sd is None else float(sd), int(stats["n"]))


@dataclass(frozen=True)
class Interval:
    difference: float  # after minus before, in points of the 0-100 scale
    low: float
    high: float
    df: float


@dataclass(frozen=True)
class Movement:
    construct: str
    label: str
    before_cycle: str
    after_cycle: str
    before: float | None
    after: float | None
    difference: float | None
    interval: Interval | None
    direction: Direction
    sentence: str


def welch_interval(before: Released, after: Released, level: float = 0.95) -> Interval | None:
    """Welch's interval for after.mean - before.mean; None when it cannot be computed (a
    standard deviation not released, fewer than two responses, or no spread at all)."""
    if before.mean is None or after.mean is None or before.sd is None or after.sd is None:
        return None
    if before.n < 2 or after.n < 2:
        return None
    v1, v2 = before.sd**2 / before.n, after.sd**2 / after.n
    se = math.sqrt(v1 + v2)
    if se == 0.0:
        return None
    df = (v1 + v2) ** 2 / (v1**2 / (before.n - 1) + v2**2 / (after.n - 1))
    diff = after.mean - before.mean
    half = t_quantile(0.5 + level / 2.0, df) * se
    return Interval(diff, diff - half, diff + half, df)


# --- words ---------------------------------------------------------------------------------


def _points(x: float) -> str:
    value = round(abs(x))
    return f"{value} point{'' if value == 1 else 's'}"


def _ci(interval: Interval, sign: float = 1.0) -> str:
    """The interval in the sense of the words around it: "improved by 6 (CI 1 to 11)"
    reads as sizes of the improvement, whichever way the scale runs."""
    low, high = sorted((sign * interval.low, sign * interval.high))
    return f"95 % CI {low:.0f} to {high:.0f}"


def movement(
    construct: str,
    before_cycle: str,
    after_cycle: str,
    before: Released | None,
    after: Released | None,
    threshold: int,
) -> Movement:
    """How a targeted construct moved from the decision's cycle to a later one, in words
    that respect its polarity and claim no cause."""
    label = CONSTRUCTS[construct]["label"]
    lower_is_better = CONSTRUCTS[construct]["polarity"] == "lower_is_better"

    def result(direction: Direction, sentence: str, interval: Interval | None = None) -> Movement:
        diff = None
        if before and after and before.mean is not None and after.mean is not None:
            diff = after.mean - before.mean
        return Movement(
            construct,
            label,
            before_cycle,
            after_cycle,
            before.mean if before else None,
            after.mean if after else None,
            diff,
            interval,
            direction,
            sentence,
        )

    if before is None or after is None:
        missing = before_cycle if before is None else after_cycle
        return result("unknown", f"No released result for {label.lower()} in {missing}.")
    assert before.mean is not None and after.mean is not None  # from_page guarantees
    interval = welch_interval(before, after)
    diff = after.mean - before.mean
    went = "up" if diff > 0 else "down"
    if interval is None:
        small = [c for c, r in ((before_cycle, before), (after_cycle, after)) if r.sd is None]
        why = (
            f"the spread is not released for groups under {2 * threshold} people "
            f"({', '.join(small)})"
            if small
            else "there is too little spread or too few responses"
        )
        moved = "did not change" if round(diff) == 0 else f"went {went} by {_points(diff)}"
        return result(
            "unknown",
            f"{label} {moved} after the decision ({before.mean:.0f} → {after.mean:.0f}); "
            f"the 95 % interval cannot be computed because {why}, so this may be noise.",
        )
    if interval.low <= 0.0 <= interval.high:
        return result(
            "no_clear_change",
            f"{label}: no clear change after the decision ({before.mean:.0f} → "
            f"{after.mean:.0f}, {went} {_points(diff)}, {_ci(interval)}).",
            interval,
        )
    better = (diff < 0) if lower_is_better else (diff > 0)
    direction: Direction = "improved" if better else "worsened"
    size = _ci(interval, 1.0 if diff > 0 else -1.0)
    return result(
        direction,
        f"{label} {direction} by {_points(diff)} ({size}) after the decision "
        f"({before.mean:.0f} → {after.mean:.0f}"
        f"{', lower is better' if lower_is_better else ''}).",
        interval,
    )
