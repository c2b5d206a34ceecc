"""Where a response's words may be shown: each version's *home*, kept for the whole cycle. Pure.

Numbers are safe when no combination of released sums isolates anyone (disclosure.py). Words
are not numbers: a quote or an action's text is the same string wherever it appears, so an
attacker can intersect the lists it appears in. A text in the pool's list of one release and
in a team's list of the next is from a person in both: in a team that was pooled and is now
shown, the one who answered before it was shown. So every version's texts get one home, the
released unit (a team, or the pool) in which they were first shown, and keep it:

- a version is given a home only together with at least k people of its unit who get one in
  the same release (in the first release, every unit as a whole; later, k newcomers or more);
  the others wait, unquoted, for a later release;
- a team's page quotes only the texts whose home is that team; the organisation's page quotes
  every text with a home; the review queue names a text's team only where its home is that
  team (a text whose home is the pool stays "a team below the anonymity threshold");
- a home is kept while the version is included, even where its unit is no longer shown (a
  pool too small now, a team regrouped), so a text does not vanish with a small group.

So the people a text can be narrowed down to are those who got the same home in the same
release: at least k. (A version that is withdrawn takes its texts with it: someone who knows
who withdrew an answer can tell which quote went. The author had allowed it to be quoted.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .disclosure import POOL, Row, Version, persons

Home = str  # a unit key: "team:<id>" or POOL


def plan_homes(
    prior: Mapping[Version, Home],
    included: Iterable[Version],
    units: Mapping[str, Row],
    k: int,
    same_texts: Mapping[Version, Version] = MappingProxyType({}),
) -> dict[Version, Home]:
    """The homes of the versions `included` now: each kept from `prior`, or, for a version
    without one, the unit it is in, where at least k people of that unit get a home now.
    `same_texts`: a new version whose texts are its earlier version's word for word (a
    reviewer's label changed) keeps that version's home: the strings have not moved."""
    now = set(included)
    homes = {v: home for v, home in prior.items() if v in now}
    homes |= {
        v: prior[old]
        for v, old in same_texts.items()
        if v in now and v not in homes and old in prior
    }
    for key in sorted(units):
        newcomers = [v for v in units[key] if v not in homes]
        if persons(newcomers) >= k:
            homes.update(dict.fromkeys(newcomers, key))
    return homes


def homes_shown_before(last: Mapping[str, Row]) -> dict[Version, Home]:
    """The homes a release stored before homes were kept: the unit each version was shown
    in, as its texts were then."""
    return {v: key for key, row in last.items() if key == POOL or is_team(key) for v in row}


def is_team(key: str) -> bool:
    """A team's own key, not one of its filter cells ("team:<id>|role=pm")."""
    return key.startswith("team:") and "|" not in key


def encode(homes: Mapping[Version, Home]) -> dict[str, Home]:
    return {f"{rid}:{digest}": home for (rid, digest), home in sorted(homes.items())}


def decode(data: Mapping[str, Home]) -> dict[Version, Home]:
    out: dict[Version, Home] = {}
    for key, home in data.items():
        rid, digest = key.split(":", 1)
        out[(int(rid), digest)] = home
    return out
