"""The construct chart as SVG: a bar per construct with its spread, coloured by family."""

from __future__ import annotations

from ..chart import Chart
from ..construct import ConstructData, ConstructRow
from ..palette import family_colour
from ..text import WITHHELD, display_label, format_score
from ..ticks import score_ticks
from .bars import Bar, Row, bar_rows, family_legend

AXIS_TITLE = "Score (0–100); whiskers show the spread (sd)"


def draw_construct(chart: Chart, data: ConstructData, width: int) -> str:
    rows = [Row(display_label(r.label, r.polarity), (_bar(r),)) for r in data.rows]
    legend = family_legend(r.family for r in data.rows if r.mean is not None)
    return bar_rows(chart, width, rows, ticks=score_ticks(), axis_title=AXIS_TITLE, legend=legend)


def _bar(row: ConstructRow) -> Bar:
    minus, plus = row.whiskers()
    if row.withheld:
        return Bar(None, family_colour(row.family), "", missing=WITHHELD)
    note = f"n={row.n}" if row.mean is None else f"sd {format_score(row.sd)}, n={row.n}"
    return Bar(row.mean, family_colour(row.family), format_score(row.mean), note, minus, plus)
