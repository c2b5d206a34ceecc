"""A chart as a release stores it (plain JSON) read back as a `Chart` with typed data."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from .chart import Chart, ChartData
from .construct import ConstructData
from .heatmap import HeatmapData
from .lift import LiftData
from .practice import PracticeData
from .prevalence import PrevalenceData
from .profile import ProfileData
from .trend import TrendData

DATA_OF_KIND: dict[str, Callable[[Mapping[str, Any]], ChartData]] = {
    "construct": ConstructData.from_plain,
    "practice": PracticeData.from_plain,
    "heatmap": HeatmapData.from_plain,
    "profile": ProfileData.from_plain,
    "prevalence": PrevalenceData.from_plain,
    "lift": LiftData.from_plain,
    "trend": TrendData.from_plain,
}


def _figure(stored: Mapping[str, Any] | str) -> dict[str, Any]:
    """A stored figure: a dict, or the JSON text an organisation page keeps it as."""
    return json.loads(stored) if isinstance(stored, str) else dict(stored)


def chart_from_plain(plain: Mapping[str, Any]) -> Chart:
    """The chart a release stored (``to_plain`` of a `Chart`), as the builder returned it."""
    kind = str(plain["kind"])
    return Chart(
        id=str(plain["id"]),
        kind=kind,
        title=str(plain["title"]),
        summary=str(plain["summary"]),
        figure=_figure(plain["figure"]),
        columns=tuple(plain["columns"]),
        rows=tuple(tuple(r) for r in plain["rows"]),
        data=DATA_OF_KIND[kind](plain["data"]),
    )
