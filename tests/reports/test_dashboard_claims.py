"""What the dashboards state as a finding: a difference, a change, a break or a failure only
where it passes the test the page names (assessments/differences.py). Pure, no database."""

from __future__ import annotations

from typing import Any

import pytest

from assessments.differences import Summary
from assessments.scoring.group import ConstructStats, GroupAggregate
from reports.claims import near_the_line
from reports.dashboards import (
    COMPARED_CONSTRUCTS,
    _chain,
    item_change_rows,
    real_test_sentence,
    trend_view,
    with_self_view_comparison,
)

K = 3
COLLECTIVE = "high-resource collective recoupling actions"
INDIVIDUAL = "low-resource individual recoupling actions"


def _segment(n: int, means: dict[str, float], sd: float | None) -> dict[str, Any]:
    constructs = {c: {"n": n, "mean": means[c], "sd": sd} for c in COMPARED_CONSTRUCTS}
    return {"visible": True, "n_counted": n, "overall": {"aggregate": {"constructs": constructs}}}


def _org(n: int) -> dict[str, Any]:
    return {"visible": True, "n_counted": n, "self_view": {"n": n, "rows": []}}


def _compare(guard: float, gate: float, sd: float | None, n: int = 40) -> dict[str, Any]:
    means = dict.fromkeys(COMPARED_CONSTRUCTS, 50.0)
    pages = {
        "guardrail": _segment(n, means, sd),
        "gatekeeper": _segment(n, means | {"collective_practice": gate}, sd),
    }
    pages["guardrail"]["overall"]["aggregate"]["constructs"]["collective_practice"]["mean"] = guard
    return with_self_view_comparison(_org(3 * n), pages, K)["self_view"]


def test_a_clear_gatekeeper_difference_is_stated_with_its_interval() -> None:
    split = _compare(45.0, 65.0, sd=15.0)
    row = next(r for r in split["compare"] if r["construct"] == "collective_practice")
    assert row["finding"] and row["low"] > 0
    assert split["compare_finding"] is True
    assert (
        f"gatekeepers score 20 higher on {COLLECTIVE} (65 vs 45; interval"
        in (split["compare_sentence"])
    )
    # Equal means elsewhere: said as no clear difference, with the numbers.
    assert (
        f"no clear difference on {INDIVIDUAL} (guardrails 50, gatekeepers 50"
        in (split["compare_sentence"])
    )
    assert "98.75 % (Bonferroni: 99.58 % each)" in split["compare_method"]


def test_a_noisy_gatekeeper_difference_is_no_clear_difference() -> None:
    split = _compare(45.0, 52.0, sd=25.0, n=10)
    assert split["compare_finding"] is False
    assert "higher" not in split["compare_sentence"]
    assert (
        f"no clear difference on {COLLECTIVE} (guardrails 45, gatekeepers 52"
        in (split["compare_sentence"])
    )


def test_without_a_released_spread_the_difference_is_not_tested() -> None:
    split = _compare(30.0, 80.0, sd=None, n=5)
    assert split["compare_shown"] and not split["compare_finding"]
    assert (
        f"not tested, as a spread is not released for so few people, on {COLLECTIVE} "
        "(guardrails 30, gatekeepers 80)" in (split["compare_sentence"])
    )


MEANS = {"leadership": 40.0, "uncertainty": 60.0}


def test_a_difference_clear_only_at_95_percent_is_not_stated() -> None:
    # 9 points on 40 a side (sd 15): t about 2.7, past the 99.2 % each that 95 % over three
    # would ask, short of the 99.58 % each of this family's 1.25 % share.
    split = _compare(45.0, 54.0, sd=15.0)
    row = next(r for r in split["compare"] if r["construct"] == "collective_practice")
    assert row["low"] < 0 < row["high"]
    assert not row["finding"] and split["compare_finding"] is False


def test_a_trend_step_is_better_or_worse_only_when_tested_and_clear() -> None:
    points = [("Q1", MEANS), ("Q2", {"leadership": 70.0, "uncertainty": 62.0})]
    untested = trend_view(points)
    assert untested is not None
    assert all(d["improved"] is None for d in untested["deltas"])
    spreads = {
        "leadership": (Summary(40, 40.0, 15.0), Summary(40, 70.0, 15.0)),
        "uncertainty": (Summary(40, 60.0, 15.0), Summary(40, 62.0, 15.0)),
    }
    tested = trend_view(points, spreads)
    assert tested is not None
    by = {d["label"]: d for d in tested["deltas"]}
    assert by["Leadership commitment"]["improved"] is True
    assert by["Leadership commitment"]["low"] > 0
    # Two points of uncertainty on 40 people a side: no clear change, so neither word.
    assert by["Uncertainty about responsible AI"]["improved"] is None
    assert by["Uncertainty about responsible AI"]["tested"] is True
    assert "98.75 %: 99.82 % each" in tested["method"]


def test_item_changes_call_only_findings_better_or_worse() -> None:
    drilldown = [
        {"key": "leadership", "items": [{"key": "a", "mean": 80.0}, {"key": "b", "mean": 55.0}]}
    ]
    previous = {"a": 20.0, "b": 50.0}
    then = {"a": Summary(20, 20.0, 15.0), "b": Summary(8, 50.0, 25.0)}
    now = {"a": Summary(20, 80.0, 15.0), "b": Summary(8, 55.0, 25.0)}
    rows = {r["key"]: r for r in item_change_rows(drilldown, previous, (then, now))}
    assert rows["a"]["finding"] and rows["a"]["improved"] is True
    assert not rows["b"]["finding"] and rows["b"]["improved"] is None
    assert rows["b"]["change"] == pytest.approx(5.0)  # the number is still shown
    # Without spreads nothing is tested, so nothing is called better or worse.
    assert all(r["improved"] is None for r in item_change_rows(drilldown, previous))


def _layers(*rows: tuple[float, float, float]) -> list[dict[str, Any]]:
    names = [("policy", "Policy"), ("controls", "Controls"), ("operations", "Operations")]
    return [
        {
            "layer": layer,
            "label": label,
            "mean": m,
            "low": lo,
            "high": hi,
            "side": "below" if hi < 50 else "above" if lo >= 50 else "unclear",
        }
        for (layer, label), (m, lo, hi) in zip(names, rows, strict=True)
    ]


def test_a_layer_breaks_the_chain_only_when_its_interval_is_below_the_cut() -> None:
    clear = _chain(_layers((70, 62, 78), (35, 28, 42), (60, 52, 68)))
    assert clear.startswith("The chain breaks between policy (70) and controls (35")
    noisy = _chain(_layers((55, 40, 70), (44, 30, 58), (60, 52, 68)))
    assert noisy.startswith("No layer is clearly below 50")
    assert "policy (55) and controls (44) could be on either side of 50" in noisy
    assert _chain(_layers((70, 62, 78), (65, 55, 75), (60, 52, 68))).startswith("The chain holds")


def test_a_real_test_part_fails_only_when_clearly_fewer_than_half_agree() -> None:
    rows = [
        {"part": "explain", "agree": 3, "n": 8, "share": 37.5, "failed": False, "passed": False},
        {"part": "prove", "agree": 2, "n": 30, "share": 6.7, "failed": True, "passed": False},
        {"part": "prevent", "agree": 28, "n": 30, "share": 93.3, "failed": False, "passed": True},
    ]
    sentence = real_test_sentence(rows)
    assert sentence.startswith("Fails 1 of 3 parts of the real test: proving why it happened")
    assert "passes on stopping it happening again" in sentence
    assert "not clear yet on explaining exactly what happened (3 of 8 agree, 38%)" in sentence


def _agg(individual: tuple[int, float, float | None], collective: tuple[int, float, float | None]):
    constructs = {
        key: ConstructStats(key, n, mean, sd, None, None, None, 0)
        for key, (n, mean, sd) in (
            ("individual_practice", individual),
            ("collective_practice", collective),
        )
    }
    return GroupAggregate("2", 10, constructs, {}, None, None)  # type: ignore[arg-type]


def test_a_profile_near_the_line_says_it_could_be_another_one() -> None:
    near = near_the_line(_agg((8, 58.0, 20.0), (40, 20.0, 10.0)), 60.0)
    assert near["near_line"] is True
    assert near["near_line_note"].startswith("Near the line: low-resource individual")
    assert "58 (interval" in near["near_line_note"]
    clear = near_the_line(_agg((40, 85.0, 10.0), (40, 20.0, 10.0)), 60.0)
    assert clear == {"near_line": False, "near_line_note": ""}
    # Without a released spread it cannot tell: neither flagged nor cleared.
    assert near_the_line(_agg((4, 58.0, None), (4, 20.0, None)), 60.0)["near_line"] is None
