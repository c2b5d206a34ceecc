"""Storing a release's rows by COPY: the same rows bulk_create would write."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from reports import bulk_rows
from reports.models import ResponseSnapshot

AWKWARD = 'a "quote", a back\\slash, a tab\t, a newline\n, ünïcode and 😀'


def _snapshot(cycle, team, key: int, **extra) -> ResponseSnapshot:
    return ResponseSnapshot(
        cycle=cycle,
        response_key=key,
        team=team,
        digest=f"d{key}",
        scores={"constructs": {"c": {"items": [["i1", 3, AWKWARD, 2.5, 0.1, 1, False, "ok"]]}}},
        segments={"view": "guardrail"},
        texts=[{"item_key": "t", "text": AWKWARD, "may_quote": True, "kind": None}],
        **extra,
    )


def test_inserted_rows_read_back_as_written_with_their_dates(world, cycle):
    bulk_rows.insert(ResponseSnapshot, [_snapshot(cycle, world.alpha, k) for k in (1, 2)])
    ResponseSnapshot.objects.bulk_create([_snapshot(cycle, world.alpha, 3)])
    stored = {
        s.response_key: s for s in ResponseSnapshot.objects.filter(cycle=cycle).order_by("pk")
    }
    assert sorted(stored) == [1, 2, 3]
    for key in (1, 2):
        assert stored[key].scores == stored[3].scores
        assert stored[key].texts == stored[3].texts
        assert stored[key].texts[0]["text"] == AWKWARD
        assert stored[key].segments == {"view": "guardrail"}
        assert stored[key].team_id == world.alpha.pk
        assert stored[key].created_at is not None


def test_a_row_breaking_a_constraint_fails_the_insert(world, cycle):
    bulk_rows.insert(ResponseSnapshot, [_snapshot(cycle, world.alpha, 1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk_rows.insert(ResponseSnapshot, [_snapshot(cycle, world.alpha, 1)])
    assert ResponseSnapshot.objects.filter(cycle=cycle).count() == 1


def test_nothing_to_insert_sends_nothing(world, cycle, django_assert_num_queries):
    with django_assert_num_queries(0):
        bulk_rows.insert(ResponseSnapshot, [])
