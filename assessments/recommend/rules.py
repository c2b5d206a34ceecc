"""The rule table (``rules/recommendations.yaml``) read and validated against an instrument:
every problem reported at once, each naming the file and the rule."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assessments.datafile import DataFileError, Problems, is_number, read_yaml
from assessments.instrument.types import CONSTRUCTS, Instrument, Item
from assessments.recommend.conditions import (
    AllOf,
    AnyOf,
    Condition,
    ConstructLeaf,
    GapLeaf,
    ItemLeaf,
    Not,
    ProfileLeaf,
)
from assessments.scoring.profile import PROFILE_STATES

DEFAULT_RULES_PATH = Path(__file__).parent.parent / "rules" / "recommendations.yaml"


AUDIENCES = ("team", "leadership")
RESOURCES = ("individual", "collective")
OPERATORS = ("gte", "lte", "gt", "lt")


_RULE_FIELDS = ("id", "audience", "resource", "priority", "construct", "title", "framing", "steps")
_REQUIRED_FIELDS = (*_RULE_FIELDS, "when")
# Optional: the instrument versions a rule applies to (its items exist only there); a rule
# without it applies to every version and must be valid against each.
_OPTIONAL_FIELDS = ("instruments",)
_TOP_LEVEL = ("version", "rules")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")


class RuleError(DataFileError):
    """The rule table is invalid; one line per problem, each naming the file and the rule."""


@dataclass(frozen=True)
class Rule:
    """One row of the rule table.

    `framing` is fixed text that says why the advice matters in general and claims
    nothing about the team; what is true of the team comes from the checks that fired.
    """

    id: str
    audience: str  # team | leadership
    resource: str  # individual | collective
    priority: int  # higher first
    construct: str  # the construct the rule serves
    title: str
    framing: str
    steps: tuple[str, ...]
    when: Condition
    table_version: str = ""  # the `version:` of the rule table the rule came from

    @property
    def why(self) -> str:
        """The framing alone (the facts need a team; see `Recommendation.why`)."""
        return self.framing


class _Errors(Problems):
    def __init__(self, source: str) -> None:
        super().__init__(source, RuleError)

    def in_rule(self, rule: str, where: str, problem: str) -> None:
        self.add(f"{rule}: {where}", problem)


class _ConditionParser:
    """Builds a Condition tree from YAML data, reporting problems against one rule."""

    def __init__(self, instrument: Instrument, errors: _Errors, rule: str) -> None:
        self.items: Mapping[str, Item] = instrument.by_key()
        self.errors = errors
        self.rule = rule

    def error(self, where: str, problem: str) -> None:
        self.errors.in_rule(self.rule, where, problem)

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
        if not is_number(value) or not low <= value <= high:
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


def _rule(
    raw: object, index: int, instrument: Instrument, errors: _Errors, version: str
) -> Rule | None:
    name = f"rule #{index}"
    if not isinstance(raw, dict):
        errors.in_rule(name, "top", f"must be a mapping (got {raw!r})")
        return None
    rule_id = raw.get("id")
    if isinstance(rule_id, str) and _ID_PATTERN.match(rule_id):
        name = f"rule '{rule_id}'"
    else:
        errors.in_rule(name, "id", f"must be a snake_case string (got {rule_id!r})")
    before = len(errors.lines)

    unknown = sorted(str(k) for k in raw if k not in (*_REQUIRED_FIELDS, *_OPTIONAL_FIELDS))
    if unknown:
        errors.in_rule(name, "fields", f"unknown field(s) {', '.join(unknown)}")
    if "why" in raw:
        errors.in_rule(
            name,
            "why",
            "'why' is now 'framing': a text that claims nothing about the team; "
            "the facts come from the checks that fired",
        )
    missing = [f for f in _REQUIRED_FIELDS if f not in raw]
    if missing:
        errors.in_rule(name, "fields", f"missing field(s) {', '.join(missing)}")
    if "audience" in raw and raw["audience"] not in AUDIENCES:
        errors.in_rule(name, "audience", f"must be one of {', '.join(AUDIENCES)}")
    if "resource" in raw and raw["resource"] not in RESOURCES:
        errors.in_rule(name, "resource", f"must be one of {', '.join(RESOURCES)}")
    if "priority" in raw and (
        not isinstance(raw["priority"], int) or isinstance(raw["priority"], bool)
    ):
        errors.in_rule(name, "priority", f"must be a whole number (got {raw['priority']!r})")
    if "construct" in raw and raw["construct"] not in CONSTRUCTS:
        errors.in_rule(
            name,
            "construct",
            f"unknown construct {raw['construct']!r} (expected one of {', '.join(CONSTRUCTS)})",
        )
    for text in ("title", "framing"):
        if text in raw and (not isinstance(raw[text], str) or not raw[text].strip()):
            errors.in_rule(name, text, "must be a non-empty string")
    steps = raw.get("steps")
    if "steps" in raw and (
        not isinstance(steps, list)
        or not steps
        or not all(isinstance(s, str) and s.strip() for s in steps)
    ):
        errors.in_rule(name, "steps", "must be a non-empty list of non-empty strings")
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
        framing=" ".join(raw["framing"].split()),
        steps=tuple(" ".join(s.split()) for s in raw["steps"]),
        when=when,
        table_version=version,
    )


def _table_version(data: dict[str, Any], source: str) -> tuple[str | None, list[str]]:
    problems = []
    unknown = sorted(str(k) for k in data if k not in _TOP_LEVEL)
    if unknown:
        problems.append(f"{source}: top level: unknown key(s) {', '.join(unknown)}")
    raw = data.get("version")
    version = str(raw) if isinstance(raw, str | int) and not isinstance(raw, bool) else None
    if version is None or not _VERSION_PATTERN.match(version):
        problems.append(
            f"{source}: top level: needs a 'version' such as \"2\" "
            f"(letters, digits, '.', '-' or '_'; got {raw!r})"
        )
        version = None
    return version, problems


def _applies_to(raw: object, version: str, index: int, errors: _Errors) -> bool:
    """Whether rule `raw` applies to instrument `version` (its `instruments` list, if any)."""
    if not isinstance(raw, dict) or "instruments" not in raw:
        return True
    versions = raw["instruments"]
    if (
        not isinstance(versions, list)
        or not versions
        or not all(isinstance(v, str) and v for v in versions)
    ):
        name = f"rule '{raw.get('id')}'" if isinstance(raw.get("id"), str) else f"rule #{index}"
        errors.in_rule(
            name, "instruments", f"must be a non-empty list of quoted versions (got {versions!r})"
        )
        return True  # validated as usual, so its other problems show too
    return version in versions


def parse_rules(data: object, source: str, instrument: Instrument) -> tuple[Rule, ...]:
    """Validate already-loaded rule data against `instrument`; raise RuleError listing all.

    The table needs a top-level `version`; every rule carries it as `table_version`. Rules
    whose `instruments` list leaves out `instrument.version` are skipped.
    """
    errors = _Errors(source)
    raw_rules = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(raw_rules, list) or not raw_rules:
        raise RuleError([f"{source}: top level: needs a non-empty 'rules' list"])
    version, problems = _table_version(data, source)
    errors.lines.extend(problems)
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id") if isinstance(raw, dict) else None
        if isinstance(rule_id, str):
            if rule_id in seen:
                errors.in_rule(f"rule '{rule_id}'", "id", "duplicate rule id")
            seen.add(rule_id)
        if not _applies_to(raw, instrument.version, index, errors):
            continue
        rule = _rule(raw, index, instrument, errors, version or "")
        if rule is not None:
            rules.append(rule)
    errors.raise_if_any()
    return tuple(rules)


def load_rules(path: str | Path, instrument: Instrument) -> tuple[Rule, ...]:
    """Read and validate the rule table in `path` against `instrument`.

    Raises RuleError naming the file and rule for every problem: missing or malformed
    table version; unknown construct, item, option value, profile state, condition or
    operator; duplicate id; bad audience or resource; missing fields.
    """
    path = Path(path)
    _, data = read_yaml(path, RuleError)
    return parse_rules(data, str(path), instrument)


def rules_version(rules: Sequence[Rule]) -> str:
    """The rule-table version of `rules` ("" for none; "+"-joined if they were mixed)."""
    return "+".join(sorted({r.table_version for r in rules}))
