"""Building a release: a fixed number of queries whatever the number of teams, and the
compact form it stores responses in reads back exactly."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.demo import GUARDRAILS, RECOUPLED
from assessments.models import Response
from assessments.scoring.response import ResponseScore
from assessments.services import instrument_for
from orgs.models import Team
from reports import selectors
from reports.models import ResponseSnapshot
from tests.builders import add_people, release, submit


def _grow(world, cycle, first: int, teams: int, per_team: int = 3) -> None:
    for t in range(first, first + teams):
        team = Team.objects.create(organization=world.acme, name=f"T{t:02d}", slug=f"t{t:02d}")
        cycle.teams.add(team)
        for user in add_people(world.acme, team, per_team):
            submit(cycle, team, user, GUARDRAILS if t % 2 else RECOUPLED)


def _build_queries(cycle) -> int:
    with CaptureQueriesContext(connection) as captured:
        built = release(cycle)
    assert built is not None
    return len(captured.captured_queries)


def test_release_build_queries_do_not_grow_with_teams(world, cycle):
    counts = []
    for first, teams in ((0, 3), (3, 3), (6, 3), (9, 30)):
        _grow(world, cycle, first, teams)
        counts.append(_build_queries(cycle))
    # From the third release on, one release's pages are also dropped (KEEP_PAGES_OF).
    assert counts[3] == counts[2]
    assert counts[0] <= counts[1] <= counts[2] <= 30


def test_stored_snapshot_scores_read_back_exactly(world, cycle):
    _grow(world, cycle, 0, 2)
    release(cycle)
    instrument = instrument_for(cycle.instrument.version)
    texts = {i.key: i.text for i in instrument.items}
    stored = dict(Response.objects.filter(cycle=cycle).values_list("pk", "scores"))
    snapshots = ResponseSnapshot.objects.filter(cycle=cycle)
    assert snapshots.count() == len(stored) == 6
    for snapshot in snapshots:
        items = [i for c in snapshot.scores["constructs"].values() for i in c["items"]]
        assert items and all(isinstance(i, list) for i in items)  # rows, not dicts
        rebuilt = ResponseScore.from_dict(selectors.full_scores(snapshot.scores, texts))
        assert rebuilt == ResponseScore.from_dict(stored[snapshot.response_key])
        assert rebuilt.to_dict() == stored[snapshot.response_key]


def test_snapshots_stored_with_item_dicts_still_read(world, cycle):
    """Snapshots written before items were stored as rows keep their dicts."""
    _grow(world, cycle, 0, 1)
    response = Response.objects.filter(cycle=cycle).first()
    old_form = {
        **response.scores,
        "constructs": {
            k: {**c, "items": [{f: v for f, v in i.items() if f != "text"} for i in c["items"]]}
            for k, c in response.scores["constructs"].items()
        },
    }
    texts = {i.key: i.text for i in instrument_for(cycle.instrument.version).items}
    assert selectors.full_scores(old_form, texts) == response.scores
    assert selectors.full_scores(selectors.compact_scores(response.scores), texts) == (
        response.scores
    )


def test_item_with_unknown_fields_is_stored_whole(world, cycle):
    scores = {"constructs": {"leadership": {"items": [{"item_key": "x", "text": "Q", "extra": 1}]}}}
    compact = selectors.compact_scores(scores)
    assert compact["constructs"]["leadership"]["items"] == [{"item_key": "x", "extra": 1}]
    assert selectors.full_scores(compact, {"x": "Q"}) == scores
