"""Instrument v2: governance layers, roadmap elements, the real test, "don't know" rules.

v2 is loaded from its file; the invalid cases break one thing in a copy of its data.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
import yaml

from assessments.instrument.loader import instrument_path, load_version, parse_instrument
from assessments.instrument.types import (
    CONSTRUCTS,
    GOVERNANCE_LAYERS,
    REAL_TEST_PARTS,
    ROADMAP_ELEMENTS,
    Instrument,
    InstrumentError,
    instrument_summary,
)

SOURCE = "v2-test.yaml"
# The hash v1 was published with: a published version never changes (see the file header).
V1_PUBLISHED_HASH = "764b6e38b2be5b128a2067942ea478587665349cc983dec44db6ecdc13a129b5"


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


@pytest.fixture(scope="module")
def v2() -> Instrument:
    return load_version("2")


def v2_data() -> dict[str, Any]:
    return yaml.safe_load(instrument_path("2").read_text())


def item_in(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for s in data["sections"] for i in s["items"] if i["key"] == key)


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(data, SOURCE)
    return caught.value.errors


def assert_one_error(data: dict[str, Any], where: str, problem: str) -> None:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: {where}: "), errors[0]
    assert problem in errors[0], errors[0]


# --- v1 stays as published ------------------------------------------------------------------


def test_v1_file_is_byte_for_byte_the_published_one(v1: Instrument) -> None:
    assert hashlib.sha256(instrument_path("1").read_bytes()).hexdigest() == V1_PUBLISHED_HASH
    assert v1.content_hash == V1_PUBLISHED_HASH


def test_v1_declares_no_new_fields(v1: Instrument) -> None:
    assert v1.dont_know == {} and v1.methods == ""
    assert not any(i.layer or i.roadmap or i.real_test for i in v1.items)


# --- v2 as shipped --------------------------------------------------------------------------


def test_v2_validates_and_differs_from_v1(v1: Instrument, v2: Instrument) -> None:
    assert v2.version == "2"
    assert v2.content_hash == hashlib.sha256(instrument_path("2").read_bytes()).hexdigest()
    assert v2.content_hash != v1.content_hash


def test_v2_keeps_every_construct_and_the_keys_of_unchanged_items(
    v1: Instrument, v2: Instrument
) -> None:
    assert {i.construct for i in v2.items if i.construct} == set(CONSTRUCTS)
    v2_items = {i.key: i for i in v2.items}
    kept = [i for i in v1.items if i.key in v2_items]
    # Only the single-question real test was replaced (by three items).
    assert {i.key for i in v1.items} - set(v2_items) == {"gov_traceability_test"}
    for old in kept:
        new = v2_items[old.key]
        assert (new.text, new.construct, new.reverse, new.weight, new.options) == (
            old.text,
            old.construct,
            old.reverse,
            old.weight,
            old.options,
        ), old.key


def test_v2_tags_every_governance_item_with_a_layer_at_least_three_each(v2: Instrument) -> None:
    governance = [i for i in v2.items if i.construct == "governance_design"]
    assert all(i.layer in GOVERNANCE_LAYERS for i in governance)
    for layer in GOVERNANCE_LAYERS:
        assert sum(i.layer == layer for i in governance) >= 3, layer
    assert not any(i.layer for i in v2.items if i.construct != "governance_design")


def test_v2_covers_every_roadmap_element_and_the_real_test_in_three_items(v2: Instrument) -> None:
    assert {i.roadmap for i in v2.items if i.roadmap} == set(ROADMAP_ELEMENTS)
    parts = [i.real_test for i in v2.items if i.real_test]
    assert sorted(parts) == sorted(REAL_TEST_PARTS)


def test_v2_declares_how_dont_know_counts_for_every_construct_that_can_get_one(
    v2: Instrument,
) -> None:
    can_dont_know = {
        i.construct for i in v2.items if i.construct and any(o.dont_know for o in i.options)
    }
    assert set(v2.dont_know) == can_dont_know
    assert v2.dont_know["principles"].counts_towards == "uncertainty"
    assert v2.dont_know["collective_practice"].counts_towards == "diffusion"
    assert all(rule.why for rule in v2.dont_know.values())
    assert "don't know" in v2.methods and "uncertainty" in v2.methods


def test_v2_summary_keeps_the_v1_keys_and_adds_the_new_ones(v1: Instrument, v2: Instrument) -> None:
    old_keys = {
        "version",
        "items",
        "items_by_construct",
        "practice_items_by_resource",
        "free_text_action_items",
    }
    new_keys = {"governance_layers", "roadmap_items", "real_test_items", "segments"}
    assert set(instrument_summary(v1)) == old_keys | new_keys
    summary = instrument_summary(v2)
    assert set(summary) == old_keys | new_keys
    assert summary["version"] == "2" and summary["items"] == len(v2.items)
    assert summary["governance_layers"] == {"policy": 5, "controls": 7, "operations": 6}
    assert summary["roadmap_items"] == {
        "guardrails": 2,
        "escalation": 2,
        "evaluation_thresholds": 1,
        "human_override": 2,
        "monitoring": 2,
    }
    assert summary["real_test_items"] == {"explain": 1, "prove": 1, "prevent": 1}
    assert summary["segments"] == [
        "respondent_role",
        "lifecycle_stage",
        "self_view",
        "delivery_pressure",
    ]
    assert instrument_summary(v1)["governance_layers"] == {
        "policy": 0,
        "controls": 0,
        "operations": 0,
    }


# --- Validation of the new fields -----------------------------------------------------------


def test_unknown_layer_is_reported_with_file_item_and_problem() -> None:
    data = v2_data()
    item_in(data, "gov_policy_written")["layer"] = "strategy"
    assert_one_error(data, "item 'gov_policy_written'", "unknown layer 'strategy'")


def test_unknown_roadmap_element_and_real_test_part_are_reported() -> None:
    data = v2_data()
    item_in(data, "gov_escalation_path")["roadmap"] = "escalate"
    item_in(data, "gov_real_prove")["real_test"] = "proof"
    errors = errors_of(data)
    assert any("item 'gov_escalation_path': unknown roadmap 'escalate'" in e for e in errors)
    assert any("item 'gov_real_prove': unknown real_test 'proof'" in e for e in errors)
    # The real test now lacks "prove".
    assert any("real test: no item asks part(s) prove" in e for e in errors)


def test_layer_outside_governance_is_reported() -> None:
    data = v2_data()
    item_in(data, "lead_work_rewarded")["layer"] = "policy"
    assert_one_error(
        data, "item 'lead_work_rewarded'", "layer belongs only to governance_design items"
    )


def test_governance_item_without_a_layer_is_reported_once_layers_are_used() -> None:
    data = v2_data()
    del item_in(data, "gov_decision_logging")["layer"]
    assert_one_error(data, "item 'gov_decision_logging'", "governance items need a layer")


def test_a_layer_nobody_measures_is_reported() -> None:
    data = v2_data()
    for section in data["sections"]:
        for item in section["items"]:
            if item.get("layer") == "operations":
                item["layer"] = "controls"
    assert_one_error(data, "governance layers", "no item measures layer(s) operations")


def test_dont_know_rule_with_a_bad_target_is_reported() -> None:
    data = v2_data()
    data["dont_know"]["principles"]["counts_towards"] = "leadership"
    assert_one_error(data, "dont_know 'principles'", "counts_towards must be one of")


def test_dont_know_rule_for_an_unknown_construct_or_with_bad_numbers_is_reported() -> None:
    data = v2_data()
    data["dont_know"]["ethics"] = {"counts_towards": "uncertainty", "why": "x"}
    data["dont_know"]["diffusion"]["score"] = 140
    data["dont_know"]["diffusion"]["weight"] = 0
    errors = errors_of(data)
    assert any("dont_know 'ethics': unknown construct" in e for e in errors)
    assert any("dont_know 'diffusion': score must be a number in 0-100" in e for e in errors)
    assert any("dont_know 'diffusion': weight must be a number above 0" in e for e in errors)
    assert len(errors) == 3, errors


def test_construct_without_a_dont_know_item_cannot_declare_a_rule() -> None:
    data = v2_data()
    data["dont_know"]["leadership"] = {"counts_towards": "uncertainty", "why": "x"}
    assert_one_error(data, "dont_know 'leadership'", "no item of this construct")


def test_missing_declaration_for_a_construct_with_dont_know_items_is_reported() -> None:
    data = v2_data()
    del data["dont_know"]["governance_design"]
    assert_one_error(data, "'dont_know'", "construct 'governance_design' has items")


def test_dont_know_rule_needs_its_reason() -> None:
    data = v2_data()
    del data["dont_know"]["principles"]["why"]
    assert_one_error(data, "dont_know 'principles'", "'why' is missing")
