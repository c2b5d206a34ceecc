"""Scores in, recommendations out: the rule table applied to a team's or a response's facts.

The rules live in ``rules/recommendations.yaml`` as data. A rule's condition is a small
declarative tree (all / any / not over construct, profile, gap and item-share leaves),
evaluated here without eval. Every recommendation carries its causal trace: the rule,
the instrument version and the leaf checks that made it fire.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from assessments.instrument import CONSTRUCTS, Answers, Instrument, Item
from assessments.scoring import (
    PROFILE_STATES,
    GroupAggregate,
    ResponseScore,
    item_counts,
)

DEFAULT_RULES_PATH = Path(__file__).parent / "rules" / "recommendations.yaml"

AUDIENCES = ("team", "leadership")
RESOURCES = ("individual", "collective")
OPERATORS = ("gte", "lte", "gt", "lt")
_RULE_FIELDS = ("id", "audience", "resource", "priority", "construct", "title", "why", "steps")
_REQUIRED_FIELDS = (*_RULE_FIELDS, "when")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# How an operator reads in a sentence, for scores and for shares.
_SCORE_WORDS = {"gte": "at or above", "lte": "at or below", "gt": "above", "lt": "below"}
_SHARE_WORDS = {"gte": "at least", "lte": "at most", "gt": "more than", "lt": "less than"}
# The operator a leaf must fail under `not`, read positively: not (x < t) is x >= t.
_INVERSE = {"gte": "lt", "lt": "gte", "lte": "gt", "gt": "lte"}


class RuleError(ValueError):
    """The rule table is invalid; one line per problem, each naming the file and the rule."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


def _compare(actual: float, operator: str, threshold: float) -> bool:
    if operator == "gte":
        return actual >= threshold
    if operator == "lte":
        return actual <= threshold
    if operator == "gt":
        return actual > threshold
    return actual < threshold


# --- Facts: what the rules look at ----------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What a rule can look at for one team (or one response): plain numbers and counts."""

    instrument_version: str
    scores: Mapping[str, float | None]  # construct -> mean score (None: no score)
    profile: str  # a PROFILE_STATES key
    gap: bool  # decoupling gap present
    item_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    item_answered: Mapping[str, int] = field(default_factory=dict)  # respondents per item
    n_responses: int = 1

    def share(self, item: str, values: Sequence[str]) -> tuple[float | None, int, int]:
        """(share, matched, answered) of respondents whose answer to `item` is in `values`."""
        answered = self.item_answered.get(item, 0)
        if not answered:
            return None, 0, 0
        counts = self.item_counts.get(item, {})
        matched = min(answered, sum(counts.get(v, 0) for v in values))
        return matched / answered, matched, answered


def facts_from_aggregate(
    instrument_version: str,
    aggregate: GroupAggregate,
    distribution: Mapping[str, Mapping[str, int]],
    answered: Mapping[str, int] | None = None,
) -> Facts:
    """Facts of a group from its aggregate and its item distribution.

    `answered` (from `item_answered_counts`) gives each item's respondents; without it the
    sum of the item's option counts stands in, which is exact for single-answer items.
    """
    if answered is None:
        answered = {key: sum(counts.values()) for key, counts in distribution.items()}
    return Facts(
        instrument_version=instrument_version,
        scores=aggregate.means(),
        profile=aggregate.profile.state,
        gap=aggregate.gap.present,
        item_counts=distribution,
        item_answered=answered,
        n_responses=aggregate.n_responses,
    )


def facts_from_response(
    instrument: Instrument, response_score: ResponseScore, answers: Answers
) -> Facts:
    """Facts of a single response: its own scores, profile, gap and answers."""
    distribution, answered = item_counts(instrument, [answers])
    return Facts(
        instrument_version=response_score.instrument_version,
        scores={k: c.score for k, c in response_score.constructs.items()},
        profile=response_score.profile.state,
        gap=response_score.gap.present,
        item_counts=distribution,
        item_answered=answered,
        n_responses=1,
    )


# --- Conditions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One leaf of a rule's condition as evaluated: its input, the actual value and the test.

    `negated` is set when the leaf sits under an odd number of `not`s: the rule needed it
    to fail, so a firing rule shows it with `holds` False.
    """

    kind: Literal["construct", "profile", "gap", "item"]
    input: str  # construct key, "profile", "decoupling_gap" or item key
    label: str  # what the input is called on a page
    operator: str  # gte/lte/gt/lt, "in" (profile) or "is" (gap)
    threshold: float | bool | tuple[str, ...]
    actual: float | str | bool | None  # score, share (0-1), profile state or gap flag
    holds: bool
    negated: bool = False
    values: tuple[str, ...] = ()  # item leaves: the option values counted
    value_labels: tuple[str, ...] = ()
    matched: int | None = None  # item leaves: respondents whose answer is in `values`
    answered: int | None = None  # item leaves: respondents who answered

    def sentence(self) -> str:
        """The check in plain English, e.g. "Leadership commitment scored 32 (rule: below 40)"."""
        if self.kind == "construct":
            return self._construct_sentence()
        if self.kind == "profile":
            wanted = self.threshold if isinstance(self.threshold, tuple) else ()
            states = ", ".join(PROFILE_STATES[s]["label"] for s in wanted)
            actual = PROFILE_STATES.get(str(self.actual), {}).get("label", str(self.actual))
            rule = f"{'not ' if self.negated else ''}{'one of ' if len(wanted) > 1 else ''}{states}"
            return f"Recoupling profile is {actual} (rule: {rule})"
        if self.kind == "gap":
            actual = "A decoupling gap is present" if self.actual else "No decoupling gap"
            wanted = bool(self.threshold) != self.negated
            return f"{actual} (rule: gap {'present' if wanted else 'absent'})"
        return self._item_sentence()

    def _rule_words(self, words: Mapping[str, str], value: str) -> str:
        if self.negated and self.actual is None:
            return f"not {words[self.operator]} {value}"
        operator = _INVERSE[self.operator] if self.negated else self.operator
        return f"{words[operator]} {value}"

    def _construct_sentence(self) -> str:
        rule = self._rule_words(_SCORE_WORDS, f"{self.threshold:g}")
        if not isinstance(self.actual, float | int):
            return f"{self.label} has no score (rule: {rule})"
        return f"{self.label} scored {self.actual:.0f} (rule: {rule})"

    def _item_sentence(self) -> str:
        quoted = [f"“{label}”" for label in self.value_labels]
        choices = " or ".join(filter(None, (", ".join(quoted[:-1]), quoted[-1])))
        rule = self._rule_words(_SHARE_WORDS, f"{self.threshold:.0%}")
        if not isinstance(self.actual, float):
            return f"Nobody answered “{self.label}” (rule: {rule} answering {choices})"
        people = "respondent" if self.answered == 1 else "respondents"
        return (
            f"{self.matched} of {self.answered} {people} ({self.actual:.0%}) answered {choices} "
            f"to “{self.label}” (rule: {rule})"
        )

    def to_dict(self) -> dict[str, Any]:
        actual = self.actual
        if isinstance(actual, float):
            actual = round(actual, 3 if self.kind == "item" else 1)
        return {
            "kind": self.kind,
            "input": self.input,
            "label": self.label,
            "operator": self.operator,
            "threshold": list(self.threshold)
            if isinstance(self.threshold, tuple)
            else self.threshold,
            "actual": actual,
            "holds": self.holds,
            "negated": self.negated,
            "values": list(self.values),
            "matched": self.matched,
            "answered": self.answered,
            "sentence": self.sentence(),
        }


@dataclass(frozen=True)
class AllOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    condition: Condition


@dataclass(frozen=True)
class ConstructLeaf:
    construct: str
    operator: str
    value: float


@dataclass(frozen=True)
class ProfileLeaf:
    states: tuple[str, ...]


@dataclass(frozen=True)
class GapLeaf:
    present: bool


@dataclass(frozen=True)
class ItemLeaf:
    item: str
    values: tuple[str, ...]
    operator: str
    value: float  # a share, 0-1
    item_text: str = ""
    value_labels: tuple[str, ...] = ()


Condition = AllOf | AnyOf | Not | ConstructLeaf | ProfileLeaf | GapLeaf | ItemLeaf


def _leaf_check(leaf: Condition, facts: Facts, negated: bool) -> Check:
    if isinstance(leaf, ConstructLeaf):
        score = facts.scores.get(leaf.construct)
        holds = score is not None and _compare(score, leaf.operator, leaf.value)
        label = CONSTRUCTS[leaf.construct]["label"]
        return Check(
            "construct", leaf.construct, label, leaf.operator, leaf.value, score, holds, negated
        )
    if isinstance(leaf, ProfileLeaf):
        holds = facts.profile in leaf.states
        return Check(
            "profile",
            "profile",
            "Recoupling profile",
            "in",
            leaf.states,
            facts.profile,
            holds,
            negated,
        )
    if isinstance(leaf, GapLeaf):
        holds = facts.gap == leaf.present
        return Check(
            "gap", "decoupling_gap", "Decoupling gap", "is", leaf.present, facts.gap, holds, negated
        )
    assert isinstance(leaf, ItemLeaf)
    share, matched, answered = facts.share(leaf.item, leaf.values)
    holds = share is not None and _compare(share, leaf.operator, leaf.value)
    return Check(
        "item",
        leaf.item,
        leaf.item_text or leaf.item,
        leaf.operator,
        leaf.value,
        share,
        holds,
        negated,
        values=leaf.values,
        value_labels=leaf.value_labels or leaf.values,
        matched=matched,
        answered=answered,
    )


def evaluate(condition: Condition, facts: Facts, negated: bool = False) -> tuple[bool, list[Check]]:
    """Evaluate a condition; return its truth and the leaf checks that decide it.

    For a true `all` every child counts; for a true `any` only the true children; when
    false, the reverse. `not` passes the explanation of its child through, marked negated.
    """
    if isinstance(condition, Not):
        value, checks = evaluate(condition.condition, facts, not negated)
        return not value, checks
    if isinstance(condition, AllOf | AnyOf):
        results = [evaluate(c, facts, negated) for c in condition.conditions]
        value = (all if isinstance(condition, AllOf) else any)(v for v, _ in results)
        # A true `all` or a false `any` needs every child; otherwise the children that agree.
        every = value == isinstance(condition, AllOf)
        return value, [check for v, cs in results if every or v == value for check in cs]
    check = _leaf_check(condition, facts, negated)
    return check.holds, [check]


# --- Rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One row of the rule table."""

    id: str
    audience: str  # team | leadership
    resource: str  # individual | collective
    priority: int  # higher first
    construct: str  # the construct the rule serves
    title: str
    why: str
    steps: tuple[str, ...]
    when: Condition


class _Errors:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: list[str] = []

    def add(self, rule: str, where: str, problem: str) -> None:
        self.lines.append(f"{self.source}: {rule}: {where}: {problem}")


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _ConditionParser:
    """Builds a Condition tree from YAML data, reporting problems against one rule."""

    def __init__(self, instrument: Instrument, errors: _Errors, rule: str) -> None:
        self.items: dict[str, Item] = {i.key: i for i in instrument.items}
        self.errors = errors
        self.rule = rule

    def error(self, where: str, problem: str) -> None:
        self.errors.add(self.rule, where, problem)

    def parse(self, raw: object, where: str) -> Condition | None:
        if not isinstance(raw, dict) or not raw:
            self.error(where, f"a condition must be a non-empty mapping (got {raw!r})")
            return None
        for combinator in ("all", "any"):
            if combinator in raw:
                return self._combination(combinator, raw, where)
        if "not" in raw:
            if len(raw) != 1:
                self.error(where, "'not' takes a single condition and nothing beside it")
            inner = self.parse(raw["not"], f"{where}.not")
            return Not(inner) if inner is not None else None
        leaves = {
            "construct": self._construct,
            "profile": self._profile,
            "gap": self._gap,
            "item": self._item,
        }
        for kind, parse_leaf in leaves.items():
            if kind in raw:
                return parse_leaf(raw, where)
        self.error(
            where,
            f"unknown condition with key(s) {', '.join(sorted(map(str, raw)))} "
            "(expected all, any, not, construct, profile, gap or item)",
        )
        return None

    def _combination(self, name: str, raw: dict[str, Any], where: str) -> Condition | None:
        if len(raw) != 1:
            self.error(where, f"'{name}' takes a list of conditions and nothing beside it")
        children = raw[name]
        if not isinstance(children, list) or not children:
            self.error(f"{where}.{name}", "must be a non-empty list of conditions")
            return None
        parsed = [self.parse(c, f"{where}.{name}[{n}]") for n, c in enumerate(children)]
        if any(p is None for p in parsed):
            return None
        conditions = tuple(p for p in parsed if p is not None)
        return AllOf(conditions) if name == "all" else AnyOf(conditions)

    def _operator(
        self, raw: dict[str, Any], allowed: set[str], where: str, low: float, high: float
    ) -> tuple[str, float] | None:
        unknown = sorted(str(k) for k in raw if k not in allowed | set(OPERATORS))
        if unknown:
            self.error(
                where,
                f"unknown key(s) {', '.join(unknown)} "
                f"(allowed: {', '.join(sorted(allowed))}, and one of {', '.join(OPERATORS)})",
            )
        operators = [op for op in OPERATORS if op in raw]
        if len(operators) != 1:
            self.error(where, f"needs exactly one operator of {', '.join(OPERATORS)}")
            return None
        operator = operators[0]
        value = raw[operator]
        if not _number(value) or not low <= value <= high:
            self.error(where, f"'{operator}' must be a number in {low:g}..{high:g} (got {value!r})")
            return None
        return operator, float(value)

    def _construct(self, raw: dict[str, Any], where: str) -> Condition | None:
        construct = raw["construct"]
        if construct not in CONSTRUCTS:
            self.error(
                where,
                f"unknown construct {construct!r} (expected one of {', '.join(CONSTRUCTS)})",
            )
        test = self._operator(raw, {"construct"}, where, 0, 100)
        if test is None or construct not in CONSTRUCTS:
            return None
        return ConstructLeaf(construct, *test)

    def _profile(self, raw: dict[str, Any], where: str) -> Condition | None:
        states = raw["profile"]
        if len(raw) != 1:
            self.error(where, "'profile' takes a list of states and nothing beside it")
        if not isinstance(states, list) or not states:
            self.error(where, f"'profile' must be a non-empty list of states (got {states!r})")
            return None
        unknown = [s for s in states if s not in PROFILE_STATES]
        if unknown:
            self.error(
                where,
                f"unknown profile state(s) {', '.join(map(repr, unknown))} "
                f"(expected {', '.join(PROFILE_STATES)})",
            )
            return None
        return ProfileLeaf(tuple(states))

    def _gap(self, raw: dict[str, Any], where: str) -> Condition | None:
        if len(raw) != 1:
            self.error(where, "'gap' takes true or false and nothing beside it")
        if not isinstance(raw["gap"], bool):
            self.error(where, f"'gap' must be true or false (got {raw['gap']!r})")
            return None
        return GapLeaf(raw["gap"])

    def _item(self, raw: dict[str, Any], where: str) -> Condition | None:
        key = raw["item"]
        item = self.items.get(key) if isinstance(key, str) else None
        test = self._operator(raw, {"item", "share_in"}, where, 0, 1)
        if item is None:
            self.error(where, f"unknown item {key!r} (not in the instrument)")
            return None
        if not item.options:
            self.error(where, f"item '{key}' is a {item.type} item; it has no options to share")
            return None
        values = raw.get("share_in")
        if not isinstance(values, list) or not values:
            self.error(where, "'share_in' must be a non-empty list of option values")
            return None
        options = {o.value: o.label for o in item.options}
        bad = [v for v in values if v not in options]
        if bad:
            self.error(
                where,
                f"option value(s) {', '.join(map(repr, bad))} not valid for item '{key}' "
                f"(options: {', '.join(options)})",
            )
            return None
        if item.type == "multiple_choice" and len(values) != 1:
            # Counts per value would count twice a respondent who picked both.
            self.error(where, f"multiple-choice item '{key}': 'share_in' must name one value")
            return None
        if test is None:
            return None
        return ItemLeaf(
            key,
            tuple(values),
            *test,
            item_text=item.text,
            value_labels=tuple(options[v] for v in values),
        )


def _rule(raw: object, index: int, instrument: Instrument, errors: _Errors) -> Rule | None:
    name = f"rule #{index}"
    if not isinstance(raw, dict):
        errors.add(name, "top", f"must be a mapping (got {raw!r})")
        return None
    rule_id = raw.get("id")
    if isinstance(rule_id, str) and _ID_PATTERN.match(rule_id):
        name = f"rule '{rule_id}'"
    else:
        errors.add(name, "id", f"must be a snake_case string (got {rule_id!r})")
    before = len(errors.lines)

    unknown = sorted(str(k) for k in raw if k not in _REQUIRED_FIELDS)
    if unknown:
        errors.add(name, "fields", f"unknown field(s) {', '.join(unknown)}")
    missing = [f for f in _REQUIRED_FIELDS if f not in raw]
    if missing:
        errors.add(name, "fields", f"missing field(s) {', '.join(missing)}")
    if "audience" in raw and raw["audience"] not in AUDIENCES:
        errors.add(name, "audience", f"must be one of {', '.join(AUDIENCES)}")
    if "resource" in raw and raw["resource"] not in RESOURCES:
        errors.add(name, "resource", f"must be one of {', '.join(RESOURCES)}")
    if "priority" in raw and (
        not isinstance(raw["priority"], int) or isinstance(raw["priority"], bool)
    ):
        errors.add(name, "priority", f"must be a whole number (got {raw['priority']!r})")
    if "construct" in raw and raw["construct"] not in CONSTRUCTS:
        errors.add(
            name,
            "construct",
            f"unknown construct {raw['construct']!r} (expected one of {', '.join(CONSTRUCTS)})",
        )
    for text in ("title", "why"):
        if text in raw and (not isinstance(raw[text], str) or not raw[text].strip()):
            errors.add(name, text, "must be a non-empty string")
    steps = raw.get("steps")
    if "steps" in raw and (
        not isinstance(steps, list)
        or not steps
        or not all(isinstance(s, str) and s.strip() for s in steps)
    ):
        errors.add(name, "steps", "must be a non-empty list of non-empty strings")
    when = None
    if "when" in raw:
        when = _ConditionParser(instrument, errors, name).parse(raw["when"], "when")
    if len(errors.lines) > before or when is None or not isinstance(rule_id, str):
        return None
    return Rule(
        id=rule_id,
        audience=raw["audience"],
        resource=raw["resource"],
        priority=raw["priority"],
        construct=raw["construct"],
        title=" ".join(raw["title"].split()),
        why=" ".join(raw["why"].split()),
        steps=tuple(" ".join(s.split()) for s in raw["steps"]),
        when=when,
    )


def parse_rules(data: object, source: str, instrument: Instrument) -> tuple[Rule, ...]:
    """Validate already-loaded rule data against `instrument`; raise RuleError listing all."""
    errors = _Errors(source)
    raw_rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(raw_rules, list) or not raw_rules:
        raise RuleError([f"{source}: top level: needs a non-empty 'rules' list"])
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(rule_id, str):
            if rule_id in seen:
                errors.add(f"rule '{rule_id}'", "id", "duplicate rule id")
            seen.add(rule_id)
        rule = _rule(raw, index, instrument, errors)
        if rule is not None:
            rules.append(rule)
    if errors.lines:
        raise RuleError(errors.lines)
    return tuple(rules)


def load_rules(path: str | Path, instrument: Instrument) -> tuple[Rule, ...]:
    """Read and validate the rule table in `path` against `instrument`.

    Raises RuleError naming the file and rule for every problem: unknown construct, item,
    option value, profile state, condition or operator; duplicate id; bad audience or
    resource; missing fields.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleError([f"{path}: cannot read the file: {exc.strerror or exc}"]) from exc
    except yaml.YAMLError as exc:
        raise RuleError([f"{path}: invalid YAML: {exc}"]) from exc
    return parse_rules(data, str(path), instrument)


# --- Recommendations ------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Why a rule fired: the rule, the instrument version and the deciding leaf checks."""

    rule_id: str
    instrument_version: str
    checks: tuple[Check, ...]

    def sentences(self) -> list[str]:
        return [c.sentence() for c in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "instrument_version": self.instrument_version,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class Recommendation:
    """A fired rule, ready to show, with its causal trace."""

    rule_id: str
    audience: str
    resource: str
    priority: int
    construct: str
    title: str
    why: str
    steps: tuple[str, ...]
    trace: Trace

    def trace_sentences(self) -> list[str]:
        """The trace in plain English, one sentence per deciding check."""
        return self.trace.sentences()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "audience": self.audience,
            "resource": self.resource,
            "priority": self.priority,
            "construct": self.construct,
            "title": self.title,
            "why": self.why,
            "steps": list(self.steps),
            "trace": self.trace.to_dict(),
        }


def _fire(rule: Rule, facts: Facts) -> Trace | None:
    fired, checks = evaluate(rule.when, facts)
    return Trace(rule.id, facts.instrument_version, tuple(checks)) if fired else None


def recommend(
    rules: Sequence[Rule], facts: Facts, audience: str | None = None
) -> list[Recommendation]:
    """The rules that fire on `facts` (optionally of one audience), by priority then id."""
    fired: list[Recommendation] = []
    for rule in rules:
        if audience is not None and rule.audience != audience:
            continue
        trace = _fire(rule, facts)
        if trace is not None:
            fired.append(
                Recommendation(
                    rule.id,
                    rule.audience,
                    rule.resource,
                    rule.priority,
                    rule.construct,
                    rule.title,
                    rule.why,
                    rule.steps,
                    trace,
                )
            )
    return sorted(fired, key=lambda r: (-r.priority, r.rule_id))


@dataclass(frozen=True)
class RankedAction:
    """A leadership rule with the teams it would unblock and each team's trace."""

    rule: Rule
    teams: tuple[str, ...]
    traces: Mapping[str, Trace]

    @property
    def teams_unblocked(self) -> int:
        return len(self.teams)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule.id,
            "title": self.rule.title,
            "why": self.rule.why,
            "steps": list(self.rule.steps),
            "resource": self.rule.resource,
            "construct": self.rule.construct,
            "priority": self.rule.priority,
            "teams_unblocked": self.teams_unblocked,
            "teams": list(self.teams),
            "traces": {team: trace.to_dict() for team, trace in self.traces.items()},
        }


def rank_leadership_actions(
    rules: Sequence[Rule], facts_by_team: Mapping[str, Facts]
) -> list[RankedAction]:
    """Leadership rules that fire for at least one team, most teams unblocked first.

    Ties go to the higher priority, then the rule id.
    """
    ranked: list[RankedAction] = []
    for rule in rules:
        if rule.audience != "leadership":
            continue
        traces = {
            team: trace
            for team, facts in facts_by_team.items()
            if (trace := _fire(rule, facts)) is not None
        }
        if traces:
            ranked.append(RankedAction(rule, tuple(traces), traces))
    return sorted(ranked, key=lambda a: (-a.teams_unblocked, -a.rule.priority, a.rule.id))
