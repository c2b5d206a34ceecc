"""Roster import: a 20,000-person file into an empty organisation, as `import_roster` runs it
(parse, plan, one transaction of bulk writes), and the same file again (nothing to change)."""

from __future__ import annotations

import time
from typing import Any

from orgs import roster_services
from orgs.models import Organization

from .stats import entry, median

PEOPLE = 20_000
TEAMS = 400
RUNS = 3


def roster_file(people: int, run: int) -> bytes:
    """A roster of `people` with distinct emails per run, so each run creates its accounts."""
    lines = ["email,name,team,role,department"]
    for i in range(people):
        role = "team lead" if i % 50 == 0 else "member"
        lines.append(
            f"person{i}.r{run}@bench.example,Person {i},Team {i % TEAMS:03d},{role},"
            f'"Dept {i % 7}, Unit {i % 3}"'
        )
    return ("\n".join(lines) + "\n").encode()


def import_times(people: int = PEOPLE, runs: int = RUNS) -> dict[str, dict[str, Any]]:
    times, again = [], []
    for run in range(runs):
        data = roster_file(people, run)
        org = Organization.objects.create(name=f"Roster bench {run}", slug=f"roster-bench-{run}")
        start = time.perf_counter()
        plan = roster_services.apply_roster(None, org, data, segments=("department",))
        times.append(time.perf_counter() - start)
        assert plan.counts()["created"] == people and not plan.errors, plan.errors[:3]
        start = time.perf_counter()
        second = roster_services.apply_roster(None, org, data, segments=("department",))
        again.append(time.perf_counter() - start)
        assert second.counts()["unchanged"] == people
    return {
        "roster_import_s_20k": entry(
            median(times),
            target=30,
            op="<=",
            unit="s",
            n=len(times),
            low=min(times),
            high=max(times),
            people=people,
            teams=TEAMS,
            bytes=len(roster_file(people, 0)),
            reimport_unchanged_s=median(again),
        )
    }
