"""Statistics over answer-dependent subsets ("families") as an attacker sees them.

A construct mean is taken over the people with a score on it; someone who said "don't know"
to all its items is known to add nothing. So for each family the attacker's rows are the
released groups minus the people outside the family, and they know who those are. These
tests check, independently of reports/disclosure.py's own audit, that no sequence of
releases lets such rows isolate a person, and that the pages are built over those rows.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.disclosure import (
    POOL,
    Person,
    Plan,
    Prior,
    cell_key,
    plan_families,
    plan_release,
    team_key,
)
from tests.reports.exposure import DIMS, exposed, scenario

FAMILIES = ("c:a", "c:b", "i:x")


def family_rows(plan: Plan, hidden: dict[str, frozenset[str]], family: str, out: set) -> list:
    """Every row of `family` the pages show: units and cells that show it, and the
    organisation-wide sums, which are taken over those units (or cells) only."""
    rows = []
    shown_units = []
    for key, row in plan.unit_rows().items():
        if family not in hidden.get(key, frozenset()):
            shown_units.append(row - out)
    rows += shown_units
    if shown_units:
        rows.append(frozenset().union(*shown_units))
    for dim in DIMS:
        for value in {v for (_, d, v) in plan.cells if d == dim}:
            shown = [
                row - out
                for unit, row in plan.cell_units(dim, value).items()
                if family not in hidden.get(cell_key(unit, dim, value), frozenset())
            ]
            rows += shown
            if shown:
                rows.append(frozenset().union(*shown))
    return [r for r in rows if r]


def play(k, teams, events, outside_of):
    """Play the releases; `outside_of(idx, digest)` gives a version's families it is not in."""
    current: dict[int, Person] = {}
    digests: dict[int, int] = {}
    missing: dict = {}
    prior = Prior()
    out = []
    for batch in events:
        for action, idx in batch:
            team, role, stage = teams[idx]
            if action == "submit":
                digests[idx] = digests.get(idx, 0) + 1
                person = Person(idx, f"d{digests[idx]}", team, {"role": role, "stage": stage})
                current[idx] = person
                missing[person.version] = outside_of(idx, person.digest)
            else:
                current.pop(idx, None)
        plan = plan_release(prior, current, k, DIMS)
        fam = plan_families(plan, prior, {v: f for v, f in missing.items() if f}, k)
        out.append((plan, fam, dict(missing)))
        prior = Prior(plan.people, plan.last, plan.rows, fam.shown, fam.hidden)
    return out


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario(), st.data())
def test_no_person_is_exposed_through_a_family(case, data):
    k, teams, events = case
    rate = data.draw(st.sampled_from([0.1, 0.3, 0.6]))
    choices: dict = {}

    def outside_of(idx, digest):
        if (idx, digest) not in choices:
            choices[(idx, digest)] = frozenset(
                f for f in FAMILIES if data.draw(st.floats(0, 1)) < rate
            )
        return choices[(idx, digest)]

    releases = play(k, teams, events, outside_of)
    for family in FAMILIES:
        seen: list = []
        for plan, fam, missing in releases:
            out = {v for v, f in missing.items() if family in f}
            rows = family_rows(plan, fam.hidden_by_key, family, out)
            assert all(len({rid for rid, _ in r}) >= k for r in rows), family
            seen += rows
            assert not exposed(seen), f"{family} exposes someone"


def _people(spec):
    return {i: Person(i, "d1", team, {"role": role, "stage": ""}) for i, (team, role) in spec}


def test_one_scored_newcomer_among_k_is_not_shown_alone():
    """Three people, all scored; three more, two of them 'don't know' on construct a: the
    team's n rises by k, its scored n by one. The mean of a stays as it was released."""
    first = _people(enumerate([(1, "pm")] * 3))
    plan1 = plan_release(Prior(), first, 3)
    fam1 = plan_families(plan1, Prior(), {}, 3)
    assert not fam1.hidden_by_key
    second = first | _people([(3, (1, "pm")), (4, (1, "pm")), (5, (1, "pm"))])
    prior = Prior(plan1.people, plan1.last, plan1.rows, fam1.shown, fam1.hidden)
    plan2 = plan_release(prior, second, 3)
    assert len(plan2.teams[1]) == 6  # the team itself moves by k
    missing = {(3, "d1"): frozenset({"c:a"}), (4, "d1"): frozenset({"c:a"})}
    fam2 = plan_families(plan2, prior, missing, 3)
    assert fam2.hidden_by_key[team_key(1)] == {"c:a"}
    # Two more scored people later: the scored set has moved by 3 from what was last shown.
    third = second | _people([(6, (1, "pm")), (7, (1, "pm"))])
    prior = Prior(plan2.people, plan2.last, plan2.rows, fam2.shown, fam2.hidden)
    plan3 = plan_release(prior, third, 3)
    assert len(plan3.teams[1]) == 6  # two newcomers are fewer than k: held back
    plan3b = plan_release(prior, third | _people([(8, (1, "pm"))]), 3)
    assert len(plan3b.teams[1]) == 9
    fam3 = plan_families(plan3b, prior, missing, 3)
    assert "c:a" not in fam3.hidden_by_key.get(team_key(1), frozenset())


def test_the_rest_of_a_team_with_one_scored_person_blanks_the_cells():
    """Six people: three engineers, three others of whom two said 'don't know'. The team's
    mean minus the engineers' would be one person's score: the cell blanks the construct."""
    spec = [(1, "eng")] * 3 + [(1, "pm")] * 3
    people = _people(enumerate(spec))
    plan = plan_release(Prior(), people, 3, ("role",))
    assert ("team:1", "role", "eng") in plan.cells
    fam = plan_families(
        plan, Prior(), {(4, "d1"): frozenset({"c:a"}), (5, "d1"): frozenset({"c:a"})}, 3
    )
    assert "c:a" in fam.hidden_by_key[cell_key("team:1", "role", "eng")]
    assert "c:a" not in fam.hidden_by_key.get(team_key(1), frozenset())


def test_a_unit_too_small_in_a_family_drops_out_of_the_pool_and_organisation_sums():
    people = _people(enumerate([(1, "pm")] * 3 + [(2, "pm")] * 4))
    plan = plan_release(Prior(), people, 3)
    missing = {(0, "d1"): frozenset({"i:x"}), (1, "d1"): frozenset({"i:x"})}
    fam = plan_families(plan, Prior(), missing, 3)
    assert fam.hidden_by_key == {team_key(1): frozenset({"i:x"})}
    assert POOL not in fam.hidden_by_key
    # What the next release must remember: team 1's row never showed item x.
    index = {row: i for i, row in enumerate(plan.rows)}
    assert fam.hidden["i:x"] == {index[plan.teams[1]]}
