"""A construct mean beside its items, audited with each person's weights (reports/parts_audit.py).

The check here is independent of the module's: a set S of people is exposed when some
combination of the rows lives on S's variables alone, i.e. when dropping S's columns lowers
the rank of the rows' matrix."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from reports.parts_audit import Shown, exposed_people, more_blanks

PARTS = ("a", "b", "c")


def weights_of(made_of: dict) -> callable:
    """Each version's mean: the parts it answered, equally weighted."""
    return lambda v: {p: 1 / len(made_of[v]) for p in made_of[v]}


def exposed(rows: list[Shown], made_of: dict, k: int) -> set[frozenset[int]]:
    """The least sets of fewer than k people on whose variables some combination of the
    rows lives."""
    columns = sorted({(v, p) for s in rows for v in s.row for p in made_of[v]})
    index = {c: j for j, c in enumerate(columns)}
    matrix = []
    for s in rows:
        if s.whole:
            line = np.zeros(len(columns))
            for v in s.row:
                for p in made_of[v]:
                    line[index[(v, p)]] = 1 / len(made_of[v])
            matrix.append(line)
        for part in s.parts:
            line = np.zeros(len(columns))
            for v in s.row:
                if part in made_of[v]:
                    line[index[(v, part)]] = 1.0
            matrix.append(line)
    if not matrix:
        return set()
    a = np.array(matrix)
    rank = np.linalg.matrix_rank(a)
    people = sorted({v[0] for v, _ in columns})
    out = set()
    for size in range(1, min(k - 1, len(people)) + 1):
        for group in itertools.combinations(people, size):
            if any(found <= set(group) for found in out):
                continue  # only the least sets: a superset of an exposed set is exposed too
            keep = [j for (v, _), j in index.items() if v[0] not in group]
            if np.linalg.matrix_rank(a[:, keep]) < rank:
                out.add(frozenset(group))
    return out


def _attack():
    """Release 1: four, three answered every part, one not c. Release 2: the target (4)
    answered every part, two newcomers not c. Both times c is blanked (the family plan's
    'unlike >= k' branch) and the mean and a, b shown."""
    full, partial = frozenset(PARTS), frozenset({"a", "b"})
    made_of = {(i, "d1"): full for i in range(3)} | {(3, "d1"): partial, (4, "d1"): full}
    made_of |= {(5, "d1"): partial, (6, "d1"): partial}
    first = frozenset((i, "d1") for i in range(4))
    second = first | {(4, "d1"), (5, "d1"), (6, "d1")}
    return made_of, first, second


def test_the_red_teams_attack_in_miniature_is_found_and_blanked():
    made_of, first, second = _attack()
    weights = weights_of(made_of)
    before = [Shown(first, True, frozenset({"a", "b"}))]
    now = {"team:1": Shown(second, True, frozenset({"a", "b"}))}
    assert exposed([*now.values(), *before], made_of, 3) == {frozenset({4})}
    assert exposed_people([*now.values(), *before], weights, frozenset(), 3) == {4}
    # A practice mean is kept before its items (keep_whole); other constructs the opposite.
    assert more_blanks(now, before, weights, True, 3) == {"team:1": "parts"}
    assert more_blanks(now, before, weights, False, 3) == {"team:1": "whole"}
    assert not exposed([Shown(second, True, frozenset()), *before], made_of, 3)


def test_everyone_made_of_the_same_parts_needs_no_blank():
    made_of = {(i, "d1"): frozenset(PARTS) for i in range(6)}
    first = frozenset((i, "d1") for i in range(3))
    now = {"team:1": Shown(first | {(3, "d1"), (4, "d1"), (5, "d1")}, True, frozenset(PARTS))}
    assert (
        more_blanks(now, [Shown(first, True, frozenset(PARTS))], weights_of(made_of), True, 3) == {}
    )


@st.composite
def blocks(draw):
    """A unit and one filter cell over up to 8 people, in two releases: some people answer
    again (a new version), some are new; each version's mean is made of a random set of
    parts, and each row shows the mean and some parts."""
    k = draw(st.sampled_from([2, 3, 4]))
    n = draw(st.integers(2, 8))
    subsets = [frozenset(s) for r in (1, 2, 3) for s in itertools.combinations(PARTS, r)]
    made_of = {(i, "d1"): draw(st.sampled_from(subsets)) for i in range(n)}
    again = draw(st.sets(st.integers(0, n - 1)))
    made_of |= {(i, "d2"): draw(st.sampled_from(subsets)) for i in again}
    new = draw(st.integers(0, 3))
    made_of |= {(n + j, "d1"): draw(st.sampled_from(subsets)) for j in range(new)}
    first = frozenset((i, "d1") for i in range(n))
    second = frozenset((i, "d2" if i in again else "d1") for i in range(n + new))
    cell_of = draw(st.lists(st.booleans(), min_size=n + new, max_size=n + new))

    def shown(row, parts):
        return Shown(row, draw(st.booleans()), frozenset(parts))

    before = [shown(first, draw(st.sets(st.sampled_from(PARTS))))]
    before.append(Shown(frozenset(v for v in first if cell_of[v[0]]), True, frozenset()))
    now = {
        "team:1": shown(second, draw(st.sets(st.sampled_from(PARTS)))),
        "team:1|role=pm": Shown(frozenset(v for v in second if cell_of[v[0]]), True, frozenset()),
    }
    return k, made_of, before, now, draw(st.booleans())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks())
def test_after_the_blanks_nobody_new_is_singled_out(case):
    """Where the groups themselves single nobody out (as the release plan keeps them), a
    mean beside its items, this release and the last, single nobody out either."""
    k, made_of, before, now, keep_whole = case
    groups = [Shown(s.row, True, frozenset()) for s in (*before, *now.values())]
    assume(not exposed(groups, dict.fromkeys(made_of, frozenset("x")), k))
    extra = more_blanks(now, before, weights_of(made_of), keep_whole, k)
    after = dict(now)
    for key, what in extra.items():
        s = after[key]
        whole = s.whole and what == "parts"
        parts = s.parts if what == "whole" else frozenset()
        after[key] = Shown(s.row, whole, parts)
    known = set().union(*exposed(before, made_of, k)) if before else set()
    found = exposed([*after.values(), *before], made_of, k)
    assert all(s & known for s in found), (found, known, extra)


@st.composite
def three_releases(draw):
    """One unit over three releases: two newcomers each time, some people answering again;
    each release shows the mean and some parts."""
    k = draw(st.sampled_from([2, 3]))
    n = draw(st.integers(2, 6))
    subsets = [frozenset(s) for r in (1, 2, 3) for s in itertools.combinations(PARTS, r)]
    made_of: dict = {}
    current: dict = {}
    rows = []
    for release in range(3):
        for i in range(n + 2 * release):
            if i not in current or draw(st.booleans()):
                current[i] = (i, f"d{release}")
                made_of[current[i]] = draw(st.sampled_from(subsets))
        rows.append(frozenset(current[i] for i in range(n + 2 * release)))
    shown = [Shown(r, True, frozenset(draw(st.sets(st.sampled_from(PARTS))))) for r in rows]
    return k, made_of, shown, draw(st.booleans())


def _apply(shown: Shown, what: str | None) -> Shown:
    whole = shown.whole and what not in ("whole", "both")
    return Shown(shown.row, whole, frozenset() if what in ("parts", "both") else shown.parts)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(three_releases())
def test_the_release_before_last_counts_too(case):
    """Each release audited against every earlier one (as `weighted_blanks` gives them):
    the first and the third together single nobody out beyond what was known."""
    k, made_of, (first, second, third), keep_whole = case
    groups = [Shown(s.row, True, frozenset()) for s in (first, second, third)]
    assume(not exposed(groups, dict.fromkeys(made_of, frozenset("x")), k))
    weights = weights_of(made_of)
    second = _apply(second, more_blanks({"u": second}, [first], weights, keep_whole, k).get("u"))
    third = _apply(
        third, more_blanks({"u": third}, [second, first], weights, keep_whole, k).get("u")
    )
    earlier = exposed([first, second], made_of, k)
    known = set().union(*earlier) if earlier else set()
    assert all(s & known for s in exposed([first, second, third], made_of, k))
