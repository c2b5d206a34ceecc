"""The one CSV writer: formula-looking text is neutralised, numbers stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from orgs.csv_export import csv_response, csv_text, safe_cell


@pytest.mark.parametrize(
    "text",
    ['=HYPERLINK("http://attacker.example","x")', "+1+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"],
)
def test_formula_like_text_gets_a_leading_apostrophe(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-3.5", "+4", "-1e3", "12", ".5"])
def test_text_that_is_a_number_stays_as_it_is(value):
    assert safe_cell(value) == value


def test_numbers_booleans_and_none():
    assert safe_cell(-3.14159) == -3.1
    assert safe_cell(-7) == -7
    assert safe_cell(None) == ""
    assert safe_cell(True) == "yes"


def test_header_and_rows_round_trip_through_a_csv_reader():
    text = csv_text(["team", "n"], [['=cmd|" /C calc"!A0', 4], ["Plain, with comma", None]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["team", "n"], ['\'=cmd|" /C calc"!A0', "4"], ["Plain, with comma", ""]]


def test_response_is_an_uncached_attachment():
    response = csv_response("x.csv", ["a"], [["b"]])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"].startswith("text/csv")
