"""The enabler-lift table's disclosure control (reports/lift_rows.py) over whole organisations.

Per practice p, every count the pages show is a sum of p's answers over a set of people: each
unit's and the organisation's people scored on p, and each shown cell's W and L (with_k,
without_k), in this release and the last. Per enabler e, likewise a sum of e's answers: the
organisation's prevalence of e (over its people scored on e) and each shown cell's with_n
(over W + L, the people scored on both). The check here is independent of
reports/signed_audit.py: a set S of fewer than k people is exposed when some nonzero vector
of the row space lives on S's versions, i.e. when the null space's rows for S have rank
below |S|."""

from __future__ import annotations

import itertools
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.lift_rows import LiftRows, name, plan_lift
from reports.signed_audit import DenseRows, signed_exposed

ENABLERS = ("leadership", "principles")
PRACTICES = ("p1", "p2", "p3")


def exposed_sets(rows: list[frozenset], k: int) -> list[frozenset]:
    """Every set of k - 1 people (or all, when fewer) on whose versions some nonzero vector of
    the row space lives: exactly when the residual projector's block for those versions is
    singular. A vector on fewer people lives on every such set holding them, so checking
    the sets of k - 1 people finds every exposure."""
    versions, residual = _residual(rows)
    # A row-space vector is the same on versions in exactly the same rows; one that is
    # nonzero on such a class of k or more people lives on k or more. So only versions in
    # smaller classes can carry an exposure.
    classes: dict[frozenset, list[int]] = {}
    for i, v in enumerate(versions):
        classes.setdefault(frozenset(j for j, r in enumerate(rows) if v in r), []).append(i)
    small = {i for c in classes.values() if len({versions[j][0] for j in c}) < k for i in c}
    people = sorted({versions[i][0] for i in small})
    columns = {p: [i for i in sorted(small) if versions[i][0] == p] for p in people}
    if not people:
        return []
    combos = list(itertools.combinations(people, min(k - 1, len(people))))
    width = max(sum(len(columns[p]) for p in c) for c in combos)
    padded = np.eye(len(versions) + width)  # padding adds eigenvalues of 1 only
    padded[: len(versions), : len(versions)] = residual
    index = np.array(
        [
            (cols := [i for p in c for i in columns[p]])
            + list(range(len(versions), len(versions) + width - len(cols)))
            for c in combos
        ]
    )
    blocks = padded[index[:, :, None], index[:, None, :]]
    smallest = np.linalg.eigvalsh(blocks)[:, 0]
    return [
        frozenset(versions[i] for p in c for i in columns[p])
        for c, low in zip(combos, smallest, strict=True)
        if low < 1e-9
    ]


def lives_on(rows: list[frozenset], some: frozenset) -> bool:
    """Does a nonzero vector of the row space live on the versions `some`?"""
    versions, residual = _residual(rows)
    cols = [i for i, v in enumerate(versions) if v in some]
    return bool(cols) and np.linalg.eigvalsh(residual[np.ix_(cols, cols)])[0] < 1e-9


def _residual(rows: list[frozenset]) -> tuple[list, np.ndarray]:
    """The versions and the projector onto what the rows cannot see (I minus the row
    space's projector), over the versions."""
    rows = [r for r in rows if r]
    versions = sorted({v for r in rows for v in r})
    if not versions:
        return [], np.zeros((0, 0))
    index = {v: i for i, v in enumerate(versions)}
    a = np.zeros((len(rows), len(versions)))
    for i, row in enumerate(rows):
        a[i, [index[v] for v in row]] = 1.0
    _, s, vt = np.linalg.svd(a)
    null = vt[int(np.sum(s > 1e-9 * s[0])) :].T
    return versions, null @ null.T


def cells_of(people: dict[int, tuple[str, tuple, tuple]]) -> dict:
    """W, L, Rp, Re of every cell, as reports/lift_rows.cell_rows builds them."""
    out = {}
    for e, enabler in enumerate(ENABLERS):
        high = {(rid, d) for rid, (d, en, _) in people.items() if en[e] is True}
        low = {(rid, d) for rid, (d, en, _) in people.items() if en[e] is False}
        for p, practice in enumerate(PRACTICES):
            scored = {(rid, d) for rid, (d, _, pr) in people.items() if pr[p] is not None}
            out[(enabler, practice)] = {
                "W": frozenset(high & scored),
                "L": frozenset(low & scored),
                "Rp": frozenset(scored - high - low),
                "Re": frozenset((high | low) - scored),
            }
    return out


def _scored(cells: dict, practice: str) -> frozenset:
    return frozenset().union(
        *(parts[q] for (_, p), parts in cells.items() if p == practice for q in ("W", "L", "Rp"))
    )


def shown_rows(cells: dict, plan, units: list[frozenset], practice: str) -> list[frozenset]:
    """What the pages show of one practice: units and organisation, and the shown cells."""
    scored = _scored(cells, practice)
    rows = [u & scored for u in units] + [scored]
    for (enabler, p), parts in cells.items():
        if p == practice and (enabler, p) not in plan.withheld:
            rows += [parts["W"], parts["L"]]
    return rows


answer = st.sampled_from([True, True, False, False, None])


@st.composite
def organisation(draw):
    """Teams of at least k (released units), enablers and practices at random, then two
    more releases in which some people change their answers (a new version each)."""
    k = draw(st.sampled_from([3, 4, 5]))
    n = draw(st.integers(6, 40))
    sizes = []
    while sum(sizes) < n:
        sizes.append(draw(st.integers(k, max(k, 12))))
    team = [t for t, size in enumerate(sizes) for _ in range(size)]
    people = {
        rid: ("d1", tuple(draw(answer) for _ in ENABLERS), tuple(draw(answer) for _ in PRACTICES))
        for rid in range(len(team))
    }
    # Whole teams answer again (so the teams' own rows stay safe across releases, as
    # reports/disclosure.py keeps them): each member's response is a new version. Twice:
    # a third release can undo the second's change for some and not for others.
    releases = [people]
    for digest in ("d2", "d3"):
        again = draw(st.sets(st.sampled_from(sorted(set(team)))))
        later = dict(releases[-1])
        for rid, t in enumerate(team):
            if t in again:
                later[rid] = (
                    digest,
                    tuple(draw(answer) for _ in ENABLERS),
                    tuple(draw(answer) for _ in PRACTICES),
                )
        releases.append(later)
    return k, team, [_family_blanked(r, team, k) for r in releases]


def _family_blanked(people: dict, team: list[int], k: int) -> dict:
    """A unit where fewer than k people have a score on a practice or an enabler shows none
    of it (reports/disclosure.py's family plan): its people leave that one's cells too."""
    out = dict(people)
    for unit in set(team):
        members = [rid for rid, t in enumerate(team) if t == unit]
        for part, width in ((1, len(ENABLERS)), (2, len(PRACTICES))):
            for p in range(width):
                if sum(out[rid][part][p] is not None for rid in members) < k:
                    for rid in members:
                        answers = list(out[rid])
                        answers[part] = (*answers[part][:p], None, *answers[part][p + 1 :])
                        out[rid] = tuple(answers)
    return out


def _units(team: list[int], people: dict) -> list[frozenset]:
    return [
        frozenset((rid, people[rid][0]) for rid, t in enumerate(team) if t == unit)
        for unit in sorted(set(team))
    ]


def prevalence_of(people: dict) -> dict[str, dict[str, frozenset]]:
    """Whom the organisation page's prevalence of each enabler counts."""
    return {
        enabler: {
            "org": frozenset((rid, d) for rid, (d, en, _) in people.items() if en[e] is not None)
        }
        for e, enabler in enumerate(ENABLERS)
    }


def enabler_rows(cells: dict, plan, people: dict, enabler: str) -> list[frozenset]:
    """What the pages show of one enabler: its prevalence (where not withheld) and every
    shown cell's with_n."""
    pages = prevalence_of(people)[enabler]
    rows = [row for page, row in pages.items() if (enabler, page) not in plan.prevalence_withheld]
    for (e, _), parts in cells.items():
        if e == enabler and (e, _) not in plan.withheld:
            rows.append(parts["W"] | parts["L"])
    return rows


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(organisation())
def test_no_signed_combination_of_shown_lift_counts_isolates_fewer_than_k(case):
    k, team, releases = case
    earlier: dict[str, list[frozenset]] = {p: [] for p in (*PRACTICES, *ENABLERS)}
    prior, units_before, scored_before = LiftRows(), [], {}
    for people in releases:
        cells, units = cells_of(people), _units(team, people)
        plan = plan_lift(
            cells, prior, k, units + units_before, scored_before, prevalence_of(people)
        )
        shown = {p: shown_rows(cells, plan, units, p) for p in PRACTICES}
        shown |= {e: enabler_rows(cells, plan, people, e) for e in ENABLERS}
        for variable, rows in shown.items():
            assert not exposed_sets(rows, k), ("within one release", variable)
            earlier[variable] += rows
            assert not exposed_sets(earlier[variable], k), ("across releases", variable)
        prior, units_before = plan.state, units_before + units
        scored_before = {
            p: scored_before.get(p, frozenset()) | _scored(cells, p) for p in PRACTICES
        }


def _sixteen(dont_know: dict[int, set[int]]) -> dict:
    """Two teams of 8 with mixed enablers and practices; `dont_know`: practice index ->
    the people with no score on it."""
    return {
        rid: (
            "d1",
            (rid % 2 == 0, rid % 3 == 0),
            tuple(
                None if rid in dont_know.get(p, set()) else (rid + p) % 3 == 0
                for p in range(len(PRACTICES))
            ),
        )
        for rid in range(16)
    }


def test_two_practices_scored_one_person_apart_do_not_both_show_an_enablers_count():
    """12-14 say "don't know" to p1 and p2, 15 to p2 alone: each cell's rests hold k, yet
    with_n(e, p1) - with_n(e, p2) is whether person 15 reports e. The enabler is an answer
    too; p3 (everyone) and p1 (3 fewer) are no one's."""
    people = _sixteen({0: {12, 13, 14}, 1: {12, 13, 14, 15}})
    cells = cells_of(people)
    assert all(len(parts["Re"]) in (0, 3, 4) for parts in cells.values())
    units = _units([rid // 8 for rid in range(16)], people)
    plan = plan_lift(cells, LiftRows(), 3, units, {}, prevalence_of(people))
    assert plan.withheld == {(e, "p2") for e in ENABLERS}
    for enabler in ENABLERS:
        assert not exposed_sets(enabler_rows(cells, plan, people, enabler), 3)


def test_an_enablers_count_is_compared_with_the_cells_the_last_release_showed():
    """p2 was shown last time over all but 12-14; p1 now over all but 12-15 (and p2 is not
    shown now). The difference still names person 15."""
    people = _sixteen({0: {12, 13, 14, 15}, 1: {12, 13, 14}})
    units = _units([rid // 8 for rid in range(16)], people)
    org = prevalence_of(people)
    cells = cells_of(people)
    before = plan_lift(
        {c: r for c, r in cells.items() if c[1] == "p2"}, LiftRows(), 3, units, {}, org
    )
    assert not before.withheld
    now = {c: r for c, r in cells.items() if c[1] == "p1"}
    assert not plan_lift(now, LiftRows(), 3, units, {}, org).withheld  # alone, it is safe
    plan = plan_lift(now, before.state, 3, units, {}, org)
    assert plan.withheld == {(e, "p1") for e in ENABLERS}


def test_two_enablers_cells_one_person_apart_are_not_both_shown():
    """The red team's attack in miniature: 6 report both enablers, 5 neither, one only
    leadership. W(leadership) - W(principles) is that person; one cell must go."""
    both, neither = [(i, "d1") for i in range(6)], [(i, "d1") for i in range(6, 11)]
    target = (11, "d1")
    people = {rid: ("d1", (True, True), (True, False, True)) for rid, _ in both}
    people |= {rid: ("d1", (False, False), (False, True, False)) for rid, _ in neither}
    people[11] = ("d1", (True, False), (True, True, False))
    cells = cells_of(people)
    assert cells[("leadership", "p1")]["W"] - cells[("principles", "p1")]["W"] == {target}
    plan = plan_lift(cells, LiftRows(), 3, _units([0] * 12, people))
    # The smaller cell goes (leadership: 7 with, 5 without); principles stays.
    assert {e for e, _ in plan.withheld} == {"leadership"}
    assert len(plan.withheld) == len(PRACTICES)
    for practice in PRACTICES:
        assert not exposed_sets(shown_rows(cells, plan, _units([0] * 12, people), practice), 3)


def test_a_withheld_cell_keeps_its_last_rows_for_the_next_release():
    people = {rid: ("d1", (rid % 2 == 0, rid % 3 == 0), (True, rid < 6, True)) for rid in range(12)}
    cells = cells_of(people)
    first = plan_lift(cells, LiftRows(), 3, _units([0] * 12, people))
    assert first.withheld == set()  # nothing here singles anyone out
    # One person's new version moves every W or L by 1: the cells are withheld and the
    # rows they showed are what the next release still compares with.
    later = people | {0: ("d2", (False, False), (True, True, None))}
    second = plan_lift(cells_of(later), first.state, 3, _units([0] * 12, later))
    assert ("leadership", "p1") in second.withheld
    key = name("leadership", "p1", "W")
    assert second.state.last[key] == first.state.last[key]


def test_signed_exposed_finds_differences_and_sums():
    v = [(i, "d1") for i in range(8)]
    rows = [frozenset(v), frozenset(v[:7]), frozenset(v[:3])]
    assert signed_exposed(rows, 3) == [frozenset({v[7]})]  # all - first seven
    assert signed_exposed([frozenset(v), frozenset(v[2:])], 3) == [frozenset(v[:2])]
    assert not signed_exposed([frozenset(v), frozenset(v[:4])], 3)
    # A person's new version minus the old: one person, two versions.
    old, new = (9, "d1"), (9, "d2")
    assert signed_exposed([frozenset({*v[:4], old}), frozenset({*v[:4], new})], 3) == [
        frozenset({old, new})
    ]


def test_plan_lift_on_a_1600_person_organisation_withholds_nothing_needlessly():
    """Scored sets that differ by many people single nobody out (its time is in make bench)."""
    rng = random.Random(7)
    people = {
        rid: (
            "d1",
            tuple(rng.choices([True, False, None], [49, 49, 2])[0] for _ in ENABLERS),
            tuple(rng.choices([True, False, None], [45, 45, 10])[0] for _ in PRACTICES),
        )
        for rid in range(1600)
    }
    units = _units([rid // 8 for rid in range(1600)], people)
    plan = plan_lift(cells_of(people), LiftRows(), 3, units, {}, prevalence_of(people))
    assert not plan.withheld


@st.composite
def any_rows(draw):
    """Rows over up to 11 people, some with an old and a new version."""
    k = draw(st.sampled_from([2, 3, 4, 5]))
    n = draw(st.integers(3, 11))
    versions = [(i, "d1") for i in range(n)]
    versions += [(i, "d2") for i in draw(st.sets(st.integers(0, n - 1), max_size=3))]
    rows = draw(st.lists(st.sets(st.sampled_from(versions)), min_size=1, max_size=6))
    return k, [frozenset(r) for r in rows]


@settings(max_examples=300, deadline=None)
@given(any_rows())
def test_signed_exposed_agrees_with_the_brute_force_check(case):
    k, rows = case
    found, truth = signed_exposed(rows, k), exposed_sets(rows, k)
    assert bool(found) == bool(truth)
    assert all(lives_on(rows, s) and len({rid for rid, _ in s}) < k for s in found)


@settings(max_examples=300, deadline=None)
@given(any_rows())
def test_dense_rows_agree_with_the_brute_force_check(case):
    k, rows = case
    dense = DenseRows(rows)
    found, truth = dense.exposed(range(len(rows)), k), exposed_sets(rows, k)
    assert bool(found) == bool(truth)
    assert all(lives_on(rows, s) and len({rid for rid, _ in s}) < k for s in found)
    # Any subset of the rows, less some known versions, is the audit of those rows alone.
    some = list(range(0, len(rows), 2))
    known = frozenset(sorted({v for r in rows for v in r})[:2])
    kept = [rows[i] - known for i in some]
    assert bool(dense.exposed(some, k, known)) == bool(exposed_sets(kept, k))


def test_a_cells_rows_are_compared_with_every_earlier_release_not_the_last_alone():
    """The red team's three releases: a, b, c join W in release 2; in release 3 they leave
    it (a new version each, not scored on the practice) as x joins. W moved by 4 from
    release 2, yet W3 - W1 is x alone."""
    v = {name: (i, "d1") for i, name in enumerate("ABCDEFGHIJabcx")}
    w1 = frozenset(v[n] for n in "ABCDEF")
    lost = frozenset(v[n] for n in "GHIJ")
    release = [
        w1,
        w1 | {v["a"], v["b"], v["c"]},
        w1 | {v["x"]},
    ]

    def cell(w):
        return {("leadership", "p1"): {"W": w, "L": lost, "Rp": frozenset(), "Re": frozenset()}}

    first = plan_lift(cell(release[0]), LiftRows(), 3)
    second = plan_lift(cell(release[1]), first.state, 3)
    assert not first.withheld and not second.withheld  # each moved by 0 or at least k
    assert second.state.earlier  # release 1's rows are kept beside release 2's
    third = plan_lift(cell(release[2]), second.state, 3)
    assert third.withheld == {("leadership", "p1")}
    # Only release 1 tells: compared with release 2 alone, the cell would be shown.
    assert not plan_lift(cell(release[2]), LiftRows(second.state.last), 3).withheld
