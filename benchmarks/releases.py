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

from django.db import connection

from reports import releases
from reports.models import Release, ReleasePage, ResponseSnapshot

from .fixtures import BenchOrg
from .stats import entry, median


@dataclass(frozen=True)
class BuildTime:
    seconds: float  # on the clock
    cpu_s: float  # CPU of this process (user + system)
    load: float  # 1-minute load average at the end


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def release_all(bench: BenchOrg, repeats: int = 1) -> list[BuildTime]:
    """Release the closed cycle, then time the first release of the open one (every
    submission new: the largest build there is), `repeats` times: each repeat deletes that
    release and its snapshots first (outside the timing), so each is a first release."""
    releases.build(bench.closed.pk, Release.Reason.CLOSED)
    times = []
    for attempt in range(repeats):
        if attempt:
            _forget_open_release(bench)
        start, cpu = time.perf_counter(), cpu_seconds()
        releases.build(bench.open.pk, Release.Reason.REQUESTED)
        times.append(
            BuildTime(time.perf_counter() - start, cpu_seconds() - cpu, os.getloadavg()[0])
        )
    return times


def _forget_open_release(bench: BenchOrg) -> None:
    ResponseSnapshot.objects.filter(cycle=bench.open).delete()
    Release.objects.filter(cycle=bench.open).delete()
    # As before the first build: no dead rows for the next one to step over.
    with connection.cursor() as cursor:
        for model in (Release, ReleasePage, ResponseSnapshot):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")  # nosec B608 (table names from our models)


def release_entry(
    built: list[BuildTime], bench: BenchOrg, key: str, target: float
) -> dict[str, Any]:
    latest = Release.objects.filter(cycle=bench.open).order_by("-number").first()
    seconds = [b.seconds for b in built]
    middle = sorted(built, key=lambda b: b.seconds)[len(built) // 2]
    return {
        key: entry(
            median(seconds),
            target=target,
            op="<=",
            unit="s",
            n=len(built),
            low=min(seconds),
            high=max(seconds),
            teams=bench.n_teams,
            included=latest.n_included if latest else 0,
            pages=latest.pages.count() if latest else 0,
            cpu_s=middle.cpu_s,  # of the median build
            cpu_s_each=[round(b.cpu_s, 2) for b in built],
            load_1min=round(max(b.load for b in built), 2),  # the highest seen
        )
    }
