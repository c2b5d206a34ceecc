"""Building a release in the worker: the whole organisation, every page it holds.

Beside the clock, the CPU seconds of this process (the worker's Python; PostgreSQL's own
work is not in it): on a shared machine the clock grows with everyone else's load.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass
from typing import Any

from reports import releases
from reports.models import Release

from .fixtures import BenchOrg
from .stats import entry


@dataclass(frozen=True)
class BuildTime:
    seconds: float  # on the clock
    cpu_s: float  # CPU of this process (user + system)
    load: float  # 1-minute load average at the end


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def release_all(bench: BenchOrg) -> BuildTime:
    """Release the closed cycle, then time the first release of the open one (every
    submission new: the largest build there is)."""
    releases.build(bench.closed.pk, Release.Reason.CLOSED)
    start, cpu = time.perf_counter(), cpu_seconds()
    releases.build(bench.open.pk, Release.Reason.REQUESTED)
    return BuildTime(time.perf_counter() - start, cpu_seconds() - cpu, round(os.getloadavg()[0], 2))


def release_entry(built: BuildTime, bench: BenchOrg, key: str, target: float) -> dict[str, Any]:
    latest = Release.objects.filter(cycle=bench.open).order_by("-number").first()
    seconds = built.seconds
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
            cpu_s=built.cpu_s,
            load_1min=built.load,
        )
    }
