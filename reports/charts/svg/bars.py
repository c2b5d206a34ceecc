"""Horizontal bar rows, the shape of four kinds (construct, practice, prevalence, profile):
a wrapped label, one or more bars with their numbers, a value axis underneath."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..chart import Chart
from ..palette import FAMILY_ORDER, INK, MUTED, family_colour, family_name, in_order
from ..text import NOT_ENOUGH, wrap
from ..ticks import Ticks
from .canvas import LINE, PAD, SMALL, Canvas, chars_in, linear_axis, text_width

BAR_GAP = 3  # px between the bars of one row


@dataclass(frozen=True)
class Bar:
    value: float | None  # None: "not enough answers"
    colour: str
    label: str  # the number shown after the bar
    note: str = ""  # small grey text after the number (sd, n)
    minus: float = 0.0  # whisker below and above the value, in axis units
    plus: float = 0.0
    missing: str = NOT_ENOUGH  # what a bar without a value says


@dataclass(frozen=True)
class Row:
    label: str
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class _Placed:
    row: Row
    lines: list[str]
    top: float
    height: float


@dataclass(frozen=True)
class _Scale:
    """Where the plot runs (x0 to x1) and how many px one axis unit takes."""

    x0: float
    x1: float
    top: float  # the axis end, in axis units

    def x(self, value: float) -> float:
        return self.x0 + value * ((self.x1 - self.x0) / self.top)


def family_legend(families: Iterable[str]) -> list[tuple[str, str]]:
    """Swatch and name of each family present, in the families' order."""
    return [(family_colour(f), family_name(f)) for f in in_order(families, FAMILY_ORDER)]


def bar_rows(
    chart: Chart,
    width: int,
    rows: Sequence[Row],
    *,
    ticks: Ticks,
    axis_title: str,
    legend: Sequence[tuple[str, str]] = (),
) -> str:
    """The rows as an SVG document, on an axis from 0 to the last tick."""
    canvas = Canvas(width)
    y = canvas.legend(legend, PAD) if legend else PAD
    label_w = min(width * 0.36, 230.0)
    notes_w = max(
        (text_width(f"{b.label}  {b.note}", SMALL) for r in rows for b in r.bars), default=0
    )
    scale = _Scale(PAD + label_w + 8, width - PAD - min(notes_w + 10, width * 0.3), ticks.end)
    bar_h = 14 if all(len(r.bars) == 1 for r in rows) else 12
    placed = []
    for row in rows:
        lines = wrap(row.label, chars_in(label_w))
        h = max(len(lines) * LINE + 10, len(row.bars) * (bar_h + BAR_GAP) + 12)
        placed.append(_Placed(row, lines, y, h))
        y += h
    title_x = (scale.x0 + scale.x1) / 2
    linear_axis(canvas, ticks, scale.x, placed[0].top, y, axis_title, title_x)
    for p in placed:
        middle = p.top + p.height / 2
        canvas.lines(scale.x0 - 8, middle, p.lines)
        stack = len(p.row.bars) * bar_h + (len(p.row.bars) - 1) * BAR_GAP
        by = middle - stack / 2
        for bar in p.row.bars:
            _bar(canvas, bar, scale, by, bar_h)
            by += bar_h + BAR_GAP
    return canvas.to_svg(y + 40, chart)


def _bar(canvas: Canvas, bar: Bar, scale: _Scale, top: float, height: float) -> None:
    """One bar with its whisker and number, or "not enough answers" where it has no value."""
    centre = top + height / 2
    if bar.value is None:
        canvas.text(scale.x0 + 4, centre + 4, bar.missing, size=SMALL, fill=MUTED, italic=True)
        if bar.note:
            x = scale.x0 + 10 + text_width(bar.missing, SMALL)
            canvas.text(x, centre + 4, f"({bar.note})", size=SMALL, fill=MUTED)
        return
    end = scale.x(max(bar.value, 0))
    canvas.rect(scale.x0, top, end - scale.x0, height, bar.colour)
    right = end
    if bar.minus or bar.plus:
        lo = scale.x(max(bar.value - bar.minus, 0))
        hi = scale.x(min(bar.value + bar.plus, scale.top))
        canvas.whisker(lo, hi, centre, INK, 1, 3)
        right = max(right, hi)
    canvas.value(right + 4, centre + 4, bar.label, bar.note)
