"""Facts built to make a rule's condition come out a given way, branch by branch.

Shared by the recommendation tests. A condition is walked into its *branches*: the sets of
leaves that, holding as wanted, make it true on their own. For `any` one child decides
(and its siblings must not), for `all` every child is needed; `not` flips what is wanted.
Facts are then searched over small domains around the rule's cut-offs, built the way the
app builds them: the profile and the gap are computed from the scores by the scoring
module, never set independently, so every fact is consistent with every other.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.instrument.types import (
    CONSTRUCTS,
    ENABLERS,
    PRACTICE_CONSTRUCTS,
    Instrument,
    Thresholds,
)
from assessments.recommend.checks import Check
from assessments.recommend.conditions import (
    AllOf,
    AnyOf,
    Condition,
    ConstructLeaf,
    GapLeaf,
    ItemLeaf,
    Not,
    ProfileLeaf,
    evaluate,
)
from assessments.recommend.facts import Facts
from assessments.scoring.profile import decoupling_gap, recoupling_profile

Leaf = ConstructLeaf | ProfileLeaf | GapLeaf | ItemLeaf
# How many searched assignments a rule may need; far above what any rule of v1 needs.
SEARCH_LIMIT = 400_000


def leaves(condition: Condition) -> list[Leaf]:
    if isinstance(condition, AllOf | AnyOf):
        return [leaf for c in condition.conditions for leaf in leaves(c)]
    if isinstance(condition, Not):
        return leaves(condition.condition)
    return [condition]


@dataclass(frozen=True)
class Branch:
    """Leaves that must come out as wanted, and subtrees that must not decide instead."""

    required: tuple[tuple[Leaf, bool], ...]  # (leaf, its wanted truth)
    rivals: tuple[tuple[Condition, bool], ...]  # (subtree, a value it must not take)

    def describe(self) -> str:
        return " & ".join(f"{'' if want else 'not '}{leaf}" for leaf, want in self.required)


def branches(condition: Condition, want: bool = True) -> list[Branch]:
    """Every way `condition` can come out as `want` with one deciding child per choice."""
    if isinstance(condition, Not):
        return branches(condition.condition, not want)
    if isinstance(condition, AllOf | AnyOf):
        children = condition.conditions
        if want == isinstance(condition, AnyOf):  # one child decides; siblings must not
            out = []
            for i, child in enumerate(children):
                rivals = tuple((c, want) for j, c in enumerate(children) if j != i)
                out += [Branch(b.required, b.rivals + rivals) for b in branches(child, want)]
            return out
        combos = itertools.product(*(branches(c, want) for c in children))
        return [
            Branch(
                tuple(r for b in combo for r in b.required),
                tuple(r for b in combo for r in b.rivals),
            )
            for combo in combos
        ]
    assert isinstance(condition, ConstructLeaf | ProfileLeaf | GapLeaf | ItemLeaf)
    return [Branch(((condition, want),), ())]


# --- Domains ----------------------------------------------------------------------------------

Variable = tuple[str, str]  # ("construct", key) or ("item", key)


def _near(threshold: float) -> set[float]:
    # Either side of the cut-off, on it, and just inside rounding distance of it.
    return {threshold - 1, threshold - 0.4, threshold, threshold + 0.4, threshold + 1}


def _construct_domains(condition: Condition, thresholds: Thresholds) -> dict[str, set[Any]]:
    cuts: dict[str, set[float]] = {}
    for leaf in leaves(condition):
        if isinstance(leaf, ConstructLeaf):
            cuts.setdefault(leaf.construct, set()).add(leaf.value)
        elif isinstance(leaf, ProfileLeaf):
            for c in PRACTICE_CONSTRUCTS:
                cuts.setdefault(c, set()).add(thresholds.practice_high)
        elif isinstance(leaf, GapLeaf):
            for c in ENABLERS:
                cuts.setdefault(c, set()).add(thresholds.gap_enabler_min)
            for c in PRACTICE_CONSTRUCTS:
                cuts.setdefault(c, set()).add(thresholds.gap_practice_max)
    return {
        c: {v for t in ts for v in _near(t) if 0 <= v <= 100} | {0.0, 100.0, None}
        for c, ts in cuts.items()
    }


def _item_domains(
    condition: Condition, instrument: Instrument, respondents: int
) -> dict[str, list[Any]]:
    by_item: dict[str, list[ItemLeaf]] = {}
    for leaf in leaves(condition):
        if isinstance(leaf, ItemLeaf):
            by_item.setdefault(leaf.item, []).append(leaf)
    domains: dict[str, list[Any]] = {}
    for item, item_leaves in by_item.items():
        options = [o.value for o in instrument.item(item).options]
        used = {v for leaf in item_leaves for v in leaf.values}
        neutral = next((o for o in options if o not in used), None)
        targets = []
        for leaf in item_leaves:
            at = round(leaf.value * respondents)
            counts = {0, respondents, at - 1, at, at + 1}
            targets.append(sorted(c for c in counts if 0 <= c <= respondents))
        candidates: list[Any] = []
        for combo in itertools.product(*targets):
            counts = dict.fromkeys(options, 0)
            for leaf, count in zip(item_leaves, combo, strict=True):
                first = leaf.values[0]
                if counts[first] and counts[first] != count:
                    break  # two leaves share the value but want different counts
                counts[first] = count
            else:
                rest = respondents - sum(counts.values())
                if rest < 0 or (rest and neutral is None):
                    continue
                if rest:
                    counts[neutral] += rest  # type: ignore[index]
                if counts not in candidates:
                    candidates.append(counts)
        domains[item] = [*candidates, None]  # None: nobody answered
    return domains


# --- Facts ------------------------------------------------------------------------------------


def build_facts(
    values: dict[Variable, Any],
    instrument: Instrument,
    respondents: int,
    subject: str = "team",
) -> Facts:
    """Facts as the app would compute them from these scores and answer counts."""
    thresholds = instrument.thresholds
    scores: dict[str, float | None] = dict.fromkeys(CONSTRUCTS)
    counts: dict[str, dict[str, int]] = {}
    answered: dict[str, int] = {}
    for (kind, key), value in values.items():
        if kind == "construct":
            scores[key] = value
        elif value is not None:
            counts[key] = dict(value)
            answered[key] = respondents
    profile = recoupling_profile(
        scores["individual_practice"], scores["collective_practice"], thresholds
    )
    return Facts(
        instrument.version,
        scores,
        profile.state,
        decoupling_gap(scores, thresholds).present,
        counts,
        answered,
        n_responses=respondents,
        practice_high=thresholds.practice_high,
        gap_enabler_min=thresholds.gap_enabler_min,
        gap_practice_max=thresholds.gap_practice_max,
        subject=subject,
    )


def _assignments(
    condition: Condition, instrument: Instrument, respondents: int
) -> Iterator[dict[Variable, Any]]:
    domains: dict[Variable, list[Any]] = {}
    for key, values in _construct_domains(condition, instrument.thresholds).items():
        domains["construct", key] = sorted(values, key=lambda v: (v is None, v))
    for key, candidates in _item_domains(condition, instrument, respondents).items():
        domains["item", key] = candidates
    names = list(domains)
    for combo in itertools.islice(itertools.product(*(domains[n] for n in names)), SEARCH_LIMIT):
        yield dict(zip(names, combo, strict=True))


def find_facts(
    condition: Condition,
    wanted: Callable[[Facts], bool],
    instrument: Instrument,
    respondents: int = 20,
    subject: str = "team",
) -> Facts | None:
    """The first searched Facts for which `wanted` holds (None when there is none)."""
    for values in _assignments(condition, instrument, respondents):
        facts = build_facts(values, instrument, respondents, subject)
        if wanted(facts):
            return facts
    return None


def branch_fires_alone(condition: Condition, branch: Branch) -> Callable[[Facts], bool]:
    """A test of Facts: the branch's leaves come out as wanted, no rival decides instead,
    and the whole condition is true."""

    def wanted(facts: Facts) -> bool:
        return (
            all(evaluate(leaf, facts)[0] is want for leaf, want in branch.required)
            and all(evaluate(sub, facts)[0] is not value for sub, value in branch.rivals)
            and evaluate(condition, facts)[0] is True
        )

    return wanted


def leaf_key(leaf: Leaf) -> tuple[Any, ...]:
    """What identifies a leaf among the checks of a trace."""
    if isinstance(leaf, ConstructLeaf):
        return ("construct", leaf.construct, leaf.operator, leaf.value)
    if isinstance(leaf, ProfileLeaf):
        return ("profile", "profile", "in", leaf.states)
    if isinstance(leaf, GapLeaf):
        return ("gap", "decoupling_gap", "is", leaf.present)
    return ("item", leaf.item, leaf.operator, leaf.value, leaf.values)


def check_key(check: Check) -> tuple[Any, ...]:
    base = (check.kind, check.input, check.operator, check.threshold)
    return (*base, check.values) if check.kind == "item" else base


def rule_branches(condition: Condition) -> Sequence[Branch]:
    return branches(condition, True)
