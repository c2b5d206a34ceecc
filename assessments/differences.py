"""When a dashboard may say that something differs, changed, breaks or fails. Pure.

Released groups are small (a team is often 5 to 10 people), so their means move by ten
points or more from noise alone. A page states a difference (guardrails vs gatekeepers, one
cycle vs the last) only when its confidence interval excludes 0 after allowing for the
number of comparisons made at once, and a level claim (a governance layer "breaks", a part
of the real test "fails") only when the interval lies wholly on one side of a cut stated on
the page. Otherwise the page says there is no clear difference, or that it cannot tell, and
shows the numbers as description.

- Two means: Welch's t interval (unequal variances), from released summaries.
- Several differences at once: Bonferroni-adjusted intervals where a handful are compared
  and each is shown with its interval (the interval then carries the decision); Benjamini–
  Hochberg where dozens are (a question-by-question comparison), as the enabler lift does.
- One mean against a cut: Student's t interval over people (not over answers: one person's
  answers to several items of a layer go together).
- One share against a cut: Wilson's score interval (behaves at 0 of n and n of n).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Literal

from .lift.stats import benjamini_hochberg

LEVEL = 0.95  # every interval's family-wide confidence
Q_LEVEL = 0.05  # false-discovery rate for many comparisons at once
Side = Literal["below", "above", "unclear"]

__all__ = [
    "LEVEL",
    "Q_LEVEL",
    "Difference",
    "Interval",
    "Side",
    "Summary",
    "benjamini_hochberg",
    "bonferroni_differences",
    "bonferroni_level",
    "changes_found",
    "clustered_mean_interval",
    "holm",
    "mean_interval",
    "permutation_p",
    "side_of",
    "sign_test_p",
    "summary_from_counts",
    "summary_interval",
    "summary_of",
    "t_cdf",
    "t_quantile",
    "welch_difference",
    "wilson_interval",
]


@dataclass(frozen=True)
class Summary:
    """A released group's figures on one measure: how many, mean, standard deviation."""

    n: int
    mean: float
    sd: float
    # The answers behind it, as (score, how many), where known: changes are then tested
    # exactly (`permutation_p`) rather than with Welch's t.
    counts: tuple[tuple[float, int], ...] = ()


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    level: float


@dataclass(frozen=True)
class Difference:
    """`second.mean - first.mean` with its Welch interval at `level` and two-sided p."""

    difference: float
    low: float
    high: float
    level: float
    p: float
    df: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


# --- Student's t ---------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta (modified Lentz)."""
    tiny, eps = 1e-300, 1e-15
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    # The even and odd steps of each round written out: a quantile calls this thousands
    # of times, and the loop over the two was most of its cost.
    for m in range(1, 400):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularised incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with `df` > 0 (not necessarily whole) degrees of freedom."""
    if df <= 0:
        raise ValueError("degrees of freedom must be positive")
    tail = 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def _t_pdf(t: float, df: float) -> float:
    log_norm = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
    return math.exp(log_norm - (df + 1) / 2 * math.log1p(t * t / df))


def _t_tail(t: float, df: float) -> float:
    """P(T > t) for t >= 0, computed as the tail itself: 1 - cdf would lose the digits a
    far quantile (a Bonferroni level) needs, and Newton's steps would stall on them."""
    return 0.5 * _betainc(df / 2.0, 0.5, df / (df + t * t))


@lru_cache(maxsize=4096)
def t_quantile(p: float, df: float) -> float:
    """The t below which a share `p` (0 < p < 1) of Student's t(df) lies.

    Newton's method on the upper tail from the normal quantile with Cornish–Fisher terms,
    kept inside a bracket that halves when a step leaves it: about four tail evaluations
    instead of a bisection's fifty (a release computes thousands of intervals)."""
    if not 0.0 < p < 1.0:
        raise ValueError("p must be strictly between 0 and 1")
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    target = 1.0 - p
    if target == 0.5:
        return 0.0
    z = NormalDist().inv_cdf(p)
    guess = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df * df)
    # The bracket's upper end is found as Newton goes (doubling while unknown): from this
    # guess the first step rarely leaves it, and evaluating it up front cost a tail each.
    low, high = 0.0, math.inf
    t = max(guess, 1e-3)
    for _ in range(200):
        f = _t_tail(t, df) - target  # falls as t grows
        if f > 0:
            low = t
        elif f < 0:
            high = t
        else:
            return t
        new = t + f / _t_pdf(t, df)
        # Converged when Newton's step is below the tail's own precision: checked before the
        # bracket, as a last step that lands on a bracket's end is no reason to bisect.
        if abs(new - t) <= 1e-13 * max(1.0, t):
            return new
        if high == math.inf:  # no point above the root seen yet: Newton, or widen
            t = new if new > low else 2.0 * t
            continue
        if not low < new < high:  # Newton left the bracket: halve it instead
            new = (low + high) / 2.0
        if high - low <= 1e-13 * max(1.0, high):
            return new
        t = new
    return t


# --- Summaries -----------------------------------------------------------------------------


def summary_of(values: Sequence[float]) -> Summary | None:
    """n, mean and sample standard deviation of `values`; None under two values."""
    n = len(values)
    if n < 2:
        return None
    mean = math.fsum(values) / n
    sd = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1))
    return Summary(n, mean, sd)


def summary_from_counts(counts: Iterable[tuple[float, int]]) -> Summary | None:
    """The summary of answers given as (score, how many gave it); None under two answers."""
    pairs = [(s, c) for s, c in counts if c > 0]
    n = sum(c for _, c in pairs)
    if n < 2:
        return None
    mean = math.fsum(s * c for s, c in pairs) / n
    sd = math.sqrt(math.fsum(c * (s - mean) ** 2 for s, c in pairs) / (n - 1))
    return Summary(n, mean, sd)


# --- Two means -----------------------------------------------------------------------------


def welch_difference(first: Summary, second: Summary, level: float = LEVEL) -> Difference | None:
    """Welch's interval and two-sided p for second.mean - first.mean; None when it cannot
    be computed (fewer than two in a group, or no spread in either)."""
    if first.n < 2 or second.n < 2:
        return None
    # The same summaries recur (a question's answers in many teams of a release). The
    # means' signs are in the key: 0.0 and -0.0 are equal keys but not the same difference.
    signs = (math.copysign(1.0, first.mean), math.copysign(1.0, second.mean))
    return _welch(first.n, first.mean, first.sd, second.n, second.mean, second.sd, level, signs)


@lru_cache(maxsize=65536)
def _welch(
    n1: int,
    mean1: float,
    sd1: float,
    n2: int,
    mean2: float,
    sd2: float,
    level: float,
    signs: tuple[float, float],
) -> Difference | None:
    v1, v2 = sd1**2 / n1, sd2**2 / n2
    se = math.sqrt(v1 + v2)
    if se == 0.0:
        return None
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    diff = mean2 - mean1
    half = t_quantile(0.5 + level / 2.0, df) * se
    p = min(1.0, 2.0 * t_cdf(-abs(diff) / se, df))
    return Difference(diff, diff - half, diff + half, level, p, df)


def bonferroni_level(comparisons: int, level: float = LEVEL) -> float:
    """Each interval's level so that all `comparisons` hold together at `level`."""
    return 1.0 - (1.0 - level) / max(1, comparisons)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    out = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        out[i] = running
    return out


# --- One mean or share against a cut ------------------------------------------------------


def mean_interval(values: Sequence[float], level: float = LEVEL) -> Interval | None:
    """Student's t interval for the mean of `values` (one value per person); None under two
    values. With no spread at all the interval is the mean itself."""
    s = summary_of(values)
    if s is None:
        return None
    half = t_quantile(0.5 + level / 2.0, s.n - 1) * s.sd / math.sqrt(s.n)
    return Interval(s.mean, s.mean - half, s.mean + half, level)


def clustered_mean_interval(
    people: Sequence[Sequence[float]], level: float = LEVEL
) -> Interval | None:
    """The mean of all answers, where each person gives several (their answers to a
    layer's items), with an interval that counts people, not answers: a cluster-robust
    (sandwich) standard error with the small-sample factor G/(G-1), and Student's t with
    G-1 degrees of freedom over the G people who answered. None under two people."""
    groups = [g for g in people if g]
    total = sum(len(g) for g in groups)
    if len(groups) < 2:
        return None
    mean = math.fsum(v for g in groups for v in g) / total
    g = len(groups)
    spread = math.fsum((math.fsum(x) - mean * len(x)) ** 2 for x in groups)
    se = math.sqrt(g / (g - 1) * spread) / total
    half = t_quantile(0.5 + level / 2.0, g - 1) * se
    return Interval(mean, mean - half, mean + half, level)


def summary_interval(summary: Summary, level: float = LEVEL) -> Interval | None:
    """Student's t interval for a released mean from its n and sd; None under two people."""
    if summary.n < 2:
        return None
    half = t_quantile(0.5 + level / 2.0, summary.n - 1) * summary.sd / math.sqrt(summary.n)
    return Interval(summary.mean, summary.mean - half, summary.mean + half, level)


def wilson_interval(k: int, n: int, level: float = LEVEL) -> Interval | None:
    """Wilson's score interval for a share k of n; None when n is 0."""
    if n <= 0:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), level)


def sign_test_p(first: int, second: int) -> float:
    """Two-sided exact sign test: the chance that a fair coin splits `first + second`
    people at least this unevenly (binomial at one half, exact in integers). Wilson's
    interval is too liberal here: 4 of 4 would clear it, which a coin does 1 time in 8."""
    n, top = first + second, max(first, second)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(top, n + 1))
    return min(1.0, 2 * tail / 2**n)


def side_of(interval: Interval | None, cut: float) -> Side:
    """Whether an interval lies wholly below a cut, wholly at or above it, or across it."""
    if interval is None:
        return "unclear"
    if interval.high < cut:
        return "below"
    if interval.low >= cut:
        return "above"
    return "unclear"


# --- Decisions the pages make -------------------------------------------------------------


def bonferroni_differences(
    pairs: Sequence[tuple[Summary | None, Summary | None]], level: float = LEVEL
) -> list[Difference | None]:
    """Welch intervals for several differences shown together (second minus first), each at
    the Bonferroni level so that all hold together at `level`. A pair without both
    summaries still counts as a comparison made (so leaving one out buys nothing)."""
    each = bonferroni_level(len(pairs), level)
    return [welch_difference(a, b, each) if a and b else None for a, b in pairs]


def changes_found(
    pairs: Sequence[tuple[Summary | None, Summary | None]], q_level: float = Q_LEVEL
) -> list[tuple[Difference | None, float | None, bool]]:
    """Many changes at once (one per question): each one's 95 % Welch interval, its
    Benjamini–Hochberg q over the changes that could be tested, and whether it is a finding
    (q <= `q_level`). Under no change at all, the chance that any is a finding is at most
    `q_level`."""
    tests = [welch_difference(a, b) if a and b else None for a, b in pairs]
    tested = [i for i, d in enumerate(tests) if d is not None]
    qs = benjamini_hochberg([_p(*pairs[i], tests[i]) for i in tested])
    q_of = dict(zip(tested, qs, strict=True))
    return [(d, q_of.get(i), i in q_of and q_of[i] <= q_level) for i, d in enumerate(tests)]


def _p(first: Summary | None, second: Summary | None, welch: Difference | None) -> float:
    """The exact permutation p where both sides' answer counts are known, else Welch's. A
    few people's answers on a 5-point or yes/no scale make Welch's far tail (the p-values
    near 0.001 that Benjamini–Hochberg's first steps need) too liberal: in simulated teams of
    8 where nothing changed, one page in ten called a question better or worse."""
    assert first and second and welch
    if first.counts and second.counts:
        return permutation_p(first.counts, second.counts)
    return welch.p


def permutation_p(first: Sequence[tuple[float, int]], second: Sequence[tuple[float, int]]) -> float:
    """The exact permutation p (below); the same answer counts recur across the questions
    and teams of a release, so each pattern is counted once. The p of two groups does not
    depend on which is called first, nor on the order of their scores."""
    one, other = _pattern(first), _pattern(second)
    return _permutation_p(*sorted((one, other)))


def _pattern(counts: Sequence[tuple[float, int]]) -> tuple[tuple[int, int], ...]:
    """Answer counts as (score in hundredths, how many), without scores nobody gave."""
    return tuple(sorted((round(100 * s), c) for s, c in counts if c > 0))


@lru_cache(maxsize=65536)
def _permutation_p(
    first: tuple[tuple[int, int], ...], second: tuple[tuple[int, int], ...]
) -> float:
    """Exact two-sided permutation p for the difference in means of two groups of answers,
    each given as (score, how many): the share of all ways to split the pooled answers into
    groups of these sizes whose difference is at least as large as the one observed. Exact
    by counting (each score's answers split as a multivariate hypergeometric), so it takes
    microseconds for the few scale points a question has."""
    pooled: dict[int, int] = {}
    for v, c in (*first, *second):
        pooled[v] = pooled.get(v, 0) + c
    n1, n2 = sum(c for _, c in first), sum(c for _, c in second)
    if n1 == 0 or n2 == 0:
        return 1.0
    total = sum(v * c for v, c in pooled.items())

    def gap(second_sum: int) -> float:
        return abs(second_sum / n2 - (total - second_sum) / n1)

    observed = gap(sum(v * c for v, c in second))
    sums = _second_sums(tuple(sorted(pooled.items())), n2)
    extreme = sum(w for acc, w in sums if gap(acc) >= observed - 1e-9)
    return min(1.0, extreme / math.comb(n1 + n2, n2))


@lru_cache(maxsize=16384)
def _second_sums(pooled: tuple[tuple[int, int], ...], n2: int) -> tuple[tuple[int, int], ...]:
    """(sum, ways) over every way to take `n2` of the pooled answers ((score, how many)):
    the same for every split of the same answers, so counted once for all of them.

    The coefficients of prod_v (1 + x y^v)^count_v at x^n2, found by one big-integer
    product: x and y become powers of two, each coefficient its own fixed-width field (wide
    enough for the largest binomial, so no field carries into the next). Scores on a
    lattice (a 5-point scale: multiples of 25) keep the number small; others are counted
    term by term."""
    values = [v for v, _ in pooled]
    low = min(values)
    step = math.gcd(*(v - low for v in values)) or 1
    n = sum(c for _, c in pooled)
    size = (math.comb(n, n // 2).bit_length() + 7) // 8
    bits = 8 * size
    width = n2 * max((v - low) // step for v in values) + 1  # sums of n2 scores, on the lattice
    stride = width * bits  # one more answer taken
    if (n2 + 1) * stride > 1 << 18:
        return _second_sums_by_table(pooled, n2)
    keep = (1 << ((n2 + 1) * stride)) - 1  # drop terms taking more than n2
    product = 1
    for value, count in pooled:
        shift = ((value - low) // step) * bits + stride
        factor = 0
        for c in range(min(count, n2) + 1):
            factor |= math.comb(count, c) << (c * shift)
        product = (product * factor) & keep
    row = (product >> (n2 * stride)).to_bytes(width * size, "little")
    out = []
    for s in range(width):
        w = int.from_bytes(row[s * size : (s + 1) * size], "little")
        if w:
            out.append((s * step + n2 * low, w))
    return tuple(out)


def _second_sums_by_table(
    pooled: tuple[tuple[int, int], ...], n2: int
) -> tuple[tuple[int, int], ...]:
    """`_second_sums` by a table of (taken, sum) -> ways, one score at a time."""
    ways: dict[tuple[int, int], int] = {(0, 0): 1}
    for value, count in pooled:
        step: dict[tuple[int, int], int] = {}
        for (taken, acc), w in ways.items():
            for c in range(min(count, n2 - taken) + 1):
                key = (taken + c, acc + c * value)
                step[key] = step.get(key, 0) + w * math.comb(count, c)
        ways = step
    return tuple((acc, w) for (taken, acc), w in ways.items() if taken == n2)
