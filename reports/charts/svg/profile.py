"""The profile chart as SVG: how many teams sit in each profile state."""

from __future__ import annotations

from ..chart import Chart
from ..profile import ProfileData
from .bars import Bar, Row, bar_rows


def draw_profile(chart: Chart, data: ProfileData, width: int) -> str:
    rows = [
        Row(r.label, (Bar(r.count, r.colour(), str(r.count), f"({data.share(r)})"),))
        for r in data.rows
    ]
    return bar_rows(chart, width, rows, ticks=data.ticks(), axis_title=data.unit.capitalize())
