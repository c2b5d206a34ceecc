"""One response scored: each item's contribution, each construct's weighted mean, and the
response's profile and gap.

Per-instrument lookups (`plan_for`) are built once and shared: a release scores thousands of
responses on the same instrument.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any, Literal

from assessments.instrument.types import (
    CONSTRUCTS,
    PRACTICE_CONSTRUCTS,
    Answers,
    AnswerValue,
    Instrument,
    Item,
    Option,
    Thresholds,
)
from assessments.instrument.visibility import visible_item_keys
from assessments.scoring.profile import (
    GapResult,
    ProfileResult,
    construct_label,
    decoupling_gap,
    recoupling_profile,
    rounded,
)

# "dont_know_counted": a "don't know" to an item of another construct, counted here as the
# instrument file's `dont_know` rules declare (instrument v2 on): it carries a score.
ItemStatus = Literal[
    "scored", "dont_know", "not_applicable", "unanswered", "hidden", "dont_know_counted"
]


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
            "raw_score": rounded(self.raw_score),
            "score": rounded(self.score),
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
        return construct_label(self.construct)

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
            "score": rounded(self.score),
            "answered": self.answered,
            "dont_know": self.dont_know,
            "not_applicable": self.not_applicable,
            "dont_know_share": round(self.dont_know_share, 3),
            "items": [c.to_dict() for c in self.items],
        }


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
class InstrumentPlan:
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


_PLANS: dict[int, InstrumentPlan] = {}
_PLAN_CACHE_SIZE = 16
_VISIBILITY_CACHE_SIZE = 4096


def plan_for(instrument: Instrument) -> InstrumentPlan:
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
    plan = InstrumentPlan(
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
    plan: InstrumentPlan,
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
    plan = plan_for(instrument)
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
        if rule.counts_towards not in constructs or source not in constructs:
            continue  # "none": counted apart only (or a target not being scored)
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


def practice_item_scores(
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
    # The score came from another instrument version, or a group blanked some of its items:
    # score these answers afresh, as `score_response` would, but only the practice
    # constructs and those whose "don't know" counts towards them.
    plan = plan_for(instrument)
    shown = plan.visible_keys(answers)
    needed = {
        *PRACTICE_CONSTRUCTS,
        *(
            s
            for s, rule in instrument.dont_know.items()
            if rule.counts_towards in PRACTICE_CONSTRUCTS
        ),
    }
    constructs = {
        construct: _construct_score(construct, items, answers, shown, plan)
        for construct, items in plan.by_construct.items()
        if construct in needed
    }
    if instrument.dont_know:
        constructs = count_dont_know(instrument, constructs)
    return {
        c.item_key: c.score
        for construct in PRACTICE_CONSTRUCTS
        for c in constructs[construct].items
    }
