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

Those rules look at one cell at a time. An attacker combines cells: with_k(leadership, p)
minus with_k(principles, p) is one person's answer to p when the two cells' W differ by
that person. So the cells of one practice that pass the rules are then audited together
(reports/signed_audit.py): each with_k and without_k is a sum of p's answers over W or L,
and with the released units' and the organisation's counts of p (their people scored on p)
and the rows shown by earlier releases, no signed combination may live on fewer than k
people. Where one would, the practice's smallest cells are withheld until none does.

Whether someone reports e is an answer too, and every cell counts it: with_n(e, p) is how
many of p's scored people (W + L) report e. Two practices whose scored people differ by one
person (a "don't know" to one of them) give that person's answer by subtraction. So the
cells of one enabler that are left are audited together across practices, with the
organisation pages' prevalence of e (each over its people scored on e) and what earlier
releases showed of both; the cells whose scored people are the widest are kept first.

Otherwise the cell is withheld, its counts too, and the rows it last showed are carried on
to the next release, which compares with them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType

from assessments import lift
from assessments.instrument.types import ENABLERS, Instrument

from .dashboards import Entry
from .disclosure import Row, Version, persons, safe_change
from .signed_audit import DenseRows, signed_exposed

PARTS = ("W", "L", "Rp", "Re")
PAGE = "R"  # "enabler|page|R": whom a page's prevalence of the enabler was over
HISTORY = "~"  # "<n>~name": a row an earlier release showed


@dataclass(frozen=True)
class LiftRows:
    """The rows every lift cell last showed, by "enabler|practice|part", and whom each
    page's prevalence of each enabler was last over, by "enabler|page|R"; `earlier`: every
    other row an earlier release showed, by "<n>~enabler|practice|part" (n tells releases
    apart, so a cell's W and L of one release pair up)."""

    last: Mapping[str, Row] = field(default_factory=dict)
    earlier: Mapping[str, Row] = field(default_factory=dict)

    @classmethod
    def from_named(cls, rows: Mapping[str, Row]) -> LiftRows:
        """From the stored form (`named`); rows stored before `earlier` was kept are last."""
        return cls(
            {k: r for k, r in rows.items() if HISTORY not in k},
            {k: r for k, r in rows.items() if HISTORY in k},
        )

    def named(self) -> dict[str, Row]:
        return {**self.last, **self.earlier}

    @functools.cached_property
    def every(self) -> tuple[tuple[str, Row], ...]:
        """(name without the release, row) of every row shown, the last ones too (read once
        per practice and enabler, so kept)."""
        out = [(k.split(HISTORY, 1)[1], r) for k, r in sorted(self.earlier.items())]
        return (*out, *sorted(self.last.items()))

    def after(self, shown: Mapping[str, Row]) -> LiftRows:
        """The state after a release that showed `shown` (new last rows): the rows they
        replace move to `earlier`."""
        n = 1 + max((int(k.split(HISTORY, 1)[0]) for k in self.earlier), default=0)
        earlier = dict(self.earlier)
        # A cell (or page row) any of whose parts changed keeps all its old parts together.
        moved = {k.rsplit("|", 1)[0] for k, r in self.last.items() if k in shown and shown[k] != r}
        for name_, row in sorted(self.last.items()):
            if name_.rsplit("|", 1)[0] in moved:
                earlier[f"{n}{HISTORY}{name_}"] = row
        return LiftRows({**self.last, **shown}, earlier)


@dataclass(frozen=True)
class LiftPlan:
    withheld: frozenset[tuple[str, str]]  # (enabler, practice item) withheld for anonymity
    state: LiftRows  # what the next release compares with
    # (enabler, page key): a page's share reporting the enabler, withheld for anonymity
    prevalence_withheld: frozenset[tuple[str, str]] = frozenset()


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


def scored_practices(instrument: Instrument, entries: Sequence[Entry]) -> dict[str, Row]:
    """The versions with a score on each practice item (for the last release's entries: whom
    its units' counts of the practice were over)."""
    reports = lift.respondent_reports(instrument, [(e.score, e.answers) for e in entries])
    return {
        item.key: frozenset(
            (e.rid, e.digest)
            for e, r in zip(entries, reports, strict=True)
            if r.practices.get(item.key) is not None
        )
        for item in lift.practice_items(instrument)
    }


def plan_lift(
    rows: Mapping[tuple[str, str], Mapping[str, Row]],
    prior: LiftRows,
    k: int,
    units: Sequence[Row] = (),
    scored_before: Mapping[str, Row] = MappingProxyType({}),
    prevalence: Mapping[str, Mapping[str, Row]] = MappingProxyType({}),
) -> LiftPlan:
    """Which cells the release withholds. `units` are the people of every unit (team or
    pool) whose counts of each practice a release showed, this one's and earlier ones';
    `scored_before` the earlier releases' people with a score on each practice; `prevalence`,
    by enabler and page (the one that matters most first), the people over whom the page
    counts who reports the enabler."""
    withheld = set()
    passed: dict[str, list[str]] = {}
    for (enabler, practice), parts in rows.items():
        sizes_ok = persons(parts["W"]) >= k and persons(parts["L"]) >= k
        rests_ok = all(persons(parts[p]) == 0 or persons(parts[p]) >= k for p in ("Rp", "Re"))
        moves_ok = all(
            safe_change(prior.last.get(name(enabler, practice, p)), parts[p], k) for p in PARTS
        )
        if sizes_ok and rests_ok and moves_ok:
            passed.setdefault(practice, []).append(enabler)
        else:
            withheld.add((enabler, practice))
    shown: dict[str, list[str]] = {}
    for practice, enablers in passed.items():
        kept = _audited(practice, enablers, rows, prior, units, scored_before, k)
        withheld |= {(e, practice) for e in enablers if e not in kept}
        for enabler in kept:
            shown.setdefault(enabler, []).append(practice)
    pages_withheld: set[tuple[str, str]] = set()
    for enabler in sorted(set(shown) | set(prevalence)):
        practices = shown.get(enabler, [])
        pages = prevalence.get(enabler, {})
        kept, kept_pages = _enabler_audited(enabler, practices, rows, prior, pages, k)
        withheld |= {(enabler, p) for p in practices if p not in kept}
        pages_withheld |= {(enabler, page) for page in pages if page not in kept_pages}
    shown_now = {
        name(enabler, practice, p): parts[p]
        for (enabler, practice), parts in rows.items()
        if (enabler, practice) not in withheld
        for p in PARTS
    }
    for enabler, pages in prevalence.items():
        shown_now |= {
            name(enabler, page, PAGE): row
            for page, row in pages.items()
            if (enabler, page) not in pages_withheld
        }
    return LiftPlan(frozenset(withheld), prior.after(shown_now), frozenset(pages_withheld))


def _enabler_audited(
    enabler: str,
    practices: Sequence[str],
    rows: Mapping[tuple[str, str], Mapping[str, Row]],
    prior: LiftRows,
    pages: Mapping[str, Row],
    k: int,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The practices whose cells of `enabler`, and the pages whose share reporting it, can
    be shown together. A cell's with_n is how many of W + L report the enabler, so across
    practices (and pages' prevalence, and what earlier releases showed) the enabler is an
    answer summed over each practice's scored people: two practices whose scored people
    differ by one person give that person's answer. Greedy: the pages first, in the order
    given (the organisation's before the filtered ones), then the cells, the widest first;
    each is kept when no signed combination of what is kept then lives on fewer than k
    people."""
    fixed = [
        row
        for key, row in prior.every
        if key.startswith(f"{enabler}|") and key.endswith(f"|{PAGE}")
    ]
    fixed += _scored_rows(enabler, prior)
    page_keys = list(pages)
    candidates = sorted(
        practices,
        key=lambda p: (-persons(rows[(enabler, p)]["W"] | rows[(enabler, p)]["L"]), p),
    )
    scored = [rows[(enabler, p)]["W"] | rows[(enabler, p)]["L"] for p in candidates]
    dense = DenseRows(fixed + [pages[p] for p in page_keys] + scored)
    chosen = list(range(len(fixed)))
    known: frozenset[Version] = frozenset()
    while found := dense.exposed(chosen, k, known):  # what earlier releases gave away
        known = known.union(*found)
    kept: list[str] = []
    for i, item in enumerate([*page_keys, *candidates], start=len(fixed)):
        if not dense.exposed([*chosen, i], k, known):
            chosen.append(i)
            kept.append(item)
    return (
        tuple(p for p in candidates if p in kept),
        tuple(p for p in page_keys if p in kept),
    )


def _audited(
    practice: str,
    enablers: Sequence[str],
    rows: Mapping[tuple[str, str], Mapping[str, Row]],
    prior: LiftRows,
    units: Sequence[Row],
    scored_before: Mapping[str, Row],
    k: int,
) -> tuple[str, ...]:
    """The most of `enablers`' cells on `practice` that can be shown together: the fewest
    withheld, the smallest first (by their smaller group, then enabler order)."""
    scored: Row = frozenset().union(
        *(rows[(e, p)][part] for (e, p) in rows if p == practice for part in ("W", "L", "Rp"))
    )
    # What the attacker has anyway: each unit's and the organisation's count of the
    # practice, and every row an earlier release showed of it (W + L + Rp is p's total then).
    ever = scored | scored_before.get(practice, frozenset())
    fixed = [u & ever for u in units] + [scored]
    fixed += [
        row
        for key, row in prior.every
        if key.split("|")[1] == practice and key.split("|")[2] in ("W", "L", "Rp")
    ]
    lost = _already_exposed(fixed, k)

    def smallness(kept: tuple[str, ...]) -> tuple[int, list[int]]:
        dropped = [e for e in enablers if e not in kept]
        sizes = sorted(
            min(persons(rows[(e, practice)]["W"]), persons(rows[(e, practice)]["L"]))
            for e in dropped
        )
        return sum(sizes), [enablers.index(e) for e in dropped]

    for size in range(len(enablers), 0, -1):
        for kept in sorted(combinations(enablers, size), key=smallness):
            shown = [rows[(e, practice)][part] for e in kept for part in ("W", "L")]
            if not signed_exposed([r - lost for r in fixed + shown], k):
                return kept
    return ()


def _scored_rows(enabler: str, prior: LiftRows) -> list[Row]:
    """W + L of every cell of `enabler` a release showed (the people its with_n counted
    the enabler over), pairing each release's W with its L."""
    parts: dict[tuple[str, str], dict[str, Row]] = {}
    for key, row in prior.last.items():
        e, practice, part = key.split("|")
        if e == enabler and part in ("W", "L"):
            parts.setdefault(("", practice), {})[part] = row
    for key, row in prior.earlier.items():
        n, rest = key.split(HISTORY, 1)
        e, practice, part = rest.split("|")
        if e == enabler and part in ("W", "L"):
            parts.setdefault((n, practice), {})[part] = row
    return [p["W"] | p["L"] for _, p in sorted(parts.items()) if "W" in p and "L" in p]


def _already_exposed(rows: Sequence[Row], k: int) -> frozenset[Version]:
    """Versions earlier releases already let an attacker single out (shown before this
    audit, or under a lower threshold): taken as known, so only new exposures count."""
    lost: frozenset[Version] = frozenset()
    while found := signed_exposed([r - lost for r in rows], k):
        lost = lost.union(*found)
    return lost
