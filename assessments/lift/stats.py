"""The statistics of the lift table, in the standard library alone: the risk ratio with its
Miettinen–Nurminen score interval, the odds ratio with its exact conditional (Cornfield)
interval, Fisher's exact test, Benjamini–Hochberg and a two-proportion sample size.

Every function takes the four counts of one 2×2 table (with_k of with_n respondents who
report the enabler also report the practice; without_k of without_n who do not).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

CONFIDENCE = 0.95  # level of the intervals shown beside every cell


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


# --- Power ------------------------------------------------------------------------------------


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
