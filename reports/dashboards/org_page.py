"""The organisation page over released units (teams and the pool, or their cells under one
filter value): charts, enabler lift, leadership actions, v2 views."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from assessments import lift
from assessments.instrument.types import CONSTRUCTS, ENABLERS, Instrument
from assessments.recommend.rules import Rule
from assessments.scoring.profile import PROFILE_STATES

from .. import charts
from ..claims import Spreads, summary_of_stats
from .entries import Entry, Unit
from .groups import GroupResult, free_text_view, group_result, trend_view
from .recommendations import leadership_actions
from .v2 import governance_by_group, pressure_view, v2_views

# A respondent "reports" a constrainer or enabler when its score reaches this.
PREVALENCE_MIN = 60.0


ANONYMITY_WITHHELD = (
    "Withheld to protect anonymity: the people behind this pair would differ by fewer than "
    "{k} from a group shown elsewhere or in an earlier release."
)


def build_org_page(
    instrument: Instrument,
    rules: Sequence[Rule],
    units: Sequence[Unit],
    threshold: int,
    *,
    filtered: bool,
    pooled_teams: Sequence[str] = (),
    hidden_teams: int = 0,
    history: Sequence[tuple[str, Mapping[str, float | None]]] = (),
    cycle_name: str = "This cycle",
    computed: Mapping[str, GroupResult] | None = None,
    lift_withheld: frozenset[tuple[str, str]] = frozenset(),
    lift_reports: Sequence[lift.Reports] | None = None,
    previous_constructs: Mapping[str, Mapping[str, Any]] | None = None,
    quoted: Sequence[Entry] | None = None,
    prevalence_withheld: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The organisation page over released units (teams and pool, or their cells under one
    filter value). Organisation-wide figures are over the union of the units shown, so no
    total minus the units reveals anyone left out. Leadership actions, enabler lift and
    quotes use the unfiltered page only. `previous_constructs`: the organisation's construct
    statistics (n, mean, sd) at the last point of `history`, which test the trend's last
    step; `quoted`: the versions whose texts it may quote (default: the units' people)."""
    groups = []
    for u in units:
        g = (computed or {}).get(u.key) or group_result(
            instrument, u.key, u.name, u.members, threshold, with_facts=not filtered
        )
        g.slug = u.slug
        groups.append(g)
    counted = [r for u in units for r in u.members]
    view: dict[str, Any] = {
        "threshold": threshold,
        "filtered": filtered,
        "n_counted": len(counted),
        "groups": groups,
        "pooled_teams": list(pooled_teams),
        "hidden_teams": hidden_teams,
        "visible": bool(groups) and len(counted) >= threshold,
    }
    if not view["visible"]:
        return view
    overall = group_result(
        instrument, "org", "Organisation", counted, threshold, with_facts=not filtered
    )
    view["overall"] = overall
    view |= _org_charts(instrument, groups, counted, prevalence_withheld)
    view |= v2_views(instrument, counted)
    # Delivery pressure as context beside each released unit.
    view["pressure_by_group"] = {u.name: pressure_view(instrument, u.members) for u in units}
    if filtered:
        return view
    view["governance_by_group"] = by_group = governance_by_group(instrument, units)
    if by_group:
        view["real_test"] = [
            {**row, "groups_failing": by_group["real_test_failing"][row["part"]]}
            for row in view["real_test"]
        ]
    view |= _lift_view(instrument, counted, threshold, lift_withheld, lift_reports)
    view["free_text"] = free_text_view(instrument, counted, quoted)
    trend = trend_view(
        [*history, (cycle_name, overall.aggregate.means())],
        _trend_spreads(previous_constructs or {}, overall),
    )
    if trend:
        trend["chart"] = charts.trend_chart(
            "org-trend",
            trend["cycles"],
            [charts.TrendSeries.from_plain(s) for s in trend["series"]],
        )
    view["trend"] = trend
    view |= leadership_actions(rules, groups)
    return view


def _trend_spreads(previous: Mapping[str, Mapping[str, Any]], overall: GroupResult) -> Spreads:
    """Each construct's (then, now) summary, for the test of the trend's last step."""
    now = overall.aggregate.constructs
    return {
        c: (
            summary_of_stats(previous.get(c) or {}),
            summary_of_stats({"n": now[c].n, "mean": now[c].mean, "sd": now[c].sd}),
        )
        for c in CONSTRUCTS
    }


def _org_charts(
    instrument: Instrument,
    groups: Sequence[GroupResult],
    counted: Sequence[Entry],
    prevalence_withheld: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    constructs = [
        {"key": k, "label": m["label"], "polarity": m["polarity"]} for k, m in CONSTRUCTS.items()
    ]
    values = [[g.aggregate.constructs[c["key"]].mean for c in constructs] for g in groups]
    heatmap = charts.heatmap_chart(
        "org-heatmap",
        [g.name for g in groups],
        [charts.HeatmapColumn.from_plain(c) for c in constructs],
        values,
        [g.n for g in groups],
    )
    states: dict[str, int] = {}
    for g in groups:
        states[g.aggregate.profile.state] = states.get(g.aggregate.profile.state, 0) + 1
    profile_rows = [
        {"state": s, "label": PROFILE_STATES[s]["label"], "count": states.get(s, 0)}
        for s in ("decoupled", "guardrails_without_backing", "top_down_only", "recoupled")
    ]
    prevalence_rows = []
    for key, meta in CONSTRUCTS.items():
        if meta["family"] not in {"constrainer", "enabler"}:
            continue
        scored = [s for r in counted if (s := r.score.constructs[key].score) is not None]
        share = 100 * sum(1 for s in scored if s >= PREVALENCE_MIN) / len(scored) if scored else 0.0
        withheld = key in prevalence_withheld  # with the lift table's counts it would name one
        prevalence_rows.append(
            {
                "key": key,
                "label": meta["label"],
                "family": meta["family"],
                "share": None if withheld else share,
                "n": None if withheld else len(scored),
                "withheld": withheld,
            }
        )
    return {
        "heatmap": heatmap,
        "profile_rows": profile_rows,
        "profile_chart": charts.profile_chart(
            "org-profiles", [charts.ProfileRow.from_plain(r) for r in profile_rows]
        ),
        "prevalence_rows": prevalence_rows,
        "prevalence_chart": charts.prevalence_chart(
            "org-prevalence", [charts.PrevalenceRow.from_plain(r) for r in prevalence_rows]
        ),
        "enablers": [CONSTRUCTS[e]["label"] for e in ENABLERS],
    }


def _lift_view(
    instrument: Instrument,
    counted: Sequence[Entry],
    threshold: int = 1,
    withheld: frozenset[tuple[str, str]] = frozenset(),
    reports: Sequence[lift.Reports] | None = None,
) -> dict[str, Any]:
    """Enabler lift over the organisation's released responses: findings only where they
    survive the false-discovery adjustment, ordered by strength of evidence. Cells that
    disclosure control withholds (reports/lift_rows.py) show no counts at all."""
    table = lift.lift_table(
        instrument,
        [(r.score, r.answers) for r in counted],
        withhold={cell: ANONYMITY_WITHHELD.format(k=threshold) for cell in withheld},
        reports=reports,
    )

    def row(c: lift.LiftCell) -> dict[str, Any]:
        return (
            _without_counts(c, withheld)
            | {
                "enabler": c.enabler,
                "enabler_label": CONSTRUCTS[c.enabler]["label"],
                "practice": c.practice_item,
                "practice_label": c.practice_label,
                "resource": c.resource,
                "ratio": c.rr,
                "ci_low": c.rr_low,
                "ci_high": c.rr_high,
                "odds_ratio": c.odds_ratio,
                "or_low": c.or_low,
                "or_high": c.or_high,
                "with_k": c.with_k,
                "with_n": c.with_n,
                "without_k": c.without_k,
                "without_n": c.without_n,
                "q": c.q,
                "finding": c.finding,
                "reason": c.withheld,
            }
            | _without_counts(c, withheld)
        )

    findings = [row(c) for c in table.findings]
    drawable = [
        r
        for r in findings
        if all(math.isfinite(r[k] or math.inf) for k in ("ratio", "ci_low", "ci_high"))
    ]
    return {
        "lift_rows": findings,
        "lift_top": [lift.finding_sentence(c) for c in table.findings[:3]],
        "lift_research": lift.research_comparison(table.findings[0]) if table.findings else "",
        "lift_none": table.no_finding_message,
        "lift_caution": table.caution,
        "lift_method": table.method,
        "lift_research_note": lift.RESEARCH_NOTE,
        "lift_tested": table.tested,
        "lift_cells_total": len(table.cells),
        "lift_chart": charts.lift_chart(
            "org-lift", [charts.LiftRow.from_plain(r) for r in drawable[:8]]
        )
        if drawable
        else None,
        "lift_all": [row(c) for c in table.cells],
        "lift_cells": [c.to_json() | _without_counts(c, withheld) for c in table.cells],
        "lift_withheld": [row(c) for c in table.cells if c.withheld],
    }


def _without_counts(cell: lift.LiftCell, withheld: frozenset[tuple[str, str]]) -> dict[str, None]:
    """A cell disclosure control withheld shows no counts: they are what it protects."""
    if (cell.enabler, cell.practice_item) not in withheld:
        return {}
    return dict.fromkeys(("with_k", "with_n", "without_k", "without_n"))
