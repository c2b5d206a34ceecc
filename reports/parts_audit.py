"""A construct mean beside its items: what `plan_families` blanks so the two together single
nobody out. Pure.

Within one release (`unlike_blanks`): where a group's people's means are not all made of the
same items, the mean minus the items would leave those who answered differently, so the
items some answered and others not are blanked there (all of them, or the mean, when fewer
than k people differ).

Across releases (`weighted_blanks`): a person's construct score is a weighted mean of the
items they answered, the weights depending on which. A group's mean beside its item counts
is then not a sum of the items: the mean's change between releases minus the items' can
live on one person although the group changed by k, when that person answered an item the
others who changed did not (a red-team attack; each family's 0/1 rows alone miss it).

So, per block of rows (a unit and its filter cells, this release and earlier ones) where not
everyone's mean is made of the same items, the variables are each person-version's answer
to each item, and every row is a weighted sum of them: a mean is w_i / W_v on (v, i), an
item's counts 1 on (v, i) for those who answered it. A set of fewer than k people is
exposed when some nonzero combination of the rows lives on their variables alone: when
that set's block of the residual projector is singular. Where one is (and was not by the
earlier rows alone), the release blanks more: a cell's mean, then the unit's items
or its mean (the family's `keep_whole` says which matters more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

import numpy as np

from .rows import Row, Version, is_cell
from .singular_blocks import SINGULAR

Weights = Callable[[Version], Mapping[str, float]]  # a version's weight on each part
_MAX_SETS = 20_000  # sets of people to check before treating the block as exposed
EARLIER = "earlier|row"  # stands for the key of an earlier release's row (a cell, unless kept)


class PriorRows(Protocol):
    """What disclosure.Prior holds of the last release's rows."""

    @property
    def last(self) -> Mapping[str, Row]: ...
    @property
    def rows(self) -> tuple[Row, ...]: ...
    @property
    def shown(self) -> frozenset[int]: ...
    @property
    def hidden(self) -> Mapping[str, frozenset[int]]: ...
    @property
    def units(self) -> frozenset[int] | None: ...


@dataclass(frozen=True)
class Shown:
    """One row of the block and what it showed of the family: its mean, its parts."""

    row: Row
    whole: bool
    parts: frozenset[str]


def unlike_blanks(
    parts: Mapping[str, tuple[Sequence[str], Sequence[str], bool]],
    display: Mapping[str, Row],
    outside: Mapping[str, set[Version]],
    blanked: dict[str, set[str]],
    k: int,
) -> None:
    """Within one release: where a group shows a whole whose people's means are not all
    made of the same parts, blank the parts some answered and others not (and more when
    fewer than k people differ)."""
    for whole, (members, weighing, keep_whole) in parts.items():
        out = outside.get(whole, set())
        for key, row in display.items():
            if key in blanked.get(whole, ()):
                continue
            # What each person's mean is made of: the parts they answered, and the answers
            # that count towards it from elsewhere ("don't know" fed in by the instrument).
            own = frozenset(members)
            made_of = [
                frozenset(m for m in weighing if (v in outside.get(m, ())) != (m in own))
                for v in row - out
            ]
            if len(set(made_of)) < 2:
                continue
            common = frozenset.intersection(*made_of)
            unlike = sum(1 for q in made_of if q != common)
            # Parts not everyone answered are blanked. The whole minus the parts left then
            # leaves only the people whose mean is made of more; when they are fewer than k,
            # either the whole or every part is blanked (`keep_whole` says which matters
            # more to the pages; blanking is always safe).
            if unlike >= k:
                drop = sorted(own & (frozenset().union(*made_of) - common))
            else:
                drop = list(members) if keep_whole else [whole]
            for m in drop:
                blanked.setdefault(m, set()).add(key)


def exposed_people(
    rows: Sequence[Shown], weights: Weights, known: frozenset[int], k: int
) -> set[int]:
    """People of fewer than k together (not in `known`) whom some combination of `rows`
    singles out; empty when none."""
    variables: dict[tuple[Version, str], int] = {}
    matrix_rows: list[dict[int, float]] = []

    def var(v: Version, part: str) -> int:
        return variables.setdefault((v, part), len(variables))

    for shown in rows:
        present = sorted(v for v in shown.row if v[0] not in known)
        if shown.whole:
            matrix_rows.append({var(v, p): w for v in present for p, w in weights(v).items()})
        for part in sorted(shown.parts):
            matrix_rows.append({var(v, part): 1.0 for v in present if part in weights(v)})
    matrix_rows = [r for r in matrix_rows if r]
    if not matrix_rows:
        return set()
    a = np.zeros((len(matrix_rows), len(variables)))
    for i, r in enumerate(matrix_rows):
        a[i, list(r)] = list(r.values())
    _, singular, vt = np.linalg.svd(a, full_matrices=False)
    rank = int(np.sum(singular > 1e-9 * max(1.0, singular[0])))
    basis = vt[:rank]
    residual = np.eye(len(variables)) - basis.T @ basis
    columns: dict[int, list[int]] = {}
    for (v, _), j in variables.items():
        columns.setdefault(v[0], []).append(j)
    people = sorted(columns)
    found: set[int] = set()
    checked = 0
    for size in range(1, min(k - 1, len(people)) + 1):
        # A superset of an exposed set is exposed too: only sets without its people.
        groups = [g for g in combinations(people, size) if not found.intersection(g)]
        checked += len(groups)
        if checked > _MAX_SETS:  # too many to check: treat everyone as exposed (degrade)
            return set(people)
        by_width: dict[int, list[tuple[tuple[int, ...], list[int]]]] = {}
        for group in groups:
            cols = [j for p in group for j in columns[p]]
            by_width.setdefault(len(cols), []).append((group, cols))
        for batch in by_width.values():  # one LAPACK call per width, not one per set
            index = np.array([cols for _, cols in batch])
            least = np.linalg.eigvalsh(residual[index[:, :, None], index[:, None, :]])[:, 0]
            found |= {
                p
                for (group, _), low in zip(batch, least, strict=True)
                if low < SINGULAR
                for p in group
            }
    return found


def more_blanks(
    now: Mapping[str, Shown],
    before: Sequence[Shown],
    weights: Weights,
    keep_whole: bool,
    k: int,
) -> dict[str, str]:
    """What else this release must blank in one block, by display key: "whole" (its mean),
    "parts" (all its items) or "both". `now`: this release's keys in the block; `before`:
    the rows the last release showed of it."""
    signatures = {
        tuple(sorted(weights(v).items())) for s in (*now.values(), *before) for v in s.row
    }
    if len(signatures) < 2:  # everyone's mean is made of the same: it is a sum of the items
        return {}
    known = frozenset(exposed_people(before, weights, frozenset(), k)) if before else frozenset()

    def exposes(rows: Mapping[str, Shown]) -> set[int]:
        return exposed_people([*rows.values(), *before], weights, known, k)

    current = dict(now)
    while found := exposes(current):
        touching = [key for key, s in current.items() if s.whole or s.parts]
        if not touching:  # only earlier rows remain: nothing this release can take back
            break
        key = min(
            touching,
            key=lambda key: (
                is_cell(key) is False,  # cells go first, then the unit
                not {v[0] for v in current[key].row} & found,
                len(current[key].row),
                key,
            ),
        )
        shown = current[key]
        if shown.parts and shown.whole and keep_whole:
            current[key] = Shown(shown.row, True, frozenset())
        elif shown.whole:
            current[key] = Shown(shown.row, False, shown.parts)
        else:
            current[key] = Shown(shown.row, False, frozenset())
    # Give back what a later blank made unnecessary (a cell blanked before its unit, say).
    for key in [key for key in current if current[key] != now[key]]:
        if not exposes(current | {key: now[key]}):
            current[key] = now[key]
    out = {}
    for key, shown in current.items():
        lost_whole = now[key].whole and not shown.whole
        lost_parts = bool(now[key].parts) and not shown.parts
        if lost_whole or lost_parts:
            out[key] = "both" if lost_whole and lost_parts else "whole" if lost_whole else "parts"
    return out


def weighted_blanks(
    parts: Mapping[str, tuple[Sequence[str], Sequence[str], bool]],
    display: Mapping[str, Row],
    prior: PriorRows,
    component: Mapping[Version, int],
    blanked: dict[str, set[str]],
    weights: Callable[[Version, str], Mapping[str, float]],
    k: int,
    cell_parts: frozenset[str] = frozenset(),
) -> None:
    """Blank more of each whole or its parts where, with the weights of each person's mean,
    the whole beside its parts would single someone out (above); per block."""
    index = {row: i for i, row in enumerate(prior.rows)}

    def block_of(row: Row) -> int | None:
        return next((component[v] for v in row if v in component), None)

    # The blocks' rows, once for every whole: this release's keys, then the last release's
    # keyed rows, then rows of releases before the last (a key's earlier members: a unit's
    # showed its items, a cell's those filtered pages show; releases that did not keep which
    # was which count as cells).
    now: dict[int, list[str]] = {}
    for key, row in display.items():
        if row and (block := block_of(row)) is not None:
            now.setdefault(block, []).append(key)
    before: dict[int, list[tuple[str, Row, int]]] = {}
    keyed = set(prior.last.values())
    earlier_rows = [(EARLIER, prior.rows[i]) for i in sorted(prior.shown) if i < len(prior.rows)]
    for key, row in [*sorted(prior.last.items()), *earlier_rows]:
        i = index.get(row)
        if (key == EARLIER and row in keyed) or i is None or i not in prior.shown:
            continue
        if row and (block := block_of(row)) in now:
            before.setdefault(block, []).append((key, row, i))
    for whole, (members, _, keep_whole) in parts.items():
        _blank_whole(
            whole,
            members,
            keep_whole,
            display,
            prior,
            now,
            before,
            blanked,
            weights,
            k,
            cell_parts,
        )


def _blank_whole(
    whole: str,
    members: Sequence[str],
    keep_whole: bool,
    display: Mapping[str, Row],
    prior: PriorRows,
    now: Mapping[int, Sequence[str]],
    before: Mapping[int, Sequence[tuple[str, Row, int]]],
    blanked: dict[str, set[str]],
    weights: Callable[[Version, str], Mapping[str, float]],
    k: int,
    cell_parts: frozenset[str],
) -> None:
    """`weighted_blanks` for one whole, over the blocks' rows."""

    def shown_on(key: str) -> Sequence[str]:
        """A unit shows every item; a cell the items filtered pages show (counted over one
        team's cell where it alone has the value), or none."""
        return [m for m in members if m in cell_parts] if is_cell(key) else members

    def shown_now(key: str) -> Shown:
        parts = [m for m in shown_on(key) if key not in blanked.get(m, ())]
        return Shown(display[key], key not in blanked.get(whole, ()), frozenset(parts))

    def shown_before(key: str, row: Row, i: int) -> Shown:
        never = {f for f in (whole, *members) if i in prior.hidden.get(f, ())}
        # A row ever shown as a unit showed its items, whichever key holds it last.
        unit = prior.units is not None and i in prior.units
        parts = [m for m in (members if unit else shown_on(key)) if m not in never]
        return Shown(row, whole not in never, frozenset(parts))

    of_whole: dict[Version, Mapping[str, float]] = {}

    def weight(v: Version) -> Mapping[str, float]:
        if v not in of_whole:
            of_whole[v] = weights(v, whole)
        return of_whole[v]

    for block, block_keys in sorted(now.items()):
        keys = {key: shown_now(key) for key in block_keys}
        # A row kept under two keys counts once.
        earlier = list(dict.fromkeys(shown_before(*b) for b in before.get(block, ())))
        every = [*keys.values(), *earlier]
        if not any(s.whole for s in every) or not any(s.parts for s in every):
            continue  # the mean or the items alone: each family's own audit covers it
        for key, what in more_blanks(keys, earlier, weight, keep_whole, k).items():
            for family in (
                members if what == "parts" else (whole,) if what == "whole" else (whole, *members)
            ):
                blanked.setdefault(family, set()).add(key)


def mirror_unit_blanks(
    display: Mapping[str, Row],
    blanked: dict[str, set[str]],
    parts: Mapping[str, tuple[Sequence[str], Sequence[str], bool]],
    cell_parts: frozenset[str],
) -> None:
    """Items a unit blanks are blanked on its cells over the same people too: cells do not
    show them (bar `cell_parts`), and so a later release knows the row never showed them."""
    items = {m for members, _, _ in parts.values() for m in members} - cell_parts
    units: dict[Row, str] = {row: key for key, row in display.items() if not is_cell(key)}
    for key, row in display.items():
        unit = units.get(row) if is_cell(key) else None
        if unit is None:
            continue
        for family in items:
            if unit in blanked.get(family, ()):
                blanked[family].add(key)
