"""reports/charts/ticks.py and colour.py: the one tick rule and the one luminance formula."""

from __future__ import annotations

from reports.charts.colour import contrast_ratio, readable_on_white, relative_luminance
from reports.charts.ticks import count_ticks, ratio_range, ratio_ticks, score_ticks


def test_scores_are_marked_every_25_with_the_suffix():
    assert score_ticks(" %").labels == ("0 %", "25 %", "50 %", "75 %", "100 %")


def test_counts_take_the_smallest_one_two_five_step_with_at_most_five_steps():
    assert count_ticks(0).values == (0, 1)
    assert count_ticks(5).values == (0, 1, 2, 3, 4, 5)
    assert count_ticks(6).values == (0, 2, 4, 6)
    assert count_ticks(11).values == (0, 5, 10, 15)
    assert count_ticks(999).end == 1000


def test_ratios_use_one_two_five_steps_where_they_have_room_else_powers_of_ten():
    lo, hi = ratio_range([0.3, 6.84])
    assert (lo, hi) == (0.2, 10)
    assert ratio_ticks(lo, hi, 280).labels == ("0.2×", "0.5×", "1×", "2×", "5×", "10×")
    # 150 px is too little for 1-2-5 steps: the decades, and the ends that fit.
    assert ratio_ticks(lo, hi, 150).labels == ("0.2×", "1×", "10×")
    assert ratio_ticks(0.01, 5000, 100).values == (0.01, 1, 100)


def test_luminance_and_contrast_follow_wcag():
    assert relative_luminance("#000000") == 0
    assert round(relative_luminance("#ffffff"), 6) == 1
    assert round(contrast_ratio("#000000", "#ffffff"), 6) == 21
    darker = readable_on_white("#3b9ad6")
    assert contrast_ratio(darker, "#ffffff") >= 4.5 > contrast_ratio("#3b9ad6", "#ffffff")
