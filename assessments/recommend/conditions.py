"""A rule's condition as a tree (all / any / not over construct, profile, gap and item-share
leaves) and its three-valued evaluation over facts, without eval."""

from __future__ import annotations

from dataclasses import dataclass

from assessments.instrument.types import CONSTRUCTS, ENABLERS, PRACTICE_CONSTRUCTS
from assessments.recommend.checks import Basis, Check, compare
from assessments.recommend.facts import Facts


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
        holds = None if score is None else compare(score, leaf.operator, leaf.value)
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
        None if share is None else compare(share, leaf.operator, leaf.value),
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


def holds(condition: Condition, facts: Facts) -> bool | None:
    """`evaluate(condition, facts)[0]`, without the checks that explain it: most rules do
    not fire on a given team, and only those that fire need their explanation."""
    if isinstance(condition, Not):
        value = holds(condition.condition, facts)
        return None if value is None else not value
    if isinstance(condition, AllOf | AnyOf):
        values = [holds(c, facts) for c in condition.conditions]
        decisive = isinstance(condition, AnyOf)
        if decisive in values:
            return decisive
        return None if None in values else not decisive
    return _leaf_holds(condition, facts)


def _leaf_holds(leaf: Condition, facts: Facts) -> bool | None:
    """`_leaf_check(leaf, facts, ...).holds`."""
    if isinstance(leaf, ConstructLeaf):
        score = facts.scores.get(leaf.construct)
        return None if score is None else compare(score, leaf.operator, leaf.value)
    if isinstance(leaf, ProfileLeaf):
        return facts.profile in leaf.states
    if isinstance(leaf, GapLeaf):
        return facts.gap == leaf.present
    assert isinstance(leaf, ItemLeaf)
    share = facts.share(leaf.item, leaf.values)[0]
    return None if share is None else compare(share, leaf.operator, leaf.value)


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
