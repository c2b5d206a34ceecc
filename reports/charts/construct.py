"""Construct scores: one bar per construct (0-100) with its spread, coloured by family."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chart import Chart, ChartData
from .figure import (
    LABEL_WIDTH,
    Figure,
    axis_trace,
    category_axis,
    empty_chart,
    esc,
    hbars,
    layout,
    legend,
    missing_note,
    row_height,
    tick_label,
    unique,
    value_axis,
)
from .palette import FAMILY_ORDER, INK, WHITE, family_colour, family_name, in_order
from .text import (
    NOT_ENOUGH,
    WITHHELD,
    direction,
    display_label,
    format_score,
    goodness,
    is_lower_better,
    join_names,
    number,
)
from .ticks import score_ticks

KIND = "construct"
COLUMNS = ("Construct", "Score", "Spread (sd)", "n", "Direction")


@dataclass(frozen=True)
class ConstructRow:
    """One construct's mean and spread; a missing mean shows "not enough answers", or
    that disclosure control withheld it (`withheld`)."""

    key: str
    label: str
    family: str
    polarity: str
    mean: float | None
    sd: float | None
    n: int
    withheld: bool = False

    @classmethod
    def from_plain(cls, row: Mapping[str, Any]) -> ConstructRow:
        """From a stored or computed row; keys beyond these are ignored."""
        return cls(
            key=str(row.get("key", "")),
            label=str(row["label"]),
            family=str(row.get("family", "")),
            polarity=str(row.get("polarity", "higher_is_better")),
            mean=number(row.get("mean")),
            sd=number(row.get("sd")),
            n=int(row.get("n") or 0),
            withheld=bool(row.get("withheld")) and row.get("mean") is None,
        )

    def whiskers(self) -> tuple[float, float]:
        """The spread below and above the mean, stopped at the ends of the 0-100 scale."""
        if self.mean is None:
            return 0.0, 0.0
        sd = self.sd or 0.0
        return min(sd, self.mean), min(sd, 100 - self.mean)


@dataclass(frozen=True)
class ConstructData(ChartData):
    rows: tuple[ConstructRow, ...]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> ConstructData:
        return cls(tuple(ConstructRow.from_plain(r) for r in data["rows"]))


def construct_chart(
    chart_id: str, rows: Sequence[ConstructRow], *, title: str = "Construct scores"
) -> Chart:
    """Construct means (0-100) as horizontal bars with ±sd, coloured by family."""
    data = ConstructData(tuple(rows))
    if not rows:
        summary = "Nothing to show yet: no construct has been scored."
        return empty_chart(chart_id, KIND, title, summary, COLUMNS, data)
    ticks = unique(tick_label(display_label(r.label, r.polarity), LABEL_WIDTH) for r in rows)
    traces: list[Figure] = [axis_trace(ticks)]
    for family in in_order((r.family for r in rows), FAMILY_ORDER):
        members = [i for i, r in enumerate(rows) if r.family == family and r.mean is not None]
        if members:
            traces.append(
                _family_bars(family, [rows[i] for i in members], [ticks[i] for i in members])
            )
    notes = [
        missing_note(ticks[i], WITHHELD if r.withheld else NOT_ENOUGH)
        for i, r in enumerate(rows)
        if r.mean is None
    ]
    figure_layout = layout(
        60 + row_height(ticks) * len(rows),
        showlegend=True,
        legend=legend(),
        barmode="overlay",
        bargap=0.35,
        xaxis=value_axis("Score (0–100)", score_ticks()),
        yaxis=category_axis(ticks),
        annotations=notes,
    )
    table = tuple(
        (
            display_label(r.label, r.polarity),
            format_score(r.mean),
            format_score(r.sd),
            str(r.n),
            direction(r.polarity),
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


def _family_bars(family: str, rows: Sequence[ConstructRow], ys: Sequence[str]) -> Figure:
    means = [r.mean or 0.0 for r in rows]
    whiskers = [r.whiskers() for r in rows]
    return hbars(
        family_name(family),
        means,
        ys,
        family_colour(family),
        error_x={
            "type": "data",
            "symmetric": False,
            "array": [round(plus, 2) for _, plus in whiskers],
            "arrayminus": [round(minus, 2) for minus, _ in whiskers],
            "color": INK,
            "thickness": 1.2,
            "width": 4,
        },
        text=[format_score(m) for m in means],
        # Inside the bar's start, clear of the whisker; outside when a bar is tiny.
        textposition="auto",
        insidetextanchor="start",
        constraintext="none",
        insidetextfont={"color": WHITE, "size": 12},
        outsidetextfont={"color": INK, "size": 12},
        customdata=[
            [esc(r.label), format_score(r.sd), r.n, direction(r.polarity).lower()] for r in rows
        ],
        hovertemplate=(
            "%{customdata[0]}<br>Score %{x:.0f} (%{customdata[3]})"
            "<br>Spread (sd) %{customdata[1]}, n=%{customdata[2]}<extra></extra>"
        ),
    )


def _summary(rows: Sequence[ConstructRow]) -> str:
    scored = [r for r in rows if r.mean is not None]
    missing = [r.label for r in rows if r.mean is None and not r.withheld]
    withheld = [r.label for r in rows if r.mean is None and r.withheld]
    if not scored:
        return "Not enough answers yet to score any construct."

    def said(r: ConstructRow) -> str:
        where = ", where lower is better" if is_lower_better(r.polarity) else ""
        return f"{r.label} ({format_score(r.mean)} of 100{where})"

    n = max(r.n for r in scored)
    if len(scored) == 1:
        text = f"{said(scored[0])}, from {n} responses."
    else:
        ranked = sorted(scored, key=lambda r: goodness(r.mean, r.polarity) or 0.0)
        text = (
            f"Strongest: {said(ranked[-1])}; weakest: {said(ranked[0])}; from up to {n} responses."
        )
    if missing:
        text += f" Not enough answers yet for {join_names(missing)}."
    if withheld:
        text += f" {join_names(withheld)}: withheld to keep answers anonymous."
    return text
