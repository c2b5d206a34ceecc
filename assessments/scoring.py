"""Answers in, construct scores out: the scoring rules of Recouple as pure functions.

Nothing here touches the ORM, a request or settings. Every number carries what produced
it (items, answers, weights, thresholds) so a page can answer "why is it this?".
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

from assessments.instrument import (
    CONSTRUCTS,
    ENABLERS,
    PRACTICE_CONSTRUCTS,
    Answers,
    AnswerValue,
    Instrument,
    Item,
    Option,
    Thresholds,
    visible_item_keys,
)
from assessments.vocabulary import VOCABULARY

# "dont_know_counted": a "don't know" to an item of another construct, counted here as the
# instrument file's `dont_know` rules declare (instrument v2 on): it carries a score.
ItemStatus = Literal[
    "scored", "dont_know", "not_applicable", "unanswered", "hidden", "dont_know_counted"
]

# Two-sided 95% normal quantile, for the enabler-lift interval.
_Z95 = statistics.NormalDist().inv_cdf(0.975)


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _label(construct: str) -> str:
    return CONSTRUCTS[construct]["label"]


# --- One response ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemContribution:
    """One item's part in a construct score: the answer, its score and why it counts or not."""

    item_key: str
    item_text: str
    answer: AnswerValue | None
    option_label: str | None  # labels of the chosen option(s), "; "-joined for several
    raw_score: float | None  # option score (mean of chosen options) before reverse coding
    score: float | None  # after reverse coding; None unless status == "scored"
    weight: float
    reverse: bool
    status: ItemStatus

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_key": self.item_key,
            "text": self.item_text,
            "answer": self.answer,
            "option_label": self.option_label,
            "raw_score": _round(self.raw_score),
            "score": _round(self.score),
            "weight": self.weight,
            "reverse": self.reverse,
            "status": self.status,
        }


# Stored contributions repeat (the same item, answer and score in many responses); they are
# frozen, so a release rebuilding thousands of responses shares one object per distinct one.
_STORED: dict[tuple[Any, ...], ItemContribution] = {}
_STORED_CACHE_SIZE = 100_000


def _stored_contribution(i: Mapping[str, Any]) -> ItemContribution:
    answer, weight = i["answer"], i["weight"]
    values = (
        i["item_key"],
        i["text"],
        answer,
        i["option_label"],
        i["raw_score"],
        i["score"],
        weight,
        i["reverse"],
        i["status"],
    )
    if answer is not None and not isinstance(answer, str):  # a list: not hashable, not shared
        return ItemContribution(*values)
    # 1 and 1.0 are equal keys, but not the same JSON: the numbers' types are in the key.
    key = (*values, type(weight), type(values[4]), type(values[5]))
    shared = _STORED.get(key)
    if shared is None:
        if len(_STORED) >= _STORED_CACHE_SIZE:
            _STORED.clear()
        shared = _STORED[key] = ItemContribution(*values)
    return shared


@dataclass(frozen=True)
class ConstructScore:
    """A construct's score for one response, with the item contributions behind it."""

    construct: str
    score: float | None  # weighted mean of scored items; None when none was scored
    answered: int  # items that received a scored answer
    dont_know: int
    not_applicable: int
    items: tuple[ItemContribution, ...]

    @property
    def label(self) -> str:
        return _label(self.construct)

    @property
    def family(self) -> str:
        return CONSTRUCTS[self.construct]["family"]

    @property
    def polarity(self) -> str:
        return CONSTRUCTS[self.construct]["polarity"]

    @property
    def dont_know_share(self) -> float:
        """Share of "don't know" among the items answered with a score or "don't know"."""
        asked = self.answered + self.dont_know
        return self.dont_know / asked if asked else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "family": self.family,
            "polarity": self.polarity,
            "score": _round(self.score),
            "answered": self.answered,
            "dont_know": self.dont_know,
            "not_applicable": self.not_applicable,
            "dont_know_share": round(self.dont_know_share, 3),
            "items": [c.to_dict() for c in self.items],
        }


# The five profile states and their texts, from the vocabulary file.
PROFILE_STATES: dict[str, dict[str, str]] = VOCABULARY.profile_table()


@dataclass(frozen=True)
class ProfileResult:
    """Where a response or team sits on individual vs collective practice."""

    state: str  # a PROFILE_STATES key
    individual: float | None
    collective: float | None
    threshold: float  # practice_high
    explanation_rule: str

    @property
    def label(self) -> str:
        return PROFILE_STATES[self.state]["label"]

    @property
    def summary(self) -> str:
        return PROFILE_STATES[self.state]["summary"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "label": self.label,
            "individual": _round(self.individual),
            "collective": _round(self.collective),
            "threshold": self.threshold,
            "explanation": self.explanation_rule,
        }


def _level(name: str, score: float, threshold: float) -> str:
    if score >= threshold:
        return f"{name} {score:.0f} is at or above {threshold:g} (high)"
    return f"{name} {score:.0f} is below {threshold:g} (low)"


def recoupling_profile(
    individual: float | None, collective: float | None, thresholds: Thresholds
) -> ProfileResult:
    """Place individual and collective practice scores in one of four profile states.

    A practice is high at or above `thresholds.practice_high`; a missing score on either
    axis gives "insufficient_data".
    """
    threshold = thresholds.practice_high
    if individual is None or collective is None:
        missing = [
            name
            for name, value in (("individual", individual), ("collective", collective))
            if value is None
        ]
        return ProfileResult(
            "insufficient_data",
            individual,
            collective,
            threshold,
            f"No score for {' or '.join(missing)} practice, so no profile.",
        )
    states = {
        (False, False): "decoupled",
        (True, False): "guardrails_without_backing",
        (False, True): "top_down_only",
        (True, True): "recoupled",
    }
    state = states[(individual >= threshold, collective >= threshold)]
    rule = (
        f"{_level('Individual practice', individual, threshold)}; "
        f"{_level('collective practice', collective, threshold)}: "
        f"{PROFILE_STATES[state]['label'].lower()}."
    )
    return ProfileResult(state, individual, collective, threshold, rule)


@dataclass(frozen=True)
class GapResult:
    """The decoupling gap: enablers in place while a practice stays low."""

    present: bool
    enablers_high: tuple[str, ...]
    practices_low: tuple[str, ...]
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "enablers_high": list(self.enablers_high),
            "practices_low": list(self.practices_low),
            "explanation": self.explanation,
        }


def decoupling_gap(constructs: Mapping[str, float | None], thresholds: Thresholds) -> GapResult:
    """Whether principles or leadership are high while a practice construct is low.

    `constructs` maps construct keys to scores (None or absent when unknown).
    """
    enablers_high = tuple(
        c
        for c in ENABLERS
        if (s := constructs.get(c)) is not None and s >= thresholds.gap_enabler_min
    )
    practices_low = tuple(
        c
        for c in PRACTICE_CONSTRUCTS
        if (s := constructs.get(c)) is not None and s < thresholds.gap_practice_max
    )
    present = bool(enablers_high and practices_low)
    if present:
        explanation = (
            f"{' and '.join(_label(c) for c in enablers_high)} at or above "
            f"{thresholds.gap_enabler_min:g}, yet {' and '.join(_label(c) for c in practices_low)}"
            f" below {thresholds.gap_practice_max:g}: principle and practice have come apart."
        )
    elif not enablers_high:
        explanation = (
            f"No gap: neither enabler is at or above {thresholds.gap_enabler_min:g}, so there is "
            "no backing for practice to fall short of."
        )
    else:
        explanation = (
            f"No gap: no practice construct is below {thresholds.gap_practice_max:g} "
            "(or none has a score)."
        )
    return GapResult(present, enablers_high, practices_low, explanation)


@dataclass(frozen=True)
class ResponseScore:
    """All construct scores of one response, its recoupling profile and decoupling gap."""

    instrument_version: str
    constructs: dict[str, ConstructScore]
    profile: ProfileResult
    gap: GapResult

    def score(self, construct: str) -> float | None:
        return self.constructs[construct].score

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the `manage.py score --json` contract)."""
        return {
            "instrument_version": self.instrument_version,
            "constructs": {k: c.to_dict() for k, c in self.constructs.items()},
            "profile": self.profile.to_dict(),
            "decoupling_gap": self.gap.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResponseScore:
        """Rebuild a stored `to_dict()` (scores as stored: rounded to one decimal)."""
        constructs = {
            key: ConstructScore(
                construct=key,
                score=c["score"],
                answered=c["answered"],
                dont_know=c["dont_know"],
                not_applicable=c["not_applicable"],
                items=tuple(_stored_contribution(i) for i in c["items"]),
            )
            for key, c in data["constructs"].items()
        }
        p, g = data["profile"], data["decoupling_gap"]
        return cls(
            instrument_version=data["instrument_version"],
            constructs=constructs,
            profile=ProfileResult(
                p["state"], p["individual"], p["collective"], p["threshold"], p["explanation"]
            ),
            gap=GapResult(
                g["present"], tuple(g["enablers_high"]), tuple(g["practices_low"]), g["explanation"]
            ),
        )

    def answers(self) -> dict[str, AnswerValue]:
        """The scored items' answers carried in the contributions."""
        return {
            c.item_key: c.answer
            for construct in self.constructs.values()
            for c in construct.items
            if c.answer is not None
        }

    def shown_keys(self) -> frozenset[str]:
        """The scored items the respondent was shown, as decided when the response was
        scored. Pass these to `item_counts` with `answers()`: the answers of the items a
        show_if condition depends on (the lifecycle stage, say) are not carried in the
        scores, so visibility worked out again from `answers()` would hide every
        conditional item."""
        return frozenset(
            c.item_key
            for construct in self.constructs.values()
            for c in construct.items
            if c.status != "hidden"
        )


@dataclass(frozen=True)
class _Plan:
    """Per-instrument lookups, built once: scored items by construct, options by value."""

    instrument: Instrument
    by_construct: dict[str, tuple[Item, ...]]
    options: dict[str, dict[str, Option]]
    all_keys: frozenset[str]
    # Contributions are frozen and depend only on the item and the answer, so those of
    # visible single-value answers (and of no answer) are built once and shared.
    by_value: dict[str, dict[str | None, ItemContribution]]
    # Visibility depends only on the answers to show_if sources; cached by those answers.
    condition_sources: tuple[str, ...]
    visibility: dict[tuple[str | frozenset[str] | None, ...], frozenset[str]]

    def visible_keys(self, answers: Answers) -> frozenset[str]:
        if not self.condition_sources:
            return self.all_keys
        # A multiple-choice source matches on any selected value: order does not matter.
        key = tuple(
            a if a is None or isinstance(a, str) else frozenset(a)
            for a in (answers.get(s) for s in self.condition_sources)
        )
        shown = self.visibility.get(key)
        if shown is None:
            if len(self.visibility) >= _VISIBILITY_CACHE_SIZE:
                self.visibility.clear()
            sources = {s: answers[s] for s in self.condition_sources if s in answers}
            shown = frozenset(visible_item_keys(self.instrument, sources))
            self.visibility[key] = shown
        return shown


_PLANS: dict[int, _Plan] = {}
_PLAN_CACHE_SIZE = 16
_VISIBILITY_CACHE_SIZE = 4096


def _plan(instrument: Instrument) -> _Plan:
    # Keyed by identity: Instrument holds dicts, so it is not hashable. The plan keeps
    # the instrument alive, so its id cannot be reused while cached.
    plan = _PLANS.get(id(instrument))
    if plan is not None and plan.instrument is instrument:
        return plan
    items = instrument.items
    options = {i.key: {o.value: o for o in i.options} for i in items}
    by_value: dict[str, dict[str | None, ItemContribution]] = {
        i.key: {
            value: _contribution(i, value, options[i.key], visible=True)
            for value in (None, *options[i.key])
        }
        for i in items
        if i.is_scored
    }
    plan = _Plan(
        instrument=instrument,
        by_construct={c: tuple(i for i in items if i.construct == c) for c in CONSTRUCTS},
        options=options,
        all_keys=frozenset(i.key for i in items),
        by_value=by_value,
        condition_sources=tuple(
            dict.fromkeys(i.show_if.item for i in items if i.show_if is not None)
        ),
        visibility={},
    )
    if len(_PLANS) >= _PLAN_CACHE_SIZE:
        _PLANS.clear()
    _PLANS[id(instrument)] = plan
    return plan


def _contribution(
    item: Item, answer: AnswerValue | None, options: Mapping[str, Option], visible: bool
) -> ItemContribution:
    def build(
        status: ItemStatus, label: str | None = None, raw: float | None = None
    ) -> ItemContribution:
        score = None if raw is None else (100.0 - raw if item.reverse else raw)
        if status != "scored":
            score = None
        return ItemContribution(
            item.key, item.text, answer, label, raw, score, item.weight, item.reverse, status
        )

    if not visible:
        return build("hidden")
    values = [answer] if isinstance(answer, str) else (answer or [])
    chosen = [options[v] for v in values if v in options]
    if not chosen:
        return build("unanswered")
    label = "; ".join(o.label for o in chosen)
    scores = [
        o.score for o in chosen if o.score is not None and not (o.dont_know or o.not_applicable)
    ]
    if scores:
        # Multiple choice: the mean of the selected scored options.
        return build("scored", label, sum(scores) / len(scores))
    if any(o.dont_know for o in chosen):
        return build("dont_know", label)
    if any(o.not_applicable for o in chosen):
        return build("not_applicable", label)
    return build("unanswered", label)


def _construct_score(
    construct: str,
    items: Sequence[Item],
    answers: Answers,
    shown: AbstractSet[str],
    plan: _Plan,
) -> ConstructScore:
    contributions: list[ItemContribution] = []
    append = contributions.append
    by_value, options = plan.by_value, plan.options
    total = weights = 0.0
    answered = dont_know = not_applicable = 0
    for item in items:
        key = item.key
        answer = answers.get(key)
        visible = key in shown
        c = None
        if visible and (answer is None or type(answer) is str):
            c = by_value[key].get(answer)
        if c is None:
            c = _contribution(item, answer, options[key], visible)
        append(c)
        score = c.score
        if score is not None:
            answered += 1
            total += score * c.weight
            weights += c.weight
        elif c.status == "dont_know":
            dont_know += 1
        elif c.status == "not_applicable":
            not_applicable += 1
    # Clamp: float rounding in the weighted mean can stray a hair outside 0-100.
    score = min(100.0, max(0.0, total / weights)) if weights else None
    return ConstructScore(
        construct, score, answered, dont_know, not_applicable, tuple(contributions)
    )


def score_response(
    instrument: Instrument, answers: Answers, visible: AbstractSet[str] | None = None
) -> ResponseScore:
    """Score one response: every construct, its profile and decoupling gap.

    `visible` is the set of item keys the respondent was shown; when None it is computed
    from the instrument's show_if conditions. Hidden items are neither scored nor counted;
    "not applicable" drops out; "don't know" is excluded from the mean but counted.
    """
    plan = _plan(instrument)
    shown = plan.visible_keys(answers) if visible is None else visible
    constructs = {
        construct: _construct_score(construct, items, answers, shown, plan)
        for construct, items in plan.by_construct.items()
    }
    if instrument.dont_know:
        constructs = count_dont_know(instrument, constructs)
    return _response_score(instrument.version, constructs, instrument.thresholds)


def count_dont_know(
    instrument: Instrument, constructs: Mapping[str, ConstructScore]
) -> dict[str, ConstructScore]:
    """Feed each "don't know" to the construct the instrument file says it counts towards.

    The answer stays a "don't know" in its own construct (counted, not scored). In the target
    (a constrainer) it is added as a contribution with the rule's score and weight, so not
    knowing whether principles, an owner or a review forum exist raises uncertainty or
    diffused responsibility. Instruments without rules (v1) are left as they are.
    """
    extras: dict[str, list[ItemContribution]] = {}
    for source, rule in instrument.dont_know.items():
        if rule.counts_towards not in CONSTRUCTS or source not in constructs:
            continue  # "none": counted apart only
        for c in constructs[source].items:
            if c.status == "dont_know":
                extras.setdefault(rule.counts_towards, []).append(
                    ItemContribution(
                        c.item_key,
                        c.item_text,
                        c.answer,
                        c.option_label,
                        rule.score,
                        rule.score,
                        rule.weight,
                        False,
                        "dont_know_counted",
                    )
                )
    result = dict(constructs)
    for target, added in extras.items():
        base = constructs[target]
        contributions = (*base.items, *added)
        scored = [c for c in contributions if c.score is not None]
        weights = sum(c.weight for c in scored)
        total = sum(c.score * c.weight for c in scored if c.score is not None)
        score = min(100.0, max(0.0, total / weights)) if weights else None
        result[target] = ConstructScore(
            target, score, base.answered, base.dont_know, base.not_applicable, contributions
        )
    return result


def _response_score(
    version: str, constructs: dict[str, ConstructScore], thresholds: Thresholds
) -> ResponseScore:
    scores = {k: c.score for k, c in constructs.items()}
    profile = recoupling_profile(
        scores.get("individual_practice"), scores.get("collective_practice"), thresholds
    )
    return ResponseScore(version, constructs, profile, decoupling_gap(scores, thresholds))


# --- A group of responses (a team, a pool of teams) -----------------------------------------


@dataclass(frozen=True)
class ConstructStats:
    """One construct over a group: n responses with a score, and their spread."""

    construct: str
    n: int
    mean: float | None
    sd: float | None  # sample standard deviation; 0 for a single response
    min: float | None
    max: float | None
    median: float | None
    dont_know_total: int  # "don't know" answers across all responses of the group

    @property
    def label(self) -> str:
        return _label(self.construct)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "family": CONSTRUCTS[self.construct]["family"],
            "polarity": CONSTRUCTS[self.construct]["polarity"],
            "n": self.n,
            "mean": _round(self.mean),
            "sd": _round(self.sd),
            "min": _round(self.min),
            "max": _round(self.max),
            "median": _round(self.median),
            "dont_know_total": self.dont_know_total,
        }


@dataclass(frozen=True)
class ItemMean:
    """Mean item score (after reverse coding) over the responses that scored the item."""

    item_key: str
    construct: str
    mean: float
    n: int


@dataclass(frozen=True)
class GroupAggregate:
    """Construct statistics of a group of responses, with the group's profile and gap."""

    instrument_version: str  # the responses' version; versions "+"-joined if they differ
    n_responses: int
    constructs: dict[str, ConstructStats]
    item_means: dict[str, ItemMean]
    profile: ProfileResult
    gap: GapResult

    def mean(self, construct: str) -> float | None:
        return self.constructs[construct].mean

    def means(self) -> dict[str, float | None]:
        return {k: s.mean for k, s in self.constructs.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "instrument_version": self.instrument_version,
            "n_responses": self.n_responses,
            "constructs": {k: s.to_dict() for k, s in self.constructs.items()},
            "profile": self.profile.to_dict(),
            "decoupling_gap": self.gap.to_dict(),
        }


def _stats(construct: str, values: list[float], dont_know_total: int) -> ConstructStats:
    if not values:
        return ConstructStats(construct, 0, None, None, None, None, None, dont_know_total)
    return ConstructStats(
        construct,
        len(values),
        statistics.fmean(values),
        statistics.stdev(values) if len(values) > 1 else 0.0,
        min(values),
        max(values),
        statistics.median(values),
        dont_know_total,
    )


def aggregate(scores: Sequence[ResponseScore], thresholds: Thresholds) -> GroupAggregate:
    """Combine response scores into per-construct statistics, a group profile and gap.

    A construct's n counts the responses with a score for it; the profile and gap are
    computed from the practice and enabler means.
    """
    constructs: dict[str, ConstructStats] = {}
    for construct in CONSTRUCTS:
        values = [s for r in scores if (s := r.constructs[construct].score) is not None]
        dont_know = sum(r.constructs[construct].dont_know for r in scores)
        constructs[construct] = _stats(construct, values, dont_know)

    item_scores: dict[str, tuple[str, list[float]]] = {}
    for response in scores:
        for construct, construct_score in response.constructs.items():
            for c in construct_score.items:
                # Only the item's own answer: a counted "don't know" belongs to its source.
                if c.score is not None and c.status == "scored":
                    item_scores.setdefault(c.item_key, (construct, []))[1].append(c.score)
    item_means = {
        key: ItemMean(key, construct, statistics.fmean(values), len(values))
        for key, (construct, values) in item_scores.items()
    }

    means = {k: s.mean for k, s in constructs.items()}
    versions = sorted({r.instrument_version for r in scores})
    return GroupAggregate(
        instrument_version="+".join(versions),
        n_responses=len(scores),
        constructs=constructs,
        item_means=item_means,
        profile=recoupling_profile(
            means["individual_practice"], means["collective_practice"], thresholds
        ),
        gap=decoupling_gap(means, thresholds),
    )


def _selected(answer: AnswerValue | None, options: Mapping[str, Option]) -> list[str]:
    values = [answer] if isinstance(answer, str) else (answer or [])
    return [v for v in dict.fromkeys(values) if v in options]


def _visible_answers(
    instrument: Instrument,
    answers_list: Sequence[Answers],
    shown: Sequence[AbstractSet[str]] | None = None,
) -> list[tuple[Answers, AbstractSet[str]]]:
    if shown is not None:
        if len(shown) != len(answers_list):
            raise ValueError("One set of shown items is needed for each answer set.")
        return list(zip(answers_list, shown, strict=True))
    plan = _plan(instrument)
    return [(a, plan.visible_keys(a)) for a in answers_list]


def item_counts(
    instrument: Instrument,
    answers_list: Sequence[Answers],
    shown: Sequence[AbstractSet[str]] | None = None,
) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
    """`item_distribution` and `item_answered_counts` in one walk over the answers (the
    dashboards need both for every team).

    `shown`: per answer set, the items its respondent was shown (`ResponseScore.
    shown_keys()`), for answers that lack the answers show_if conditions read, such as
    those rebuilt from stored scores; without it visibility is worked out from the answers.
    """
    plan = _plan(instrument)
    counts = {i.key: dict.fromkeys(plan.options[i.key], 0) for i in instrument.items if i.options}
    answered = dict.fromkeys(counts, 0)
    for answers, shown_keys in _visible_answers(instrument, answers_list, shown):
        for key, answer in answers.items():
            row = counts.get(key)
            if row is None or key not in shown_keys:
                continue
            if type(answer) is str:  # one value (most answers): no list to build
                if answer in row:
                    answered[key] += 1
                    row[answer] += 1
                continue
            selected = _selected(answer, plan.options[key])
            if selected:
                answered[key] += 1
                for value in selected:
                    row[value] += 1
    return counts, answered


def item_distribution(
    instrument: Instrument,
    answers_list: Sequence[Answers],
    shown: Sequence[AbstractSet[str]] | None = None,
) -> dict[str, dict[str, int]]:
    """How many respondents chose each option of each choice item.

    Every option appears (zero when nobody chose it), in the instrument's order. A
    multiple-choice answer counts once for each selected value. Answers to items the
    respondent could not see are ignored (`shown`: as in `item_counts`).
    """
    return item_counts(instrument, answers_list, shown)[0]


def item_answered_counts(instrument: Instrument, answers_list: Sequence[Answers]) -> dict[str, int]:
    """How many respondents answered each choice item they could see (any option counts).

    The denominator of option shares: for multiple choice it differs from the sum of
    `item_distribution` counts, since one respondent may select several values.
    """
    return item_counts(instrument, answers_list)[1]


# --- Enabler lift ---------------------------------------------------------------------------

LIFT_METHOD = "Ratio of the two rates, with a 95% confidence interval by the Katz log method."
HALDANE_NOTE = (
    " A count was 0 or covered the whole group, so 0.5 was added to every cell "
    "(Haldane correction) and both the ratio and the interval use the corrected counts."
)


@dataclass(frozen=True)
class LiftCell:
    """How much more often respondents reporting an enabler also report a practice."""

    enabler: str
    practice_item: str
    practice_label: str
    resource: str | None
    with_enabler: tuple[int, int]  # (respondents reporting the practice, respondents)
    without_enabler: tuple[int, int]
    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    withheld: bool
    reason: str | None
    method: str

    @property
    def rate_with(self) -> float | None:
        k, n = self.with_enabler
        return k / n if n else None

    @property
    def rate_without(self) -> float | None:
        k, n = self.without_enabler
        return k / n if n else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "enabler": self.enabler,
            "enabler_label": _label(self.enabler),
            "practice_item": self.practice_item,
            "practice_label": self.practice_label,
            "resource": self.resource,
            "with_enabler": {"k": self.with_enabler[0], "n": self.with_enabler[1]},
            "without_enabler": {"k": self.without_enabler[0], "n": self.without_enabler[1]},
            "ratio": _round(self.ratio, 2),
            "ci_low": _round(self.ci_low, 2),
            "ci_high": _round(self.ci_high, 2),
            "withheld": self.withheld,
            "reason": self.reason,
            "method": self.method,
        }


def risk_ratio(
    with_enabler: tuple[int, int], without_enabler: tuple[int, int]
) -> tuple[float, float, float, bool]:
    """Ratio of two rates k1/n1 over k2/n2 with its 95% Katz log interval.

    Returns (ratio, ci_low, ci_high, corrected). When any k is 0 or equals its n, 0.5 is
    added to each cell (Haldane) and the ratio and interval use the corrected counts.
    """
    (k1, n1), (k2, n2) = with_enabler, without_enabler
    a, c, m1, m2 = float(k1), float(k2), float(n1), float(n2)
    corrected = k1 in (0, n1) or k2 in (0, n2)
    if corrected:
        a, c, m1, m2 = a + 0.5, c + 0.5, m1 + 1.0, m2 + 1.0
    ratio = (a / m1) / (c / m2)
    se = math.sqrt(1 / a - 1 / m1 + 1 / c - 1 / m2)
    log_ratio = math.log(ratio)
    return (
        ratio,
        math.exp(log_ratio - _Z95 * se),
        math.exp(log_ratio + _Z95 * se),
        corrected,
    )


def _item_scores(
    instrument: Instrument, response: ResponseScore, answers: Answers, keys: Sequence[str]
) -> dict[str, float | None]:
    by_key = {
        c.item_key: c.score
        for construct in PRACTICE_CONSTRUCTS
        if construct in response.constructs
        for c in response.constructs[construct].items
    }
    if all(k in by_key for k in keys):
        return by_key
    # The score came from another instrument version: score these answers afresh.
    fresh = score_response(instrument, answers)
    return {
        c.item_key: c.score
        for construct in PRACTICE_CONSTRUCTS
        for c in fresh.constructs[construct].items
    }


def _lift_cell(
    enabler: str,
    item: Item,
    with_group: tuple[int, int],
    without_group: tuple[int, int],
    min_group: int,
) -> LiftCell:
    def cell(
        ratio: float | None = None,
        low: float | None = None,
        high: float | None = None,
        reason: str | None = None,
        method: str = LIFT_METHOD,
    ) -> LiftCell:
        return LiftCell(
            enabler,
            item.key,
            item.text,
            item.resource,
            with_group,
            without_group,
            ratio,
            low,
            high,
            reason is not None,
            reason,
            method,
        )

    (k1, n1), (k2, n2) = with_group, without_group
    label = _label(enabler).lower()
    if n1 < min_group or n2 < min_group:
        return cell(
            reason=(
                f"Too few respondents to compare: {n1} report {label} and {n2} do not; "
                f"each group needs at least {min_group}."
            )
        )
    if k1 == 0 and k2 == 0:
        return cell(
            reason="Nobody in either group reports this practice, so there is nothing to compare."
        )
    ratio, low, high, corrected = risk_ratio(with_group, without_group)
    return cell(ratio, low, high, method=LIFT_METHOD + (HALDANE_NOTE if corrected else ""))


def enabler_lift(
    instrument: Instrument,
    respondents: Sequence[tuple[ResponseScore, Answers]],
    min_group: int | None = None,
) -> list[LiftCell]:
    """For each enabler and practice item: the practice rate with vs without the enabler.

    A respondent reports the enabler when its construct score is at least
    `lift_enabler_min` (no score: left out), and reports the practice when the item's
    score, after reverse coding, is at least `lift_practice_min` (unanswered, don't know,
    not applicable or hidden: left out of that cell). Cells where either group is below
    `min_group` (default `lift_min_group`), or where nobody reports the practice, are
    withheld with a reason. Sorted by ratio, highest first, withheld cells last.
    """
    thresholds = instrument.thresholds
    minimum = thresholds.lift_min_group if min_group is None else min_group
    practice_items = [i for i in instrument.items if i.is_practice and i.is_scored]
    keys = [i.key for i in practice_items]
    rows = [
        (response, _item_scores(instrument, response, answers, keys))
        for response, answers in respondents
    ]
    cells: list[LiftCell] = []
    for enabler in ENABLERS:
        for item in practice_items:
            groups = {True: [0, 0], False: [0, 0]}
            for response, item_scores in rows:
                enabler_score = response.constructs[enabler].score
                item_score = item_scores.get(item.key)
                if enabler_score is None or item_score is None:
                    continue
                group = groups[enabler_score >= thresholds.lift_enabler_min]
                group[0] += int(item_score >= thresholds.lift_practice_min)
                group[1] += 1
            cells.append(
                _lift_cell(
                    enabler,
                    item,
                    (groups[True][0], groups[True][1]),
                    (groups[False][0], groups[False][1]),
                    minimum,
                )
            )
    # Stable sort keeps enabler and instrument order among equal ratios.
    return sorted(cells, key=lambda c: (c.withheld, -(c.ratio or 0.0)))


# --- Change between cycles ------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    """A score in two cycles; `improved` follows the construct's polarity."""

    key: str  # construct key, or item key for item deltas
    previous: float | None
    current: float | None
    change: float | None
    improved: bool | None  # None when unchanged or either side has no score

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": _round(self.previous),
            "current": _round(self.current),
            "change": _round(self.change),
            "improved": self.improved,
        }


def _delta(key: str, construct: str, previous: float | None, current: float | None) -> Delta:
    if previous is None or current is None:
        return Delta(key, previous, current, None, None)
    change = current - previous
    if change == 0:
        return Delta(key, previous, current, change, None)
    lower_is_better = CONSTRUCTS[construct]["polarity"] == "lower_is_better"
    return Delta(key, previous, current, change, (change < 0) == lower_is_better)


def cycle_deltas(previous: GroupAggregate, current: GroupAggregate) -> dict[str, Delta]:
    """Change of each construct mean from one cycle to the next, polarity-aware."""
    return {
        c: _delta(c, c, previous.constructs[c].mean, current.constructs[c].mean) for c in CONSTRUCTS
    }


def item_deltas(previous: GroupAggregate, current: GroupAggregate) -> dict[str, Delta]:
    """Change of each item's mean score, for the item keys scored in both cycles.

    Item keys are stable across instrument versions, so this compares versions too.
    """
    return {
        key: _delta(key, mean.construct, previous.item_means[key].mean, mean.mean)
        for key, mean in current.item_means.items()
        if key in previous.item_means
    }
