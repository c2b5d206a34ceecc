"""The recoupling profile and the decoupling gap of a set of construct scores, each with the
sentence that says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.instrument.types import CONSTRUCTS, ENABLERS, PRACTICE_CONSTRUCTS, Thresholds
from assessments.vocabulary import VOCABULARY


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def construct_label(construct: str) -> str:
    return CONSTRUCTS[construct]["label"]


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
            "individual": rounded(self.individual),
            "collective": rounded(self.collective),
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
        enablers = " and ".join(construct_label(c) for c in enablers_high)
        practices = " and ".join(construct_label(c) for c in practices_low)
        explanation = (
            f"{enablers} at or above {thresholds.gap_enabler_min:g}, yet {practices}"
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
