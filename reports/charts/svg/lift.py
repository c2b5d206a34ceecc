"""The lift chart as SVG: a dot and interval per pair on a log axis, the numbers beside."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..chart import Chart
from ..lift import AXIS_TITLE, SHORT_AXIS_TITLE, LiftData, LiftRow
from ..palette import FAMILY_COLOURS, GRID, MUTED, WHITE
from ..text import format_interval, format_ratio, wrap
from .canvas import LINE, PAD, SMALL, Canvas, chars_in, text_width

WIDE = 480  # px; from here the numbers get a column of their own, else they go under the label


@dataclass(frozen=True)
class _Geometry:
    """Wide: labels | plot | numbers. Narrow: the numbers go under each label."""

    width: int
    label_width: float
    x0: float  # where the plot starts and ends
    x1: float
    lo: float  # the axis range
    hi: float

    @classmethod
    def for_width(cls, width: int, lo: float, hi: float) -> _Geometry:
        side_numbers = width >= WIDE
        label_w = min(width * (0.4 if side_numbers else 0.42), 290.0)
        numbers_w = 118.0 if side_numbers else 0.0
        x1 = width - PAD - (numbers_w + 8 if side_numbers else 4)
        return cls(width, label_w, PAD + label_w + 10, x1, lo, hi)

    @property
    def side_numbers(self) -> bool:
        return self.width >= WIDE

    @property
    def numbers_x(self) -> float:
        """Where the numbers end (they are right-aligned)."""
        return self.width - PAD if self.side_numbers else self.x0 - 8

    def x(self, value: float) -> float:
        v = min(max(value, self.lo), self.hi)
        log_lo, log_hi = math.log10(self.lo), math.log10(self.hi)
        return self.x0 + (math.log10(v) - log_lo) / (log_hi - log_lo) * (self.x1 - self.x0)


def draw_lift(chart: Chart, data: LiftData, width: int) -> str:
    canvas = Canvas(width)
    geo = _Geometry.for_width(width, *data.range())
    canvas.text(geo.numbers_x, PAD + 10, "ratio (95 % CI)", size=SMALL, fill=MUTED, anchor="end")
    canvas.text(
        geo.numbers_x, PAD + 23, "with vs without (k/n)", size=SMALL, fill=MUTED, anchor="end"
    )
    y = PAD + 30
    per_line = chars_in(geo.label_width)
    placed = []
    for c in data.cells:
        lines = wrap(c.name(), per_line)
        h = max(len(lines) * LINE + 12, 36) + (0 if geo.side_numbers else 2 * LINE)
        placed.append((c, lines, y, h))
        y += h
    _axis(canvas, geo, data, placed[0][2], y)
    for c, lines, row_top, h in placed:
        _row(canvas, geo, c, lines, row_top + h / 2)
    return canvas.to_svg(y + 40, chart)


def _axis(canvas: Canvas, geo: _Geometry, data: LiftData, top: float, bottom: float) -> None:
    """Gridlines and ratio ticks, the dashed line at 1× and the axis title (shortened when it
    does not fit), centred under the plot as far as the edges allow."""
    ticks = data.ticks(geo.x1 - geo.x0)
    for value, label in zip(ticks.values, ticks.labels, strict=True):
        canvas.line(geo.x(value), top, geo.x(value), bottom, GRID)
        canvas.tick(geo.x(value), bottom + 14, label)
    canvas.line(geo.x(1), top, geo.x(1), bottom, MUTED, 1.2, dash="4 3")
    title = AXIS_TITLE
    if text_width(title, SMALL) > geo.width - 2 * PAD:
        title = SHORT_AXIS_TITLE
    half = text_width(title, SMALL) / 2
    centre = min(max((geo.x0 + geo.x1) / 2, PAD + half), geo.width - PAD - half)
    canvas.text(centre, bottom + 30, title, size=SMALL, fill=MUTED, anchor="middle")


def _row(canvas: Canvas, geo: _Geometry, c: LiftRow, lines: list[str], middle: float) -> None:
    """One pair: its label, its dot and interval (filled when clear of 1×), its numbers."""
    numbers_y = middle - 2
    if geo.side_numbers:
        canvas.lines(geo.x0 - 8, middle, lines)
    else:
        canvas.lines(geo.x0 - 8, middle - LINE, lines)
        numbers_y = middle - LINE + (len(lines) + 1) * LINE / 2 + 2
    if c.ratio is not None and c.ratio > 0:
        colour = FAMILY_COLOURS["enabler"] if c.is_clear() else MUTED
        if c.ci_low is not None and c.ci_high is not None:
            canvas.whisker(geo.x(c.ci_low), geo.x(c.ci_high), middle, colour, 1.5, 4)
        canvas.circle(geo.x(c.ratio), middle, 5, colour if c.is_clear() else WHITE, colour, 2)
    else:
        canvas.text(geo.x0 + 4, middle + 4, "no ratio", size=SMALL, fill=MUTED, italic=True)
    interval = format_interval(c.ci_low, c.ci_high)
    numbers = f"{format_ratio(c.ratio)} ({interval})"
    counts = f"{c.with_counts()} vs {c.without_counts()}"
    canvas.text(geo.numbers_x, numbers_y, numbers, size=SMALL, anchor="end")
    canvas.text(geo.numbers_x, numbers_y + 13, counts, size=SMALL, fill=MUTED, anchor="end")
