"""How far a respondent is, and how long the questionnaire takes: pure, no ORM.

The time estimate is computed from the instrument, so a longer version says so itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .instrument.types import TEXT_TYPES, Answers, Instrument, Section
from .instrument.visibility import visible_item_keys

# Seconds a respondent typically spends on one question: reading it and its help, then
# choosing (choice items) or writing a sentence or two (text items). Low and high ends.
CHOICE_SECONDS = (15, 22)
TEXT_SECONDS = (60, 120)


def is_answered(value: object) -> bool:
    """The one test of whether an answer counts as given: progress, submission, review."""
    return value not in (None, "", [])


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int

    @property
    def percent(self) -> int:
        return round(100 * self.answered / max(self.total, 1))

    def to_dict(self) -> dict[str, int]:
        return {"answered": self.answered, "total": self.total, "percent": self.percent}


def progress(instrument: Instrument, answers: Answers) -> Progress:
    """Answered questions among those the respondent sees (branching applied)."""
    visible = visible_item_keys(instrument, answers)
    shown = [i for i in instrument.items if i.key in visible]
    return Progress(sum(1 for i in shown if is_answered(answers.get(i.key))), len(shown))


def section_complete(section: Section, answers: Answers, visible: set[str]) -> bool:
    """Every required question the respondent sees here is answered, and the section has
    been worked on (one answer at least, for a section of optional questions only)."""
    shown = [i for i in section.items if i.key in visible]
    if not shown:
        return False
    required_done = all(is_answered(answers.get(i.key)) for i in shown if i.required)
    return required_done and any(is_answered(answers.get(i.key)) for i in shown)


@dataclass(frozen=True)
class AnswerTime:
    """Questions a new respondent sees, and the minutes they take (to the nearest 5)."""

    questions: int
    written: int  # of which free-text questions
    low_minutes: int
    high_minutes: int


def answer_time(instrument: Instrument) -> AnswerTime:
    """The time to answer, from the questions a new respondent sees (before branching adds
    any) and the typical seconds per choice and per written answer."""
    visible = visible_item_keys(instrument, {})
    shown = [i for i in instrument.items if i.key in visible]
    written = sum(1 for i in shown if i.type in TEXT_TYPES)
    choices = len(shown) - written
    low = (choices * CHOICE_SECONDS[0] + written * TEXT_SECONDS[0]) / 60
    high = (choices * CHOICE_SECONDS[1] + written * TEXT_SECONDS[1]) / 60
    low_minutes = max(5, 5 * round(low / 5))
    high_minutes = max(low_minutes + 5, 5 * round(high / 5))
    return AnswerTime(len(shown), written, low_minutes, high_minutes)
