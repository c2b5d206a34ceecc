"""assessments/differences.py against scipy and statsmodels (dev dependencies)."""

from __future__ import annotations

import random

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from assessments.differences import (
    Interval,
    Summary,
    benjamini_hochberg,
    bonferroni_level,
    changes_found,
    clustered_mean_interval,
    holm,
    mean_interval,
    permutation_p,
    side_of,
    sign_test_p,
    summary_from_counts,
    summary_interval,
    summary_of,
    t_cdf,
    t_quantile,
    welch_difference,
    wilson_interval,
)


@pytest.mark.parametrize("df", [1.0, 2.5, 4.0, 7.3, 30.0, 250.0])
@pytest.mark.parametrize("p", [0.6, 0.975, 0.99166, 0.9995])
def test_t_quantile_and_cdf_match_scipy(df: float, p: float) -> None:
    assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-9)
    assert t_quantile(1 - p, df) == pytest.approx(stats.t.ppf(1 - p, df), rel=1e-9)
    assert t_cdf(1.7, df) == pytest.approx(stats.t.cdf(1.7, df), rel=1e-10)
    assert t_cdf(-0.4, df) == pytest.approx(stats.t.cdf(-0.4, df), rel=1e-10)


def _sample(rng: random.Random, n: int, mean: float, sd: float) -> list[float]:
    return [min(100.0, max(0.0, rng.gauss(mean, sd))) for _ in range(n)]


@pytest.mark.parametrize("seed", range(8))
def test_welch_difference_matches_scipy_ttest_and_interval(seed: int) -> None:
    rng = random.Random(seed)
    a = _sample(rng, rng.randint(3, 40), 50, 20)
    b = _sample(rng, rng.randint(3, 40), 58, 12)
    first, second = summary_of(a), summary_of(b)
    assert first and second
    level = bonferroni_level(3)
    d = welch_difference(first, second, level)
    assert d is not None
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert d.difference == pytest.approx(np.mean(b) - np.mean(a), abs=1e-12)
    assert d.p == pytest.approx(ref.pvalue, rel=1e-8)
    assert d.df == pytest.approx(ref.df, rel=1e-10)
    low, high = ref.confidence_interval(confidence_level=level)
    assert (d.low, d.high) == (pytest.approx(low, rel=1e-8), pytest.approx(high, rel=1e-8))
    # The interval excludes 0 exactly when p is below 1 - level.
    assert d.excludes_zero == (d.p < 1 - level)


def test_welch_difference_cannot_be_computed_without_spread_or_people() -> None:
    assert welch_difference(Summary(1, 50, 0), Summary(9, 60, 10)) is None
    assert welch_difference(Summary(5, 50, 0), Summary(9, 60, 0)) is None


def test_summary_from_counts_is_the_summary_of_the_answers() -> None:
    counts = [(0.0, 2), (25.0, 0), (50.0, 3), (75.0, 4), (100.0, 1)]
    values = [s for s, c in counts for _ in range(c)]
    got, want = summary_from_counts(counts), summary_of(values)
    assert got and want
    assert got.n == 10 and got.mean == pytest.approx(np.mean(values))
    assert got.sd == pytest.approx(np.std(values, ddof=1)) and got.sd == pytest.approx(want.sd)
    assert summary_from_counts([(50.0, 1)]) is None


@pytest.mark.parametrize("seed", range(5))
def test_holm_and_bh_match_statsmodels(seed: int) -> None:
    rng = random.Random(seed)
    p = [rng.random() ** 3 for _ in range(rng.randint(2, 40))]
    assert holm(p) == pytest.approx(list(multipletests(p, method="holm")[1]), abs=1e-12)
    assert benjamini_hochberg(p) == pytest.approx(
        list(multipletests(p, method="fdr_bh")[1]), abs=1e-12
    )


@pytest.mark.parametrize("seed", range(5))
def test_mean_interval_matches_scipy_t_interval(seed: int) -> None:
    rng = random.Random(seed)
    values = _sample(rng, rng.randint(2, 30), 45, 25)
    got = mean_interval(values, 0.99)
    assert got is not None
    low, high = stats.t.interval(0.99, len(values) - 1, np.mean(values), stats.sem(values))
    assert (got.low, got.high) == (pytest.approx(low, rel=1e-8), pytest.approx(high, rel=1e-8))
    assert mean_interval([50.0]) is None


@pytest.mark.parametrize(("k", "n"), [(0, 5), (3, 8), (5, 5), (37, 200), (1, 1)])
def test_wilson_interval_matches_statsmodels(k: int, n: int) -> None:
    got = wilson_interval(k, n, 0.983)
    assert got is not None
    low, high = proportion_confint(k, n, alpha=0.017, method="wilson")
    assert (got.low, got.high) == (pytest.approx(low, abs=1e-12), pytest.approx(high, abs=1e-12))
    assert wilson_interval(0, 0) is None


def test_side_of_a_cut_needs_the_whole_interval_on_one_side() -> None:
    assert side_of(Interval(40, 30, 49.9, 0.95), 50) == "below"
    assert side_of(Interval(60, 50, 70, 0.95), 50) == "above"
    assert side_of(Interval(48, 40, 56, 0.95), 50) == "unclear"
    assert side_of(None, 50) == "unclear"


def test_bonferroni_level_shares_the_error_among_comparisons() -> None:
    assert bonferroni_level(1) == pytest.approx(0.95)
    assert bonferroni_level(3) == pytest.approx(1 - 0.05 / 3)


@pytest.mark.parametrize("seed", range(4))
def test_clustered_mean_interval_matches_statsmodels_cluster_robust_mean(seed: int) -> None:
    rng = random.Random(seed)
    people = [
        _sample(rng, rng.randint(1, 6), rng.gauss(50, 15), 20) for _ in range(rng.randint(3, 25))
    ]
    got = clustered_mean_interval(people, 0.983)
    assert got is not None
    y = np.array([v for g in people for v in g])
    groups = np.array([i for i, g in enumerate(people) for _ in g])
    fit = sm.OLS(y, np.ones_like(y)).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True}, use_t=True
    )
    assert got.estimate == pytest.approx(fit.params[0])
    low, high = fit.conf_int(alpha=0.017)[0]
    assert (got.low, got.high) == (pytest.approx(low, rel=1e-8), pytest.approx(high, rel=1e-8))
    assert clustered_mean_interval([[50.0, 75.0]]) is None


def test_changes_found_controls_false_discoveries_and_tests_counted_answers_exactly() -> None:
    rng = random.Random(7)
    pairs: list[tuple[Summary | None, Summary | None]] = []
    for _ in range(30):  # nothing changed
        pairs.append((summary_of(_sample(rng, 8, 50, 20)), summary_of(_sample(rng, 8, 50, 20))))
    pairs.append((Summary(10, 10.0, 10.0), Summary(10, 90.0, 10.0)))  # a large real change
    yes_no = (
        Summary(8, 25.0, 46.3, ((0.0, 6), (100.0, 2))),
        Summary(8, 75.0, 46.3, ((0.0, 2), (100.0, 6))),
    )
    pairs += [yes_no, (None, Summary(5, 50.0, 10.0))]
    found = changes_found(pairs)
    assert found[30][2] is True and found[-1] == (None, None, False)
    p_values = [
        permutation_p(((0.0, 6), (100.0, 2)), ((0.0, 2), (100.0, 6)))
        if i == 31
        else stats.ttest_ind_from_stats(
            b.mean, b.sd, b.n, a.mean, a.sd, a.n, equal_var=False
        ).pvalue
        for i, (a, b) in enumerate(pairs[:-1])
        if a and b
    ]
    want = multipletests(p_values, method="fdr_bh")[1]
    assert [q for _, q, _ in found[:-1]] == pytest.approx(list(want), rel=1e-7)
    assert [f for _, _, f in found[:-1]] == [q <= 0.05 for q in want]


def test_summary_interval_matches_scipy_t_interval_from_summary() -> None:
    got = summary_interval(Summary(9, 58.0, 20.0), 0.975)
    assert got is not None
    low, high = stats.t.interval(0.975, 8, 58.0, 20.0 / 3)
    assert (got.low, got.high) == (pytest.approx(low, rel=1e-9), pytest.approx(high, rel=1e-9))
    assert summary_interval(Summary(1, 58.0, 0.0)) is None


@pytest.mark.parametrize("seed", range(6))
def test_permutation_p_is_scipys_exact_permutation_test(seed: int) -> None:
    rng = random.Random(seed)
    scale = [0.0, 25.0, 50.0, 75.0, 100.0] if seed % 2 else [0.0, 100.0]
    a = [rng.choice(scale) for _ in range(rng.randint(2, 7))]
    b = [rng.choice(scale[: len(scale) // 2 + 1]) for _ in range(rng.randint(2, 7))]
    ref = stats.permutation_test(
        (b, a),
        # |difference| at least the observed one: the two-sided p this module means.
        lambda x, y: abs(np.mean(x) - np.mean(y)),
        permutation_type="independent",
        n_resamples=np.inf,
        alternative="greater",
    ).pvalue

    def counted(values: list[float]) -> list[tuple[float, int]]:
        return [(s, values.count(s)) for s in scale]

    assert permutation_p(counted(a), counted(b)) == pytest.approx(ref, rel=1e-9)


def test_permutation_p_of_yes_no_answers_is_fishers_exact_p() -> None:
    # 6 of 8 yes against 2 of 8: for a 2x2 table the permutation test of the difference in
    # shares orders tables as Fisher's two-sided test does here (a symmetric table).
    got = permutation_p(((0.0, 2), (100.0, 6)), ((0.0, 6), (100.0, 2)))
    assert got == pytest.approx(stats.fisher_exact([[6, 2], [2, 6]]).pvalue, rel=1e-12)


def test_the_sign_test_is_the_exact_binomial_test():
    for first, second in [(0, 0), (4, 0), (5, 3), (9, 1), (30, 18), (2, 11)]:
        n = first + second
        expected = stats.binomtest(first, n, 0.5).pvalue if n else 1.0
        assert sign_test_p(first, second) == pytest.approx(expected, rel=1e-12)
    assert sign_test_p(4, 0) == 0.125  # all of four: a coin does that 1 time in 8
