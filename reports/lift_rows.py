"""Disclosure control for the enabler-lift table, whose groups depend on answers. Pure.

A lift cell (enabler e, practice p) shows counts over two groups of the organisation's
released people: those who report e and have a score on p (W) and those who do not report
e (L). Neither is a released group nor a sum of them, so reports/disclosure.py's audit does
not cover them. An attacker assumed to know who is in each (as the family audit assumes)
could take one release's W from the last one's, or the practice's organisation count
(released through the item's counts) minus W and L. So a cell is shown only when:

- W and L each hold at least k people;
- the people with a score on p but none on e (Rp), and those with a score on e but none on
  p (Re), number 0 or at least k (else p's total minus the cell, or e's prevalence minus
  it, is theirs);
- each of W, L, Rp and Re moved by 0 or at least k people since the cell was last shown.

Otherwise the cell is withheld, its counts too, and the rows it last showed are carried on
to the next release, which compares with them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assessments import lift
from assessments.instrument.types import ENABLERS, Instrument

from .dashboards import Entry
from .disclosure import Row, Version, persons, safe_change

PARTS = ("W", "L", "Rp", "Re")


@dataclass(frozen=True)
class LiftRows:
    """The rows every lift cell last showed, by "enabler|practice|part"."""

    last: Mapping[str, Row] = field(default_factory=dict)


@dataclass(frozen=True)
class LiftPlan:
    withheld: frozenset[tuple[str, str]]  # (enabler, practice item) withheld for anonymity
    state: LiftRows  # what the next release compares with


def name(enabler: str, practice: str, part: str) -> str:
    return f"{enabler}|{practice}|{part}"


def cell_rows(
    instrument: Instrument,
    counted: Sequence[Entry],
    reports: Sequence[lift.Reports] | None = None,
) -> dict[tuple[str, str], dict[str, Row]]:
    """Each cell's W, L, Rp and Re over the organisation page's people (already blanked
    where a family is blanked, so a unit that hides e or p is in none of them); `reports`:
    their `lift.respondent_reports`, when the caller has them."""
    if reports is None:
        reports = lift.respondent_reports(instrument, [(e.score, e.answers) for e in counted])
    versions: list[Version] = [(e.rid, e.digest) for e in counted]
    keys = [i.key for i in lift.practice_items(instrument)]
    # Who is scored on each practice item, and who reports each enabler, once each.
    scored = {
        key: {v for v, r in zip(versions, reports, strict=True) if r.practices.get(key) is not None}
        for key in keys
    }
    out: dict[tuple[str, str], dict[str, Row]] = {}
    for enabler in ENABLERS:
        said = {v: r.enablers.get(enabler) for v, r in zip(versions, reports, strict=True)}
        high = {v for v, e in said.items() if e is True}
        low = {v for v, e in said.items() if e is False}
        for key in keys:
            out[(enabler, key)] = {
                "W": frozenset(high & scored[key]),
                "L": frozenset(low & scored[key]),
                "Rp": frozenset(scored[key] - high - low),
                "Re": frozenset((high | low) - scored[key]),
            }
    return out


def plan_lift(
    rows: Mapping[tuple[str, str], Mapping[str, Row]], prior: LiftRows, k: int
) -> LiftPlan:
    withheld = set()
    last = dict(prior.last)
    for (enabler, practice), parts in rows.items():
        sizes_ok = persons(parts["W"]) >= k and persons(parts["L"]) >= k
        rests_ok = all(persons(parts[p]) == 0 or persons(parts[p]) >= k for p in ("Rp", "Re"))
        moves_ok = all(
            safe_change(prior.last.get(name(enabler, practice, p)), parts[p], k) for p in PARTS
        )
        if sizes_ok and rests_ok and moves_ok:
            last |= {name(enabler, practice, p): parts[p] for p in PARTS}
        else:
            withheld.add((enabler, practice))
    return LiftPlan(frozenset(withheld), LiftRows(last))
