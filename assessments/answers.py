"""Turning what a browser sends into a valid answer for an item: pure, no ORM.

Every rejection is an AnswerError with a message a respondent can act on.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from .instrument.types import TEXT_TYPES, Item

EVIDENCE_MAX_LENGTH = 1000
DEFAULT_TEXT_MAX_LENGTH = 2000


class AnswerError(ValueError):
    pass


def clean_text(raw: str, limit: int, what: str = "Your answer") -> str:
    text = unicodedata.normalize("NFC", raw).replace("\x00", "").strip()
    if len(text) > limit:
        raise AnswerError(f"{what} is {len(text):,} characters long; the limit is {limit:,}.")
    return text


def parse_answer(item: Item, raw: Sequence[str]) -> str | list[str] | None:
    """The answer `raw` (the submitted values for the item) means, or None to clear it.

    Choice items take option values; multiple choice takes several; text items take one
    text within the item's length limit.
    """
    values = [v for v in raw if isinstance(v, str)]
    if item.type in TEXT_TYPES:
        if len(values) > 1:
            raise AnswerError("Send one text for this question.")
        text = clean_text(values[0] if values else "", item.max_length or DEFAULT_TEXT_MAX_LENGTH)
        return text or None
    allowed = {o.value for o in item.options}
    chosen = [v.strip() for v in values if v.strip()]
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise AnswerError(f"“{unknown[0][:50]}” is not one of the options for this question.")
    if item.type == "multiple_choice":
        # Keep the instrument's order, drop repeats.
        return [o.value for o in item.options if o.value in chosen] or None
    if len(chosen) > 1:
        raise AnswerError("Choose one option for this question.")
    return chosen[0] if chosen else None


def parse_evidence(raw: str | None) -> str:
    return clean_text(raw or "", EVIDENCE_MAX_LENGTH, "The evidence note")
