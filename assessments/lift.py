"""Enabler lift a leader can trust: every cell's counts, two measures with intervals that
behave with zero counts, false-discovery control over the whole table, and plain words.

Pure: plain data in, plain data out; no ORM, no settings. The pages, the PDF, the release
builder and `manage.py enabler_lift` all read the same `LiftTable`.

How the numbers are made (the `METHOD` text says the same for readers):

- A respondent *reports* an enabler when its construct score is at least
  `thresholds.lift_enabler_min`, and a practice when the item's score (after reverse coding)
  is at least `lift_practice_min`; no score (unanswered, don't know, not applicable, hidden)
  leaves the respondent out of that cell.
- Risk ratio: the Miettinen–Nurminen score interval (inverting the score test of
  p1 = θ·p2 with the N/(N−1) variance factor). It needs no correction for zero counts:
  with 0 in the enabler group the lower bound is 0; with 0 in the other group the upper
  bound is infinite.
- Odds ratio: the sample odds ratio ad/bc with the exact conditional (Cornfield) interval
  from the noncentral hypergeometric distribution, the interval that matches Fisher's test.
- p: Fisher's exact test, two-sided (tables as likely as the observed one or less).
- Point estimates are never corrected: a zero count gives a ratio of 0 or of infinity
  (`math.inf` here; `null` in JSON for a cell that is not withheld), and only the interval
  says how large the association may be.
- Multiplicity: Benjamini–Hochberg over every tested cell of the table gives each cell its
  `q`. A cell is a finding when q ≤ 0.05 and its risk-ratio interval at the
  false-coverage-adjusted level 1 − R·0.05/m lies above 1 (R cells pass BH of the m tested;
  Benjamini & Yekutieli 2005). That adjusted lower bound orders the findings.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from assessments.instrument import CONSTRUCTS, ENABLERS, Answers, Instrument, Item
from assessments.scoring import ResponseScore, _item_scores

Q_LEVEL = 0.05  # Benjamini–Hochberg false-discovery rate for the whole table
CONFIDENCE = 0.95  # level of the intervals shown beside every cell
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


# --- Data at the seams ------------------------------------------------------------------------


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
        scores = _item_scores(instrument, response, answers, keys)
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


# --- The statistics of one 2×2 table ----------------------------------------------------------

_EPS = 2.220446049250313e-16
_LOG_BOUND = 60.0  # ratios beyond e^±60 are taken as 0 or infinite


def _z(confidence: float) -> float:
    return statistics.NormalDist().inv_cdf(0.5 + confidence / 2)


def _brent(
    f: Callable[[float], float],
    a: float,
    b: float,
    fa: float | None = None,
    fb: float | None = None,
    xtol: float = 1e-11,
) -> float:
    """A root of f in [a, b], where f(a) and f(b) (given or computed) differ in sign
    (Brent's method, as in Numerical Recipes' zbrent)."""
    fa = f(a) if fa is None else fa
    fb = f(b) if fb is None else fb
    if fa == 0:
        return a
    if fb == 0:
        return b
    c, fc = a, fa
    d = e = b - a
    for _ in range(200):
        if (fb > 0) == (fc > 0):
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2 * _EPS * abs(b) + 0.5 * xtol
        xm = 0.5 * (c - b)
        if abs(xm) <= tol or fb == 0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:
                p, q = 2 * xm * s, 1 - s
            else:
                q, r = fa / fc, fb / fc
                p = s * (2 * xm * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * xm * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = xm
        else:
            d = e = xm
        a, fa = b, fb
        b += d if abs(d) > tol else math.copysign(tol, xm)
        fb = f(b)
    return b


def _root_in_log(f: Callable[[float], float], lo: float, hi: float) -> float | None:
    """exp(t) for the root t of f in [lo, hi], or None when f keeps its sign there."""
    f_lo, f_hi = f(lo), f(hi)
    if (f_lo > 0) == (f_hi > 0) and f_lo != 0 and f_hi != 0:
        return None
    return math.exp(_brent(f, lo, hi, f_lo, f_hi))


def _increasing_root(f: Callable[[float], float], lo: float, hi: float) -> float | None:
    """exp(t) for the root t of an increasing f, searched from [lo, hi] outwards up to
    ±_LOG_BOUND; None when there is none within (the bound is then 0 or infinite)."""
    f_lo, f_hi = f(lo), f(hi)
    while f_lo > 0 and lo > -_LOG_BOUND:
        lo, hi, f_hi = max(lo - 2 * (hi - lo), -_LOG_BOUND), lo, f_lo
        f_lo = f(lo)
    while f_hi < 0 and hi < _LOG_BOUND:
        lo, hi, f_lo = hi, min(hi + 2 * (hi - lo), _LOG_BOUND), f_hi
        f_hi = f(hi)
    if (f_lo > 0) == (f_hi > 0) and f_lo != 0 and f_hi != 0:
        return None
    return math.exp(_brent(f, lo, hi, f_lo, f_hi))


def sample_risk_ratio(with_k: int, with_n: int, without_k: int, without_n: int) -> float:
    """(with_k/with_n) / (without_k/without_n), uncorrected: 0 or `math.inf` at a zero count."""
    if without_k == 0:
        return math.inf if with_k else math.nan
    return (with_k / with_n) / (without_k / without_n)


def sample_odds_ratio(with_k: int, with_n: int, without_k: int, without_n: int) -> float:
    """ad / bc, uncorrected: 0 or `math.inf` when a count is 0."""
    a, b, c, d = with_k, with_n - with_k, without_k, without_n - without_k
    if b * c == 0:
        return math.inf if a * d else math.nan
    return (a * d) / (b * c)


def _mn_score(x1: int, n1: int, x2: int, n2: int) -> Callable[[float], float]:
    """The Miettinen–Nurminen score statistic of p1/p2 = exp(t), as a function of t."""
    n = n1 + n2
    phat1, phat2 = x1 / n1, x2 / n2
    factor = n / (n - 1)

    def z(t: float) -> float:
        theta = math.exp(t)
        a = n * theta
        b = -(n1 * theta + x1 + n2 + x2 * theta)
        c = x1 + x2
        # The smaller root of a p² + b p + c, in the form free of cancellation.
        p2 = 2 * c / (-b + math.sqrt(max(b * b - 4 * a * c, 0.0)))
        p1 = min(theta * p2, 1.0)
        var = (p1 * (1 - p1) / n1 + theta * theta * p2 * (1 - p2) / n2) * factor
        diff = phat1 - theta * phat2
        if var <= 0:
            return 0.0 if diff == 0 else math.copysign(1e300, diff)
        return diff / math.sqrt(var)

    return z


def risk_ratio_interval(
    with_k: int, with_n: int, without_k: int, without_n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Miettinen–Nurminen score interval of the risk ratio (0 and `math.inf` at the ends a
    zero count leaves open). Both groups need at least one respondent, and someone must
    report the practice."""
    if with_n < 1 or without_n < 1 or with_k + without_k == 0:
        raise ValueError("The risk ratio needs both groups and at least one report.")
    z = _mn_score(with_k, with_n, without_k, without_n)
    crit = _z(confidence)
    point = sample_risk_ratio(with_k, with_n, without_k, without_n)
    t_point = math.log(point) if 0 < point < math.inf else None
    low = 0.0
    if with_k > 0:
        hi = t_point if t_point is not None else _LOG_BOUND
        low = _root_in_log(lambda t: z(t) - crit, -_LOG_BOUND, hi) or 0.0
    high = math.inf
    if without_k > 0:
        lo = t_point if t_point is not None else -_LOG_BOUND
        high = _root_in_log(lambda t: z(t) + crit, lo, _LOG_BOUND) or math.inf
    return low, high


@dataclass(frozen=True)
class _Hypergeometric:
    """The conditional distribution of with_k given both margins, as log weights."""

    support: tuple[int, ...]
    log_weights: tuple[float, ...]  # log C(n1, x) + log C(n2, m - x)

    def log_tail(self, k: int, log_psi: float, upper: bool) -> float:
        """log P(X ≥ k) (upper) or log P(X ≤ k) when the odds ratio is exp(log_psi)."""
        logs = [w + x * log_psi for x, w in zip(self.support, self.log_weights, strict=True)]
        top = max(logs)
        terms = [math.exp(v - top) for v in logs]
        at = k - self.support[0]
        tail = sum(terms[at:]) if upper else sum(terms[: at + 1])
        return math.log(tail / sum(terms)) if tail > 0 else -math.inf

    def fisher_p(self, k: int) -> float:
        """Two-sided Fisher p: the probability of tables no more likely than the observed."""
        top = max(self.log_weights)
        terms = [math.exp(w - top) for w in self.log_weights]
        observed = terms[k - self.support[0]]
        extreme = sum(t for t in terms if t <= observed * (1 + 1e-7))
        return min(1.0, extreme / sum(terms))


_LOG_FACTORIALS = [0.0]


def _log_choose(n: int, k: int) -> float:
    while len(_LOG_FACTORIALS) <= n:
        _LOG_FACTORIALS.append(_LOG_FACTORIALS[-1] + math.log(len(_LOG_FACTORIALS)))
    return _LOG_FACTORIALS[n] - _LOG_FACTORIALS[k] - _LOG_FACTORIALS[n - k]


@lru_cache(maxsize=256)
def _hypergeometric(with_k: int, with_n: int, without_k: int, without_n: int) -> _Hypergeometric:
    # Cached: Fisher's p and both bounds of the odds ratio need the same weights.
    m = with_k + without_k
    support = tuple(range(max(0, m - without_n), min(with_n, m) + 1))
    weights = tuple(_log_choose(with_n, x) + _log_choose(without_n, m - x) for x in support)
    return _Hypergeometric(support, weights)


def fisher_exact_p(with_k: int, with_n: int, without_k: int, without_n: int) -> float:
    """Fisher's exact test of the 2×2 table, two-sided (as scipy.stats.fisher_exact)."""
    return _hypergeometric(with_k, with_n, without_k, without_n).fisher_p(with_k)


def odds_ratio_interval(
    with_k: int, with_n: int, without_k: int, without_n: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Exact conditional (Cornfield) interval of the odds ratio: the odds ratios at which
    each tail of the noncentral hypergeometric distribution holds (1 − confidence)/2."""
    dist = _hypergeometric(with_k, with_n, without_k, without_n)
    log_half = math.log((1 - confidence) / 2)
    k = with_k
    # Start the search around Woolf's interval: a guess, not part of the result. The log of
    # a tail is nearly linear in log ψ, so Brent's method needs few steps.
    a, b, c, d = (v + 0.5 for v in (k, with_n - k, without_k, without_n - without_k))
    guess = math.log(a * d / (b * c))
    width = 1.5 * _z(confidence) * math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    low = 0.0
    if k > dist.support[0]:
        low = (
            _increasing_root(lambda t: dist.log_tail(k, t, True) - log_half, guess - width, guess)
            or 0.0
        )
    high = math.inf
    if k < dist.support[-1]:
        high = (
            _increasing_root(lambda t: log_half - dist.log_tail(k, t, False), guess, guess + width)
            or math.inf
        )
    return low, high


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini–Hochberg adjusted p-values (q), in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    q = [1.0] * m
    running = 1.0
    for rank in range(m, 0, -1):
        i = order[rank - 1]
        running = min(running, p_values[i] * m / rank)
        # max: rounding in p·m/rank must not take q below p.
        q[i] = min(max(running, p_values[i]), 1.0)
    return q


# --- The table -------------------------------------------------------------------------------


def _withheld_reason(counts: CellCounts, min_group: int) -> str | None:
    label = ENABLER_PHRASES.get(counts.enabler, CONSTRUCTS[counts.enabler]["label"].lower())
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
    reports: Sequence[Reports] | None = None,
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


def two_proportion_sample_size(
    rate_with: float, rate_without: float, share_with: float, alpha: float, power: float
) -> float:
    """Respondents needed in all to tell `rate_with` from `rate_without` with a two-sided
    test at `alpha` and the given power, when `share_with` of them are in the first group
    (normal approximation with continuity correction: Fleiss, Tytun and Ury 1980)."""
    r = (1 - share_with) / share_with  # second group per respondent of the first
    p1, p2 = rate_with, rate_without
    delta = abs(p1 - p2)
    pbar = (p1 + r * p2) / (1 + r)
    z_a = _z(1 - alpha)
    z_b = statistics.NormalDist().inv_cdf(power)
    plain = (
        z_a * math.sqrt((1 + r) * pbar * (1 - pbar))
        + z_b * math.sqrt(r * p1 * (1 - p1) + p2 * (1 - p2))
    ) ** 2 / (r * delta * delta)
    n1 = plain / 4 * (1 + math.sqrt(1 + 2 * (r + 1) / (r * plain * delta))) ** 2
    return n1 * (1 + r)


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


# --- Words -----------------------------------------------------------------------------------


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
