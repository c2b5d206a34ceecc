"""The anonymity rules (reports/anonymity.py), called directly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reports.anonymity import group_is_safe, plan_groups, team_results_visible


def test_groups_below_threshold_are_pooled_and_the_pool_shown_when_big_enough():
    plan = plan_groups({"a": 8, "b": 2, "c": 1}, threshold=3)
    assert plan.shown_keys() == ["a"]
    assert plan.pooled == ("b", "c") and plan.pool.n == 3 and plan.pool.shown
    assert plan.total.n == 11 and plan.counted == {"a", "b", "c"}


def test_a_pool_too_small_is_left_out_of_the_total_so_it_cannot_be_differenced():
    plan = plan_groups({"a": 8, "b": 5, "c": 1}, threshold=3)
    assert not plan.pool.shown
    assert plan.total.n == 13 and "c" not in plan.counted


def test_a_filter_that_leaves_out_fewer_than_threshold_hides_the_group():
    # Alpha has 6 people; 5 are PMs. "Alpha" minus "Alpha PMs" would reveal one person.
    plan = plan_groups({"alpha": 5, "beta": 4}, threshold=3, unfiltered={"alpha": 6, "beta": 4})
    assert not plan.groups["alpha"].shown
    assert "single out" in (plan.groups["alpha"].reason or "")
    assert plan.groups["beta"].shown  # the filter leaves nobody out of Beta


def test_filter_leaving_out_enough_people_is_fine():
    assert group_is_safe(4, 3, unfiltered_n=8) == (True, None)


def test_one_person_team_sees_its_own_results_but_nobody_else_does():
    assert team_results_visible(1, 3, team_size=1, viewer_in_team=True)
    assert not team_results_visible(1, 3, team_size=1, viewer_in_team=False)
    assert not team_results_visible(1, 3, team_size=2, viewer_in_team=True)
    assert team_results_visible(3, 3, team_size=9, viewer_in_team=False)


@given(
    counts=st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 12), max_size=8),
    left_out=st.lists(st.integers(0, 6), min_size=8, max_size=8),
    threshold=st.integers(1, 6),
)
def test_no_shown_group_and_no_filter_complement_is_ever_below_threshold(
    counts, left_out, threshold
):
    unfiltered = {k: n + extra for (k, n), extra in zip(counts.items(), left_out, strict=False)}
    plan = plan_groups(counts, threshold, unfiltered)
    for key, decision in plan.groups.items():
        if decision.shown:
            assert decision.n >= threshold
            rest = unfiltered[key] - decision.n
            assert rest == 0 or rest >= threshold
    if plan.pool.shown:
        assert plan.pool.n >= threshold
    assert plan.total.n == sum(counts[k] for k in plan.counted)
