"""The lift table in plain words: a finding with its counts, shares and both measures, the
research's figure beside it, and the message when nothing stands out."""

from __future__ import annotations

import math

from assessments.instrument.types import CONSTRUCTS
from assessments.lift.cells import (
    ENABLER_PHRASES,
    RESEARCH_NOTE,
    RESEARCH_ODDS_RATIO,
    LiftCell,
    PowerEstimate,
)


def _about(n: int) -> str:
    """A count of responses as a reader should take it: rounded up past 100."""
    if n >= 1000:
        return f"{math.ceil(n / 100) * 100:,}"
    if n >= 100:
        return f"{math.ceil(n / 10) * 10:,}"
    return str(n)


def no_finding_message(
    responses: int, tested: int, min_group: int, power: PowerEstimate | None
) -> str:
    """The plain message when no cell is a finding, with how many more responses it would
    take to spot a practice twice as common (from `power`, when it can be estimated)."""
    if responses == 0:
        return "Nothing stands out yet: no responses have been submitted."
    if tested == 0:
        first = (
            "Nothing stands out yet: the groups are still too small to compare (each needs at "
            f"least {min_group} respondents who report the enabler and {min_group} who do not)."
        )
    else:
        first = (
            "Nothing stands out yet: no practice is clearly more common among respondents who "
            f"report an enabler, once all {tested} comparisons are taken into account."
        )
    if power is None:
        return (
            first + " How many more responses it would take cannot be estimated yet: nobody, "
            "or everybody, reports the enablers or the practices."
        )
    chance = f"{power.power:.0%}".replace("%", " %")
    twice = "twice" if power.ratio == 2 else f"{power.ratio:g} times"
    if power.more == 0:
        return (
            first + f" The {responses} responses so far would already give about an {chance} "
            f"chance of spotting a practice {twice} as common among them."
        )
    return (
        first + f" To have about an {chance} chance of spotting a practice {twice} as common "
        f"among them, about {_about(power.more)} more responses would be needed "
        f"({_about(power.needed_total)} in all, estimated from the answers so far)."
    )


def _ratio_text(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _interval_text(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return ""
    if math.isinf(high):
        return f"95 % CI from {_ratio_text(low)}, no upper limit"
    return f"95 % CI {_ratio_text(low)} to {_ratio_text(high)}"


def _share(k: int, n: int) -> str:
    return f"{k} of {n} ({100 * k / n:.0f} %)"


def _measure(value: float | None, low: float | None, high: float | None, what: str) -> str:
    if value is None:
        return ""
    if math.isinf(value):
        # A zero count: the point estimate says nothing; only the bound does.
        return f"{what} at least {_ratio_text(low or 0.0)} ({_interval_text(low, high)})"
    return f"{what} {_ratio_text(value)} ({_interval_text(low, high)})"


def enabler_phrase(enabler: str) -> str:
    """How a sentence names respondents' enabler: "report leadership commitment"."""
    return ENABLER_PHRASES.get(enabler, CONSTRUCTS[enabler]["label"].lower())


def finding_sentence(cell: LiftCell) -> str:
    """A finding in plain words: counts and shares, the risk ratio and the odds ratio with
    their intervals. Says "is more common among", never what causes what."""
    interval = _interval_text(cell.rr_low, cell.rr_high)
    rr = cell.rr if cell.rr is not None else 0.0
    if math.isinf(rr):
        likely = f"at least {_ratio_text(cell.rr_low or 0.0)} times as likely ({interval})"
    else:
        likely = f"{_ratio_text(rr)} times as likely ({interval})"
    odds = _measure(cell.odds_ratio, cell.or_low, cell.or_high, "odds ratio")
    return (
        f"“{cell.practice_label}” is more common among respondents who report "
        f"{enabler_phrase(cell.enabler)}: {_share(cell.with_k, cell.with_n)} vs "
        f"{_share(cell.without_k, cell.without_n)} of those who do not; {likely}, {odds}."
    )


def research_comparison(cell: LiftCell) -> str:
    """The research's figure beside this cell, odds ratio to odds ratio."""
    if cell.odds_ratio is None:
        return RESEARCH_NOTE
    odds = _measure(cell.odds_ratio, cell.or_low, cell.or_high, "the odds ratio is")
    return (
        f"The research's 'up to {RESEARCH_ODDS_RATIO:g} times more likely' is most likely an "
        f"odds ratio over yes/no items; here {odds}. Compare the two as odds ratios, not with "
        "the risk ratio."
    )
