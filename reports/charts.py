"""Chart builders: plain numbers in, one `Chart` out (plotly figure, table and words).

Every builder returns the same numbers three ways: a plotly figure (drawn in the browser by
``static/js/charts.js``), a table (visible without JavaScript, and the accessible fallback)
and a one- or two-sentence summary. ``Chart.data`` keeps the builder's inputs so that
``reports/svg.py`` can draw the same numbers as a static SVG for PDF reports.

Pure: no ORM, no request, no settings. Figures are plain dicts that ``json.dumps`` accepts
(floats, ints, strings, lists, dicts only; NaN becomes None, because JSON.parse rejects it).
Text that goes into a figure is HTML-escaped, since plotly.js reads a few tags in labels.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Any

from assessments.vocabulary import VOCABULARY

FONT_FAMILY = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", '
    '"DejaVu Sans", Arial, sans-serif'
)
INK = "#212529"
MUTED = "#5b6b7b"
GRID = "#e3e8ee"
MISSING_FILL = "#eef1f4"

# One calm palette shared with svg.py. Every colour has at least 3:1 contrast on white, and
# the four families differ in lightness as well as hue, so they stay apart for the common
# colour-vision deficiencies; the family is also written in each table row and legend.
FAMILY_ORDER: tuple[str, ...] = tuple(VOCABULARY.families)
FAMILY_COLOURS = {
    "constrainer": "#b45a1e",  # burnt orange
    "enabler": "#1f5f8b",  # the app's primary blue
    "practice": "#2a8572",  # the app's accent teal
    "governance": "#7a5aa0",  # muted violet
}
FAMILY_LABELS: dict[str, str] = dict(VOCABULARY.families)
OTHER_COLOUR = "#6c7a89"

RESOURCE_ORDER = ("individual", "collective")
RESOURCE_COLOURS = {"individual": "#3d9a86", "collective": "#1d4e44"}
RESOURCE_LABELS = {"individual": "Individual", "collective": "Collective"}

PROFILE_COLOURS = {
    "decoupled": "#b4463c",
    "guardrails_without_backing": "#c7861c",
    "top_down_only": "#7a5aa0",
    "recoupled": "#2a8572",
    "insufficient_data": "#8a96a3",
}

# Lines of the trend chart: the Okabe-Ito colours, darkened where needed for 3:1 on white.
SERIES_COLOURS = (
    "#0072b2",
    "#c75e00",
    "#00876a",
    "#a24f86",
    "#5a6b7b",
    "#b08600",
    "#3b9ad6",
    "#7f3f00",
)

# ColorBrewer RdYlBu (11 classes; colour-blind safe): red = worse, blue = better.
GOODNESS_SCALE: tuple[tuple[float, str], ...] = (
    (0.0, "#a50026"),
    (0.1, "#d73027"),
    (0.2, "#f46d43"),
    (0.3, "#fdae61"),
    (0.4, "#fee090"),
    (0.5, "#ffffbf"),
    (0.6, "#e0f3f8"),
    (0.7, "#abd9e9"),
    (0.8, "#74add1"),
    (0.9, "#4575b4"),
    (1.0, "#313695"),
)

NOT_ENOUGH = "not enough answers"
DASH = "–"
LOWER_SUFFIX = " (lower is better)"


@dataclass(frozen=True)
class Chart:
    """One chart: a plotly figure, the same numbers as a table, and a text alternative."""

    id: str
    kind: str
    title: str
    summary: str
    figure: dict[str, Any]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    data: dict[str, Any]

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw (the figure has no traces)."""
        return not self.figure.get("data")


# --- numbers and words -------------------------------------------------------------------


def number(value: Any) -> float | None:
    """A plain float, or None for missing, NaN and infinite values."""
    if value is None:
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def _half_up(value: float, places: int) -> Decimal:
    # str() first so that 42.5 rounds to 43 and 2.45 to 2.5, as people expect.
    exponent = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def format_score(value: float | None) -> str:
    """A 0-100 score to 0 decimal places ("43"), or a dash when missing."""
    v = number(value)
    return DASH if v is None else str(_half_up(v, 0))


def format_percent(value: float | None) -> str:
    """A 0-100 share as "42 %", or a dash when missing."""
    v = number(value)
    return DASH if v is None else f"{_half_up(v, 0)} %"


def format_ratio(value: float | None) -> str:
    """A ratio to one decimal place with a times sign ("3.1×"), or a dash when missing."""
    v = number(value)
    return DASH if v is None else f"{_half_up(v, 1)}×"


def format_interval(low: float | None, high: float | None) -> str:
    """A ratio interval as "1.4–6.8×", or a dash when either end is missing."""
    lo, hi = number(low), number(high)
    if lo is None or hi is None:
        return DASH
    return f"{_half_up(lo, 1)}–{_half_up(hi, 1)}×"


def is_lower_better(polarity: str | None) -> bool:
    """Whether a polarity ("lower_is_better" / "higher_is_better") means lower is better."""
    return str(polarity or "").startswith("lower")


def goodness(value: float | None, polarity: str | None) -> float | None:
    """A score turned so that higher is always better: 100 - v for lower-is-better."""
    v = number(value)
    if v is None:
        return None
    return 100.0 - v if is_lower_better(polarity) else v


def display_label(label: str, polarity: str | None) -> str:
    """A construct label, suffixed "(lower is better)" where lower is better."""
    return f"{label}{LOWER_SUFFIX}" if is_lower_better(polarity) else label


def direction(polarity: str | None) -> str:
    """The direction column: "Lower is better" or "Higher is better"."""
    return "Lower is better" if is_lower_better(polarity) else "Higher is better"


def wrap(text: str, width: int, *, cut: bool = True) -> list[str]:
    """Greedy word wrap to at most `width` characters a line; longer words are cut if `cut`."""
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        while cut and len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    return lines


def colour_for_goodness(value: float | None) -> str:
    """The GOODNESS_SCALE colour of a 0-100 goodness (linear in RGB, as plotly.js does)."""
    v = number(value)
    if v is None:
        return MISSING_FILL
    t = min(max(v / 100.0, 0.0), 1.0)
    for (t0, c0), (t1, c1) in pairwise(GOODNESS_SCALE):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = [round(a + (b - a) * f) for a, b in zip(_rgb(c0), _rgb(c1), strict=True)]
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return GOODNESS_SCALE[-1][1]


def text_colour_on(fill: str) -> str:
    """Dark ink or white, whichever reads better on `fill` (WCAG relative luminance)."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(fill))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return INK if luminance > 0.22 else "#ffffff"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _esc(text: str) -> str:
    # plotly.js reads <b>, <br>, <a> and entities in labels; show user text literally.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _tick(text: str, width: int) -> str:
    return "<br>".join(_esc(line) for line in wrap(text, width))


def _unique(labels: Iterable[str]) -> list[str]:
    # plotly merges equal category names into one row; keep rows apart with invisible marks.
    seen: dict[str, int] = {}
    result = []
    for label in labels:
        count = seen.get(label, 0)
        seen[label] = count + 1
        result.append(label + "\u200b" * count)
    return result


def _join_names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


# --- figure scaffolding --------------------------------------------------------------------


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
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
    layout.update(extra)
    return layout


def _legend() -> dict[str, Any]:
    return {
        "orientation": "h",
        "x": 0,
        "xanchor": "left",
        "y": 1,
        "yanchor": "bottom",
        "traceorder": "normal",
        "font": {"size": 12},
    }


def _value_axis(title: str, top: float = 100, **extra: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "range": [0, top],
        "title": {"text": title, "font": {"size": 12, "color": MUTED}},
        "gridcolor": GRID,
        "zeroline": True,
        "zerolinecolor": "#c5ced8",
        "tickfont": {"size": 12, "color": MUTED},
        "fixedrange": True,
        "automargin": True,
    }
    axis.update(extra)
    return axis


def _category_axis(labels: Sequence[str]) -> dict[str, Any]:
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


def _axis_trace(labels: Sequence[str]) -> dict[str, Any]:
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


def _missing_note(label: str) -> dict[str, Any]:
    return {
        "x": 0,
        "y": label,
        "xref": "x",
        "yref": "y",
        "xanchor": "left",
        "text": NOT_ENOUGH,
        "showarrow": False,
        "xshift": 4,
        "font": {"size": 12, "color": MUTED, "style": "italic"},
    }


def _empty(
    id: str, kind: str, title: str, summary: str, columns: Sequence[str], data: dict[str, Any]
) -> Chart:
    return Chart(
        id=id,
        kind=kind,
        title=title,
        summary=summary,
        figure={"data": [], "layout": _layout(120)},
        columns=tuple(columns),
        rows=(),
        data=data,
    )


def _row_height(labels: Sequence[str], per_line: int = 16, minimum: int = 38) -> int:
    lines = max((label.count("<br>") + 1 for label in labels), default=1)
    return max(minimum, lines * per_line + 14)


# --- builders ------------------------------------------------------------------------------

CONSTRUCT_COLUMNS = ("Construct", "Score", "Spread (sd)", "n", "Direction")
LABEL_WIDTH = 26  # characters a line in axis labels; long labels wrap to a second line


def construct_chart(
    id: str, rows: Sequence[Mapping[str, Any]], *, title: str = "Construct scores"
) -> Chart:
    """Construct means (0-100) as horizontal bars with ±sd, coloured by family.

    rows: ``{key, label, family, polarity, mean: float|None, sd: float|None, n: int}``;
    extra keys are ignored. A missing mean shows "not enough answers" instead of a bar.
    """
    clean = [
        {
            "key": str(r.get("key", "")),
            "label": str(r["label"]),
            "family": str(r.get("family", "")),
            "polarity": str(r.get("polarity", "higher_is_better")),
            "mean": number(r.get("mean")),
            "sd": number(r.get("sd")),
            "n": int(r.get("n") or 0),
        }
        for r in rows
    ]
    data: dict[str, Any] = {"rows": clean}
    if not clean:
        return _empty(
            id,
            "construct",
            title,
            "Nothing to show yet: no construct has been scored.",
            CONSTRUCT_COLUMNS,
            data,
        )
    ticks = _unique(_tick(display_label(r["label"], r["polarity"]), LABEL_WIDTH) for r in clean)
    traces: list[dict[str, Any]] = [_axis_trace(ticks)]
    families = list(FAMILY_ORDER) + sorted({r["family"] for r in clean} - set(FAMILY_ORDER))
    for family in families:
        members = [
            i for i, r in enumerate(clean) if r["family"] == family and r["mean"] is not None
        ]
        if not members:
            continue
        means = [clean[i]["mean"] for i in members]
        sds = [clean[i]["sd"] or 0.0 for i in members]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": FAMILY_LABELS.get(family, family.title() or "Other"),
                "x": [round(m, 2) for m in means],
                "y": [ticks[i] for i in members],
                "marker": {"color": FAMILY_COLOURS.get(family, OTHER_COLOUR)},
                # Scores live in 0-100, so the whisker stops at the ends of the scale.
                "error_x": {
                    "type": "data",
                    "symmetric": False,
                    "array": [round(min(s, 100 - m), 2) for m, s in zip(means, sds, strict=True)],
                    "arrayminus": [round(min(s, m), 2) for m, s in zip(means, sds, strict=True)],
                    "color": INK,
                    "thickness": 1.2,
                    "width": 4,
                },
                "text": [format_score(m) for m in means],
                # Inside the bar's start, clear of the whisker; outside when a bar is tiny.
                "textposition": "auto",
                "insidetextanchor": "start",
                "constraintext": "none",
                "insidetextfont": {"color": "#ffffff", "size": 12},
                "outsidetextfont": {"color": INK, "size": 12},
                "customdata": [
                    [
                        _esc(clean[i]["label"]),
                        format_score(clean[i]["sd"]),
                        clean[i]["n"],
                        direction(clean[i]["polarity"]).lower(),
                    ]
                    for i in members
                ],
                "hovertemplate": (
                    "%{customdata[0]}<br>Score %{x:.0f} (%{customdata[3]})"
                    "<br>Spread (sd) %{customdata[1]}, n=%{customdata[2]}<extra></extra>"
                ),
            }
        )
    notes = [_missing_note(ticks[i]) for i, r in enumerate(clean) if r["mean"] is None]
    layout = _layout(
        60 + _row_height(ticks) * len(clean),
        showlegend=True,
        legend=_legend(),
        barmode="overlay",
        bargap=0.35,
        xaxis=_value_axis("Score (0–100)"),
        yaxis=_category_axis(ticks),
        annotations=notes,
    )
    table = tuple(
        (
            display_label(r["label"], r["polarity"]),
            format_score(r["mean"]),
            format_score(r["sd"]),
            str(r["n"]),
            direction(r["polarity"]),
        )
        for r in clean
    )
    return Chart(
        id=id,
        kind="construct",
        title=title,
        summary=_construct_summary(clean),
        figure={"data": traces, "layout": layout},
        columns=CONSTRUCT_COLUMNS,
        rows=table,
        data=data,
    )


def _construct_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    scored = [r for r in rows if r["mean"] is not None]
    missing = [r["label"] for r in rows if r["mean"] is None]
    if not scored:
        return "Not enough answers yet to score any construct."

    def said(r: Mapping[str, Any]) -> str:
        where = ", where lower is better" if is_lower_better(r["polarity"]) else ""
        return f"{r['label']} ({format_score(r['mean'])} of 100{where})"

    n = max(r["n"] for r in scored)
    if len(scored) == 1:
        text = f"{said(scored[0])}, from {n} responses."
    else:
        ranked = sorted(scored, key=lambda r: goodness(r["mean"], r["polarity"]) or 0.0)
        text = (
            f"Strongest: {said(ranked[-1])}; weakest: {said(ranked[0])}; from up to {n} responses."
        )
    if missing:
        text += f" Not enough answers yet for {_join_names(missing)}."
    return text


PRACTICE_COLUMNS = ("Category", "Resource", "Adoption", "n")


def practice_chart(
    id: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str = "Practices by category",
) -> Chart:
    """Share of respondents doing each category of practice, individual vs collective.

    rows: ``{category, category_label, resource: "individual"|"collective",
    adoption: float|None (0-100), n}``. A category may lack one resource level.
    """
    clean = [
        {
            "category": str(r.get("category", "")),
            "category_label": str(r.get("category_label") or r.get("category", "")),
            "resource": str(r.get("resource", "")),
            "adoption": number(r.get("adoption")),
            "n": int(r.get("n") or 0),
        }
        for r in rows
    ]
    data: dict[str, Any] = {"rows": clean}
    if not clean:
        return _empty(
            id,
            "practice",
            title,
            "Nothing to show yet: no practice answers.",
            PRACTICE_COLUMNS,
            data,
        )
    categories: list[str] = []
    for r in clean:
        if r["category"] not in categories:
            categories.append(r["category"])
    label_of = {r["category"]: r["category_label"] for r in clean}
    ticks = _unique(_tick(label_of[c], LABEL_WIDTH) for c in categories)
    tick_of = dict(zip(categories, ticks, strict=True))
    traces: list[dict[str, Any]] = [_axis_trace(ticks)]
    resources = list(RESOURCE_ORDER) + sorted({r["resource"] for r in clean} - set(RESOURCE_ORDER))
    for resource in resources:
        members = [r for r in clean if r["resource"] == resource]
        if not members:
            continue
        name = RESOURCE_LABELS.get(resource, resource.title())
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": [round(r["adoption"] or 0.0, 2) for r in members],
                "y": [tick_of[r["category"]] for r in members],
                "marker": {"color": RESOURCE_COLOURS.get(resource, OTHER_COLOUR)},
                "text": [
                    NOT_ENOUGH if r["adoption"] is None else format_percent(r["adoption"])
                    for r in members
                ],
                "textposition": "outside",
                "constraintext": "none",
                "cliponaxis": False,
                "textfont": {"size": 12, "color": INK},
                "customdata": [[name.lower(), r["n"]] for r in members],
                "hovertemplate": (
                    "%{y}, %{customdata[0]}: %{text} of %{customdata[1]}<extra></extra>"
                ),
            }
        )
    layout = _layout(
        60 + max(_row_height(ticks), 54) * len(categories),
        showlegend=True,
        legend=_legend(),
        barmode="group",
        bargap=0.22,
        bargroupgap=0.06,
        xaxis=_value_axis("Share of respondents doing it (%)", ticksuffix=" %"),
        yaxis=_category_axis(ticks),
        margin={"l": 8, "r": 56, "t": 8, "b": 44, "pad": 4},
    )
    table = tuple(
        (
            r["category_label"],
            RESOURCE_LABELS.get(r["resource"], r["resource"].title()),
            format_percent(r["adoption"]),
            str(r["n"]),
        )
        for r in clean
    )
    return Chart(
        id=id,
        kind="practice",
        title=title,
        summary=_practice_summary(clean),
        figure={"data": traces, "layout": layout},
        columns=PRACTICE_COLUMNS,
        rows=table,
        data=data,
    )


def _practice_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    known = [r for r in rows if r["adoption"] is not None]
    if not known:
        return "Not enough answers yet about any practice."
    parts = []
    for resource in RESOURCE_ORDER:
        values = [r["adoption"] for r in known if r["resource"] == resource]
        if values:
            parts.append(f"{format_percent(sum(values) / len(values))} for {resource} practices")
    text = "Average adoption: " + " and ".join(parts) + "." if parts else ""
    ranked = sorted(known, key=lambda r: r["adoption"])
    top, bottom = ranked[-1], ranked[0]

    def said(r: Mapping[str, Any]) -> str:
        return f"{r['category_label']}, {r['resource']} ({format_percent(r['adoption'])})"

    if len(ranked) > 1:
        text += f" Most adopted: {said(top)}; least: {said(bottom)}."
    else:
        text += f" {said(top)}."
    return text.strip()


SHORT_LABELS: dict[str, str] = {key: c.short for key, c in VOCABULARY.constructs.items()}


def short_label(construct: Mapping[str, Any]) -> str:
    """A construct's short name for column headers: its `short` key, a known one, or its label."""
    return str(
        construct.get("short") or SHORT_LABELS.get(str(construct.get("key"))) or construct["label"]
    )


def heatmap_chart(
    id: str,
    teams: Sequence[str],
    constructs: Sequence[Mapping[str, Any]],
    values: Sequence[Sequence[float | None]],
    ns: Sequence[int],
    *,
    title: str = "Construct scores by team",
) -> Chart:
    """Teams × constructs, each cell the team's mean, coloured by goodness (red worse, blue better).

    constructs: ``{key, label, polarity}`` (optionally ``short`` for the column header);
    values[t][c] is team t's mean on construct c, ns[t] its number of responses. Goodness is
    100 - v for lower-is-better constructs, so blue always means better.
    """
    if len(values) != len(teams) or len(ns) != len(teams):
        raise ValueError("heatmap_chart: teams, values and ns must have the same length")
    if any(len(row) != len(constructs) for row in values):
        raise ValueError("heatmap_chart: each values row needs one value per construct")
    clean_constructs = [
        {
            "key": str(c.get("key", "")),
            "label": str(c["label"]),
            "short": short_label(c),
            "polarity": str(c.get("polarity", "higher_is_better")),
        }
        for c in constructs
    ]
    clean_values = [[number(v) for v in row] for row in values]
    data: dict[str, Any] = {
        "teams": [str(t) for t in teams],
        "constructs": clean_constructs,
        "values": clean_values,
        "ns": [int(n) for n in ns],
    }
    columns = ("Team", "n", *(display_label(c["label"], c["polarity"]) for c in clean_constructs))
    if not teams or not constructs:
        return _empty(
            id, "heatmap", title, "Nothing to show yet: no team results to compare.", columns, data
        )
    # Rows and columns are addressed by position; the labels are tick texts, so equal names
    # stay apart and user text never becomes a plotly category id.
    xs = [f"c{i}" for i in range(len(clean_constructs))]
    ys = [f"t{i}" for i in range(len(teams))]
    team_ticks = [_tick(f"{t} (n={n})", 22) for t, n in zip(data["teams"], data["ns"], strict=True)]
    # Column headers are short names; "↓" marks lower-is-better (explained under the key).
    headers = [
        _esc(c["short"]) + (" ↓" if is_lower_better(c["polarity"]) else "")
        for c in clean_constructs
    ]
    wide_headers = ["<br>".join(wrap(h, 12, cut=False)) for h in headers]
    z = [
        [goodness(v, c["polarity"]) for v, c in zip(row, clean_constructs, strict=True)]
        for row in clean_values
    ]
    custom = [
        [[_esc(t), _esc(display_label(c["label"], c["polarity"]))] for c in clean_constructs]
        for t in data["teams"]
    ]
    cell_text = []
    for y, row, zrow in zip(ys, clean_values, z, strict=True):
        for x, v, g in zip(xs, row, zrow, strict=True):
            colour = MUTED if g is None else text_colour_on(colour_for_goodness(g))
            cell_text.append(
                {
                    "x": x,
                    "y": y,
                    "text": format_score(v),
                    "showarrow": False,
                    "font": {"size": 13, "color": colour},
                }
            )
    traces = [
        {  # grey cells where a team has no score
            "type": "heatmap",
            "x": xs,
            "y": ys,
            "z": [[1 if v is None else None for v in row] for row in clean_values],
            "zmin": 0,
            "zmax": 1,
            "colorscale": [[0, MISSING_FILL], [1, MISSING_FILL]],
            "showscale": False,
            "xgap": 3,
            "ygap": 3,
            "hoverinfo": "skip",
        },
        {
            "type": "heatmap",
            "x": xs,
            "y": ys,
            "z": [[None if g is None else round(g, 2) for g in row] for row in z],
            "zmin": 0,
            "zmax": 100,
            "colorscale": [[stop, colour] for stop, colour in GOODNESS_SCALE],
            "showscale": False,
            "xgap": 3,
            "ygap": 3,
            "customdata": custom,
            "text": [[format_score(v) for v in row] for row in clean_values],
            "hovertemplate": "%{customdata[0]}<br>%{customdata[1]}: %{text}<extra></extra>",
        },
    ]
    header_lines = max(t.count("<br>") + 1 for t in wide_headers)
    row_h = _row_height(team_ticks, minimum=40)
    layout = _layout(
        30 + header_lines * 15 + row_h * len(teams) + 56,
        xaxis={
            "type": "category",
            "side": "top",
            "tickmode": "array",
            "tickvals": xs,
            "ticktext": wide_headers,
            "ticks": "",
            "tickangle": 0,
            "tickfont": {"size": 11},
            "fixedrange": True,
            "automargin": True,
            "showgrid": False,
            "zeroline": False,
        },
        yaxis={
            **_category_axis(ys),
            "tickmode": "array",
            "tickvals": ys,
            "ticktext": team_ticks,
            "zeroline": False,
        },
        margin={"l": 8, "r": 8, "t": 8, "b": 60, "pad": 2},
        shapes=_goodness_legend_shapes(),
        annotations=cell_text + _goodness_legend_notes(),
        meta={
            # Below about 80 px a column, the headers turn upright (static/js/charts.js).
            "narrow_below": 170 + 80 * len(clean_constructs),
            "narrow": {
                "height": 30 + 130 + row_h * len(teams) + 56,
                "xaxis": {"ticktext": headers, "tickangle": -90},
            },
        },
    )
    table = tuple(
        (team, str(n), *(format_score(v) for v in row))
        for team, n, row in zip(data["teams"], data["ns"], clean_values, strict=True)
    )
    return Chart(
        id=id,
        kind="heatmap",
        title=title,
        summary=_heatmap_summary(data["teams"], clean_constructs, clean_values, z),
        figure={"data": traces, "layout": layout},
        columns=columns,
        rows=table,
        data=data,
    )


LEGEND_SPAN = (0.0, 0.5)  # where the colour key sits below the heatmap, in plot fractions


def _goodness_legend_shapes() -> list[dict[str, Any]]:
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


def _goodness_legend_notes() -> list[dict[str, Any]]:
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


def _heatmap_summary(
    teams: Sequence[str],
    constructs: Sequence[Mapping[str, Any]],
    values: Sequence[Sequence[float | None]],
    z: Sequence[Sequence[float | None]],
) -> str:
    cells = [(g, t, c) for t, row in enumerate(z) for c, g in enumerate(row) if g is not None]
    if not cells:
        return f"Not enough answers yet to score any of the {len(teams)} teams."

    def said(cell: tuple[float, int, int]) -> str:
        _, t, c = cell
        construct = constructs[c]
        where = ", lower is better" if is_lower_better(construct["polarity"]) else ""
        return f"{teams[t]} on {construct['label']} ({format_score(values[t][c])}{where})"

    cells.sort(key=lambda cell: cell[0])
    team_word = "team" if len(teams) == 1 else "teams"
    return (
        f"Across {len(teams)} {team_word}, the strongest result is {said(cells[-1])} "
        f"and the weakest is {said(cells[0])}."
    )


def profile_chart(
    id: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str = "Recoupling profiles",
    unit: str = "teams",
) -> Chart:
    """How many teams (or `unit`) sit in each recoupling profile state.

    rows: ``{state, label, count}`` in display order; colours follow PROFILE_COLOURS.
    """
    clean = [
        {"state": str(r.get("state", "")), "label": str(r["label"]), "count": int(r["count"])}
        for r in rows
    ]
    data: dict[str, Any] = {"rows": clean, "unit": unit}
    columns = ("Profile", unit.capitalize(), "Share")
    total = sum(r["count"] for r in clean)
    if not clean:
        return _empty(
            id, "profile", title, f"Nothing to show yet: no {unit} profiled.", columns, data
        )
    ticks = _unique(_tick(r["label"], LABEL_WIDTH) for r in clean)
    top = max(max(r["count"] for r in clean), 1)
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "x": [r["count"] for r in clean],
            "y": ticks,
            "marker": {"color": [PROFILE_COLOURS.get(r["state"], OTHER_COLOUR) for r in clean]},
            "text": [str(r["count"]) for r in clean],
            "textposition": "outside",
            "constraintext": "none",
            "cliponaxis": False,
            "textfont": {"size": 12, "color": INK},
            "hovertemplate": f"%{{y}}: %{{x}} {unit}<extra></extra>",
        }
    ]
    layout = _layout(
        50 + _row_height(ticks) * len(clean),
        bargap=0.35,
        xaxis=_value_axis(
            unit.capitalize(), top=top * 1.12, dtick=_count_step(top), rangemode="tozero"
        ),
        yaxis=_category_axis(ticks),
        margin={"l": 8, "r": 28, "t": 8, "b": 44, "pad": 4},
    )
    table = tuple(
        (
            r["label"],
            str(r["count"]),
            format_percent(100 * r["count"] / total if total else None),
        )
        for r in clean
    )
    return Chart(
        id=id,
        kind="profile",
        title=title,
        summary=_profile_summary(clean, total, unit),
        figure={"data": traces, "layout": layout},
        columns=columns,
        rows=table,
        data=data,
    )


def _count_step(top: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000):
        if top / step <= 6:
            return step
    return max(1, top // 5)


def _profile_summary(rows: Sequence[Mapping[str, Any]], total: int, unit: str) -> str:
    if not total:
        return f"No {unit} have a profile yet."
    most = max(r["count"] for r in rows)
    leaders = [r["label"] for r in rows if r["count"] == most]
    empty = [r["label"] for r in rows if r["count"] == 0]
    if len(leaders) == 1:
        text = f"Most common: {leaders[0]} ({most} of {total} {unit})."
    else:
        text = f"Most common: {_join_names(leaders)} ({most} of {total} {unit} each)."
    if empty:
        text += f" None {'is' if total == 1 else 'are'} {_join_names(empty)}."
    return text


PREVALENCE_COLUMNS = ("Reported", "Family", "Share", "n")


def prevalence_chart(
    id: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str = "Share of respondents reporting each item",
) -> Chart:
    """Share (0-100) of respondents reporting each item, as horizontal bars by family.

    rows: ``{label, family, share: float (0-100), n}``.
    """
    clean = [
        {
            "label": str(r["label"]),
            "family": str(r.get("family", "")),
            "share": number(r.get("share")),
            "n": int(r.get("n") or 0),
        }
        for r in rows
    ]
    data: dict[str, Any] = {"rows": clean}
    if not clean:
        return _empty(
            id, "prevalence", title, "Nothing to show yet: no answers.", PREVALENCE_COLUMNS, data
        )
    ticks = _unique(_tick(r["label"], LABEL_WIDTH) for r in clean)
    traces: list[dict[str, Any]] = [_axis_trace(ticks)]
    families = list(FAMILY_ORDER) + sorted({r["family"] for r in clean} - set(FAMILY_ORDER))
    for family in families:
        members = [i for i, r in enumerate(clean) if r["family"] == family]
        shown = [i for i in members if clean[i]["share"] is not None and clean[i]["n"]]
        if not shown:
            continue
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": FAMILY_LABELS.get(family, family.title() or "Other"),
                "x": [round(clean[i]["share"], 2) for i in shown],
                "y": [ticks[i] for i in shown],
                "marker": {"color": FAMILY_COLOURS.get(family, OTHER_COLOUR)},
                "text": [format_percent(clean[i]["share"]) for i in shown],
                "textposition": "outside",
                "constraintext": "none",
                "cliponaxis": False,
                "textfont": {"size": 12, "color": INK},
                "customdata": [[clean[i]["n"]] for i in shown],
                "hovertemplate": "%{y}: %{text} of %{customdata[0]}<extra></extra>",
            }
        )
    notes = [
        _missing_note(ticks[i]) for i, r in enumerate(clean) if r["share"] is None or not r["n"]
    ]
    layout = _layout(
        60 + _row_height(ticks) * len(clean),
        showlegend=len(traces) > 2,
        legend=_legend(),
        barmode="overlay",
        bargap=0.35,
        xaxis=_value_axis("Share of respondents (%)", ticksuffix=" %"),
        yaxis=_category_axis(ticks),
        annotations=notes,
        margin={"l": 8, "r": 56, "t": 8, "b": 44, "pad": 4},
    )
    table = tuple(
        (
            r["label"],
            FAMILY_LABELS.get(r["family"], r["family"].title()),
            format_percent(r["share"]) if r["n"] else DASH,
            str(r["n"]),
        )
        for r in clean
    )
    return Chart(
        id=id,
        kind="prevalence",
        title=title,
        summary=_prevalence_summary(clean),
        figure={"data": traces, "layout": layout},
        columns=PREVALENCE_COLUMNS,
        rows=table,
        data=data,
    )


def _prevalence_summary(rows: Sequence[Mapping[str, Any]]) -> str:
    known = [r for r in rows if r["share"] is not None and r["n"]]
    if not known:
        return "Not enough answers yet."

    def said(r: Mapping[str, Any]) -> str:
        return f"{r['label']} ({format_percent(r['share'])} of {r['n']})"

    ranked = sorted(known, key=lambda r: r["share"])
    if len(ranked) == 1:
        return f"{said(ranked[0])} of respondents report it."
    return f"Most reported: {said(ranked[-1])}; least reported: {said(ranked[0])}."


LIFT_COLUMNS = (
    "Enabler",
    "Practice",
    "Ratio",
    "95 % CI",
    "With enabler (k/n)",
    "Without (k/n)",
)
LIFT_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)


def lift_chart(
    id: str, cells: Sequence[Mapping[str, Any]], *, title: str = "Enabler lift"
) -> Chart:
    """How many times as often respondents with an enabler report a practice (log scale).

    cells (shown cells only): ``{enabler_label, practice_label, ratio, ci_low, ci_high,
    with_k, with_n, without_k, without_n}``. A dashed line marks 1× (no difference).
    """
    clean = [
        {
            "enabler_label": str(c["enabler_label"]),
            "practice_label": str(c["practice_label"]),
            "ratio": number(c.get("ratio")),
            "ci_low": number(c.get("ci_low")),
            "ci_high": number(c.get("ci_high")),
            "with_k": int(c.get("with_k") or 0),
            "with_n": int(c.get("with_n") or 0),
            "without_k": int(c.get("without_k") or 0),
            "without_n": int(c.get("without_n") or 0),
        }
        for c in cells
    ]
    data: dict[str, Any] = {"cells": clean}
    if not clean:
        return _empty(
            id,
            "lift",
            title,
            "Nothing to show yet: no enabler and practice pair has enough answers.",
            LIFT_COLUMNS,
            data,
        )
    # Rows are addressed by position; practice labels can be whole sentences, so they wrap
    # wider on wide screens (tick text) and narrower on narrow ones (layout.meta.narrow).
    ys = [f"r{i}" for i in range(len(clean))]
    names = [f"{c['enabler_label']} → {c['practice_label']}" for c in clean]
    wide_ticks = [_tick(name, 46) for name in names]
    # Narrow screens: each label sits above its row, across the whole width.
    narrow_labels = [_tick(name, 44) for name in names]
    narrow_row = max(label.count("<br>") + 1 for label in narrow_labels) * 15 + 44
    # In row units: room above the first dot for its label, a little below the last one.
    top_pad, bottom_pad = (narrow_row - 16) / narrow_row, 16 / narrow_row
    narrow_span = len(clean) - 1 + top_pad + bottom_pad
    lo, hi = lift_range(clean)
    plotted = [i for i, c in enumerate(clean) if c["ratio"] is not None and c["ratio"] > 0]
    clear = [i for i in plotted if (clean[i]["ci_low"] or 0) > 1]

    def dots(members: list[int], name: str, colour: str, fill: str) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "markers+text",
            "name": name,
            "x": [clean[i]["ratio"] for i in members],
            "y": [ys[i] for i in members],
            "marker": {"size": 11, "color": fill, "line": {"color": colour, "width": 2}},
            "error_x": {
                "type": "data",
                "symmetric": False,
                "array": [
                    round(max((clean[i]["ci_high"] or clean[i]["ratio"]) - clean[i]["ratio"], 0), 4)
                    for i in members
                ],
                "arrayminus": [
                    round(max(clean[i]["ratio"] - (clean[i]["ci_low"] or clean[i]["ratio"]), 0), 4)
                    for i in members
                ],
                "color": colour,
                "thickness": 1.5,
                "width": 5,
            },
            "text": [format_ratio(clean[i]["ratio"]) for i in members],
            "textposition": "top center",
            "textfont": {"size": 12, "color": INK},
            "cliponaxis": False,
            "customdata": [
                [
                    format_interval(clean[i]["ci_low"], clean[i]["ci_high"]),
                    f"{clean[i]['with_k']}/{clean[i]['with_n']}",
                    f"{clean[i]['without_k']}/{clean[i]['without_n']}",
                    _tick(names[i], 60),
                ]
                for i in members
            ],
            "hovertemplate": (
                "%{customdata[3]}<br>%{text} as often (95 % CI %{customdata[0]})"
                "<br>with enabler %{customdata[1]}, without %{customdata[2]}<extra></extra>"
            ),
        }

    enabler_blue = FAMILY_COLOURS["enabler"]
    traces: list[dict[str, Any]] = [
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
    if clear:
        traces.append(dots(clear, "Interval above 1×", enabler_blue, enabler_blue))
    unclear = [i for i in plotted if i not in clear]
    if unclear:
        traces.append(dots(unclear, "Interval includes 1×", MUTED, "#ffffff"))
    notes = [
        {
            "x": 0,
            "xref": "paper",
            "y": ys[i],
            "yref": "y",
            "xanchor": "left",
            "text": "no ratio",
            "showarrow": False,
            "font": {"size": 12, "color": MUTED, "style": "italic"},
        }
        for i, c in enumerate(clean)
        if i not in plotted
    ]
    tickvals = [t for t in LIFT_TICKS if lo <= t <= hi]
    # On a narrow screen only the powers of ten (and the ends, if that leaves too few).
    narrow_ticks = [t for t in tickvals if math.log10(t).is_integer()]
    if len(narrow_ticks) < 3:
        narrow_ticks = sorted({*narrow_ticks, tickvals[0], tickvals[-1]})
    layout = _layout(
        70 + _row_height(wide_ticks, minimum=48) * len(clean),
        showlegend=True,
        legend=_legend(),
        xaxis=_value_axis(
            "Times as often with the enabler (log scale)",
            type="log",
            range=[math.log10(lo), math.log10(hi)],
            tickvals=tickvals,
            ticktext=[f"{t:g}×" for t in tickvals],
            zeroline=False,
        ),
        yaxis={**_category_axis(ys), "tickmode": "array", "tickvals": ys, "ticktext": wide_ticks},
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
        meta={
            "narrow": {
                "height": 90 + round(narrow_row * narrow_span),
                "yaxis": {
                    "showticklabels": False,
                    "autorange": False,
                    "range": [len(clean) - 1 + bottom_pad, -top_pad],
                },
                "annotations": notes
                + [
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
                    for y, label in zip(ys, narrow_labels, strict=True)
                ],
                "xaxis": {
                    "title": {"text": "Times as often (log scale)"},
                    "tickvals": narrow_ticks,
                    "ticktext": [f"{t:g}×" for t in narrow_ticks],
                    "tickangle": 0,
                },
            }
        },
    )
    table = tuple(
        (
            c["enabler_label"],
            c["practice_label"],
            format_ratio(c["ratio"]),
            format_interval(c["ci_low"], c["ci_high"]),
            f"{c['with_k']}/{c['with_n']}",
            f"{c['without_k']}/{c['without_n']}",
        )
        for c in clean
    )
    return Chart(
        id=id,
        kind="lift",
        title=title,
        summary=_lift_summary(clean),
        figure={"data": traces, "layout": layout},
        columns=LIFT_COLUMNS,
        rows=table,
        data=data,
    )


def lift_range(cells: Sequence[Mapping[str, Any]]) -> tuple[float, float]:
    """The log-axis range: every interval, 1× and some air, snapped to 1-2-5 steps."""
    points = [1.0]
    for c in cells:
        points += [v for v in (c["ratio"], c["ci_low"], c["ci_high"]) if v and v > 0]
    lo, hi = min(points) / 1.25, max(points) * 1.25
    lo = max((t for t in LIFT_TICKS if t <= lo), default=lo)
    hi = min((t for t in LIFT_TICKS if t >= hi), default=hi)
    return min(lo, 0.5), max(hi, 2.0)


def _lift_summary(cells: Sequence[Mapping[str, Any]]) -> str:
    known = [c for c in cells if c["ratio"] is not None]
    if not known:
        return "No ratio could be computed yet."
    top = max(known, key=lambda c: c["ratio"])
    above = sum(1 for c in known if (c["ci_low"] or 0) > 1)
    pairs = "pair" if len(known) == 1 else "pairs"
    practice = top["practice_label"].rstrip(". ")
    return (
        f"Strongest link: {top['enabler_label']} → “{practice}”, reported "
        f"{format_ratio(top['ratio'])} as often by respondents with the enabler as by those "
        f"without (95 % CI {format_interval(top['ci_low'], top['ci_high'])}; "
        f"{top['with_k']} of {top['with_n']} vs {top['without_k']} of {top['without_n']}). "
        f"{above} of {len(known)} {pairs} shown have an interval entirely above 1×."
    )


def trend_chart(
    id: str,
    cycles: Sequence[str],
    series: Sequence[Mapping[str, Any]],
    *,
    title: str = "Scores over cycles",
) -> Chart:
    """One line per series over the cycles, on the 0-100 scale.

    series: ``{label, polarity, values: list[float|None]}`` with one value per cycle.
    """
    clean_cycles = [str(c) for c in cycles]
    clean = [
        {
            "label": str(s["label"]),
            "polarity": str(s.get("polarity", "higher_is_better")),
            "values": [number(v) for v in s["values"]],
        }
        for s in series
    ]
    if any(len(s["values"]) != len(clean_cycles) for s in clean):
        raise ValueError("trend_chart: each series needs one value per cycle")
    data: dict[str, Any] = {"cycles": clean_cycles, "series": clean}
    columns = ("Measure", *clean_cycles)
    if not clean_cycles or not clean:
        return _empty(
            id, "trend", title, "Nothing to show yet: no cycles to compare.", columns, data
        )
    cycle_ticks = _unique(_esc(c) for c in clean_cycles)
    traces = []
    for i, s in enumerate(clean):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        name = display_label(s["label"], s["polarity"])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": _tick(name, 40),
                "x": cycle_ticks,
                "y": [None if v is None else round(v, 2) for v in s["values"]],
                "line": {"color": colour, "width": 2.5},
                "marker": {"color": colour, "size": 7},
                "connectgaps": False,
                "customdata": [[format_score(v)] for v in s["values"]],
                "hovertemplate": f"{_esc(name)}<br>%{{x}}: %{{customdata[0]}}<extra></extra>",
            }
        )
    layout = _layout(
        300 + 22 * len(clean),
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
        yaxis=_value_axis("Score (0–100)"),
        margin={"l": 8, "r": 16, "t": 12, "b": 24, "pad": 4},
    )
    table = tuple(
        (display_label(s["label"], s["polarity"]), *(format_score(v) for v in s["values"]))
        for s in clean
    )
    return Chart(
        id=id,
        kind="trend",
        title=title,
        summary=_trend_summary(clean_cycles, clean),
        figure={"data": traces, "layout": layout},
        columns=columns,
        rows=table,
        data=data,
    )


def _trend_summary(cycles: Sequence[str], series: Sequence[Mapping[str, Any]]) -> str:
    if len(cycles) == 1:
        return f"Only one cycle so far ({cycles[0]}); a trend appears after the next one."
    changes = []
    for s in series:
        known = [(i, v) for i, v in enumerate(s["values"]) if v is not None]
        if len(known) < 2:
            continue
        (_, first), (_, last) = known[0], known[-1]
        change = float(_half_up(last, 0) - _half_up(first, 0))
        better = -change if is_lower_better(s["polarity"]) else change
        changes.append((better, s, first, last))
    if not changes:
        return f"Across {len(cycles)} cycles there are not yet two scores for any measure."

    def said(item: tuple[float, Mapping[str, Any], float, float]) -> str:
        _, s, first, last = item
        where = ", lower is better" if is_lower_better(s["polarity"]) else ""
        return f"{s['label']} ({format_score(first)} → {format_score(last)}{where})"

    changes.sort(key=lambda item: item[0])
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
