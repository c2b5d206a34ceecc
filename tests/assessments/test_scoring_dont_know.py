""" "Don't know" counts towards the construct the instrument file names (v2 on); v1 unchanged."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from assessments.demo import GUARDRAILS, demo_answers
from assessments.instrument.loader import load_version
from assessments.instrument.types import DontKnowRule, Instrument, Section
from assessments.scoring.deltas import item_deltas
from assessments.scoring.group import aggregate
from assessments.scoring.response import score_response
from tests.assessments.hand_built import AGREEMENT, item

RULES = {
    "principles": DontKnowRule("principles", "uncertainty", "not knowing is uncertainty"),
    "collective_practice": DontKnowRule(
        "collective_practice", "diffusion", "assumed to be someone else's", score=80, weight=2
    ),
    "governance_design": DontKnowRule("governance_design", "none", "counted apart only"),
}


def instrument_with(rules: dict[str, DontKnowRule]) -> Instrument:
    items = (
        item("unc", "uncertainty", type="agreement", options=AGREEMENT),
        item("dif", "diffusion", type="agreement", options=AGREEMENT),
        item("prin", "principles"),
        item("col", "collective_practice"),
        item("gov", "governance_design"),
    )
    return Instrument(
        version="t2", title="Test", sections=(Section("s", "S", "", items),), dont_know=rules
    )


def test_dont_know_about_principles_raises_uncertainty() -> None:
    answers = {"unc": "d", "prin": "dk"}  # uncertainty item scores 25
    with_rules = score_response(instrument_with(RULES), answers)
    without = score_response(instrument_with({}), answers)

    assert without.score("uncertainty") == 25
    assert with_rules.score("uncertainty") == pytest.approx((25 + 100) / 2)
    # In its own construct it is still a "don't know": counted, not scored.
    principles = with_rules.constructs["principles"]
    assert (principles.score, principles.dont_know, principles.answered) == (None, 1, 0)
    counted = with_rules.constructs["uncertainty"].items[-1]
    assert (counted.item_key, counted.status, counted.score) == ("prin", "dont_know_counted", 100)
    assert with_rules.constructs["uncertainty"].answered == 1


def test_rule_score_and_weight_come_from_the_declaration() -> None:
    result = score_response(instrument_with(RULES), {"dif": "sd", "col": "dk"})
    # diffusion: 0 (weight 1) and the counted don't know 80 (weight 2).
    assert result.score("diffusion") == pytest.approx(160 / 3)


def test_counts_towards_none_and_yes_or_no_answers_change_nothing() -> None:
    answers = {"unc": "a", "dif": "a", "prin": "yes", "col": "no", "gov": "dk"}
    with_rules = score_response(instrument_with(RULES), answers)
    without = score_response(instrument_with({}), answers)
    assert with_rules.to_dict() == without.to_dict()


def test_constrainer_without_own_answers_is_scored_from_dont_knows_alone() -> None:
    result = score_response(instrument_with(RULES), {"prin": "dk"})
    assert result.score("uncertainty") == 100


def test_counted_dont_knows_stay_out_of_item_means_and_survive_a_round_trip() -> None:
    instrument = instrument_with(RULES)
    scores = [score_response(instrument, {"unc": "a", "prin": "dk"})]
    group = aggregate(scores, instrument.thresholds)
    assert group.item_means["unc"].mean == 75
    assert "prin" not in group.item_means  # its own answer was "don't know"
    assert group.constructs["uncertainty"].mean == pytest.approx(87.5)
    rebuilt = type(scores[0]).from_dict(scores[0].to_dict())
    assert rebuilt.constructs["uncertainty"].items[-1].status == "dont_know_counted"


def test_v1_has_no_rules_and_scores_as_before() -> None:
    v1 = load_version("1")
    assert v1.dont_know == {}
    answers = demo_answers(v1, GUARDRAILS, random.Random(7))
    answers["col_red_team"] = "dont_know"
    result = score_response(v1, answers)
    assert not any(
        c.status == "dont_know_counted" for cs in result.constructs.values() for c in cs.items
    )
    # The same answers under v1 data with rules would move diffusion.
    ruled = replace(v1, dont_know={"collective_practice": RULES["collective_practice"]})
    assert score_response(ruled, answers).score("diffusion") != result.score("diffusion")


def test_v2_dont_know_about_an_organisational_forum_raises_diffusion() -> None:
    v2 = load_version("2")
    answers = demo_answers(v2, GUARDRAILS, random.Random(3))
    answers["col_escalation_forum"] = "yes"
    knows = score_response(v2, answers).score("diffusion")
    answers["col_escalation_forum"] = "dont_know"
    unsure = score_response(v2, answers).score("diffusion")
    assert knows is not None and unsure is not None and unsure > knows


def test_item_deltas_match_kept_keys_across_v1_and_v2() -> None:
    v1, v2 = load_version("1"), load_version("2")
    before = [score_response(v1, demo_answers(v1, GUARDRAILS, random.Random(i))) for i in range(5)]
    after = [score_response(v2, demo_answers(v2, GUARDRAILS, random.Random(i))) for i in range(5)]
    deltas = item_deltas(aggregate(before, v1.thresholds), aggregate(after, v2.thresholds))
    assert "lead_backs_delay" in deltas and "gov_policy_written" in deltas
    assert "gov_traceability_test" not in deltas and "gov_real_explain" not in deltas
