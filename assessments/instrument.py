"""The questionnaire as plain data: types, loading and validation of instrument files.

An instrument file (``assessments/instruments/v<N>.yaml``) is the single source of the
items, their options and scores, the constructs they feed, and the thresholds the scoring
rules use. Nothing here touches the ORM: the database only stores which version was
published and its content hash.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from assessments.datafile import DataFileError, Problems, is_number, read_yaml
from assessments.vocabulary import VOCABULARY

# The constructs of ../shared/domain.md, from the vocabulary file; the keys are a stable
# interface.
CONSTRUCTS: dict[str, dict[str, str]] = VOCABULARY.construct_table()
PRACTICE_CONSTRUCTS = ("individual_practice", "collective_practice")
ENABLERS = ("leadership", "principles")

ItemType = Literal[
    "agreement",  # 5-point, options come from the file's `scales.agreement`
    "frequency",  # 5-point, options from `scales.frequency`
    "yes_no",  # yes / no / don't know / not applicable, from `scales.yes_no`
    "single_choice",  # options listed on the item
    "multiple_choice",  # options listed on the item; answer is a list of values
    "free_text",  # plain text, max_length applies
    "action",  # free-text description of an action taken; classified by classify.py
]
ITEM_TYPES: tuple[str, ...] = (
    "agreement",
    "frequency",
    "yes_no",
    "single_choice",
    "multiple_choice",
    "free_text",
    "action",
)
TEXT_TYPES = ("free_text", "action")
RESOURCE_LEVELS = ("individual", "collective")
PRACTICE_CATEGORIES: tuple[str, ...] = tuple(VOCABULARY.practice_categories)
# Governance design (../shared/domain.md, source 2): the three connected layers, the five
# things a roadmap must hold, and the three parts of the real test.
GOVERNANCE_LAYERS = ("policy", "controls", "operations")
ROADMAP_ELEMENTS = (
    "guardrails",
    "escalation",
    "evaluation_thresholds",
    "human_override",
    "monitoring",
)
REAL_TEST_PARTS = ("explain", "prove", "prevent")
# Where a "don't know" can count: a constrainer, or "none" (counted apart only).
DONT_KNOW_TARGETS = (
    *(key for key, c in CONSTRUCTS.items() if c["family"] == "constrainer"),
    "none",
)

# An answer as stored and as the pure modules see it: an option value, a list of option
# values (multiple choice) or text (free text / action).
AnswerValue = str | list[str]
Answers = dict[str, AnswerValue]


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    # 0-100 before reverse coding; None for options that carry no score.
    score: float | None = None
    # Special options: "don't know" is kept and counted separately, "not applicable"
    # drops out of the score entirely.
    dont_know: bool = False
    not_applicable: bool = False


@dataclass(frozen=True)
class ShowIf:
    """Show an item only when an earlier answer is one of `values`.

    For a multiple-choice source the condition holds when any selected value is listed.
    With `negate`, the item shows when the answer is *not* one of them (an unanswered
    source still hides the item).
    """

    item: str
    values: tuple[str, ...]
    negate: bool = False


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    help: str
    type: str  # one of ITEM_TYPES
    section: str
    construct: str | None = None  # None for context items
    weight: float = 1.0
    reverse: bool = False
    required: bool = True
    resource: str | None = None  # practice items only: "individual" | "collective"
    category: str | None = None  # practice items only: one of PRACTICE_CATEGORIES
    options: tuple[Option, ...] = ()
    max_length: int | None = None  # text items only
    show_if: ShowIf | None = None
    # A context item used to segment results (role, lifecycle stage...): its key names
    # the segment, e.g. "respondent_role".
    segment: str | None = None
    # Governance items only (instruments that use them): the layer the item measures, the
    # roadmap element it is, and which part of the real test it asks.
    layer: str | None = None  # one of GOVERNANCE_LAYERS
    roadmap: str | None = None  # one of ROADMAP_ELEMENTS
    real_test: str | None = None  # one of REAL_TEST_PARTS

    @property
    def is_scored(self) -> bool:
        return self.construct is not None

    @property
    def is_practice(self) -> bool:
        return self.construct in PRACTICE_CONSTRUCTS

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    intro: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Thresholds:
    """Cut-offs the scoring rules use; they live in the instrument file."""

    # A practice construct score at or above this is "high" for the recoupling profile.
    practice_high: float = 60.0
    # Decoupling gap: an enabler at or above `gap_enabler_min` while a practice construct
    # is below `gap_practice_max`.
    gap_enabler_min: float = 60.0
    gap_practice_max: float = 50.0
    # Enabler lift: a respondent "reports" an enabler when its construct score is at or
    # above this, and "reports" a practice item when its item score is at or above
    # `lift_practice_min`.
    lift_enabler_min: float = 60.0
    lift_practice_min: float = 75.0
    # Fewest respondents in each group (with / without the enabler) for a lift cell.
    lift_min_group: int = 5


@dataclass(frozen=True)
class DontKnowRule:
    """How a "don't know" to an item of `construct` counts, as the instrument file declares.

    It is always counted apart in its own construct; when `counts_towards` names a
    constrainer, it also counts there as an answer scoring `score` (in that construct's own
    direction) with weight `weight`.
    """

    construct: str
    counts_towards: str  # one of DONT_KNOW_TARGETS
    why: str
    score: float = 100.0
    weight: float = 1.0


@dataclass(frozen=True)
class Instrument:
    version: str
    title: str
    sections: tuple[Section, ...]
    scales: dict[str, tuple[Option, ...]] = field(default_factory=dict)
    thresholds: Thresholds = field(default_factory=Thresholds)
    content_hash: str = ""  # sha256 of the file bytes
    # How "don't know" counts per construct; empty: counted apart only (instrument v1).
    dont_know: dict[str, DontKnowRule] = field(default_factory=dict)
    methods: str = ""  # plain-English methods text of the file, if any

    # Cached: scoring asks for items and item(key) once per answer of every response.
    # cached_property writes to the instance __dict__, which a frozen dataclass allows.
    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(i for s in self.sections for i in s.items)

    def item(self, key: str) -> Item:
        return self._by_key()[key]

    def _by_key(self) -> dict[str, Item]:
        return self._item_index

    @cached_property
    def _item_index(self) -> dict[str, Item]:
        return {i.key: i for i in self.items}


class InstrumentError(DataFileError):
    """An instrument file is invalid; one line a problem, each "file: where: problem"."""


# --- Loading and validation ----------------------------------------------------------------

INSTRUMENTS_DIR = Path(__file__).parent / "instruments"

SCALE_TYPES: tuple[str, ...] = ("agreement", "frequency", "yes_no")  # item type == scale name
CHOICE_TYPES: tuple[str, ...] = ("single_choice", "multiple_choice")
DEFAULT_TEXT_MAX_LENGTH = 2000
MAX_TEXT_LENGTH = 5000

_TOP_LEVEL_FIELDS = ("version", "title", "methods", "scales", "thresholds", "dont_know", "sections")
_DONT_KNOW_FIELDS = ("counts_towards", "score", "weight", "why")
_SECTION_FIELDS = ("key", "title", "intro", "items")
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
_VERSION_FILE = re.compile(r"^v(?P<version>[A-Za-z0-9._-]+)\.yaml$")


class _Errors(Problems):
    def __init__(self, source: str) -> None:
        super().__init__(source, InstrumentError)


def _check_fields(
    raw: dict[str, Any], allowed: tuple[str, ...], where: str, errors: _Errors
) -> None:
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        errors.add(
            where,
            f"unknown field(s) {', '.join(repr(k) for k in unknown)} "
            f"(allowed: {', '.join(allowed)})",
        )


def _text(
    raw: dict[str, Any], name: str, where: str, errors: _Errors, required: bool = True
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


def _key(raw: dict[str, Any], where: str, errors: _Errors) -> str:
    key = raw.get("key")
    if key is None:
        errors.add(where, "'key' is missing")
        return ""
    if not isinstance(key, str) or not _KEY_PATTERN.match(key):
        errors.add(where, f"'key' must be a snake_case string (got {key!r})")
        return ""
    return key


def _flag(raw: dict[str, Any], name: str, default: bool, where: str, errors: _Errors) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        errors.add(where, f"'{name}' must be true or false (got {value!r})")
        return default
    return value


def _parse_option(raw: object, where: str, errors: _Errors) -> Option | None:
    if not isinstance(raw, dict):
        errors.add(where, f"must be a mapping with value and label (got {raw!r})")
        return None
    _check_fields(raw, _OPTION_FIELDS, where, errors)
    value = raw.get("value")
    if not isinstance(value, str) or not value:
        # YAML reads yes/no/on/off and bare numbers as non-strings.
        errors.add(where, f"'value' must be a non-empty string; quote it in YAML (got {value!r})")
        return None
    label = _text(raw, "label", where, errors)
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


def _parse_options(raw: object, where: str, errors: _Errors) -> tuple[Option, ...]:
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


def _unscored_options(options: tuple[Option, ...]) -> list[str]:
    return [o.value for o in options if o.score is None and not (o.dont_know or o.not_applicable)]


def _parse_scales(raw: object, errors: _Errors) -> dict[str, tuple[Option, ...]]:
    if not isinstance(raw, dict):
        errors.add("'scales'", f"must be a mapping with {', '.join(SCALE_TYPES)}")
        return {}
    scales: dict[str, tuple[Option, ...]] = {}
    for name in SCALE_TYPES:
        if name not in raw:
            errors.add(f"scale '{name}'", "is missing")
    for name, raw_options in raw.items():
        where = f"scale '{name}'"
        if name not in SCALE_TYPES:
            errors.add(where, f"unknown scale (expected one of {', '.join(SCALE_TYPES)})")
            continue
        options = _parse_options(raw_options, where, errors)
        # Scales feed scored items, so every ordinary option needs its score here.
        missing = _unscored_options(options)
        if missing:
            errors.add(where, f"option(s) without a score: {', '.join(missing)}")
        if name == "yes_no":
            if sum(o.dont_know for o in options) != 1:
                errors.add(where, "needs exactly one option with dont_know: true")
            if sum(o.not_applicable for o in options) != 1:
                errors.add(where, "needs exactly one option with not_applicable: true")
        scales[name] = options
    return scales


def _parse_thresholds(raw: object, errors: _Errors) -> Thresholds:
    if raw is None:
        return Thresholds()
    if not isinstance(raw, dict):
        errors.add("'thresholds'", "must be a mapping")
        return Thresholds()
    names = tuple(f.name for f in fields(Thresholds))
    _check_fields(raw, names, "'thresholds'", errors)
    values: dict[str, Any] = {}
    for name in names:
        if name not in raw:
            continue
        value = raw[name]
        where = f"threshold '{name}'"
        if name == "lift_min_group":
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                errors.add(where, f"must be a whole number of at least 1 (got {value!r})")
                continue
            values[name] = value
        elif not is_number(value) or not 0 <= value <= 100:
            errors.add(where, f"must be a number in 0-100 (got {value!r})")
        else:
            values[name] = float(value)
    return Thresholds(**values)


def _parse_condition(raw: object, where: str, errors: _Errors) -> ShowIf | None:
    if not isinstance(raw, dict):
        errors.add(where, "'show_if' must be a mapping {item: KEY, in: [...]} or {item, not_in}")
        return None
    _check_fields(raw, _SHOW_IF_FIELDS, where, errors)
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


def _item_construct(raw: dict[str, Any], item_type: str, where: str, errors: _Errors) -> str | None:
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
    raw: dict[str, Any], construct: str | None, meant_scored: bool, where: str, errors: _Errors
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
    errors: _Errors,
) -> tuple[Option, ...]:
    if item_type in SCALE_TYPES:
        if "options" in raw:
            errors.add(where, f"{item_type} items take their options from scales.{item_type}")
        return scales.get(item_type, ())
    if item_type in CHOICE_TYPES:
        options = _parse_options(raw.get("options"), where, errors)
        missing = _unscored_options(options)
        if scored and missing:
            errors.add(where, f"scored item has option(s) without a score: {', '.join(missing)}")
        if not meant_scored and any(o.score is not None for o in options):
            errors.add(where, "options carry scores but the item has no construct")
        return options
    if "options" in raw:
        errors.add(where, f"{item_type} items take no options")
    return ()


def _item_max_length(
    raw: dict[str, Any], item_type: str, where: str, errors: _Errors
) -> int | None:
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
    raw: dict[str, Any], item_type: str, meant_scored: bool, where: str, errors: _Errors
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
    raw: dict[str, Any], construct: str | None, meant_scored: bool, where: str, errors: _Errors
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


def _parse_item(
    raw: object,
    section: str,
    index: int,
    scales: dict[str, tuple[Option, ...]],
    errors: _Errors,
) -> Item | None:
    where = f"section '{section}' item #{index}"
    if not isinstance(raw, dict):
        errors.add(where, f"must be a mapping (got {raw!r})")
        return None
    key = _key(raw, where, errors)
    if key:
        where = f"item '{key}'"
    _check_fields(raw, _ITEM_FIELDS, where, errors)
    text = _text(raw, "text", where, errors)
    help_text = _text(raw, "help", where, errors)
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


def _parse_sections(
    raw: object, scales: dict[str, tuple[Option, ...]], errors: _Errors
) -> tuple[Section, ...]:
    if not isinstance(raw, list) or not raw:
        errors.add("'sections'", "must be a non-empty list")
        return ()
    sections: list[Section] = []
    section_keys: set[str] = set()
    item_sections: dict[str, str] = {}
    for index, raw_section in enumerate(raw, start=1):
        where = f"section #{index}"
        if not isinstance(raw_section, dict):
            errors.add(where, f"must be a mapping (got {raw_section!r})")
            continue
        key = _key(raw_section, where, errors)
        if key:
            where = f"section '{key}'"
            if key in section_keys:
                errors.add(where, "duplicate section key")
            section_keys.add(key)
        _check_fields(raw_section, _SECTION_FIELDS, where, errors)
        title = _text(raw_section, "title", where, errors)
        intro = _text(raw_section, "intro", where, errors, required=False)
        raw_items = raw_section.get("items")
        if not isinstance(raw_items, list) or not raw_items:
            errors.add(where, "'items' must be a non-empty list")
            raw_items = []
        items: list[Item] = []
        for item_index, raw_item in enumerate(raw_items, start=1):
            item = _parse_item(raw_item, key or f"#{index}", item_index, scales, errors)
            if item is None:
                continue
            if item.key in item_sections:
                errors.add(
                    f"item '{item.key}'",
                    f"duplicate item key (first used in section '{item_sections[item.key]}')",
                )
                continue
            item_sections[item.key] = item.section
            items.append(item)
        sections.append(Section(key=key, title=title, intro=intro, items=tuple(items)))
    return tuple(sections)


def _check_conditions(items: tuple[Item, ...], errors: _Errors) -> None:
    by_key = {i.key: i for i in items}
    for item in items:
        if item.show_if is None:
            continue
        where = f"item '{item.key}'"
        source = by_key.get(item.show_if.item)
        if source is None:
            errors.add(where, f"show_if names unknown item '{item.show_if.item}'")
            continue
        if source.type in TEXT_TYPES:
            errors.add(where, f"show_if source '{source.key}' is a text item; it has no values")
            continue
        known = {o.value for o in source.options}
        for value in item.show_if.values:
            if value not in known:
                errors.add(
                    where,
                    f"show_if value '{value}' is not an option of item '{source.key}' "
                    f"(options: {', '.join(sorted(known))})",
                )
    for cycle in _condition_cycles(items):
        errors.add(f"item '{cycle[0]}'", f"show_if conditions form a cycle: {' -> '.join(cycle)}")


def _condition_cycles(items: tuple[Item, ...]) -> list[list[str]]:
    """Every cycle in the 'shows only if' graph, each reported once.

    Conditions may point at later items, so order alone does not rule cycles out.
    """
    edges = {i.key: [i.show_if.item] if i.show_if else [] for i in items}
    state: dict[str, str] = {}  # "visiting" while on the DFS stack, then "done"
    cycles: list[list[str]] = []

    def visit(key: str, stack: list[str]) -> None:
        state[key] = "visiting"
        stack.append(key)
        for target in edges.get(key, []):
            if state.get(target) == "visiting":
                cycles.append([*stack[stack.index(target) :], target])
            elif target in edges and target not in state:
                visit(target, stack)
        stack.pop()
        state[key] = "done"

    for key in edges:
        if key not in state:
            visit(key, [])
    return cycles


def _check_segments(items: tuple[Item, ...], errors: _Errors) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if item.segment is None:
            continue
        if item.segment in seen:
            errors.add(
                f"item '{item.key}'",
                f"segment '{item.segment}' is already defined by item '{seen[item.segment]}'",
            )
        seen.setdefault(item.segment, item.key)


def _check_governance(items: tuple[Item, ...], errors: _Errors) -> None:
    """Layers and the real test are all or nothing: once an instrument tags one governance
    item with a layer, every governance item needs one and every layer is used; once it asks
    one part of the real test, it asks all three."""
    governance = [i for i in items if i.construct == "governance_design"]
    if any(i.layer for i in governance):
        for item in governance:
            if item.layer is None:
                errors.add(
                    f"item '{item.key}'",
                    f"governance items need a layer ({', '.join(GOVERNANCE_LAYERS)}) "
                    "once any governance item has one",
                )
        missing = [la for la in GOVERNANCE_LAYERS if not any(i.layer == la for i in governance)]
        if missing:
            errors.add("governance layers", f"no item measures layer(s) {', '.join(missing)}")
    parts = {i.real_test for i in governance if i.real_test}
    if parts:
        missing = [p for p in REAL_TEST_PARTS if p not in parts]
        if missing:
            errors.add("real test", f"no item asks part(s) {', '.join(missing)}")


def _dont_know_capable(items: tuple[Item, ...]) -> dict[str, list[str]]:
    """Scored items that can be answered "don't know", by construct."""
    capable: dict[str, list[str]] = {}
    for item in items:
        if item.construct and any(o.dont_know for o in item.options):
            capable.setdefault(item.construct, []).append(item.key)
    return capable


def _parse_dont_know(
    raw: object, items: tuple[Item, ...], errors: _Errors
) -> dict[str, DontKnowRule]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        errors.add("'dont_know'", "must be a mapping of construct -> {counts_towards, why}")
        return {}
    capable = _dont_know_capable(items)
    rules: dict[str, DontKnowRule] = {}
    declared: set[str] = set()
    for construct, spec in raw.items():
        where = f"dont_know '{construct}'"
        if construct not in CONSTRUCTS:
            errors.add(where, f"unknown construct (expected one of {', '.join(CONSTRUCTS)})")
            continue
        declared.add(construct)
        if not isinstance(spec, dict):
            errors.add(where, "must be a mapping with counts_towards and why")
            continue
        _check_fields(spec, _DONT_KNOW_FIELDS, where, errors)
        target = spec.get("counts_towards")
        if target not in DONT_KNOW_TARGETS:
            errors.add(
                where,
                f"counts_towards must be one of {', '.join(DONT_KNOW_TARGETS)} (got {target!r})",
            )
            continue
        why = _text(spec, "why", where, errors)
        score, weight = spec.get("score", 100), spec.get("weight", 1)
        if not is_number(score) or not 0 <= score <= 100:
            errors.add(where, f"score must be a number in 0-100 (got {score!r})")
            score = 100
        if not is_number(weight) or weight <= 0:
            errors.add(where, f"weight must be a number above 0 (got {weight!r})")
            weight = 1
        if construct not in capable:
            errors.add(where, 'no item of this construct can be answered "don\'t know"')
        rules[construct] = DontKnowRule(construct, str(target), why, float(score), float(weight))
    for construct, keys in capable.items():
        if construct not in declared:
            errors.add(
                "'dont_know'",
                f"construct '{construct}' has items that can be answered \"don't know\" "
                f"({', '.join(keys[:3])}{'...' if len(keys) > 3 else ''}) but no declaration",
            )
    return rules


def _parse(
    data: object, source: str, content_hash: str, expected_version: str | None
) -> Instrument:
    if not isinstance(data, dict):
        raise InstrumentError(
            f"{source}: top level: must be a mapping with version, title, scales and sections"
        )
    errors = _Errors(source)
    _check_fields(data, _TOP_LEVEL_FIELDS, "top level", errors)
    version = data.get("version")
    if not isinstance(version, str) or not version.strip():
        errors.add("'version'", f"must be a non-empty string; quote it in YAML (got {version!r})")
        version = ""
    elif expected_version is not None and version != expected_version:
        errors.add("'version'", f"is '{version}' but the file name says '{expected_version}'")
    title = _text(data, "title", "top level", errors)
    scales = _parse_scales(data.get("scales"), errors)
    thresholds = _parse_thresholds(data.get("thresholds"), errors)
    sections = _parse_sections(data.get("sections"), scales, errors)
    items = tuple(i for s in sections for i in s.items)
    _check_conditions(items, errors)
    _check_segments(items, errors)
    _check_governance(items, errors)
    dont_know = _parse_dont_know(data.get("dont_know"), items, errors)
    methods = _text(data, "methods", "top level", errors, required=False)
    errors.raise_if_any()
    return Instrument(
        version=version,
        title=title,
        sections=sections,
        scales=scales,
        thresholds=thresholds,
        content_hash=content_hash,
        dont_know=dont_know,
        methods=methods,
    )


def parse_instrument(data: dict[str, Any], source: str, content_hash: str = "") -> Instrument:
    """Validate already-loaded instrument data and build the Instrument.

    `source` names the file (or other origin) in error messages. Raises InstrumentError
    listing every problem found, one per line.
    """
    return _parse(data, source, content_hash, expected_version=None)


def load_instrument(path: str | Path) -> Instrument:
    """Read, validate and build the instrument in a YAML file.

    The content hash is the sha256 of the file's bytes, so any edit yields a new hash.
    A file named ``v<version>.yaml`` must declare that same version.
    """
    path = Path(path)
    raw, data = read_yaml(path, InstrumentError)
    match = _VERSION_FILE.match(path.name)
    return _parse(
        data,
        str(path),
        hashlib.sha256(raw).hexdigest(),
        expected_version=match.group("version") if match else None,
    )


def instrument_path(version: str, directory: Path = INSTRUMENTS_DIR) -> Path:
    """Where the file of instrument `version` lives: ``<directory>/v<version>.yaml``."""
    return directory / f"v{version}.yaml"


def load_version(version: str, directory: Path = INSTRUMENTS_DIR) -> Instrument:
    """Load instrument `version` from its file in `directory`."""
    return load_instrument(instrument_path(version, directory))


def _version_order(version: str) -> tuple[tuple[int, int | str], ...]:
    # "10" sorts after "9"; non-numeric parts sort after numeric ones.
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in version.split("."))


def available_versions(directory: Path = INSTRUMENTS_DIR) -> list[str]:
    """Versions with a ``v<version>.yaml`` file in `directory`, oldest first."""
    versions = [
        m.group("version") for p in directory.glob("v*.yaml") if (m := _VERSION_FILE.match(p.name))
    ]
    return sorted(versions, key=_version_order)


# --- Questions over an instrument ----------------------------------------------------------


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
    by_key = instrument._by_key()
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


def instrument_summary(instrument: Instrument) -> dict[str, Any]:
    """Coverage counts of an instrument: items per construct, practice per resource level."""
    items = instrument.items
    return {
        "version": instrument.version,
        "items": len(items),
        "items_by_construct": {c: sum(i.construct == c for i in items) for c in CONSTRUCTS},
        "practice_items_by_resource": {
            r: sum(i.is_practice and i.resource == r for i in items) for r in RESOURCE_LEVELS
        },
        "free_text_action_items": sum(i.type == "action" for i in items),
        "governance_layers": {la: sum(i.layer == la for i in items) for la in GOVERNANCE_LAYERS},
        "roadmap_items": {r: sum(i.roadmap == r for i in items) for r in ROADMAP_ELEMENTS},
        "real_test_items": {p: sum(i.real_test == p for i in items) for p in REAL_TEST_PARTS},
        "segments": [i.segment for i in items if i.segment],
    }
