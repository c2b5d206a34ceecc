"""Instrument v2 views of a released group: guardrail or gatekeeper, delivery pressure,
governance layers, the real test and "don't know", and their counts across the units."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessments import differences
from assessments.instrument.types import CONSTRUCTS, Instrument

from ..claims import (
    COMPARE_METHOD,
    FAMILY_LEVEL,
    LAYER_RULE,
    REAL_TEST_RULE,
    SELF_VIEW_RULE,
    summary_of_stats,
)
from .entries import Entry, Unit, filter_options
from .groups import item_score, whole

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
    rows: list[dict[str, Any]] = []
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
    # Gatekeepers minus guardrails, the three intervals holding together at this claim
    # family's level (its share of the dashboard's 5 %, claims.FAMILY_LEVEL).
    tests = differences.bonferroni_differences(
        [
            (spreads.get("guardrail", {}).get(c), spreads.get("gatekeeper", {}).get(c))
            for c in COMPARED_CONSTRUCTS
        ],
        FAMILY_LEVEL,
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
        level=100 * differences.bonferroni_level(len(COMPARED_CONSTRUCTS), FAMILY_LEVEL),
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
        guard, gate, label = whole(c["guardrail"]), whole(c["gatekeeper"]), _lower(c["label"])
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
    return [s for r in members if (s := item_score(r, "governance_design", key)) is not None]


def layer_view(instrument: Instrument, members: Sequence[Entry]) -> dict[str, Any] | None:
    """Governance layer means, policy -> controls -> operations, and where the chain breaks."""
    layered = [i for i in instrument.items if i.layer]
    if not layered:
        return None
    rows: list[dict[str, Any]] = []
    level = differences.bonferroni_level(len(LAYER_LABELS))
    for layer in ("policy", "controls", "operations"):
        keys = [i.key for i in layered if i.layer == layer]
        # Each person's answers to the layer's items, kept together: the interval counts people.
        people = [
            [s for key in keys if (s := item_score(r, "governance_design", key)) is not None]
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
    rows: list[dict[str, Any]] = []
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
    rows: list[dict[str, Any]] = []
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
    """Guardrails or gatekeepers, as a verdict: which the group's people mostly are, said
    only where the counts show it (`SELF_VIEW_RULE`); the counts follow either way."""
    if not split or not split.get("n"):
        return ""
    by = {r["value"]: r for r in split["rows"]}
    guard, gate = by.get("guardrail"), by.get("gatekeeper")
    if not guard or not gate:
        return split.get("sentence", "")
    clear = differences.sign_test_p(guard["count"], gate["count"]) <= 1.0 - differences.LEVEL
    if guard["count"] == gate["count"]:
        verdict = "As many guardrails as gatekeepers"
    elif clear and guard["count"] > gate["count"]:
        verdict = "More guardrails than gatekeepers, as the research found"
    elif clear:
        verdict = "More gatekeepers than guardrails, unlike the research's typical case"
    else:  # 5 against 3 is what chance gives as often as not
        verdict = "No clear majority of guardrails or gatekeepers yet (too few people to tell)"
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
        "self_view_rule": SELF_VIEW_RULE,
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
