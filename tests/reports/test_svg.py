"""reports/charts/svg/: static SVGs for PDFs show the same labels and numbers as the tables."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from reports import charts
from reports.charts import Chart, HeatmapColumn, LiftRow
from reports.charts.colour import colour_for_goodness
from reports.charts.palette import FAMILY_COLOURS, MISSING_FILL
from reports.charts.svg import render_svg
from reports.charts.text import NOT_ENOUGH, format_score

from .test_charts import CONSTRUCT_ROWS, construct_row, every_chart, every_empty_chart

SVG = "{http://www.w3.org/2000/svg}"


def words(svg: str) -> str:
    """All text of the SVG in document order, whitespace collapsed (wrapped lines rejoin)."""
    root = ET.fromstring(svg)
    texts = [" ".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    return re.sub(r"\s+", " ", " ".join(texts))


# Per kind: which table columns must appear as text (labels and numbers; not the columns
# that the drawing says with colour or position, like family or direction).
SHOWN_COLUMNS = {
    "construct": (0, 1, 2, 3),
    "practice": (0, 2, 3),
    "heatmap": None,  # every column
    "profile": (0, 1, 2),
    "prevalence": (0, 2, 3),
    "lift": None,
    "trend": None,
}


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.kind)
@pytest.mark.parametrize("width", [640, 360])
def test_every_kind_is_well_formed_and_shows_every_label_and_number(chart, width):
    svg = render_svg(chart, width=width)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("width") == str(width)
    assert root.get("viewBox", "").startswith(f"0 0 {width} ")
    assert root.find(f"{SVG}title").text == chart.title
    assert root.find(f"{SVG}desc").text == chart.summary
    text = words(svg)
    columns = SHOWN_COLUMNS[chart.kind] or range(len(chart.columns))
    for row in chart.rows:
        for i in columns:
            if row[i] == "–" and chart.kind in {"construct", "practice"}:
                assert NOT_ENOUGH in text  # said in words instead of a dash
            else:
                assert row[i] in text, (chart.kind, row[i])


@pytest.mark.parametrize("chart", every_chart(), ids=lambda c: c.kind)
def test_svgs_are_self_contained(chart):
    svg = render_svg(chart)
    assert "<script" not in svg
    assert "href" not in svg
    assert "url(" not in svg
    assert "<image" not in svg and "<foreignObject" not in svg


def test_heatmap_teams_carry_n_and_cells_use_the_plotly_colours():
    chart = every_chart()[2]
    svg = render_svg(chart, width=720)
    text = words(svg)
    assert "Search (n=8)" in text and "Ads (n=5)" in text
    cells = [r for r in ET.fromstring(svg).iter(f"{SVG}rect") if r.get("height") != "12"]
    fills = {r.get("fill") for r in cells}  # the cells, not the colour key
    # Uncertainty 80 is lower-is-better: coloured as goodness 20, i.e. bad.
    assert colour_for_goodness(20) in fills
    assert colour_for_goodness(80) not in fills
    assert MISSING_FILL in fills
    assert "better →" in text and "worse" in text


def test_construct_bars_use_family_colours_and_say_when_answers_are_missing():
    svg = render_svg(charts.construct_chart("c", CONSTRUCT_ROWS))
    fills = {r.get("fill") for r in ET.fromstring(svg).iter(f"{SVG}rect")}
    assert {FAMILY_COLOURS[f] for f in ("constrainer", "enabler", "practice")} <= fills
    assert NOT_ENOUGH in words(svg)


def test_text_is_escaped_and_survives_parsing():
    label = 'R&D <script>alert("x")</script> \x01team'
    rows = [construct_row("x", label, "enabler", 50.0)]
    chart = charts.construct_chart("c&<>", rows, title="Scores <&>")
    svg = render_svg(chart)
    assert "<script>" not in svg
    assert "R&amp;D &lt;script&gt;" in svg
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Scores <&>"
    assert 'R&D <script>alert("x")</script> team' in words(svg)
    teams = ["A <&> B"]
    heat = charts.heatmap_chart(
        "h",
        teams,
        [HeatmapColumn.from_plain({"key": "k", "label": "L&<", "polarity": ""})],
        [[1]],
        [3],
    )
    assert "A <&> B (n=3)" in words(render_svg(heat))


@pytest.mark.parametrize("chart", every_empty_chart(), ids=lambda c: c.kind)
def test_empty_charts_render_their_summary(chart):
    svg = render_svg(chart)
    assert chart.summary in words(svg)


def test_lift_draws_the_reference_line_and_uses_a_log_scale():
    chart = every_chart()[5]
    root = ET.fromstring(render_svg(chart, width=720))
    dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
    assert len(dashed) == 1
    assert "1×" in words(render_svg(chart, width=720))
    dots = sorted(float(c.get("cx")) for c in root.iter(f"{SVG}circle"))
    one = float(dashed[0].get("x1"))
    assert dots[0] < one < dots[1]  # 0.8× left of the line, 3.1× right of it


def test_the_printed_heatmap_is_a_table_with_every_team_once_coloured_as_drawn():
    """The PDF prints the heatmap as a table (it flows over pages): one row per team in
    order, each cell the score as the drawing writes it, on the drawing's colour."""
    from reports.pdf import heatmap_table

    constructs = [
        HeatmapColumn.from_plain(c)
        for c in [
            {"key": "leadership", "label": "Leadership commitment", "polarity": "higher"},
            {"key": "uncertainty", "label": "Uncertainty", "polarity": "lower_is_better"},
        ]
    ]
    teams = [f"Team {i:02d}" for i in range(65)]
    values = [[float(i), None if i == 3 else 100.0 - i] for i in range(65)]
    chart = charts.heatmap_chart("heatmap", teams, constructs, values, [3 + i for i in range(65)])
    table = heatmap_table(chart)
    assert table.headers == ("Leadership", "Uncertainty ↓")
    assert [r.label for r in table.rows] == [f"Team {i:02d} (n={3 + i})" for i in range(65)]
    assert [c.text for c in table.rows[64].cells] == ["64", "36"]
    assert table.rows[3].cells[1].text == format_score(None)
    assert table.rows[3].cells[1].fill == MISSING_FILL
    # Lower is better: 36 on uncertainty is as good as 64 on leadership, so the same colour.
    assert table.rows[64].cells[0].fill == table.rows[64].cells[1].fill
    assert table.rows[64].cells[0].fill == colour_for_goodness(64)
    drawn = render_svg(chart, width=720)
    assert all(cell.fill in drawn for row in table.rows for cell in row.cells)
    assert table.summary == chart.summary


def web_ticks(chart: Chart) -> list[str]:
    """The tick texts of the web figure's value axis (the y axis of the trend)."""
    layout = chart.figure["layout"]
    axis = layout["yaxis"] if chart.kind == "trend" else layout["xaxis"]
    return axis["ticktext"]


def svg_ticks(svg: str) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "tick"]


WIDE_LIFT = [
    LiftRow.from_plain(
        {"enabler_label": "A", "practice_label": "B", "ratio": r, "ci_low": lo, "ci_high": hi}
        | {"with_k": 9, "with_n": 10, "without_k": 1, "without_n": 30}
    )
    for r, lo, hi in ((400.0, 80.0, 2000.0), (0.3, 0.05, 1.4))
]


@pytest.mark.parametrize(
    "chart",
    [c for c in every_chart() if c.kind != "heatmap"] + [charts.lift_chart("wide", WIDE_LIFT)],
    ids=lambda c: f"{c.kind}-{c.id}",
)
def test_the_web_chart_and_the_printed_chart_mark_the_same_ticks(chart):
    # The PDFs print the lift chart at 720 px and the others at 640 or 360.
    widths = (720,) if chart.kind == "lift" else (640, 360)
    for width in widths:
        assert svg_ticks(render_svg(chart, width=width)) == web_ticks(chart)
    assert len(web_ticks(chart)) >= 3


def test_score_axes_are_marked_every_25_on_the_web_and_in_print():
    chart = charts.construct_chart("c", CONSTRUCT_ROWS)
    assert web_ticks(chart) == ["0", "25", "50", "75", "100"]
    assert svg_ticks(render_svg(chart)) == web_ticks(chart)


def test_a_wide_ratio_range_is_marked_on_powers_of_ten():
    chart = charts.lift_chart("wide", WIDE_LIFT)
    assert web_ticks(chart) == ["0.1×", "1×", "10×", "100×", "1000×"]
