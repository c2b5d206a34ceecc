"""Scores in, recommendations out: the rule table applied to a team's or a response's facts.

The rules live in ``rules/recommendations.yaml`` as data, with a table version. A rule's
condition is a small declarative tree (all / any / not over construct, profile, gap and
item-share leaves), evaluated here without eval. A leaf over missing data (no score, nobody
answered) is unknown, and `not` of unknown is unknown: a rule fires only on what was known.

Every recommendation explains itself from the checks that made it fire. Its "why" is one
plain sentence per deciding check, each with the numbers behind it, then the rule's
framing: a fixed text that claims nothing about the team. The same checks render a
technical trace (inputs, operators, cut-offs, rule id, instrument and rule-table versions)
for a "how we got this" disclosure.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assessments.datafile import DataFileError, Problems, as_float, is_number, read_yaml
from assessments.instrument import (
    CONSTRUCTS,
    ENABLERS,
    PRACTICE_CONSTRUCTS,
    Answers,
    Instrument,
    Item,
    Thresholds,
)
from assessments.scoring import (
    PROFILE_STATES,
    GroupAggregate,
    ResponseScore,
    item_counts,
)
from assessments.vocabulary import VOCABULARY

DEFAULT_RULES_PATH = Path(__file__).parent / "rules" / "recommendations.yaml"

AUDIENCES = ("team", "leadership")
RESOURCES = ("individual", "collective")
OPERATORS = ("gte", "lte", "gt", "lt")
SUBJECTS = ("team", "group", "respondent")
_RULE_FIELDS = ("id", "audience", "resource", "priority", "construct", "title", "framing", "steps")
_REQUIRED_FIELDS = (*_RULE_FIELDS, "when")
# Optional: the instrument versions a rule applies to (its items exist only there); a rule
# without it applies to every version and must be valid against each.
_OPTIONAL_FIELDS = ("instruments",)
_TOP_LEVEL = ("version", "rules")
_ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,31}$")

# How an operator reads in a sentence, for scores and for shares.
_SCORE_WORDS = {"gte": "at or above", "lte": "at or below", "gt": "above", "lt": "below"}
# The operator a leaf must fail under `not`, read positively: not (x < t) is x >= t.
_INVERSE = {"gte": "lt", "lt": "gte", "lte": "gt", "gt": "lte"}

# What a construct is called inside a plain sentence ("the team's score for ... is 38").
# The instrument's labels are headings; these read in running text.
PLAIN_NAMES: dict[str, str] = {key: c.plain for key, c in VOCABULARY.constructs.items()}


class RuleError(DataFileError):
    """The rule table is invalid; one line per problem, each naming the file and the rule."""


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
    """What a rule can look at for one team (or one response): plain numbers and counts.

    The cut-offs (`practice_high` for the profile, `gap_enabler_min` and `gap_practice_max`
    for the gap) let profile and gap checks say which scores put the team where it is;
    when unknown (None) those checks still decide, but their sentences name no cut-off.
    `subject` says whose facts these are, for the wording: a team, another group (a pool)
    or one respondent.
    """

    instrument_version: str
    scores: Mapping[str, float | None]  # construct -> mean score (None: no score)
    profile: str  # a PROFILE_STATES key
    gap: bool  # decoupling gap present
    item_counts: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    item_answered: Mapping[str, int] = field(default_factory=dict)  # respondents per item
    n_responses: int = 1
    practice_high: float | None = None
    gap_enabler_min: float | None = None
    gap_practice_max: float | None = None
    subject: str = "team"

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
    *,
    thresholds: Thresholds | None = None,
    subject: str = "team",
) -> Facts:
    """Facts of a group from its aggregate and its item distribution.

    `answered` (from `item_answered_counts`) gives each item's respondents; without it the
    sum of the item's option counts stands in, which is exact for single-answer items.
    `thresholds` (the instrument's) give gap sentences their cut-offs; the profile's comes
    with the aggregate.
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
        practice_high=aggregate.profile.threshold,
        gap_enabler_min=thresholds.gap_enabler_min if thresholds else None,
        gap_practice_max=thresholds.gap_practice_max if thresholds else None,
        subject=subject,
    )


def facts_from_response(
    instrument: Instrument,
    response_score: ResponseScore,
    answers: Answers,
    shown: AbstractSet[str] | None = None,
) -> Facts:
    """Facts of a single response: its own scores, profile, gap and answers (`shown`: the
    items the respondent was shown, when `answers` lack what show_if conditions read)."""
    distribution, answered = item_counts(instrument, [answers], None if shown is None else [shown])
    return Facts(
        instrument_version=response_score.instrument_version,
        scores={k: c.score for k, c in response_score.constructs.items()},
        profile=response_score.profile.state,
        gap=response_score.gap.present,
        item_counts=distribution,
        item_answered=answered,
        n_responses=1,
        practice_high=response_score.profile.threshold,
        gap_enabler_min=instrument.thresholds.gap_enabler_min,
        gap_practice_max=instrument.thresholds.gap_practice_max,
        subject="respondent",
    )


# --- Words ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Whose:
    """How a sentence names the subject of the facts."""

    owner: str  # "The team's" (opens a sentence)
    its: str  # "its" (inside one)
    whom: str  # "the team"
    has: str  # "The team has"


_WHOSE = {
    "team": _Whose("The team's", "its", "the team", "The team has"),
    "group": _Whose("This group's", "its", "this group", "This group has"),
    "respondent": _Whose("Your", "your", "you", "You have"),
}


def plain_name(construct: str) -> str:
    """A construct's name in running text, e.g. "leadership commitment"."""
    return PLAIN_NAMES.get(construct, CONSTRUCTS[construct]["label"].lower())


def _shown(value: float, operator: str | None = None, threshold: float | None = None) -> str:
    """`value` rounded for a sentence, with as many decimals as it takes to keep its stated
    relation to `threshold` true: 49.6 "below 50" is not shown as 50."""
    for digits in range(4):
        text = f"{value:.{digits}f}"
        if operator is None or threshold is None or _compare(float(text), operator, threshold):
            return text
    return f"{value!r}"


def _either(labels: Sequence[str], joiner: str = "or") -> str:
    """“A”, “B” or “C”."""
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {joiner} {quoted[-1]}"


def _statement(text: str) -> str:
    """An item's text quoted inside a sentence, without its closing full stop."""
    return f"“{text.rstrip().rstrip('.')}”"


# --- Checks: one leaf of a condition as evaluated ---------------------------------------------


@dataclass(frozen=True)
class Basis:
    """A score behind a profile or gap check, and how it stands to its cut-off.

    `relation` is the operator the score satisfies against `threshold` ("gte" or "lt");
    None when the score or the cut-off is unknown. `role` says which side of the check the
    score is on: "axis" (profile), "enabler" or "practice" (gap).
    """

    construct: str
    score: float | None
    relation: str | None
    threshold: float | None
    role: str

    def distance(self) -> float | None:
        if self.score is None or self.threshold is None:
            return None
        return abs(self.score - self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "construct": self.construct,
            "score": None if self.score is None else round(self.score, 1),
            "relation": self.relation,
            "threshold": self.threshold,
            "role": self.role,
        }


@dataclass(frozen=True)
class Check:
    """One leaf of a rule's condition as evaluated: its input, the actual value and the test.

    `holds` is the leaf's own truth, None when its data is missing (no score, nobody
    answered). `negated` is set when the leaf sits under an odd number of `not`s: the rule
    needed it to fail, so a firing rule shows it with `holds` False.

    Two renderings: `plain()` for pages and PDFs (numbers, no ids or operators) and
    `technical()` for the "how we got this" trace (inputs, operators, cut-offs).
    """

    kind: Literal["construct", "profile", "gap", "item"]
    input: str  # construct key, "profile", "decoupling_gap" or item key
    label: str  # what the input is called on a page
    operator: str  # gte/lte/gt/lt, "in" (profile) or "is" (gap)
    threshold: float | bool | tuple[str, ...]
    actual: float | str | bool | None  # score, share (0-1), profile state or gap flag
    holds: bool | None
    negated: bool = False
    values: tuple[str, ...] = ()  # item leaves: the option values counted
    value_labels: tuple[str, ...] = ()
    matched: int | None = None  # item leaves: respondents whose answer is in `values`
    answered: int | None = None  # item leaves: respondents who answered
    matched_labels: tuple[str, ...] = ()  # item leaves: labels of `values` somebody chose
    basis: tuple[Basis, ...] = ()  # profile and gap leaves: the scores behind them
    subject: str = "team"

    @property
    def passed(self) -> bool | None:
        """Whether the check came out as the rule needed (None: unknown)."""
        return None if self.holds is None else self.holds != self.negated

    @property
    def margin(self) -> float | None:
        """How far past its cut-off the check is, in points of the 0-100 scale.

        A share counts in percentage points. A profile is only as firm as its nearer axis;
        a gap as firm as its clearest enabler and its clearest practice, of which the
        weaker counts. None when the numbers are unknown.
        """
        actual, threshold = as_float(self.actual), as_float(self.threshold)
        if self.kind in ("construct", "item"):
            if actual is None or threshold is None:
                return None
            return abs(actual - threshold) * (100 if self.kind == "item" else 1)
        distances: dict[str, list[float]] = {}
        for b in self.basis:
            if (d := b.distance()) is None:
                return None
            distances.setdefault(b.role, []).append(d)
        if not distances:
            return None
        if self.kind == "gap" and self.actual and set(distances) == {"enabler", "practice"}:
            return min(max(distances["enabler"]), max(distances["practice"]))
        return min(d for ds in distances.values() for d in ds)

    # -- plain ---------------------------------------------------------------------------------

    def plain(self) -> str:
        """The check as a plain sentence with its numbers, for pages and PDFs.

        E.g. "The team's score for leadership commitment is 38 of 100, below 50." It says
        only what the check looked at; no rule ids, operators or decimals of a share.
        """
        if self.kind == "construct":
            return self._plain_construct()
        if self.kind == "item":
            return self._plain_item()
        if self.kind == "profile":
            return self._plain_profile()
        return self._plain_gap()

    @property
    def _whose(self) -> _Whose:
        return _WHOSE.get(self.subject, _WHOSE["team"])

    def _stated_operator(self) -> str:
        return _INVERSE[self.operator] if self.negated else self.operator

    def _plain_construct(self) -> str:
        name = plain_name(self.input)
        actual, threshold = as_float(self.actual), as_float(self.threshold) or 0.0
        if actual is None:
            return f"{self._whose.has} no score for {name}."
        operator = self._stated_operator()
        score = _shown(actual, operator, threshold)
        return (
            f"{self._whose.owner} score for {name} is {score} of 100, "
            f"{_SCORE_WORDS[operator]} {threshold:g}."
        )

    def _plain_item(self) -> str:
        statement, choices = _statement(self.label), _either(self.value_labels)
        chosen = _either(self.matched_labels)
        if self.subject == "respondent":
            if not self.answered:
                return f"You did not answer {statement}."
            if self.matched:
                return f"You answered {chosen} to {statement}."
            return f"Your answer to {statement} was not {choices}."
        if not self.answered:
            return f"Nobody answered {statement}."
        if self.answered == 1:
            verb = f"chose {chosen}" if self.matched else f"did not choose {choices}"
            return f"The one person who answered {statement} {verb}."
        share = f"{round(100 * (self.matched or 0) / self.answered)}%"
        if not self.matched:
            return f"None of the {self.answered} people who answered {statement} chose {choices}."
        return (
            f"{self.matched} of the {self.answered} people who answered {statement} "
            f"chose {choices} ({share})."
        )

    @staticmethod
    def _named_score(basis: Basis) -> str:
        """ "leadership commitment (72)", or "(no score)"."""
        if basis.score is None:
            return f"{plain_name(basis.construct)} (no score)"
        score = _shown(basis.score, basis.relation, basis.threshold)
        return f"{plain_name(basis.construct)} ({score})"

    @staticmethod
    def _cutoff(relation: str | None, threshold: float | None) -> str:
        if relation is None or threshold is None:
            return ""
        return f" ({_SCORE_WORDS[relation]} {threshold:g})"

    def _plain_profile(self) -> str:
        whose = self._whose
        state = str(self.actual)
        label = PROFILE_STATES.get(state, {}).get("label", state)
        wanted = self.threshold if isinstance(self.threshold, tuple) else ()
        others = [PROFILE_STATES[s]["label"] for s in wanted if s != state]
        contrast = f", not {_either(others)}" if self.negated and others else ""
        missing = [plain_name(b.construct) for b in self.basis if b.score is None]
        if missing or not self.basis:
            reason = f": there is no score for {' or '.join(missing)}" if missing else ""
            return f"{whose.owner} profile is “{label}”{contrast}{reason}."
        parts = []
        for n, b in enumerate(self.basis):
            score = _shown(b.score or 0.0, b.relation, b.threshold)
            owner, of_100 = (whose.owner, " of 100") if n == 0 else (whose.its, "")
            cutoff = self._cutoff(b.relation, b.threshold)
            parts.append(f"{owner} {plain_name(b.construct)} score is {score}{of_100}{cutoff}")
        return (
            f"{' and '.join(parts)}, which places {whose.whom} in the profile “{label}”{contrast}."
        )

    def _plain_gap(self) -> str:
        whose = self._whose
        if not self.basis:
            if self.actual:
                return (
                    f"{whose.owner} results show a decoupling gap: backing is in place "
                    "but practice lags behind it."
                )
            return f"There is no decoupling gap for {whose.whom}."
        if self.actual:
            enablers = [b for b in self.basis if b.role == "enabler"]
            practices = [b for b in self.basis if b.role == "practice"]
            return (
                f"{whose.owner} {self._gap_side(enablers)}, while {whose.its} "
                f"{self._gap_side(practices)}: backing is in place but practice lags behind it."
            )
        # No gap: no enabler reaches its cut-off, or no practice falls below its own.
        relation = "gte" if self.basis[0].role == "enabler" else "lt"
        threshold = self.basis[0].threshold
        names = [self._named_score(b) for b in self.basis]
        listed = (
            f"neither {' nor '.join(names)}" if len(names) == 2 else f"none of {', '.join(names)}"
        )
        cutoff = f"{_SCORE_WORDS[relation]} {threshold:g}" if threshold is not None else ""
        return f"There is no decoupling gap for {whose.whom}: {listed} is {cutoff}."

    def _gap_side(self, side: Sequence[Basis]) -> str:
        first = side[0]
        noun, verb = ("score for", "is") if len(side) == 1 else ("scores for", "are")
        names = " and ".join(self._named_score(b) for b in side)
        cutoff = self._cutoff(first.relation, first.threshold).strip(" ()")
        return f"{noun} {names} {verb} {cutoff}"

    # -- technical -----------------------------------------------------------------------------

    def technical(self) -> str:
        """The check as the trace shows it: input key, value, operator and cut-off, outcome.

        E.g. "construct leadership scored 38.2; test: lt 50 → true".
        """
        outcome = "unknown" if self.passed is None else str(self.passed).lower()
        neg = "not " if self.negated else ""
        if self.kind == "construct":
            value = f"scored {self.actual:.1f}" if is_number(self.actual) else "has no score"
            test = f"{neg}{self.operator} {self.threshold:g}"
            return f"construct {self.input} {value}; test: {test} → {outcome}"
        if self.kind == "item":
            if isinstance(self.actual, float):
                value = (
                    f"{self.matched} of {self.answered} respondents ({self.actual:.3f}) answered "
                    f"{', '.join(self.values)}"
                )
            else:
                value = "no respondents answered"
            test = f"{neg}share {self.operator} {self.threshold:g}"
            return f"item {self.input}: {value}; test: {test} → {outcome}"
        basis = ", ".join(
            f"{b.construct} "
            + ("no score" if b.score is None else f"{b.score:.1f}")
            + (f" {b.relation} {b.threshold:g}" if b.relation and b.threshold is not None else "")
            for b in self.basis
        )
        detail = f" ({basis})" if basis else ""
        if self.kind == "profile":
            wanted = self.threshold if isinstance(self.threshold, tuple) else ()
            test = f"{neg}in [{', '.join(wanted)}]"
            return f"profile {self.actual}{detail}; test: {test} → {outcome}"
        test = f"{neg}is {str(self.threshold).lower()}"
        return f"decoupling_gap {str(self.actual).lower()}{detail}; test: {test} → {outcome}"

    def sentence(self) -> str:
        """The technical rendering (kept under its old name for the trace)."""
        return self.technical()

    def to_dict(self) -> dict[str, Any]:
        actual = self.actual
        if isinstance(actual, float):
            actual = round(actual, 3 if self.kind == "item" else 1)
        margin = self.margin
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
            "basis": [b.to_dict() for b in self.basis],
            "margin": None if margin is None else round(margin, 1),
            "plain": self.plain(),
            "technical": self.technical(),
        }


# --- Conditions -----------------------------------------------------------------------------


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


def _axis(construct: str, score: float | None, threshold: float | None, role: str) -> Basis:
    relation = None
    if score is not None and threshold is not None:
        relation = "gte" if score >= threshold else "lt"
    return Basis(construct, score, relation, threshold, role)


def profile_basis(facts: Facts) -> tuple[Basis, ...]:
    """The two practice scores the profile is read from, against its cut-off."""
    return tuple(
        _axis(c, facts.scores.get(c), facts.practice_high, "axis") for c in PRACTICE_CONSTRUCTS
    )


def gap_basis(facts: Facts) -> tuple[Basis, ...]:
    """The scores that make the decoupling gap present or absent, against its cut-offs.

    Present: the enablers at or above their cut-off and the practices below theirs.
    Absent: both enablers, when neither reaches it; otherwise both practices, none below.
    Empty when the cut-offs are unknown or the scores do not give `facts.gap` (then the
    gap's sentence states no numbers rather than wrong ones).
    """
    low, high = facts.gap_practice_max, facts.gap_enabler_min
    if low is None or high is None:
        return ()
    enablers = [_axis(c, facts.scores.get(c), high, "enabler") for c in ENABLERS]
    practices = [_axis(c, facts.scores.get(c), low, "practice") for c in PRACTICE_CONSTRUCTS]
    enablers_high = [b for b in enablers if b.relation == "gte"]
    practices_low = [b for b in practices if b.relation == "lt"]
    if bool(enablers_high and practices_low) != facts.gap:
        return ()
    if facts.gap:
        return (*enablers_high, *practices_low)
    return tuple(enablers if not enablers_high else practices)


def _leaf_check(leaf: Condition, facts: Facts, negated: bool) -> Check:
    subject = facts.subject
    if isinstance(leaf, ConstructLeaf):
        score = facts.scores.get(leaf.construct)
        holds = None if score is None else _compare(score, leaf.operator, leaf.value)
        label = CONSTRUCTS[leaf.construct]["label"]
        return Check(
            "construct",
            leaf.construct,
            label,
            leaf.operator,
            leaf.value,
            score,
            holds,
            negated,
            subject=subject,
        )
    if isinstance(leaf, ProfileLeaf):
        return Check(
            "profile",
            "profile",
            "Recoupling profile",
            "in",
            leaf.states,
            facts.profile,
            facts.profile in leaf.states,
            negated,
            basis=profile_basis(facts),
            subject=subject,
        )
    if isinstance(leaf, GapLeaf):
        return Check(
            "gap",
            "decoupling_gap",
            "Decoupling gap",
            "is",
            leaf.present,
            facts.gap,
            facts.gap == leaf.present,
            negated,
            basis=gap_basis(facts),
            subject=subject,
        )
    assert isinstance(leaf, ItemLeaf)
    share, matched, answered = facts.share(leaf.item, leaf.values)
    labels = leaf.value_labels or leaf.values
    counts = facts.item_counts.get(leaf.item, {})
    return Check(
        "item",
        leaf.item,
        leaf.item_text or leaf.item,
        leaf.operator,
        leaf.value,
        share,
        None if share is None else _compare(share, leaf.operator, leaf.value),
        negated,
        values=leaf.values,
        value_labels=labels,
        matched=matched,
        answered=answered,
        matched_labels=tuple(
            label for v, label in zip(leaf.values, labels, strict=True) if counts.get(v, 0) > 0
        ),
        subject=subject,
    )


def evaluate(
    condition: Condition, facts: Facts, negated: bool = False
) -> tuple[bool | None, list[Check]]:
    """Evaluate a condition; return its truth (None: unknown) and the checks that decide it.

    Three-valued: a leaf over missing data is unknown, `not` of unknown is unknown, `all`
    is false if any child is false and otherwise unknown if any is; `any` is true if any
    child is true and otherwise unknown if any is. A rule fires only when its condition is
    true, so no check over missing data ever explains one.

    For a true `all` every child counts; for a true `any` only the true children; when
    false, the reverse. `not` passes the explanation of its child through, marked negated.
    """
    if isinstance(condition, Not):
        value, checks = evaluate(condition.condition, facts, not negated)
        return (None if value is None else not value), checks
    if isinstance(condition, AllOf | AnyOf):
        results = [evaluate(c, facts, negated) for c in condition.conditions]
        values = [v for v, _ in results]
        decisive = isinstance(condition, AnyOf)  # the child value that settles it
        if decisive in values:
            value = decisive
        elif None in values:
            value = None
        else:
            value = not decisive
        # A true `all` or a false `any` needs every child; otherwise the children that agree.
        every = value is (not decisive)
        return value, [check for v, cs in results if every or v is value for check in cs]
    check = _leaf_check(condition, facts, negated)
    return check.holds, [check]


# --- Rules ----------------------------------------------------------------------------------


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
        self.items: dict[str, Item] = {i.key: i for i in instrument.items}
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


# --- Recommendations ------------------------------------------------------------------------


def _mean_margin(checks: Sequence[Check]) -> float | None:
    margins = [m for c in checks if (m := c.margin) is not None]
    return statistics.fmean(margins) if margins else None


@dataclass(frozen=True)
class Trace:
    """Why a rule fired: the rule, the instrument and rule-table versions, and the
    deciding checks, over `n_responses` responses."""

    rule_id: str
    instrument_version: str
    rules_version: str
    checks: tuple[Check, ...]
    n_responses: int = 1

    def heading(self) -> str:
        """E.g. "Rule lead_red_team, rule table version 2, instrument version 1, 9 responses"."""
        people = "response" if self.n_responses == 1 else "responses"
        return (
            f"Rule {self.rule_id}, rule table version {self.rules_version}, "
            f"instrument version {self.instrument_version}, {self.n_responses} {people}"
        )

    def sentences(self) -> list[str]:
        """The technical trace: one line per deciding check."""
        return [c.technical() for c in self.checks]

    def plain_sentences(self) -> list[str]:
        """The facts that made the rule fire, one plain sentence per deciding check."""
        return list(dict.fromkeys(c.plain() for c in self.checks))

    @property
    def margin(self) -> float | None:
        """Mean distance of the deciding checks past their cut-offs (see `Check.margin`)."""
        return _mean_margin(self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "instrument_version": self.instrument_version,
            "rules_version": self.rules_version,
            "n_responses": self.n_responses,
            "heading": self.heading(),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class Recommendation:
    """A fired rule, ready to show, with its causal trace.

    `why` is what a page shows: the plain facts that made the rule fire, then the rule's
    framing. `trace_heading()` and `trace_sentences()` are the technical disclosure.
    """

    rule_id: str
    audience: str
    resource: str
    priority: int
    construct: str
    title: str
    framing: str
    steps: tuple[str, ...]
    trace: Trace

    def why_sentences(self) -> list[str]:
        """Plain sentences for pages and PDFs: one per deciding check, then the framing."""
        return [*self.trace.plain_sentences(), self.framing]

    @property
    def why(self) -> str:
        return " ".join(self.why_sentences())

    def trace_heading(self) -> str:
        return self.trace.heading()

    def trace_sentences(self) -> list[str]:
        """The technical trace, one line per deciding check (operators, cut-offs, keys)."""
        return self.trace.sentences()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "audience": self.audience,
            "resource": self.resource,
            "priority": self.priority,
            "construct": self.construct,
            "title": self.title,
            "framing": self.framing,
            "why": self.why,
            "why_sentences": self.why_sentences(),
            "steps": list(self.steps),
            "instrument_version": self.trace.instrument_version,
            "rules_version": self.trace.rules_version,
            "trace": self.trace.to_dict(),
        }


def _fire(rule: Rule, facts: Facts) -> Trace | None:
    fired, checks = evaluate(rule.when, facts)
    if fired is not True:
        return None
    return Trace(
        rule.id, facts.instrument_version, rule.table_version, tuple(checks), facts.n_responses
    )


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
                    rule.framing,
                    rule.steps,
                    trace,
                )
            )
    return sorted(fired, key=lambda r: (-r.priority, r.rule_id))


# --- Leadership ranking ---------------------------------------------------------------------


@dataclass(frozen=True)
class RankedAction:
    """A leadership rule, the teams whose results made it fire, and each team's trace.

    What it counts: `teams_reporting` is the number of teams for which the rule's
    condition held (their results show what the rule looks for), out of `teams_considered`.
    It does not say that acting would change anything for them.

    Strength of evidence, `margin`: for each reporting team, the mean distance of the
    checks that fired past their cut-offs, in points of the 0-100 scale (a share of
    respondents in percentage points; see `Check.margin`); then the mean over those teams.
    A rule that fires by a whisker ranks below one that fires by a mile.
    """

    rule: Rule
    teams: tuple[str, ...]
    traces: Mapping[str, Trace]
    teams_considered: int = 0

    @property
    def teams_reporting(self) -> int:
        return len(self.teams)

    @property
    def teams_unblocked(self) -> int:
        """Old name of `teams_reporting`, kept until the dashboards move over."""
        return self.teams_reporting

    @property
    def respondents(self) -> int:
        """Responses behind the reporting teams' results."""
        return sum(t.n_responses for t in self.traces.values())

    @property
    def margin(self) -> float | None:
        margins = [m for t in self.traces.values() if (m := t.margin) is not None]
        return statistics.fmean(margins) if margins else None

    def teams_label(self) -> str:
        """E.g. "3 of 5 teams report this"."""
        n = self.teams_reporting
        of = f" of {self.teams_considered}" if self.teams_considered else ""
        verb = "reports" if n == 1 and not of else "report"
        return f"{n}{of} team{'' if n == 1 and not of else 's'} {verb} this"

    def margin_label(self) -> str:
        """E.g. "on average 18 points past the cut-offs" ("" when unknown)."""
        if self.margin is None:
            return ""
        points = round(self.margin)
        return f"on average {points} point{'' if points == 1 else 's'} past the cut-offs"

    def plain_sentences(self, team: str) -> list[str]:
        """What made the rule fire for `team`, in plain sentences."""
        return self.traces[team].plain_sentences()

    def to_dict(self) -> dict[str, Any]:
        margin = self.margin
        return {
            "rule_id": self.rule.id,
            "title": self.rule.title,
            "framing": self.rule.framing,
            "steps": list(self.rule.steps),
            "resource": self.rule.resource,
            "construct": self.rule.construct,
            "priority": self.rule.priority,
            "rules_version": self.rule.table_version,
            "teams_reporting": self.teams_reporting,
            "teams_considered": self.teams_considered,
            "teams_label": self.teams_label(),
            "respondents": self.respondents,
            "margin": None if margin is None else round(margin, 1),
            "margin_label": self.margin_label(),
            "teams": list(self.teams),
            "traces": {team: trace.to_dict() for team, trace in self.traces.items()},
        }


def rank_leadership_actions(
    rules: Sequence[Rule], facts_by_team: Mapping[str, Facts]
) -> list[RankedAction]:
    """Leadership rules that fire for at least one team: most teams reporting first, then
    the stronger evidence (`RankedAction.margin`), then priority, then rule id."""
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
            ranked.append(RankedAction(rule, tuple(traces), traces, len(facts_by_team)))
    return sorted(
        ranked,
        key=lambda a: (
            -a.teams_reporting,
            -(a.margin if a.margin is not None else -1.0),
            -a.rule.priority,
            a.rule.id,
        ),
    )
