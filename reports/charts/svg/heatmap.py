"""The heatmap as SVG: column headers, a row per team, the colour key underneath."""

from __future__ import annotations

from ..chart import Chart
from ..heatmap import HeatmapData
from ..palette import GOODNESS_SCALE, MUTED
from ..text import format_score, wrap
from .canvas import CHAR, LINE, PAD, SMALL, Canvas, chars_in, text_width

SMALLEST_HEADER = 7.5  # px; headers that would need smaller text stand upright instead
KEY_NOTE = "↓ lower is better (the colour already accounts for it)"


def draw_heatmap(chart: Chart, data: HeatmapData, width: int) -> str:
    canvas = Canvas(width)
    label_w = min(width * 0.26, 180.0)
    x0 = PAD + label_w + 6
    col_w = (width - PAD - x0) / len(data.constructs)
    y = PAD + _headers(canvas, [c.header() for c in data.constructs], x0, col_w, PAD)
    for label, row in zip(data.row_labels(), data.values, strict=True):
        lines = wrap(label, chars_in(label_w))
        h = max(len(lines) * LINE + 8, 28)
        canvas.lines(x0 - 6, y + h / 2, lines)
        for i, (c, v) in enumerate(zip(data.constructs, row, strict=True)):
            fill, ink = c.cell(v)
            canvas.rect(x0 + i * col_w + 1.5, y + 1.5, col_w - 3, h - 3, fill)
            canvas.text(
                x0 + (i + 0.5) * col_w, y + h / 2 + 4, format_score(v), fill=ink, anchor="middle"
            )
        y += h
    y = _key(canvas, x0, y + 12)
    return canvas.to_svg(y + PAD, chart)


def _headers(canvas: Canvas, names: list[str], x0: float, col_w: float, y: float) -> float:
    """Column headers, shrunk (to SMALLEST_HEADER at least) until their longest word fits
    the column; where even that does not fit, upright, one line each. Returns their height."""
    longest = max(len(word) for name in names for word in name.split())
    size = min(SMALL, (col_w - 6) / (longest * CHAR))
    if size < SMALLEST_HEADER:
        header_h = max(text_width(name, SMALL) for name in names) + 8
        for i, name in enumerate(names):
            x = x0 + (i + 0.5) * col_w + SMALL * 0.35
            canvas.text(x, y + header_h - 4, name, size=SMALL, rotate=-90)
        return header_h
    headers = [wrap(name, max(int((col_w - 6) / (size * CHAR)), 4), cut=False) for name in names]
    header_h = max(len(h) for h in headers) * (size + 2.5) + 6
    for i, lines in enumerate(headers):
        cx = x0 + (i + 0.5) * col_w
        for j, line in enumerate(lines):
            top = y + header_h - 6 - (len(lines) - 1 - j) * (size + 2.5)
            canvas.text(cx, top, line, size=size, anchor="middle")
    return header_h


def _key(canvas: Canvas, x0: float, y: float) -> float:
    """The colour key: one swatch per scale stop, "worse" to "better →"; returns the y below."""
    swatch = min(18.0, (canvas.width - PAD - x0 - 70) / len(GOODNESS_SCALE))
    canvas.text(x0 - 6, y + 9, "worse", size=SMALL, fill=MUTED, anchor="end")
    for i, (_, colour) in enumerate(GOODNESS_SCALE):
        canvas.rect(x0 + i * swatch, y, swatch, 12, colour)
    canvas.text(x0 + len(GOODNESS_SCALE) * swatch + 6, y + 9, "better →", size=SMALL)
    y += 28
    for line in wrap(KEY_NOTE, chars_in(canvas.width - PAD - x0, SMALL, least=12)):
        canvas.text(x0, y, line, size=SMALL, fill=MUTED)
        y += 13
    return y
