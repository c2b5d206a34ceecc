"""Plotly scaffolding shared by the builders: layout, axes, legends and label text.

Figures are plain dicts that ``json.dumps`` accepts (floats, ints, strings, lists, dicts
only; NaN becomes None, because JSON.parse rejects it). Text that goes into a figure is
HTML-escaped, since plotly.js reads a few tags in labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .chart import Chart, ChartData
from .palette import GRID, INK, MUTED, ZERO_LINE
from .text import NOT_ENOUGH, wrap
from .ticks import Ticks

Figure = dict[str, Any]  # plotly's JSON: a figure, a trace, an axis or an annotation

FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", '
    '"DejaVu Sans", Arial, sans-serif'
)
LABEL_WIDTH = 26  # characters a line in axis labels; long labels wrap to a second line
# Bar values written after the bar, in ink, allowed past the plot's edge.
OUTSIDE_TEXT: Figure = {
    "textposition": "outside",
    "constraintext": "none",
    "cliponaxis": False,
    "textfont": {"size": 12, "color": INK},
}
BAR_MARGIN: Figure = {"l": 8, "r": 56, "t": 8, "b": 44, "pad": 4}


def esc(text: str) -> str:
    """User text shown literally: plotly.js reads <b>, <br>, <a> and entities in labels."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def tick_label(text: str, width: int) -> str:
    """`text` escaped and wrapped to `width` characters a line."""
    return "<br>".join(esc(line) for line in wrap(text, width))


def unique(labels: Iterable[str]) -> list[str]:
    """Labels kept apart with invisible marks: plotly merges equal category names."""
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        count = seen.get(label, 0)
        seen[label] = count + 1
        result.append(label + "\u200b" * count)
    return result


def layout(height: int, **extra: Any) -> Figure:
    result: Figure = {
        "font": {"family": FONT_FAMILY, "size": 13, "color": INK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "margin": {"l": 8, "r": 20, "t": 8, "b": 44, "pad": 4},
        "height": height,
        "autosize": True,
        "showlegend": False,
        "dragmode": False,
        "hovermode": "closest",
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}, "align": "left"},
    }
    result.update(extra)
    return result


def legend() -> Figure:
    return {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "y": 1,
        "yanchor": "bottom",
        "traceorder": "normal",
        "font": {"size": 12},
    }


def value_axis(title: str, ticks: Ticks, top: float = 100, **extra: Any) -> Figure:
    """A value axis from 0 to `top`, marked where the SVG drawing marks it."""
    axis: Figure = {
        "range": [0, top],
        "title": {"text": title, "font": {"size": 12, "color": MUTED}},
        "tickmode": "array",
        "tickvals": list(ticks.values),
        "ticktext": list(ticks.labels),
        "gridcolor": GRID,
        "zeroline": True,
        "zerolinecolor": ZERO_LINE,
        "tickfont": {"size": 12, "color": MUTED},
        "fixedrange": True,
        "automargin": True,
    }
    axis.update(extra)
    return axis


def category_axis(labels: Sequence[str]) -> Figure:
    return {
        "type": "category",
        "categoryorder": "array",
        "categoryarray": list(labels),
        "autorange": "reversed",
        "ticks": "",
        "tickfont": {"size": 12},
        "fixedrange": True,
        "automargin": True,
        "showgrid": False,
    }


def positional_axis(ids: Sequence[str], labels: Sequence[str]) -> Figure:
    """Rows addressed by position ("r0", "r1"...) and labelled with tick texts, so equal names
    stay apart and user text never becomes a plotly category id."""
    return {**category_axis(ids), "tickmode": "array", "tickvals": list(ids), "ticktext": labels}


def hbars(name: str, xs: Sequence[float], ys: Sequence[str], colour: str, **extra: Any) -> Figure:
    """One legend entry's horizontal bars, their values to two decimals."""
    return {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "x": [round(x, 2) for x in xs],
        "y": list(ys),
        "marker": {"color": colour},
        **extra,
    }


def axis_trace(labels: Sequence[str]) -> Figure:
    """An invisible trace that puts every row on the axis, even rows without a bar."""
    return {
        "type": "bar",
        "orientation": "h",
        "x": [0] * len(labels),
        "y": list(labels),
        "marker": {"color": "rgba(0,0,0,0)"},
        "showlegend": False,
        "hoverinfo": "skip",
    }


def missing_note(label: str, text: str = NOT_ENOUGH) -> Figure:
    return {
        "x": 0,
        "y": label,
        "xref": "x",
        "yref": "y",
        "xanchor": "left",
        "text": text,
        "showarrow": False,
        "xshift": 4,
        "font": {"size": 12, "color": MUTED, "style": "italic"},
    }


def row_height(labels: Sequence[str], per_line: int = 16, minimum: int = 38) -> int:
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    return max(minimum, lines * per_line + 14)


def empty_chart(
    chart_id: str, kind: str, title: str, summary: str, columns: Sequence[str], data: ChartData
) -> Chart:
    """A chart with nothing to draw: its title, its columns and why it is empty."""
    return Chart(
        id=chart_id,
        kind=kind,
        title=title,
        summary=summary,
        figure={"data": [], "layout": layout(120)},
        columns=tuple(columns),
        rows=(),
        data=data,
    )
