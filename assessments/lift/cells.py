"""The enabler-lift table's data at the seams (what a respondent reports, a cell's counts, an
assessed cell, the power estimate, the table) and the texts that explain its method."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

Q_LEVEL = 0.05  # Benjamini–Hochberg false-discovery rate for the whole table


POWER_RATIO = 2.0  # "a practice twice as common": the risk ratio the power estimate targets
POWER = 0.8
RESEARCH_ODDS_RATIO = 14.0  # "up to 14 times more likely" (Smith et al. 2025)

METHOD = (
    "For each enabler and practice we count the respondents who report the enabler and how "
    "many of them report the practice, and the same for those who do not report the enabler. "
    "Two measures sit side by side. The risk ratio is the plain reading: how many times as "
    "likely the practice is among those who report the enabler; its 95 % interval is the "
    "Miettinen–Nurminen score interval. The odds ratio compares odds instead of shares; it is "
    "the measure survey studies tabulate, and for common practices it is much larger than the "
    "risk ratio (at a base rate of 0.3, an odds ratio of 14 is a risk ratio of about 2.9). Its "
    "95 % interval is the exact conditional (Cornfield) interval, and p is from Fisher's exact "
    "test. Both intervals need no correction when a count is 0; a ratio of 0 or without upper "
    "limit is then reported as such, and only its interval is read. With dozens of "
    "comparisons some look strong by chance, so the p-values of all compared cells are "
    "adjusted together by the Benjamini–Hochberg method, keeping the expected share of false "
    "findings among the findings at or below 5 %. We chose it over Holm's method, which guards "
    "against even one false finding and so misses more real ones among dozens of related "
    "comparisons; when nothing is related to anything, both keep the chance of any false "
    "finding at most about 5 %. "
    "A cell is a finding only when its adjusted p (q) is at most 0.05 and its risk-ratio "
    "interval lies above 1 even when widened for the number of findings (the false-coverage "
    "adjustment of Benjamini and Yekutieli). Findings are ordered by that widened lower bound: "
    "the strength of the evidence, not the size of the point estimate. Cells where either "
    "group has too few respondents, or where nobody (or everybody) reports the practice, are "
    "not compared."
)
CAUTION = (
    "These are associations in your organisation's own answers, from the same people at the "
    "same time: they show what goes together here, not what causes what."
)
RESEARCH_NOTE = (
    "The research found some responsible practices up to 14 times more likely where leaders "
    "were committed and principles were known. That figure is most likely an odds ratio over "
    "yes/no survey items, so compare it only with the odds ratios here, not with the risk "
    "ratios ('times as likely'), which are smaller for common practices."
)
POWER_METHOD = (
    "Sample size for comparing two proportions with Fisher's exact test, by the normal "
    "approximation with continuity correction (Fleiss, Tytun and Ury 1980), at 80 % power and "
    "the two-sided level 0.05/m that Benjamini–Hochberg asks of a single true finding among "
    "m comparisons. For each comparison, the current share of respondents who report the "
    "enabler and the practice's current overall rate are kept, and the practice is taken to "
    "be twice as common with the enabler as without; the number is scaled by the share of "
    "respondents who answered both, and the median over the comparisons is reported."
)

ENABLER_PHRASES = {
    "leadership": "leadership commitment",
    "principles": "organisational principles they know and use",
}

WITHHELD_NOBODY = "Nobody in either group reports this practice, so there is nothing to compare."
WITHHELD_EVERYBODY = (
    "Everybody in both groups reports this practice, so there is nothing to compare."
)


@dataclass(frozen=True)
class Reports:
    """What one respondent reports: each enabler and practice item as True, False or None
    (None: no score, so left out of the cells that need it)."""

    enablers: Mapping[str, bool | None]
    practices: Mapping[str, bool | None]


@dataclass(frozen=True)
class CellCounts:
    """The 2×2 counts of one enabler and practice item, before any statistics."""

    enabler: str
    practice_item: str
    practice_label: str
    resource: str | None
    with_k: int  # respondents reporting the enabler and the practice
    with_n: int  # respondents reporting the enabler (with a practice score)
    without_k: int
    without_n: int


@dataclass(frozen=True)
class LiftCell:
    """One enabler and practice item: counts, both measures, p, q and whether it is a finding.

    Ratios and bounds are None only for withheld cells; an infinite ratio or upper bound is
    `math.inf`. `adjusted_low` is the risk ratio's lower bound at the false-coverage-adjusted
    level of the table (`LiftTable.adjusted_confidence`).
    """

    enabler: str
    practice_item: str
    practice_label: str
    resource: str | None
    with_k: int
    with_n: int
    without_k: int
    without_n: int
    rr: float | None
    rr_low: float | None
    rr_high: float | None
    odds_ratio: float | None
    or_low: float | None
    or_high: float | None
    p: float | None
    q: float | None
    finding: bool
    withheld: str | None  # why the cell is not compared, or None
    adjusted_low: float | None

    def to_json(self) -> dict[str, Any]:
        """The `manage.py enabler_lift --json` object: `shown` is whether the pages show the
        cell as a finding; an infinite ratio or bound is null (only in cells not withheld)."""
        return {
            "enabler": self.enabler,
            "practice": self.practice_item,
            "with_k": self.with_k,
            "with_n": self.with_n,
            "without_k": self.without_k,
            "without_n": self.without_n,
            "rr": _finite(self.rr),
            "rr_low": _finite(self.rr_low),
            "rr_high": _finite(self.rr_high),
            "odds_ratio": _finite(self.odds_ratio),
            "or_low": _finite(self.or_low),
            "or_high": _finite(self.or_high),
            "p": self.p,
            "q": self.q,
            "shown": self.finding,
            "withheld": self.withheld,
        }


@dataclass(frozen=True)
class PowerEstimate:
    """How many responses it would take to spot a practice `ratio` times as common among
    respondents who report an enabler, with `power`, after the multiplicity adjustment."""

    ratio: float
    power: float
    comparisons: int
    alpha: float  # two-sided level of one comparison: Q_LEVEL / comparisons
    responses: int  # current respondents
    needed_total: int  # respondents needed in all (median over the comparisons used)
    more: int  # needed_total - responses, at least 0
    cells_used: int
    method: str = POWER_METHOD


@dataclass(frozen=True)
class LiftTable:
    """Every cell of the table (enabler, then instrument order), the findings ordered by the
    strength of evidence, and the texts that go with them."""

    cells: tuple[LiftCell, ...]
    findings: tuple[LiftCell, ...]
    method: str
    caution: str
    no_finding_message: str | None  # None when there is a finding
    responses: int
    tested: int  # cells compared (not withheld): the m of the adjustment
    q_level: float
    adjusted_confidence: float | None  # level of adjusted_low; None when nothing was tested
    power: PowerEstimate | None  # only when there is no finding


def _finite(value: float | None) -> float | None:
    return None if value is None or math.isinf(value) else value
