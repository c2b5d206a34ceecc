"""The enabler-lift statistics (assessments/lift/) against scipy and statsmodels, the
table's findings and words, and `manage.py enabler_lift`."""

from __future__ import annotations

import json
import math
import random
import re
import warnings
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize
from scipy.stats import fisher_exact, norm
from scipy.stats.contingency import odds_ratio as scipy_odds_ratio
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
)

from assessments.demo import DECOUPLED, RECOUPLED, demo_answers
from assessments.instrument.loader import load_version
from assessments.instrument.types import Answers, Instrument
from assessments.lift.cells import CAUTION, METHOD, POWER_METHOD, Q_LEVEL, RESEARCH_NOTE, CellCounts
from assessments.lift.stats import (
    benjamini_hochberg,
    fisher_exact_p,
    odds_ratio_interval,
    risk_ratio_interval,
    sample_odds_ratio,
    sample_risk_ratio,
    two_proportion_sample_size,
)
from assessments.lift.table import assess_cells, lift_table, responses_needed
from assessments.lift.words import finding_sentence, no_finding_message, research_comparison
from assessments.models import Response
from assessments.scoring.response import ResponseScore, score_response
from assessments.services import instrument_for, store_submission
from tests.assessments.hand_built import practice_instrument
from tests.builders import make_user, release

JSON_KEYS = [
    "enabler",
    "practice",
    "with_k",
    "with_n",
    "without_k",
    "without_n",
    "rr",
    "rr_low",
    "rr_high",
    "odds_ratio",
    "or_low",
    "or_high",
    "p",
    "q",
    "shown",
    "withheld",
]


def _rel(x: float, y: float) -> float:
    if math.isinf(x) or math.isinf(y):
        return 0.0 if x == y else math.inf
    return abs(x - y) / abs(y) if y else abs(x)


@st.composite
def tables(draw: st.DrawFn, max_n: int = 120) -> tuple[int, int, int, int]:
    """A 2×2 table a page would compare: both groups, someone (not everyone) reporting."""
    n1 = draw(st.integers(1, max_n))
    n2 = draw(st.integers(1, max_n))
    a = draw(st.integers(0, n1))
    c = draw(st.integers(0, n2))
    if a + c == 0 or (a == n1 and c == n2):
        a = 1 if a == 0 else a - 1
    return a, n1, c, n2


# --- The risk ratio and its score interval -------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(tables())
def test_risk_ratio_interval_matches_statsmodels_miettinen_nurminen(table) -> None:
    a, n1, c, n2 = table
    # statsmodels' score interval is unreliable where a group is all 0 or all 1 (it returns
    # a point or a complex number there); those tables are checked independently below.
    if a in (0, n1) or c in (0, n2):
        return
    low, high = risk_ratio_interval(a, n1, c, n2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = confint_proportions_2indep(a, n1, c, n2, compare="ratio", method="score")
    assert _rel(low, float(ref[0])) < 1e-7
    assert _rel(high, float(ref[1])) < 1e-7


def _mn_reference(x1: int, n1: int, x2: int, n2: int, confidence: float) -> tuple[float, float]:
    """The Miettinen–Nurminen interval by brute force: the restricted maximum likelihood by
    solving the likelihood equation numerically (not the closed form), roots by brentq."""
    n = n1 + n2
    crit = norm.ppf(0.5 + confidence / 2)

    def restricted_p2(theta: float) -> float:
        hi = min(1.0, 1 / theta)

        def slope(p2: float) -> float:
            p1 = theta * p2
            s = (x1 + x2) / p2
            if n1 > x1:
                s -= (n1 - x1) * theta / (1 - p1)
            if n2 > x2:
                s -= (n2 - x2) / (1 - p2)
            return s

        edge = hi * (1 - 1e-13)
        if slope(edge) >= 0:
            return edge
        return optimize.brentq(slope, 1e-300, edge, xtol=1e-300, rtol=1e-15)

    def z(t: float) -> float:
        theta = math.exp(t)
        p2 = restricted_p2(theta)
        p1 = theta * p2
        var = (p1 * (1 - p1) / n1 + theta**2 * p2 * (1 - p2) / n2) * n / (n - 1)
        return (x1 / n1 - theta * x2 / n2) / math.sqrt(var)

    low = 0.0 if x1 == 0 else math.exp(optimize.brentq(lambda t: z(t) - crit, -30, 30))
    high = math.inf if x2 == 0 else math.exp(optimize.brentq(lambda t: z(t) + crit, -30, 30))
    return low, high


@pytest.mark.parametrize(
    "table",
    [
        (0, 20, 6, 30),
        (14, 20, 0, 30),
        (5, 5, 0, 5),
        (0, 10, 10, 10),
        (10, 10, 3, 10),
        (20, 20, 30, 31),
        (1, 1, 58, 69),
        (0, 33, 17, 17),
        (71, 108, 118, 118),
        (6, 12, 9, 9),
    ],
)
def test_risk_ratio_interval_at_zero_and_full_counts_matches_brute_force(table) -> None:
    a, n1, c, n2 = table
    for confidence in (0.95, 0.999):
        low, high = risk_ratio_interval(a, n1, c, n2, confidence)
        ref_low, ref_high = _mn_reference(a, n1, c, n2, confidence)
        assert _rel(low, ref_low) < 1e-6
        assert _rel(high, ref_high) < 1e-6


def test_zero_counts_give_open_ends_and_no_corrected_estimate() -> None:
    # 14 of 20 with the enabler, 0 of 20 without: the old +0.5 correction showed 29×.
    assert sample_risk_ratio(14, 20, 0, 20) == math.inf
    low, high = risk_ratio_interval(14, 20, 0, 20)
    assert high == math.inf
    assert 3 < low < 14
    assert sample_odds_ratio(14, 20, 0, 20) == math.inf
    assert odds_ratio_interval(14, 20, 0, 20)[1] == math.inf
    # Nobody with the enabler: the ratio is 0 and so is the lower bound.
    assert sample_risk_ratio(0, 20, 6, 30) == 0.0
    assert risk_ratio_interval(0, 20, 6, 30)[0] == 0.0
    assert sample_odds_ratio(0, 20, 6, 30) == 0.0
    assert odds_ratio_interval(0, 20, 6, 30)[0] == 0.0


def test_risk_ratio_needs_both_groups_and_a_report() -> None:
    with pytest.raises(ValueError, match="needs both groups"):
        risk_ratio_interval(0, 10, 0, 10)
    with pytest.raises(ValueError, match="needs both groups"):
        risk_ratio_interval(3, 10, 0, 0)


@settings(max_examples=200, deadline=None)
@given(tables(), st.sampled_from([0.9, 0.95, 0.99, 0.999]))
def test_risk_ratio_interval_holds_the_estimate_and_widens_with_confidence(
    table, confidence
) -> None:
    low, high = risk_ratio_interval(*table, confidence)
    rr = sample_risk_ratio(*table)
    assert low <= rr <= high
    wider = risk_ratio_interval(*table, min(confidence + 0.0009, 0.9999))
    assert wider[0] <= low * (1 + 1e-9) and wider[1] >= high * (1 - 1e-9)


# --- The odds ratio, its exact interval and Fisher's p ------------------------------------


@settings(max_examples=300, deadline=None)
@given(tables())
def test_odds_ratio_and_exact_interval_match_scipy(table) -> None:
    a, n1, c, n2 = table
    grid = [[a, n1 - a], [c, n2 - c]]
    low, high = odds_ratio_interval(a, n1, c, n2)
    ref = scipy_odds_ratio(grid, kind="conditional").confidence_interval(0.95)
    assert _rel(low, ref.low) < 1e-7
    assert _rel(high, ref.high) < 1e-7
    sample = scipy_odds_ratio(grid, kind="sample").statistic
    assert _rel(sample_odds_ratio(a, n1, c, n2), sample) < 1e-12


@settings(max_examples=300, deadline=None)
@given(tables(max_n=150))
def test_fisher_p_matches_scipy(table) -> None:
    a, n1, c, n2 = table
    ref = fisher_exact([[a, n1 - a], [c, n2 - c]]).pvalue
    assert _rel(fisher_exact_p(a, n1, c, n2), ref) < 1e-9


def test_worked_example_from_the_issue() -> None:
    # 14 of 20 with leadership commitment, 6 of 30 without.
    assert sample_risk_ratio(14, 20, 6, 30) == pytest.approx(3.5)
    assert sample_odds_ratio(14, 20, 6, 30) == pytest.approx(14 * 24 / (6 * 6))
    assert risk_ratio_interval(14, 20, 6, 30) == pytest.approx((1.68872, 7.73331), rel=1e-5)
    assert fisher_exact_p(14, 20, 6, 30) == pytest.approx(0.000910644, rel=1e-5)


# --- Benjamini–Hochberg -----------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=60))
def test_benjamini_hochberg_matches_statsmodels(p_values) -> None:
    ours = benjamini_hochberg(p_values)
    ref = multipletests(p_values, alpha=Q_LEVEL, method="fdr_bh")[1]
    assert ours == pytest.approx(list(ref), abs=1e-12)
    assert all(q >= p for q, p in zip(ours, p_values, strict=True))


# --- The table --------------------------------------------------------------------------


def _counts(enabler: str, item: str, a: int, n1: int, c: int, n2: int) -> CellCounts:
    return CellCounts(enabler, item, f"Text of {item}", "individual", a, n1, c, n2)


def _null_counts(count: int, rng: random.Random) -> list[CellCounts]:
    cells = []
    for i in range(count):
        rate = rng.uniform(0.2, 0.5)
        a = sum(rng.random() < rate for _ in range(40))
        c = sum(rng.random() < rate for _ in range(40))
        cells.append(_counts("leadership", f"i{i}", a, 40, c, 40))
    return cells


def test_a_strong_association_is_a_finding_and_a_reversed_one_is_not() -> None:
    rng = random.Random(5)
    cells = [
        *_null_counts(20, rng),
        _counts("leadership", "strong", 30, 40, 5, 40),
        _counts("leadership", "reversed", 5, 40, 30, 40),
    ]
    table = assess_cells(cells, 80, min_group=5)
    by_item = {c.practice_item: c for c in table.cells}
    assert by_item["strong"].finding
    assert by_item["reversed"].q is not None and by_item["reversed"].q <= Q_LEVEL
    assert not by_item["reversed"].finding  # less common with the enabler: no "lift"
    assert [c.practice_item for c in table.findings] == ["strong"]
    assert table.no_finding_message is None and table.power is None
    assert table.tested == 22


def test_findings_need_the_adjustment_not_just_an_unadjusted_interval_above_one() -> None:
    # 46 cells, one with p ≈ 0.013: its plain 95 % interval is above 1, but not after BH.
    rng = random.Random(11)
    cells = [*_null_counts(45, rng), _counts("principles", "lucky", 15, 30, 5, 30)]
    table = assess_cells(cells, 60, min_group=5)
    lucky = next(c for c in table.cells if c.practice_item == "lucky")
    assert lucky.p is not None and lucky.p < 0.05
    assert lucky.rr_low is not None and lucky.rr_low > 1
    assert lucky.q is not None and lucky.q > Q_LEVEL
    assert not lucky.finding
    assert table.findings == ()


def test_findings_are_ordered_by_adjusted_lower_bound_not_point_estimate() -> None:
    rng = random.Random(3)
    cells = [
        *_null_counts(10, rng),
        # A huge point estimate from small counts (infinite) vs solid evidence.
        _counts("leadership", "noisy", 7, 10, 0, 10),
        _counts("leadership", "solid", 60, 80, 15, 80),
        _counts("principles", "middle", 40, 80, 12, 80),
    ]
    table = assess_cells(cells, 160, min_group=5)
    assert {c.practice_item for c in table.findings} == {"noisy", "solid", "middle"}
    lows = [c.adjusted_low for c in table.findings]
    assert lows == sorted(lows, reverse=True)
    by_estimate = sorted(table.findings, key=lambda c: -(c.rr or 0))
    assert [c.practice_item for c in table.findings] != [c.practice_item for c in by_estimate]
    assert table.findings[0].practice_item == "solid"
    # The adjusted bound is the score interval at the false-coverage level 1 - R q / m.
    assert table.adjusted_confidence == pytest.approx(1 - 3 * Q_LEVEL / 13)
    solid = table.findings[0]
    assert solid.adjusted_low == pytest.approx(
        risk_ratio_interval(60, 80, 15, 80, table.adjusted_confidence)[0]
    )
    assert solid.adjusted_low < solid.rr_low  # wider than the plain 95 % interval


def test_infinite_estimates_are_kept_as_infinite_and_null_in_json() -> None:
    table = assess_cells([_counts("leadership", "i1", 9, 10, 0, 10)], 20, min_group=5)
    cell = table.cells[0]
    assert cell.rr == math.inf and cell.rr_high == math.inf and cell.odds_ratio == math.inf
    assert cell.finding
    data = cell.to_json()
    assert data["rr"] is None and data["rr_high"] is None and data["odds_ratio"] is None
    assert data["rr_low"] > 1 and data["withheld"] is None and data["shown"] is True
    sentence = finding_sentence(cell)
    assert "at least" in sentence and "no upper limit" in sentence
    json.dumps(data, allow_nan=False)


def _respondents(
    inst: Instrument, groups: list[tuple[str, str, int]]
) -> list[tuple[ResponseScore, Answers]]:
    out = []
    for leadership, practice, count in groups:
        for _ in range(count):
            answers: Answers = {"l1": leadership, "i1": practice}
            out.append((score_response(inst, answers), answers))
    return out


def test_lift_table_counts_as_the_thresholds_say_and_leaves_out_missing_scores() -> None:
    inst = practice_instrument()
    respondents = _respondents(
        inst,
        [
            ("a", "yes", 8),  # agree = 75 >= 60: reports leadership
            ("a", "no", 2),
            ("n", "yes", 2),  # neutral = 50: does not
            ("d", "no", 8),
            ("a", "dk", 3),  # don't know, not applicable: out of the cell
            ("a", "na", 2),
            ("", "yes", 4),  # no leadership score: out
        ],
    )
    table = lift_table(inst, respondents)
    cell = next(c for c in table.cells if (c.enabler, c.practice_item) == ("leadership", "i1"))
    assert (cell.with_k, cell.with_n, cell.without_k, cell.without_n) == (8, 10, 2, 10)
    assert cell.withheld is None
    assert cell.rr == pytest.approx(4.0)
    assert [(c.enabler, c.practice_item) for c in table.cells] == [
        (e, i) for e in ("leadership", "principles") for i in ("i1", "c1")
    ]
    assert table.responses == len(respondents)


def test_withheld_cells_say_why_and_carry_no_statistics() -> None:
    inst = practice_instrument()
    small = lift_table(inst, _respondents(inst, [("a", "yes", 4), ("d", "no", 6)]))
    cell = small.cells[0]
    assert cell.withheld is not None
    assert "4 report leadership commitment" in cell.withheld and "at least 5" in cell.withheld
    assert (cell.rr, cell.p, cell.q, cell.adjusted_low, cell.finding) == (
        None,
        None,
        None,
        None,
        False,
    )
    assert cell.to_json()["withheld"] == cell.withheld
    assert (
        lift_table(inst, _respondents(inst, [("a", "yes", 4), ("d", "no", 6)]), min_group=4)
        .cells[0]
        .withheld
        is None
    )
    nobody = lift_table(inst, _respondents(inst, [("a", "no", 5), ("d", "no", 5)]))
    assert nobody.cells[0].withheld.startswith("Nobody")
    everybody = lift_table(inst, _respondents(inst, [("a", "yes", 5), ("d", "yes", 5)]))
    assert everybody.cells[0].withheld.startswith("Everybody")
    assert everybody.tested == 0 and everybody.adjusted_confidence is None


@settings(max_examples=60, deadline=None)
@given(st.lists(tables(max_n=60), min_size=1, max_size=12), st.integers(1, 8))
def test_table_invariants(table_list, min_group) -> None:
    cells = [_counts("leadership", f"i{i}", *t) for i, t in enumerate(table_list)]
    table = assess_cells(cells, 200, min_group)
    for cell in table.cells:
        if cell.withheld is not None:
            assert cell.p is None and not cell.finding
            continue
        assert cell.rr_low <= cell.rr <= cell.rr_high
        assert 0 <= cell.p <= cell.q <= 1
        assert cell.adjusted_low <= cell.rr_low * (1 + 1e-9)
        assert cell.finding == (cell.q <= Q_LEVEL and cell.adjusted_low > 1)
    assert set(table.findings) == {c for c in table.cells if c.finding}
    assert (table.no_finding_message is None) == bool(table.findings)


# --- When nothing stands out ------------------------------------------------------------


def test_no_finding_message_says_nothing_stands_out_and_how_many_more() -> None:
    rng = random.Random(8)
    table = assess_cells(_null_counts(46, rng), 80, min_group=5)
    assert table.findings == ()
    message = table.no_finding_message
    assert message is not None and message.startswith("Nothing stands out yet")
    assert "46 comparisons" in message
    power = table.power
    assert power is not None and power.more > 0 and power.comparisons == 46
    assert power.alpha == pytest.approx(Q_LEVEL / 46)
    assert power.needed_total == 80 + power.more
    assert re.search(r"about [\d,]+ more responses would be needed", message)
    assert "twice as common" in message


def test_no_finding_message_when_there_are_enough_responses_already() -> None:
    power = responses_needed(
        [_counts("leadership", "i1", 500, 1000, 250, 1000)], 2000, comparisons=46
    )
    assert power is not None and power.more == 0
    message = no_finding_message(2000, 46, 5, power)
    assert "would already give about an 80 % chance" in message


def test_no_finding_message_without_responses_or_comparisons() -> None:
    assert no_finding_message(0, 0, 5, None) == (
        "Nothing stands out yet: no responses have been submitted."
    )
    inst = practice_instrument()
    table = lift_table(inst, _respondents(inst, [("a", "yes", 2), ("d", "no", 2)]))
    assert table.tested == 0
    assert "too small to compare" in table.no_finding_message
    assert table.power is not None and table.power.more > 0  # estimated from 2 vs 2
    alone = lift_table(inst, _respondents(inst, [("a", "yes", 6)]))
    assert alone.power is None
    assert "cannot be estimated yet" in alone.no_finding_message


@pytest.mark.parametrize(
    ("rate_with", "rate_without", "share"), [(0.4, 0.2, 0.5), (0.3, 0.15, 0.3), (0.8, 0.4, 0.6)]
)
def test_sample_size_gives_the_power_statsmodels_computes(rate_with, rate_without, share) -> None:
    alpha = Q_LEVEL / 46
    total = two_proportion_sample_size(rate_with, rate_without, share, alpha, 0.8)
    power = power_proportions_2indep(
        rate_with - rate_without,
        rate_without,
        total * share,
        ratio=(1 - share) / share,
        alpha=alpha,
        return_results=False,
    )
    # The continuity correction (for Fisher's test) asks for a little more than the normal
    # approximation: the plain normal power at that size is a little above 80 %.
    assert 0.8 < power < 0.86
    smaller = two_proportion_sample_size(rate_with, rate_without, share, alpha * 10, 0.8)
    assert smaller < total


# --- Words ------------------------------------------------------------------------------

FORBIDDEN = re.compile(r"\b(unlock\w*|makes?|causes?|caused|drives?|leads? to)\b", re.I)


def test_words_claim_association_only() -> None:
    cell = assess_cells([_counts("leadership", "i1", 14, 20, 6, 30)], 50, 5).cells[0]
    sentence = finding_sentence(cell)
    assert sentence.startswith("“Text of i1” is more common among respondents who report ")
    assert "leadership commitment: 14 of 20 (70 %) vs 6 of 30 (20 %)" in sentence
    assert "3.5 times as likely (95 % CI 1.7 to 7.7)" in sentence
    assert "odds ratio 9.3 (95 % CI" in sentence
    for text in (sentence, CAUTION, METHOD, POWER_METHOD, RESEARCH_NOTE):
        assert not FORBIDDEN.search(text.replace("what causes what", "")), text
    assert "association" in CAUTION and "own answers" in CAUTION
    assert "Benjamini–Hochberg" in METHOD and "Holm" in METHOD
    assert "odds ratio" in RESEARCH_NOTE


def test_research_is_compared_odds_ratio_to_odds_ratio() -> None:
    cell = assess_cells([_counts("leadership", "i1", 14, 20, 6, 30)], 50, 5).cells[0]
    text = research_comparison(cell)
    assert "14 times" in text and "odds ratio" in text
    assert "9.3" in text  # our odds ratio, not the risk ratio 3.5
    assert "3.5" not in text


# --- manage.py enabler_lift -------------------------------------------------------------


@pytest.fixture
def seeded_cycle(world, cycle):
    instrument = instrument_for("1")
    rng = random.Random(13)
    for i in range(16):
        team, climate = (world.alpha, RECOUPLED) if i % 2 else (world.beta, DECOUPLED)
        user = make_user(f"respondent{i}@example.com")
        response = Response.objects.create(cycle=cycle, team=team, respondent=user)
        store_submission(response, instrument, demo_answers(instrument, climate, rng))
    # A draft is not counted.
    Response.objects.create(cycle=cycle, team=world.alpha, respondent=world.max)
    release(cycle)
    return cycle


def test_command_json_prints_one_object_per_cell_with_the_contract_keys(seeded_cycle) -> None:
    out = StringIO()
    call_command("enabler_lift", "--org", "acme", "--cycle", "2026-q4", "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    practice = [i for i in load_version("1").items if i.is_practice and i.is_scored]
    assert len(rows) == 2 * len(practice)
    assert all(list(row) == JSON_KEYS for row in rows)
    assert {r["practice"] for r in rows} == {i.key for i in practice}
    counted = [r for r in rows if r["with_n"] is not None]
    assert counted and all(r["with_n"] + r["without_n"] <= 16 for r in counted)
    # Counts are left out only where disclosure control withholds the cell.
    assert all("anonymity" in (r["withheld"] or "") for r in rows if r["with_n"] is None)
    assert any(r["shown"] for r in rows)  # recoupled vs decoupled teams: real differences
    assert all(r["withheld"] is None or isinstance(r["withheld"], str) for r in rows)
    shown = [r for r in rows if r["shown"]]
    assert all(r["q"] <= Q_LEVEL and r["rr_low"] > 1 for r in shown)


def test_command_json_matches_the_table_the_pages_read(seeded_cycle) -> None:
    from reports import selectors

    _, page = selectors.release_page(seeded_cycle, "org")
    assert page["n_counted"] == 16
    out = StringIO()
    call_command("enabler_lift", "--org", "acme", "--cycle", "2026-q4", "--json", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert rows == page["lift_cells"]
    shown = {(r["enabler"], r["practice"]) for r in rows if r["shown"]}
    assert shown == {(c["enabler"], c["practice"]) for c in page["lift_rows"]}


def test_command_says_when_nothing_is_released(world, cycle) -> None:
    with pytest.raises(CommandError, match="No released results"):
        call_command("enabler_lift", "--org", "acme", "--cycle", "2026-q4", stdout=StringIO())


def test_command_prints_a_readable_table(seeded_cycle) -> None:
    out = StringIO()
    call_command("enabler_lift", "--org", "acme", "--cycle", "2026-q4", stdout=out)
    text = out.getvalue()
    assert "16 responses" in text
    assert "is more common among" in text
    assert CAUTION in text


def test_command_rejects_an_unknown_organisation(world) -> None:
    with pytest.raises(CommandError, match="No organisation with slug “nope”"):
        call_command("enabler_lift", "--org", "nope", "--cycle", "2026-q4", stdout=StringIO())


def test_command_rejects_a_cycle_of_another_organisation(world, cycle) -> None:
    with pytest.raises(CommandError, match="No cycle “2026-q4” in organisation “other”"):
        call_command("enabler_lift", "--org", "other", "--cycle", "2026-q4", stdout=StringIO())
    with pytest.raises(CommandError, match=r"its cycles: 2026-q4"):
        call_command("enabler_lift", "--org", "acme", "--cycle", "q9", stdout=StringIO())
