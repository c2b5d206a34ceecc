"""One item of an instrument file validated: its fields, options and show_if condition.

Every check adds its problem to `Errors` and goes on, so an author sees every problem of a
file at once; `loader` raises with all of them at the end.
"""

from __future__ import annotations

import re
from typing import Any

from assessments.datafile import Problems, is_number
from assessments.instrument.types import (
    CONSTRUCTS,
    GOVERNANCE_LAYERS,
    ITEM_TYPES,
    PRACTICE_CATEGORIES,
    PRACTICE_CONSTRUCTS,
    REAL_TEST_PARTS,
    RESOURCE_LEVELS,
    ROADMAP_ELEMENTS,
    TEXT_TYPES,
    InstrumentError,
    Item,
    Option,
    ShowIf,
)

SCALE_TYPES: tuple[str, ...] = ("agreement", "frequency", "yes_no")  # item type == scale name
CHOICE_TYPES: tuple[str, ...] = ("single_choice", "multiple_choice")
DEFAULT_TEXT_MAX_LENGTH = 2000
MAX_TEXT_LENGTH = 5000


_ITEM_FIELDS = (
    "key",
    "text",
    "help",
    "type",
    "construct",
    "weight",
    "reverse",
    "required",
    "resource",
    "category",
    "options",
    "max_length",
    "show_if",
    "segment",
    "layer",
    "roadmap",
    "real_test",
)
_OPTION_FIELDS = ("value", "label", "score", "dont_know", "not_applicable")
_SHOW_IF_FIELDS = ("item", "in", "not_in")
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class Errors(Problems):
    def __init__(self, source: str) -> None:
        super().__init__(source, InstrumentError)


def check_fields(raw: dict[str, Any], allowed: tuple[str, ...], where: str, errors: Errors) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        errors.add(
            where,
            f"unknown field(s) {', '.join(repr(k) for k in unknown)} "
            f"(allowed: {', '.join(allowed)})",
        )


def text_field(
    raw: dict[str, Any], name: str, where: str, errors: Errors, required: bool = True
) -> str:
    value = raw.get(name)
    if value is None:
        if required:
            errors.add(where, f"'{name}' is missing")
        return ""
    if not isinstance(value, str) or not value.strip():
        errors.add(where, f"'{name}' must be a non-empty string (got {value!r})")
        return ""
    return value.strip()


def key_field(raw: dict[str, Any], where: str, errors: Errors) -> str:
    key = raw.get("key")
    if key is None:
        errors.add(where, "'key' is missing")
        return ""
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        errors.add(where, f"'key' must be a snake_case string (got {key!r})")
        return ""
    return key


def _flag(raw: dict[str, Any], name: str, default: bool, where: str, errors: Errors) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        errors.add(where, f"'{name}' must be true or false (got {value!r})")
        return default
    return value


def _parse_option(raw: object, where: str, errors: Errors) -> Option | None:
    if not isinstance(raw, dict):
        errors.add(where, f"must be a mapping with value and label (got {raw!r})")
        return None
    check_fields(raw, _OPTION_FIELDS, where, errors)
    value = raw.get("value")
    if not isinstance(value, str) or not value:
        # YAML reads yes/no/on/off and bare numbers as non-strings.
        errors.add(where, f"'value' must be a non-empty string; quote it in YAML (got {value!r})")
        return None
    label = text_field(raw, "label", where, errors)
    score = raw.get("score")
    if score is not None:
        if not is_number(score):
            errors.add(where, f"option '{value}': score must be a number (got {score!r})")
            # Stands in for the bad score so it is not also reported as missing; it never
            # leaves the loader, since the error above makes the load fail.
            score = float("nan")
        elif not 0 <= score <= 100:
            errors.add(where, f"option '{value}': score {score} is outside 0-100")
    dont_know = _flag(raw, "dont_know", False, where, errors)
    not_applicable = _flag(raw, "not_applicable", False, where, errors)
    if dont_know and not_applicable:
        errors.add(where, f"option '{value}': cannot be both dont_know and not_applicable")
    if (dont_know or not_applicable) and raw.get("score") is not None:
        # "Don't know" is counted apart and "not applicable" drops out: neither is a score.
        errors.add(where, f"option '{value}': dont_know/not_applicable options carry no score")
    return Option(
        value=value,
        label=label,
        score=None if score is None else float(score),
        dont_know=dont_know,
        not_applicable=not_applicable,
    )


def parse_options(raw: object, where: str, errors: Errors) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        errors.add(where, "'options' must be a non-empty list")
        return ()
    options: list[Option] = []
    seen: set[str] = set()
    for index, raw_option in enumerate(raw, start=1):
        option = _parse_option(raw_option, f"{where} option #{index}", errors)
        if option is None:
            continue
        if option.value in seen:
            errors.add(where, f"duplicate option value '{option.value}'")
            continue
        seen.add(option.value)
        options.append(option)
    return tuple(options)


def unscored_options(options: tuple[Option, ...]) -> list[str]:
    return [o.value for o in options if o.score is None and not (o.dont_know or o.not_applicable)]


def _parse_condition(raw: object, where: str, errors: Errors) -> ShowIf | None:
    if not isinstance(raw, dict):
        errors.add(where, "'show_if' must be a mapping {item: KEY, in: [...]} or {item, not_in}")
        return None
    check_fields(raw, _SHOW_IF_FIELDS, where, errors)
    source = raw.get("item")
    if not isinstance(source, str) or not source:
        errors.add(where, f"'show_if.item' must name an item key (got {source!r})")
        return None
    if ("in" in raw) == ("not_in" in raw):
        errors.add(where, "'show_if' needs exactly one of 'in' or 'not_in'")
        return None
    negate = "not_in" in raw
    values = raw["not_in" if negate else "in"]
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        errors.add(where, f"'show_if' values must be a non-empty list of strings (got {values!r})")
        return None
    return ShowIf(item=source, values=tuple(values), negate=negate)


def _item_construct(raw: dict[str, Any], item_type: str, where: str, errors: Errors) -> str | None:
    construct = raw.get("construct")
    if construct is None:
        return None
    if construct not in CONSTRUCTS:
        errors.add(
            where, f"unknown construct {construct!r} (expected one of {', '.join(CONSTRUCTS)})"
        )
        return None
    if item_type in TEXT_TYPES:
        errors.add(where, f"{item_type} items are not scored and take no construct")
        return None
    return str(construct)


def _item_practice(
    raw: dict[str, Any], construct: str | None, meant_scored: bool, where: str, errors: Errors
) -> tuple[str | None, str | None]:
    """The (resource, category) pair: required on practice items, forbidden elsewhere."""
    resource, category = raw.get("resource"), raw.get("category")
    if construct in PRACTICE_CONSTRUCTS:
        if resource not in RESOURCE_LEVELS:
            errors.add(
                where,
                f"practice items need resource: {' or '.join(RESOURCE_LEVELS)} (got {resource!r})",
            )
        if category not in PRACTICE_CATEGORIES:
            errors.add(
                where,
                f"practice items need a category from {', '.join(PRACTICE_CATEGORIES)} "
                f"(got {category!r})",
            )
        return resource, category
    if (resource is not None or category is not None) and (
        construct is not None or not meant_scored  # not after an unknown construct
    ):
        errors.add(where, "resource and category belong only to practice items")
    return None, None


def _item_options(
    raw: dict[str, Any],
    item_type: str,
    scored: bool,
    meant_scored: bool,
    scales: dict[str, tuple[Option, ...]],
    where: str,
    errors: Errors,
) -> tuple[Option, ...]:
    if item_type in SCALE_TYPES:
        if "options" in raw:
            errors.add(where, f"{item_type} items take their options from scales.{item_type}")
        return scales.get(item_type, ())
    if item_type in CHOICE_TYPES:
        options = parse_options(raw.get("options"), where, errors)
        missing = unscored_options(options)
        if scored and missing:
            errors.add(where, f"scored item has option(s) without a score: {', '.join(missing)}")
        if not meant_scored and any(o.score is not None for o in options):
            errors.add(where, "options carry scores but the item has no construct")
        return options
    if "options" in raw:
        errors.add(where, f"{item_type} items take no options")
    return ()


def _item_max_length(raw: dict[str, Any], item_type: str, where: str, errors: Errors) -> int | None:
    if item_type not in TEXT_TYPES:
        if "max_length" in raw:
            errors.add(where, "max_length applies only to free_text and action items")
        return None
    max_length = raw.get("max_length", DEFAULT_TEXT_MAX_LENGTH)
    if (
        not isinstance(max_length, int)
        or isinstance(max_length, bool)
        or not 1 <= max_length <= MAX_TEXT_LENGTH
    ):
        errors.add(where, f"max_length must be a whole number in 1..{MAX_TEXT_LENGTH}")
        return DEFAULT_TEXT_MAX_LENGTH
    return max_length


def _item_segment(
    raw: dict[str, Any], item_type: str, meant_scored: bool, where: str, errors: Errors
) -> str | None:
    segment = raw.get("segment")
    if segment is None:
        return None
    if not isinstance(segment, str) or not _KEY_PATTERN.match(segment):
        errors.add(where, f"segment must be a snake_case string (got {segment!r})")
        return None
    if meant_scored:
        errors.add(where, "segment belongs only to unscored context items")
    elif item_type != "single_choice":
        # Results are grouped by segment, so each respondent must fall in exactly one group.
        errors.add(where, "segment items must be single_choice")
    return segment


def _item_governance(
    raw: dict[str, Any], construct: str | None, meant_scored: bool, where: str, errors: Errors
) -> tuple[str | None, str | None, str | None]:
    """The (layer, roadmap, real_test) tags: governance_design items only, each from its list."""
    tags: list[str | None] = []
    for name, allowed in (
        ("layer", GOVERNANCE_LAYERS),
        ("roadmap", ROADMAP_ELEMENTS),
        ("real_test", REAL_TEST_PARTS),
    ):
        value = raw.get(name)
        if value is None:
            tags.append(None)
            continue
        if construct != "governance_design":
            if construct is not None or not meant_scored:  # not after an unknown construct
                errors.add(where, f"{name} belongs only to governance_design items")
            tags.append(None)
        elif value not in allowed:
            errors.add(where, f"unknown {name} {value!r} (expected one of {', '.join(allowed)})")
            # Kept so it is not also reported as missing; the error fails the load.
            tags.append(str(value))
        else:
            tags.append(str(value))
    return tags[0], tags[1], tags[2]


def parse_item(
    raw: object,
    section: str,
    index: int,
    scales: dict[str, tuple[Option, ...]],
    errors: Errors,
) -> Item | None:
    where = f"section '{section}' item #{index}"
    if not isinstance(raw, dict):
        errors.add(where, f"must be a mapping (got {raw!r})")
        return None
    key = key_field(raw, where, errors)
    if key:
        where = f"item '{key}'"
    check_fields(raw, _ITEM_FIELDS, where, errors)
    text = text_field(raw, "text", where, errors)
    help_text = text_field(raw, "help", where, errors)
    item_type = raw.get("type")
    if item_type not in ITEM_TYPES:
        errors.add(where, f"unknown type {item_type!r} (expected one of {', '.join(ITEM_TYPES)})")
        return None

    construct = _item_construct(raw, item_type, where, errors)
    # A misspelt construct is reported once; checks below trust the author's intent to score.
    meant_scored = raw.get("construct") is not None
    weight = raw.get("weight", 1)
    if not is_number(weight) or weight <= 0:
        errors.add(where, f"weight must be a number above 0 (got {weight!r})")
        weight = 1
    elif "weight" in raw and not meant_scored:
        errors.add(where, "weight applies only to scored items (no construct given)")
    reverse = _flag(raw, "reverse", False, where, errors)
    if reverse and not meant_scored:
        errors.add(where, "reverse applies only to scored items (no construct given)")
    required = _flag(raw, "required", item_type not in TEXT_TYPES, where, errors)
    resource, category = _item_practice(raw, construct, meant_scored, where, errors)
    options = _item_options(
        raw, item_type, construct is not None, meant_scored, scales, where, errors
    )
    max_length = _item_max_length(raw, item_type, where, errors)
    show_if = _parse_condition(raw["show_if"], where, errors) if "show_if" in raw else None
    segment = _item_segment(raw, item_type, meant_scored, where, errors)
    layer, roadmap, real_test = _item_governance(raw, construct, meant_scored, where, errors)

    if not key:
        return None
    return Item(
        key=key,
        text=text,
        help=help_text,
        type=item_type,
        section=section,
        construct=construct,
        weight=float(weight),
        reverse=reverse,
        required=required,
        resource=resource,
        category=category,
        options=options,
        max_length=max_length,
        show_if=show_if,
        segment=segment,
        layer=layer,
        roadmap=roadmap,
        real_test=real_test,
    )
