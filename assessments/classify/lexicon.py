"""The classifier lexicon (``rules/classifier.yaml``): its types, and its validating loader.

Every problem of a lexicon file is reported at once, one line each, ``file: where: problem``
(the shared data-file style of ``assessments/datafile.py``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, cast

from assessments.datafile import DataFileError, Problems, is_number, read_yaml

from .triggers import (
    AlternativeScan,
    TriggerIndex,
    build_alternative_scan,
    build_trigger_index,
    word_alternation,
)

# What cues are evidence for; "none" (not an action taken) comes from no-action markers.
CueKind = Literal["individual", "collective"]
Kind = Literal["individual", "collective", "none"]
NegationRule = Literal["flip", "drop", "ignore"]
MarkerFamily = Literal[
    "refusal",
    "plan_or_wish",
    "conditional",
    "failed_attempt",
    "deflection",
    "no_action_stated",
    "vague",
    "question",
    "complaint",
]

CUE_KINDS: Final[tuple[CueKind, CueKind]] = ("individual", "collective")
KINDS: Final[tuple[Kind, Kind, Kind]] = ("individual", "collective", "none")
MARKER_FAMILIES: Final[tuple[MarkerFamily, ...]] = (
    "refusal",
    "plan_or_wish",
    "conditional",
    "failed_attempt",
    "deflection",
    "no_action_stated",
    "vague",
    "question",
    "complaint",
)
# Families whose marker governs its clause up to the next scope break, the subject before
# it included ("we did not get an audit", "if we had budget we would run an audit",
# "legal handles all of the audits").
FORWARD_FAMILIES: Final[frozenset[str]] = frozenset(
    {"refusal", "plan_or_wish", "conditional", "deflection", "complaint"}
)
NEGATION_RULES: Final[tuple[NegationRule, ...]] = ("flip", "drop", "ignore")
RULES_DIR: Final[Path] = Path(__file__).resolve().parent.parent / "rules"
DEFAULT_LEXICON_PATH: Final[Path] = RULES_DIR / "classifier.yaml"

_MACRO: Final[re.Pattern[str]] = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


class LexiconError(DataFileError):
    """The classifier lexicon file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Cue:
    """One weighted piece of evidence for a kind, matched as a regular expression."""

    name: str
    kind: CueKind
    weight: float
    pattern: re.Pattern[str]
    on_negation: NegationRule


@dataclass(frozen=True)
class NoAction:
    """Markers of a text that describes no action taken, and how they are weighed.

    ``markers`` per family: refusals, plans, conditionals and deflections govern their
    clause, subject included, up to the next ``scope_breaks`` (so "we will hold the release
    until the audit is done" is all plan, "legal handles the audits" all deflection); failed
    attempts ("was refused", "nothing came of it") undo their clause, and up to
    ``outcome_clauses`` clauses before when joined as an outcome (``outcome_joins``:
    "we asked for a board, it was turned down", not "we stopped the launch after the board
    said no"); stated no-actions and vague attitudes ("nothing", "we try to be careful")
    stand alone; a failed outcome also undoes the clause after it when that clause tells the
    attempt (``outcome_trails``: "nothing changed after I raised it"). A question
    ("is anyone supposed to check these?") undoes what it asks about, up to its question
    mark. A refusal whose scope goes on to a condition (``conditions``: "did not ship
    until the audit was done") is a rule the team kept, unless its negator is the subject
    (``subject_negators``: "nobody reviews them before release"); a plan whose scope goes on
    to a success (``achieved``: "the proposal was approved") was carried out; a refusal or
    plan with the product as subject (``product_behaviour``: "the bot will not answer
    medication questions") is how the product behaves. A refusal or plan after a done verb
    of its clause (``done_verbs``: "I wrote eval cases the assistant should refuse") sits in
    what was done, and governs nothing. A text with no cue and no done verb gets
    ``actionless_weight`` of evidence for none.
    """

    markers: Mapping[MarkerFamily, re.Pattern[str]]
    weights: Mapping[MarkerFamily, float]
    conditions: re.Pattern[str]
    subject_negators: re.Pattern[str]
    double_negatives: re.Pattern[str]
    attempt_verbs: re.Pattern[str]
    failed_refusals: re.Pattern[str]
    # a launch, feature or rollout that was cancelled or pulled was held back, not a failed
    # attempt ("the rollout to schools was cancelled by leadership")
    risk_withdrawn: re.Pattern[str]
    achieved: re.Pattern[str]
    product_behaviour: re.Pattern[str]
    scope_breaks: re.Pattern[str]
    outcome_joins: re.Pattern[str]
    outcome_trails: re.Pattern[str]
    outcome_clauses: int
    done_verbs: re.Pattern[str]
    # words in quotation marks are what someone said or wrote ("the bot now says 'I do not
    # know'"): markers inside them govern nothing
    quoted: re.Pattern[str]
    # a clause after "so" whose subject is the product or its users tells what the action
    # achieved ("so the model says it does not know", "so users can not paste data"):
    # markers in it describe the result, not a failure
    result_clause: re.Pattern[str]
    # one scan for the literals of every alternative of every family's markers: most texts
    # hold no marker, and a family that might match runs with only the alternatives that
    # might (the same matches, a fraction of the work)
    scan: AlternativeScan
    undone_cue_factor: float
    actionless_weight: float
    answered_factor: float
    slope: float
    bias: float


@dataclass(frozen=True)
class Negation:
    """When a cue counts as negated: a negator within a few words, in the same clause."""

    window_words: int
    negators: re.Pattern[str]
    clause_negators: re.Pattern[str]
    clause_breaks: re.Pattern[str]
    # Negators that say the team acted without the resource ("without budget", "instead of
    # waiting for a policy"); other negators say the resource is absent ("there is no
    # policy", "no audit was commissioned"): a collective cue they negate was not done.
    acted_without: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    """A validated, compiled classifier lexicon (see ``rules/classifier.yaml``)."""

    path: str
    version: int
    threshold: float
    max_chars: int
    slope: float
    bias: float
    case_sensitive_abbreviations: Mapping[str, str]
    abbreviations: Mapping[str, str]
    negation: Negation
    no_action: NoAction
    cues: tuple[Cue, ...]
    # (pattern, replacement) applied last in normalise: grammar that reads one way and means
    # another ("did not skip the review" is "kept the review")
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    # collective cues that name the organisation as the one who acted ("the compliance team
    # reviews every AI-generated email"): the individual cues of the work told after them,
    # in their clause, are work the organisation did and count for collective instead
    agent_cues: frozenset[str]
    triggers: TriggerIndex
    case_sensitive_pattern: re.Pattern[str] | None
    abbreviation_pattern: re.Pattern[str] | None


def load_lexicon(path: str | Path = DEFAULT_LEXICON_PATH) -> Lexicon:
    """Load, validate and compile a lexicon file; cached per resolved path.

    Raises LexiconError listing every problem, one line each: the file, the key, what is
    wrong.
    """
    return _load_lexicon_cached(str(Path(path).resolve()))


@lru_cache(maxsize=8)
def _load_lexicon_cached(path: str) -> Lexicon:
    _, raw = read_yaml(path, LexiconError)
    return _build_lexicon(path, raw)


# Stands in for a pattern that failed to validate, so that checking can go on.
_NEVER: Final[re.Pattern[str]] = re.compile(r"(?!)")


class _Reader:
    """Typed reads of a parsed lexicon that record a problem and go on with a stand-in."""

    def __init__(self, path: str, macros: Mapping[str, str] | None = None) -> None:
        self.problems = Problems(path, LexiconError)
        self.macros: Mapping[str, str] = macros or {}
        # sections that are not mappings: what is missing inside them is not reported again
        self.broken: list[str] = []

    def add(self, key: str, problem: str) -> None:
        if not any(key.startswith(f"{section}.") for section in self.broken):
            self.problems.add(key, problem)

    def mapping(self, key: str, value: object) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.add(key, "expected a mapping")
            self.broken.append(key)
            return {}
        return value

    def string_map(self, key: str, value: object) -> dict[str, str]:
        section = self.mapping(key, value)
        good: dict[str, str] = {}
        for name, expansion in section.items():
            if not isinstance(name, str) or not isinstance(expansion, str) or not expansion:
                self.add(f"{key}.{name}", "expected text mapped to text")
            else:
                good[name] = expansion
        return good

    def number(
        self,
        key: str,
        value: object,
        low: float | None,
        high: float | None,
        *,
        exclusive_low: bool = False,
    ) -> float:
        if not is_number(value):
            self.add(key, f"expected a number, got {value!r}")
            return 1.0
        number = float(value)
        too_low = low is not None and (number <= low if exclusive_low else number < low)
        if too_low or (high is not None and number > high):
            self.add(key, f"{number} is out of range")
        return number

    def integer(self, key: str, value: object, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.add(key, f"expected an integer of at least {low}")
            return low
        return value

    def regex(
        self, key: str, value: object, macros: Mapping[str, str] | None = None
    ) -> re.Pattern[str]:
        """A compiled pattern, ``{name}`` macros expanded (the lexicon's unless given)."""
        if not isinstance(value, str) or not value:
            self.add(key, "expected a regular expression")
            return _NEVER
        known = self.macros if macros is None else macros
        unknown = [m.group(1) for m in _MACRO.finditer(value) if m.group(1) not in known]
        for name in unknown:
            self.add(key, f"unknown macro {{{name}}}")
        if unknown:
            return _NEVER
        expanded = _MACRO.sub(lambda m: known[m.group(1)], value)
        try:
            return re.compile(expanded)
        except re.error as exc:
            self.add(key, f"invalid regular expression: {exc}")
            return _NEVER


def _build_lexicon(path: str, raw: object) -> Lexicon:
    """Validate the parsed YAML and compile it into a Lexicon, or list every problem."""
    if not isinstance(raw, dict):
        Problems(path, LexiconError).fail("(top level)", "expected a mapping")
    root: dict[str, Any] = raw
    read = _Reader(path)
    read.macros = read.string_map("macros", root.get("macros", {}))
    case_sensitive = read.string_map(
        "case_sensitive_abbreviations", root.get("case_sensitive_abbreviations", {})
    )
    abbreviations = read.string_map("abbreviations", root.get("abbreviations", {}))
    lowered = {key.lower(): value.lower() for key, value in abbreviations.items()}
    cues = _build_cues(read, root.get("cues"))
    lexicon = Lexicon(
        path=path,
        version=read.integer("version", root.get("version"), 1),
        threshold=read.number("threshold", root.get("threshold"), 0.0, 1.0),
        max_chars=read.integer("max_chars", root.get("max_chars"), 1),
        slope=read.number("slope", root.get("slope"), 0.0, None, exclusive_low=True),
        bias=read.number("bias", root.get("bias", 0.0), None, None),
        case_sensitive_abbreviations=case_sensitive,
        abbreviations=lowered,
        negation=_build_negation(read, root.get("negation")),
        no_action=_build_no_action(read, root.get("no_action")),
        cues=cues,
        rewrites=_build_rewrites(read, root.get("rewrites", [])),
        agent_cues=_agent_cues(read, root.get("agent_cues", []), cues),
        triggers=build_trigger_index([cue.pattern for cue in cues]),
        case_sensitive_pattern=word_alternation(case_sensitive),
        abbreviation_pattern=word_alternation(lowered),
    )
    read.problems.raise_if_any()
    return lexicon


def _build_negation(read: _Reader, raw: object) -> Negation:
    section = read.mapping("negation", raw)

    def pattern(name: str) -> re.Pattern[str]:
        return read.regex(f"negation.{name}", section.get(name), {})

    return Negation(
        window_words=read.integer("negation.window_words", section.get("window_words"), 1),
        negators=pattern("negators"),
        clause_negators=pattern("clause_negators"),
        clause_breaks=pattern("clause_breaks"),
        acted_without=pattern("acted_without"),
    )


# The no_action entries that are one regular expression each, by field name.
_NO_ACTION_PATTERNS: Final[tuple[str, ...]] = (
    "conditions",
    "subject_negators",
    "double_negatives",
    "attempt_verbs",
    "failed_refusals",
    "risk_withdrawn",
    "achieved",
    "product_behaviour",
    "scope_breaks",
    "outcome_joins",
    "outcome_trails",
    "done_verbs",
    "quoted",
    "result_clause",
)


def _build_no_action(read: _Reader, raw: object) -> NoAction:
    section = read.mapping("no_action", raw)
    markers_raw = read.mapping("no_action.markers", section.get("markers"))
    weights_raw = read.mapping("no_action.weights", section.get("weights"))
    unknown = (set(markers_raw) | set(weights_raw)) - set(MARKER_FAMILIES)
    if unknown:
        read.add(
            "no_action", f"unknown marker famil(y/ies) {sorted(unknown)}; use {MARKER_FAMILIES}"
        )
    markers = {
        family: read.regex(f"no_action.markers.{family}", markers_raw.get(family))
        for family in MARKER_FAMILIES
    }
    weights = {
        family: read.number(f"no_action.weights.{family}", weights_raw.get(family), 0.0, None)
        for family in MARKER_FAMILIES
    }
    patterns = {
        name: read.regex(f"no_action.{name}", section.get(name)) for name in _NO_ACTION_PATTERNS
    }

    def number(name: str, low: float | None, high: float | None, **kw: bool) -> float:
        return read.number(f"no_action.{name}", section.get(name), low, high, **kw)

    return NoAction(
        markers=markers,
        weights=weights,
        outcome_clauses=read.integer(
            "no_action.outcome_clauses", section.get("outcome_clauses"), 1
        ),
        scan=build_alternative_scan({str(family): p for family, p in markers.items()}),
        undone_cue_factor=number("undone_cue_factor", 0.0, None),
        actionless_weight=number("actionless_weight", 0.0, None),
        answered_factor=number("answered_factor", 0.0, 1.0),
        slope=number("slope", 0.0, None, exclusive_low=True),
        bias=number("bias", None, None),
        **patterns,
    )


def _build_cues(read: _Reader, raw: object) -> tuple[Cue, ...]:
    section = read.mapping("cues", raw)
    unknown = set(section) - set(CUE_KINDS)
    if unknown:
        read.add("cues", f"unknown kind(s) {sorted(unknown)}; use {CUE_KINDS}")
    cues: list[Cue] = []
    seen: set[str] = set()
    for kind in CUE_KINDS:
        entries = section.get(kind)
        if not isinstance(entries, list) or not entries:
            read.add(f"cues.{kind}", "expected a non-empty list of cues")
            continue
        for index, entry in enumerate(entries):
            cue = _build_cue(read, f"cues.{kind}[{index}]", kind, entry, seen)
            if cue is not None:
                cues.append(cue)
    return tuple(cues)


def _build_cue(read: _Reader, key: str, kind: CueKind, entry: object, seen: set[str]) -> Cue | None:
    """One cue, or None (with its problems recorded) when its name is unusable."""
    item = read.mapping(key, entry)
    name = item.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        read.add(f"{key}.name", "expected a snake_case name")
        return None
    if name in seen:
        read.add(f"{key}.name", f"duplicate cue name {name!r}")
    seen.add(name)
    rule = item.get("on_negation", "flip" if kind == "collective" else "drop")
    if rule not in NEGATION_RULES:
        read.add(f"{key}.on_negation", f"expected one of {NEGATION_RULES}")
        rule = "drop"
    return Cue(
        name=name,
        kind=kind,
        weight=read.number(f"{key}.weight", item.get("weight"), 0.0, None, exclusive_low=True),
        pattern=read.regex(f"{key}.pattern", item.get("pattern")),
        on_negation=cast(NegationRule, rule),
    )


def _build_rewrites(read: _Reader, raw: object) -> tuple[tuple[re.Pattern[str], str], ...]:
    if not isinstance(raw, list):
        read.add("rewrites", "expected a list of pattern and replacement")
        return ()
    rewrites: list[tuple[re.Pattern[str], str]] = []
    for index, entry in enumerate(raw):
        key = f"rewrites[{index}]"
        item = read.mapping(key, entry)
        replacement = item.get("replacement")
        if not isinstance(replacement, str) or not replacement.strip():
            read.add(f"{key}.replacement", "expected text")
            continue
        rewrites.append((read.regex(f"{key}.pattern", item.get("pattern")), replacement))
    return tuple(rewrites)


def _agent_cues(read: _Reader, raw: object, cues: tuple[Cue, ...]) -> frozenset[str]:
    collective = {cue.name for cue in cues if cue.kind == "collective"}
    if not isinstance(raw, list) or not all(name in collective for name in raw):
        read.add("agent_cues", "expected a list of collective cue names")
        return frozenset()
    return frozenset(raw)
