"""What an instrument is: its items, options, scales and thresholds, as frozen dataclasses.

An instrument file (``assessments/instruments/v<N>.yaml``) is the single source of the
items, their options and scores, the constructs they feed, and the thresholds the scoring
rules use; `loader` reads it into these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from assessments.datafile import DataFileError
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
        return self.by_key()[key]

    def by_key(self) -> dict[str, Item]:
        return self._item_index

    @cached_property
    def _item_index(self) -> dict[str, Item]:
        return {i.key: i for i in self.items}


class InstrumentError(DataFileError):
    """An instrument file is invalid; one line a problem, each "file: where: problem"."""


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
