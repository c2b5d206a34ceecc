"""The instrument loader, its validation, visibility rules and the content of instrument v1.

Pure tests: no database, no settings.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instrument.loader import (
    available_versions,
    instrument_path,
    load_instrument,
    load_version,
    parse_instrument,
)
from assessments.instrument.types import (
    CONSTRUCTS,
    PRACTICE_CATEGORIES,
    TEXT_TYPES,
    Answers,
    Instrument,
    InstrumentError,
    Item,
    Option,
    Section,
    ShowIf,
    Thresholds,
    instrument_summary,
)
from assessments.instrument.visibility import visible_item_keys

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "instruments"
SOURCE = "test.yaml"


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


def base_data() -> dict[str, Any]:
    """A small valid instrument as a dict; tests break one thing at a time."""
    return yaml.safe_load((FIXTURES / "minimal.yaml").read_text())


def items_of(data: dict[str, Any], section: int = 1) -> list[dict[str, Any]]:
    return data["sections"][section]["items"]


def item_in(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(i for s in data["sections"] for i in s["items"] if i["key"] == key)


def errors_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(InstrumentError) as caught:
        parse_instrument(data, SOURCE)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def assert_one_error(data: dict[str, Any], where: str, problem: str) -> None:
    """Exactly one error line, naming the file, the item (or path) and the problem."""
    errors = errors_of(data)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{SOURCE}: {where}: "), errors[0]
    assert problem in errors[0], errors[0]


# --- Loading ------------------------------------------------------------------------------


def test_minimal_fixture_loads_with_defaults_filled_in() -> None:
    instrument = load_instrument(FIXTURES / "minimal.yaml")

    assert instrument.version == "test"
    assert [s.key for s in instrument.sections] == ["about", "practice"]
    unsure, review, action = (instrument.item(k) for k in ("unc_unsure", "ind_review", "act_one"))
    assert unsure.weight == 1.0 and unsure.reverse is False and unsure.required is True
    assert unsure.section == "practice"
    assert unsure.options == instrument.scales["agreement"]
    assert review.show_if == ShowIf(item="ctx_stage", values=("monitor",), negate=False)
    assert (review.resource, review.category) == ("individual", "review")
    assert action.required is False and action.max_length == 2000 and action.options == ()
    assert instrument.item("ctx_stage").segment == "lifecycle_stage"
    assert instrument.thresholds == Thresholds()


def test_yes_no_scale_keeps_dont_know_and_not_applicable_without_score() -> None:
    instrument = load_instrument(FIXTURES / "minimal.yaml")
    by_value = {o.value: o for o in instrument.scales["yes_no"]}

    assert by_value["dont_know"] == Option("dont_know", "I don't know", None, dont_know=True)
    assert by_value["not_applicable"].not_applicable and by_value["not_applicable"].score is None
    assert by_value["yes"].score == 100.0


def test_content_hash_is_sha256_of_bytes_and_changes_when_bytes_change(tmp_path: Path) -> None:
    original = (FIXTURES / "minimal.yaml").read_bytes()
    path = tmp_path / "instrument.yaml"
    path.write_bytes(original)
    first = load_instrument(path)
    path.write_bytes(original + b"\n# a comment changes nothing but the bytes\n")
    second = load_instrument(path)

    assert first.content_hash == hashlib.sha256(original).hexdigest()
    assert second.content_hash != first.content_hash
    assert load_instrument(FIXTURES / "minimal.yaml").content_hash == first.content_hash


def test_parse_instrument_keeps_the_given_content_hash() -> None:
    assert parse_instrument(base_data(), SOURCE, content_hash="abc").content_hash == "abc"


def test_broken_fixture_reports_every_problem_with_file_and_key() -> None:
    path = FIXTURES / "broken.yaml"
    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)

    assert caught.value.errors == [
        f"{path}: item 'unc_unsure': unknown construct 'uncertainy' (expected one of "
        + ", ".join(CONSTRUCTS)
        + ")",
        f"{path}: item 'ind_review': practice items need resource: individual or collective "
        "(got None)",
        f"{path}: item 'act_one': unknown type 'essay' (expected one of agreement, frequency, "
        "yes_no, single_choice, multiple_choice, free_text, action)",
    ]


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("version: '1\nsections: [")

    with pytest.raises(InstrumentError, match=rf"^{path}: invalid YAML"):
        load_instrument(path)


def test_missing_file_is_an_instrument_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(InstrumentError, match="cannot read the file"):
        load_instrument(tmp_path / "v9.yaml")


def test_file_named_for_a_version_must_declare_that_version(tmp_path: Path) -> None:
    path = tmp_path / "v2.yaml"
    path.write_text((FIXTURES / "minimal.yaml").read_text())

    with pytest.raises(InstrumentError) as caught:
        load_instrument(path)
    assert caught.value.errors == [
        f"{path}: 'version': is 'test' but the file name says '2'",
    ]


def test_available_versions_lists_version_files_in_numeric_order(tmp_path: Path) -> None:
    for name in ("v10.yaml", "v2.yaml", "v1.yaml", "notes.yaml", "v3.yml"):
        (tmp_path / name).write_text("")

    assert available_versions(tmp_path) == ["1", "2", "10"]
    assert instrument_path("2", tmp_path) == tmp_path / "v2.yaml"


def test_shipped_versions_include_v1() -> None:
    assert "1" in available_versions()
    assert instrument_path("1").name == "v1.yaml"


# --- Validation: top level, scales, thresholds ---------------------------------------------


def test_data_that_is_not_a_mapping_is_rejected() -> None:
    with pytest.raises(InstrumentError, match=rf"^{SOURCE}: top level: must be a mapping"):
        parse_instrument(["not", "a", "mapping"], SOURCE)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "where", "problem"),
    [
        (lambda d: d.pop("version"), "'version'", "must be a non-empty string"),
        (lambda d: d.update(version=1), "'version'", "quote it in YAML (got 1)"),
        (lambda d: d.pop("title"), "top level", "'title' is missing"),
        (lambda d: d.update(sections=[]), "'sections'", "must be a non-empty list"),
        (lambda d: d.update(descripton="x"), "top level", "unknown field(s) 'descripton'"),
        (lambda d: d["scales"].pop("frequency"), "scale 'frequency'", "is missing"),
        (lambda d: d["scales"].update(likert=[]), "scale 'likert'", "unknown scale"),
        (
            lambda d: d["scales"]["agreement"][0].pop("score"),
            "scale 'agreement'",
            "option(s) without a score: disagree",
        ),
        (
            lambda d: d["scales"]["yes_no"].pop(2),
            "scale 'yes_no'",
            "needs exactly one option with dont_know: true",
        ),
        (
            lambda d: d["scales"]["yes_no"][3].update(score=50),
            "scale 'yes_no' option #4",
            "dont_know/not_applicable options carry no score",
        ),
        (
            lambda d: d["scales"]["yes_no"][0].update(value=True),
            "scale 'yes_no' option #1",
            "quote it in YAML (got True)",
        ),
        (
            lambda d: d.update(thresholds={"practice_high": 120}),
            "threshold 'practice_high'",
            "must be a number in 0-100 (got 120)",
        ),
        (
            lambda d: d.update(thresholds={"gap_practice_max": -1}),
            "threshold 'gap_practice_max'",
            "must be a number in 0-100",
        ),
        (
            lambda d: d.update(thresholds={"lift_min_group": 0}),
            "threshold 'lift_min_group'",
            "whole number of at least 1",
        ),
        (
            lambda d: d.update(thresholds={"practise_high": 60}),
            "'thresholds'",
            "unknown field(s) 'practise_high'",
        ),
    ],
)
def test_invalid_top_level_scales_or_thresholds_are_reported(
    change: Callable[[dict[str, Any]], object], where: str, problem: str
) -> None:
    data = base_data()
    change(data)
    assert_one_error(data, where, problem)


def test_thresholds_from_the_file_override_defaults() -> None:
    data = base_data()
    data["thresholds"] = {"practice_high": 70, "lift_min_group": 8}

    thresholds = parse_instrument(data, SOURCE).thresholds
    assert thresholds.practice_high == 70.0 and thresholds.lift_min_group == 8
    assert thresholds.gap_practice_max == Thresholds().gap_practice_max


def test_duplicate_section_key_is_reported() -> None:
    data = base_data()
    data["sections"].append(copy.deepcopy(data["sections"][0]))
    data["sections"][2]["items"][0]["key"] = "ctx_other"
    data["sections"][2]["items"][0].pop("segment")

    assert_one_error(data, "section 'about'", "duplicate section key")


# --- Validation: items -------------------------------------------------------------------


def scored_choice(**overrides: Any) -> dict[str, Any]:
    item = {
        "key": "lead_choice",
        "type": "single_choice",
        "construct": "leadership",
        "text": "How often?",
        "help": "For example, monthly.",
        "options": [
            {"value": "low", "label": "Low", "score": 0},
            {"value": "high", "label": "High", "score": 100},
        ],
    }
    item.update(overrides)
    return item


@pytest.mark.parametrize(
    ("key", "change", "problem"),
    [
        ("unc_unsure", {"type": "likert"}, "unknown type 'likert'"),
        ("unc_unsure", {"construct": "uncertanity"}, "unknown construct 'uncertanity'"),
        ("unc_unsure", {"reverce": True}, "unknown field(s) 'reverce'"),
        ("unc_unsure", {"weight": 0}, "weight must be a number above 0 (got 0)"),
        ("unc_unsure", {"weight": -2}, "weight must be a number above 0"),
        ("unc_unsure", {"weight": True}, "weight must be a number above 0"),
        ("unc_unsure", {"reverse": "yes"}, "'reverse' must be true or false"),
        ("unc_unsure", {"help": ""}, "'help' must be a non-empty string"),
        ("unc_unsure", {"resource": "individual"}, "belong only to practice items"),
        ("unc_unsure", {"category": "review"}, "belong only to practice items"),
        ("unc_unsure", {"segment": "stage"}, "segment belongs only to unscored context items"),
        ("act_one", {"segment": "stage"}, "segment items must be single_choice"),
        ("ctx_stage", {"segment": "Stage"}, "segment must be a snake_case string"),
        (
            "unc_unsure",
            {"options": [{"value": "a", "label": "A", "score": 1}]},
            "agreement items take their options from scales.agreement",
        ),
        ("ind_review", {"resource": None}, "practice items need resource"),
        ("ind_review", {"resource": "team"}, "practice items need resource"),
        ("ind_review", {"category": None}, "practice items need a category"),
        ("ind_review", {"category": "vibes"}, "practice items need a category"),
        ("act_one", {"construct": "uncertainty"}, "action items are not scored"),
        ("act_one", {"max_length": 0}, "max_length must be a whole number in 1..5000"),
        ("act_one", {"max_length": 5001}, "max_length must be a whole number in 1..5000"),
        ("act_one", {"options": [{"value": "a", "label": "A"}]}, "action items take no options"),
        ("unc_unsure", {"max_length": 100}, "max_length applies only to free_text and action"),
        ("ind_review", {"show_if": {"item": "ctx_stage"}}, "needs exactly one of 'in' or 'not_in'"),
        (
            "ind_review",
            {"show_if": {"item": "ctx_stage", "in": ["build"], "not_in": ["monitor"]}},
            "needs exactly one of 'in' or 'not_in'",
        ),
        ("ind_review", {"show_if": {"item": "ctx_stage", "in": []}}, "non-empty list of strings"),
    ],
)
def test_invalid_item_field_is_reported_with_file_key_and_problem(
    key: str, change: dict[str, Any], problem: str
) -> None:
    data = base_data()
    item = item_in(data, key)
    for name, value in change.items():
        if value is None:
            item.pop(name)
        else:
            item[name] = value

    assert_one_error(data, f"item '{key}'", problem)


def test_item_without_a_key_is_named_by_its_section_and_position() -> None:
    data = base_data()
    items_of(data)[1].pop("key")

    assert_one_error(data, "section 'practice' item #2", "'key' is missing")


def test_duplicate_item_key_across_sections_is_reported() -> None:
    data = base_data()
    items_of(data, 1)[0]["key"] = "ctx_stage"

    assert_one_error(data, "item 'ctx_stage'", "duplicate item key (first used in section 'about')")


def test_choice_item_without_options_is_reported() -> None:
    data = base_data()
    items_of(data).append(scored_choice(options=[]))

    assert_one_error(data, "item 'lead_choice'", "'options' must be a non-empty list")


def test_scored_choice_item_with_an_unscored_option_is_reported() -> None:
    data = base_data()
    item = scored_choice()
    item["options"].append({"value": "unsure", "label": "Not sure"})
    items_of(data).append(item)

    assert_one_error(data, "item 'lead_choice'", "option(s) without a score: unsure")


def test_scored_choice_item_may_have_dont_know_and_not_applicable_without_score() -> None:
    data = base_data()
    item = scored_choice()
    item["options"] += [
        {"value": "dk", "label": "Don't know", "dont_know": True},
        {"value": "na", "label": "Not applicable", "not_applicable": True},
    ]
    items_of(data).append(item)

    assert parse_instrument(data, SOURCE).item("lead_choice").option("dk") == Option(
        "dk", "Don't know", None, dont_know=True
    )


@pytest.mark.parametrize("score", [101, -1, 100.5])
def test_option_score_outside_0_to_100_is_reported(score: float) -> None:
    data = base_data()
    item = scored_choice()
    item["options"][1]["score"] = score
    items_of(data).append(item)

    assert_one_error(
        data, "item 'lead_choice' option #2", f"option 'high': score {score} is outside 0-100"
    )


def test_option_score_that_is_not_a_number_is_reported_once() -> None:
    data = base_data()
    item = scored_choice()
    item["options"][1]["score"] = "high"
    items_of(data).append(item)

    assert_one_error(
        data, "item 'lead_choice' option #2", "option 'high': score must be a number (got 'high')"
    )


def test_duplicate_option_value_is_reported() -> None:
    data = base_data()
    item = scored_choice()
    item["options"].append({"value": "low", "label": "Low again", "score": 10})
    items_of(data).append(item)

    assert_one_error(data, "item 'lead_choice'", "duplicate option value 'low'")


def test_score_on_an_option_of_an_unscored_item_is_reported() -> None:
    data = base_data()
    item_in(data, "ctx_stage")["options"][0]["score"] = 50

    assert_one_error(data, "item 'ctx_stage'", "options carry scores but the item has no construct")


def test_show_if_naming_an_unknown_item_is_reported() -> None:
    data = base_data()
    item_in(data, "ind_review")["show_if"] = {"item": "ctx_stagee", "in": ["monitor"]}

    assert_one_error(data, "item 'ind_review'", "show_if names unknown item 'ctx_stagee'")


def test_show_if_naming_a_value_the_source_lacks_is_reported() -> None:
    data = base_data()
    item_in(data, "ind_review")["show_if"] = {"item": "ctx_stage", "not_in": ["launch"]}

    assert_one_error(
        data,
        "item 'ind_review'",
        "show_if value 'launch' is not an option of item 'ctx_stage' (options: build, monitor)",
    )


def test_show_if_on_a_text_item_is_reported() -> None:
    data = base_data()
    item_in(data, "ind_review")["show_if"] = {"item": "act_one", "in": ["anything"]}

    assert_one_error(data, "item 'ind_review'", "show_if source 'act_one' is a text item")


def test_show_if_may_reference_a_later_item() -> None:
    data = base_data()
    item_in(data, "ctx_stage")["show_if"] = {"item": "unc_unsure", "in": ["agree"]}

    assert parse_instrument(data, SOURCE).item("ctx_stage").show_if is not None


def test_cycle_in_show_if_conditions_is_reported() -> None:
    data = base_data()
    # ctx_stage -> unc_unsure -> ind_review -> ctx_stage, through a later item.
    item_in(data, "ctx_stage")["show_if"] = {"item": "unc_unsure", "in": ["agree"]}
    item_in(data, "unc_unsure")["show_if"] = {"item": "ind_review", "in": ["always"]}

    assert_one_error(
        data,
        "item 'ctx_stage'",
        "show_if conditions form a cycle: ctx_stage -> unc_unsure -> ind_review -> ctx_stage",
    )


def test_item_conditioned_on_itself_is_a_cycle() -> None:
    data = base_data()
    item_in(data, "ctx_stage")["show_if"] = {"item": "ctx_stage", "in": ["build"]}

    assert_one_error(data, "item 'ctx_stage'", "form a cycle: ctx_stage -> ctx_stage")


def test_segment_defined_twice_is_reported() -> None:
    data = base_data()
    items_of(data, 0).append(
        {
            "key": "ctx_stage_again",
            "type": "single_choice",
            "segment": "lifecycle_stage",
            "text": "Stage again?",
            "help": "Again.",
            "options": [{"value": "a", "label": "A"}],
        }
    )

    assert_one_error(
        data,
        "item 'ctx_stage_again'",
        "segment 'lifecycle_stage' is already defined by item 'ctx_stage'",
    )


def test_all_problems_are_collected_into_one_error_one_per_line() -> None:
    data = base_data()
    item_in(data, "unc_unsure")["weight"] = 0
    item_in(data, "ind_review")["category"] = "vibes"
    item_in(data, "act_one")["construct"] = "uncertainty"
    data["thresholds"] = {"practice_high": 101}

    errors = errors_of(data)
    assert [e.split(": ")[1] for e in errors] == [
        "threshold 'practice_high'",
        "item 'unc_unsure'",
        "item 'ind_review'",
        "item 'act_one'",
    ]


def test_unknown_construct_is_reported_once_without_follow_on_errors() -> None:
    data = base_data()
    item_in(data, "ind_review")["construct"] = "individual_practis"
    item_in(data, "unc_unsure")["construct"] = "uncertanity"
    item_in(data, "unc_unsure")["reverse"] = True

    assert len(errors_of(data)) == 2


# --- Visibility ------------------------------------------------------------------------------


def choice(key: str, values: tuple[str, ...], show_if: ShowIf | None = None) -> Item:
    return Item(
        key=key,
        text=key,
        help="",
        type="multiple_choice" if key.startswith("multi") else "single_choice",
        section="s",
        options=tuple(Option(v, v) for v in values),
        show_if=show_if,
    )


def instrument_of(*items: Item) -> Instrument:
    return Instrument(version="t", title="t", sections=(Section("s", "S", "", items),))


CHAIN = instrument_of(
    choice("a", ("x", "y")),
    choice("b", ("p", "q"), ShowIf("a", ("x",))),
    choice("c", ("m",), ShowIf("b", ("p",))),
    choice("d", ("m",), ShowIf("a", ("x",), negate=True)),
)


def test_items_without_conditions_are_always_visible() -> None:
    assert visible_item_keys(CHAIN, {}) >= {"a"}


def test_condition_shows_item_when_source_answer_is_listed() -> None:
    assert visible_item_keys(CHAIN, {"a": "x", "b": "p"}) == {"a", "b", "c"}


def test_unanswered_source_hides_the_item_even_when_negated() -> None:
    assert visible_item_keys(CHAIN, {}) == {"a"}
    assert visible_item_keys(CHAIN, {"a": ""}) == {"a"}


def test_not_in_shows_item_when_answer_is_not_listed() -> None:
    assert visible_item_keys(CHAIN, {"a": "y"}) == {"a", "d"}


def test_hidden_source_hides_its_dependents_despite_a_stale_matching_answer() -> None:
    # b still holds "p" from before a changed; c depends on b, which is now hidden.
    assert visible_item_keys(CHAIN, {"a": "y", "b": "p"}) == {"a", "d"}


def test_multiple_choice_source_matches_when_any_selected_value_is_listed() -> None:
    instrument = instrument_of(
        choice("multi", ("x", "y", "z")),
        choice("shown_on_x", ("m",), ShowIf("multi", ("x",))),
        choice("shown_unless_x", ("m",), ShowIf("multi", ("x",), negate=True)),
    )

    assert visible_item_keys(instrument, {"multi": ["y", "x"]}) == {"multi", "shown_on_x"}
    assert visible_item_keys(instrument, {"multi": ["y", "z"]}) == {"multi", "shown_unless_x"}
    assert visible_item_keys(instrument, {"multi": []}) == {"multi"}


def test_hand_built_cycle_hides_items_instead_of_recursing_forever() -> None:
    instrument = instrument_of(
        choice("a", ("x",), ShowIf("b", ("x",))),
        choice("b", ("x",), ShowIf("a", ("x",))),
        choice("c", ("x",)),
    )

    assert visible_item_keys(instrument, {"a": "x", "b": "x"}) == {"c"}


def test_v1_shows_monitoring_items_only_once_launched(v1: Instrument) -> None:
    conditional = {i.key for i in v1.items if i.show_if is not None}
    launched = visible_item_keys(v1, {"ctx_lifecycle_stage": "monitor"})
    building = visible_item_keys(v1, {"ctx_lifecycle_stage": "build"})

    assert "gov_production_monitoring" in launched - building
    assert "col_incident_process" in launched - building
    assert {i.key for i in v1.items} - conditional <= building


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_v1_visibility_never_hides_unconditioned_items(v1: Instrument, data: st.DataObject) -> None:
    instrument = v1
    answers: Answers = {}
    for item in instrument.items:
        if item.type in TEXT_TYPES or not data.draw(st.booleans()):
            continue
        values = [o.value for o in item.options]
        if item.type == "multiple_choice":
            answers[item.key] = data.draw(st.lists(st.sampled_from(values), unique=True))
        else:
            answers[item.key] = data.draw(st.sampled_from(values))

    visible = visible_item_keys(instrument, answers)

    assert {i.key for i in instrument.items if i.show_if is None} <= visible
    for item in instrument.items:
        if item.show_if is not None and item.show_if.item not in answers:
            assert item.key not in visible


# --- Instrument v1 -----------------------------------------------------------------------


def test_v1_summary_meets_the_coverage_the_product_needs(v1: Instrument) -> None:
    summary = instrument_summary(v1)

    assert {
        "version",
        "items",
        "items_by_construct",
        "practice_items_by_resource",
        "free_text_action_items",
    } <= set(summary)
    assert summary["version"] == "1"
    assert summary["items"] == len(v1.items)
    assert set(summary["items_by_construct"]) == set(CONSTRUCTS)
    by_construct = summary["items_by_construct"]
    for construct in ("uncertainty", "diffusion", "leadership", "principles"):
        assert by_construct[construct] >= 6, construct
    assert by_construct["governance_design"] >= 8
    assert summary["practice_items_by_resource"]["individual"] >= 8
    assert summary["practice_items_by_resource"]["collective"] >= 8
    assert summary["free_text_action_items"] >= 2
    assert 1 <= sum(i.type == "free_text" for i in v1.items) <= 2


def test_v1_version_matches_its_file_and_has_a_hash(v1: Instrument) -> None:
    raw = instrument_path("1").read_bytes()
    assert v1.version == "1"
    assert v1.content_hash == hashlib.sha256(raw).hexdigest()
    assert v1.thresholds == Thresholds()
    assert 6 <= len(v1.sections) <= 7


def test_v1_constructs_mix_wording_directions(v1: Instrument) -> None:
    for construct in ("uncertainty", "diffusion", "leadership", "principles"):
        directions = {i.reverse for i in v1.items if i.construct == construct}
        assert directions == {True, False}, construct


def test_v1_practice_items_are_mostly_frequency_or_yes_no_and_spread_over_categories(
    v1: Instrument,
) -> None:
    practice = [i for i in v1.items if i.is_practice]
    types = Counter(i.type for i in practice)
    assert types["frequency"] + types["yes_no"] >= 0.75 * len(practice)
    for resource in ("individual", "collective"):
        categories = {i.category for i in practice if i.resource == resource}
        assert len(categories) >= 6, resource
    assert {i.category for i in practice} == set(PRACTICE_CATEGORIES)


def test_v1_context_items_segment_results_and_are_not_scored(v1: Instrument) -> None:
    segments = {i.segment: i for i in v1.items if i.segment}
    expected_options = {
        "respondent_role": {
            "product_management",
            "engineering",
            "design",
            "risk_legal",
            "operations",
            "leadership",
        },
        "lifecycle_stage": {"define", "build", "test", "launch", "monitor", "adjust"},
        "self_view": {"guardrail", "gatekeeper", "neither"},
        "delivery_pressure": {"strongly_disagree", "neutral", "strongly_agree"},
    }
    for segment, values in expected_options.items():
        item = segments[segment]
        assert values <= {o.value for o in item.options}, segment
        assert not item.is_scored and all(o.score is None for o in item.options)


def test_v1_keys_carry_their_construct_prefix(v1: Instrument) -> None:
    prefixes = {
        "uncertainty": "unc_",
        "diffusion": "dif_",
        "leadership": "lead_",
        "principles": "prin_",
        "individual_practice": "ind_",
        "collective_practice": "col_",
        "governance_design": "gov_",
        None: ("ctx_", "act_", "txt_"),
    }
    for item in v1.items:
        assert item.key.startswith(prefixes[item.construct]), item.key


def test_v1_keeps_the_item_keys_other_modules_rely_on(v1: Instrument) -> None:
    keys = {i.key for i in v1.items}
    assert {
        "ctx_role",
        "ctx_lifecycle_stage",
        "ctx_self_view",
        "ctx_delivery_pressure",
        "unc_know_what_responsible_means",
        "lead_backs_delay",
        "ind_review_outputs",
        "col_authority_to_delay",
        "col_external_audit",
        "gov_escalation_path",
        "gov_confidence_gated",
        "gov_human_override",
        "gov_evaluation_thresholds",
        "gov_production_monitoring",
        "gov_traceability_test",
        "act_individual",
        "act_collective",
    } <= keys


def test_v1_every_item_has_help_and_action_items_are_optional(v1: Instrument) -> None:
    for item in v1.items:
        assert len(item.help) >= 40, item.key
        assert item.text.strip(), item.key
    for item in v1.items:
        if item.type in TEXT_TYPES:
            assert not item.required and item.max_length == 2000, item.key
