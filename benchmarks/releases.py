"""Building a release in the worker: the whole organisation, every page it holds."""

from __future__ import annotations

import time
from typing import Any

from reports import releases
from reports.models import Release

from .fixtures import BenchOrg
from .stats import entry


def release_all(bench: BenchOrg) -> float:
    """Release the closed cycle, then time the first release of the open one (every
    submission new: the largest build there is)."""
    releases.build(bench.closed.pk, Release.Reason.CLOSED)
    start = time.perf_counter()
    releases.build(bench.open.pk, Release.Reason.REQUESTED)
    return time.perf_counter() - start


def release_entry(seconds: float, bench: BenchOrg, key: str, target: float) -> dict[str, Any]:
    latest = Release.objects.filter(cycle=bench.open).order_by("-number").first()
    return {
        key: entry(
            seconds,
            target=target,
            op="<=",
            unit="s",
            n=1,
            low=seconds,
            high=seconds,
            teams=bench.n_teams,
            included=latest.n_included if latest else 0,
            pages=latest.pages.count() if latest else 0,
        )
    }
