"""Simulations of the enabler-lift statistics: false findings, power and interval coverage.

`python -m benchmarks --only evidence` runs these alone, without a database. The audit of
dashboard claims in null organisations (`null_dashboard_claims`, two cycles of 25 teams each
through `build_release`: minutes, not seconds) is its own part, `--only claims`.

Simulated organisations are made at the level of what each respondent reports (each
enabler and each of v1's 23 practice items: reported, not reported, or no score). From
there they go through exactly the functions `lift_table` uses for the pages:
`count_cells` (the 2×2 counts) and `assess_cells` (intervals, Fisher p, Benjamini–Hochberg,
findings, power estimate). Only the step that turns construct and item scores into
reported / not reported (`respondent_reports`, a comparison with two thresholds) is skipped,
so that a thousand organisations take seconds, not minutes.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from typing import Any

from assessments.instrument.loader import load_version
from assessments.instrument.types import Item
from assessments.lift.cells import POWER, POWER_RATIO, Q_LEVEL, Reports
from assessments.lift.stats import risk_ratio_interval, two_proportion_sample_size
from assessments.lift.table import assess_cells, count_cells, practice_items
from assessments.recommend.rules import DEFAULT_RULES_PATH, load_rules

from . import null_dashboards
from .stats import entry

ORGS = 500  # simulated organisations per scenario (the target asks for at least 500)
RESPONDENTS = 200
MIN_GROUP = 5  # v1's lift_min_group
LEADERSHIP_SHARE = 0.5
# Principles go with leadership (as in real organisations), which makes the cells of the
# two enablers correlated: the adjustment must hold under that too.
PRINCIPLES_IF_LEADERSHIP, PRINCIPLES_OTHERWISE = 0.7, 0.3
ENABLER_MISSING = 0.02
PRACTICE_MISSING = 0.10  # don't know, not applicable, hidden or unanswered
HABIT_SD = 0.8  # a respondent's general habit: practices go together, enablers aside
EFFECT_ITEM = 0  # the practice that truly goes with leadership in the power scenario
EFFECT_RATIO, EFFECT_BASE = 3.0, 0.15  # 15 % without leadership, 45 % with it
CHECK_ORGS, CHECK_BASE = 150, 0.2  # the power estimate's check: 20 % vs 40 %
COVERAGE_TABLES = 1000  # per scenario of the coverage grid
COVERAGE_GRID = [
    (n, share, base, ratio)
    for n in (40, 200)
    for share in (0.3, 0.5)
    for base in (0.1, 0.3)
    for ratio in (1.0, 2.0, 3.0)
]


def _logistic(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _organisation(
    rng: random.Random,
    items: Sequence[Item],
    effect: bool,
    respondents: int = RESPONDENTS,
    ratio: float = EFFECT_RATIO,
    base: float = EFFECT_BASE,
) -> list[Reports]:
    """One simulated organisation's respondents. Nothing is related to the enablers unless
    `effect`: then EFFECT_ITEM is `ratio` times as common with leadership as without
    (`base` without)."""
    base_logits = [_logit(rng.uniform(0.08, 0.6)) for _ in items]
    out = []
    for _ in range(respondents):
        leadership = rng.random() < LEADERSHIP_SHARE
        principles = rng.random() < (
            PRINCIPLES_IF_LEADERSHIP if leadership else PRINCIPLES_OTHERWISE
        )
        habit = rng.gauss(0.0, HABIT_SD)
        practices: dict[str, bool | None] = {}
        for i, item in enumerate(items):
            if rng.random() < PRACTICE_MISSING:
                practices[item.key] = None
            elif effect and i == EFFECT_ITEM:
                rate = base * (ratio if leadership else 1.0)
                practices[item.key] = rng.random() < rate
            else:
                practices[item.key] = rng.random() < _logistic(base_logits[i] + habit)
        enablers = {
            "leadership": None if rng.random() < ENABLER_MISSING else leadership,
            "principles": None if rng.random() < ENABLER_MISSING else principles,
        }
        out.append(Reports(enablers, practices))
    return out


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959964
    centre = (k + z * z / 2) / (n + z * z)
    half = z * math.sqrt(k * (n - k) / n + z * z / 4) / (n + z * z)
    return centre - half, centre + half


def _share_entry(k: int, n: int, target: float | None, op: str, **extra: Any) -> dict[str, Any]:
    low, high = _wilson(k, n)
    return entry(
        k / n,
        target=target,
        op=op,
        unit="share",
        n=n,
        low=None,
        high=None,
        ci95=[low, high],
        **extra,
    )


def false_findings_and_power(orgs: int = ORGS, seed: str = "evidence") -> dict[str, dict[str, Any]]:
    """Null organisations: how many show any finding. Organisations with one true risk
    ratio of 3: how many find it (and how many show a finding that is not it)."""
    items = practice_items(load_version("1"))
    rng = random.Random(seed)
    any_null = 0
    tested: list[int] = []
    for _ in range(orgs):
        reports = _organisation(rng, items, effect=False)
        table = assess_cells(count_cells(items, reports), len(reports), MIN_GROUP)
        any_null += bool(table.findings)
        tested.append(table.tested)
    found = other = 0
    effect_key = items[EFFECT_ITEM].key
    for _ in range(orgs):
        reports = _organisation(rng, items, effect=True)
        table = assess_cells(count_cells(items, reports), len(reports), MIN_GROUP)
        keys = {(c.enabler, c.practice_item) for c in table.findings}
        found += ("leadership", effect_key) in keys
        # Principles go with leadership, so principles × the same practice is a real,
        # indirect association; any other finding is false.
        other += bool(keys - {("leadership", effect_key), ("principles", effect_key)})
    setting = (
        f"{RESPONDENTS} respondents, {2 * len(items)} cells (2 enablers × {len(items)} "
        f"practices of v1), leadership {LEADERSHIP_SHARE:.0%}, principles correlated with it, "
        f"{PRACTICE_MISSING:.0%} of practice answers without a score"
    )
    return {
        "lift_null_false_finding_rate": _share_entry(
            any_null,
            orgs,
            target=0.05,
            op="<=",
            setting=setting,
            cells_tested_median=sorted(tested)[len(tested) // 2],
        ),
        "lift_power_rr3_n200": _share_entry(
            found,
            orgs,
            target=None,
            op=">=",
            setting=setting,
            effect=(
                f"one practice {EFFECT_BASE:.0%} without leadership, "
                f"{EFFECT_BASE * EFFECT_RATIO:.0%} with it (risk ratio {EFFECT_RATIO:g})"
            ),
            other_false_finding_rate=other / orgs,
        ),
    }


def interval_coverage(
    tables: int = COVERAGE_TABLES, seed: str = "coverage"
) -> dict[str, dict[str, Any]]:
    """How often the 95 % risk-ratio interval holds the true ratio, over a grid of group
    sizes, base rates and ratios (tables a page would withhold are left out)."""
    rng = random.Random(seed)
    by_scenario = {}
    covered_all = drawn_all = 0
    for n, share, base, ratio in COVERAGE_GRID:
        covered = drawn = 0
        while drawn < tables:
            n1 = sum(rng.random() < share for _ in range(n))
            n2 = n - n1
            a = sum(rng.random() < base * ratio for _ in range(n1))
            c = sum(rng.random() < base for _ in range(n2))
            if min(n1, n2) < MIN_GROUP or a + c == 0 or (a == n1 and c == n2):
                continue
            low, high = risk_ratio_interval(a, n1, c, n2)
            covered += low <= ratio <= high
            drawn += 1
        by_scenario[f"n={n} share={share:g} base={base:g} rr={ratio:g}"] = covered / drawn
        covered_all += covered
        drawn_all += drawn
    return {
        "lift_interval_coverage": entry(
            covered_all / drawn_all,
            target=0.94,
            op=">=",
            unit="share",
            n=drawn_all,
            low=min(by_scenario.values()),
            high=max(by_scenario.values()),
            measured=(
                f"all {len(COVERAGE_GRID)} scenarios together ({tables} tables each); "
                "min/max: the lowest and highest scenario"
            ),
            scenarios=by_scenario,
        )
    }


def power_estimate_check(orgs: int = CHECK_ORGS, seed: str = "power") -> dict[str, dict[str, Any]]:
    """Is "N responses would give an 80 % chance" right? Organisations of the size the power
    estimate asks for, with one practice twice as common with leadership: how many find it."""
    items = practice_items(load_version("1"))
    answered = (1 - ENABLER_MISSING) * (1 - PRACTICE_MISSING)
    cells = 2 * len(items)
    needed = two_proportion_sample_size(
        CHECK_BASE * POWER_RATIO, CHECK_BASE, LEADERSHIP_SHARE, Q_LEVEL / cells, POWER
    )
    respondents = math.ceil(needed / answered)
    rng = random.Random(seed)
    found = 0
    key = ("leadership", items[EFFECT_ITEM].key)
    for _ in range(orgs):
        reports = _organisation(rng, items, True, respondents, POWER_RATIO, CHECK_BASE)
        table = assess_cells(count_cells(items, reports), len(reports), MIN_GROUP)
        found += key in {(c.enabler, c.practice_item) for c in table.findings}
    return {
        "lift_power_estimate_check": _share_entry(
            found,
            orgs,
            target=None,
            op=">=",
            promised=POWER,
            respondents=respondents,
            effect=(
                f"one practice {CHECK_BASE:.0%} without leadership, "
                f"{CHECK_BASE * POWER_RATIO:.0%} with it, {cells} cells"
            ),
        )
    }


DASHBOARD_ORGS = 40  # per null (two cycles each through build_release: about 1 s an org)
# Difference and improvement findings: what a page states as a change or a difference.
ORG_DIFFERENCE_CLAIMS = ("self_view_difference", "org_trend_better_or_worse")
TEAM_DIFFERENCE_CLAIMS = ("team_item_better_or_worse", "team_trend_better_or_worse")


def null_dashboard_claims(
    orgs: int = DASHBOARD_ORGS, seed: str = "null-dashboards"
) -> dict[str, dict[str, Any]]:
    """Null organisations (benchmarks/null_dashboards.py: both nulls, two cycles, nothing
    differs or changes): how many state a difference or change as a finding on the
    organisation page or on the page of one team (the first released), and each claim's
    rate, organisation and team pages apart."""
    stated = total = 0
    per_claim: dict[str, list[int]] = {}
    instrument = load_version("2")
    rules = load_rules(DEFAULT_RULES_PATH, instrument)
    for null in null_dashboards.NULLS:
        rng = random.Random(f"{seed}:{null}")
        for _ in range(orgs):
            sim = null_dashboards.simulate(null, rng, instrument, rules)
            org = null_dashboards.claims_of_org(sim.pages["org"])
            team_page = next(
                p for k, p in sorted(sim.pages.items()) if k.startswith("team:") and p["visible"]
            )
            team = null_dashboards.claims_of_team(team_page, instrument)
            for key, said in (org | team).items():
                counts = per_claim.setdefault(f"{null}:{key}", [0, 0])
                counts[0] += said
                counts[1] += 1
            total += 1
            stated += any(org[c] for c in ORG_DIFFERENCE_CLAIMS) or any(
                team[c] for c in TEAM_DIFFERENCE_CLAIMS
            )
    return {
        "null_dashboard_claim_rate": _share_entry(
            stated,
            total,
            target=0.05,
            op="<=",
            setting=(
                f"{orgs} organisations per null (uniform answers; one centred climate for "
                f"every team), {null_dashboards.RESPONDENTS} respondents over "
                f"{null_dashboards.TEAMS} teams, two cycles, instrument v2, k = "
                f"{null_dashboards.THRESHOLD}; claims: {', '.join(ORG_DIFFERENCE_CLAIMS)} "
                f"(organisation page), {', '.join(TEAM_DIFFERENCE_CLAIMS)} (one team page)"
            ),
            claims={key: f"{k}/{n}" for key, (k, n) in sorted(per_claim.items())},
        )
    }


def simulations() -> dict[str, dict[str, Any]]:
    """All evidence figures, with how long they took."""
    start = time.monotonic()
    results = false_findings_and_power()
    results |= interval_coverage()
    results |= power_estimate_check()
    for value in results.values():
        value["seconds_all_evidence"] = round(time.monotonic() - start, 1)
    return results


def claim_simulations() -> dict[str, dict[str, Any]]:
    """The `claims` part: the null-organisation audit of dashboard claims, with its time."""
    start = time.monotonic()
    results = null_dashboard_claims()
    for value in results.values():
        value["seconds"] = round(time.monotonic() - start, 1)
    return results
