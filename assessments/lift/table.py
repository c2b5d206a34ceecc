"""From scores to counts to the assessed table: each respondent's reports, every cell's 2×2
counts, the statistics and false-discovery adjustment over them, and how many more
responses it would take when nothing stands out."""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from assessments.instrument.types import ENABLERS, Answers, Instrument, Item
from assessments.lift.cells import (
    CAUTION,
    METHOD,
    POWER,
    POWER_RATIO,
    Q_LEVEL,
    WITHHELD_EVERYBODY,
    WITHHELD_NOBODY,
    CellCounts,
    LiftCell,
    LiftTable,
    PowerEstimate,
    Reports,
)
from assessments.lift.stats import (
    benjamini_hochberg,
    fisher_exact_p,
    odds_ratio_interval,
    risk_ratio_interval,
    sample_odds_ratio,
    sample_risk_ratio,
    two_proportion_sample_size,
)
from assessments.lift.words import enabler_phrase, no_finding_message
from assessments.scoring.response import ResponseScore, practice_item_scores

# --- From scores to counts --------------------------------------------------------------------


def practice_items(instrument: Instrument) -> tuple[Item, ...]:
    """The scored practice items of an instrument, in its order: the columns of the table."""
    return tuple(i for i in instrument.items if i.is_practice and i.is_scored)


def respondent_reports(
    instrument: Instrument, respondents: Sequence[tuple[ResponseScore, Answers]]
) -> list[Reports]:
    """Each respondent's enablers and practice items as reported / not / no score, by the
    instrument's `lift_enabler_min` and `lift_practice_min`."""
    thresholds = instrument.thresholds
    keys = [i.key for i in practice_items(instrument)]
    out = []
    for response, answers in respondents:
        scores = practice_item_scores(instrument, response, answers, keys)
        enablers = {
            e: None
            if (s := response.constructs[e].score) is None
            else s >= thresholds.lift_enabler_min
            for e in ENABLERS
        }
        practices = {
            k: None if (s := scores.get(k)) is None else s >= thresholds.lift_practice_min
            for k in keys
        }
        out.append(Reports(enablers, practices))
    return out


def count_cells(items: Sequence[Item], reports: Sequence[Reports]) -> list[CellCounts]:
    """The 2×2 counts of every enabler (ENABLERS order) and practice item (`items` order)."""
    cells = []
    for enabler in ENABLERS:
        with_group = [r.practices for r in reports if r.enablers.get(enabler) is True]
        without_group = [r.practices for r in reports if r.enablers.get(enabler) is False]
        for item in items:
            key = item.key
            with_values = [v for p in with_group if (v := p.get(key)) is not None]
            without_values = [v for p in without_group if (v := p.get(key)) is not None]
            cells.append(
                CellCounts(
                    enabler,
                    key,
                    item.text,
                    item.resource,
                    sum(with_values),
                    len(with_values),
                    sum(without_values),
                    len(without_values),
                )
            )
    return cells


# --- The table -------------------------------------------------------------------------------


def _withheld_reason(counts: CellCounts, min_group: int) -> str | None:
    label = enabler_phrase(counts.enabler)
    if counts.with_n < min_group or counts.without_n < min_group:
        return (
            f"Too few respondents to compare: {counts.with_n} report {label} and "
            f"{counts.without_n} do not; each group needs at least {min_group}."
        )
    if counts.with_k + counts.without_k == 0:
        return WITHHELD_NOBODY
    if counts.with_k == counts.with_n and counts.without_k == counts.without_n:
        return WITHHELD_EVERYBODY
    return None


def _withheld_cell(counts: CellCounts, reason: str) -> LiftCell:
    return LiftCell(
        counts.enabler,
        counts.practice_item,
        counts.practice_label,
        counts.resource,
        counts.with_k,
        counts.with_n,
        counts.without_k,
        counts.without_n,
        *(None,) * 8,
        finding=False,
        withheld=reason,
        adjusted_low=None,
    )


def assess_cells(
    counts: Sequence[CellCounts],
    responses: int,
    min_group: int,
    q_level: float = Q_LEVEL,
    withhold: Mapping[tuple[str, str], str] | None = None,
) -> LiftTable:
    """The statistics of every cell, the false-discovery adjustment over the compared cells,
    the findings ordered by their adjusted lower bound, and the no-finding message.

    `responses` is the number of respondents behind the counts (for the power estimate).
    """
    min_group = max(min_group, 1)  # a ratio needs someone in each group
    withhold = withhold or {}
    reasons = [
        withhold.get((c.enabler, c.practice_item)) or _withheld_reason(c, min_group) for c in counts
    ]
    tested = [i for i, r in enumerate(reasons) if r is None]
    p_values = {i: fisher_exact_p(*_table(counts[i])) for i in tested}
    q_values = dict(zip(tested, benjamini_hochberg([p_values[i] for i in tested]), strict=True))
    m = len(tested)
    passed = sum(1 for q in q_values.values() if q <= q_level)
    adjusted = 1 - max(passed, 1) * q_level / m if m else None
    cells = []
    for i, c in enumerate(counts):
        reason = reasons[i]
        if reason is not None:
            cells.append(_withheld_cell(c, reason))
            continue
        table = _table(c)
        rr_low, rr_high = risk_ratio_interval(*table)
        or_low, or_high = odds_ratio_interval(*table)
        adjusted_low = risk_ratio_interval(*table, confidence=adjusted)[0] if adjusted else None
        q = q_values[i]
        cells.append(
            LiftCell(
                c.enabler,
                c.practice_item,
                c.practice_label,
                c.resource,
                *table,
                rr=sample_risk_ratio(*table),
                rr_low=rr_low,
                rr_high=rr_high,
                odds_ratio=sample_odds_ratio(*table),
                or_low=or_low,
                or_high=or_high,
                p=p_values[i],
                q=q,
                finding=q <= q_level and adjusted_low is not None and adjusted_low > 1,
                withheld=None,
                adjusted_low=adjusted_low,
            )
        )
    findings = tuple(
        sorted(
            (c for c in cells if c.finding),
            key=lambda c: (-(c.adjusted_low or 0.0), c.q or 0.0),
        )
    )
    # Over the cells disclosure control lets the pages show: the estimate is a number on the
    # page, and must not be one of a withheld cell's counts in another form.
    open_counts = [c for c in counts if (c.enabler, c.practice_item) not in withhold]
    power = None if findings else responses_needed(open_counts, responses, len(counts), q_level)
    return LiftTable(
        cells=tuple(cells),
        findings=findings,
        method=METHOD,
        caution=CAUTION,
        no_finding_message=None if findings else no_finding_message(responses, m, min_group, power),
        responses=responses,
        tested=m,
        q_level=q_level,
        adjusted_confidence=adjusted,
        power=power,
    )


def _table(c: CellCounts) -> tuple[int, int, int, int]:
    return c.with_k, c.with_n, c.without_k, c.without_n


def lift_table(
    instrument: Instrument,
    respondents: Sequence[tuple[ResponseScore, Answers]],
    min_group: int | None = None,
    withhold: Mapping[tuple[str, str], str] | None = None,
    reports: Sequence[Reports] | None = None,
) -> LiftTable:
    """The enabler-lift table of a group of respondents (typically a cycle's release).

    Cells where either group has fewer than `min_group` respondents (default: the
    instrument's `lift_min_group`), or where nobody or everybody reports the practice, are
    withheld with a reason and left out of the adjustment; so are the cells in `withhold`
    (cell -> reason: disclosure control's, whose counts the caller must not show either).
    `reports`: `respondent_reports` of the same respondents, when the caller has them.
    """
    minimum = instrument.thresholds.lift_min_group if min_group is None else min_group
    if reports is None:
        reports = respondent_reports(instrument, respondents)
    counts = count_cells(practice_items(instrument), reports)
    return assess_cells(counts, len(respondents), minimum, withhold=withhold)


# --- Power: how many more responses ------------------------------------------------------------


def responses_needed(
    counts: Sequence[CellCounts],
    responses: int,
    comparisons: int,
    q_level: float = Q_LEVEL,
    ratio: float = POWER_RATIO,
    power: float = POWER,
) -> PowerEstimate | None:
    """How many responses it would take to spot a practice `ratio` times as common among
    respondents who report an enabler (see POWER_METHOD); None when the current counts
    cannot say (no respondents in one of the groups, or no practice rate to double)."""
    if responses < 1 or comparisons < 1:
        return None
    alpha = q_level / comparisons
    needed = []
    for c in counts:
        n = c.with_n + c.without_n
        if not 0 < c.with_n < n:
            continue
        share = c.with_n / n
        base = (c.with_k + c.without_k) / n / (1 + (ratio - 1) * share)
        if base <= 0 or ratio * base >= 1:
            continue
        cell = two_proportion_sample_size(ratio * base, base, share, alpha, power)
        needed.append(cell * responses / n)
    if not needed:
        return None
    total = math.ceil(statistics.median(needed))
    return PowerEstimate(
        ratio=ratio,
        power=power,
        comparisons=comparisons,
        alpha=alpha,
        responses=responses,
        needed_total=total,
        more=max(0, total - responses),
        cells_used=len(needed),
    )
