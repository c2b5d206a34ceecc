"""classify_action and classifier_accuracy: the command-line contracts. No database needed."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

KEYS = ["text", "kind", "confidence", "needs_review", "cues"]
DATA = Path(__file__).resolve().parent.parent / "data"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def json_lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# --- classify_action ---------------------------------------------------------------------


def test_json_for_one_text_is_one_line_with_exactly_the_contract_keys():
    # v6: "We held the launch for an audit." (v5's text here) is still collective but goes to
    # review, the model voting none; the contract is checked on the README's example instead
    text = "We held the launch for an external audit."
    lines = json_lines(run("classify_action", "--json", text))
    assert len(lines) == 1
    result = lines[0]
    assert list(result) == KEYS
    assert result["text"] == text
    assert result["kind"] == "collective"
    assert 0.0 <= result["confidence"] <= 1.0
    assert result["needs_review"] is False
    assert "collective:launch_hold" in result["cues"]


def test_json_for_a_file_is_one_line_per_action_in_order_skipping_blank_lines(tmp_path):
    path = tmp_path / "actions.txt"
    path.write_text(
        "Kept PII out of ChatGPT\n\n   \nmgmt approved budget for evals\nadded disclaimer\n",
        encoding="utf-8",
    )
    lines = json_lines(run("classify_action", "--json", "--file", str(path)))
    assert [line["text"] for line in lines] == [
        "Kept PII out of ChatGPT",
        "mgmt approved budget for evals",
        "added disclaimer",
    ]
    assert [line["kind"] for line in lines] == ["individual", "collective", "individual"]
    assert all(list(line) == KEYS for line in lines)


def test_json_says_none_for_a_text_that_describes_no_action():
    (result,) = json_lines(run("classify_action", "--json", "We did not get an audit."))
    assert list(result) == KEYS
    assert result["kind"] == "none"
    assert "none:refusal" in result["cues"]


def test_without_json_the_line_is_readable():
    output = run("classify_action", "added disclaimer")
    assert output.startswith("individual (0.")
    assert "added disclaimer" in output
    assert "individual:disclaimer_label" in output


@override_settings(RECOUPLE_CLASSIFIER_THRESHOLD=0.999)
def test_the_threshold_comes_from_settings():
    (result,) = json_lines(run("classify_action", "--json", "added disclaimer"))
    assert result["needs_review"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Give an action text"),
        (("   ",), "empty"),
        (("--file", "/nonexistent/actions.txt"), "No such file"),
        (("text", "--file", "/nonexistent/actions.txt"), "not both"),
    ],
)
def test_bad_input_is_a_command_error_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        run("classify_action", "--json", *args)


def test_a_file_without_actions_is_a_command_error(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("\n  \n\n", encoding="utf-8")
    with pytest.raises(CommandError, match="no actions"):
        run("classify_action", "--file", str(path))


# --- classifier_accuracy -----------------------------------------------------------------


def test_accuracy_json_reports_every_labelled_set_including_the_blind_ones():
    summary = json.loads(run("classifier_accuracy", "--json"))
    assert [Path(entry["file"]).name for entry in summary["files"]] == [
        "actions_dev.csv",
        "actions_dev_none.csv",
        "actions_dev_none2.csv",
        "actions_dev_none3.csv",
        "actions_dev_none4.csv",
        "actions_holdout.csv",
        "actions_blind.csv",
        "actions_blind_none.csv",
        "actions_blind3.csv",
        "actions_dev5.csv",
        "actions_dev6.csv",
        "actions_dev7.csv",
        "actions_dev8.csv",
        "actions_dev9.csv",
        "actions_dev10.csv",
        "actions_dev11.csv",
    ]
    for entry in summary["files"]:
        assert set(entry) == {
            "file",
            "n",
            "accuracy",
            "review_rate",
            "accuracy_not_reviewed",
            "reviewed",
            "confusion",
        }
        confusion = entry["confusion"]
        assert sum(sum(row.values()) for row in confusion.values()) == entry["n"]
        # blind3 (long multi-clause texts, measured once after freezing) is the weakest set
        assert entry["accuracy"] >= (0.85 if "blind3" in entry["file"] else 0.9)
        assert entry["review_rate"] < 0.15


def test_accuracy_on_a_given_file_with_a_confusion_table(tmp_path):
    path = tmp_path / "mini.csv"
    path.write_text(
        "text,kind\nadded disclaimer,individual\nHired an AI ethicist.,collective\n"
        "Hired an AI ethicist.,individual\n",
        encoding="utf-8",
    )
    output = run("classifier_accuracy", "--file", str(path))
    assert str(path) in output
    assert "n                          3" in output
    assert "accuracy                   66.7%" in output
    assert "actual \\ predicted" in output
    summary = json.loads(run("classifier_accuracy", "--json", "--file", str(path)))
    assert summary["files"][0]["confusion"]["individual"] == {
        "individual": 1,
        "collective": 1,
        "none": 0,
    }


def test_accuracy_on_a_malformed_file_is_a_command_error(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("action,label\nadded disclaimer,individual\n", encoding="utf-8")
    with pytest.raises(CommandError, match="text,kind"):
        run("classifier_accuracy", "--file", str(path))
