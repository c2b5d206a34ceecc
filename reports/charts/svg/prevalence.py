"""The prevalence chart as SVG: the share reporting each item, coloured by family."""

from __future__ import annotations

from ..chart import Chart
from ..palette import family_colour
from ..prevalence import AXIS_TITLE, PrevalenceData
from ..text import format_percent
from ..ticks import score_ticks
from .bars import Bar, Row, bar_rows, family_legend


def draw_prevalence(chart: Chart, data: PrevalenceData, width: int) -> str:
    rows = [
        Row(
            r.label,
            (
                Bar(
                    r.shown_share(),
                    family_colour(r.family),
                    format_percent(r.shown_share()),
                    "" if r.withheld else f"of {r.n}",
                    missing=r.missing(),
                ),
            ),
        )
        for r in data.rows
    ]
    families = data.families()
    legend = family_legend(families) if len(families) > 1 else ()
    return bar_rows(
        chart, width, rows, ticks=score_ticks(" %"), axis_title=AXIS_TITLE, legend=legend
    )
