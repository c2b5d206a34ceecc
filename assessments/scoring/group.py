"""A group of responses (a team, a pool of teams): construct statistics, item means, the
group's profile and gap, and how many chose each option."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from assessments.instrument.types import (
    CONSTRUCTS,
    Answers,
    AnswerValue,
    Instrument,
    Option,
    Thresholds,
)
from assessments.scoring.profile import (
    GapResult,
    ProfileResult,
    construct_label,
    decoupling_gap,
    recoupling_profile,
    rounded,
)
from assessments.scoring.response import ResponseScore, plan_for


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
        return construct_label(self.construct)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "family": CONSTRUCTS[self.construct]["family"],
            "polarity": CONSTRUCTS[self.construct]["polarity"],
            "n": self.n,
            "mean": rounded(self.mean),
            "sd": rounded(self.sd),
            "min": rounded(self.min),
            "max": rounded(self.max),
            "median": rounded(self.median),
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
    plan = plan_for(instrument)
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
    plan = plan_for(instrument)
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
