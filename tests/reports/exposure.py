"""The independent exposure check the disclosure audits share: every group a page can show is a
row of 0/1 weights over person-versions, and a person-version is exposed when its unit vector
lies in the row space of the rows released so far; with the scenarios it is checked over."""

from __future__ import annotations

from itertools import combinations

import numpy as np
from hypothesis import strategies as st

from reports.disclosure import Person, Plan, Prior, plan_release

DIMS = ("role", "stage")
ROLES = ("pm", "engineering", "design", "")
STAGES = ("build", "launch", "")


def shown_rows(plan: Plan) -> list[frozenset]:
    """Every group the pages built from this plan can show, with nothing left out."""
    units = plan.unit_rows()
    rows = list(units.values()) + list(plan.cells.values())
    if units:
        rows.append(plan.organisation())
    for dim in DIMS:
        for value in {v for (_, d, v) in plan.cells if d == dim}:
            rows.append(frozenset().union(*plan.cell_units(dim, value).values()))
    return [r for r in rows if r]


def row_space(rows: list[frozenset]) -> tuple[dict, np.ndarray]:
    """The person-versions of `rows` (by column) and an orthonormal basis of their span."""
    versions = sorted({v for r in rows for v in r})
    index = {v: i for i, v in enumerate(versions)}
    a = np.zeros((len(rows), len(versions)))
    for i, row in enumerate(rows):
        for v in row:
            a[i, index[v]] = 1.0
    _, s, vt = np.linalg.svd(a, full_matrices=False)
    return index, vt[: int(np.sum(s > 1e-9 * s[0]))]


def exposed(rows: list[frozenset]) -> set:
    if not any(rows):
        return set()
    index, basis = row_space(rows)
    leverage = np.sum(basis**2, axis=0)
    return {v for v, i in index.items() if leverage[i] > 1 - 1e-9}


def small_combinations_exposed(rows: list[frozenset], k: int, largest: int = 3) -> list[tuple]:
    """Sets of fewer than k people (at most `largest`) that a nonzero combination of the
    rows lies on, with all their versions: a sum, one person minus another, a person's new
    version minus the old. A vector on the columns S lies in the row space iff it is
    orthogonal to the null space, so one exists iff the null space's rows for S have rank
    below |S|. People in rows that never meet cannot combine, so sets are taken per block."""
    rows = [r for r in rows if r]
    if not rows:
        return []
    versions = sorted({v for r in rows for v in r})
    index = {v: i for i, v in enumerate(versions)}
    a = np.zeros((len(rows), len(versions)))
    for i, row in enumerate(rows):
        a[i, [index[v] for v in row]] = 1.0
    _, s, vt = np.linalg.svd(a)
    null = vt[int(np.sum(s > 1e-9 * s[0])) :].T  # columns span what no row can see
    block: dict = {}
    for row in rows:  # union-find over people who share a row
        roots = {block.setdefault(v[0], v[0]) for v in row}
        root = min(roots)
        for pid, r in list(block.items()):
            if r in roots:
                block[pid] = root
    by_block: dict = {}
    for pid, root in block.items():
        by_block.setdefault(root, []).append(pid)
    columns = {pid: [index[v] for v in versions if v[0] == pid] for pid in block}
    found = []
    for people in by_block.values():
        for size in range(1, min(k - 1, largest) + 1):
            for combo in combinations(sorted(people), size):
                if any(set(f) <= set(combo) for f in found):
                    continue
                cols = [c for pid in combo for c in columns[pid]]
                sub = null[cols, :]
                if sub.shape[1] == 0 or np.linalg.matrix_rank(sub, tol=1e-8) < len(cols):
                    found.append(combo)
    return found


def release_sequence(k, teams, events):
    """Play `events` (per release: list of (action, person index)) and plan each release."""
    current: dict[int, Person] = {}
    digests: dict[int, int] = {}
    prior = Prior()
    plans = []
    for batch in events:
        for action, idx in batch:
            team, role, stage = teams[idx]
            if action == "submit":
                digests[idx] = digests.get(idx, 0) + 1
                current[idx] = Person(idx, f"d{digests[idx]}", team, {"role": role, "stage": stage})
            elif action == "reopen":
                current.pop(idx, None)
        plan = plan_release(prior, current, k, DIMS)
        plans.append(plan)
        prior = Prior(plan.people, plan.last, plan.rows)
    return plans


people_strategy = st.lists(
    st.tuples(st.integers(1, 6), st.sampled_from(ROLES), st.sampled_from(STAGES)),
    min_size=1,
    max_size=45,
)


@st.composite
def scenario(draw):
    k = draw(st.sampled_from([2, 3, 3, 4, 5]))
    # team sizes 1-12: cap people per team
    people = draw(people_strategy)
    counts: dict[int, int] = {}
    kept = []
    for p in people:
        if counts.get(p[0], 0) < 12:
            counts[p[0]] = counts.get(p[0], 0) + 1
            kept.append(p)
    n = len(kept)
    releases = draw(st.integers(1, 4))
    events = []
    submitted: set[int] = set()
    for r in range(releases):
        batch = []
        for idx in draw(st.lists(st.integers(0, n - 1), max_size=n, unique=True)):
            if idx in submitted and draw(st.booleans()):
                batch.append(("reopen", idx) if draw(st.booleans()) else ("submit", idx))
                if batch[-1][0] == "reopen":
                    submitted.discard(idx)
            else:
                batch.append(("submit", idx))
                submitted.add(idx)
        if r == 0 and not batch:
            batch = [("submit", i) for i in range(n)]
            submitted |= set(range(n))
        events.append(batch)
    return k, kept, events
