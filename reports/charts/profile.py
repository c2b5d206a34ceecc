"""Recoupling profiles: how many teams (or another unit) sit in each profile state."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chart import Chart, ChartData
from .figure import (
    LABEL_WIDTH,
    OUTSIDE_TEXT,
    category_axis,
    empty_chart,
    layout,
    row_height,
    tick_label,
    unique,
    value_axis,
)
from .palette import OTHER_COLOUR, PROFILE_COLOURS
from .text import format_percent, join_names
from .ticks import Ticks, count_ticks

KIND = "profile"


@dataclass(frozen=True)
class ProfileRow:
    state: str
    label: str
    count: int

    @classmethod
    def from_plain(cls, row: Mapping[str, Any]) -> ProfileRow:
        return cls(
            state=str(row.get("state", "")), label=str(row["label"]), count=int(row["count"])
        )

    def colour(self) -> str:
        return PROFILE_COLOURS.get(self.state, OTHER_COLOUR)


@dataclass(frozen=True)
class ProfileData(ChartData):
    rows: tuple[ProfileRow, ...]
    unit: str

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> ProfileData:
        rows = tuple(ProfileRow.from_plain(r) for r in data["rows"])
        return cls(rows, str(data.get("unit", "teams")))

    def total(self) -> int:
        return sum(r.count for r in self.rows)

    def share(self, row: ProfileRow) -> str:
        total = self.total()
        return format_percent(100 * row.count / total if total else None)

    def ticks(self) -> Ticks:
        return count_ticks(max((r.count for r in self.rows), default=0))


def profile_chart(
    chart_id: str,
    rows: Sequence[ProfileRow],
    *,
    title: str = "Recoupling profiles",
    unit: str = "teams",
) -> Chart:
    """How many teams (or `unit`) sit in each recoupling profile state, in the rows' order."""
    data = ProfileData(tuple(rows), unit)
    columns = ("Profile", unit.capitalize(), "Share")
    if not rows:
        summary = f"Nothing to show yet: no {unit} profiled."
        return empty_chart(chart_id, KIND, title, summary, columns, data)
    ticks = unique(tick_label(r.label, LABEL_WIDTH) for r in rows)
    top = max(max(r.count for r in rows), 1)
    axis_ticks = data.ticks()
    bars = {
        "type": "bar",
        "orientation": "h",
        "x": [r.count for r in rows],
        "y": ticks,
        "marker": {"color": [r.colour() for r in rows]},
        "text": [str(r.count) for r in rows],
        **OUTSIDE_TEXT,
        "hovertemplate": f"%{{y}}: %{{x}} {unit}<extra></extra>",
    }
    figure_layout = layout(
        50 + row_height(ticks) * len(rows),
        bargap=0.35,
        # Room after the longest bar for its number.
        xaxis=value_axis(
            unit.capitalize(), axis_ticks, top=max(axis_ticks.end, top * 1.12), rangemode="tozero"
        ),
        yaxis=category_axis(ticks),
        margin={"l": 8, "r": 28, "t": 8, "b": 44, "pad": 4},
    )
    return Chart(
        id=chart_id,
        kind=KIND,
        title=title,
        summary=_summary(rows, data.total(), unit),
        figure={"data": [bars], "layout": figure_layout},
        columns=columns,
        rows=tuple((r.label, str(r.count), data.share(r)) for r in rows),
        data=data,
    )


def _summary(rows: Sequence[ProfileRow], total: int, unit: str) -> str:
    if not total:
        return f"No {unit} have a profile yet."
    most = max(r.count for r in rows)
    leaders = [r.label for r in rows if r.count == most]
    empty = [r.label for r in rows if r.count == 0]
    if len(leaders) == 1:
        text = f"Most common: {leaders[0]} ({most} of {total} {unit})."
    else:
        text = f"Most common: {join_names(leaders)} ({most} of {total} {unit} each)."
    if empty:
        text += f" None {'is' if total == 1 else 'are'} {join_names(empty)}."
    return text
