"""Which items a respondent sees: show_if conditions evaluated over their answers."""

from __future__ import annotations

from assessments.instrument.types import Answers, AnswerValue, Instrument, Item, ShowIf


def _condition_holds(condition: ShowIf, answer: AnswerValue | None) -> bool:
    selected = [answer] if isinstance(answer, str) else list(answer or [])
    selected = [v for v in selected if v]
    if not selected:
        return False  # an unanswered source hides the item, negated or not
    matched = any(v in condition.values for v in selected)
    return not matched if condition.negate else matched


def visible_item_keys(instrument: Instrument, answers: Answers) -> set[str]:
    """Keys of the items a respondent with `answers` should see (show_if evaluated).

    An item is hidden when its condition's source is hidden or unanswered, so hiding
    cascades down chains; a multiple-choice source matches when any selected value does.
    """
    by_key = instrument.by_key()
    visible: dict[str, bool] = {}

    def is_visible(item: Item) -> bool:
        if item.key not in visible:
            # Provisionally hidden: guards against cycles in hand-built instruments.
            visible[item.key] = False
            condition = item.show_if
            source = by_key.get(condition.item) if condition else None
            visible[item.key] = condition is None or (
                source is not None
                and is_visible(source)
                and _condition_holds(condition, answers.get(condition.item))
            )
        return visible[item.key]

    return {i.key for i in instrument.items if is_visible(i)}
