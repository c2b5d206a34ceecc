"""What a release holds of each included response (`Entry`: scores, filter values, free
text, no author), the teams and units it shows, the families disclosure control blanks
(reports/disclosure.py), and the dashboards' filters."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from assessments.instrument.types import CONSTRUCTS, Answers, Instrument
from assessments.scoring.response import ResponseScore
from assessments.vocabulary import VOCABULARY

POOL_LABEL = "Other teams (pooled)"


# Filters offered on the organisation dashboard, one at a time: URL parameter -> segment.
FILTERS: dict[str, str] = {param: f.segment for param, f in VOCABULARY.filters.items()}


CATEGORY_LABELS: dict[str, str] = dict(VOCABULARY.practice_categories)


KIND_LABELS = {
    "individual": "Individual",
    "collective": "Collective",
    "none": "Not an action",
    "in_review": "In review",
}


@dataclass(frozen=True)
class TeamInfo:
    id: int
    name: str
    slug: str
    size: int


@dataclass(frozen=True)
class Text:
    """A free-text answer as a release holds it."""

    item_key: str
    text: str
    may_quote: bool
    kind: str | None = (
        None  # final label of an action ("in_review" while pending); None: not an action item
    )


@dataclass(frozen=True)
class Entry:
    """One included response version: its scores, filter values and free text. No author."""

    rid: int
    digest: str
    team: int
    score: ResponseScore
    segments: Mapping[str, str]  # filter parameter -> value
    texts: tuple[Text, ...] = ()
    # The scores as stored (Response.scores), when read from the database: stored again as
    # they are, rather than written out afresh from `score`.
    stored: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def answers(self) -> Answers:
        return self._answers

    # Computed once per entry: a release reads them for the team, the organisation and the
    # filter cells it belongs to.
    @cached_property
    def _answers(self) -> Answers:
        return self.score.answers()

    @property
    def shown(self) -> frozenset[str]:
        """The items this response's author was shown (see ResponseScore.shown_keys)."""
        return self.score.shown_keys()

    @cached_property
    def item_scores(self) -> dict[tuple[str, str], float | None]:
        """(construct, item key) -> the item's score in this response."""
        return {
            (construct, c.item_key): c.score
            for construct, s in self.score.constructs.items()
            for c in s.items
        }


CONSTRUCT_FAMILY = "c:"


def construct_family(key: str) -> str:
    return f"{CONSTRUCT_FAMILY}{key}"


def constructs_of(families: Iterable[str]) -> frozenset[str]:
    """The construct keys among `families`."""
    return frozenset(
        f.removeprefix(CONSTRUCT_FAMILY) for f in families if f.startswith(CONSTRUCT_FAMILY)
    )


def item_family(key: str) -> str:
    return f"i:{key}"


def families_outside(instrument: Instrument, score: ResponseScore) -> frozenset[str]:
    """The families (see reports/disclosure.py) a response is not in: constructs it has no
    score on, and scored items it gave no scored answer to in their own construct ("don't
    know", or not shown)."""
    scored = {
        (key, c.item_key)
        for key, cs in score.constructs.items()
        for c in cs.items
        if c.score is not None
    }
    return frozenset(
        [construct_family(key) for key, c in score.constructs.items() if c.score is None]
        + [
            item_family(i.key)
            for i in instrument.items
            if i.construct and (i.construct, i.key) not in scored
        ]
    )


def construct_parts(instrument: Instrument) -> dict[str, tuple[list[str], list[str], bool]]:
    """Each construct family's item families; the items whose absence changes its weights
    (its own, and those whose "don't know" counts towards it, instrument v2); and whether
    its mean is kept before its items where one must go: the two practice means make a
    team's recoupling profile, the other constructs' items make the drilldown, the
    governance chain and the real test."""
    own: dict[str, list[str]] = {}
    for i in instrument.items:
        if i.construct:
            own.setdefault(i.construct, []).append(item_family(i.key))
    out = {}
    for key, items in own.items():
        feeding = [
            f
            for source, rule in instrument.dont_know.items()
            if rule.counts_towards == key and source != key
            for f in own.get(source, [])
        ]
        keep_whole = CONSTRUCTS[key]["family"] == "practice"
        out[construct_family(key)] = (items, [*items, *feeding], keep_whole)
    return out


def filtered_page_items(instrument: Instrument) -> frozenset[str]:
    """The item families a filtered organisation page shows by item (the governance layers
    and the real test); every other construct shows there as its mean only."""
    return frozenset(item_family(i.key) for i in instrument.items if i.layer or i.real_test)


def part_weights(score: ResponseScore, whole: str) -> dict[str, float]:
    """A response's weight on each item family of a construct family, as its mean takes
    them (item weight over the weights of every scored contribution, "don't know" fed in
    from elsewhere too); none where it has no score on the construct."""
    construct = score.constructs[whole.removeprefix(CONSTRUCT_FAMILY)]
    scored = [c for c in construct.items if c.score is not None]
    total = sum(c.weight for c in scored)
    if not total:
        return {}
    return {item_family(c.item_key): c.weight / total for c in scored if c.status == "scored"}


def without_families(entry: Entry, families: frozenset[str]) -> Entry:
    """The entry as a group that blanks `families` counts it: no score on those constructs,
    no answer to those items, so every sum over the group leaves them out."""
    if not families:
        return entry
    constructs = {}
    for key, c in entry.score.constructs.items():
        items = tuple(i for i in c.items if item_family(i.item_key) not in families)
        score = None if construct_family(key) in families else c.score
        constructs[key] = (
            c
            if (score, len(items)) == (c.score, len(c.items))
            else replace(c, score=score, items=items)
        )
    return replace(entry, score=replace(entry.score, constructs=constructs), stored=None)


def filter_options(instrument: Instrument) -> dict[str, list[tuple[str, str]]]:
    """Choices for each dashboard filter, from the instrument's segment items."""
    by_segment = {i.segment: i for i in instrument.items if i.segment}
    return {
        param: [(o.value, o.label) for o in by_segment[segment].options]
        for param, segment in FILTERS.items()
        if segment in by_segment
    }


def filter_groups(instrument: Instrument) -> list[tuple[str, list[tuple[str, str]]]]:
    """The "Show only" list: each offered filter's heading and its ("param:value", label)."""
    return [
        (VOCABULARY.filters[param].label, [(f"{param}:{value}", label) for value, label in options])
        for param, options in filter_options(instrument).items()
    ]


def clean_filters(instrument: Instrument, raw: Mapping[str, str]) -> dict[str, str]:
    """At most one known filter with a known value (the first given); the rest is ignored.

    Combining filters would release intersections small enough to single people out, so
    the dashboards offer one dimension at a time."""
    options = filter_options(instrument)
    for param in options:
        if raw.get(param) and raw[param] in {v for v, _ in options[param]}:
            return {param: raw[param]}
    return {}


@dataclass(frozen=True)
class Unit:
    """A released unit of the organisation view: a team or the pool, with its people."""

    key: str
    name: str
    slug: str
    members: tuple[Entry, ...]
