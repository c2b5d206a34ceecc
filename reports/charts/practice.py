"""Practices by category: the share doing each category, individual beside collective."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chart import Chart, ChartData
from .figure import (
    BAR_MARGIN,
    LABEL_WIDTH,
    OUTSIDE_TEXT,
    Figure,
    axis_trace,
    category_axis,
    empty_chart,
    hbars,
    layout,
    legend,
    row_height,
    tick_label,
    unique,
    value_axis,
)
from .palette import RESOURCE_ORDER, in_order, resource_colour, resource_name
from .text import NOT_ENOUGH, format_percent, number
from .ticks import score_ticks

KIND = "practice"
COLUMNS = ("Category", "Resource", "Adoption", "n")
AXIS_TITLE = "Share of respondents doing it (%)"


@dataclass(frozen=True)
class PracticeRow:
    """One category at one resource level; a category may lack one of the levels."""

    category: str
    category_label: str
    resource: str  # "individual" | "collective"
    adoption: float | None  # 0-100
    n: int

    @classmethod
    def from_plain(cls, row: Mapping[str, Any]) -> PracticeRow:
        return cls(
            category=str(row.get("category", "")),
            category_label=str(row.get("category_label") or row.get("category", "")),
            resource=str(row.get("resource", "")),
            adoption=number(row.get("adoption")),
            n=int(row.get("n") or 0),
        )


@dataclass(frozen=True)
class PracticeData(ChartData):
    rows: tuple[PracticeRow, ...]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> PracticeData:
        return cls(tuple(PracticeRow.from_plain(r) for r in data["rows"]))

    def categories(self) -> dict[str, list[PracticeRow]]:
        """The rows of each category, in the order the categories first appear."""
        by_category: dict[str, list[PracticeRow]] = {}
        for r in self.rows:
            by_category.setdefault(r.category, []).append(r)
        return by_category

    def resources(self) -> list[str]:
        return in_order((r.resource for r in self.rows), RESOURCE_ORDER)


def practice_chart(
    chart_id: str, rows: Sequence[PracticeRow], *, title: str = "Practices by category"
) -> Chart:
    """Share of respondents doing each category of practice, individual vs collective."""
    data = PracticeData(tuple(rows))
    if not rows:
        summary = "Nothing to show yet: no practice answers."
        return empty_chart(chart_id, KIND, title, summary, COLUMNS, data)
    categories = data.categories()
    ticks = unique(
        tick_label(members[0].category_label, LABEL_WIDTH) for members in categories.values()
    )
    tick_of = dict(zip(categories, ticks, strict=True))
    traces: list[Figure] = [axis_trace(ticks)]
    for resource in data.resources():
        members = [r for r in rows if r.resource == resource]
        traces.append(_resource_bars(resource, members, [tick_of[r.category] for r in members]))
    figure_layout = layout(
        60 + max(row_height(ticks), 54) * len(categories),
        showlegend=True,
        legend=legend(),
        barmode="group",
        bargap=0.22,
        bargroupgap=0.06,
        xaxis=value_axis(AXIS_TITLE, score_ticks(" %")),
        yaxis=category_axis(ticks),
        margin=BAR_MARGIN,
    )
    table = tuple(
        (r.category_label, resource_name(r.resource), format_percent(r.adoption), str(r.n))
        for r in rows
    )
    return Chart(
        id=chart_id,
        kind=KIND,
        title=title,
        summary=_summary(rows),
        figure={"data": traces, "layout": figure_layout},
        columns=COLUMNS,
        rows=table,
        data=data,
    )


def _resource_bars(resource: str, rows: Sequence[PracticeRow], ys: Sequence[str]) -> Figure:
    name = resource_name(resource)
    return hbars(
        name,
        [r.adoption or 0.0 for r in rows],
        ys,
        resource_colour(resource),
        text=[NOT_ENOUGH if r.adoption is None else format_percent(r.adoption) for r in rows],
        **OUTSIDE_TEXT,
        customdata=[[name.lower(), r.n] for r in rows],
        hovertemplate="%{y}, %{customdata[0]}: %{text} of %{customdata[1]}<extra></extra>",
    )


def _summary(rows: Sequence[PracticeRow]) -> str:
    known = [(r, r.adoption) for r in rows if r.adoption is not None]
    if not known:
        return "Not enough answers yet about any practice."
    parts = []
    for resource in RESOURCE_ORDER:
        values = [a for r, a in known if r.resource == resource]
        if values:
            parts.append(f"{format_percent(sum(values) / len(values))} for {resource} practices")
    text = "Average adoption: " + " and ".join(parts) + "." if parts else ""
    ranked = sorted(known, key=lambda item: item[1])
    top, bottom = ranked[-1][0], ranked[0][0]

    def said(r: PracticeRow) -> str:
        return f"{r.category_label}, {r.resource} ({format_percent(r.adoption)})"

    if len(ranked) > 1:
        text += f" Most adopted: {said(top)}; least: {said(bottom)}."
    else:
        text += f" {said(top)}."
    return text.strip()
