"""Did it move? The Welch interval and the words for a targeted construct's change."""

from __future__ import annotations

import math

import pytest
from scipy import stats  # a dev dependency: the tests' reference, not the app's

from assessments.differences import t_cdf, t_quantile
from reports.plans import Released, movement, welch_interval

# Reference values computed with scipy 1.17.1 (stats.t.ppf, stats.ttest_ind(equal_var=False)),
# kept as numbers: they pin the figures should scipy's own change.
T_PPF = [
    (0.975, 1.0, 12.706204736174694),
    (0.975, 4.7, 2.62072607535317),
    (0.975, 10.0, 2.228138851986274),
    (0.975, 25.3, 2.058300956779713),
    (0.995, 3.0, 5.840909309733355),
    (0.9, 1000.0, 1.2823987214609247),
]


@pytest.mark.parametrize(("p", "df", "expected"), T_PPF)
def test_t_quantile_matches_scipy(p, df, expected):
    assert t_quantile(p, df) == pytest.approx(expected, abs=1e-8)
    assert t_quantile(1 - p, df) == pytest.approx(-expected, abs=1e-8)
    assert t_cdf(expected, df) == pytest.approx(p, abs=1e-10)


def test_t_quantile_against_scipy():
    for df in (1.3, 2, 6.5, 17, 60, 400):
        for p in (0.6, 0.9, 0.975, 0.999):
            assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), abs=1e-8)


def test_far_bonferroni_quantiles_match_scipy_to_the_last_digits():
    # Many comparisons at once put the level far out, where heavy tails (few degrees of
    # freedom) put the quantile in the thousands: Newton has to widen its bracket there.
    for df in (0.3, 1.0, 1.7, 3.2, 9.9, 48.5, 750.0):
        for p in (1 - 0.05 / 8, 1 - 0.05 / 400, 1 - 1e-9):
            expected = stats.t.ppf(p, df)
            assert t_quantile(p, df) == pytest.approx(expected, rel=1e-12)
            assert t_quantile(1 - p, df) == pytest.approx(-expected, rel=1e-12)


def test_welch_interval_matches_a_hand_computation():
    before, after = Released(50.0, 10.0, 12), Released(56.0, 14.0, 9)
    ci = welch_interval(before, after)
    assert ci is not None
    v1, v2 = 100 / 12, 196 / 9
    se = math.sqrt(v1 + v2)
    df = (v1 + v2) ** 2 / (v1**2 / 11 + v2**2 / 8)
    assert ci.df == pytest.approx(df)
    assert df == pytest.approx(13.8219, abs=1e-3)
    # scipy: stats.t.ppf(0.975, 13.82194...) = 2.14738...
    half = t_quantile(0.975, df) * se
    assert t_quantile(0.975, df) == pytest.approx(2.147382, abs=1e-6)
    assert (ci.difference, ci.low, ci.high) == pytest.approx((6.0, 6.0 - half, 6.0 + half))
    assert (ci.low, ci.high) == pytest.approx((-5.783, 17.783), abs=1e-3)


def test_welch_interval_agrees_with_scipy_on_samples():
    a = [40, 55, 61, 47, 52, 58, 49, 45]
    b = [60, 66, 58, 71, 64, 59, 70]
    res = stats.ttest_ind(b, a, equal_var=False)
    expected = res.confidence_interval(0.95)

    def released(xs):
        m = sum(xs) / len(xs)
        return Released(m, math.sqrt(sum((x - m) ** 2 for x in xs) / (len(xs) - 1)), len(xs))

    ci = welch_interval(released(a), released(b))
    assert ci is not None
    assert (ci.low, ci.high) == pytest.approx((expected.low, expected.high), abs=1e-8)


def test_no_interval_without_released_spread_or_responses():
    assert welch_interval(Released(50, None, 4), Released(60, 10, 20)) is None
    assert welch_interval(Released(50, 10, 1), Released(60, 10, 20)) is None
    assert welch_interval(Released(50, 0, 8), Released(60, 0, 8)) is None


def test_higher_is_better_improvement_is_worded_with_its_interval_and_no_cause():
    mv = movement("leadership", "Q1", "Q3", Released(40, 8, 40), Released(46, 8, 40), 3)
    assert mv.direction == "improved"
    assert mv.difference == 6
    assert mv.sentence.startswith("Leadership commitment improved by 6 points (95 % CI 2 to 10)")
    assert "after the decision" in mv.sentence
    assert "because" not in mv.sentence and "caused" not in mv.sentence


def test_lower_is_better_a_fall_is_an_improvement_and_its_interval_reads_the_same_way():
    mv = movement("uncertainty", "Q1", "Q3", Released(60, 8, 40), Released(54, 8, 40), 3)
    assert mv.direction == "improved"
    assert "improved by 6 points (95 % CI 2 to 10)" in mv.sentence
    assert "lower is better" in mv.sentence
    worse = movement("uncertainty", "Q1", "Q3", Released(54, 8, 40), Released(60, 8, 40), 3)
    assert worse.direction == "worsened"
    assert "worsened by 6 points (95 % CI 2 to 10)" in worse.sentence


def test_an_interval_across_zero_is_no_clear_change():
    mv = movement("principles", "Q1", "Q3", Released(50, 15, 8), Released(53, 15, 8), 3)
    assert mv.direction == "no_clear_change"
    assert "no clear change" in mv.sentence and "up 3 points" in mv.sentence
    assert mv.interval is not None and mv.interval.low < 0 < mv.interval.high


def test_unreleased_spread_says_the_interval_cannot_be_computed_and_why():
    mv = movement("leadership", "Q1", "Q3", Released(40, None, 4), Released(48, 9, 30), 3)
    assert mv.direction == "unknown" and mv.interval is None
    assert "went up by 8 points" in mv.sentence
    assert "cannot be computed" in mv.sentence
    assert "groups under 6 people (Q1)" in mv.sentence


def test_a_cycle_without_released_figures_says_so():
    mv = movement("leadership", "Q1", "Q3", Released(40, 9, 30), None, 3)
    assert mv.direction == "unknown" and mv.difference is None
    assert "No released result for leadership commitment in Q3" in mv.sentence


def test_released_figures_are_read_from_a_page_and_absent_when_hidden():
    page = {
        "visible": True,
        "overall": {
            "aggregate": {"constructs": {"leadership": {"mean": 41.5, "sd": None, "n": 5}}}
        },
    }
    assert Released.from_page(page, "leadership") == Released(41.5, None, 5)
    assert Released.from_page(page, "principles") is None
    assert Released.from_page({"visible": False}, "leadership") is None
    assert Released.from_page(None, "leadership") is None


def test_a_quantile_takes_a_few_tail_evaluations(monkeypatch):
    # A release computes thousands of quantiles. A converged Newton step that fell on the
    # point itself, or on the bracket's end, once sent the search doubling or bisecting
    # back to the same root (up to 37 evaluations instead of 4 or 5).
    import assessments.differences as differences

    calls = []
    tail = differences._t_tail
    monkeypatch.setattr(differences, "_t_tail", lambda t, df: calls.append(t) or tail(t, df))
    for i in range(120):
        df = 2.0 + 0.37 * i
        for p in (0.975, 0.9875):
            calls.clear()
            differences.t_quantile.__wrapped__(p, df)
            assert len(calls) <= 7, (p, df, len(calls))
