"""Prevalence: the share of respondents reporting each constrainer and enabler."""

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
    missing_note,
    row_height,
    tick_label,
    unique,
    value_axis,
)
from .palette import FAMILY_LABELS, FAMILY_ORDER, family_colour, family_name, in_order
from .text import DASH, NOT_ENOUGH, WITHHELD, format_percent, number
from .ticks import score_ticks

KIND = "prevalence"
COLUMNS = ("Reported", "Family", "Share", "n")
AXIS_TITLE = "Share of respondents (%)"


@dataclass(frozen=True)
class PrevalenceRow:
    label: str
    family: str
    share: float | None  # 0-100
    n: int
    withheld: bool = False  # disclosure control withheld it (not "too few answers")

    @classmethod
    def from_plain(cls, row: Mapping[str, Any]) -> PrevalenceRow:
        return cls(
            label=str(row["label"]),
            family=str(row.get("family", "")),
            share=number(row.get("share")),
            n=int(row.get("n") or 0),
            withheld=bool(row.get("withheld")),
        )

    def missing(self) -> str:
        """What the row says without a share."""
        return WITHHELD if self.withheld else NOT_ENOUGH

    def shown_share(self) -> float | None:
        """The share, or None where there is none or nobody answered."""
        return self.share if self.n else None


@dataclass(frozen=True)
class PrevalenceData(ChartData):
    rows: tuple[PrevalenceRow, ...]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> PrevalenceData:
        return cls(tuple(PrevalenceRow.from_plain(r) for r in data["rows"]))

    def families(self) -> list[str]:
        return in_order((r.family for r in self.rows), FAMILY_ORDER)


def prevalence_chart(
    chart_id: str,
    rows: Sequence[PrevalenceRow],
    *,
    title: str = "Share of respondents reporting each item",
) -> Chart:
    """Share (0-100) of respondents reporting each item, as horizontal bars by family."""
    data = PrevalenceData(tuple(rows))
    if not rows:
        return empty_chart(chart_id, KIND, title, "Nothing to show yet: no answers.", COLUMNS, data)
    ticks = unique(tick_label(r.label, LABEL_WIDTH) for r in rows)
    traces: list[Figure] = [axis_trace(ticks)]
    for family in data.families():
        shown = [
            i for i, r in enumerate(rows) if r.family == family and r.shown_share() is not None
        ]
        if shown:
            traces.append(_family_bars(family, [rows[i] for i in shown], [ticks[i] for i in shown]))
    notes = [
        missing_note(ticks[i], r.missing()) for i, r in enumerate(rows) if r.shown_share() is None
    ]
    figure_layout = layout(
        60 + row_height(ticks) * len(rows),
        showlegend=len(traces) > 2,
        legend=legend(),
        barmode="overlay",
        bargap=0.35,
        xaxis=value_axis(AXIS_TITLE, score_ticks(" %")),
        yaxis=category_axis(ticks),
        annotations=notes,
        margin=BAR_MARGIN,
    )
    table = tuple(
        (
            r.label,
            FAMILY_LABELS.get(r.family, r.family.title()),
            format_percent(r.share) if r.n else DASH,
            str(r.n),
        )
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


def _family_bars(family: str, rows: Sequence[PrevalenceRow], ys: Sequence[str]) -> Figure:
    shares = [r.share or 0.0 for r in rows]
    return hbars(
        family_name(family),
        shares,
        ys,
        family_colour(family),
        text=[format_percent(s) for s in shares],
        **OUTSIDE_TEXT,
        customdata=[[r.n] for r in rows],
        hovertemplate="%{y}: %{text} of %{customdata[0]}<extra></extra>",
    )


def _summary(rows: Sequence[PrevalenceRow]) -> str:
    known = [(r, s) for r in rows if (s := r.shown_share()) is not None]
    if not known:
        return "Not enough answers yet."

    def said(item: tuple[PrevalenceRow, float]) -> str:
        r, share = item
        return f"{r.label} ({format_percent(share)} of {r.n})"

    ranked = sorted(known, key=lambda item: item[1])
    if len(ranked) == 1:
        return f"{said(ranked[0])} of respondents report it."
    return f"Most reported: {said(ranked[-1])}; least reported: {said(ranked[0])}."
