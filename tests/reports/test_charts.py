"""reports/charts/: each builder's figure, table and summary tell the same numbers."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from html.parser import HTMLParser
from typing import Any

import plotly.graph_objects as go
import pytest
from django.template.loader import render_to_string
from hypothesis import given
from hypothesis import strategies as st

from reports import charts
from reports.charts import (
    Chart,
    ConstructRow,
    HeatmapColumn,
    LiftRow,
    PracticeRow,
    PrevalenceRow,
    ProfileRow,
    TrendSeries,
    chart_from_plain,
    heatmap,
)
from reports.charts.colour import colour_for_goodness, text_colour_on
from reports.charts.palette import (
    FAMILY_COLOURS,
    FAMILY_ORDER,
    GOODNESS_SCALE,
    INK,
    MISSING_FILL,
    MUTED,
    PROFILE_COLOURS,
)
from reports.charts.svg import render_svg
from reports.charts.text import (
    NOT_ENOUGH,
    format_interval,
    format_percent,
    format_ratio,
    format_score,
    goodness,
)
from reports.release_builder import to_plain


def construct_row(
    key: str, label: str, family: str, mean: float | None, **extra: Any
) -> ConstructRow:
    polarity = "lower_is_better" if family == "constrainer" else "higher_is_better"
    return ConstructRow(
        key=key,
        label=label,
        family=family,
        polarity=polarity,
        mean=mean,
        sd=extra.get("sd", 10.0 if mean is not None else None),
        n=extra.get("n", 8),
    )


CONSTRUCT_ROWS = [
    construct_row("uncertainty", "Uncertainty about responsible AI", "constrainer", 80.0),
    construct_row("leadership", "Leadership commitment", "enabler", 42.6, sd=12.4),
    construct_row("individual_practice", "Individual actions", "practice", 71.2),
    construct_row("governance_design", "Governance designed in", "governance", None, n=1),
]
PRACTICE_ROWS = [
    PracticeRow.from_plain(row)
    for row in [
        {
            "category": "review",
            "category_label": "Review",
            "resource": "individual",
            "adoption": 82.0,
            "n": 8,
        },
        {
            "category": "review",
            "category_label": "Review",
            "resource": "collective",
            "adoption": 41.5,
            "n": 8,
        },
        {
            "category": "audit",
            "category_label": "Audit",
            "resource": "collective",
            "adoption": None,
            "n": 2,
        },
    ]
]
HEATMAP_CONSTRUCTS = [
    HeatmapColumn.from_plain(row)
    for row in [
        {
            "key": "uncertainty",
            "label": "Uncertainty about responsible AI",
            "polarity": "lower_is_better",
        },
        {"key": "leadership", "label": "Leadership commitment", "polarity": "higher_is_better"},
    ]
]
PROFILE_ROWS = [
    ProfileRow.from_plain(row)
    for row in [
        {"state": "decoupled", "label": "Decoupled", "count": 1},
        {"state": "guardrails_without_backing", "label": "Guardrails without backing", "count": 5},
        {"state": "recoupled", "label": "Recoupled", "count": 0},
    ]
]
PREVALENCE_ROWS = [
    PrevalenceRow.from_plain(row)
    for row in [
        {
            "label": "Uncertainty about responsible AI",
            "family": "constrainer",
            "share": 62.5,
            "n": 40,
        },
        {"label": "Leadership commitment", "family": "enabler", "share": 12.0, "n": 39},
    ]
]
LIFT_CELLS = [
    LiftRow.from_plain(row)
    for row in [
        {
            "enabler_label": "Leadership",
            "practice_label": "Internal audit",
            "ratio": 3.14,
            "ci_low": 1.36,
            "ci_high": 6.84,
            "with_k": 12,
            "with_n": 15,
            "without_k": 3,
            "without_n": 20,
        },
        {
            "enabler_label": "Principles",
            "practice_label": "Red-team programme",
            "ratio": 0.8,
            "ci_low": 0.3,
            "ci_high": 2.1,
            "with_k": 4,
            "with_n": 20,
            "without_k": 3,
            "without_n": 12,
        },
    ]
]
TREND_SERIES = [
    TrendSeries.from_plain(row)
    for row in [
        {
            "label": "Leadership commitment",
            "polarity": "higher_is_better",
            "values": [40.0, 55.4, 63.0],
        },
        {
            "label": "Diffused responsibility",
            "polarity": "lower_is_better",
            "values": [50.0, None, 61.0],
        },
    ]
]


def every_chart() -> list[Chart]:
    return [
        charts.construct_chart("constructs", CONSTRUCT_ROWS),
        charts.practice_chart("practices", PRACTICE_ROWS),
        charts.heatmap_chart(
            "heatmap", ["Search", "Ads"], HEATMAP_CONSTRUCTS, [[80.0, 65.0], [None, 90.0]], [8, 5]
        ),
        charts.profile_chart("profiles", PROFILE_ROWS),
        charts.prevalence_chart("prevalence", PREVALENCE_ROWS),
        charts.lift_chart("lift", LIFT_CELLS),
        charts.trend_chart("trend", ["2026 Q1", "2026 Q2", "2026 Q3"], TREND_SERIES),
    ]


def every_empty_chart() -> list[Chart]:
    return [
        charts.construct_chart("c", []),
        charts.practice_chart("p", []),
        charts.heatmap_chart("h", [], HEATMAP_CONSTRUCTS, [], []),
        charts.profile_chart("pr", []),
        charts.prevalence_chart("pv", []),
        charts.lift_chart("l", []),
        charts.trend_chart("t", [], []),
    ]


def plotly_accepts(figure: dict) -> None:
    go.Figure(figure)  # raises on an unknown property or a wrong value type
    narrow = figure["layout"].get("meta", {}).get("narrow")
    if narrow:
        go.Figure({"data": figure["data"], "layout": {**figure["layout"], **narrow}})


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.kind)
def test_every_figure_is_strict_json_that_plotly_accepts(chart):
    text = json.dumps(chart.figure, allow_nan=False)
    assert json.loads(text) == chart.figure
    json.dumps(to_plain(chart.data), allow_nan=False)
    plotly_accepts(chart.figure)


@pytest.mark.parametrize("chart", every_chart() + every_empty_chart(), ids=lambda c: c.kind)
def test_a_stored_chart_reads_back_as_the_chart_the_builder_returned(chart):
    stored = json.loads(json.dumps(to_plain(chart), allow_nan=False))
    assert chart_from_plain(stored) == chart


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.kind)
def test_every_table_has_one_string_per_column(chart):
    assert chart.rows
    for row in chart.rows:
        assert len(row) == len(chart.columns)
        assert all(isinstance(cell, str) for cell in row)


@pytest.mark.parametrize("chart", every_empty_chart(), ids=lambda c: c.kind)
def test_empty_input_says_there_is_nothing_to_show_yet(chart):
    assert chart.summary.startswith("Nothing to show yet")
    assert chart.rows == ()
    assert chart.is_empty
    json.dumps(chart.figure, allow_nan=False)
    plotly_accepts(chart.figure)


def test_numbers_are_rounded_half_up_and_missing_ones_are_dashes():
    assert format_score(42.6) == "43"
    assert format_score(42.5) == "43"
    assert format_score(None) == "–"
    assert format_score(float("nan")) == "–"
    assert format_percent(41.5) == "42 %"
    assert format_ratio(3.14) == "3.1×"
    assert format_ratio(2.25) == "2.3×"
    assert format_interval(1.36, 6.84) == "1.4–6.8×"
    assert format_interval(None, 6.84) == "–"


def test_construct_table_carries_the_rounded_numbers_and_direction():
    chart = charts.construct_chart("c", CONSTRUCT_ROWS)
    assert chart.columns == ("Construct", "Score", "Spread (sd)", "n", "Direction")
    leadership = chart.rows[1]
    assert leadership == ("Leadership commitment", "43", "12", "8", "Higher is better")
    assert chart.rows[0][0] == "Uncertainty about responsible AI (lower is better)"
    assert chart.rows[0][4] == "Lower is better"
    assert chart.rows[3][1:3] == ("–", "–")


def test_construct_figure_shows_constrainers_as_lower_is_better_and_missing_as_a_note():
    figure = charts.construct_chart("c", CONSTRUCT_ROWS).figure
    categories = figure["layout"]["yaxis"]["categoryarray"]
    assert "(lower is<br>better)" in categories[0] or "(lower is better)" in categories[0]
    notes = [a for a in figure["layout"]["annotations"] if a["text"] == NOT_ENOUGH]
    assert [n["y"] for n in notes] == [categories[3]]
    bars = [t for t in figure["data"] if t.get("name")]
    assert {t["name"] for t in bars} == {"Constrainer", "Enabler", "Practice"}
    enabler = next(t for t in bars if t["name"] == "Enabler")
    assert enabler["x"] == [42.6]
    assert enabler["text"] == ["43"]
    assert enabler["marker"]["color"] == FAMILY_COLOURS["enabler"]


def test_construct_error_bars_stay_inside_the_scale():
    rows = [construct_row("leadership", "Leadership", "enabler", 95.0, sd=20.0)]
    bar = charts.construct_chart("c", rows).figure["data"][1]
    assert bar["error_x"]["array"] == [5.0]
    assert bar["error_x"]["arrayminus"] == [20.0]


def test_construct_summary_ranks_by_goodness_so_a_high_constrainer_is_weakest():
    summary = charts.construct_chart("c", CONSTRUCT_ROWS).summary
    assert "Strongest: Individual actions (71 of 100)" in summary
    assert "weakest: Uncertainty about responsible AI (80 of 100, where lower is better)" in summary
    assert "Not enough answers yet for Governance designed in" in summary


def test_a_mean_withheld_for_anonymity_says_so_not_that_answers_are_missing():
    rows = [
        construct_row("leadership", "Leadership", "enabler", 70.0),
        replace(construct_row("uncertainty", "Uncertainty", "constrainer", None), withheld=True),
        construct_row("diffusion", "Diffusion", "constrainer", None, n=1),
    ]
    chart = charts.construct_chart("c", rows)
    assert "Not enough answers yet for Diffusion." in chart.summary
    assert "Uncertainty: withheld to keep answers anonymous." in chart.summary
    notes = [a["text"] for a in chart.figure["layout"]["annotations"]]
    assert sorted(notes) == ["not enough answers", "withheld to keep answers anonymous"]
    assert "withheld to keep answers anonymous" in render_svg(chart, width=600)
    # A stored row says "withheld" only where the mean is missing.
    plain = {"label": "Leadership", "mean": 70.0, "withheld": True}
    assert ConstructRow.from_plain(plain).withheld is False


def test_construct_with_no_scores_at_all_still_draws_the_rows():
    rows = [construct_row("leadership", "Leadership", "enabler", None)]
    chart = charts.construct_chart("c", rows)
    assert chart.summary == "Not enough answers yet to score any construct."
    assert chart.rows == (("Leadership", "–", "–", "8", "Higher is better"),)


def test_practice_groups_individual_and_collective_per_category():
    chart = charts.practice_chart("p", PRACTICE_ROWS)
    traces = {t["name"]: t for t in chart.figure["data"] if t.get("name")}
    assert traces["Individual"]["text"] == ["82 %"]
    assert traces["Collective"]["text"] == ["42 %", NOT_ENOUGH]
    assert chart.figure["layout"]["barmode"] == "group"
    assert chart.rows[1] == ("Review", "Collective", "42 %", "8")
    assert chart.rows[2] == ("Audit", "Collective", "–", "2")
    assert "Most adopted: Review, individual (82 %)" in chart.summary
    assert "least: Review, collective (42 %)" in chart.summary


def test_heatmap_colours_by_goodness_so_a_high_constrainer_is_bad():
    chart = charts.heatmap_chart(
        "h", ["Search", "Ads"], HEATMAP_CONSTRUCTS, [[80.0, 65.0], [None, 90.0]], [8, 5]
    )
    scored = chart.figure["data"][1]
    assert scored["z"] == [[20.0, 65.0], [None, 90.0]]
    assert scored["zmin"] == 0 and scored["zmax"] == 100
    assert scored["colorscale"][0][1] == GOODNESS_SCALE[0][1]
    assert goodness(80, "lower_is_better") == 20
    assert goodness(80, "higher_is_better") == 80
    # The grey layer marks exactly the missing cell.
    assert chart.figure["data"][0]["z"] == [[None, None], [1, None]]
    cells = heatmap.cell_texts(chart.figure)
    assert [text for text, _ in cells] == ["80", "65", "–", "90"]
    # Each score in the ink that reads on its cell; a missing one muted on grey.
    assert [ink for _, ink in cells] == [
        text_colour_on(colour_for_goodness(20.0)),
        text_colour_on(colour_for_goodness(65.0)),
        MUTED,
        text_colour_on(colour_for_goodness(90.0)),
    ]
    assert "better →" in [a["text"] for a in chart.figure["layout"]["annotations"]]
    # Hover names come from two lists (static/js/charts.js), not a pair per cell.
    assert "customdata" not in scored
    assert chart.figure["layout"]["meta"]["cell_names"]["rows"] == ["Search", "Ads"]


def test_heatmap_rows_name_teams_with_n_and_table_keeps_raw_values():
    chart = charts.heatmap_chart(
        "h", ["Search", "Ads"], HEATMAP_CONSTRUCTS, [[80.0, 65.4], [None, 90.0]], [8, 5]
    )
    assert chart.figure["layout"]["yaxis"]["ticktext"] == ["Search (n=8)", "Ads (n=5)"]
    assert chart.columns == (
        "Team",
        "n",
        "Uncertainty about responsible AI (lower is better)",
        "Leadership commitment",
    )
    assert chart.rows == (("Search", "8", "80", "65"), ("Ads", "5", "–", "90"))
    assert "strongest result is Ads on Leadership commitment (90)" in chart.summary
    assert "weakest is Search on Uncertainty about responsible AI (80, lower is better)" in (
        chart.summary
    )


def test_heatmap_rejects_values_that_do_not_match_teams_or_constructs():
    with pytest.raises(ValueError):
        charts.heatmap_chart("h", ["A", "B"], HEATMAP_CONSTRUCTS, [[1.0, 2.0]], [3, 4])
    with pytest.raises(ValueError):
        charts.heatmap_chart("h", ["A"], HEATMAP_CONSTRUCTS, [[1.0]], [3])


def test_heatmap_cell_text_is_readable_on_its_colour():
    assert text_colour_on(colour_for_goodness(100)) == "#ffffff"
    assert text_colour_on(colour_for_goodness(50)) == INK
    assert colour_for_goodness(0) == "#a50026"
    assert colour_for_goodness(60) == "#e0f3f8"
    assert colour_for_goodness(55) in {"#eff9dc", "#f0f9dc"}  # between two stops
    assert colour_for_goodness(None) == MISSING_FILL


def test_profile_chart_counts_and_shares():
    chart = charts.profile_chart("p", PROFILE_ROWS)
    bar = chart.figure["data"][0]
    assert bar["x"] == [1, 5, 0]
    assert bar["marker"]["color"][1] == PROFILE_COLOURS["guardrails_without_backing"]
    assert chart.rows == (
        ("Decoupled", "1", "17 %"),
        ("Guardrails without backing", "5", "83 %"),
        ("Recoupled", "0", "0 %"),
    )
    assert chart.summary == (
        "Most common: Guardrails without backing (5 of 6 teams). None are Recoupled."
    )


def test_prevalence_chart_shares_in_words_and_table():
    chart = charts.prevalence_chart("p", PREVALENCE_ROWS)
    assert chart.rows == (
        ("Uncertainty about responsible AI", "Constrainer", "63 %", "40"),
        ("Leadership commitment", "Enabler", "12 %", "39"),
    )
    assert chart.summary == (
        "Most reported: Uncertainty about responsible AI (63 % of 40); "
        "least reported: Leadership commitment (12 % of 39)."
    )


def test_lift_table_formats_ratio_interval_and_counts():
    chart = charts.lift_chart("l", LIFT_CELLS)
    assert chart.columns == (
        "Enabler",
        "Practice",
        "Ratio",
        "95 % CI",
        "With enabler (k/n)",
        "Without (k/n)",
    )
    assert chart.rows[0] == ("Leadership", "Internal audit", "3.1×", "1.4–6.8×", "12/15", "3/20")
    yaxis = chart.figure["layout"]["yaxis"]
    assert yaxis["ticktext"][0] == "Leadership → Internal audit"
    narrow = chart.figure["layout"]["meta"]["narrow"]  # labels move above the rows
    assert narrow["yaxis"]["showticklabels"] is False
    assert "Leadership → Internal audit" in [a["text"] for a in narrow["annotations"]]
    assert chart.summary.startswith(
        "Strongest link: Leadership → “Internal audit”, reported 3.1× as often by respondents "
        "with the enabler as by those without (95 % CI 1.4–6.8×; 12 of 15 vs 3 of 20)."
    )
    assert "1 of 2 pairs shown have an interval entirely above 1×" in chart.summary


def test_lift_figure_is_a_log_dot_plot_with_a_line_at_one():
    layout = charts.lift_chart("l", LIFT_CELLS).figure["layout"]
    assert layout["xaxis"]["type"] == "log"
    low, high = layout["xaxis"]["range"]
    assert 10**low <= 0.3 and 10**high >= 6.84
    (line,) = layout["shapes"]
    assert line["x0"] == line["x1"] == 1
    dots = [t for t in charts.lift_chart("l", LIFT_CELLS).figure["data"] if t.get("name")]
    above = next(t for t in dots if t["name"] == "Interval above 1×")
    assert above["x"] == [3.14]
    assert above["error_x"]["array"] == [3.7]
    assert above["error_x"]["arrayminus"] == [1.78]


def test_trend_chart_lines_and_summary_respect_polarity():
    chart = charts.trend_chart("t", ["2026 Q1", "2026 Q2", "2026 Q3"], TREND_SERIES)
    lines = chart.figure["data"]
    assert lines[0]["y"] == [40.0, 55.4, 63.0]
    assert lines[1]["y"] == [50.0, None, 61.0]
    assert lines[1]["connectgaps"] is False
    assert chart.rows == (
        ("Leadership commitment", "40", "55", "63"),
        ("Diffused responsibility (lower is better)", "50", "–", "61"),
    )
    assert chart.summary == (
        "From 2026 Q1 to 2026 Q3, Leadership commitment (40 → 63) improved most; "
        "Diffused responsibility (50 → 61, lower is better) worsened most."
    )


def test_trend_with_one_cycle_says_a_trend_comes_later():
    chart = charts.trend_chart("t", ["2026 Q1"], [replace(TREND_SERIES[0], values=(40.0,))])
    assert chart.summary.startswith("Only one cycle so far (2026 Q1)")


def test_user_text_is_shown_literally_by_plotly_and_kept_raw_in_the_table():
    rows = [construct_row("x", "<b>R&D</b> team", "enabler", 50.0)]
    chart = charts.construct_chart("c", rows)
    assert chart.rows[0][0] == "<b>R&D</b> team"
    ticks = chart.figure["layout"]["yaxis"]["categoryarray"]
    assert ticks == ["&lt;b&gt;R&amp;D&lt;/b&gt; team"]


def test_equal_labels_stay_separate_rows():
    rows = [
        construct_row("a", "Same", "enabler", 10.0),
        construct_row("b", "Same", "enabler", 20.0),
    ]
    ticks = charts.construct_chart("c", rows).figure["layout"]["yaxis"]["categoryarray"]
    assert len(set(ticks)) == 2


scores = st.one_of(st.none(), st.floats(min_value=0, max_value=100), st.just(math.nan))


@given(
    st.lists(
        st.tuples(st.sampled_from(FAMILY_ORDER), scores, scores, st.integers(0, 500)),
        max_size=12,
    )
)
def test_construct_chart_never_emits_invalid_json(rows):
    chart = charts.construct_chart(
        "c",
        [
            ConstructRow.from_plain(
                {"key": f"k{i}", "label": f"Construct {i}", "family": family, "polarity": "x"}
                | {"mean": mean, "sd": sd, "n": n}
            )
            for i, (family, mean, sd, n) in enumerate(rows)
        ],
    )
    json.dumps(chart.figure, allow_nan=False)
    assert len(chart.rows) == len(rows)


# --- the template --------------------------------------------------------------------------


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.data: dict[str, str] = {}
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "script":
            self._script = dict(attrs).get("id") or ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = None

    def handle_data(self, data):
        if self._script is not None:
            self.data[self._script] = self.data.get(self._script, "") + data


def parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def find(parsed: _Elements, tag: str, cls: str) -> dict[str, str | None]:
    return next(a for t, a in parsed.elements if t == tag and cls in (a.get("class") or ""))


def test_template_shows_the_table_and_hides_the_plot_and_toggle_until_javascript_runs():
    chart = charts.lift_chart("org-lift", LIFT_CELLS)
    html = render_to_string("reports/_chart.html", {"chart": chart})
    parsed = parse(html)
    assert "hidden" not in find(parsed, "div", "rc-chart-table")
    plot = find(parsed, "div", "rc-chart-plot")
    assert "hidden" in plot
    assert plot["role"] == "img"
    assert plot["aria-label"] == chart.summary
    toggle = find(parsed, "button", "rc-chart-toggle")
    assert "hidden" in toggle
    assert toggle["aria-controls"] == "chart-org-lift-table"
    assert ("h3", {"class": "h6 mb-1", "id": "chart-org-lift-title"}) in parsed.elements
    assert json.loads(parsed.data["fig-org-lift"]) == chart.figure
    assert "<caption" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "3.1×" in html and "1.4–6.8×" in html


def test_template_has_no_inline_script_or_style():
    for chart in every_chart():
        html = render_to_string("reports/_chart.html", {"chart": chart})
        parsed = parse(html)
        scripts = [a for t, a in parsed.elements if t == "script"]
        assert scripts and all(a.get("type") == "application/json" for a in scripts)
        assert all("style" not in a for _, a in parsed.elements)
        assert not any(name.startswith("on") for _, a in parsed.elements for name in a)


def test_template_escapes_user_text_inside_the_json_block():
    rows = [construct_row("x", "</script><script>alert(1)</script>", "enabler", 50.0)]
    html = render_to_string("reports/_chart.html", {"chart": charts.construct_chart("c", rows)})
    assert "</script><script>" not in html
    assert json.loads(parse(html).data["fig-c"])["layout"]["yaxis"]["categoryarray"]


def test_template_of_an_empty_chart_is_only_title_and_summary():
    chart = charts.lift_chart("l", [])
    html = render_to_string("reports/_chart.html", {"chart": chart})
    assert chart.summary in html
    assert "<table" not in html and "<script" not in html and "rc-chart-toggle" not in html
