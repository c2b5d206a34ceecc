"""Static SVG versions of the charts, for PDF reports (WeasyPrint: no browser, no JavaScript).

`render_svg(chart)` draws `chart.data` (the builder's typed rows) as a self-contained SVG:
no script, no external references, every label and number a real `<text>` element so it
can be selected and searched in the PDF. The numbers are the strings of the chart's table
(same formatting functions), the colours and axis ticks the plotly figure's. All text is
XML-escaped. One module per chart kind; `bars.py` is the shape four of them share.
"""

from __future__ import annotations

from ..chart import Chart
from ..construct import ConstructData
from ..heatmap import HeatmapData
from ..lift import LiftData
from ..practice import PracticeData
from ..prevalence import PrevalenceData
from ..profile import ProfileData
from ..trend import TrendData
from .canvas import empty_svg
from .construct import draw_construct
from .heatmap import draw_heatmap
from .lift import draw_lift
from .practice import draw_practice
from .prevalence import draw_prevalence
from .profile import draw_profile
from .trend import draw_trend

__all__ = ["render_svg"]


def render_svg(chart: Chart, width: int = 640) -> str:
    """The chart as a static, self-contained SVG document string (for PDF reports)."""
    width = max(int(width), 320)
    data = chart.data
    if not chart.rows:
        return empty_svg(chart, width)
    if isinstance(data, ConstructData):
        return draw_construct(chart, data, width)
    if isinstance(data, PracticeData):
        return draw_practice(chart, data, width)
    if isinstance(data, HeatmapData):
        return draw_heatmap(chart, data, width)
    if isinstance(data, ProfileData):
        return draw_profile(chart, data, width)
    if isinstance(data, PrevalenceData):
        return draw_prevalence(chart, data, width)
    if isinstance(data, LiftData):
        return draw_lift(chart, data, width)
    if isinstance(data, TrendData):
        return draw_trend(chart, data, width)
    return empty_svg(chart, width)
