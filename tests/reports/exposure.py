"""The independent exposure check the disclosure audits share: every group a page can show is a
row of 0/1 weights over person-versions, and a person-version is exposed when its unit vector
lies in the row space of the rows released so far; with the scenarios it is checked over."""

from __future__ import annotations

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
