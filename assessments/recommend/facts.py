"""What a rule can look at for a team, a group or one respondent: plain numbers and counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from assessments.instrument.types import Answers, Instrument, Thresholds
from assessments.scoring.group import GroupAggregate, item_counts
from assessments.scoring.response import ResponseScore


@dataclass(frozen=True)
class Facts:
    """What a rule can look at for one team (or one response): plain numbers and counts.

    The cut-offs (`practice_high` for the profile, `gap_enabler_min` and `gap_practice_max`
    for the gap) let profile and gap checks say which scores put the team where it is;
    when unknown (None) those checks still decide, but their sentences name no cut-off.
    `subject` says whose facts these are, for the wording: a team, another group (a pool)
    or one respondent.
    """

    instrument_version: str
    scores: Mapping[str, float | None]  # construct -> mean score (None: no score)
    profile: str  # a PROFILE_STATES key
    gap: bool  # decoupling gap present
    item_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    item_answered: Mapping[str, int] = field(default_factory=dict)  # respondents per item
    n_responses: int = 1
    practice_high: float | None = None
    gap_enabler_min: float | None = None
    gap_practice_max: float | None = None
    subject: str = "team"

    def share(self, item: str, values: Sequence[str]) -> tuple[float | None, int, int]:
        """(share, matched, answered) of respondents whose answer to `item` is in `values`."""
        answered = self.item_answered.get(item, 0)
        if not answered:
            return None, 0, 0
        counts = self.item_counts.get(item, {})
        matched = min(answered, sum(counts.get(v, 0) for v in values))
        return matched / answered, matched, answered


def facts_from_aggregate(
    instrument_version: str,
    aggregate: GroupAggregate,
    distribution: Mapping[str, Mapping[str, int]],
    answered: Mapping[str, int] | None = None,
    *,
    thresholds: Thresholds | None = None,
    subject: str = "team",
) -> Facts:
    """Facts of a group from its aggregate and its item distribution.

    `answered` (from `item_answered_counts`) gives each item's respondents; without it the
    sum of the item's option counts stands in, which is exact for single-answer items.
    `thresholds` (the instrument's) give gap sentences their cut-offs; the profile's comes
    with the aggregate.
    """
    if answered is None:
        answered = {key: sum(counts.values()) for key, counts in distribution.items()}
    return Facts(
        instrument_version=instrument_version,
        scores=aggregate.means(),
        profile=aggregate.profile.state,
        gap=aggregate.gap.present,
        item_counts=distribution,
        item_answered=answered,
        n_responses=aggregate.n_responses,
        practice_high=aggregate.profile.threshold,
        gap_enabler_min=thresholds.gap_enabler_min if thresholds else None,
        gap_practice_max=thresholds.gap_practice_max if thresholds else None,
        subject=subject,
    )


def facts_from_response(
    instrument: Instrument,
    response_score: ResponseScore,
    answers: Answers,
    shown: AbstractSet[str] | None = None,
) -> Facts:
    """Facts of a single response: its own scores, profile, gap and answers (`shown`: the
    items the respondent was shown, when `answers` lack what show_if conditions read)."""
    distribution, answered = item_counts(instrument, [answers], None if shown is None else [shown])
    return Facts(
        instrument_version=response_score.instrument_version,
        scores={k: c.score for k, c in response_score.constructs.items()},
        profile=response_score.profile.state,
        gap=response_score.gap.present,
        item_counts=distribution,
        item_answered=answered,
        n_responses=1,
        practice_high=response_score.profile.threshold,
        gap_enabler_min=instrument.thresholds.gap_enabler_min,
        gap_practice_max=instrument.thresholds.gap_practice_max,
        subject="respondent",
    )
