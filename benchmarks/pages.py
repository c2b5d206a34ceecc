"""Server time of the dashboards against a trivial signed-in page, and their query counts.

Requests go through Django's test Client in this process (the full middleware stack and
template rendering, no network), timed with perf_counter around `client.get`. Dashboard and
trivial requests alternate, so that both medians come from the same stretch of the run.
Both dashboards cache their rendered body under a stamp of the results: "cold" clears the
cache before each request (outside the timing), "warm" keeps it; the ratio is the warm one.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from assessments import services
from assessments.models import Answer, Response
from orgs.models import User
from reports import releases

from .fixtures import BenchOrg
from .stats import entry, median

WARMUPS = 2


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str) -> float:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return elapsed


def _timed_pair(
    client: Client,
    url: str,
    trivial: str,
    repeats: int,
    before: Callable[[], None] | None = None,
    cpu: tuple[list[float], list[float]] | None = None,
) -> tuple[list[float], list[float]]:
    """(page times, trivial times) in seconds, alternating, after warm-ups; with `cpu`, the
    CPU seconds of this process for each (pages, trivials) too."""
    for _ in range(WARMUPS):
        _get(client, trivial)
        _get(client, url)
    pages: list[float] = []
    trivials: list[float] = []
    for _ in range(repeats):
        used = time.process_time()
        trivials.append(_get(client, trivial))
        if cpu:
            cpu[1].append(time.process_time() - used)
        if before:
            before()
        used = time.process_time()
        pages.append(_get(client, url))
        if cpu:
            cpu[0].append(time.process_time() - used)
    return pages, trivials


def queries(client: Client, url: str, before: Callable[[], None] | None = None) -> int:
    if before:
        before()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}")
    return len(captured.captured_queries)


def urls(bench: BenchOrg) -> dict[str, str]:
    slug = bench.org.slug
    return {
        "trivial": f"/o/{slug}/",
        "org": f"/o/{slug}/dashboard/",
        "team": f"/o/{slug}/teams/{bench.team.slug}/dashboard/",
        "participation": f"/o/{slug}/dashboard/participation/?cycle={bench.open.slug}",
    }


def _ratio_entry(
    pages: list[float], trivials: list[float], target: float, **extra: Any
) -> dict[str, Any]:
    base = median(trivials)
    ratios = [p / base for p in pages]
    return entry(
        median(pages) / base,
        target=target,
        op="<=",
        unit="x",
        n=len(pages),
        low=min(ratios),
        high=max(ratios),
        page_ms=median(pages) * 1000,
        page_min_ms=min(pages) * 1000,
        page_max_ms=max(pages) * 1000,
        trivial_ms=base * 1000,
        trivial_min_ms=min(trivials) * 1000,
        trivial_max_ms=max(trivials) * 1000,
        **extra,
    )


def _page_ratio(
    client: Client, page: str, trivial: str, repeats: int, target: float, **context: Any
) -> dict[str, Any]:
    """One dashboard's ratio to the trivial page: warm (the figure), cold alongside."""
    cpu: tuple[list[float], list[float]] = ([], [])
    cold_pages, cold_trivials = _timed_pair(client, page, trivial, repeats, cache.clear, cpu)
    warm_pages, warm_trivials = _timed_pair(client, page, trivial, repeats)
    cold = median(cold_pages) / median(cold_trivials)
    return _ratio_entry(
        warm_pages,
        warm_trivials,
        target,
        measured="warm (cache kept between requests)",
        cold_ratio=cold,
        cold_page_ms=median(cold_pages) * 1000,
        cold_page_min_ms=min(cold_pages) * 1000,
        cold_page_max_ms=max(cold_pages) * 1000,
        cold_trivial_ms=median(cold_trivials) * 1000,
        # CPU of this process (the clock also holds PostgreSQL's work and everyone's load).
        cold_page_cpu_ms=median(cpu[0]) * 1000,
        cold_trivial_cpu_ms=median(cpu[1]) * 1000,
        cold_cpu_ratio=median(cpu[0]) / median(cpu[1]),
        load_1min=round(os.getloadavg()[0], 2),
        cold_met=cold <= target,
        **context,
    )


def dashboard_ratios(bench: BenchOrg, repeats: int) -> dict[str, dict[str, Any]]:
    """org_dashboard_ratio and team_dashboard_ratio: warm, with cold alongside."""
    u = urls(bench)
    org = _page_ratio(
        _client(bench.leader),
        u["org"],
        u["trivial"],
        repeats,
        5,
        teams=bench.n_teams,
        viewer="leader",
    )
    team = _page_ratio(
        _client(bench.team_lead),
        u["team"],
        u["trivial"],
        repeats,
        3,
        teams=bench.n_teams,
        viewer="team lead of the team",
    )
    cold = entry(
        org["cold_ratio"],
        target=5,
        op="<=",
        unit="x",
        n=org["n"],
        low=org["cold_ratio"],
        high=org["cold_ratio"],
        measured="first request after a release: no cached page body",
        page_ms=org["cold_page_ms"],
        trivial_ms=org["cold_trivial_ms"],
        cpu_ratio=org["cold_cpu_ratio"],
        page_cpu_ms=org["cold_page_cpu_ms"],
        trivial_cpu_ms=org["cold_trivial_cpu_ms"],
        load_1min=org["load_1min"],
        teams=bench.n_teams,
    )
    # The live participation counts the org dashboard loads beside it (htmx): no target of
    # its own, reported so that the dashboard's figure hides nothing it moved out.
    client = _client(bench.leader)
    pages, trivials = _timed_pair(client, u["participation"], u["trivial"], repeats)
    participation = _ratio_entry(
        pages,
        trivials,
        5,
        teams=bench.n_teams,
        measured="as its own page (the htmx fragment is less), uncached",
    )
    participation["target"], participation["met"] = None, None
    return {
        "org_dashboard_ratio": org,
        "org_dashboard_cold_ratio": cold,
        "team_dashboard_ratio": team,
        "org_participation_ratio": participation,
    }


def query_counts(small: BenchOrg, large: BenchOrg) -> dict[str, dict[str, Any]]:
    """Queries per page at both sizes; met when at most 20 and equal at both sizes."""
    counts: dict[str, dict[int, dict[str, int]]] = {"org": {}, "team": {}}
    for bench in (small, large):
        u = urls(bench)
        leader, lead = _client(bench.leader), _client(bench.team_lead)
        _get(leader, u["org"])
        _get(lead, u["team"])
        counts["org"][bench.n_teams] = {
            "cold": queries(leader, u["org"], cache.clear),
            "warm": queries(leader, u["org"]),
        }
        counts["team"][bench.n_teams] = {
            "cold": queries(lead, u["team"], cache.clear),
            "warm": queries(lead, u["team"]),
        }
        trivial = queries(leader, u["trivial"])
    results = {}
    for page in ("org", "team"):
        by_size = counts[page]
        worst = {n: max(c.values()) for n, c in by_size.items()}
        same = len({tuple(sorted(c.items())) for c in by_size.values()}) == 1
        value = max(worst.values())
        results[f"{page}_dashboard_queries"] = entry(
            value,
            target=20,
            op="<=",
            unit="queries",
            n=len(by_size),
            low=min(worst.values()),
            high=value,
            met=value <= 20 and same,
            equal_at_both_sizes=same,
            by_teams={str(n): c for n, c in by_size.items()},
            trivial_queries=trivial,
        )
    return results


def _autosave(response: Response) -> None:
    """One autosave of a draft, through the service the autosave view calls."""
    item = next(i for i in services.instrument_for("1").items if i.type == "agreement")
    row = Answer.objects.filter(response=response, item_key=item.key).first()
    version = row.version if row else 0
    value = item.options[(version + 1) % len(item.options)].value
    services.save_answer(response, item.key, [value], version)


def after_autosave(bench: BenchOrg, results: dict[str, dict[str, Any]], repeats: int = 5) -> None:
    """Does an autosave elsewhere in the open cycle (a draft answer changing, no result
    changing) make the periodic pass rebuild the release? Adds, to each ratio entry, how
    many of `repeats` autosaves made the cycle due, and the page time right after."""
    u = urls(bench)
    team_drafts = [r for r in bench.drafts if r.team_id == bench.team.pk]
    other_drafts = [r for r in bench.drafts if r.team_id != bench.team.pk]
    cases = (
        ("org_dashboard_ratio", bench.leader, u["org"], other_drafts[0]),
        ("team_dashboard_ratio", bench.team_lead, u["team"], team_drafts[0]),
    )
    for key, user, url, draft in cases:
        client = _client(user)
        _get(client, url)
        times, recomputed = [], 0
        for _ in range(repeats):
            _get(client, url)  # warm
            _autosave(draft)
            recomputed += any(c == bench.open.pk for c, _ in releases.cycles_to_refresh())
            times.append(_get(client, url))
        if key in results:
            results[key]["after_autosave_ms"] = round(median(times) * 1000, 1)
            results[key]["recomputed_after_autosave"] = f"{recomputed} of {repeats}"
            results[key]["autosave_by"] = (
                "a member of another team" if key.startswith("org") else "a member of the team"
            )
