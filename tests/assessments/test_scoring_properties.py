"""Properties of the scoring rules over generated instruments and answers (hypothesis)."""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assessments.instrument.types import (
    CONSTRUCTS,
    PRACTICE_CONSTRUCTS,
    Answers,
    Instrument,
    Item,
    Option,
    Section,
)
from assessments.scoring.group import aggregate
from assessments.scoring.response import score_response

# Scores symmetric around 50, so every scored option has a mirror (100 - score).
SCORES = (0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 100.0)
SCORED = tuple(Option(f"o{int(s)}", f"Score {s:g}", s) for s in SCORES)
OPTIONS = (
    *SCORED,
    Option("dk", "Don't know", dont_know=True),
    Option("na", "Not applicable", not_applicable=True),
)
MIRROR = {o.value: f"o{int(100 - o.score)}" for o in SCORED if o.score is not None}


@st.composite
def items(draw: st.DrawFn, key: str) -> Item:
    construct = draw(st.sampled_from(tuple(CONSTRUCTS)))
    practice = construct in PRACTICE_CONSTRUCTS
    return Item(
        key=key,
        text=key,
        help="",
        type=draw(st.sampled_from(("single_choice", "single_choice", "multiple_choice"))),
        section="s",
        construct=construct,
        weight=draw(st.floats(min_value=0.1, max_value=5.0, allow_nan=False)),
        reverse=draw(st.booleans()),
        resource="individual" if practice else None,
        category="review" if practice else None,
        options=OPTIONS,
    )


@st.composite
def instruments(draw: st.DrawFn) -> Instrument:
    count = draw(st.integers(min_value=1, max_value=10))
    all_items = [draw(items(f"q{n}")) for n in range(count)]
    return _build(all_items, sizes=[count])


def _build(all_items: list[Item], sizes: list[int]) -> Instrument:
    sections, start = [], 0
    for n, size in enumerate(sizes):
        chunk = tuple(
            dataclasses.replace(i, section=f"s{n}") for i in all_items[start : start + size]
        )
        sections.append(Section(f"s{n}", f"Section {n}", "", chunk))
        start += size
    return Instrument(version="p", title="Property", sections=tuple(sections))


@st.composite
def answers_for(draw: st.DrawFn, instrument: Instrument) -> Answers:
    answers: Answers = {}
    values = [o.value for o in OPTIONS]
    for item in instrument.items:
        if not draw(st.booleans()) and draw(st.booleans()):
            continue  # unanswered, about a quarter of the time
        if item.type == "multiple_choice":
            answers[item.key] = draw(st.lists(st.sampled_from(values), min_size=1, max_size=4))
        else:
            answers[item.key] = draw(st.sampled_from(values))
    return answers


@st.composite
def scored_cases(draw: st.DrawFn) -> tuple[Instrument, Answers]:
    instrument = draw(instruments())
    return instrument, draw(answers_for(instrument))


def _scores(instrument: Instrument, answers: Answers) -> dict[str, float | None]:
    return {k: c.score for k, c in score_response(instrument, answers).constructs.items()}


def _same_scores(left: dict[str, float | None], right: dict[str, float | None]) -> None:
    assert left.keys() == right.keys()
    for key, value in left.items():
        if value is None:
            assert right[key] is None, key
        else:
            assert right[key] == pytest.approx(value, abs=1e-9), key


@given(scored_cases())
def test_scores_stay_within_0_and_100(case: tuple[Instrument, Answers]) -> None:
    instrument, answers = case
    for score in _scores(instrument, answers).values():
        assert score is None or 0.0 <= score <= 100.0


@given(scored_cases(), st.data())
def test_more_favourable_answer_never_lowers_construct_score(
    case: tuple[Instrument, Answers], data: st.DataObject
) -> None:
    instrument, answers = case
    item = data.draw(st.sampled_from(instrument.items))
    worse, better = sorted(data.draw(st.lists(st.sampled_from(SCORES), min_size=2, max_size=2)))
    if item.reverse:  # lower option score is more favourable on a reversed item
        worse, better = better, worse
    before = _scores(instrument, {**answers, item.key: f"o{int(worse)}"})
    after = _scores(instrument, {**answers, item.key: f"o{int(better)}"})
    construct = item.construct
    assert construct is not None
    assert after[construct] is not None and before[construct] is not None
    assert after[construct] >= before[construct] - 1e-9


@given(scored_cases(), st.data())
def test_reversing_an_item_and_mirroring_its_answer_keeps_the_score(
    case: tuple[Instrument, Answers], data: st.DataObject
) -> None:
    instrument, answers = case
    item = data.draw(st.sampled_from(instrument.items))
    answer = data.draw(st.sampled_from(tuple(MIRROR)))
    flipped_item = dataclasses.replace(item, reverse=not item.reverse)
    flipped = _build(
        [flipped_item if i.key == item.key else i for i in instrument.items],
        [len(instrument.items)],
    )
    _same_scores(
        _scores(instrument, {**answers, item.key: answer}),
        _scores(flipped, {**answers, item.key: MIRROR[answer]}),
    )


@given(scored_cases(), st.randoms(use_true_random=False), st.data())
def test_item_and_section_order_do_not_change_scores(
    case: tuple[Instrument, Answers], rng: random.Random, data: st.DataObject
) -> None:
    instrument, answers = case
    shuffled = list(instrument.items)
    rng.shuffle(shuffled)
    sizes: list[int] = []
    remaining = len(shuffled)
    while remaining:
        size = data.draw(st.integers(min_value=1, max_value=remaining))
        sizes.append(size)
        remaining -= size
    _same_scores(_scores(instrument, answers), _scores(_build(shuffled, sizes), answers))


@given(scored_cases(), st.data())
def test_adding_not_applicable_answers_does_not_change_scores(
    case: tuple[Instrument, Answers], data: st.DataObject
) -> None:
    instrument, answers = case
    unanswered = [i.key for i in instrument.items if i.key not in answers]
    chosen = data.draw(st.lists(st.sampled_from(unanswered), unique=True)) if unanswered else []
    more: Answers = {**answers, **dict.fromkeys(chosen, "na")}
    _same_scores(_scores(instrument, answers), _scores(instrument, more))


@given(instruments().flatmap(lambda i: st.tuples(st.just(i), st.lists(answers_for(i), max_size=8))))
def test_aggregate_mean_lies_within_min_and_max(case: tuple[Instrument, list[Answers]]) -> None:
    instrument, answers_list = case
    group = aggregate([score_response(instrument, a) for a in answers_list], instrument.thresholds)
    for stats in group.constructs.values():
        if stats.n == 0:
            assert stats.mean is None
            continue
        assert stats.min is not None and stats.max is not None and stats.mean is not None
        assert stats.min - 1e-9 <= stats.mean <= stats.max + 1e-9
        assert stats.sd is not None and stats.sd >= 0


@given(scored_cases())
def test_construct_score_lies_between_its_item_scores(case: tuple[Instrument, Answers]) -> None:
    instrument, answers = case
    for construct in score_response(instrument, answers).constructs.values():
        item_scores = [c.score for c in construct.items if c.score is not None]
        if construct.score is None:
            assert not item_scores
            continue
        assert min(item_scores) - 1e-9 <= construct.score <= max(item_scores) + 1e-9
