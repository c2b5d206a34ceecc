"""The trend as SVG: a line per measure over the cycles, each point's score beside it."""

from __future__ import annotations

from ..chart import Chart
from ..colour import readable_on_white
from ..palette import GRID, MUTED, WHITE, ZERO_LINE
from ..text import format_score, wrap
from ..ticks import score_ticks
from ..trend import AXIS_TITLE, TrendData, TrendSeries, series_colour
from .canvas import CHAR, PAD, SMALL, Canvas, text_width

PLOT_HEIGHT = 200
VALUE_SIZE = 9.5  # the score beside each point


def draw_trend(chart: Chart, data: TrendData, width: int) -> str:
    canvas = Canvas(width)
    x0, x1 = PAD + 34, width - PAD - 30
    y0, y1 = PAD + 26, PAD + 26 + PLOT_HEIGHT  # top and bottom of the 0-100 plot

    def py(v: float) -> float:
        return y1 - v / 100 * (y1 - y0)

    cycles = data.cycles
    step = (x1 - x0) / max(len(cycles) - 1, 1)
    xs = [x0 + i * step if len(cycles) > 1 else (x0 + x1) / 2 for i in range(len(cycles))]
    ticks = score_ticks()
    for value, label in zip(ticks.values, ticks.labels, strict=True):
        canvas.line(x0, py(value), x1, py(value), GRID if value else ZERO_LINE)
        canvas.tick(x0 - 6, py(value) + 4, label, anchor="end")
    canvas.text(PAD, PAD + 9, AXIS_TITLE, size=SMALL, fill=MUTED)
    for x, cycle in zip(xs, cycles, strict=True):
        canvas.text(x, y1 + 16, cycle, size=SMALL, anchor="middle")
    labels: list[list[tuple[float, str, str]]] = [[] for _ in cycles]
    for i, s in enumerate(data.series):
        points = [None if v is None else (xs[j], py(v)) for j, v in enumerate(s.values)]
        _line(canvas, points, series_colour(i))
        for j, v in enumerate(s.values):
            if v is not None:
                labels[j].append((py(v), format_score(v), readable_on_white(series_colour(i))))
    for x, column in zip(xs, labels, strict=True):
        _values(canvas, x, column)
    return canvas.to_svg(_legend(canvas, data.series, y1 + 30) + PAD, chart)


def _line(canvas: Canvas, points: list[tuple[float, float] | None], colour: str) -> None:
    """The series' runs of consecutive scores as lines (a gap breaks the line), then a dot
    on every score."""
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is None:
            if len(run) > 1:
                canvas.polyline(run, colour, 2.2)
            run = []
        else:
            run.append(point)
    for point in points:
        if point is not None:
            canvas.circle(*point, 3.2, colour, WHITE, 1)


def _values(canvas: Canvas, x: float, column: list[tuple[float, str, str]]) -> None:
    """The scores of one cycle right of their points, pushed apart so that none overlap."""
    placed: list[float] = []
    for target, text, colour in sorted(column):
        y = max(target, placed[-1] + 11) if placed else target
        placed.append(y)
        w = text_width(text, VALUE_SIZE) + 3
        canvas.rect(x + 4, y - 4.5, w, 10, WHITE, rx=2)
        canvas.text(x + 5.5, y + 3.5, text, size=VALUE_SIZE, fill=colour, weight="bold")


def _legend(canvas: Canvas, series: tuple[TrendSeries, ...], y: float) -> float:
    """One series a line, in two columns when there is room; returns the y below it."""
    columns = 2 if canvas.width >= 560 else 1
    col_w = (canvas.width - 2 * PAD) / columns
    per_line = max(int((col_w - 24) / (SMALL * CHAR)), 10)
    for start in range(0, len(series), columns):
        row_h = 0
        for col, s in enumerate(series[start : start + columns]):
            lines = wrap(s.name(), per_line)
            x = PAD + col * col_w
            canvas.line(x, y + 6, x + 16, y + 6, series_colour(start + col), 2.5)
            for k, line in enumerate(lines):
                canvas.text(x + 22, y + 10 + k * 13, line, size=SMALL)
            row_h = max(row_h, len(lines) * 13 + 5)
        y += row_h
    return y
