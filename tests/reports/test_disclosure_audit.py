"""The disclosure audit: no sequence of releases lets anyone isolate one person's answers.

Independent of reports/disclosure.py's own check: every group a page can show (teams, pool,
filter cells, the organisation, the organisation under each filter value) is a row of 0/1
weights over person-versions; a person-version is exposed when its unit vector lies in the
row space of all rows released so far in the cycle.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from reports.disclosure import Person, Prior, plan_release
from tests.reports.exposure import (
    DIMS,
    exposed,
    release_sequence,
    scenario,
    shown_rows,
    small_combinations_exposed,
)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_no_person_is_ever_exposed_across_releases(case):
    k, teams, events = case
    plans = release_sequence(k, teams, events)
    rows: list[frozenset] = []
    for plan in plans:
        current_rows = shown_rows(plan)
        assert all(len({rid for rid, _ in r}) >= k for r in current_rows)
        assert not exposed(current_rows), "exposed within one release"
        assert not small_combinations_exposed(current_rows, k), "a difference within one release"
        rows.extend(current_rows)
        assert not exposed(rows), "exposed across releases"
        assert not small_combinations_exposed(rows, k), "a difference across releases"


def test_two_filters_subtracted_do_not_isolate_a_person():
    """Attack 1 in miniature: team of 4 in 'build', 3 of them engineers."""
    teams = [(1, "engineering", "build")] * 3 + [(1, "pm", "build")]
    plan = release_sequence(3, teams, [[("submit", i) for i in range(4)]])[0]
    assert not exposed(shown_rows(plan))
    eng = plan.cells.get(("team:1", "role", "engineering"))
    assert eng is None  # the rest (1 pm) is smaller than k, so the cell is not released


def test_one_more_submission_is_held_back_until_k_more():
    teams = [(1, "pm", "build")] * 6
    first = [("submit", i) for i in range(3)]
    plans = release_sequence(3, teams, [first, [("submit", 3)], [("submit", 4)], [("submit", 5)]])
    assert [len(p.people) for p in plans] == [3, 3, 3, 6]
    assert [len(p.held_back) for p in plans] == [0, 1, 2, 0]


def test_a_reopen_keeps_the_released_answers_until_a_batch_is_ready():
    teams = [(1, "pm", "build")] * 4
    plans = release_sequence(
        3, teams, [[("submit", i) for i in range(4)], [("reopen", 0)], [("submit", 0)]]
    )
    assert plans[1].people[0].digest == "d1"  # the withdrawn response still shows as released
    assert plans[1].held_back == {0}
    assert plans[2].people[0].digest == "d1"  # its new version alone would show the change
    assert plans[2].held_back == {0}


def test_the_pool_is_the_same_teams_under_every_filter():
    teams = [(1, "pm", "build"), (1, "engineering", "build"), (2, "pm", "launch")] + [
        (3, "pm", "build")
    ] * 4
    plan = release_sequence(3, teams, [[("submit", i) for i in range(len(teams))]])[0]
    assert plan.pool_teams == (1, 2)
    assert plan.pool is not None and len(plan.pool) == 3
    assert not exposed(shown_rows(plan))


def test_raising_the_threshold_does_not_stop_later_releases():
    teams = [(1, "pm", "build")] * 3 + [(1, "engineering", "build")] * 3 + [(2, "pm", "x")] * 8
    current = {i: Person(i, "d1", t, {"role": r, "stage": s}) for i, (t, r, s) in enumerate(teams)}
    first = plan_release(Prior(), current, 3, DIMS)
    assert first.cells  # role cells of 3 released under k = 3
    current |= {i: Person(i, "d1", 2, {"role": "pm", "stage": "x"}) for i in range(14, 19)}
    second = plan_release(Prior(first.people, first.last, first.rows), current, 5, DIMS)
    assert len(second.people) == 19 and not second.held_back  # team 2 grew by 5 = k
