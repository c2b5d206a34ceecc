"""Static SVG versions of the charts, for PDF reports (WeasyPrint: no browser, no JavaScript).

`render_svg(chart)` draws `chart.data` (the builder's inputs) as a self-contained SVG: no
script, no external references, every label and number a real `<text>` element so it can be
selected and searched in the PDF. The numbers are the strings of the chart's table (same
formatting functions), and the colours the plotly figure's. All text is XML-escaped.

Text widths are estimated (no font metrics here), generously, for DejaVu Sans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

# Escaping our own output, not parsing XML.
from xml.sax.saxutils import escape, quoteattr  # nosec B406

from .charts import (
    FAMILY_COLOURS,
    FAMILY_LABELS,
    FAMILY_ORDER,
    GOODNESS_SCALE,
    GRID,
    INK,
    LIFT_TICKS,
    MISSING_FILL,
    MUTED,
    NOT_ENOUGH,
    OTHER_COLOUR,
    PROFILE_COLOURS,
    RESOURCE_COLOURS,
    RESOURCE_LABELS,
    RESOURCE_ORDER,
    SERIES_COLOURS,
    Chart,
    colour_for_goodness,
    display_label,
    format_interval,
    format_percent,
    format_ratio,
    format_score,
    goodness,
    is_lower_better,
    lift_range,
    short_label,
    text_colour_on,
    wrap,
)

SVG_FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'Noto Sans', "
    "'DejaVu Sans', Arial, sans-serif"
)
PAD = 8
FONT = 12  # labels
SMALL = 10.5  # ticks, notes
LINE = 14  # line height of wrapped labels
CHAR = 0.6  # average glyph width as a fraction of the font size (DejaVu Sans is wide)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _NOT_XML.sub("", str(text))


def _readable(colour: str) -> str:
    """`colour`, darkened until small text in it has 4.5:1 contrast on white (WCAG AA)."""

    def channel(c: float) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))
    for _ in range(20):
        luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
        if 1.05 / (luminance + 0.05) >= 4.5:
            break
        r, g, b = (int(c * 0.9) for c in (r, g, b))
    return f"#{r:02x}{g:02x}{b:02x}"


def _text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class _Canvas:
    """Collects SVG elements; `to_svg` wraps them with the size, title and description."""

    width: int
    parts: list[str] = field(default_factory=list)

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float = FONT,
        fill: str = INK,
        anchor: str = "start",
        weight: str | None = None,
        italic: bool = False,
        rotate: float = 0,
    ) -> None:
        attrs = f'x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" fill="{fill}"'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        if italic:
            attrs += ' font-style="italic"'
        if rotate:
            attrs += f' transform="rotate({_f(rotate)} {_f(x)} {_f(y)})"'
        self.parts.append(f"<text {attrs}>{escape(_clean(content))}</text>")

    def value(self, x: float, y: float, number: str, note: str = "") -> None:
        """A bold number, then an optional grey note, as one selectable line."""
        tail = f'<tspan fill="{MUTED}" font-weight="normal"> {escape(_clean(note))}</tspan>'
        self.parts.append(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(SMALL)}" fill="{INK}"'
            f' font-weight="bold">{escape(_clean(number))}{tail if note else ""}</text>'
        )

    def lines(
        self,
        x: float,
        y_middle: float,
        lines: Sequence[str],
        *,
        size: float = FONT,
        fill: str = INK,
        anchor: str = "end",
    ) -> None:
        """Several lines of text, vertically centred on y_middle."""
        top = y_middle - (len(lines) - 1) * LINE / 2 + size * 0.35
        for i, line in enumerate(lines):
            self.text(x, top + i * LINE, line, size=size, fill=fill, anchor=anchor)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, rx: float = 0) -> None:
        extra = f' rx="{_f(rx)}"' if rx else ""
        self.parts.append(
            f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(max(w, 0))}" height="{_f(max(h, 0))}"'
            f' fill="{fill}"{extra}/>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str,
        width: float = 1,
        dash: str | None = None,
    ) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}"'
            f' stroke-width="{_f(width)}"{extra}/>'
        )

    def circle(self, x: float, y: float, r: float, fill: str, stroke: str, width: float) -> None:
        self.parts.append(
            f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" fill="{fill}" stroke="{stroke}"'
            f' stroke-width="{_f(width)}"/>'
        )

    def polyline(self, points: Sequence[tuple[float, float]], stroke: str, width: float) -> None:
        coords = " ".join(f"{_f(x)},{_f(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{stroke}"'
            f' stroke-width="{_f(width)}" stroke-linejoin="round" stroke-linecap="round"/>'
        )

    def legend(self, items: Sequence[tuple[str, str]], y: float) -> float:
        """Swatch-and-label items flowing left to right; returns the y below them."""
        x = PAD
        for colour, label in items:
            w = 16 + _text_width(label, SMALL) + 14
            if x > PAD and x + w > self.width - PAD:
                x, y = PAD, y + 18
            self.rect(x, y + 2, 10, 10, colour, rx=2)
            self.text(x + 15, y + 11, label, size=SMALL)
            x += w
        return y + 22

    def to_svg(self, height: float, chart: Chart) -> str:
        ident = re.sub(r"[^A-Za-z0-9_-]", "-", _clean(chart.id)) or "chart"
        title_id, desc_id = f"svg-{ident}-title", f"svg-{ident}-desc"
        h = math.ceil(height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{h}"'
            f' viewBox="0 0 {self.width} {h}" role="img"'
            f' aria-labelledby="{title_id} {desc_id}" font-family={quoteattr(SVG_FONT)}>'
            f'<title id="{title_id}">{escape(_clean(chart.title))}</title>'
            f'<desc id="{desc_id}">{escape(_clean(chart.summary))}</desc>'
        )
        return head + "".join(self.parts) + "</svg>"


def render_svg(chart: Chart, width: int = 640) -> str:
    """The chart as a static, self-contained SVG document string (for PDF reports)."""
    width = max(int(width), 320)
    draw = _DRAWERS.get(chart.kind)
    if draw is None or not chart.rows:
        return _empty(chart, width)
    return draw(chart, width)


def _empty(chart: Chart, width: int) -> str:
    canvas = _Canvas(width)
    lines = wrap(chart.summary, int((width - 2 * PAD) / (FONT * CHAR)))
    for i, line in enumerate(lines):
        canvas.text(PAD, PAD + FONT + i * LINE, line, fill=MUTED, italic=True)
    return canvas.to_svg(PAD * 2 + len(lines) * LINE + 4, chart)


# --- horizontal bar rows (construct, practice, prevalence, profile) -------------------------


@dataclass(frozen=True)
class _Bar:
    value: float | None  # None: "not enough answers"
    colour: str
    label: str  # the number shown after the bar
    note: str = ""  # small grey text after the number (sd, n)
    minus: float = 0.0  # whisker below and above the value, in axis units
    plus: float = 0.0


@dataclass(frozen=True)
class _Row:
    label: str
    bars: tuple[_Bar, ...]


def _label_width(width: int) -> float:
    return min(width * 0.36, 230.0)


def _bar_rows(
    chart: Chart,
    width: int,
    rows: Sequence[_Row],
    *,
    top: float,
    ticks: Sequence[float],
    tick_text: Any,
    axis_title: str,
    legend: Sequence[tuple[str, str]] = (),
) -> str:
    canvas = _Canvas(width)
    y = PAD
    if legend:
        y = canvas.legend(legend, y)
    label_w = _label_width(width)
    per_line = max(int(label_w / (FONT * CHAR)), 8)
    notes_w = max(
        (_text_width(f"{b.label}  {b.note}", SMALL) for r in rows for b in r.bars), default=0
    )
    x0 = PAD + label_w + 8
    x1 = width - PAD - min(notes_w + 10, width * 0.3)
    scale = (x1 - x0) / top
    bar_h = 14 if all(len(r.bars) == 1 for r in rows) else 12
    layout = []
    for row in rows:
        lines = wrap(row.label, per_line)
        h = max(len(lines) * LINE + 10, len(row.bars) * (bar_h + 3) + 12)
        layout.append((row, lines, y, h))
        y += h
    plot_top, plot_bottom = layout[0][2], y
    for t in ticks:
        x = x0 + t * scale
        canvas.line(x, plot_top, x, plot_bottom, GRID if t else "#c5ced8")
        canvas.text(x, plot_bottom + 14, tick_text(t), size=SMALL, fill=MUTED, anchor="middle")
    canvas.text(
        (x0 + x1) / 2, plot_bottom + 30, axis_title, size=SMALL, fill=MUTED, anchor="middle"
    )
    for row, lines, row_top, h in layout:
        middle = row_top + h / 2
        canvas.lines(x0 - 8, middle, lines)
        stack = len(row.bars) * bar_h + (len(row.bars) - 1) * 3
        by = middle - stack / 2
        for bar in row.bars:
            centre = by + bar_h / 2
            if bar.value is None:
                canvas.text(x0 + 4, centre + 4, NOT_ENOUGH, size=SMALL, fill=MUTED, italic=True)
                if bar.note:
                    x = x0 + 10 + _text_width(NOT_ENOUGH, SMALL)
                    canvas.text(x, centre + 4, f"({bar.note})", size=SMALL, fill=MUTED)
            else:
                end = x0 + max(bar.value, 0) * scale
                canvas.rect(x0, by, end - x0, bar_h, bar.colour)
                right = end
                if bar.minus or bar.plus:
                    lo = x0 + max(bar.value - bar.minus, 0) * scale
                    hi = x0 + min(bar.value + bar.plus, top) * scale
                    canvas.line(lo, centre, hi, centre, INK, 1)
                    canvas.line(lo, centre - 3, lo, centre + 3, INK, 1)
                    canvas.line(hi, centre - 3, hi, centre + 3, INK, 1)
                    right = max(right, hi)
                canvas.value(right + 4, centre + 4, bar.label, bar.note)
            by += bar_h + 3
    return canvas.to_svg(plot_bottom + 40, chart)


def _family_legend(families: Iterable[str]) -> list[tuple[str, str]]:
    present = set(families)
    order = [f for f in FAMILY_ORDER if f in present] + sorted(present - set(FAMILY_ORDER))
    return [
        (FAMILY_COLOURS.get(f, OTHER_COLOUR), FAMILY_LABELS.get(f, f.title() or "Other"))
        for f in order
    ]


def _construct(chart: Chart, width: int) -> str:
    rows = []
    for r in chart.data["rows"]:
        mean, sd = r["mean"], r["sd"] or 0.0
        bar = _Bar(
            value=mean,
            colour=FAMILY_COLOURS.get(r["family"], OTHER_COLOUR),
            label=format_score(mean),
            note=f"sd {format_score(r['sd'])}, n={r['n']}" if mean is not None else f"n={r['n']}",
            minus=min(sd, mean) if mean is not None else 0.0,
            plus=min(sd, 100 - mean) if mean is not None else 0.0,
        )
        rows.append(_Row(display_label(r["label"], r["polarity"]), (bar,)))
    return _bar_rows(
        chart,
        width,
        rows,
        top=100,
        ticks=(0, 25, 50, 75, 100),
        tick_text=lambda t: f"{t:g}",
        axis_title="Score (0–100); whiskers show the spread (sd)",
        legend=_family_legend(r["family"] for r in chart.data["rows"] if r["mean"] is not None),
    )


def _prevalence(chart: Chart, width: int) -> str:
    rows = []
    for r in chart.data["rows"]:
        share = r["share"] if r["n"] else None
        bar = _Bar(
            value=share,
            colour=FAMILY_COLOURS.get(r["family"], OTHER_COLOUR),
            label=format_percent(share),
            note=f"of {r['n']}",
        )
        rows.append(_Row(r["label"], (bar,)))
    families = {r["family"] for r in chart.data["rows"]}
    return _bar_rows(
        chart,
        width,
        rows,
        top=100,
        ticks=(0, 25, 50, 75, 100),
        tick_text=lambda t: f"{t:g} %",
        axis_title="Share of respondents (%)",
        legend=_family_legend(families) if len(families) > 1 else (),
    )


def _practice(chart: Chart, width: int) -> str:
    by_category: dict[str, list[dict[str, Any]]] = {}
    labels: dict[str, str] = {}
    for r in chart.data["rows"]:
        by_category.setdefault(r["category"], []).append(r)
        labels.setdefault(r["category"], r["category_label"])
    order = {res: i for i, res in enumerate(RESOURCE_ORDER)}
    rows = []
    for category, members in by_category.items():
        members.sort(key=lambda r: order.get(r["resource"], len(order)))
        bars = tuple(
            _Bar(
                value=r["adoption"],
                colour=RESOURCE_COLOURS.get(r["resource"], OTHER_COLOUR),
                label=format_percent(r["adoption"]),
                note=f"n={r['n']}",
            )
            for r in members
        )
        rows.append(_Row(labels[category], bars))
    resources = {r["resource"] for r in chart.data["rows"]}
    legend = [
        (RESOURCE_COLOURS.get(res, OTHER_COLOUR), RESOURCE_LABELS.get(res, res.title()))
        for res in [*RESOURCE_ORDER, *sorted(resources - set(RESOURCE_ORDER))]
        if res in resources
    ]
    return _bar_rows(
        chart,
        width,
        rows,
        top=100,
        ticks=(0, 25, 50, 75, 100),
        tick_text=lambda t: f"{t:g} %",
        axis_title="Share of respondents doing it (%)",
        legend=legend,
    )


def _profile(chart: Chart, width: int) -> str:
    rows_in = chart.data["rows"]
    total = sum(r["count"] for r in rows_in)
    top_count = max(max(r["count"] for r in rows_in), 1)
    step = next((s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500) if top_count / s <= 5), 1000)
    top = math.ceil(top_count / step) * step
    rows = [
        _Row(
            r["label"],
            (
                _Bar(
                    value=r["count"],
                    colour=PROFILE_COLOURS.get(r["state"], OTHER_COLOUR),
                    label=str(r["count"]),
                    note=f"({format_percent(100 * r['count'] / total if total else None)})",
                ),
            ),
        )
        for r in rows_in
    ]
    return _bar_rows(
        chart,
        width,
        rows,
        top=top,
        ticks=[i * step for i in range(int(top / step) + 1)],
        tick_text=lambda t: f"{t:g}",
        axis_title=str(chart.data.get("unit", "teams")).capitalize(),
    )


# --- heatmap --------------------------------------------------------------------------------


def _heatmap(chart: Chart, width: int) -> str:
    data = chart.data
    constructs, values = data["constructs"], data["values"]
    canvas = _Canvas(width)
    label_w = min(width * 0.26, 180.0)
    x0 = PAD + label_w + 6
    col_w = (width - PAD - x0) / len(constructs)
    names = [short_label(c) + (" ↓" if is_lower_better(c["polarity"]) else "") for c in constructs]
    # Headers shrink (to 7.5 px at least) until their longest word fits the column; where even
    # that does not fit, they stand upright, one line each.
    longest = max(len(word) for name in names for word in name.split())
    size = min(SMALL, (col_w - 6) / (longest * CHAR))
    y = PAD
    if size >= 7.5:
        headers = [
            wrap(name, max(int((col_w - 6) / (size * CHAR)), 4), cut=False) for name in names
        ]
        header_h = max(len(h) for h in headers) * (size + 2.5) + 6
        for i, lines in enumerate(headers):
            cx = x0 + (i + 0.5) * col_w
            for j, line in enumerate(lines):
                top = y + header_h - 6 - (len(lines) - 1 - j) * (size + 2.5)
                canvas.text(cx, top, line, size=size, anchor="middle")
    else:
        header_h = max(_text_width(name, SMALL) for name in names) + 8
        for i, name in enumerate(names):
            x = x0 + (i + 0.5) * col_w + SMALL * 0.35
            canvas.text(x, y + header_h - 4, name, size=SMALL, rotate=-90)
    y += header_h
    per_line = max(int(label_w / (FONT * CHAR)), 8)
    for team, n, row in zip(data["teams"], data["ns"], values, strict=True):
        lines = wrap(f"{team} (n={n})", per_line)
        h = max(len(lines) * LINE + 8, 28)
        canvas.lines(x0 - 6, y + h / 2, lines)
        for i, (c, v) in enumerate(zip(constructs, row, strict=True)):
            g = goodness(v, c["polarity"])
            fill = colour_for_goodness(g) if g is not None else MISSING_FILL
            canvas.rect(x0 + i * col_w + 1.5, y + 1.5, col_w - 3, h - 3, fill)
            canvas.text(
                x0 + (i + 0.5) * col_w,
                y + h / 2 + 4,
                format_score(v),
                fill=MUTED if g is None else text_colour_on(fill),
                anchor="middle",
            )
        y += h
    # The colour key: one swatch per scale stop, "worse" to "better →".
    y += 12
    key_x = x0
    swatch = min(18.0, (width - PAD - x0 - 70) / len(GOODNESS_SCALE))
    canvas.text(key_x - 6, y + 9, "worse", size=SMALL, fill=MUTED, anchor="end")
    for i, (_, colour) in enumerate(GOODNESS_SCALE):
        canvas.rect(key_x + i * swatch, y, swatch, 12, colour)
    canvas.text(key_x + len(GOODNESS_SCALE) * swatch + 6, y + 9, "better →", size=SMALL)
    y += 28
    note = "↓ lower is better (the colour already accounts for it)"
    for line in wrap(note, max(int((width - PAD - x0) / (SMALL * CHAR)), 12)):
        canvas.text(x0, y, line, size=SMALL, fill=MUTED)
        y += 13
    return canvas.to_svg(y + PAD, chart)


# --- lift -----------------------------------------------------------------------------------


def _lift(chart: Chart, width: int) -> str:
    cells = chart.data["cells"]
    canvas = _Canvas(width)
    # Wide: labels | plot | numbers. Narrow: the numbers go under each label.
    side_numbers = width >= 480
    label_w = min(width * (0.4 if side_numbers else 0.42), 290.0)
    numbers_w = 118.0 if side_numbers else 0.0
    x0 = PAD + label_w + 10
    x1 = width - PAD - (numbers_w + 8 if side_numbers else 4)
    lo, hi = lift_range(cells)
    log_lo, log_hi = math.log10(lo), math.log10(hi)

    def px(v: float) -> float:
        v = min(max(v, lo), hi)
        return x0 + (math.log10(v) - log_lo) / (log_hi - log_lo) * (x1 - x0)

    y = PAD
    nx = width - PAD if side_numbers else x0 - 8
    canvas.text(nx, y + 10, "ratio (95 % CI)", size=SMALL, fill=MUTED, anchor="end")
    canvas.text(nx, y + 23, "with vs without (k/n)", size=SMALL, fill=MUTED, anchor="end")
    y += 30
    per_line = max(int(label_w / (FONT * CHAR)), 8)
    layout = []
    for c in cells:
        lines = wrap(f"{c['enabler_label']} → {c['practice_label']}", per_line)
        h = max(len(lines) * LINE + 12, 36) + (0 if side_numbers else 2 * LINE)
        layout.append((c, lines, y, h))
        y += h
    plot_top, plot_bottom = layout[0][2], y
    for t in _lift_ticks(lo, hi, px):
        canvas.line(px(t), plot_top, px(t), plot_bottom, GRID)
        canvas.text(px(t), plot_bottom + 14, f"{t:g}×", size=SMALL, fill=MUTED, anchor="middle")
    canvas.line(px(1), plot_top, px(1), plot_bottom, MUTED, 1.2, dash="4 3")
    axis_title = "Times as often with the enabler (log scale)"
    if _text_width(axis_title, SMALL) > width - 2 * PAD:
        axis_title = "Times as often (log scale)"
    half = _text_width(axis_title, SMALL) / 2
    centre = min(max((x0 + x1) / 2, PAD + half), width - PAD - half)
    canvas.text(centre, plot_bottom + 30, axis_title, size=SMALL, fill=MUTED, anchor="middle")
    blue = FAMILY_COLOURS["enabler"]
    for c, lines, row_top, h in layout:
        middle = row_top + h / 2
        numbers_y = middle - 2
        if side_numbers:
            canvas.lines(x0 - 8, middle, lines)
        else:
            canvas.lines(x0 - 8, middle - LINE, lines)
            numbers_y = middle - LINE + (len(lines) + 1) * LINE / 2 + 2
        ratio = c["ratio"]
        if ratio is not None and ratio > 0:
            clear = (c["ci_low"] or 0) > 1
            colour = blue if clear else MUTED
            if c["ci_low"] is not None and c["ci_high"] is not None:
                a, b = px(c["ci_low"]), px(c["ci_high"])
                canvas.line(a, middle, b, middle, colour, 1.5)
                canvas.line(a, middle - 4, a, middle + 4, colour, 1.5)
                canvas.line(b, middle - 4, b, middle + 4, colour, 1.5)
            canvas.circle(px(ratio), middle, 5, colour if clear else "#ffffff", colour, 2)
        else:
            canvas.text(x0 + 4, middle + 4, "no ratio", size=SMALL, fill=MUTED, italic=True)
        interval = format_interval(c["ci_low"], c["ci_high"])
        counts = f"{c['with_k']}/{c['with_n']} vs {c['without_k']}/{c['without_n']}"
        canvas.text(nx, numbers_y, f"{format_ratio(ratio)} ({interval})", size=SMALL, anchor="end")
        canvas.text(nx, numbers_y + 13, counts, size=SMALL, fill=MUTED, anchor="end")
    return canvas.to_svg(plot_bottom + 40, chart)


def _lift_ticks(lo: float, hi: float, px: Any) -> list[float]:
    """1-2-5 ticks when they have room (about 30 px apart), else powers of ten, else fewer."""
    ticks = [t for t in LIFT_TICKS if lo <= t <= hi]

    def roomy(candidates: Sequence[float]) -> bool:
        return all(px(b) - px(a) >= 30 for a, b in pairwise(candidates))

    if roomy(ticks):
        return ticks
    decades = [t for t in ticks if math.log10(t).is_integer()]
    while len(decades) > 2 and not roomy(decades):
        decades = decades[::2] if 1 in decades[::2] else decades[1::2]
    return decades or [1]


# --- trend ----------------------------------------------------------------------------------


def _trend(chart: Chart, width: int) -> str:
    cycles, series = chart.data["cycles"], chart.data["series"]
    canvas = _Canvas(width)
    x0, x1 = PAD + 34, width - PAD - 30
    y0, y1 = PAD + 26, PAD + 26 + 200  # top and bottom of the 0-100 plot

    def py(v: float) -> float:
        return y1 - v / 100 * (y1 - y0)

    step = (x1 - x0) / max(len(cycles) - 1, 1)
    xs = [x0 + i * step if len(cycles) > 1 else (x0 + x1) / 2 for i in range(len(cycles))]
    for t in (0, 25, 50, 75, 100):
        canvas.line(x0, py(t), x1, py(t), GRID if t else "#c5ced8")
        canvas.text(x0 - 6, py(t) + 4, f"{t}", size=SMALL, fill=MUTED, anchor="end")
    canvas.text(PAD, PAD + 9, "Score (0–100)", size=SMALL, fill=MUTED)
    for x, cycle in zip(xs, cycles, strict=True):
        canvas.text(x, y1 + 16, cycle, size=SMALL, anchor="middle")
    labels: list[list[tuple[float, str, str]]] = [[] for _ in cycles]
    for i, s in enumerate(series):
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        run: list[tuple[float, float]] = []
        for j, v in enumerate([*s["values"], None]):
            if v is None:
                if len(run) > 1:
                    canvas.polyline(run, colour, 2.2)
                run = []
                continue
            run.append((xs[j], py(v)))
        for j, v in enumerate(s["values"]):
            if v is not None:
                canvas.circle(xs[j], py(v), 3.2, colour, "#ffffff", 1)
                labels[j].append((py(v), format_score(v), _readable(colour)))
    # Value labels right of each point, pushed apart so that none overlap.
    for j, column in enumerate(labels):
        placed: list[float] = []
        for target, text, colour in sorted(column):
            y = max(target, placed[-1] + 11) if placed else target
            placed.append(y)
            w = _text_width(text, 9.5) + 3
            canvas.rect(xs[j] + 4, y - 4.5, w, 10, "#ffffff", rx=2)
            canvas.text(xs[j] + 5.5, y + 3.5, text, size=9.5, fill=colour, weight="bold")
    y = y1 + 30
    # The legend: one series a line, in two columns when there is room.
    columns = 2 if width >= 560 else 1
    col_w = (width - 2 * PAD) / columns
    per_line = max(int((col_w - 24) / (SMALL * CHAR)), 10)
    for start in range(0, len(series), columns):
        row_h = 0
        for col, s in enumerate(series[start : start + columns]):
            colour = SERIES_COLOURS[(start + col) % len(SERIES_COLOURS)]
            lines = wrap(display_label(s["label"], s["polarity"]), per_line)
            x = PAD + col * col_w
            canvas.line(x, y + 6, x + 16, y + 6, colour, 2.5)
            for k, line in enumerate(lines):
                canvas.text(x + 22, y + 10 + k * 13, line, size=SMALL)
            row_h = max(row_h, len(lines) * 13 + 5)
        y += row_h
    return canvas.to_svg(y + PAD, chart)


_DRAWERS = {
    "construct": _construct,
    "practice": _practice,
    "heatmap": _heatmap,
    "profile": _profile,
    "prevalence": _prevalence,
    "lift": _lift,
    "trend": _trend,
}
