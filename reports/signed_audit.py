"""The signed audit: can adding and subtracting released rows single out fewer than k people?

Each released count is a row of 0/1 weights over person-versions. An attacker combines rows
with any coefficients, so not only sums but differences (a - b, a person's new version minus
the old) count. A set S of people is exposed when some nonzero vector of the row space lives
on S's versions alone. Pure and numpy-vectorised: the lift table's audit (reports/lift_rows.py)
runs it once per practice, over up to a few thousand people.

How, without searching all sets of people: rows that share nobody (teams) are *local*; the
rest (the lift table's W and L, which cut across teams, and totals) are *global*, few. A
vector of the row space is a sum of local rows plus a combination d of global rows. Outside
the few blocks it touches, it must vanish, so there d's combination is constant on each
local block (or 0 where no local row covers a version): linear conditions on d. A bounded
search over d's space finds every set of at most k - 1 touched blocks whose conditions
leave some d; each such small system is then searched exactly, atom by atom (people in the
same rows cannot be told apart, so only atoms of fewer than k people can carry an exposure).
An enabler's lift rows are the other shape, a few rows that each span nearly everyone:
`DenseRows` audits those over their atoms directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .disclosure import Version

_TOLERANCE = 1e-9
_MAX_NODES = 50_000  # search steps before giving up and reporting everyone small (degrade)
_BLOCK_CAP = 256  # versions a block of local rows may hold; wider rows span blocks


def signed_exposed(rows: Sequence[frozenset[Version]], k: int) -> list[frozenset[Version]]:
    """Sets of versions of fewer than k people on which some nonzero combination of `rows`
    lives (deduplicated, in a deterministic order); empty when nobody is exposed."""
    unique = sorted({r for r in rows if r}, key=lambda r: (len(r), sorted(r)))
    if not unique:
        return []
    blocks, spanning = _blocks(unique)
    found: list[frozenset[Version]] = []
    for block in blocks:  # what local rows alone show (a team of fewer than k, ...)
        if len(block.matrix) == 1:  # one row: exposed when it holds fewer than k
            found += [frozenset(block.versions)] if _people(block.versions) < k else []
        elif len(block.matrix) > 1:
            found += _exposed_in(block.matrix, block.versions, k)
    if spanning:
        found += _through_spanning(blocks, spanning, k)
    return sorted(set(found), key=lambda s: (len(s), sorted(s)))


def _people(versions: Sequence[Version]) -> int:
    return len({rid for rid, _ in versions})


@dataclass(frozen=True)
class _Block:
    versions: list[Version]
    matrix: np.ndarray  # its local rows over `versions` (none for an uncovered version)


def _blocks(unique: list[frozenset[Version]]) -> tuple[list[_Block], list[frozenset[Version]]]:
    """Local rows, smallest first, grouped into blocks that share nobody (a team, its cells,
    its last release), each at most _BLOCK_CAP versions; the rest span blocks (few)."""
    owner: dict[Version, int] = {}
    members: dict[int, set[Version]] = {}
    local: dict[int, list[frozenset[Version]]] = {}
    spanning: list[frozenset[Version]] = []
    for row in unique:
        touched = {owner[v] for v in row if v in owner}
        size = len(row | set().union(*(members[b] for b in touched)))
        if touched and size > _BLOCK_CAP:
            spanning.append(row)
            continue
        block = min(touched) if touched else (max(members) + 1 if members else 0)
        members.setdefault(block, set())
        local.setdefault(block, [])
        for other in sorted(touched - {block}):
            members[block] |= members.pop(other)
            local[block] += local.pop(other)
        members[block] |= row
        local[block].append(row)
        for v in members[block]:
            owner[v] = block
    out = []
    for b in sorted(members):
        versions = sorted(members[b])
        index = {v: i for i, v in enumerate(versions)}
        matrix = np.zeros((len(local[b]), len(versions)))
        for i, row in enumerate(local[b]):
            matrix[i, [index[v] for v in row]] = 1.0
        out.append(_Block(versions, matrix))
    covered = set(owner)
    for v in sorted({v for r in spanning for v in r} - covered):
        out.append(_Block([v], np.zeros((0, 1))))
    return out, spanning


@dataclass(frozen=True)
class _System:
    versions: list[Version]  # ordered block by block
    starts: np.ndarray  # where each block starts in `versions`
    spans: np.ndarray  # versions x m: the spanning rows
    centred: np.ndarray  # the same, less their projection on each block's local rows


def _through_spanning(
    blocks: list[_Block], spanning: list[frozenset[Version]], k: int
) -> list[frozenset[Version]]:
    system = _system(blocks, spanning)
    basis = _row_basis(system.centred)  # m x r: d up to what local rows absorb everywhere
    if basis.shape[1] == 0:
        return []
    reduced = system.centred @ basis
    # A person with several versions (old and new) can sit in as many blocks.
    block_of = np.repeat(np.arange(len(blocks)), [len(b.versions) for b in blocks])
    seen: dict[int, set[int]] = {}
    for (rid, _), b in zip(system.versions, block_of, strict=True):
        seen.setdefault(rid, set()).add(int(b))
    budget = (k - 1) * max(len(bs) for bs in seen.values())
    found: list[frozenset[Version]] = []
    for touched, directions in _touching(reduced, system.starts, budget):
        found += _exposed_on(system, blocks, touched, basis @ directions, k)
    return found


def _system(blocks: list[_Block], spanning: list[frozenset[Version]]) -> _System:
    versions = [v for b in blocks for v in b.versions]
    index = {v: i for i, v in enumerate(versions)}
    spans = np.zeros((len(versions), len(spanning)))
    for j, row in enumerate(spanning):
        spans[[index[v] for v in row], j] = 1.0
    sizes = np.array([len(b.versions) for b in blocks])
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(int)
    # A block of one row (a team, most of them) absorbs its mean; others their projection.
    rows = np.array([b.matrix.shape[0] for b in blocks])
    means = np.add.reduceat(spans, starts, axis=0) / sizes[:, None]
    means[rows != 1] = 0.0
    centred = spans - np.repeat(means, sizes, axis=0)
    for b in np.flatnonzero(rows > 1):
        local = _row_basis(blocks[b].matrix)  # |B| x r_B
        part = slice(int(starts[b]), int(starts[b]) + len(blocks[b].versions))
        centred[part] -= local @ (local.T @ spans[part])
    return _System(versions, starts, spans, centred)


def _touching(
    reduced: np.ndarray, starts: np.ndarray, budget: int
) -> list[tuple[list[int], np.ndarray]]:
    """Every (blocks, subspace of d) where the d's leave all other blocks untouched and at
    most `budget` blocks are touched: branch on which of the first budget + 1 touched blocks
    is the first left untouched (one must be), each branch a smaller subspace."""
    out: list[tuple[list[int], np.ndarray]] = []
    nodes = [0]

    def go(space: np.ndarray, touched: list[int]) -> None:
        nodes[0] += 1
        if space.shape[1] == 0:
            return
        image = reduced @ space
        size = np.maximum.reduceat(np.abs(image).max(axis=1), starts)
        active = [int(b) for b in np.flatnonzero(size > 1e-8) if int(b) not in touched]
        if len(touched) + len(active) <= budget or nodes[0] > _MAX_NODES:
            out.append((sorted(touched + active), space))
            return
        for i, block in enumerate(active[: budget - len(touched) + 1]):
            rows = slice(starts[block], starts[block] + _block_size(starts, block, len(reduced)))
            go(_orthonormal(space @ _null(image[rows])), touched + active[:i])

    go(np.eye(reduced.shape[1]), [])
    return out


def _block_size(starts: np.ndarray, block: int, total: int) -> int:
    end = int(starts[block + 1]) if block + 1 < len(starts) else total
    return end - int(starts[block])


def _exposed_on(
    system: _System,
    blocks: list[_Block],
    touched: list[int],
    directions: np.ndarray,
    k: int,
) -> list[frozenset[Version]]:
    """The exact search on the touched blocks: their local rows and the spanning rows'
    combinations `directions` (m x dd), restricted to them."""
    at = [
        i
        for b in touched
        for i in range(int(system.starts[b]), int(system.starts[b]) + len(blocks[b].versions))
    ]
    versions = [system.versions[i] for i in at]
    local = np.zeros((sum(blocks[b].matrix.shape[0] for b in touched), len(at)))
    row, col = 0, 0
    for b in touched:
        rows, cols = blocks[b].matrix.shape
        local[row : row + rows, col : col + cols] = blocks[b].matrix
        row, col = row + rows, col + cols
    matrix = np.vstack([local, (system.spans[at] @ directions).T])
    return _exposed_in(matrix, versions, k)


def _exposed_in(matrix: np.ndarray, versions: list[Version], k: int) -> list[frozenset[Version]]:
    """Exposed sets of a small system (rows x versions), by a bounded search over atoms."""
    _, first, label = np.unique(
        np.round(matrix.T, 9), axis=0, return_index=True, return_inverse=True
    )
    atoms = [np.flatnonzero(label.ravel() == a).tolist() for a in np.argsort(first)]
    people = [frozenset(versions[j][0] for j in a) for a in atoms]
    found = _exposed_atoms(matrix[:, [a[0] for a in atoms]], people, k)
    return [frozenset(versions[j] for i in f for j in atoms[i]) for f in found]


def _exposed_atoms(
    reps: np.ndarray, people: Sequence[frozenset[int]], k: int
) -> list[frozenset[int]]:
    """Sets of atoms (columns of `reps`, with their people) of fewer than k people on which
    some nonzero combination of the rows lives."""
    small = [i for i, p in enumerate(people) if len(p) < k]
    if not small:
        return []
    basis = _row_basis(reps)  # atoms x rank
    large = [i for i in range(len(people)) if len(people[i]) >= k]
    coefficients = _null(basis[large, :]) if large else np.eye(basis.shape[1])
    if coefficients.shape[1] == 0:
        return []
    found: list[frozenset[int]] = []
    _search(
        _orthonormal(basis[small, :] @ coefficients),
        frozenset(),
        [people[i] for i in small],
        k,
        found,
        [0],
    )
    return [frozenset(small[i] for i in f) for f in found]


class DenseRows:
    """A few rows that each span most people (the lift table's scored sets of one enabler),
    where signed_exposed's blocks do not help: the versions are grouped once by which rows
    hold them, so any subset of the rows is audited over the few atoms it cuts."""

    def __init__(self, rows: Sequence[frozenset[Version]]) -> None:
        signature: dict[Version, int] = {}
        for i, row in enumerate(rows):
            for v in row:
                signature[v] = signature.get(v, 0) | 1 << i
        groups: dict[int, set[Version]] = {}
        for v, sig in signature.items():
            groups.setdefault(sig, set()).add(v)
        self._fine = sorted(groups.items())

    def exposed(
        self, chosen: Sequence[int], k: int, known: frozenset[Version] = frozenset()
    ) -> list[frozenset[Version]]:
        """signed_exposed over the rows at `chosen`, less the versions in `known`."""
        mask = sum(1 << i for i in set(chosen))
        coarse: dict[int, set[Version]] = {}
        for sig, versions in self._fine:
            if sig & mask and (kept := versions - known):
                coarse.setdefault(sig & mask, set()).update(kept)
        atoms = sorted(coarse.items())
        order = sorted(set(chosen))
        reps = np.array([[float(sig >> i & 1) for sig, _ in atoms] for i in order])
        people = [frozenset(rid for rid, _ in versions) for _, versions in atoms]
        found = _exposed_atoms(reps.reshape(len(order), len(atoms)), people, k)
        out = {frozenset(v for i in f for v in atoms[i][1]) for f in found}
        return sorted(out, key=lambda s: (len(s), sorted(s)))


def _search(
    z: np.ndarray,
    nonzero: frozenset[int],
    people: Sequence[frozenset[int]],
    k: int,
    found: list[frozenset[int]],
    nodes: list[int],
) -> None:
    """Record supports of vectors of col(z) on fewer than k people; `nonzero` are atoms an
    ancestor step assumed nonzero (they count towards the k)."""
    nodes[0] += 1
    if z.shape[1] == 0:
        return
    support = [int(i) for i in np.flatnonzero(np.linalg.norm(z, axis=1) > 1e-7)]
    if len(_who(people, nonzero | set(support))) < k or nodes[0] > _MAX_NODES:
        found.append(frozenset(support))  # a generic vector of col(z) lives on it
        return
    # A vector on fewer than k people is zero on one of the first atoms that hold k people
    # together with `nonzero`: branch on which is the first such zero.
    assumed = set(nonzero)
    for i in support:
        if i in assumed:
            continue
        _search(_orthonormal(z @ _null(z[[i], :])), frozenset(assumed), people, k, found, nodes)
        assumed.add(i)
        if len(_who(people, assumed)) >= k:
            return


def _who(people: Sequence[frozenset[int]], atoms: set[int] | frozenset[int]) -> set[int]:
    return set().union(*(people[i] for i in atoms)) if atoms else set()


def _row_basis(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis (as columns) of the row space of `matrix`."""
    if matrix.size == 0:
        return np.zeros((matrix.shape[1], 0))
    _, singular, vt = np.linalg.svd(matrix, full_matrices=False)
    rank = int(np.sum(singular > _TOLERANCE * max(1.0, singular[0])))
    return np.ascontiguousarray(vt[:rank].T)


def _null(matrix: np.ndarray) -> np.ndarray:
    """An orthonormal basis (as columns) of the vectors `matrix` sends to 0."""
    if matrix.shape[0] == 0:
        return np.eye(matrix.shape[1])
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    rank = int(np.sum(singular > 1e-8 * max(1.0, singular[0] if singular.size else 1.0)))
    return np.ascontiguousarray(vt[rank:].T)


def _orthonormal(z: np.ndarray) -> np.ndarray:
    if z.shape[1] == 0 or z.shape[0] == 0:
        return z
    u, singular, _ = np.linalg.svd(z, full_matrices=False)
    return u[:, singular > 1e-8 * max(1.0, singular[0])]
