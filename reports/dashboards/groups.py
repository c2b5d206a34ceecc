"""One released group's figures (team, pool, filter cell, organisation): its aggregate with
what must never be shown taken out, the facts the rules read, and its per-construct,
per-item, free-text and trend tables.

Spread follows one rule (`sd_allowed`): no minimum or maximum for any group, a standard
deviation only where n >= 2k. Free text is quoted only where its author allowed it, and
only inside a released group; elsewhere it is counted."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from assessments import differences
from assessments.instrument.types import CONSTRUCTS, PRACTICE_CATEGORIES, Instrument
from assessments.recommend.facts import Facts, facts_from_aggregate
from assessments.scoring.group import (
    ConstructStats,
    GroupAggregate,
    aggregate,
    item_counts,
    item_distribution,
)
from assessments.scoring.profile import decoupling_gap, recoupling_profile

from .. import claims
from ..claims import Spreads
from .entries import CATEGORY_LABELS, KIND_LABELS, Entry


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
    all_items, all_answered = item_counts(
        instrument, [r.answers for r in members], [r.shown for r in members]
    )
    # An item fewer than k people answered (one shown only under a show_if condition, say)
    # tells the rules nothing: a share over one or two people is their answers.
    distribution, answered = _items_over_k(all_items, all_answered, threshold)
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
            score = item_score(r, item.construct or "", item.key)
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


def item_score(r: Entry, construct: str, key: str) -> float | None:
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
            scores = [s for r in members if (s := item_score(r, key, item.key)) is not None]
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


def free_text_view(
    instrument: Instrument, members: Sequence[Entry], quoted: Sequence[Entry] | None = None
) -> dict[str, Any]:
    """Classified counts of the group's actions, and the texts their authors allowed to quote
    among `quoted` (default: the members; a release passes the versions whose texts have
    their home here, reports/text_homes.py).

    Quotes are sorted by text, not by submission, so their order says nothing about who
    answered when."""
    counts = dict.fromkeys(KIND_LABELS, 0)
    quotes: dict[str, list[str]] = {}
    for r in members:
        for t in r.texts:
            if t.kind is not None and t.kind != "duplicate":  # a duplicate is counted once
                counts[t.kind if t.kind in counts else "in_review"] += 1
    for r in members if quoted is None else quoted:
        for t in r.texts:
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


def whole(value: float) -> int:
    """Rounded half up, as the templates' floatformat rounds."""
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def trend_view(
    points: Sequence[tuple[str, Mapping[str, float | None]]], spreads: Spreads | None = None
) -> dict[str, Any] | None:
    """Released construct means over cycles, with the change over the last step. A change is
    called better or worse only when its interval excludes 0 (Welch, the constructs' intervals
    holding together at the trend family's level, `claims.TREND_METHOD`); `spreads`: each
    construct's released (then, now) summary. Without both, the change is shown as a number
    and not called either."""
    if len(points) < 2:
        return None
    keys = list(CONSTRUCTS)
    level = claims.family_level(len(keys))
    tests = differences.bonferroni_differences(
        [(spreads or {}).get(k, (None, None)) for k in keys], level
    )
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
        improved = (
            (change < 0) == (meta["polarity"] == "lower_is_better")
            if clear and change is not None
            else None
        )
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
        "method": claims.TREND_METHOD.format(m=len(keys), level=100 * level),
    }
