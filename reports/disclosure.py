"""Disclosure control over everything a release holds, in one place. Pure: people in, groups out.

A release shows sums and counts over groups of people: teams, a pool of small teams, teams
under one filter value, the organisation. An attacker who keeps every release can add and
subtract any of those groups, so a group being large is not enough. Treat each released
group as a row of 0/1 weights over the people (each *version* of a person's response is its
own variable: a resubmitted response is a new variable). Everything an attacker can compute
is a linear combination of rows. This module releases a set of rows only when no such
combination isolates fewer than k people (k = the organisation's anonymity threshold):

1. **Units** are released teams (at least k included responses) and one pool of the teams
   with 1..k-1 (released when the pool itself has at least k). The pool is formed from
   unfiltered team sizes, so it is the same set of teams under every filter. Everything
   organisation-wide is a sum of released units, so it adds nothing an attacker could use.
2. **Filter cells** (a unit's people with one filter value) are released per unit and
   dimension only as a partition into blocks of at least k: the released cells, plus the
   rest of the unit (which is then derivable) when it is not empty.
3. **Between releases** a response that was added, changed or withdrawn is a change. Every
   released group that was released before must differ from its last release by 0 or at
   least k people; a change that would move a group by fewer waits for a later release
   (it is "held back": the group keeps showing the response as it was last released).
4. **The audit**: all rows ever released in the cycle plus the new ones are checked exactly
   (linear algebra over the classes of people the rows cannot tell apart). If any nonzero
   combination over fewer than k people lies in the row space (one person; two together;
   one person minus another; a person's new version minus the old), the release drops
   filter cells of the units involved, then holds back their changes, until none does.
5. **Statistics over answer-dependent subsets** ("families"): a construct mean is taken over
   the people with a score on it, an item's counts over those who answered it. Someone who
   said "don't know" is known to add nothing, so each family F has its own rows, G minus the
   people outside F, for every group G that shows F. `plan_families` audits those rows the
   same way, across releases too, and blanks F in the groups whose rows would isolate fewer
   than k people (a cell first, then the smaller group); organisation-wide figures of F are
   then taken over the units that show F only, so no total minus the units reveals anyone.

The same check runs in the test suite over generated organisations (tests/reports/
test_disclosure_audit.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import combinations

import numpy as np

from . import parts_audit
from .rows import Row, Version, is_cell
from .singular_blocks import singular_block

log = logging.getLogger(__name__)

POOL = "pool"
ORG = "org"
REST = "*"  # the value of a unit's "rest" block under a filter dimension
_TOLERANCE = 1e-9
_MAX_COMBINATIONS = 20_000


@dataclass(frozen=True)
class Person:
    """One submitted response as disclosure control sees it: never who wrote it."""

    rid: int
    digest: str
    team: int
    segments: Mapping[str, str] = field(default_factory=dict)  # filter -> value ("" unknown)

    @property
    def version(self) -> Version:
        return (self.rid, self.digest)


@dataclass(frozen=True)
class Prior:
    """What earlier releases of the cycle showed: the last release's people, the last
    membership of every group key, every distinct row ever released, which of those rows
    were shown as a unit or cell (`shown`, indices into `rows`), and per family the shown
    rows over which that family was never shown (`hidden`)."""

    people: Mapping[int, Person] = field(default_factory=dict)
    last: Mapping[str, Row] = field(default_factory=dict)
    rows: tuple[Row, ...] = ()
    shown: frozenset[int] = frozenset()
    hidden: Mapping[str, frozenset[int]] = field(default_factory=dict)
    units: frozenset[int] | None = None  # shown rows that were a unit's (None: not kept then)


@dataclass(frozen=True)
class Plan:
    """What a release may show."""

    threshold: int
    people: dict[int, Person]  # included responses, by response id
    held_back: frozenset[int]  # response ids whose change waits for a later release
    teams: dict[int, Row]  # released teams
    pool_teams: tuple[int, ...]  # teams with 1..k-1 included responses
    pool: Row | None  # the released pool, or None
    cells: dict[tuple[str, str, str], Row]  # (unit key, filter, value) -> people
    rows: tuple[Row, ...]  # every distinct row released in the cycle so far
    last: dict[str, Row]  # last released membership of every group key

    def unit_rows(self) -> dict[str, Row]:
        units = {team_key(t): members for t, members in self.teams.items()}
        if self.pool is not None:
            units[POOL] = self.pool
        return units

    def organisation(self) -> Row:
        return frozenset().union(*self.unit_rows().values())

    def cell_units(self, dimension: str, value: str) -> dict[str, Row]:
        """The released cells of one filter value, by unit key."""
        return {
            unit: members
            for (unit, dim, val), members in self.cells.items()
            if dim == dimension and val == value
        }


def team_key(team_id: int) -> str:
    return f"team:{team_id}"


def cell_key(unit: str, dimension: str, value: str) -> str:
    return f"{unit}|{dimension}={value}"


def persons(row: Iterable[Version]) -> int:
    return len({rid for rid, _ in row})


def changed_by(before: Row, after: Row) -> int:
    """How many people a group's membership changed by (a changed response counts once)."""
    return persons(before ^ after)


def safe_change(before: Row | None, after: Row, k: int) -> bool:
    return before is None or changed_by(before, after) == 0 or changed_by(before, after) >= k


# --- units -------------------------------------------------------------------------------


def _units(people: Mapping[int, Person], k: int) -> tuple[dict[int, Row], tuple[int, ...], Row]:
    by_team: dict[int, set[Version]] = {}
    for p in people.values():
        by_team.setdefault(p.team, set()).add(p.version)
    teams = {t: frozenset(v) for t, v in by_team.items() if len(v) >= k}
    pooled = tuple(sorted(t for t, v in by_team.items() if 0 < len(v) < k))
    pool = frozenset(v for t in pooled for v in by_team[t])
    return teams, pooled, pool


# --- filter cells ------------------------------------------------------------------------


def _cells_of_unit(
    unit: str,
    members: Sequence[Person],
    dimension: str,
    k: int,
    last: Mapping[str, Row],
) -> tuple[dict[str, Row], Row | None]:
    """The cells of one unit under one filter dimension that form blocks of at least k.

    Returns the released cells by value, and the rest block (None when the cells cover the
    unit, or nothing is released)."""
    by_value: dict[str, set[Version]] = {}
    for p in members:
        by_value.setdefault(p.segments.get(dimension, ""), set()).add(p.version)
    whole = frozenset(p.version for p in members)
    candidates = {
        value: row
        for value, v in by_value.items()
        if value
        and len(row := frozenset(v)) >= k
        and safe_change(last.get(cell_key(unit, dimension, value)), row, k)
    }
    while candidates:
        covered = frozenset().union(*candidates.values())
        rest = whole - covered
        rest_ok = not rest or (
            len(rest) >= k and safe_change(last.get(cell_key(unit, dimension, REST)), rest, k)
        )
        if rest_ok:
            return candidates, (rest or None)
        smallest = min(candidates, key=lambda v: (len(candidates[v]), v))
        del candidates[smallest]
    return {}, None


# --- the audit ---------------------------------------------------------------------------


def exposed_classes(rows: Sequence[Row], k: int) -> list[frozenset[Version]]:
    """Smallest unions of classes holding fewer than k people on which some nonzero
    combination lies in the row space of `rows`: what an attacker could isolate by adding
    and subtracting groups. Not only sums (one person, two together) but differences too:
    one person minus another (two filters' cells of a team), a person's new version minus
    the old (a rest block against last release's unit), a pool minus the team that left it.
    Anyone who knows one side of such a difference (they answered it themselves) reads the
    other."""
    signature: dict[Version, list[int]] = {}
    unique = list(dict.fromkeys(r for r in rows if r))
    for i, row in enumerate(unique):
        for v in row:
            signature.setdefault(v, []).append(i)
    atoms_by_sig: dict[tuple[int, ...], list[Version]] = {}
    for v, sig in signature.items():
        atoms_by_sig.setdefault(tuple(sig), []).append(v)
    atoms = list(atoms_by_sig.items())
    sizes = [persons(vs) for _, vs in atoms]
    small = [i for i, s in enumerate(sizes) if s < k]
    if not small:
        return []
    matrix = np.zeros((len(unique), len(atoms)))
    for j, (atom, _) in enumerate(atoms):
        matrix[list(atom), j] = 1.0
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    basis = vt[: int(np.sum(singular > _TOLERANCE * max(1.0, singular[0])))]
    residual = np.eye(len(atoms)) - basis.T @ basis  # projector onto what rows cannot see
    # A combination w of the classes in T lies in the row space iff residual @ w = 0; one
    # exists iff the T x T block of the (symmetric, idempotent) residual is singular. Any
    # set of small classes holding fewer than k distinct people (a person with two versions
    # counts once) is checked; sets that contain an exposed one are exposed already.
    found: list[frozenset[Version]] = []
    found_sets: list[frozenset[int]] = []
    checked = 0
    for size in range(1, len(small) + 1):
        for combo in combinations(small, size):
            if any(f <= frozenset(combo) for f in found_sets):
                continue
            members = frozenset(v for i in combo for v in atoms[i][1])
            if persons(members) >= k:
                continue
            checked += 1
            if checked > _MAX_COMBINATIONS:  # too many to check: treat as exposed (degrade)
                return [*found, members]
            if singular_block(residual, combo):
                found.append(members)
                found_sets.append(frozenset(combo))
    return found


def _blocks(rows: Sequence[Row]) -> list[list[Row]]:
    """Rows grouped into independent blocks (rows that share no one never combine)."""
    parent: dict[Version, Version] = {}

    def find(v: Version) -> Version:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for row in rows:
        items = list(row)
        for v in items:
            parent.setdefault(v, v)
        for v in items[1:]:
            ra, rb = find(items[0]), find(v)
            if ra != rb:
                parent[rb] = ra
    blocks: dict[Version, list[Row]] = {}
    for row in rows:
        if row:
            blocks.setdefault(find(next(iter(row))), []).append(row)
    return list(blocks.values())


# --- planning a release ------------------------------------------------------------------


@dataclass
class _Attempt:
    teams: dict[int, Row]
    pooled: tuple[int, ...]
    pool: Row | None
    cells: dict[tuple[str, str, str], Row]
    rests: dict[tuple[str, str], Row]

    def unit_rows(self) -> dict[str, Row]:
        units = {team_key(t): m for t, m in self.teams.items()}
        if self.pool is not None:
            units[POOL] = self.pool
        return units

    def rows_by_key(self) -> dict[str, Row]:
        keyed = dict(self.unit_rows())
        keyed |= {cell_key(u, d, v): m for (u, d, v), m in self.cells.items()}
        keyed |= {cell_key(u, d, REST): m for (u, d), m in self.rests.items()}
        return keyed


def _attempt(
    people: Mapping[int, Person],
    k: int,
    dimensions: Sequence[str],
    prior: Prior,
    no_cells: frozenset[str],
    one_dimension: frozenset[str],
) -> _Attempt:
    teams, pooled, pool_row = _units(people, k)
    pool = pool_row if len(pool_row) >= k else None
    members_of: dict[str, list[Person]] = {}
    for p in people.values():
        if p.team in teams:
            members_of.setdefault(team_key(p.team), []).append(p)
        elif pool is not None and p.team in pooled:
            members_of.setdefault(POOL, []).append(p)
    cells: dict[tuple[str, str, str], Row] = {}
    rests: dict[tuple[str, str], Row] = {}
    for unit, members in members_of.items():
        if unit in no_cells:
            continue
        dims = dimensions[:1] if unit in one_dimension else dimensions
        for dim in dims:
            chosen, rest = _cells_of_unit(unit, members, dim, k, prior.last)
            cells |= {(unit, dim, value): row for value, row in chosen.items()}
            if rest is not None:
                rests[(unit, dim)] = rest
    return _Attempt(teams, pooled, pool, cells, rests)


def _teams_in(row: Iterable[Version], team_of: Mapping[int, int]) -> set[int]:
    return {team_of[rid] for rid, _ in row if rid in team_of}


def plan_release(
    prior: Prior,
    current: Mapping[int, Person],
    threshold: int,
    dimensions: Sequence[str] = (),
) -> Plan:
    """Decide what the next release includes and shows.

    `current` holds every submitted response now; `prior` what earlier releases showed.
    Changes (added, changed or withdrawn responses) are applied in batches that keep every
    group's change at 0 or at least k, and every released row passes the audit.
    """
    k = max(1, threshold)
    pending = {
        rid
        for rid in set(prior.people) | set(current)
        if (prior.people.get(rid) and prior.people[rid].version)
        != (current.get(rid) and current[rid].version)
    }
    team_of = {rid: p.team for rid, p in prior.people.items()}
    team_of |= {rid: p.team for rid, p in current.items()}
    applied = set(pending)
    no_cells: set[str] = set()
    one_dimension: set[str] = set()
    for _ in range(4 * (len(pending) + len(team_of)) + 8):
        people = dict(prior.people)
        for rid in applied:
            if rid in current:
                people[rid] = current[rid]
            else:
                people.pop(rid, None)
        attempt = _attempt(
            people, k, dimensions, prior, frozenset(no_cells), frozenset(one_dimension)
        )
        keyed = attempt.rows_by_key()
        units = attempt.unit_rows()
        groups = dict(units)
        if units:
            groups[ORG] = frozenset().union(*units.values())
        # Rule 3: a released group moves by 0 or at least k people between releases.
        hold: set[int] = set()
        for key, row in groups.items():
            if not safe_change(prior.last.get(key), row, k):
                hold |= _teams_in(row | prior.last.get(key, frozenset()), team_of)
        # Rule 4: the audit, block by block; degrade filter cells first, then hold back.
        clean = not hold
        if clean:
            prior_set = set(prior.rows)
            units_of: dict[Version, list[str]] = {}  # the units each version is in
            for block in _blocks([*prior.rows, *keyed.values()]):
                if not _newly_exposed(block, prior_set, k):
                    continue
                clean = False
                if not units_of:
                    for u, row in units.items():
                        for v in row:
                            units_of.setdefault(v, []).append(u)
                # The units that share someone with the block.
                involved = {u for r in block for v in r for u in units_of.get(v, ())}
                if involved - one_dimension - no_cells and len(dimensions) > 1:
                    one_dimension |= involved
                elif involved - no_cells:
                    no_cells |= involved
                else:
                    hold |= {t for r in block for t in _teams_in(r, team_of)}
        if clean:
            return _plan(k, people, pending - applied, attempt, prior, groups)
        applied -= {rid for rid in applied if team_of[rid] in hold}
    # Not reached in practice (each pass releases less); if it were, release nothing new.
    log.error("disclosure planning did not settle; nothing new is released")  # pragma: no cover
    return _unchanged(k, prior, pending)  # pragma: no cover


def _newly_exposed(block: Sequence[Row], prior_rows: set[Row], k: int) -> bool:
    """Does the block expose a class that earlier releases alone did not? (What earlier
    releases showed cannot be taken back: after the threshold is raised, groups released
    under the old one would otherwise stop every later release.)"""
    found = exposed_classes(block, k)
    if not found:
        return False
    earlier = [r for r in block if r in prior_rows]
    return bool(set(found) - set(exposed_classes(earlier, k)))


def _unchanged(k: int, prior: Prior, pending: set[int]) -> Plan:
    """The previous release again, every change held back."""
    attempt = _attempt(prior.people, k, (), prior, frozenset(), frozenset())
    return Plan(
        threshold=k,
        people=dict(prior.people),
        held_back=frozenset(pending),
        teams={t: r for t, r in attempt.teams.items() if r == prior.last.get(team_key(t))},
        pool_teams=attempt.pooled,
        pool=attempt.pool if attempt.pool == prior.last.get(POOL) else None,
        cells={},
        rows=tuple(prior.rows),
        last=dict(prior.last),
    )


def _plan(
    k: int,
    people: dict[int, Person],
    held: set[int],
    attempt: _Attempt,
    prior: Prior,
    groups: Mapping[str, Row],
) -> Plan:
    keyed = attempt.rows_by_key()
    last = dict(prior.last) | dict(keyed) | dict(groups)
    rows = tuple(dict.fromkeys([*prior.rows, *keyed.values()]))
    return Plan(
        threshold=k,
        people=people,
        held_back=frozenset(held),
        teams=attempt.teams,
        pool_teams=attempt.pooled,
        pool=attempt.pool,
        cells=attempt.cells,
        rows=rows,
        last=last,
    )


# --- families: statistics over answer-dependent subsets ----------------------------------


@dataclass(frozen=True)
class FamilyPlan:
    """Which families each shown group blanks, and what the next release must remember."""

    hidden_by_key: dict[str, frozenset[str]]  # group key -> families not shown there
    shown: frozenset[int]  # indices into Plan.rows of every row shown as a unit or cell
    hidden: dict[str, frozenset[int]]  # family -> shown rows over which it never was
    units: frozenset[int] = frozenset()  # those of them ever shown as a unit (all its items)


def plan_families(
    plan: Plan,
    prior: Prior,
    missing: Mapping[Version, frozenset[str]],
    k: int,
    parts: Mapping[str, tuple[Sequence[str], Sequence[str], bool]] | None = None,
    weights: Callable[[Version, str], Mapping[str, float]] | None = None,
    cell_parts: frozenset[str] = frozenset(),
) -> FamilyPlan:
    """Blank each family F wherever its rows (group minus the people outside F) would let
    an attacker, who is assumed to know who is outside F, isolate fewer than k people.

    `missing` gives, for every person-version in this or an earlier release, the families
    it is not in. What an attacker knows of F from earlier releases is exact: the rows shown
    before, minus those over which F was blanked (`prior.hidden`), each restricted to F.

    `parts` maps a family that is a weighted mean of each person's own answers (a construct)
    to the families it is made of (its items), those whose absence changes its weights
    (items whose "don't know" counts towards it), and whether its own figure is kept before
    its parts. Where a group shows the whole and its
    people did not all answer the same way, the whole minus its parts would single out those
    who answered differently: the parts some answered and others not are blanked there,
    and all of them when fewer than k people's means are made of more than the rest's.
    `weights` (a version's weight on each part of a whole, as its mean takes them) lets the
    whole and its parts be audited together, with earlier releases' (reports/parts_audit.py);
    `cell_parts`: the parts filtered pages show (the rest show only as a unit's)."""
    k = max(1, k)
    index = {row: i for i, row in enumerate(plan.rows)}
    display = dict(plan.unit_rows())
    display |= {cell_key(u, d, v): row for (u, d, v), row in plan.cells.items()}
    now_shown = {index[row] for row in display.values() if row in index}
    shown = frozenset(prior.shown) | frozenset(now_shown)
    outside: dict[str, set[Version]] = {}
    for version, missed in missing.items():
        for family in missed:
            outside.setdefault(family, set()).add(version)
    # Blocks of shown rows, this release and earlier ones: a family's rows are subsets of
    # these, so rows of different blocks never combine.
    block_rows = [plan.rows[i] for i in sorted(shown)]
    component = _components(block_rows)
    families = sorted(set(outside) | set(prior.hidden))
    blanked = {
        family: _family_blanks(family, display, prior, outside.get(family, set()), component, k)
        for family in families
    }
    parts_audit.unlike_blanks(parts or {}, display, outside, blanked, k)
    if weights is not None:
        parts_audit.weighted_blanks(
            parts or {}, display, prior, component, blanked, weights, k, cell_parts
        )
    parts_audit.mirror_unit_blanks(display, blanked, parts or {}, cell_parts)
    hidden_by_key: dict[str, set[str]] = {}
    hidden: dict[str, frozenset[int]] = {}
    for family, keys in blanked.items():
        for key in keys:
            hidden_by_key.setdefault(key, set()).add(family)
        shown_now = {index[row] for key, row in display.items() if key not in keys}
        never = (set(prior.hidden.get(family, ())) | (now_shown - set(prior.shown))) - shown_now
        if never:
            hidden[family] = frozenset(never)
    units = frozenset(prior.units or ()) | {
        index[row] for key, row in display.items() if not is_cell(key) and row in index
    }
    return FamilyPlan({key: frozenset(f) for key, f in hidden_by_key.items()}, shown, hidden, units)


def _components(rows: Sequence[Row]) -> dict[Version, int]:
    """Person-version -> block number, over rows that share people."""
    blocks = _blocks(rows)
    return {v: n for n, block in enumerate(blocks) for row in block for v in row}


def _family_blanks(
    family: str,
    display: Mapping[str, Row],
    prior: Prior,
    out: set[Version],
    component: Mapping[Version, int],
    k: int,
) -> set[str]:
    """The display keys where `family` must be blank."""
    blanked: set[str] = set()
    touched = {component[v] for v in out if v in component}
    never = prior.hidden.get(family, frozenset())
    touched |= {
        component[v] for i in never if i < len(prior.rows) for v in prior.rows[i] if v in component
    }
    if not touched:  # nobody outside the family in any shown row: its rows are the groups'
        return blanked
    rows_of = {
        key: row - out
        for key, row in display.items()
        if row and component.get(next(iter(row))) in touched
    }
    for key, row in rows_of.items():
        if persons(row) < k:  # blank anyway (fewer than k in the family): keep it out of sums
            blanked.add(key)
    earlier_by_block: dict[int, list[Row]] = {}
    for i in prior.shown:
        if i in never or i >= len(prior.rows) or not prior.rows[i]:
            continue
        block = component.get(next(iter(prior.rows[i])))
        if block in touched:
            earlier_by_block.setdefault(block, []).append(prior.rows[i] - out)
    candidates_by_block: dict[int, dict[str, Row]] = {}
    for key, row in rows_of.items():
        if key not in blanked:
            block = component[next(iter(display[key]))]
            candidates_by_block.setdefault(block, {})[key] = row
    for block, candidates in candidates_by_block.items():
        earlier = [r for r in earlier_by_block.get(block, []) if r]
        known = set(earlier)
        before: set[frozenset[Version]] | None = None
        while candidates:
            if known.issuperset(candidates.values()):  # nothing the attacker lacks
                break
            found = set(exposed_classes([*earlier, *candidates.values()], k))
            if found and before is None:
                before = set(exposed_classes(earlier, k)) if earlier else set()
            found -= before or set()
            if not found:
                break
            # Cells go before units (a team's own figure matters most), and among them those
            # holding the exposed people, the smallest first.
            members = frozenset().union(*found)
            drop = min(
                candidates,
                key=lambda key: (
                    not is_cell(key),
                    not candidates[key] & members,
                    persons(candidates[key]),
                    key,
                ),
            )
            del candidates[drop]
            blanked.add(drop)
    return blanked


# --- a raised threshold ------------------------------------------------------------------


def plan_regrouping(
    prior: Prior,
    current: Mapping[int, Person],
    threshold: int,
    dimensions: Sequence[str] = (),
) -> Plan:
    """The previous release's people again, regrouped under a raised threshold. No change
    is taken: every pending one is held back for the next release, which compares with
    this one at the new threshold as usual.

    Why rule 3 is not applied here against the groups released under the old threshold:
    it would compare groups formed by the old k with groups formed by the new one (a team
    of 4 joins the pool when k goes from 3 to 5, so the pool moves by 4 < 5), and holding
    changes back cannot undo such a move, so plan_release never settled. Skipping it is
    safe only because no version changes: every difference between an old group and a new
    one is then a sum over the same person-versions, which the audit below sees exactly;
    rule 3 exists for what the audit cannot see, one person's old version against their
    new one, and since new groups could still combine with old ones into such a difference
    (versions released earlier), the audit's signed check sees that too. The audit
    runs at the new threshold over every row released in the cycle, and what it flags is
    not released (filter cells first, then the pool, then teams), since there is no change
    to hold back. The plan's `last` keeps the old membership of every
    group this release does not show, so a group that comes back later must differ by 0 or
    at least the new k from what was last shown of it.
    """
    k = max(1, threshold)
    pending = {
        rid
        for rid in set(prior.people) | set(current)
        if (prior.people.get(rid) and prior.people[rid].version)
        != (current.get(rid) and current[rid].version)
    }
    regroup = replace(prior, last={})  # cells are not compared with old cells
    earlier = set(prior.rows)
    no_cells: set[str] = set()
    one_dimension: set[str] = set()
    dropped: set[str] = set()
    while True:
        attempt = _attempt(
            prior.people,
            k,
            dimensions,
            regroup,
            frozenset(no_cells | dropped),
            frozenset(one_dimension),
        )
        attempt.teams = {t: r for t, r in attempt.teams.items() if team_key(t) not in dropped}
        if POOL in dropped:
            attempt.pool = None
        units = attempt.unit_rows()
        flagged: set[str] = set()
        for block in _blocks([*prior.rows, *attempt.rows_by_key().values()]):
            if _newly_exposed(block, earlier, k):
                flagged |= {u for u, row in units.items() if any(row & r for r in block)} or set(
                    units
                )
        if not flagged:
            break
        if flagged - one_dimension - no_cells and len(dimensions) > 1:
            one_dimension |= flagged
        elif flagged - no_cells:
            no_cells |= flagged
        else:
            dropped |= {POOL} if POOL in flagged else flagged
    groups: dict[str, Row] = dict(units)
    if units:
        groups[ORG] = frozenset().union(*units.values())
    return _plan(k, dict(prior.people), pending, attempt, prior, groups)
