"""The vocabulary file and the loader shared by every data file.

Pure tests: no database, no settings.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessments import classify
from assessments.datafile import DataFileError, Problems, is_number, read_yaml
from assessments.instrument.types import CONSTRUCTS, PRACTICE_CATEGORIES, InstrumentError
from assessments.recommend.checks import PLAIN_NAMES
from assessments.recommend.rules import RuleError
from assessments.scoring.profile import PROFILE_STATES
from assessments.vocabulary import (
    DEFAULT_VOCABULARY_PATH,
    PROFILE_KEYS,
    REQUIRED_CONSTRUCTS,
    VOCABULARY,
    VocabularyError,
    load_vocabulary,
    parse_vocabulary,
)

SOURCE = "vocabulary-test.yaml"


def shipped() -> dict[str, Any]:
    return yaml.safe_load(DEFAULT_VOCABULARY_PATH.read_text(encoding="utf-8"))


def errors_of(data: object) -> list[str]:
    with pytest.raises(VocabularyError) as caught:
        parse_vocabulary(data, SOURCE)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


def test_the_shipped_vocabulary_loads_and_defines_every_key_the_code_names():
    vocabulary = load_vocabulary()
    assert list(vocabulary.constructs) == list(REQUIRED_CONSTRUCTS)
    assert list(vocabulary.profiles) == list(PROFILE_KEYS)
    assert vocabulary == VOCABULARY


def test_the_module_constants_are_the_vocabulary_file():
    data = shipped()
    assert {
        key: {"label": c["label"], "family": c["family"], "polarity": c["polarity"]}
        for key, c in data["constructs"].items()
    } == CONSTRUCTS
    assert tuple(data["practice_categories"]) == PRACTICE_CATEGORIES
    assert {
        key: {"label": p["label"], "summary": " ".join(p["summary"].split())}
        for key, p in data["profiles"].items()
    } == PROFILE_STATES
    assert {key: c["plain"] for key, c in data["constructs"].items()} == PLAIN_NAMES


def test_a_bad_vocabulary_file_names_every_problem_at_once(tmp_path: Path):
    data = shipped()
    data["families"]["Governance"] = data["families"].pop("governance")
    del data["constructs"]["diffusion"]
    data["constructs"]["leadership"]["polarity"] = "up"
    data["constructs"]["principles"]["family"] = "enablers"
    data["constructs"]["uncertainty"]["short"] = ""
    data["constructs"]["uncertainty"]["colour"] = "red"
    data["practice_categories"]["review"] = None
    del data["profiles"]["recoupled"]
    data["profiles"]["coupled"] = {"label": "Coupled", "summary": "x"}
    data["filters"]["stage"]["segment"] = "respondent_role"
    data["extra"] = 1
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    with pytest.raises(VocabularyError) as caught:
        load_vocabulary(path)

    assert caught.value.errors == [
        f"{path}: top level: unknown field(s) 'extra' (allowed: families, constructs, "
        "practice_categories, profiles, filters)",
        f"{path}: families: key 'Governance' must be snake_case (a-z, 0-9, _)",
        f"{path}: practice_categories.review: must be a non-empty string (got None)",
        f"{path}: families: missing governance (the code names these keys)",
        f"{path}: constructs.uncertainty: unknown field(s) 'colour' (allowed: label, short, "
        "plain, family, polarity)",
        f"{path}: constructs.uncertainty.short: must be a non-empty string (got '')",
        f"{path}: constructs.leadership.polarity: must be one of higher_is_better, "
        "lower_is_better (got 'up')",
        f"{path}: constructs.principles.family: unknown family 'enablers' (expected one of "
        "constrainer, enabler, practice)",
        f"{path}: constructs.governance_design.family: unknown family 'governance' (expected "
        "one of constrainer, enabler, practice)",
        f"{path}: constructs: missing diffusion (the code names these keys)",
        f"{path}: profiles: unknown profile state 'coupled' (expected decoupled, "
        "guardrails_without_backing, top_down_only, recoupled, insufficient_data)",
        f"{path}: profiles: missing recoupled (the code names these keys)",
        f"{path}: filters.stage.segment: segment 'respondent_role' already has a filter",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("filters"), "filters: must be a non-empty mapping (got NoneType)"),
        (
            lambda d: d["filters"].update(team={"segment": "Team Name", "label": "Team"}),
            "filters.team.segment: must be a segment key in snake_case (got 'Team Name')",
        ),
        (
            lambda d: d["profiles"]["decoupled"].pop("summary"),
            "profiles.decoupled: missing field(s) summary",
        ),
        (
            lambda d: d["constructs"].update(uncertainty="Uncertainty"),
            "constructs.uncertainty: must be a mapping of label, short, plain, family, polarity",
        ),
    ],
)
def test_each_kind_of_problem_names_the_file_and_the_key(change, expected):
    data = copy.deepcopy(shipped())
    change(data)
    assert f"{SOURCE}: {expected}" in errors_of(data)


def test_a_vocabulary_that_is_not_a_mapping_is_one_clear_error():
    assert errors_of(["families"]) == [
        f"{SOURCE}: top level: must be a mapping with families, constructs, "
        "practice_categories, profiles, filters"
    ]


def test_a_missing_or_unreadable_vocabulary_file_names_the_file(tmp_path: Path):
    with pytest.raises(VocabularyError, match=f"^{tmp_path / 'nope.yaml'}: cannot read the file"):
        load_vocabulary(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("families: [", encoding="utf-8")
    with pytest.raises(VocabularyError, match=f"^{broken}: invalid YAML"):
        load_vocabulary(broken)


def test_every_data_file_reports_in_one_error_style():
    for error in (
        InstrumentError,
        RuleError,
        classify.LexiconError,
        VocabularyError,
    ):
        assert issubclass(error, DataFileError)
        assert error("f.yaml: key: problem").errors == ["f.yaml: key: problem"]
        assert error(["a: b: one", "a: c: two"]).errors == ["a: b: one", "a: c: two"]
        assert str(error(["a: b: one", "a: c: two"])) == "a: b: one\na: c: two"


def test_problems_collect_then_raise_the_given_error():
    problems = Problems("f.yaml", VocabularyError)
    problems.raise_if_any()  # nothing yet
    problems.add("one", "first")
    with pytest.raises(VocabularyError) as caught:
        problems.fail("two", "second")
    assert caught.value.errors == ["f.yaml: one: first", "f.yaml: two: second"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1, True), (2.5, True), (0, True), (True, False), (False, False), ("1", False), (None, False)],
)
def test_one_number_rule_for_all_data_files(value, expected):
    assert is_number(value) is expected


def test_read_yaml_returns_the_bytes_it_parsed(tmp_path: Path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"a: 1\n")
    assert read_yaml(path) == (b"a: 1\n", {"a": 1})
