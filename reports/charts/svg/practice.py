"""The practice chart as SVG: a row per category, individual bar above collective."""

from __future__ import annotations

from ..chart import Chart
from ..palette import RESOURCE_ORDER, resource_colour, resource_name
from ..practice import AXIS_TITLE, PracticeData
from ..text import format_percent
from ..ticks import score_ticks
from .bars import Bar, Row, bar_rows


def draw_practice(chart: Chart, data: PracticeData, width: int) -> str:
    order = {res: i for i, res in enumerate(RESOURCE_ORDER)}
    rows = []
    for members in data.categories().values():
        ranked = sorted(members, key=lambda r: order.get(r.resource, len(order)))
        bars = tuple(
            Bar(r.adoption, resource_colour(r.resource), format_percent(r.adoption), f"n={r.n}")
            for r in ranked
        )
        rows.append(Row(members[0].category_label, bars))
    legend = [(resource_colour(res), resource_name(res)) for res in data.resources()]
    return bar_rows(
        chart, width, rows, ticks=score_ticks(" %"), axis_title=AXIS_TITLE, legend=legend
    )
