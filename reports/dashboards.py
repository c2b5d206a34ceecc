"""What the team and organisation dashboards (and the PDF reports) show, computed from plain
data: respondents' stored scores, team names and sizes, the rule table. No ORM here.

Every group shown goes through reports/anonymity.py first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assessments.instrument import CONSTRUCTS, ENABLERS, PRACTICE_CATEGORIES, Instrument
from assessments.recommend import (
    Facts,
    Rule,
    facts_from_aggregate,
    rank_leadership_actions,
    recommend,
)
from assessments.scoring import (
    LIFT_METHOD,
    PROFILE_STATES,
    GroupAggregate,
    aggregate,
    cycle_deltas,
    enabler_lift,
    item_counts,
    item_distribution,
)

from . import charts
from .anonymity import POOL_KEY, POOL_LABEL, plan_groups, team_results_visible
from .queries import Respondent

# Filters offered on the organisation dashboard: URL parameter -> instrument segment.
FILTERS = {"role": "respondent_role", "stage": "lifecycle_stage"}
CATEGORY_LABELS = {c: c.replace("_", " ").capitalize() for c in PRACTICE_CATEGORIES}
CATEGORY_LABELS |= {"testing_evaluation": "Testing and evaluation", "data_privacy": "Data privacy"}
# A respondent "reports" a constrainer or enabler when its score reaches this.
PREVALENCE_MIN = 60.0


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    slug: str
    size: int


@dataclass
class GroupResult:
    """A shown group (team or pool): its aggregate and what the rules recommend for it."""

    key: str
    name: str
    n: int
    aggregate: GroupAggregate
    facts: Facts
    slug: str = ""
    recommendations: list[Any] = field(default_factory=list)


def filter_options(instrument: Instrument) -> dict[str, list[tuple[str, str]]]:
    """Choices for each dashboard filter, from the instrument's segment items."""
    by_segment = {i.segment: i for i in instrument.items if i.segment}
    return {
        param: [(o.value, o.label) for o in by_segment[segment].options]
        for param, segment in FILTERS.items()
        if segment in by_segment
    }


def clean_filters(instrument: Instrument, raw: Mapping[str, str]) -> dict[str, str]:
    """Only known filters with known values; anything else is ignored."""
    options = filter_options(instrument)
    return {
        param: raw[param]
        for param in options
        if raw.get(param) and raw[param] in {v for v, _ in options[param]}
    }


def apply_filters(
    respondents: Sequence[Respondent], filters: Mapping[str, str]
) -> list[Respondent]:
    return [
        r for r in respondents if all(r.segments.get(FILTERS[p]) == v for p, v in filters.items())
    ]


def group_result(
    instrument: Instrument, key: str, name: str, members: Sequence[Respondent]
) -> GroupResult:
    agg = aggregate([r.score for r in members], instrument.thresholds)
    distribution, answered = item_counts(instrument, [r.answers for r in members])
    facts = facts_from_aggregate(instrument.version, agg, distribution, answered)
    return GroupResult(key, name, len(members), agg, facts)


def construct_rows(agg: GroupAggregate) -> list[dict[str, Any]]:
    return [
        {
            "key": key,
            "label": meta["label"],
            "family": meta["family"],
            "polarity": meta["polarity"],
            "mean": agg.constructs[key].mean,
            "sd": agg.constructs[key].sd,
            "n": agg.constructs[key].n,
            "min": agg.constructs[key].min,
            "max": agg.constructs[key].max,
            "dont_know": agg.constructs[key].dont_know_total,
        }
        for key, meta in CONSTRUCTS.items()
    ]


def practice_adoption(
    instrument: Instrument, members: Sequence[Respondent]
) -> list[dict[str, Any]]:
    """Share of answers at or above the practice threshold, by category and resource level."""
    cut = instrument.thresholds.lift_practice_min
    cells: dict[tuple[str, str], list[int]] = {}
    for item in instrument.items:
        if not (item.is_practice and item.category and item.resource):
            continue
        cell = cells.setdefault((item.category, item.resource), [0, 0])
        for r in members:
            score = _item_score(r, item.construct or "", item.key)
            if score is not None:
                cell[0] += int(score >= cut)
                cell[1] += 1
    return [
        {
            "category": cat,
            "category_label": CATEGORY_LABELS.get(cat, cat),
            "resource": res,
            "adoption": 100 * done / n if n else None,
            "n": n,
        }
        for (cat, res), (done, n) in sorted(
            cells.items(), key=lambda kv: PRACTICE_CATEGORIES.index(kv[0][0])
        )
    ]


def _item_score(r: Respondent, construct: str, key: str) -> float | None:
    for c in r.score.constructs[construct].items:
        if c.item_key == key:
            return c.score
    return None


def construct_drilldown(
    instrument: Instrument, members: Sequence[Respondent]
) -> list[dict[str, Any]]:
    """For each construct: its items with the group's answer distribution and mean."""
    distribution = item_distribution(instrument, [r.answers for r in members])
    out = []
    for key, meta in CONSTRUCTS.items():
        items = []
        for item in instrument.items:
            if item.construct != key:
                continue
            scores = [s for r in members if (s := _item_score(r, key, item.key)) is not None]
            counts = distribution.get(item.key, {})
            items.append(
                {
                    "key": item.key,
                    "text": item.text,
                    "reverse": item.reverse,
                    "weight": item.weight,
                    "mean": sum(scores) / len(scores) if scores else None,
                    "n": len(scores),
                    "answers": [
                        {"label": o.label, "count": counts.get(o.value, 0), "score": o.score}
                        for o in item.options
                    ],
                }
            )
        out.append(
            {"key": key, "label": meta["label"], "polarity": meta["polarity"], "items": items}
        )
    return out


def recommendation_view(rec: Any) -> dict[str, Any]:
    return {
        "rule_id": rec.rule_id,
        "title": rec.title,
        "why": rec.why,
        "steps": list(rec.steps),
        "resource": rec.resource,
        "audience": rec.audience,
        "construct": CONSTRUCTS[rec.construct]["label"],
        "instrument_version": rec.trace.instrument_version,
        "trace": rec.trace_sentences(),
    }


def team_view(
    instrument: Instrument,
    rules: Sequence[Rule],
    team: TeamInfo,
    members: Sequence[Respondent],
    threshold: int,
    viewer_in_team: bool,
    actions: Sequence[Any] = (),
    history: Sequence[tuple[str, Sequence[Respondent]]] = (),
) -> dict[str, Any]:
    """The team dashboard: scores, profile, practices, actions, recommendations, trend."""
    n = len(members)
    view: dict[str, Any] = {"n": n, "threshold": threshold, "team_size": team.size, "team": team}
    view["visible"] = team_results_visible(n, threshold, team.size, viewer_in_team)
    if not view["visible"] or not n:
        return view
    group = group_result(instrument, str(team.id), team.name, members)
    agg = group.aggregate
    recs = [recommendation_view(r) for r in recommend(rules, group.facts)]
    rows = construct_rows(agg)
    view |= {
        "constructs": rows,
        "construct_chart": charts.construct_chart("team-constructs", rows),
        "profile": _profile_view(agg),
        "gap": agg.gap,
        "practice_rows": practice_adoption(instrument, members),
        "drilldown": construct_drilldown(instrument, members),
        "recs_team": [r for r in recs if r["audience"] == "team"],
        "recs_leadership": [r for r in recs if r["audience"] == "leadership"],
        "actions": [_action_view(a) for a in actions],
        "instrument_version": instrument.version,
    }
    view["practice_chart"] = charts.practice_chart("team-practices", view["practice_rows"])
    view["trend"] = _trend(instrument, history, threshold, team.size, viewer_in_team)
    return view


def _profile_view(agg: GroupAggregate) -> dict[str, Any]:
    p = agg.profile
    return {
        "state": p.state,
        "label": p.label,
        "summary": p.summary,
        "individual": p.individual,
        "collective": p.collective,
        "threshold": p.threshold,
        "rule": p.explanation_rule,
    }


def _action_view(action: Any) -> dict[str, Any]:
    final = action.final_kind()
    return {
        "text": action.text,
        "kind": final or "in_review",
        "label": {"individual": "Individual", "collective": "Collective"}.get(
            final or "", "In review"
        ),
        "reviewed": action.is_reviewed(),
    }


def _trend(
    instrument: Instrument,
    history: Sequence[tuple[str, Sequence[Respondent]]],
    threshold: int,
    size: int,
    viewer_in_team: bool,
) -> dict[str, Any] | None:
    """Construct means over the cycles where the team's results may be shown."""
    points = [
        (name, aggregate([r.score for r in members], instrument.thresholds))
        for name, members in history
        if members and team_results_visible(len(members), threshold, size, viewer_in_team)
    ]
    if len(points) < 2:
        return None
    series = [
        {
            "label": meta["label"],
            "polarity": meta["polarity"],
            "values": [agg.constructs[key].mean for _, agg in points],
        }
        for key, meta in CONSTRUCTS.items()
    ]
    deltas = cycle_deltas(points[-2][1], points[-1][1])
    return {
        "chart": charts.trend_chart("team-trend", [name for name, _ in points], series),
        "deltas": [
            {"label": CONSTRUCTS[k]["label"], "change": d.change, "improved": d.improved}
            for k, d in deltas.items()
        ],
        "from": points[-2][0],
        "to": points[-1][0],
    }


def org_view(
    instrument: Instrument,
    rules: Sequence[Rule],
    teams: Sequence[TeamInfo],
    respondents: Sequence[Respondent],
    filtered: Sequence[Respondent],
    threshold: int,
    participation: Mapping[int, Mapping[str, int]],
    filters: Mapping[str, str],
) -> dict[str, Any]:
    """The organisation dashboard for one cycle, under the given filters."""
    by_team: dict[int, list[Respondent]] = {t.id: [] for t in teams}
    for r in filtered:
        by_team.setdefault(r.team_id, []).append(r)
    unfiltered_counts: dict[str, int] = {}
    for r in respondents:
        unfiltered_counts[str(r.team_id)] = unfiltered_counts.get(str(r.team_id), 0) + 1
    plan = plan_groups(
        {str(t.id): len(by_team[t.id]) for t in teams},
        threshold,
        unfiltered_counts if filters else None,
    )
    groups = [
        group_result(instrument, str(t.id), t.name, by_team[t.id])
        for t in teams
        if plan.is_shown(str(t.id))
    ]
    for g, t in zip(groups, [t for t in teams if plan.is_shown(str(t.id))], strict=True):
        g.slug = t.slug
    if plan.pool.shown:
        pooled = [r for k in plan.pooled for r in by_team[int(k)]]
        groups.append(group_result(instrument, POOL_KEY, POOL_LABEL, pooled))
    counted = [r for k in plan.counted for r in by_team[int(k)]]
    view: dict[str, Any] = {
        "threshold": threshold,
        "plan": plan,
        "filters": dict(filters),
        "n_counted": len(counted),
        "n_all": len(respondents),
        "participation": _participation(teams, participation),
        "groups": groups,
        "hidden_teams": [t.name for t in teams if str(t.id) in plan.pooled and not plan.pool.shown],
        "pooled_teams": [t.name for t in teams if str(t.id) in plan.pooled and plan.pool.shown],
    }
    if not plan.total.shown or not groups:
        view["visible"] = False
        return view
    view["visible"] = True
    view["overall"] = group_result(instrument, "__all__", "Organisation", counted)
    view |= _org_charts(instrument, groups, counted)
    ranked = rank_leadership_actions(rules, {g.name: g.facts for g in groups})
    view["actions"] = [
        {
            "rule_id": a.rule.id,
            "title": a.rule.title,
            "why": a.rule.why,
            "steps": list(a.rule.steps),
            "construct": CONSTRUCTS[a.rule.construct]["label"],
            "teams": list(a.teams),
            "teams_unblocked": a.teams_unblocked,
            "traces": {
                team: [c.sentence() for c in trace.checks] for team, trace in a.traces.items()
            },
        }
        for a in ranked
    ]
    return view


def _participation(
    teams: Sequence[TeamInfo], counts: Mapping[int, Mapping[str, int]]
) -> list[dict[str, Any]]:
    rows = []
    for t in teams:
        c = counts.get(t.id, {})
        submitted = c.get("submitted", 0)
        rows.append(
            {
                "team": t.name,
                "slug": t.slug,
                "size": t.size,
                "submitted": submitted,
                "in_progress": c.get("in_progress", 0),
                "rate": round(100 * submitted / t.size) if t.size else None,
            }
        )
    return rows


def _org_charts(
    instrument: Instrument, groups: Sequence[GroupResult], counted: Sequence[Respondent]
) -> dict[str, Any]:
    constructs = [
        {"key": k, "label": m["label"], "polarity": m["polarity"]} for k, m in CONSTRUCTS.items()
    ]
    values = [[g.aggregate.constructs[c["key"]].mean for c in constructs] for g in groups]
    heatmap = charts.heatmap_chart(
        "org-heatmap", [g.name for g in groups], constructs, values, [g.n for g in groups]
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
        prevalence_rows.append(
            {
                "key": key,
                "label": meta["label"],
                "family": meta["family"],
                "share": share,
                "n": len(scored),
            }
        )
    cells = enabler_lift(instrument, [(r.score, r.answers) for r in counted])
    shown = [c for c in cells if not c.withheld]
    lift_rows = [
        {
            "enabler": c.enabler,
            "enabler_label": CONSTRUCTS[c.enabler]["label"],
            "practice_label": c.practice_label,
            "resource": c.resource,
            "ratio": c.ratio,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "with_k": c.with_enabler[0],
            "with_n": c.with_enabler[1],
            "without_k": c.without_enabler[0],
            "without_n": c.without_enabler[1],
            "method": c.method,
        }
        for c in shown
    ]
    withheld = [
        {
            "enabler_label": CONSTRUCTS[c.enabler]["label"],
            "practice_label": c.practice_label,
            "reason": c.reason,
            "with_n": c.with_enabler[1],
            "without_n": c.without_enabler[1],
        }
        for c in cells
        if c.withheld
    ]
    return {
        "heatmap": heatmap,
        "profile_rows": profile_rows,
        "profile_chart": charts.profile_chart("org-profiles", profile_rows),
        "prevalence_rows": prevalence_rows,
        "prevalence_chart": charts.prevalence_chart("org-prevalence", prevalence_rows),
        "lift_rows": lift_rows,
        # Headlines: the most certain lifts (highest lower bound), not the widest guesses.
        # (cells needing the zero-count correction only after the others).
        "lift_top": _lift_sentences(
            sorted(lift_rows, key=lambda r: (r["method"] != LIFT_METHOD, -(r["ci_low"] or 0)))[:3]
        ),
        "lift_chart": charts.lift_chart("org-lift", lift_rows[:8]),
        "lift_withheld": withheld,
        "enablers": [CONSTRUCTS[e]["label"] for e in ENABLERS],
    }


def _lift_sentences(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"Respondents who report {r['enabler_label'].lower()} are {r['ratio']:.1f}× as likely to "
        f"report “{r['practice_label']}” (95 % CI {r['ci_low']:.1f}–{r['ci_high']:.1f}; "
        f"{r['with_k']}/{r['with_n']} with, {r['without_k']}/{r['without_n']} without)."
        for r in rows
    ]
