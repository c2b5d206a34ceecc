"""Released item drilldowns count the answers to items shown only under a show_if condition.

A release rebuilds each response from its stored scores (ResponseScore.answers()), which
carry the scored items' answers but not the answers a show_if condition reads (the lifecycle
stage, say). Worked out again from those answers, every conditional item looked hidden, so
its released counts were all zero even where k people had answered it.
"""

from __future__ import annotations

from assessments.demo import GUARDRAILS
from assessments.scoring.group import item_counts
from assessments.services import instrument_for
from reports import selectors
from reports.models import ReleasePage
from tests.builders import add_people, release, submit

CONDITIONAL = "ind_read_user_feedback"  # shown when ctx_lifecycle_stage is launch/monitor/adjust


def released_item(cycle, team, key):
    page = ReleasePage.objects.get(release__cycle=cycle, key=f"team:{team.pk}").data
    for construct in page["drilldown"]:
        for item in construct["items"]:
            if item["key"] == key:
                return item
    raise AssertionError(f"{key} is not in the released drilldown")


def test_an_item_shown_only_under_a_condition_gets_its_released_counts(world, cycle):
    instrument = instrument_for(cycle.instrument.version)
    assert instrument.item(CONDITIONAL).show_if is not None
    people = [world.tess, world.max, *add_people(world.acme, world.alpha, 2)]
    answers = ["often", "often", "always", "never"]
    for user, answer in zip(people, answers, strict=True):
        submit(
            cycle,
            world.alpha,
            user,
            GUARDRAILS,
            extra={"ctx_lifecycle_stage": "launch", CONDITIONAL: answer},
        )
    release(cycle)
    item = released_item(cycle, world.alpha, CONDITIONAL)
    options = [o.value for o in instrument.item(CONDITIONAL).options]
    assert item["n"] == 4  # n >= k = 3
    assert dict(zip(options, item["counts"], strict=True)) == {
        "never": 1,
        "rarely": 0,
        "sometimes": 0,
        "often": 2,
        "always": 1,
    }
    assert item["mean"] == (75 + 75 + 100 + 0) / 4


def test_an_item_hidden_by_its_condition_is_still_not_counted(world, cycle):
    """The stored scores say which items were shown: an answer left over from before the
    respondent changed the stage (the item then hidden) is not counted."""
    people = [world.tess, world.max, *add_people(world.acme, world.alpha, 1)]
    for user in people:
        submit(
            cycle,
            world.alpha,
            user,
            GUARDRAILS,
            extra={"ctx_lifecycle_stage": "build", CONDITIONAL: "always"},
        )
    release(cycle)
    item = released_item(cycle, world.alpha, CONDITIONAL)
    assert item["n"] is None and not any(item["counts"])


def test_counts_from_stored_scores_match_counts_from_the_answers_given(world, cycle):
    """The released entries (stored scores) count each item as the live answers do."""
    instrument = instrument_for(cycle.instrument.version)
    stages = ["launch", "build", "monitor"]
    responses = [
        submit(
            cycle,
            world.alpha,
            user,
            GUARDRAILS,
            extra={"ctx_lifecycle_stage": stage, CONDITIONAL: "sometimes"},
        )
        for user, stage in zip(
            [world.tess, world.max, *add_people(world.acme, world.alpha, 1)], stages, strict=True
        )
    ]
    live = item_counts(
        instrument,
        [{a.item_key: a.value for a in r.answers.all()} for r in responses],
    )
    entries = selectors.current_entries(cycle, instrument).values()
    stored = item_counts(instrument, [e.answers for e in entries], [e.shown for e in entries])
    scored = {i.key for i in instrument.items if i.construct and i.options}
    assert {k: v for k, v in stored[0].items() if k in scored} == {
        k: v for k, v in live[0].items() if k in scored
    }
    assert stored[0][CONDITIONAL]["sometimes"] == 2  # launch and monitor; build hides it
