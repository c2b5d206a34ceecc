"""The trend: one line per measure over the cycles, on the 0-100 scale."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chart import Chart, ChartData
from .figure import Figure, empty_chart, esc, layout, tick_label, unique, value_axis
from .palette import SERIES_COLOURS
from .text import display_label, format_score, half_up, is_lower_better, number
from .ticks import score_ticks

KIND = "trend"
AXIS_TITLE = "Score (0–100)"


@dataclass(frozen=True)
class TrendSeries:
    """One measure's score in each cycle (None where it has none)."""

    label: str
    polarity: str
    values: tuple[float | None, ...]

    @classmethod
    def from_plain(cls, series: Mapping[str, Any]) -> TrendSeries:
        return cls(
            label=str(series["label"]),
            polarity=str(series.get("polarity", "higher_is_better")),
            values=tuple(number(v) for v in series["values"]),
        )

    def name(self) -> str:
        return display_label(self.label, self.polarity)


def series_colour(index: int) -> str:
    return SERIES_COLOURS[index % len(SERIES_COLOURS)]


@dataclass(frozen=True)
class TrendData(ChartData):
    cycles: tuple[str, ...]
    series: tuple[TrendSeries, ...]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> TrendData:
        series = tuple(TrendSeries.from_plain(s) for s in data["series"])
        return cls(tuple(str(c) for c in data["cycles"]), series)


def trend_chart(
    chart_id: str,
    cycles: Sequence[str],
    series: Sequence[TrendSeries],
    *,
    title: str = "Scores over cycles",
) -> Chart:
    """One line per series over the cycles, on the 0-100 scale; one value per cycle."""
    data = TrendData(tuple(str(c) for c in cycles), tuple(series))
    if any(len(s.values) != len(data.cycles) for s in series):
        raise ValueError("trend_chart: each series needs one value per cycle")
    columns = ("Measure", *data.cycles)
    if not cycles or not series:
        summary = "Nothing to show yet: no cycles to compare."
        return empty_chart(chart_id, KIND, title, summary, columns, data)
    cycle_ticks = unique(esc(c) for c in data.cycles)
    traces = [_line(s, series_colour(i), cycle_ticks) for i, s in enumerate(series)]
    figure_layout = layout(
        300 + 22 * len(series),
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.12,
            "yanchor": "top",
            "font": {"size": 12},
        },
        hovermode="x unified",
        xaxis={
            "type": "category",
            "ticks": "",
            "tickfont": {"size": 12},
            "fixedrange": True,
            "automargin": True,
            "showgrid": False,
        },
        yaxis=value_axis(AXIS_TITLE, score_ticks()),
        margin={"l": 8, "r": 16, "t": 12, "b": 24, "pad": 4},
    )
    return Chart(
        id=chart_id,
        kind=KIND,
        title=title,
        summary=_summary(data.cycles, series),
        figure={"data": traces, "layout": figure_layout},
        columns=columns,
        rows=tuple((s.name(), *(format_score(v) for v in s.values)) for s in series),
        data=data,
    )


def _line(series: TrendSeries, colour: str, xs: Sequence[str]) -> Figure:
    name = series.name()
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": tick_label(name, 40),
        "x": list(xs),
        "y": [None if v is None else round(v, 2) for v in series.values],
        "line": {"color": colour, "width": 2.5},
        "marker": {"color": colour, "size": 7},
        "connectgaps": False,
        "customdata": [[format_score(v)] for v in series.values],
        "hovertemplate": f"{esc(name)}<br>%{{x}}: %{{customdata[0]}}<extra></extra>",
    }


Change = tuple[float, TrendSeries, float, float]  # how much better, the series, first, last


def _changes(series: Sequence[TrendSeries]) -> list[Change]:
    """Each series' change from its first to its last score (as shown, rounded), the
    improving direction positive; series with fewer than two scores are left out."""
    changes = []
    for s in series:
        known = [v for v in s.values if v is not None]
        if len(known) < 2:
            continue
        first, last = known[0], known[-1]
        change = float(half_up(last, 0) - half_up(first, 0))
        changes.append((-change if is_lower_better(s.polarity) else change, s, first, last))
    return sorted(changes, key=lambda item: item[0])


def _summary(cycles: Sequence[str], series: Sequence[TrendSeries]) -> str:
    if len(cycles) == 1:
        return f"Only one cycle so far ({cycles[0]}); a trend appears after the next one."
    changes = _changes(series)
    if not changes:
        return f"Across {len(cycles)} cycles there are not yet two scores for any measure."

    def said(item: Change) -> str:
        _, s, first, last = item
        where = ", lower is better" if is_lower_better(s.polarity) else ""
        return f"{s.label} ({format_score(first)} → {format_score(last)}{where})"

    best, worst = changes[-1], changes[0]
    span = f"From {cycles[0]} to {cycles[-1]}"
    if best[0] <= 0 and worst[0] >= 0:
        return f"{span}, no measure changed."
    parts = []
    if best[0] > 0:
        parts.append(f"{said(best)} improved most")
    if worst[0] < 0:
        parts.append(f"{said(worst)} worsened most")
    return f"{span}, " + "; ".join(parts) + "."
