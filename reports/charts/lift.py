"""Enabler lift: how many times as often respondents with an enabler report a practice."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .chart import Chart, ChartData
from .figure import (
    Figure,
    empty_chart,
    layout,
    legend,
    positional_axis,
    row_height,
    tick_label,
    value_axis,
)
from .palette import FAMILY_COLOURS, INK, MUTED, WHITE
from .text import format_interval, format_ratio, number
from .ticks import WEB_RATIO_PLOT_WIDTH, Ticks, ratio_range, ratio_ticks

KIND = "lift"
COLUMNS = ("Enabler", "Practice", "Ratio", "95 % CI", "With enabler (k/n)", "Without (k/n)")
AXIS_TITLE = "Times as often with the enabler (log scale)"
SHORT_AXIS_TITLE = "Times as often (log scale)"
CLEAR, UNCLEAR = "Interval above 1×", "Interval includes 1×"


@dataclass(frozen=True)
class LiftRow:
    """One enabler and practice pair: the ratio, its 95 % interval and the counts."""

    enabler_label: str
    practice_label: str
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    with_k: int
    with_n: int
    without_k: int
    without_n: int

    @classmethod
    def from_plain(cls, cell: Mapping[str, Any]) -> LiftRow:
        return cls(
            enabler_label=str(cell["enabler_label"]),
            practice_label=str(cell["practice_label"]),
            ratio=number(cell.get("ratio")),
            ci_low=number(cell.get("ci_low")),
            ci_high=number(cell.get("ci_high")),
            with_k=int(cell.get("with_k") or 0),
            with_n=int(cell.get("with_n") or 0),
            without_k=int(cell.get("without_k") or 0),
            without_n=int(cell.get("without_n") or 0),
        )

    def name(self) -> str:
        return f"{self.enabler_label} → {self.practice_label}"

    def is_plotted(self) -> bool:
        return self.ratio is not None and self.ratio > 0

    def is_clear(self) -> bool:
        """Whether the whole interval lies above 1× (no difference)."""
        return (self.ci_low or 0) > 1

    def with_counts(self) -> str:
        return f"{self.with_k}/{self.with_n}"

    def without_counts(self) -> str:
        return f"{self.without_k}/{self.without_n}"


@dataclass(frozen=True)
class LiftData(ChartData):
    cells: tuple[LiftRow, ...]

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> LiftData:
        return cls(tuple(LiftRow.from_plain(c) for c in data["cells"]))

    def range(self) -> tuple[float, float]:
        return ratio_range(v for c in self.cells for v in (c.ratio, c.ci_low, c.ci_high))

    def ticks(self, plot_width: float) -> Ticks:
        return ratio_ticks(*self.range(), plot_width)


def lift_chart(chart_id: str, cells: Sequence[LiftRow], *, title: str = "Enabler lift") -> Chart:
    """How many times as often respondents with an enabler report a practice (log scale),
    for the cells shown. A dashed line marks 1× (no difference)."""
    data = LiftData(tuple(cells))
    if not cells:
        summary = "Nothing to show yet: no enabler and practice pair has enough answers."
        return empty_chart(chart_id, KIND, title, summary, COLUMNS, data)
    table = tuple(
        (
            c.enabler_label,
            c.practice_label,
            format_ratio(c.ratio),
            format_interval(c.ci_low, c.ci_high),
            c.with_counts(),
            c.without_counts(),
        )
        for c in cells
    )
    return Chart(
        id=chart_id,
        kind=KIND,
        title=title,
        summary=_summary(cells),
        figure={"data": _traces(cells), "layout": _layout(data)},
        columns=COLUMNS,
        rows=table,
        data=data,
    )


# Rows are addressed by position; practice labels can be whole sentences.
def _ys(cells: Sequence[LiftRow]) -> list[str]:
    return [f"r{i}" for i in range(len(cells))]


def _traces(cells: Sequence[LiftRow]) -> list[Figure]:
    ys = _ys(cells)
    traces: list[Figure] = [
        {
            "type": "scatter",
            "mode": "markers",
            "x": [1] * len(ys),
            "y": ys,
            "marker": {"opacity": 0},
            "showlegend": False,
            "hoverinfo": "skip",
        }
    ]
    plotted = [i for i, c in enumerate(cells) if c.is_plotted()]
    clear = [i for i in plotted if cells[i].is_clear()]
    unclear = [i for i in plotted if i not in clear]
    blue = FAMILY_COLOURS["enabler"]
    for members, name, colour, fill in (
        (clear, CLEAR, blue, blue),
        (unclear, UNCLEAR, MUTED, WHITE),
    ):
        if members:
            rows = [cells[i] for i in members]
            traces.append(_dots(rows, [ys[i] for i in members], name, colour, fill))
    return traces


def _dots(cells: Sequence[LiftRow], ys: Sequence[str], name: str, colour: str, fill: str) -> Figure:
    ratios = [c.ratio or 0.0 for c in cells]
    return {
        "type": "scatter",
        "mode": "markers+text",
        "name": name,
        "x": ratios,
        "y": list(ys),
        "marker": {"size": 11, "color": fill, "line": {"color": colour, "width": 2}},
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [
                round(max((c.ci_high or r) - r, 0), 4) for c, r in zip(cells, ratios, strict=True)
            ],
            "arrayminus": [
                round(max(r - (c.ci_low or r), 0), 4) for c, r in zip(cells, ratios, strict=True)
            ],
            "color": colour,
            "thickness": 1.5,
            "width": 5,
        },
        "text": [format_ratio(r) for r in ratios],
        "textposition": "top center",
        "textfont": {"size": 12, "color": INK},
        "cliponaxis": False,
        "customdata": [
            [
                format_interval(c.ci_low, c.ci_high),
                c.with_counts(),
                c.without_counts(),
                tick_label(c.name(), 60),
            ]
            for c in cells
        ],
        "hovertemplate": (
            "%{customdata[3]}<br>%{text} as often (95 % CI %{customdata[0]})"
            "<br>with enabler %{customdata[1]}, without %{customdata[2]}<extra></extra>"
        ),
    }


def _no_ratio_notes(cells: Sequence[LiftRow]) -> list[Figure]:
    return [
        {
            "x": 0,
            "xref": "paper",
            "y": y,
            "yref": "y",
            "xanchor": "left",
            "text": "no ratio",
            "showarrow": False,
            "font": {"size": 12, "color": MUTED, "style": "italic"},
        }
        for y, c in zip(_ys(cells), cells, strict=True)
        if not c.is_plotted()
    ]


def _layout(data: LiftData) -> Figure:
    cells = data.cells
    lo, hi = data.range()
    ticks = data.ticks(WEB_RATIO_PLOT_WIDTH)
    # Wide screens: the labels wrap beside the rows (tick text); narrow: see _narrow.
    wide_ticks = [tick_label(c.name(), 46) for c in cells]
    notes = _no_ratio_notes(cells)
    return layout(
        70 + row_height(wide_ticks, minimum=48) * len(cells),
        showlegend=True,
        legend=legend(),
        xaxis=value_axis(
            AXIS_TITLE, ticks, type="log", range=[math.log10(lo), math.log10(hi)], zeroline=False
        ),
        yaxis=positional_axis(_ys(cells), wide_ticks),
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": 1,
                "x1": 1,
                "y0": 0,
                "y1": 1,
                "line": {"color": MUTED, "width": 1.5, "dash": "dash"},
                "layer": "below",
            }
        ],
        annotations=notes,
        meta={"narrow": _narrow(cells, notes)},
    )


def _narrow(cells: Sequence[LiftRow], notes: list[Figure]) -> Figure:
    """The narrow-screen patch (static/js/charts.js): each label above its row, across the
    whole width, wrapped narrower than beside the rows."""
    labels = [tick_label(c.name(), 44) for c in cells]
    row = max(label.count("<br>") + 1 for label in labels) * 15 + 44
    # In row units: room above the first dot for its label, a little below the last one.
    top_pad, bottom_pad = (row - 16) / row, 16 / row
    span = len(cells) - 1 + top_pad + bottom_pad
    above = [
        {
            "x": 0,
            "xref": "paper",
            "y": y,
            "yref": "y",
            "xanchor": "left",
            "yanchor": "bottom",
            "yshift": 24,
            "align": "left",
            "text": label,
            "showarrow": False,
            "font": {"size": 12, "color": INK},
        }
        for y, label in zip(_ys(cells), labels, strict=True)
    ]
    return {
        "height": 90 + round(row * span),
        "yaxis": {
            "showticklabels": False,
            "autorange": False,
            "range": [len(cells) - 1 + bottom_pad, -top_pad],
        },
        "annotations": notes + above,
        "xaxis": {"title": {"text": SHORT_AXIS_TITLE}, "tickangle": 0},
    }


def _summary(cells: Sequence[LiftRow]) -> str:
    known = [(c, c.ratio) for c in cells if c.ratio is not None]
    if not known:
        return "No ratio could be computed yet."
    top = max(known, key=lambda item: item[1])[0]
    above = sum(1 for c, _ in known if c.is_clear())
    pairs = "pair" if len(known) == 1 else "pairs"
    practice = top.practice_label.rstrip(". ")
    return (
        f"Strongest link: {top.enabler_label} → “{practice}”, reported "
        f"{format_ratio(top.ratio)} as often by respondents with the enabler as by those "
        f"without (95 % CI {format_interval(top.ci_low, top.ci_high)}; "
        f"{top.with_k} of {top.with_n} vs {top.without_k} of {top.without_n}). "
        f"{above} of {len(known)} {pairs} shown have an interval entirely above 1×."
    )
