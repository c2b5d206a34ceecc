"""The release builder, pure: plain entries in, pages out, no database.

Here: the change on each item since a team's previous cycle, computed only from what both
cycles released (groups of at least k; an item blanked in either release shows no change).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import pytest

from assessments.demo import GUARDRAILS, RECOUPLED, Climate, demo_answers
from assessments.instrument.loader import load_version
from assessments.instrument.types import Instrument
from assessments.scoring.response import score_response
from reports.dashboards import FILTERS, Entry, TeamInfo, item_means_of_page
from reports.release_builder import ReleaseInput, build_release

K = 3
ALPHA = TeamInfo(1, "Alpha", "alpha", 6)
BETA = TeamInfo(2, "Beta", "beta", 6)
KEPT = "lead_backs_delay"  # an agreement item in v1 and v2, asked of everyone


def entries(
    instrument: Instrument,
    team: TeamInfo,
    climate: Climate,
    n: int,
    start: int,
    unanswered: Mapping[str, int] | None = None,
) -> dict[int, Entry]:
    """`n` responses of `team`; `unanswered`: item key -> how many of them skip it."""
    by_segment = {i.segment: i.key for i in instrument.items if i.segment}
    out = {}
    for rid in range(start, start + n):
        answers = demo_answers(instrument, climate, random.Random(f"{team.slug}{rid}"))
        for key, skipping in (unanswered or {}).items():
            if rid - start < skipping:
                answers.pop(key, None)
        segments = {
            p: str(answers.get(by_segment.get(s, ""), "") or "") for p, s in FILTERS.items()
        }
        out[rid] = Entry(rid, f"d{rid}", team.id, score_response(instrument, answers), segments)
    return out


def build(
    version: str,
    current: dict[int, Entry],
    previous: Mapping[int, tuple[str, Mapping[str, Any]]] | None = None,
    threshold: int = K,
) -> dict[str, dict[str, Any]]:
    return build_release(
        ReleaseInput(
            instrument=load_version(version),
            rules=(),
            teams={ALPHA.id: ALPHA, BETA.id: BETA},
            threshold=threshold,
            current=current,
            team_previous_pages=previous or {},
            cycle_name="2027 Q1",
        )
    ).pages


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


@pytest.fixture(scope="module")
def v2() -> Instrument:
    return load_version("2")


def test_the_change_on_each_item_kept_by_key_is_now_minus_then_of_both_released_means(
    v1, v2
) -> None:
    # Twelve people a cycle in Alpha: enough for a 50-point change to pass the test.
    before = build("1", entries(v1, ALPHA, GUARDRAILS, 12, 1) | entries(v1, BETA, RECOUPLED, 4, 21))
    after = build(
        "2",
        entries(v2, ALPHA, RECOUPLED, 12, 101) | entries(v2, BETA, RECOUPLED, 4, 121),
        {ALPHA.id: ("2026 Q4", before["team:1"])},
    )
    changes = after["team:1"]["item_changes"]
    assert changes["from"] == "2026 Q4"
    then, now = item_means_of_page(before["team:1"], K), item_means_of_page(after["team:1"], K)
    rows = {r["key"]: r for r in changes["rows"]}
    # Every item kept by key with a released mean on both sides, and nothing else: items new
    # in v2 (the layers, the three parts of the real test) have nothing to compare with.
    assert set(rows) == set(then) & set(now)
    assert KEPT in rows and "gov_real_explain" in now and "gov_real_explain" not in rows
    for key, row in rows.items():
        assert row["previous"] == then[key] and row["current"] == now[key]
        assert row["change"] == pytest.approx(now[key] - then[key])
    # From guardrails without backing to recoupled: leadership backing rises, which is better.
    assert rows[KEPT]["change"] > 0 and rows[KEPT]["improved"] is True
    assert rows[KEPT]["finding"] and rows[KEPT]["low"] > 0
    # Beta has no previous page: no change is claimed for it.
    assert after["team:2"]["item_changes"] is None


def test_an_item_fewer_than_k_answered_in_either_cycle_shows_no_change(v1, v2) -> None:
    other = "lead_speed_wins"
    # Then: only 2 of 4 answered KEPT (blanked in that release); now: only 2 of 5 answer `other`.
    before = build("1", entries(v1, ALPHA, GUARDRAILS, 4, 1, {KEPT: 2}))
    after = build(
        "2",
        entries(v2, ALPHA, RECOUPLED, 5, 101, {other: 3}),
        {ALPHA.id: ("2026 Q4", before["team:1"])},
    )
    assert _item(before["team:1"], KEPT)["mean"] is None
    assert _item(after["team:1"], other)["mean"] is None
    changes = after["team:1"]["item_changes"]
    keys = {r["key"] for r in changes["rows"]}
    assert KEPT not in keys and other not in keys
    assert keys  # the other kept items still compare
    assert "prin_can_name" in keys
    # Neither is silently dropped: each is listed with the side that did not show it.
    sides = {r["key"]: r["side"] for r in changes["withheld"]}
    assert sides[KEPT] == "then" and sides[other] == "now"
    # Every question asked in both cycles is either compared or listed as not shown, once.
    asked = {i["key"] for c in before["team:1"]["drilldown"] for i in c["items"]} & {
        i["key"] for c in after["team:1"]["drilldown"] for i in c["items"]
    }
    assert sorted([*keys, *sides]) == sorted(asked)
    assert "gov_real_explain" not in sides  # new in v2: not asked before, so not listed


def test_an_earlier_page_is_held_to_todays_threshold(v1, v2) -> None:
    # Released under k = 3 with 4 people; the organisation has since raised k to 5.
    before = build("1", entries(v1, ALPHA, GUARDRAILS, 4, 1))
    after = build(
        "2",
        entries(v2, ALPHA, RECOUPLED, 6, 101),
        {ALPHA.id: ("2026 Q4", before["team:1"])},
        threshold=5,
    )
    assert item_means_of_page(before["team:1"], K)  # it did release item means then
    assert after["team:1"]["item_changes"]["rows"] == []


def test_a_page_that_was_not_shown_or_an_item_without_enough_answers_gives_nothing() -> None:
    drilldown = [{"key": "leadership", "items": [{"key": KEPT, "mean": 40.0, "n": 2}]}]
    assert item_means_of_page({"visible": True, "drilldown": drilldown}, K) == {}
    hidden = [{"key": "leadership", "items": [{"key": KEPT, "mean": 40.0, "n": 4}]}]
    assert item_means_of_page({"visible": False, "drilldown": hidden}, K) == {}
    assert item_means_of_page(None, K) == {}
    assert item_means_of_page({"visible": True, "drilldown": hidden}, K) == {KEPT: 40.0}


def _item(page: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    return next(i for c in page["drilldown"] for i in c["items"] if i["key"] == key)
