"""What the dashboards may state as a finding, read off released groups: the summaries a
test needs (from stored pages), the rules' and methods' texts the pages show, and whether a
profile is near its line. The statistics are in assessments/differences.py; the pages that
use these are built in reports/dashboards/. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from assessments import differences
from assessments.instrument.types import CONSTRUCTS, Instrument
from assessments.scoring.group import GroupAggregate

Spreads = Mapping[str, tuple["differences.Summary | None", "differences.Summary | None"]]


def near_the_line(agg: GroupAggregate, threshold: float) -> dict[str, Any]:
    """Whether the profile could be another one: a practice mean whose interval (the two
    holding together at 95 %) spans the line between low and high. Not decided where the
    spread is not released."""
    near, unknown = [], False
    level = differences.bonferroni_level(2)
    for key in ("individual_practice", "collective_practice"):
        s = agg.constructs[key]
        if s.mean is None or s.sd is None:
            unknown = True
            continue
        interval = differences.summary_interval(differences.Summary(s.n, s.mean, s.sd), level)
        if differences.side_of(interval, threshold) == "unclear" and interval:
            near.append(
                f"{_lower(CONSTRUCTS[key]['label'])} {s.mean:.0f} (interval "
                f"{interval.low:.0f} to {interval.high:.0f})"
            )
    note = (
        f"Near the line: {_and_list(near)} could be on either side of {threshold:.0f} with "
        "this many people, so the profile could be another one."
        if near
        else ""
    )
    return {"near_line": bool(near) if not unknown or near else None, "near_line_note": note}


# The four kinds of difference or change a dashboard states (guardrails vs gatekeepers, the
# organisation's trend, a team's trend, question-by-question changes) share the 5 % chance of
# stating noise (Bonferroni): 1.25 % each, so each family holds at 98.75 % and a dashboard
# where nothing differs or changes states any of them at most 1 time in 20 (the audit:
# benchmarks/null_dashboards.py, `null_dashboard_claim_rate`).
CLAIM_FAMILIES = 4
FAMILY_ALPHA = (1.0 - differences.LEVEL) / CLAIM_FAMILIES
FAMILY_LEVEL = 1.0 - FAMILY_ALPHA

FAMILY_SHARE = (
    "The four kinds of finding a dashboard states (guardrails vs gatekeepers, the "
    "organisation's trend, a team's trend, question-by-question changes) share a 5 % chance "
    "of stating noise, 1.25 % each (Bonferroni), so where nothing differs or changes a "
    "dashboard states any of them at most 1 time in 20."
)


def family_level(comparisons: int) -> float:
    """Each interval's level so that a family's `comparisons` hold together at
    `FAMILY_LEVEL`."""
    return differences.bonferroni_level(comparisons, FAMILY_LEVEL)


TREND_METHOD = (
    "A change is called better or worse only where its interval (Welch, the {m} constructs' "
    "intervals holding together at 98.75 %: {level:.2f} % each) excludes 0; other changes "
    "are shown as numbers only. A change is not tested where a cycle's spread was not "
    "released (groups under twice the anonymity threshold) or is not at hand. " + FAMILY_SHARE
)


ITEM_CHANGE_METHOD = (
    "A question is called better or worse only where the change passes a test: Welch's "
    "interval from both cycles' answer counts, with the false-discovery rate over all the "
    "questions compared held at 1.25 % (Benjamini–Hochberg), so that where nothing changed, "
    "1 page in 80 at most calls any question better or worse. The rest show their numbers "
    "as they are: no clear change. " + FAMILY_SHARE
)


def construct_summaries(page: Mapping[str, Any]) -> dict[str, differences.Summary]:
    """A stored team page's released construct summaries (where its sd was released)."""
    rows = page.get("constructs") or () if page.get("visible", True) else ()
    return {r["key"]: s for r in rows if (s := summary_of_stats(r)) is not None}


def item_summaries(
    instrument: Instrument, page: Mapping[str, Any], threshold: int
) -> dict[str, differences.Summary]:
    """Each released item's n, mean and sd, from a stored page's drilldown answer counts
    (counts in the order of the item's options here; an item whose options changed, or
    whose counts do not add up to its n, has none)."""
    if not page.get("visible"):
        return {}
    items = {i.key: i for i in instrument.items}
    out = {}
    for construct in page.get("drilldown") or ():
        for row in construct.get("items", ()):
            item = items.get(row["key"])
            n, mean, counts = row.get("n"), row.get("mean"), row.get("counts") or ()
            if item is None or mean is None or not n or n < threshold:
                continue
            if len(counts) != len(item.options):
                continue
            scored = tuple(
                (o.score, c)
                for o, c in zip(item.options, counts, strict=True)
                if o.score is not None
            )
            spread = _count_spread(scored)
            if spread is not None and spread[0] == n:
                out[item.key] = differences.Summary(n, float(mean), spread[1], scored)
    return out


@lru_cache(maxsize=65536)
def _count_spread(scored: tuple[tuple[float, int], ...]) -> tuple[int, float] | None:
    """n and sd of answers given as (score, how many): the same counts recur across the
    questions and teams of a release."""
    s = differences.summary_from_counts(scored)
    return None if s is None else (s.n, s.sd)


LAYER_RULE = (
    "A layer breaks the chain when its mean is clearly below {cut:.0f} of 100 (the middle of "
    "every scale: sometimes, neither agree nor disagree, half yes): its interval, counting "
    "people rather than answers, lies wholly below {cut:.0f}. The three intervals hold "
    "together at 95 % ({level:.1f} % each). A layer whose interval spans {cut:.0f} is "
    "neither broken nor whole yet: three noisy means are not ranked."
)


SELF_VIEW_RULE = (
    "“More guardrails” (or gatekeepers) is said only where the two counts differ by more "
    "than a coin toss would make them 1 time in 20 (an exact two-sided sign test over the "
    "people who chose one of the two). Otherwise the counts are shown as they are."
)


REAL_TEST_RULE = (
    "A part fails when clearly fewer than half agree (agree or strongly agree): the whole "
    "interval of the share is below 50 %; it passes when the whole interval is at or above "
    "50 %. The three intervals hold together at 95 % (Wilson, {level:.1f} % each)."
)


COMPARE_METHOD = (
    "A difference between guardrails and gatekeepers is stated only where its interval "
    "(gatekeepers minus guardrails, Welch) excludes 0. The {m} intervals hold together at "
    "98.75 % (Bonferroni: {level:.2f} % each), so in an organisation where the two do not "
    "differ at all, a difference is stated at most 1 time in 80. A group's spread is released "
    "only from {sd_min} people; without it the difference is not tested. " + FAMILY_SHARE
)


def summary_of_stats(stats: Mapping[str, Any]) -> differences.Summary | None:
    """A released construct's n, mean and sd; None where the sd was not released."""
    if stats.get("mean") is None or stats.get("sd") is None:
        return None
    return differences.Summary(int(stats["n"]), float(stats["mean"]), float(stats["sd"]))


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


def _and_list(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
