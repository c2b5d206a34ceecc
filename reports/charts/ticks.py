"""One tick rule for both renderers: the web figure and the PDF's SVG mark the same values.

Scores (0-100) are marked every 25; counts on 1-2-5 steps with at most five of them; ratios
(log scale) on the 1-2-5 steps of RATIO_STEPS where they are far enough apart, else on the
powers of ten.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import count, pairwise

SCORE_STEP = 25
COUNT_INTERVALS = 5  # at most this many steps along a count axis
RATIO_STEPS = (
    0.01,
    0.02,
    0.05,
    0.1,
    0.2,
    0.5,
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1000,
    2000,
    5000,
)
MIN_TICK_GAP = 30.0  # px between two ratio ticks, so that their labels never touch
# The web figure is not measured before it is drawn: its ratio ticks are chosen for the
# plot width of the printed lift chart (reports/charts/svg/lift.py at 720 px), about the
# narrowest the wide web layout gets, so that web and PDF mark the same ratios.
WEB_RATIO_PLOT_WIDTH = 280.0


@dataclass(frozen=True)
class Ticks:
    """Where an axis is marked and what each mark says."""

    values: tuple[float, ...]
    labels: tuple[str, ...]

    @classmethod
    def of(cls, values: Iterable[float], suffix: str = "") -> Ticks:
        values = tuple(values)
        return cls(values, tuple(f"{v:g}{suffix}" for v in values))

    @property
    def end(self) -> float:
        return self.values[-1]


def score_ticks(suffix: str = "") -> Ticks:
    """0, 25, 50, 75 and 100, each followed by `suffix` (" %" on shares)."""
    return Ticks.of(range(0, 101, SCORE_STEP), suffix)


def count_ticks(top: int) -> Ticks:
    """0 to the first step at or above `top`, on the smallest 1-2-5 step that needs at most
    COUNT_INTERVALS steps to get there."""
    top = max(top, 1)
    step = next(s for s in _one_two_five() if top / s <= COUNT_INTERVALS)
    end = math.ceil(top / step) * step
    return Ticks.of(range(0, end + 1, step))


def _one_two_five() -> Iterator[int]:
    for power in count():
        yield from (m * 10**power for m in (1, 2, 5))


def ratio_range(points: Iterable[float | None]) -> tuple[float, float]:
    """The log-axis range: every point, 1× and some air, snapped to RATIO_STEPS."""
    shown = [1.0, *(v for v in points if v and v > 0)]
    lo, hi = min(shown) / 1.25, max(shown) * 1.25
    lo = max((t for t in RATIO_STEPS if t <= lo), default=lo)
    hi = min((t for t in RATIO_STEPS if t >= hi), default=hi)
    return min(lo, 0.5), max(hi, 2.0)


def ratio_ticks(lo: float, hi: float, plot_width: float) -> Ticks:
    """1-2-5 ticks when they are MIN_TICK_GAP apart on a log axis `plot_width` px wide from
    `lo` to `hi`; else the powers of ten (every other one while still too close), with the
    ends of the range added when that leaves fewer than three and they have room."""
    steps = [t for t in RATIO_STEPS if lo <= t <= hi]
    px_per_decade = plot_width / (math.log10(hi) - math.log10(lo))

    def roomy(candidates: Sequence[float]) -> bool:
        gaps = (math.log10(b) - math.log10(a) for a, b in pairwise(candidates))
        return all(gap * px_per_decade >= MIN_TICK_GAP for gap in gaps)

    if roomy(steps):
        return Ticks.of(steps, "×")
    decades = [t for t in steps if math.log10(t).is_integer()]
    while len(decades) > 2 and not roomy(decades):
        decades = decades[::2] if 1 in decades[::2] else decades[1::2]
    with_ends = sorted({*decades, steps[0], steps[-1]})
    if len(decades) < 3 and roomy(with_ends):
        decades = with_ends
    return Ticks.of(decades, "×")
