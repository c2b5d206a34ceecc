"""Result entries: a value with its n, min, max, target and whether the target is met."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def entry(
    value: float | None,
    *,
    target: float | None,
    op: str,
    unit: str,
    n: int,
    low: float | None,
    high: float | None,
    met: bool | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One results.json entry. `op` is "<=" or ">="; `met` is computed unless given, and
    None when there is no target (a figure recorded for context)."""
    if met is None and target is not None:
        met = value is not None and (value <= target if op == "<=" else value >= target)
    return {
        "value": _tidy(value),
        "unit": unit,
        "n": n,
        "min": _tidy(low),
        "max": _tidy(high),
        "target": target,
        "op": op,
        "met": None if met is None else bool(met),
        **{k: _tidy(v) for k, v in extra.items()},
    }


def _tidy(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4 if abs(value) < 10 else 1)
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(v) for v in value]
    return value
