"""What the team and organisation dashboards (and the PDF reports) show, computed from plain
data: the included responses of a release, team names and sizes, the rule table. No ORM here.

Only groups that reports/disclosure.py released are passed in; this module never decides
what may be shown, it only says it. Spread follows one rule (`sd_allowed`): no minimum or
maximum for any group, a standard deviation only where n >= 2k. Free text is quoted only
where its author allowed it, and only inside a released group; elsewhere it is counted.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from assessments import differences, lift
from assessments.instrument.types import (
    CONSTRUCTS,
    ENABLERS,
    PRACTICE_CATEGORIES,
    Answers,
    Instrument,
)
from assessments.recommend.facts import Facts, facts_from_aggregate, facts_from_response
from assessments.recommend.recommendations import rank_leadership_actions, recommend
from assessments.recommend.rules import Rule
from assessments.scoring.group import (
    ConstructStats,
    GroupAggregate,
    aggregate,
    item_counts,
    item_distribution,
)
from assessments.scoring.profile import PROFILE_STATES, decoupling_gap, recoupling_profile
from assessments.scoring.response import ResponseScore
from assessments.vocabulary import VOCABULARY

from . import charts
from .claims import (
    COMPARE_METHOD,
    ITEM_CHANGE_METHOD,
    LAYER_RULE,
    REAL_TEST_RULE,
    TREND_METHOD,
    Spreads,
    construct_summaries,
    item_summaries,
    near_the_line,
    summary_of_stats,
)

POOL_LABEL = "Other teams (pooled)"
# Filters offered on the organisation dashboard, one at a time: URL parameter -> segment.
FILTERS: dict[str, str] = {param: f.segment for param, f in VOCABULARY.filters.items()}
CATEGORY_LABELS: dict[str, str] = dict(VOCABULARY.practice_categories)
# A respondent "reports" a constrainer or enabler when its score reaches this.
PREVALENCE_MIN = 60.0
REASONS_SHOWN = 12  # teams whose reasons a leadership action lists
KIND_LABELS = {
    "individual": "Individual",
    "collective": "Collective",
    "none": "Not an action",
    "in_review": "In review",
}


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    slug: str
    size: int


@dataclass(frozen=True)
class Text:
    """A free-text answer as a release holds it."""

    item_key: str
    text: str
    may_quote: bool
    kind: str | None = (
        None  # final label of an action ("in_review" while pending); None: not an action item
    )


@dataclass(frozen=True)
class Entry:
    """One included response version: its scores, filter values and free text. No author."""

    rid: int
    digest: str
    team: int
    score: ResponseScore
    segments: Mapping[str, str]  # filter parameter -> value
    texts: tuple[Text, ...] = ()
    # The scores as stored (Response.scores), when read from the database: stored again as
    # they are, rather than written out afresh from `score`.
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def answers(self) -> Answers:
        return self._answers

    # Computed once per entry: a release reads them for the team, the organisation and the
    # filter cells it belongs to.
    @cached_property
    def _answers(self) -> Answers:
        return self.score.answers()

    @property
    def shown(self) -> frozenset[str]:
        """The items this response's author was shown (see ResponseScore.shown_keys)."""
        return self.score.shown_keys()

    @cached_property
    def item_scores(self) -> dict[tuple[str, str], float | None]:
        """(construct, item key) -> the item's score in this response."""
        return {
            (construct, c.item_key): c.score
            for construct, s in self.score.constructs.items()
            for c in s.items
        }


ANONYMITY_WITHHELD = (
    "Withheld to protect anonymity: the people behind this pair would differ by fewer than "
    "{k} from a group shown elsewhere or in an earlier release."
)


def construct_family(key: str) -> str:
    return f"c:{key}"


def item_family(key: str) -> str:
    return f"i:{key}"


def families_outside(instrument: Instrument, score: ResponseScore) -> frozenset[str]:
    """The families (see reports/disclosure.py) a response is not in: constructs it has no
    score on, and scored items it gave no scored answer to in their own construct ("don't
    know", or not shown)."""
    scored = {
        (key, c.item_key)
        for key, cs in score.constructs.items()
        for c in cs.items
        if c.score is not None
    }
    return frozenset(
        [construct_family(key) for key, c in score.constructs.items() if c.score is None]
        + [
            item_family(i.key)
            for i in instrument.items
            if i.construct and (i.construct, i.key) not in scored
        ]
    )


def construct_parts(instrument: Instrument) -> dict[str, tuple[list[str], list[str], bool]]:
    """Each construct family's item families; the items whose absence changes its weights
    (its own, and those whose "don't know" counts towards it, instrument v2); and whether
    its mean is kept before its items where one must go: the two practice means make a
    team's recoupling profile, the other constructs' items make the drilldown, the
    governance chain and the real test."""
    own: dict[str, list[str]] = {}
    for i in instrument.items:
        if i.construct:
            own.setdefault(i.construct, []).append(item_family(i.key))
    out = {}
    for key, items in own.items():
        feeding = [
            f
            for source, rule in instrument.dont_know.items()
            if rule.counts_towards == key and source != key
            for f in own.get(source, [])
        ]
        keep_whole = CONSTRUCTS[key]["family"] == "practice"
        out[construct_family(key)] = (items, [*items, *feeding], keep_whole)
    return out


def without_families(entry: Entry, families: frozenset[str]) -> Entry:
    """The entry as a group that blanks `families` counts it: no score on those constructs,
    no answer to those items, so every sum over the group leaves them out."""
    if not families:
        return entry
    constructs = {}
    for key, c in entry.score.constructs.items():
        items = tuple(i for i in c.items if item_family(i.item_key) not in families)
        score = None if construct_family(key) in families else c.score
        constructs[key] = (
            c
            if (score, len(items)) == (c.score, len(c.items))
            else replace(c, score=score, items=items)
        )
    return replace(entry, score=replace(entry.score, constructs=constructs), stored=None)


@dataclass
class GroupResult:
    """A released group (team, pool, cell): its aggregate and what the rules say for it."""

    key: str
    name: str
    n: int
    aggregate: GroupAggregate
    facts: Facts | None
    slug: str = ""
    recommendations: list[Any] = field(default_factory=list)


def sd_allowed(n: int, threshold: int) -> bool:
    """A standard deviation is shown only for groups of at least twice the threshold."""
    return n >= 2 * max(1, threshold)


def filter_options(instrument: Instrument) -> dict[str, list[tuple[str, str]]]:
    """Choices for each dashboard filter, from the instrument's segment items."""
    by_segment = {i.segment: i for i in instrument.items if i.segment}
    return {
        param: [(o.value, o.label) for o in by_segment[segment].options]
        for param, segment in FILTERS.items()
        if segment in by_segment
    }


def filter_groups(instrument: Instrument) -> list[tuple[str, list[tuple[str, str]]]]:
    """The "Show only" list: each offered filter's heading and its ("param:value", label)."""
    return [
        (VOCABULARY.filters[param].label, [(f"{param}:{value}", label) for value, label in options])
        for param, options in filter_options(instrument).items()
    ]


def clean_filters(instrument: Instrument, raw: Mapping[str, str]) -> dict[str, str]:
    """At most one known filter with a known value (the first given); the rest is ignored.

    Combining filters would release intersections small enough to single people out, so
    the dashboards offer one dimension at a time."""
    options = filter_options(instrument)
    for param in options:
        if raw.get(param) and raw[param] in {v for v, _ in options[param]}:
            return {param: raw[param]}
    return {}


def _private(agg: GroupAggregate, threshold: int) -> GroupAggregate:
    """The aggregate with what must never be shown taken out: min, max, median, small sd."""
    # The spread is over the people with a score, so "at least 2k" counts those.
    return replace(
        agg,
        constructs={
            k: _private_stats(s, threshold, sd_allowed(s.n, threshold))
            for k, s in agg.constructs.items()
        },
    )


def _private_stats(stats: ConstructStats, threshold: int, keep_sd: bool) -> ConstructStats:
    """A construct's statistics as a group may show them: a mean only over at least k scored
    people ("don't know" to every item leaves a person without a score), never min or max."""
    if stats.n < threshold:
        return replace(stats, mean=None, sd=None, min=None, max=None, median=None)
    return replace(stats, min=None, max=None, median=None, sd=stats.sd if keep_sd else None)


def _means_only(instrument: Instrument, members: Sequence[Entry], threshold: int) -> GroupAggregate:
    """Construct means, profile and gap of a group, without the per-item statistics."""
    constructs = {}
    for key in CONSTRUCTS:
        values = [v for r in members if (v := r.score.constructs[key].score) is not None]
        dont_know = sum(r.score.constructs[key].dont_know for r in members)
        mean = statistics.fmean(values) if len(values) >= threshold else None
        keep_sd = sd_allowed(len(values), threshold)
        sd = statistics.stdev(values) if mean is not None and keep_sd and len(values) > 1 else None
        constructs[key] = ConstructStats(key, len(values), mean, sd, None, None, None, dont_know)
    means = {k: c.mean for k, c in constructs.items()}
    thresholds = instrument.thresholds
    return GroupAggregate(
        instrument_version=instrument.version,
        n_responses=len(members),
        constructs=constructs,
        item_means={},
        profile=recoupling_profile(
            means["individual_practice"], means["collective_practice"], thresholds
        ),
        gap=decoupling_gap(means, thresholds),
    )


def group_result(
    instrument: Instrument,
    key: str,
    name: str,
    members: Sequence[Entry],
    threshold: int,
    *,
    with_facts: bool = True,
) -> GroupResult:
    """A group's aggregate, and (unless `with_facts` is off: filtered groups get no
    recommendations) the facts the recommendation rules read."""
    if not with_facts:  # construct means and the profile are all a filtered view shows
        return GroupResult(
            key, name, len(members), _means_only(instrument, members, threshold), None
        )
    agg = _private(aggregate([r.score for r in members], instrument.thresholds), threshold)
    distribution, answered = item_counts(
        instrument, [r.answers for r in members], [r.shown for r in members]
    )
    # An item fewer than k people answered (one shown only under a show_if condition, say)
    # tells the rules nothing: a share over one or two people is their answers.
    distribution, answered = _items_over_k(distribution, answered, threshold)
    facts = facts_from_aggregate(
        instrument.version,
        agg,
        distribution,
        answered,
        thresholds=instrument.thresholds,
        subject="group" if key == "pool" else "team",
    )
    return GroupResult(key, name, len(members), agg, facts)


def _items_over_k(
    distribution: Mapping[str, Mapping[str, int]], answered: Mapping[str, int], threshold: int
) -> tuple[dict[str, Mapping[str, int]], dict[str, int]]:
    kept = {key for key, n in answered.items() if n >= threshold}
    return (
        {key: counts for key, counts in distribution.items() if key in kept},
        {key: n for key, n in answered.items() if key in kept},
    )


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
            "dont_know": agg.constructs[key].dont_know_total,
        }
        for key, meta in CONSTRUCTS.items()
    ]


def practice_adoption(
    instrument: Instrument, members: Sequence[Entry], threshold: int = 1
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
            # Over fewer than k answers a share is one or two people's answers: not shown.
            "adoption": 100 * done / n if n >= threshold else None,
            "n": n if n >= threshold else None,
        }
        for (cat, res), (done, n) in sorted(
            cells.items(), key=lambda kv: PRACTICE_CATEGORIES.index(kv[0][0])
        )
    ]


def _item_score(r: Entry, construct: str, key: str) -> float | None:
    return r.item_scores.get((construct, key))


def construct_drilldown(
    instrument: Instrument, members: Sequence[Entry], threshold: int
) -> list[dict[str, Any]]:
    """For each construct: its items with the group's answer counts (one per option, in the
    instrument's order) and mean. An item fewer than k people answered shows neither (one
    answer among several blanks is one person's). Stored compact; `drilldown_for_display`
    adds the question texts and option labels."""
    # Shown items as scored: the answers rebuilt from stored scores lack those that show_if
    # conditions read, so visibility worked out from them would drop every conditional item.
    distribution = item_distribution(
        instrument, [r.answers for r in members], [r.shown for r in members]
    )
    out = []
    for key in CONSTRUCTS:
        items = []
        for item in instrument.items:
            if item.construct != key:
                continue
            scores = [s for r in members if (s := _item_score(r, key, item.key)) is not None]
            counts = distribution.get(item.key, {})
            enough = len(scores) >= threshold
            items.append(
                {
                    "key": item.key,
                    "mean": sum(scores) / len(scores) if scores and enough else None,
                    "n": len(scores) if enough else None,
                    "counts": [counts.get(o.value, 0) if enough else 0 for o in item.options],
                }
            )
        out.append({"key": key, "items": items})
    return out


def drilldown_for_display(
    instrument: Instrument, drilldown: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """A stored drilldown with its words: construct labels, question texts, option labels."""
    items = {i.key: i for i in instrument.items}
    out = []
    for c in drilldown:
        meta = CONSTRUCTS[c["key"]]
        rows = []
        for row in c["items"]:
            item = items.get(row["key"])
            if item is None:
                continue
            rows.append(
                {
                    "key": item.key,
                    "text": item.text,
                    "reverse": item.reverse,
                    "weight": item.weight,
                    "mean": row["mean"],
                    "n": row["n"],
                    "answers": [
                        {"label": o.label, "count": n, "score": o.score}
                        for o, n in zip(item.options, row["counts"], strict=False)
                    ],
                }
            )
        out.append(
            {"key": c["key"], "label": meta["label"], "polarity": meta["polarity"], "items": rows}
        )
    return out


def recommendation_view(rec: Any) -> dict[str, Any]:
    return {
        "rule_id": rec.rule_id,
        "title": rec.title,
        "why": rec.why,
        "why_sentences": rec.why_sentences(),
        "steps": list(rec.steps),
        "resource": rec.resource,
        "audience": rec.audience,
        "construct": CONSTRUCTS[rec.construct]["label"],
        "instrument_version": rec.trace.instrument_version,
        "trace": rec.trace_sentences(),
        "trace_heading": rec.trace_heading(),
        "rules_version": rec.trace.rules_version,
    }


# What a recommendation says that is fixed by its rule, the same on every team's page: a
# release stores it once (`RULES_PAGE`), and each team page only what is true of the team.
RULES_PAGE = "rules"
RULE_TEXT_FIELDS = (
    "title",
    "framing",
    "steps",
    "resource",
    "audience",
    "construct",
    "rules_version",
)


def stored_recommendation(rec: Mapping[str, Any], rule_texts: dict[str, Any]) -> dict[str, Any]:
    """`recommendation_view` as a team page stores it: its rule's fixed texts go to
    `rule_texts` (by rule id), the page keeps the facts that made the rule fire."""
    *facts, framing = rec["why_sentences"]
    rule_texts.setdefault(
        rec["rule_id"],
        {"framing": framing, **{k: rec[k] for k in RULE_TEXT_FIELDS if k != "framing"}},
    )
    return {
        "rule_id": rec["rule_id"],
        "facts": facts,
        "instrument_version": rec["instrument_version"],
        "trace": rec["trace"],
        "trace_heading": rec["trace_heading"],
    }


def shown_recommendation(rec: Mapping[str, Any], rule_texts: Mapping[str, Any]) -> dict[str, Any]:
    """`stored_recommendation` undone: the `recommendation_view` it was made from. A page
    stored before rule texts were stored apart is as it was."""
    if "facts" not in rec:
        return dict(rec)
    texts = rule_texts[rec["rule_id"]]
    why_sentences = [*rec["facts"], texts["framing"]]
    return {
        "rule_id": rec["rule_id"],
        "title": texts["title"],
        "why": " ".join(why_sentences),
        "why_sentences": why_sentences,
        "steps": list(texts["steps"]),
        "resource": texts["resource"],
        "audience": texts["audience"],
        "construct": texts["construct"],
        "instrument_version": rec["instrument_version"],
        "trace": rec["trace"],
        "trace_heading": rec["trace_heading"],
        "rules_version": texts["rules_version"],
    }


def with_rule_texts(page: Mapping[str, Any], rule_texts: Mapping[str, Any]) -> dict[str, Any]:
    """A stored team page with its recommendations whole again."""
    out = dict(page)
    for key in ("recs_team", "recs_leadership"):
        if key in out:
            out[key] = [shown_recommendation(r, rule_texts) for r in out[key]]
    return out


def free_text_view(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any]:
    """Classified counts of the group's actions, and the texts their authors allowed to quote.

    Quotes are sorted by text, not by submission, so their order says nothing about who
    answered when."""
    counts = dict.fromkeys(KIND_LABELS, 0)
    quotes: dict[str, list[str]] = {}
    for r in members:
        for t in r.texts:
            if t.kind is not None and t.kind != "duplicate":  # a duplicate is counted once
                counts[t.kind if t.kind in counts else "in_review"] += 1
            if t.may_quote:
                quotes.setdefault(t.item_key, []).append(t.text)
    by_key = {i.key: i for i in instrument.items}
    return {
        "action_counts": [
            {"kind": kind, "label": label, "count": counts[kind]}
            for kind, label in KIND_LABELS.items()
        ],
        "actions_total": sum(counts.values()),
        "quotes": [
            {
                "item": key,
                "question": by_key[key].text if key in by_key else key,
                # The same words from several people are shown once, with how many wrote them.
                "texts": [
                    {"text": text, "count": n}
                    for text, n in sorted(Counter(texts).items(), key=lambda tn: (-tn[1], tn[0]))
                ],
            }
            for key, texts in sorted(quotes.items())
        ],
    }


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
) -> dict[str, Any]:
    """A released team's page: scores, profile, practices, free text, recommendations, trend.

    `history`: earlier cycles' released construct means for this team, oldest first;
    `group`: the team's group result when already computed; `previous_items`: the previous
    cycle's name and released item means (`item_means_of_page`), for the change per item;
    `previous_page`: that cycle's stored page, whose spreads (answer counts, construct sd)
    test the changes. Without it no change is called better or worse."""
    n = len(members)
    group = group or group_result(instrument, f"team:{team.id}", team.name, members, threshold)
    agg = group.aggregate
    recs = [recommendation_view(r) for r in recommend(rules, group.facts)] if group.facts else []
    rows = construct_rows(agg)
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
        "free_text": free_text_view(instrument, members),
        "instrument_version": instrument.version,
        "sd_shown": sd_allowed(n, threshold),
    }
    before = construct_summaries(previous_page) if previous_page else {}
    view["trend"] = trend_view(
        [*history, (cycle_name, agg.means())],
        {c: (before.get(c), construct_summaries(view).get(c)) for c in CONSTRUCTS},
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
        then, now = _whole(row["previous"]), _whole(row["current"])
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


def _whole(value: float) -> int:
    """Rounded half up, as the templates' floatformat rounds."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


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


def trend_view(
    points: Sequence[tuple[str, Mapping[str, float | None]]], spreads: Spreads | None = None
) -> dict[str, Any] | None:
    """Released construct means over cycles, with the change over the last step. A change is
    called better or worse only when its interval excludes 0 (Welch, the constructs' intervals
    holding together at 95 %); `spreads`: each construct's released (then, now) summary.
    Without both, the change is shown as a number and not called either."""
    if len(points) < 2:
        return None
    keys = list(CONSTRUCTS)
    tests = differences.bonferroni_differences([(spreads or {}).get(k, (None, None)) for k in keys])
    tested = dict(zip(keys, tests, strict=True))
    series = [
        {
            "label": meta["label"],
            "polarity": meta["polarity"],
            "values": [means.get(key) for _, means in points],
        }
        for key, meta in CONSTRUCTS.items()
    ]
    (previous_name, previous), (current_name, current) = points[-2], points[-1]
    deltas = []
    for key, meta in CONSTRUCTS.items():
        before, now = previous.get(key), current.get(key)
        change = None if before is None or now is None else now - before
        d = tested[key]
        clear = bool(change and d and d.excludes_zero)
        improved = (change < 0) == (meta["polarity"] == "lower_is_better") if clear else None
        deltas.append(
            {
                "label": meta["label"],
                "change": change,
                "improved": improved,
                "low": d.low if d else None,
                "high": d.high if d else None,
                "tested": d is not None,
            }
        )
    return {
        "cycles": [name for name, _ in points],
        "series": series,
        "deltas": deltas,
        "from": previous_name,
        "to": current_name,
        "method": TREND_METHOD.format(
            m=len(keys), level=100 * differences.bonferroni_level(len(keys))
        ),
    }


@dataclass(frozen=True)
class Unit:
    """A released unit of the organisation view: a team or the pool, with its people."""

    key: str
    name: str
    slug: str
    members: tuple[Entry, ...]


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
    previous_constructs: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The organisation page over released units (teams and pool, or their cells under one
    filter value). Organisation-wide figures are over the union of the units shown, so no
    total minus the units reveals anyone left out. Leadership actions, enabler lift and
    quotes use the unfiltered page only."""
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
    view |= _org_charts(instrument, groups, counted)
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
    view |= _lift_view(instrument, counted, threshold, lift_withheld)
    view["free_text"] = free_text_view(instrument, counted)
    now = overall.aggregate.constructs
    trend = trend_view(
        [*history, (cycle_name, overall.aggregate.means())],
        {
            c: (
                summary_of_stats((previous_constructs or {}).get(c) or {}),
                summary_of_stats({"n": now[c].n, "mean": now[c].mean, "sd": now[c].sd}),
            )
            for c in CONSTRUCTS
        },
    )
    if trend:
        trend["chart"] = charts.trend_chart(
            "org-trend",
            trend["cycles"],
            [charts.TrendSeries.from_plain(s) for s in trend["series"]],
        )
    view["trend"] = trend
    ranked = rank_leadership_actions(rules, {g.name: g.facts for g in groups if g.facts})
    view["actions"] = [
        {
            "rule_id": a.rule.id,
            "title": a.rule.title,
            "why": a.rule.framing,
            "steps": list(a.rule.steps),
            "construct": CONSTRUCTS[a.rule.construct]["label"],
            "teams": list(a.teams),
            "teams_reporting": a.teams_reporting,
            "teams_label": a.teams_label(),
            "evidence_label": a.margin_label(),
            # Why, for the first teams only: a list of 150 teams' reasons helps nobody.
            "reasons": {team: a.plain_sentences(team) for team in a.teams[:REASONS_SHOWN]},
            "traces": {
                team: {"heading": a.traces[team].heading(), "sentences": a.traces[team].sentences()}
                for team in a.teams[:REASONS_SHOWN]
            },
            "more_teams": max(0, len(a.teams) - REASONS_SHOWN),
        }
        for a in ranked
    ]
    # The leadership actions that mend the governance chain, named beside it.
    view["governance_actions"] = [
        {"rule_id": a["rule_id"], "title": a["title"], "teams_label": a["teams_label"]}
        for a in view["actions"]
        if a["construct"] == CONSTRUCTS["governance_design"]["label"]
    ]
    return view


def _org_charts(
    instrument: Instrument, groups: Sequence[GroupResult], counted: Sequence[Entry]
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
        prevalence_rows.append(
            {
                "key": key,
                "label": meta["label"],
                "family": meta["family"],
                "share": share,
                "n": len(scored),
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
) -> dict[str, Any]:
    """Enabler lift over the organisation's released responses: findings only where they
    survive the false-discovery adjustment, ordered by strength of evidence. Cells that
    disclosure control withholds (reports/lift_rows.py) show no counts at all."""
    table = lift.lift_table(
        instrument,
        [(r.score, r.answers) for r in counted],
        withhold={cell: ANONYMITY_WITHHELD.format(k=threshold) for cell in withheld},
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


# --- Instrument v2 views: guardrail or gatekeeper, pressure, layers, real test, don't know ---

# "Agreeing" on a 5-point item: agree or strongly agree (option score 75 or more).
AGREE_MIN = 75.0
# A governance layer whose mean is below this breaks the chain policy -> controls -> operations.
# 50 is the middle of every scale: "sometimes", "neither agree nor disagree", half yes.
LAYER_BROKEN_BELOW = 50.0
LAYER_LABELS = {"policy": "Policy", "controls": "Controls", "operations": "Operations"}
LAYER_PLAIN = {
    "policy": "intent written down (limits, risk appetite)",
    "controls": "intent turned into product behaviour (filters, escalation, overrides)",
    "operations": "evidence from production (monitoring, logging, incident response)",
}
REAL_TEST_LABELS = {
    "explain": "Can explain exactly what happened",
    "prove": "Can prove why it happened",
    "prevent": "Can stop it happening again",
}
REAL_TEST_PARTS = {
    "explain": "explaining exactly what happened",
    "prove": "proving why it happened",
    "prevent": "stopping it happening again",
}
SELF_VIEW_ORDER = ("guardrail", "gatekeeper", "neither")
SELF_VIEW_SHORT = {
    "guardrail": "guardrails who steer and warn",
    "gatekeeper": "gatekeepers who can hold a release",
    "neither": "neither",
}
COMPARED_CONSTRUCTS = ("individual_practice", "collective_practice", "governance_design")


def _segment_options(instrument: Instrument, param: str) -> list[tuple[str, str]]:
    return filter_options(instrument).get(param, [])


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def self_view_split(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any] | None:
    """Guardrail / gatekeeper / neither among a released group's people: counts and shares.

    No means here: a self-view inside a group is an intersection the release did not plan.
    The organisation page compares guardrails and gatekeepers from the released self-view
    segments instead (`with_self_view_comparison`)."""
    options = dict(_segment_options(instrument, "view"))
    if not options:
        return None
    answered = [r for r in members if r.segments.get("view")]
    n = len(answered)
    ordered = dict.fromkeys((*[v for v in SELF_VIEW_ORDER if v in options], *options))
    rows = []
    for value in ordered:
        count = sum(r.segments.get("view") == value for r in answered)
        rows.append(
            {
                "value": value,
                "label": options[value],
                "count": count,
                "share": 100 * count / n if n else None,
            }
        )
    if not n:
        sentence = "Nobody in this group said how they see their own part."
    else:
        top = max(rows, key=lambda r: r["count"])
        sentence = (
            f"{top['count']} of {n} people ({top['share']:.0f}%) see themselves as "
            f"{_self_view_noun(top['value'], top['label'])}."
        )
    return {
        "n": n,
        "rows": rows,
        "compare": [],
        "compare_shown": False,
        "too_small": "Guardrails and gatekeepers are compared on the organisation dashboard, "
        "over released groups only.",
        "sentence": sentence,
    }


def with_self_view_comparison(
    org_page: dict[str, Any], segment_pages: Mapping[str, Mapping[str, Any] | None], threshold: int
) -> dict[str, Any]:
    """The (plain) organisation page with guardrails and gatekeepers compared.

    The means come from the released self-view segments (the pages `org?view=guardrail` and
    `org?view=gatekeeper`, which the disclosure plan released), never from people picked out
    of the page here. A segment is compared only when it has at least k people and the rest
    of the organisation page at least k too; otherwise the page says it is too small."""
    split = org_page.get("self_view")
    if not split or not org_page.get("visible"):
        return org_page
    total = org_page.get("n_counted", 0)
    sizes: dict[str, int] = {}
    means: dict[str, dict[str, float | None]] = {}
    spreads: dict[str, dict[str, differences.Summary | None]] = {}
    for value in ("guardrail", "gatekeeper"):
        page = segment_pages.get(value)
        n = page.get("n_counted", 0) if page and page.get("visible") else 0
        sizes[value] = n
        if n >= threshold and total - n >= threshold and page:
            constructs = page["overall"]["aggregate"]["constructs"]
            means[value] = {c: constructs[c]["mean"] for c in COMPARED_CONSTRUCTS}
            spreads[value] = {c: summary_of_stats(constructs[c]) for c in COMPARED_CONSTRUCTS}
    shown = len(means) == 2
    # Gatekeepers minus guardrails, the three intervals holding together at 95 %.
    tests = differences.bonferroni_differences(
        [
            (spreads.get("guardrail", {}).get(c), spreads.get("gatekeeper", {}).get(c))
            for c in COMPARED_CONSTRUCTS
        ]
    )
    split = dict(split)
    split["compare_shown"] = shown
    split["compare_n"] = sizes
    split["compare"] = [
        {
            "construct": c,
            "label": CONSTRUCTS[c]["label"],
            "guardrail": means.get("guardrail", {}).get(c),
            "gatekeeper": means.get("gatekeeper", {}).get(c),
            "low": d.low if d and shown else None,
            "high": d.high if d and shown else None,
            "finding": bool(d and shown and d.excludes_zero),
        }
        for c, d in zip(COMPARED_CONSTRUCTS, tests, strict=True)
    ]
    split["compare_finding"] = any(r["finding"] for r in split["compare"])
    split["compare_sentence"] = _compare_sentence(split["compare"], sizes) if shown else ""
    split["compare_method"] = COMPARE_METHOD.format(
        level=100 * differences.bonferroni_level(len(COMPARED_CONSTRUCTS)),
        m=len(COMPARED_CONSTRUCTS),
        sd_min=2 * threshold,
    )
    split["too_small"] = (
        ""
        if shown
        else "Guardrails and gatekeepers are compared only when each released group of them, "
        f"and everyone else, counts at least {threshold} people; here at least one is too small."
    )
    return {**org_page, "self_view": split}


def _compare_sentence(rows: Sequence[Mapping[str, Any]], sizes: Mapping[str, int]) -> str:
    """How guardrails and gatekeepers differ: the differences whose interval excludes 0
    first, largest first; the rest as "no clear difference", with their numbers; with the
    sizes of the released groups compared (smaller than the split when some teams have too
    few)."""
    parts, unclear, untested = [], [], []
    for c in sorted(
        (c for c in rows if c["guardrail"] is not None and c["gatekeeper"] is not None),
        key=lambda c: (not c.get("finding"), -abs(c["gatekeeper"] - c["guardrail"])),
    ):
        guard, gate, label = _whole(c["guardrail"]), _whole(c["gatekeeper"]), _lower(c["label"])
        if c.get("low") is None:
            untested.append(f"{label} (guardrails {guard}, gatekeepers {gate})")
            continue
        interval = f"interval {c['low']:.0f} to {c['high']:.0f}"
        if not c.get("finding"):
            unclear.append(f"{label} (guardrails {guard}, gatekeepers {gate}; {interval})")
            continue
        high, low, who = (
            (gate, guard, "gatekeepers") if gate > guard else (guard, gate, "guardrails")
        )
        parts.append(f"{who} score {high - low} higher on {label} ({high} vs {low}; {interval})")
    if unclear:
        parts.append("no clear difference on " + _and_list(unclear))
    if untested:
        parts.append(
            "not tested, as a spread is not released for so few people, on " + _and_list(untested)
        )
    if not parts:
        return ""
    return (
        f"Compared over the released groups ({sizes.get('guardrail', 0)} guardrails, "
        f"{sizes.get('gatekeeper', 0)} gatekeepers): " + "; ".join(parts) + "."
    )


def _lower(label: str) -> str:
    """A label inside a sentence: first letter lower case, the rest (e.g. "AI") as it is."""
    return label[:1].lower() + label[1:]


def _self_view_noun(value: str, label: str) -> str:
    return {
        "guardrail": "guardrails who steer and warn",
        "gatekeeper": "gatekeepers who can hold a release",
        "neither": "neither: it is not part of their role",
    }.get(value, label)


def pressure_view(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any] | None:
    """Delivery pressure in a released group: how many agree they are under strong pressure."""
    options = _segment_options(instrument, "pressure")
    if not options:
        return None
    answered = [r.segments.get("pressure") for r in members if r.segments.get("pressure")]
    high = sum(v in {"agree", "strongly_agree"} for v in answered)
    n = len(answered)
    return {
        "n": n,
        "high": high,
        "share": 100 * high / n if n else None,
        "counts": [{"label": label, "count": answered.count(v)} for v, label in options],
        "label": (
            f"{high} of {n} feel strong pressure to ship"
            if n
            else "No answers on delivery pressure"
        ),
    }


def _item_scores_of(members: Sequence[Entry], key: str) -> list[float]:
    return [s for r in members if (s := _item_score(r, "governance_design", key)) is not None]


def layer_view(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any] | None:
    """Governance layer means, policy -> controls -> operations, and where the chain breaks."""
    layered = [i for i in instrument.items if i.layer]
    if not layered:
        return None
    rows = []
    level = differences.bonferroni_level(len(LAYER_LABELS))
    for layer in ("policy", "controls", "operations"):
        keys = [i.key for i in layered if i.layer == layer]
        # Each person's answers to the layer's items, kept together: the interval counts people.
        people = [
            [s for key in keys if (s := _item_score(r, "governance_design", key)) is not None]
            for r in members
        ]
        scores = [s for person in people for s in person]
        interval = differences.clustered_mean_interval(people, level)
        rows.append(
            {
                "layer": layer,
                "label": LAYER_LABELS[layer],
                "plain": LAYER_PLAIN[layer],
                "mean": _mean(scores),
                "answers": len(scores),
                "items": len(keys),
                "low": interval.low if interval else None,
                "high": interval.high if interval else None,
                "side": differences.side_of(interval, LAYER_BROKEN_BELOW) if scores else None,
            }
        )
    broken = next((r for r in rows if r["mean"] is not None and _layer_side(r) == "below"), None)
    return {
        "rows": rows,
        "broken": broken["layer"] if broken else None,
        "sentence": _chain(rows),
        "rule": LAYER_RULE.format(cut=LAYER_BROKEN_BELOW, level=100 * level),
    }


def _layer_side(row: Mapping[str, Any]) -> str:
    """Below, above or across the cut: from the row's interval, or from its mean alone
    where it has none (a degenerate interval)."""
    if "side" in row:
        return str(row["side"])
    mean = float(row["mean"])
    return differences.side_of(differences.Interval(mean, mean, mean, 1.0), LAYER_BROKEN_BELOW)


def _chain(rows: Sequence[Mapping[str, Any]]) -> str:
    known = [r for r in rows if r["mean"] is not None]
    if len(known) < len(rows):
        return (
            "Not every layer has answers this group may show (too few answered, or they are"
            " withheld to keep answers anonymous), so the chain cannot be read."
        )
    cut = f"{LAYER_BROKEN_BELOW:.0f}"
    for before, row in zip([None, *rows], rows, strict=False):
        if _layer_side(row) != "below":
            continue
        if before is None:
            return (
                f"The chain breaks at the start: policy scores {row['mean']:.0f} of 100 "
                f"(below {cut}), so there is little written intent for controls to enforce."
            )
        return (
            f"The chain breaks between {before['label'].lower()} ({before['mean']:.0f}) and "
            f"{row['label'].lower()} ({row['mean']:.0f}, below {cut}): "
            + (
                "intent is written down but not turned into product behaviour."
                if row["layer"] == "controls"
                else "controls exist but there is little evidence from production that they work."
            )
        )
    unclear = [r for r in rows if _layer_side(r) == "unclear"]
    if unclear:
        return (
            "No layer is clearly below "
            f"{cut}, but the chain cannot be called whole either: "
            + _and_list([f"{r['label'].lower()} ({r['mean']:.0f})" for r in unclear])
            + f" could be on either side of {cut} with this many people."
        )
    return f"The chain holds: every layer scores {cut} or more."


def real_test_view(instrument: Instrument, members: Sequence[Entry]) -> list[dict[str, Any]]:
    """The three parts of the real test: share of people agreeing they can explain, prove and
    prevent, with counts."""
    rows = []
    level = differences.bonferroni_level(len(REAL_TEST_LABELS))
    for part in ("explain", "prove", "prevent"):
        item = next((i for i in instrument.items if i.real_test == part), None)
        if item is None:
            continue
        scores = _item_scores_of(members, item.key)
        agree = sum(s >= AGREE_MIN for s in scores)
        interval = differences.wilson_interval(agree, len(scores), level)
        side = differences.side_of(interval, 0.5) if scores else None
        rows.append(
            {
                "part": part,
                "label": REAL_TEST_LABELS[part],
                "text": item.text,
                "agree": agree,
                "n": len(scores),
                "share": 100 * agree / len(scores) if scores else None,
                "low": 100 * interval.low if interval else None,
                "high": 100 * interval.high if interval else None,
                # Fails (or passes) only when the whole interval of the share is under (at
                # or over) half: 3 of 8 agreeing is not evidence that fewer than half do.
                "failed": side == "below",
                "passed": side == "above",
            }
        )
    return rows


def dont_know_rows(instrument: Instrument, members: Sequence[Entry]) -> list[dict[str, Any]]:
    """Per construct: how often people answered "don't know", and where the instrument counts
    it (e.g. towards uncertainty)."""
    rows = []
    for key, meta in CONSTRUCTS.items():
        dk = sum(r.score.constructs[key].dont_know for r in members)
        asked = dk + sum(r.score.constructs[key].answered for r in members)
        if not any(o.dont_know for i in instrument.items if i.construct == key for o in i.options):
            continue
        rule = instrument.dont_know.get(key)
        target = rule.counts_towards if rule and rule.counts_towards in CONSTRUCTS else None
        rows.append(
            {
                "key": key,
                "label": meta["label"],
                "dont_know": dk,
                "asked": asked,
                "rate": 100 * dk / asked if asked else None,
                "counts_towards": CONSTRUCTS[target]["label"] if target else None,
            }
        )
    return rows


def real_test_sentence(rows: Sequence[Mapping[str, Any]]) -> str:
    """The real test in one sentence: which parts the group fails, with counts."""
    answered = [r for r in rows if r["n"]]
    if not answered:
        return (
            "No answers to the real test can be shown for this group yet (too few answered,"
            " or they are withheld to keep answers anonymous)."
        )
    failed = [r for r in answered if r["failed"]]

    def part(r: Mapping[str, Any]) -> str:
        return f"{REAL_TEST_PARTS[r['part']]} ({r['agree']} of {r['n']} agree, {r['share']:.0f}%)"

    # Rows without "passed" (from before intervals) pass whenever they do not fail.
    passed = [r for r in answered if not r["failed"] and r.get("passed", True)]
    unclear = [r for r in answered if not r["failed"] and r not in passed]
    not_clear = (
        "not clear yet on " + ", ".join(part(r) for r in unclear) + " (too few people to tell "
        "whether more or fewer than half agree)"
    )
    if not failed and not unclear:
        return (
            f"Passes all {len(answered)} parts of the real test: at least half agree they can "
            "explain what happened, prove why and stop it happening again."
        )
    if not failed:
        head = "Clearly fails no part of the real test; "
        if passed:
            head += "passes on " + ", ".join(part(r) for r in passed) + "; "
        return head + not_clear + "."
    head = (
        "Fails every part of the real test: "
        if len(failed) == len(answered)
        else f"Fails {len(failed)} of {len(answered)} parts of the real test: "
    )
    tail = "; passes on " + ", ".join(part(r) for r in passed) if passed else ""
    tail += "; " + not_clear if unclear else ""
    return head + " and ".join(part(r) for r in failed) + tail + "."


def self_view_headline(split: Mapping[str, Any] | None) -> str:
    """Guardrails or gatekeepers, as a verdict: which the group's people mostly are."""
    if not split or not split.get("n"):
        return ""
    by = {r["value"]: r for r in split["rows"]}
    guard, gate = by.get("guardrail"), by.get("gatekeeper")
    if not guard or not gate:
        return split.get("sentence", "")
    if guard["count"] > gate["count"]:
        verdict = "More guardrails than gatekeepers, as the research found"
    elif gate["count"] > guard["count"]:
        verdict = "More gatekeepers than guardrails, unlike the research's typical case"
    else:
        verdict = "As many guardrails as gatekeepers"
    parts = [
        f"{r['count']} of {split['n']} ({r['share']:.0f}%) "
        + SELF_VIEW_SHORT.get(r["value"], r["label"])
        for r in split["rows"]
    ]
    return f"{verdict}: " + "; ".join(parts) + "."


def v2_views(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any]:
    """Every instrument-v2 view of one released group (team, or the organisation's units)."""
    views: dict[str, Any] = {
        "self_view": self_view_split(instrument, members),
        "pressure": pressure_view(instrument, members),
        "layers": layer_view(instrument, members),
        "real_test": real_test_view(instrument, members),
        "real_test_rule": REAL_TEST_RULE.format(
            level=100 * differences.bonferroni_level(len(REAL_TEST_LABELS))
        ),
        "dont_know_rows": dont_know_rows(instrument, members),
        "dont_know_method": instrument.methods,
    }
    # The three things a leader reads first: who can stop a launch, where the chain breaks,
    # which part of the real test fails.
    views["glance"] = {
        "self_view": self_view_headline(views["self_view"]),
        "layers": views["layers"]["sentence"] if views["layers"] else "",
        "real_test": real_test_sentence(views["real_test"]) if views["real_test"] else "",
    }
    return views


def governance_by_group(instrument: Instrument, units: Sequence[Unit]) -> dict[str, Any] | None:
    """Across the released units (teams and the pool): in how many the governance chain
    breaks at each layer, and how many fail each part of the real test. Counts of released
    groups, computed over each group's own released people."""
    if not any(i.layer for i in instrument.items):
        return None
    breaks = dict.fromkeys((*LAYER_LABELS, "holds", "unclear", "unread"), 0)
    failing = dict.fromkeys(REAL_TEST_LABELS, 0)
    unclear_parts = 0
    for u in units:
        layers = layer_view(instrument, u.members)
        if layers:
            known = all(r["mean"] is not None for r in layers["rows"])
            whole = known and all(r["side"] == "above" for r in layers["rows"])
            breaks[
                layers["broken"] or ("unread" if not known else "holds" if whole else "unclear")
            ] += 1
        for row in real_test_view(instrument, u.members):
            failing[row["part"]] += int(row["failed"])
            unclear_parts += int(not row["failed"] and not row.get("passed", True))
    n = len(units)
    said = []
    at = [
        f"at {label.lower()} in {breaks[key]}" for key, label in LAYER_LABELS.items() if breaks[key]
    ]
    if at:
        said.append("breaks " + _and_list(at))
    if breaks["holds"]:
        said.append(f"holds in {breaks['holds']}")
    if breaks["unclear"]:
        said.append(f"is neither clearly broken nor clearly whole in {breaks['unclear']}")
    if breaks["unread"]:
        said.append(f"cannot be read yet in {breaks['unread']}")
    groups = f"{n} group{'s' if n != 1 else ''}"
    chain = f"Across {groups}, the chain " + "; it ".join(said) + "." if said else ""
    real_test = (
        f"Of {groups}, clearly fewer than half agree on "
        + _and_list([f"{REAL_TEST_PARTS[p]} in {failing[p]}" for p in REAL_TEST_LABELS])
        + "."
        + (
            " Elsewhere, some parts cannot be told apart from half with so few people."
            if unclear_parts
            else ""
        )
    )
    return {
        "groups": n,
        "breaks": breaks,
        "real_test_failing": failing,
        "layers_sentence": chain,
        "real_test_sentence": real_test,
    }


def _and_list(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
    only when it is a finding over all the rows (`differences.changes_found`), from the
    (then, now) item `spreads`; otherwise `improved` is None."""
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
    found = differences.changes_found([(then.get(r["key"]), now.get(r["key"])) for r in rows])
    for row, (d, q, finding) in zip(rows, found, strict=True):
        row |= {"low": d.low if d else None, "high": d.high if d else None, "q": q}
        row["finding"] = finding
        if not finding:
            row["improved"] = None
    return rows
