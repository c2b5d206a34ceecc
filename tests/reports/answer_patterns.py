"""Answers that put a construct high or low, and a fixed mix of practice answers: the
set-ups the attack tests (test_attacks_round2/3/4.py) share."""

from __future__ import annotations

from assessments.services import instrument_for

V1 = instrument_for("1")


def high_answers(construct: str) -> dict[str, object]:
    """Answers that put `construct` at 100 (reverse-coded items disagreed with)."""
    return {
        i.key: "strongly_disagree" if i.reverse else "strongly_agree"
        for i in V1.items
        if i.construct == construct
    }


def low_answers(construct: str) -> dict[str, object]:
    return {
        i.key: "strongly_agree" if i.reverse else "strongly_disagree"
        for i in V1.items
        if i.construct == construct
    }


PRACTICES = [i for i in V1.items if i.is_practice and i.is_scored and not i.show_if]


def practice_mix(person: int) -> dict[str, object]:
    """A fixed, mixed pattern of practice answers (about 40 % reported) for person `person`."""
    out: dict[str, object] = {}
    for j, item in enumerate(PRACTICES):
        reported = (person * 7 + j * 3) % 5 < 2
        values = {o.value for o in item.options}
        if "yes" in values:
            out[item.key] = "yes" if reported else "no"
        else:
            out[item.key] = "always" if reported else "rarely"
    return out
