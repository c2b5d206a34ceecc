"""Change between cycles: construct and item means compared, polarity-aware."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from assessments.instrument.types import CONSTRUCTS
from assessments.scoring.group import GroupAggregate
from assessments.scoring.profile import rounded


@dataclass(frozen=True)
class Delta:
    """A score in two cycles; `improved` follows the construct's polarity."""

    key: str  # construct key, or item key for item deltas
    previous: float | None
    current: float | None
    change: float | None
    improved: bool | None  # None when unchanged or either side has no score

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": rounded(self.previous),
            "current": rounded(self.current),
            "change": rounded(self.change),
            "improved": self.improved,
        }


def _delta(key: str, construct: str, previous: float | None, current: float | None) -> Delta:
    if previous is None or current is None:
        return Delta(key, previous, current, None, None)
    change = current - previous
    if change == 0:
        return Delta(key, previous, current, change, None)
    lower_is_better = CONSTRUCTS[construct]["polarity"] == "lower_is_better"
    return Delta(key, previous, current, change, (change < 0) == lower_is_better)


def cycle_deltas(previous: GroupAggregate, current: GroupAggregate) -> dict[str, Delta]:
    """Change of each construct mean from one cycle to the next, polarity-aware."""
    return {
        c: _delta(c, c, previous.constructs[c].mean, current.constructs[c].mean) for c in CONSTRUCTS
    }


def item_deltas(previous: GroupAggregate, current: GroupAggregate) -> dict[str, Delta]:
    """Change of each item's mean score, for the item keys scored in both cycles.

    Item keys are stable across instrument versions, so this compares versions too.
    """
    return {
        key: _delta(key, mean.construct, previous.item_means[key].mean, mean.mean)
        for key, mean in current.item_means.items()
        if key in previous.item_means
    }
