"""The SVG canvas the drawings write on: escaped text, shapes, legends, the document.

Text widths are estimated (no font metrics here), generously, for DejaVu Sans.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Escaping our own output, not parsing XML.
from xml.sax.saxutils import escape, quoteattr  # nosec B406

from ..chart import Chart
from ..palette import GRID, INK, MUTED, ZERO_LINE
from ..text import wrap
from ..ticks import Ticks

SVG_FONT = (
    "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', 'Noto Sans', "
    "'DejaVu Sans', Arial, sans-serif"
)
PAD = 8
FONT = 12  # labels
SMALL = 10.5  # ticks, notes
LINE = 14  # line height of wrapped labels
CHAR = 0.6  # average glyph width as a fraction of the font size (DejaVu Sans is wide)
TICK_CLASS = "tick"  # marks the axis labels, which read as the web figure's tick texts
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: Any) -> str:
    return _NOT_XML.sub("", str(text))


def text_width(text: str, size: float = FONT) -> float:
    return len(text) * size * CHAR


def chars_in(width: float, size: float = FONT, least: int = 8) -> int:
    """How many characters of `size` fit in `width` px (at least `least`)."""
    return max(int(width / (size * CHAR)), least)


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


@dataclass
class Canvas:
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
        cls: str | None = None,
    ) -> None:
        attrs = f'x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" fill="{fill}"'
        if cls:
            attrs = f'class="{cls}" {attrs}'
        if anchor != "start":
            attrs += f' text-anchor="{anchor}"'
        if weight:
            attrs += f' font-weight="{weight}"'
        if italic:
            attrs += ' font-style="italic"'
        if rotate:
            attrs += f' transform="rotate({_f(rotate)} {_f(x)} {_f(y)})"'
        self.parts.append(f"<text {attrs}>{escape(clean(content))}</text>")

    def tick(self, x: float, y: float, label: str, anchor: str = "middle") -> None:
        """One axis label, as the web figure's tick text says it."""
        self.text(x, y, label, size=SMALL, fill=MUTED, anchor=anchor, cls=TICK_CLASS)

    def value(self, x: float, y: float, number: str, note: str = "") -> None:
        """A bold number, then an optional grey note, as one selectable line."""
        tail = f'<tspan fill="{MUTED}" font-weight="normal"> {escape(clean(note))}</tspan>'
        self.parts.append(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(SMALL)}" fill="{INK}"'
            f' font-weight="bold">{escape(clean(number))}{tail if note else ""}</text>'
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

    def whisker(
        self, lo: float, hi: float, y: float, colour: str, width: float, cap: float
    ) -> None:
        """A horizontal interval from `lo` to `hi` with an end cap `cap` px either side."""
        self.line(lo, y, hi, y, colour, width)
        self.line(lo, y - cap, lo, y + cap, colour, width)
        self.line(hi, y - cap, hi, y + cap, colour, width)

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
        x: float = PAD
        for colour, label in items:
            w = 16 + text_width(label, SMALL) + 14
            if x > PAD and x + w > self.width - PAD:
                x, y = PAD, y + 18
            self.rect(x, y + 2, 10, 10, colour, rx=2)
            self.text(x + 15, y + 11, label, size=SMALL)
            x += w
        return y + 22

    def to_svg(self, height: float, chart: Chart) -> str:
        ident = re.sub(r"[^A-Za-z0-9_-]", "-", clean(chart.id)) or "chart"
        title_id, desc_id = f"svg-{ident}-title", f"svg-{ident}-desc"
        h = math.ceil(height)
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{h}"'
            f' viewBox="0 0 {self.width} {h}" role="img"'
            f' aria-labelledby="{title_id} {desc_id}" font-family={quoteattr(SVG_FONT)}>'
            f'<title id="{title_id}">{escape(clean(chart.title))}</title>'
            f'<desc id="{desc_id}">{escape(clean(chart.summary))}</desc>'
        )
        return head + "".join(self.parts) + "</svg>"


def empty_svg(chart: Chart, width: int) -> str:
    """A chart with nothing to draw: its summary, in grey italics."""
    canvas = Canvas(width)
    lines = wrap(chart.summary, chars_in(width - 2 * PAD, least=0))
    for i, line in enumerate(lines):
        canvas.text(PAD, PAD + FONT + i * LINE, line, fill=MUTED, italic=True)
    return canvas.to_svg(PAD * 2 + len(lines) * LINE + 4, chart)


def linear_axis(
    canvas: Canvas,
    ticks: Ticks,
    x_of: Callable[[float], float],
    top: float,
    bottom: float,
    title: str,
    title_x: float,
) -> None:
    """Gridlines and labels of a horizontal value axis, its title under them."""
    for value, label in zip(ticks.values, ticks.labels, strict=True):
        x = x_of(value)
        canvas.line(x, top, x, bottom, GRID if value else ZERO_LINE)
        canvas.tick(x, bottom + 14, label)
    canvas.text(title_x, bottom + 30, title, size=SMALL, fill=MUTED, anchor="middle")
