"""Chart builders: typed rows in, one `Chart` out (plotly figure, table and words).

Every builder returns the same numbers three ways: a plotly figure (drawn in the browser by
``static/js/charts.js``), a table (visible without JavaScript, and the accessible fallback)
and a one- or two-sentence summary. ``Chart.data`` keeps the builder's typed rows so that
``reports/charts/svg/`` can draw the same numbers as a static SVG for PDF reports, with the
same palette (``palette.py``), colour maths (``colour.py``) and tick rule (``ticks.py``).

One module per chart kind; pure: no ORM, no request, no settings.
"""

from .chart import Chart, ChartData
from .construct import ConstructRow, construct_chart
from .heatmap import HeatmapColumn, heatmap_chart
from .lift import LiftRow, lift_chart
from .practice import PracticeRow, practice_chart
from .prevalence import PrevalenceRow, prevalence_chart
from .profile import ProfileRow, profile_chart
from .stored import chart_from_plain
from .trend import TrendSeries, trend_chart

__all__ = [
    "Chart",
    "ChartData",
    "ConstructRow",
    "HeatmapColumn",
    "LiftRow",
    "PracticeRow",
    "PrevalenceRow",
    "ProfileRow",
    "TrendSeries",
    "chart_from_plain",
    "construct_chart",
    "heatmap_chart",
    "lift_chart",
    "practice_chart",
    "prevalence_chart",
    "profile_chart",
    "trend_chart",
]
