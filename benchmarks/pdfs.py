"""Render time of the team report and of the leadership report, as the Celery task renders."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.cache import cache

from reports import pdf

from .fixtures import BenchOrg
from .releases import cpu_seconds
from .stats import entry, median

RUNS = 3


def _time(
    render: Any, runs: int, before: Any = None, cpu: list[float] | None = None
) -> tuple[list[float], int, int]:
    """Clock times of `runs` renders (their CPU seconds appended to `cpu`), pages, bytes."""
    times, pages, size = [], 0, 0
    for _ in range(runs):
        if before:
            before()
        start, used = time.perf_counter(), cpu_seconds()
        result = render()
        times.append(time.perf_counter() - start)
        if cpu is not None:
            cpu.append(cpu_seconds() - used)
        pages, size = result.pages, len(result.content)
    return times, pages, size


def pdf_times(bench: BenchOrg, runs: int = RUNS) -> dict[str, dict[str, Any]]:
    org, cycle = bench.org, bench.open
    results = {}
    team_cpu: list[float] = []
    times, pages, size = _time(lambda: pdf.render_pdf(org, cycle, bench.team), runs, cpu=team_cpu)
    results["team_pdf_s"] = entry(
        median(times),
        target=3,
        op="<=",
        unit="s",
        n=len(times),
        low=min(times),
        high=max(times),
        pages=pages,
        bytes=size,
        teams=bench.n_teams,
        cpu_s=median(team_cpu),
        load_1min=round(os.getloadavg()[0], 2),
    )
    # The leadership report reads the organisation view through the dashboard's cache: the
    # figure is a render from scratch (cache cleared before each run), warm runs alongside.
    org_cpu: list[float] = []
    cold, pages, size = _time(
        lambda: pdf.render_pdf(org, cycle, None), runs, before=cache.clear, cpu=org_cpu
    )
    warm, _, _ = _time(lambda: pdf.render_pdf(org, cycle, None), runs)
    results["org_pdf_s"] = entry(
        median(cold),
        target=10,
        op="<=",
        unit="s",
        n=len(cold),
        low=min(cold),
        high=max(cold),
        measured="cold (cache cleared before each render)",
        warm_s=median(warm),
        warm_min_s=min(warm),
        warm_max_s=max(warm),
        pages=pages,
        bytes=size,
        teams=bench.n_teams,
        cpu_s=median(org_cpu),
        cpu_min_s=min(org_cpu),
        cpu_max_s=max(org_cpu),
        load_1min=round(os.getloadavg()[0], 2),
    )
    return results
