"""Colour maths for both renderers: the goodness scale and one WCAG luminance formula."""

from __future__ import annotations

from itertools import pairwise

from .palette import GOODNESS_SCALE, INK, MISSING_FILL, WHITE
from .text import number

AA_SMALL_TEXT = 4.5  # WCAG AA contrast for small text
# Above this luminance dark ink reads better than white (the two contrasts cross near 0.21).
DARK_TEXT_FROM = 0.22


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def hex_colour(red: int, green: int, blue: int) -> str:
    return f"#{red:02x}{green:02x}{blue:02x}"


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a "#rrggbb" colour: 0 for black, 1 for white."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, from 1 (the same) to 21 (black on white)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def text_colour_on(fill: str) -> str:
    """Dark ink or white, whichever reads better on `fill`."""
    return INK if relative_luminance(fill) > DARK_TEXT_FROM else WHITE


def readable_on_white(colour: str) -> str:
    """`colour`, darkened until small text in it has 4.5:1 contrast on white (WCAG AA)."""
    r, g, b = rgb(colour)
    for _ in range(20):
        if contrast_ratio(hex_colour(r, g, b), WHITE) >= AA_SMALL_TEXT:
            break
        r, g, b = (int(c * 0.9) for c in (r, g, b))
    return hex_colour(r, g, b)


def colour_for_goodness(value: float | None) -> str:
    """The GOODNESS_SCALE colour of a 0-100 goodness (linear in RGB, as plotly.js does)."""
    v = number(value)
    if v is None:
        return MISSING_FILL
    t = min(max(v / 100.0, 0.0), 1.0)
    for (t0, c0), (t1, c1) in pairwise(GOODNESS_SCALE):
        if t <= t1:
            f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            mixed = [round(a + (b - a) * f) for a, b in zip(rgb(c0), rgb(c1), strict=True)]
            return hex_colour(*mixed)
    return GOODNESS_SCALE[-1][1]
