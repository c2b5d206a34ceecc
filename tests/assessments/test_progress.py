"""The pure progress rules: answered counts under branching, complete sections, answer time."""

from __future__ import annotations

import dataclasses

from assessments.instrument.visibility import visible_item_keys
from assessments.progress import answer_time, progress, section_complete
from assessments.services import instrument_for


def test_progress_counts_only_questions_the_respondent_sees():
    instrument = instrument_for("1")
    empty = progress(instrument, {})
    assert (empty.answered, empty.percent) == (0, 0)
    # Branching on the lifecycle stage shows or hides questions, and the total follows.
    define = progress(instrument, {"ctx_lifecycle_stage": "define"})
    monitor = progress(instrument, {"ctx_lifecycle_stage": "monitor"})
    assert define.answered == monitor.answered == 1
    assert monitor.total > define.total
    assert progress(instrument, {"ctx_role": "", "ctx_genai_uses": []}).answered == 0


def test_a_section_is_complete_when_its_required_questions_are_answered():
    instrument = instrument_for("1")
    section = instrument.sections[1]
    required = [i.key for i in section.items if i.required]
    answers = dict.fromkeys(required, "agree")
    visible = visible_item_keys(instrument, answers)
    assert section_complete(section, answers, visible)
    del answers[required[-1]]
    assert not section_complete(section, answers, visible)
    assert not section_complete(section, {}, visible)


def test_a_section_of_optional_questions_is_complete_once_one_is_answered():
    instrument = instrument_for("1")
    section = instrument.sections[1]
    optional = dataclasses.replace(
        section, items=tuple(dataclasses.replace(i, required=False) for i in section.items)
    )
    visible = {i.key for i in optional.items}
    assert not section_complete(optional, {}, visible)
    assert section_complete(optional, {optional.items[0].key: "agree"}, visible)


def test_answer_time_grows_with_written_questions():
    instrument = instrument_for("1")
    base = answer_time(instrument)
    assert base.low_minutes < base.high_minutes
    assert base.low_minutes % 5 == 0 and base.high_minutes % 5 == 0
    written_only = dataclasses.replace(
        instrument,
        sections=tuple(
            dataclasses.replace(
                s,
                items=tuple(dataclasses.replace(i, type="free_text", options=()) for i in s.items),
            )
            for s in instrument.sections
        ),
    )
    assert answer_time(written_only).high_minutes > 2 * base.high_minutes
