"""The heatmap: teams × constructs, each cell a team's mean coloured by goodness."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.vocabulary import VOCABULARY

from .chart import Chart, ChartData
from .colour import colour_for_goodness, text_colour_on
from .figure import Figure, empty_chart, esc, layout, positional_axis, row_height, tick_label
from .palette import GOODNESS_SCALE, INK, MISSING_FILL, MUTED, TRANSPARENT
from .text import display_label, format_score, goodness, is_lower_better, number, wrap

KIND = "heatmap"
SHORT_LABELS: dict[str, str] = {key: c.short for key, c in VOCABULARY.constructs.items()}
LEGEND_SPAN = (0.0, 0.5)  # where the colour key sits below the heatmap, in plot fractions


def short_label(construct: Mapping[str, Any]) -> str:
    """A construct's short name for column headers: its `short` key, a known one, or its label."""
    return str(
        construct.get("short") or SHORT_LABELS.get(str(construct.get("key"))) or construct["label"]
    )


@dataclass(frozen=True)
class HeatmapColumn:
    """A construct as a heatmap column: `short` heads the column, `label` the table's."""

    key: str
    label: str
    short: str
    polarity: str

    @classmethod
    def from_plain(cls, construct: Mapping[str, Any]) -> HeatmapColumn:
        return cls(
            key=str(construct.get("key", "")),
            label=str(construct["label"]),
            short=short_label(construct),
            polarity=str(construct.get("polarity", "higher_is_better")),
        )

    def header(self) -> str:
        """The short name, with "↓" where lower is better (explained under the key)."""
        return self.short + (" ↓" if is_lower_better(self.polarity) else "")

    def cell(self, value: float | None) -> tuple[str, str]:
        """A cell's fill and text colour: blue is always better, grey is no score."""
        g = goodness(value, self.polarity)
        if g is None:
            return MISSING_FILL, MUTED
        fill = colour_for_goodness(g)
        return fill, text_colour_on(fill)


@dataclass(frozen=True)
class HeatmapData(ChartData):
    teams: tuple[str, ...]
    constructs: tuple[HeatmapColumn, ...]
    values: tuple[tuple[float | None, ...], ...]  # values[t][c]: team t's mean on construct c
    ns: tuple[int, ...]  # ns[t]: team t's number of responses

    @classmethod
    def from_plain(cls, data: Mapping[str, Any]) -> HeatmapData:
        return cls(
            teams=tuple(str(t) for t in data["teams"]),
            constructs=tuple(HeatmapColumn.from_plain(c) for c in data["constructs"]),
            values=tuple(tuple(number(v) for v in row) for row in data["values"]),
            ns=tuple(int(n) for n in data["ns"]),
        )

    def row_labels(self) -> list[str]:
        return [f"{t} (n={n})" for t, n in zip(self.teams, self.ns, strict=True)]

    def goodness(self) -> list[list[float | None]]:
        return [
            [goodness(v, c.polarity) for v, c in zip(row, self.constructs, strict=True)]
            for row in self.values
        ]


def heatmap_chart(
    chart_id: str,
    teams: Sequence[str],
    constructs: Sequence[HeatmapColumn],
    values: Sequence[Sequence[float | None]],
    ns: Sequence[int],
    *,
    title: str = "Construct scores by team",
) -> Chart:
    """Teams × constructs, each cell the team's mean, coloured by goodness (red worse, blue better).

    values[t][c] is team t's mean on construct c, ns[t] its number of responses. Goodness is
    100 - v for lower-is-better constructs, so blue always means better.
    """
    if len(values) != len(teams) or len(ns) != len(teams):
        raise ValueError("heatmap_chart: teams, values and ns must have the same length")
    if any(len(row) != len(constructs) for row in values):
        raise ValueError("heatmap_chart: each values row needs one value per construct")
    data = HeatmapData(
        teams=tuple(str(t) for t in teams),
        constructs=tuple(constructs),
        values=tuple(tuple(number(v) for v in row) for row in values),
        ns=tuple(int(n) for n in ns),
    )
    columns = ("Team", "n", *(display_label(c.label, c.polarity) for c in data.constructs))
    if not teams or not constructs:
        summary = "Nothing to show yet: no team results to compare."
        return empty_chart(chart_id, KIND, title, summary, columns, data)
    table = tuple(
        (team, str(n), *(format_score(v) for v in row))
        for team, n, row in zip(data.teams, data.ns, data.values, strict=True)
    )
    return Chart(
        id=chart_id,
        kind=KIND,
        title=title,
        summary=_summary(data),
        figure={"data": _traces(data), "layout": _layout(data)},
        columns=columns,
        rows=table,
        data=data,
    )


# Rows and columns are addressed by position; the labels are tick texts, so equal names
# stay apart and user text never becomes a plotly category id.
def _xs(data: HeatmapData) -> list[str]:
    return [f"c{i}" for i in range(len(data.constructs))]


def _ys(data: HeatmapData) -> list[str]:
    return [f"t{i}" for i in range(len(data.teams))]


def _traces(data: HeatmapData) -> list[Figure]:
    xs, ys = _xs(data), _ys(data)
    cell: Figure = {"type": "heatmap", "x": xs, "y": ys, "showscale": False, "xgap": 3, "ygap": 3}
    missing = {  # grey cells where a team has no score
        **cell,
        "z": [[1 if v is None else None for v in row] for row in data.values],
        "zmin": 0,
        "zmax": 1,
        "colorscale": [[0, MISSING_FILL], [1, MISSING_FILL]],
        "hoverinfo": "skip",
    }
    scored = {
        **cell,
        "z": [[None if g is None else round(g, 2) for g in row] for row in data.goodness()],
        "zmin": 0,
        "zmax": 100,
        "colorscale": [[stop, colour] for stop, colour in GOODNESS_SCALE],
        "text": [[format_score(v) for v in row] for row in data.values],
        # customdata, each cell's team and construct, is filled in by static/js/charts.js
        # from layout.meta.cell_names: two short lists, not 1,400 pairs at 200 teams.
        "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}: %{text}<extra></extra>",
    }
    return [missing, scored, *_cell_texts(data, cell)]


def _cell_texts(data: HeatmapData, cell: Figure) -> list[Figure]:
    """Each cell's score in the ink that reads on its colour: one transparent text layer per
    ink (plotly.js gives a heatmap's texts one colour), far lighter than an annotation each."""
    inks = [
        [c.cell(v)[1] for v, c in zip(row, data.constructs, strict=True)] for row in data.values
    ]
    layers = []
    for ink in sorted({ink for row in inks for ink in row}):
        layers.append(
            {
                # With the gaps too: without them plotly.js draws the layer as one pixelated
                # image, whose inline style the CSP refuses.
                **cell,
                "z": [[0 if i == ink else None for i in row] for row in inks],
                "colorscale": [[0, TRANSPARENT], [1, TRANSPARENT]],
                "text": [
                    [format_score(v) if i == ink else "" for v, i in zip(vs, row, strict=True)]
                    for vs, row in zip(data.values, inks, strict=True)
                ],
                "texttemplate": "%{text}",
                "textfont": {"size": 13, "color": ink},
                "hoverinfo": "skip",
            }
        )
    return layers


def cell_texts(figure: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(text, ink) of every cell of a heatmap figure, row by row: what a reader sees."""
    layers = [t for t in figure["data"] if t.get("texttemplate")]
    rows = len(layers[0]["text"]) if layers else 0
    return [
        next((t["text"][r][c], t["textfont"]["color"]) for t in layers if t["text"][r][c])
        for r in range(rows)
        for c in range(len(layers[0]["text"][r]))
    ]


def _layout(data: HeatmapData) -> Figure:
    headers = [esc(c.header()) for c in data.constructs]
    wide_headers = ["<br>".join(wrap(h, 12, cut=False)) for h in headers]
    team_ticks = [tick_label(label, 22) for label in data.row_labels()]
    header_lines = max(t.count("<br>") + 1 for t in wide_headers)
    row_h = row_height(team_ticks, minimum=40)
    xaxis = {
        "type": "category",
        "side": "top",
        "tickmode": "array",
        "tickvals": _xs(data),
        "ticktext": wide_headers,
        "ticks": "",
        "tickangle": 0,
        "tickfont": {"size": 11},
        "fixedrange": True,
        "automargin": True,
        "showgrid": False,
        "zeroline": False,
    }
    return layout(
        30 + header_lines * 15 + row_h * len(data.teams) + 56,
        xaxis=xaxis,
        yaxis={**positional_axis(_ys(data), team_ticks), "zeroline": False},
        margin={"l": 8, "r": 8, "t": 8, "b": 60, "pad": 2},
        shapes=_legend_shapes(),
        annotations=_legend_notes(),
        meta={
            "cell_names": {
                "rows": [esc(t) for t in data.teams],
                "columns": [esc(display_label(c.label, c.polarity)) for c in data.constructs],
            },
            # Below about 80 px a column, the headers turn upright (static/js/charts.js).
            "narrow_below": 170 + 80 * len(data.constructs),
            "narrow": {
                "height": 30 + 130 + row_h * len(data.teams) + 56,
                "xaxis": {"ticktext": headers, "tickangle": -90},
            },
        },
    )


def _legend_shapes() -> list[Figure]:
    """The colour key under the heatmap: one swatch per scale stop, 14 px below the plot."""
    start, end = LEGEND_SPAN
    step = (end - start) / len(GOODNESS_SCALE)
    return [
        {
            "type": "rect",
            "xref": "paper",
            "yref": "paper",
            "ysizemode": "pixel",
            "yanchor": 0,
            "x0": start + i * step,
            "x1": start + (i + 1) * step,
            "y0": -14,
            "y1": -26,
            "line": {"width": 0},
            "fillcolor": colour,
        }
        for i, (_, colour) in enumerate(GOODNESS_SCALE)
    ]


def _legend_notes() -> list[Figure]:
    start, end = LEGEND_SPAN
    common = {
        "yref": "paper",
        "y": 0,
        "yshift": -20,
        "yanchor": "middle",
        "xref": "paper",
        "showarrow": False,
    }
    return [
        {
            **common,
            "x": start,
            "xanchor": "right",
            "xshift": -6,
            "text": "worse",
            "font": {"size": 12, "color": MUTED},
        },
        {
            **common,
            "x": end,
            "xanchor": "left",
            "xshift": 6,
            "text": "better →",
            "font": {"size": 12, "color": INK},
        },
        {
            **common,
            "x": start,
            "xanchor": "left",
            "yshift": -42,
            "text": "↓ lower is better",
            "font": {"size": 11, "color": MUTED},
        },
    ]


def _summary(data: HeatmapData) -> str:
    teams = data.teams
    cells = [
        (g, t, c)
        for t, row in enumerate(data.goodness())
        for c, g in enumerate(row)
        if g is not None
    ]
    if not cells:
        return f"Not enough answers yet to score any of the {len(teams)} teams."

    def said(cell: tuple[float, int, int]) -> str:
        _, t, c = cell
        construct = data.constructs[c]
        where = ", lower is better" if is_lower_better(construct.polarity) else ""
        return f"{teams[t]} on {construct.label} ({format_score(data.values[t][c])}{where})"

    cells.sort(key=lambda cell: cell[0])
    team_word = "team" if len(teams) == 1 else "teams"
    return (
        f"Across {len(teams)} {team_word}, the strongest result is {said(cells[-1])} "
        f"and the weakest is {said(cells[0])}."
    )
