"""The anonymity rules, in one place. Pure: counts in, decisions out.

A group (a team, or a team under a filter) is shown only when at least `threshold` people
submitted. Under a filter, the rest of the group (the people the filter left out) must also
be empty or at least `threshold`, or else "whole team" minus "team filtered" would isolate a
small group by differencing. Groups below the threshold are pooled as "other teams"; when
the pool itself is too small it is left out of every total too, so that no total minus the
shown groups reveals it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

POOL_KEY = "__other_teams__"
POOL_LABEL = "Other teams (pooled)"


@dataclass(frozen=True)
class GroupDecision:
    key: str
    n: int
    shown: bool
    reason: str | None = None  # why a group is hidden, in words a leader can read


@dataclass(frozen=True)
class AnonymityPlan:
    """Which groups may be shown, which are pooled, and whether the pool and total may be."""

    threshold: int
    groups: dict[str, GroupDecision]
    pooled: tuple[str, ...]
    pool: GroupDecision
    total: GroupDecision
    # Groups whose responses count in the total: shown groups, plus the pool if shown.
    counted: frozenset[str] = field(default_factory=frozenset)

    def shown_keys(self) -> list[str]:
        return [k for k, g in self.groups.items() if g.shown]

    def is_shown(self, key: str) -> bool:
        return key in self.groups and self.groups[key].shown


def group_is_safe(
    n: int, threshold: int, unfiltered_n: int | None = None
) -> tuple[bool, str | None]:
    """May a group of `n` respondents be shown? `unfiltered_n` is its size without filters."""
    if n < threshold:
        return False, f"fewer than {threshold} responses"
    if unfiltered_n is not None:
        rest = unfiltered_n - n
        if 0 < rest < threshold:
            return False, "this filter would single out a small group"
    return True, None


def plan_groups(
    counts: Mapping[str, int],
    threshold: int,
    unfiltered: Mapping[str, int] | None = None,
) -> AnonymityPlan:
    """Decide, for groups of `counts[key]` respondents, what may be shown.

    `unfiltered` gives each group's size without the active filters (None: no filter).
    """
    threshold = max(1, threshold)
    groups: dict[str, GroupDecision] = {}
    for key, n in counts.items():
        ok, reason = group_is_safe(
            n, threshold, None if unfiltered is None else unfiltered.get(key, n)
        )
        groups[key] = GroupDecision(key, n, ok, reason)
    pooled = tuple(k for k, g in groups.items() if not g.shown and g.n > 0)
    pool_n = sum(groups[k].n for k in pooled)
    pool_unfiltered = (
        None if unfiltered is None else sum(unfiltered.get(k, groups[k].n) for k in pooled)
    )
    pool_ok, pool_reason = group_is_safe(pool_n, threshold, pool_unfiltered)
    pool = GroupDecision(POOL_KEY, pool_n, pool_ok and pool_n > 0, pool_reason if pool_n else None)
    counted = {k for k, g in groups.items() if g.shown} | (set(pooled) if pool.shown else set())
    total_n = sum(groups[k].n for k in counted)
    total_unfiltered = (
        None if unfiltered is None else sum(unfiltered.get(k, groups[k].n) for k in counted)
    )
    total_ok, total_reason = group_is_safe(total_n, threshold, total_unfiltered)
    total = GroupDecision("__total__", total_n, total_ok, total_reason)
    return AnonymityPlan(threshold, groups, pooled, pool, total, frozenset(counted))


def team_results_visible(
    n_submitted: int, threshold: int, team_size: int, viewer_in_team: bool
) -> bool:
    """Team results for a team page: above the threshold, or a one-person team seeing itself."""
    if n_submitted >= max(1, threshold):
        return True
    return viewer_in_team and team_size == 1 and n_submitted == 1
