"""The `Chart` every builder returns: one set of numbers as a figure, a table and words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChartData:
    """The typed rows a chart was built from: stored with the chart, drawn again as SVG.

    Each kind's subclass has plain fields only (no properties), so that a release stores
    it as the same JSON a dict of its fields would be, and `from_plain` reads it back."""


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
    data: ChartData

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to draw (the figure has no traces)."""
        return not self.figure.get("data")
