"""A released team's page (stored by the release), its words and charts added when read,
the change per item against an earlier cycle, and a respondent's own results."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from assessments import differences
from assessments.instrument.types import CONSTRUCTS, Instrument
from assessments.recommend.facts import facts_from_response
from assessments.recommend.recommendations import recommend
from assessments.recommend.rules import Rule
from assessments.scoring.group import GroupAggregate
from assessments.scoring.response import ResponseScore

from .. import charts
from ..claims import (
    FAMILY_ALPHA,
    ITEM_CHANGE_METHOD,
    construct_summaries,
    item_summaries,
    near_the_line,
)
from .entries import Entry, TeamInfo
from .groups import (
    GroupResult,
    construct_drilldown,
    construct_rows,
    drilldown_for_display,
    free_text_view,
    group_result,
    practice_adoption,
    sd_allowed,
    trend_view,
    whole,
)
from .recommendations import recommendation_view
from .v2 import v2_views


def build_team_page(
    instrument: Instrument,
    rules: Sequence[Rule],
    team: TeamInfo,
    members: Sequence[Entry],
    threshold: int,
    history: Sequence[tuple[str, Mapping[str, float | None]]] = (),
    cycle_name: str = "This cycle",
    group: GroupResult | None = None,
    previous_items: tuple[str, Mapping[str, float], Collection[str]] | None = None,
    previous_page: Mapping[str, Any] | None = None,
    quoted: Sequence[Entry] | None = None,
    withheld: Collection[str] = (),
) -> dict[str, Any]:
    """A released team's page: scores, profile, practices, free text, recommendations, trend.

    `history`: earlier cycles' released construct means for this team, oldest first;
    `group`: the team's group result when already computed; `previous_items`: the previous
    cycle's name, released item means (`item_means_of_page`) and asked item keys
    (`item_keys_of_page`), for the change per item; `previous_page`: that cycle's stored
    page, whose spreads (answer counts, construct sd) test the changes. Without it no change
    is called better or worse. `quoted`: the members whose texts it may quote (default: all);
    `withheld`: constructs whose mean disclosure control blanks here (said so, not "too few")."""
    n = len(members)
    group = group or group_result(instrument, f"team:{team.id}", team.name, members, threshold)
    agg = group.aggregate
    recs = [recommendation_view(r) for r in recommend(rules, group.facts)] if group.facts else []
    rows = [r | {"withheld": r["key"] in withheld} for r in construct_rows(agg)]
    view: dict[str, Any] = {
        "visible": True,
        "n": n,
        "threshold": threshold,
        "team_size": team.size,
        "constructs": rows,
        "means": agg.means(),
        "profile": _profile_view(agg),
        "gap": agg.gap,
        "practice_rows": practice_adoption(instrument, members, threshold),
        "drilldown": construct_drilldown(instrument, members, threshold),
        "recs_team": [r for r in recs if r["audience"] == "team"],
        "recs_leadership": [r for r in recs if r["audience"] == "leadership"],
        "free_text": free_text_view(instrument, members, quoted),
        "instrument_version": instrument.version,
        "sd_shown": sd_allowed(n, threshold),
    }
    before = construct_summaries(previous_page) if previous_page else {}
    now = construct_summaries(view)
    view["trend"] = trend_view(
        [*history, (cycle_name, agg.means())],
        {c: (before.get(c), now.get(c)) for c in CONSTRUCTS},
    )
    view |= v2_views(instrument, members)
    view["item_changes"] = None
    if previous_items is not None:
        name, means, asked = previous_items
        spreads = (
            item_summaries(instrument, previous_page or {}, threshold),
            item_summaries(instrument, view, threshold),
        )
        view["item_changes"] = {
            "from": name,
            "rows": item_change_rows(view["drilldown"], means, spreads),
            "withheld": withheld_item_changes(view["drilldown"], means, asked),
            "method": ITEM_CHANGE_METHOD,
        }
    return view


def team_page_for_display(view: Mapping[str, Any], instrument: Instrument) -> dict[str, Any]:
    """A stored team page with its words and charts (cheap for one team, so done when read)."""
    out = dict(view)
    if not out.get("visible"):
        return out
    out["drilldown"] = drilldown_for_display(instrument, out["drilldown"])
    if out.get("item_changes"):
        out["item_changes"] = item_changes_for_display(instrument, out["item_changes"])
    out["construct_chart"] = charts.construct_chart(
        "team-constructs", [charts.ConstructRow.from_plain(r) for r in out["constructs"]]
    )
    out["practice_chart"] = charts.practice_chart(
        "team-practices", [charts.PracticeRow.from_plain(r) for r in out["practice_rows"]]
    )
    if out.get("trend"):
        trend = dict(out["trend"])
        trend["chart"] = charts.trend_chart(
            "team-trend",
            trend["cycles"],
            [charts.TrendSeries.from_plain(s) for s in trend["series"]],
        )
        out["trend"] = trend
    return out


def item_changes_for_display(instrument: Instrument, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Stored item changes with their question texts (the stored rows are compact), and
    "then", "now" and the change rounded as a reader sees them: the change is the
    difference of the two shown figures, so the row adds up, and nothing reads as ±0."""
    items = {i.key: i for i in instrument.items}
    rows = []
    for row in changes.get("rows", ()):
        then, now = whole(row["previous"]), whole(row["current"])
        item = items.get(row["key"])
        rows.append(
            {
                **row,
                "text": item.text if item else row["key"],
                "reverse": bool(item and item.reverse),
                "lower_is_better": CONSTRUCTS[row["construct_key"]]["polarity"]
                == "lower_is_better",
                "shown_previous": then,
                "shown_current": now,
                "shown_change": now - then,
                "change_label": f"{now - then:+d}" if now != then else "±0",
                "improved": row["improved"] if now != then else None,
            }
        )
    better = [r for r in rows if r["improved"]]
    worse = [r for r in rows if r["improved"] is False]
    withheld = [
        {
            **row,
            "text": items[row["key"]].text if row["key"] in items else row["key"],
            "construct": CONSTRUCTS[row["construct_key"]]["label"],
            "lower_is_better": CONSTRUCTS[row["construct_key"]]["polarity"] == "lower_is_better",
            "withheld_label": WITHHELD_SIDE[row["side"]].format(then=changes.get("from")),
        }
        for row in changes.get("withheld", ())
    ]
    # Every question asked in both cycles, in the questionnaire's order: compared ones with
    # their change, the others with why they are not.
    order = {i.key: n for n, i in enumerate(instrument.items)}
    constructs = {c: n for n, c in enumerate(CONSTRUCTS)}
    table = sorted(
        [*rows, *withheld],
        key=lambda r: (constructs.get(r["construct_key"], 99), order.get(r["key"], 0)),
    )
    return {
        **changes,
        "rows": rows,
        "withheld": withheld,
        "table": table,
        "asked_in_both": len(table),
        "better": len(better),
        "worse": len(worse),
        "same": len(rows) - len(better) - len(worse),
        # The largest shown moves each way, by how far they moved.
        "most_better": max(better, key=lambda r: abs(r["shown_change"]), default=None),
        "most_worse": max(worse, key=lambda r: abs(r["shown_change"]), default=None),
    }


def _profile_view(agg: GroupAggregate) -> dict[str, Any]:
    p = agg.profile
    return near_the_line(agg, p.threshold) | {
        "state": p.state,
        "label": p.label,
        "summary": p.summary,
        "individual": p.individual,
        "collective": p.collective,
        "threshold": p.threshold,
        "rule": p.explanation_rule,
    }


def construct_rows_of_response(score: ResponseScore) -> list[dict[str, Any]]:
    """One response's construct scores, for its own author's eyes only."""
    return [
        {
            "key": key,
            "label": meta["label"],
            "family": meta["family"],
            "polarity": meta["polarity"],
            "mean": score.constructs[key].score,
        }
        for key, meta in CONSTRUCTS.items()
    ]


OWN_ACTIONS = 3


def own_results_view(
    rules: Sequence[Rule],
    instrument: Instrument,
    score: ResponseScore,
    team_page: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """A respondent's own results, for her eyes only: her construct scores beside her team's
    *released* means (None when the team's results are not released), and the few things
    within her own reach: team-audience, individual-resource rules her own answers fire,
    best first. Nothing here is computed from other people's unreleased answers."""
    released = bool(team_page and team_page.get("visible"))
    team_rows = {r["key"]: r for r in team_page["constructs"]} if released and team_page else {}
    rows = [
        {**row, "team_mean": team_rows.get(row["key"], {}).get("mean")}
        for row in construct_rows_of_response(score)
    ]
    facts = facts_from_response(instrument, score, score.answers(), score.shown_keys())
    actions = [
        recommendation_view(r)
        for r in recommend(rules, facts, audience="team")
        if r.resource == "individual"
    ]
    return {
        "rows": rows,
        "team_released": released,
        "team_n": team_page.get("n") if released and team_page else None,
        "actions": actions[:OWN_ACTIONS],
        "more_actions": max(0, len(actions) - OWN_ACTIONS),
    }


def item_means_of_page(page: Mapping[str, Any] | None, threshold: int) -> dict[str, float]:
    """The item means a stored team page released, by item key: what a later cycle compares
    with. Only from a page that was shown, and only items that at least `threshold` people
    answered (the drilldown blanks smaller ones; a page released under a lower threshold
    is held to today's). An item blanked there has no mean here, so it shows no change."""
    if not page or not page.get("visible"):
        return {}
    return {
        item["key"]: item["mean"]
        for construct in page.get("drilldown") or ()
        for item in construct.get("items", ())
        if item.get("mean") is not None and (item.get("n") or 0) >= threshold
    }


# Why a question asked in both cycles shows no change; which side withheld it is already
# plain from the two released pages, so saying it tells nobody anything new.
WITHHELD_SIDE = {
    "then": "not shown in {then}",
    "now": "not shown this cycle",
    "both": "not shown in either cycle",
}


def withheld_item_changes(
    drilldown: Sequence[Mapping[str, Any]],
    previous: Mapping[str, float],
    asked_before: Collection[str],
) -> list[dict[str, str]]:
    """The questions asked in both cycles (matched by key) that show no change, and on which
    side the released results blanked them: answered by fewer than k people, or withheld
    to keep answers anonymous. With `item_change_rows` this accounts for every question
    that kept its key."""
    rows = []
    for construct in drilldown:
        for item in construct["items"]:
            if item["key"] not in asked_before:
                continue
            then, now = item["key"] in previous, item.get("mean") is not None
            if then and now:
                continue
            side = "both" if not (then or now) else ("now" if then else "then")
            rows.append({"key": item["key"], "construct_key": construct["key"], "side": side})
    return rows


def item_keys_of_page(page: Mapping[str, Any] | None) -> set[str]:
    """Every question a shown team page asked, released or blanked."""
    if not page or not page.get("visible"):
        return set()
    return {
        item["key"]
        for construct in page.get("drilldown") or ()
        for item in construct.get("items", ())
    }


def item_change_rows(
    drilldown: Sequence[Mapping[str, Any]],
    previous: Mapping[str, float],
    spreads: tuple[Mapping[str, differences.Summary], Mapping[str, differences.Summary]]
    | None = None,
) -> list[dict[str, Any]]:
    """Change of each item mean against an earlier cycle, matched by item key, so a cycle on
    instrument v2 compares with one on v1 on every item that kept its key. Polarity-aware;
    only items with a released mean on both sides. A change is better or worse (`improved`)
    only when it is a finding over all the rows (`differences.changes_found` at the
    per-question family's share of 5 %, `claims.FAMILY_ALPHA`), from the (then, now) item
    `spreads`; otherwise `improved` is None."""
    rows = []
    for construct in drilldown:
        meta = CONSTRUCTS[construct["key"]]  # the stored drilldown is compact: no words
        lower_is_better = meta["polarity"] == "lower_is_better"
        for item in construct["items"]:
            before, now = previous.get(item["key"]), item.get("mean")
            if before is None or now is None:
                continue
            change = now - before
            rows.append(
                {
                    "key": item["key"],
                    "construct_key": construct["key"],
                    "construct": meta["label"],
                    "previous": before,
                    "current": now,
                    "change": change,
                    "improved": None if not change else (change < 0) == lower_is_better,
                }
            )
    then, now = spreads or ({}, {})
    found = differences.changes_found(
        [(then.get(r["key"]), now.get(r["key"])) for r in rows], FAMILY_ALPHA
    )
    for row, (d, q, finding) in zip(rows, found, strict=True):
        row |= {"low": d.low if d else None, "high": d.high if d else None, "q": q}
        row["finding"] = finding
        if not finding:
            row["improved"] = None
    return rows
