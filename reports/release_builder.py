"""Building a release: the responses it includes and every page it holds. Pure.

Input: the responses submitted now, what the previous release included (as stored then),
teams, the threshold. `reports/disclosure.py` decides which changes the release takes and
which groups it shows; `reports/dashboards/` computes each page over exactly those groups.
The result is JSON-ready, so dashboards, exports and PDFs read one stored snapshot.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from assessments import lift
from assessments.instrument.types import ENABLERS, Instrument
from assessments.recommend.rules import Rule

from . import dashboards
from .dashboards import POOL_LABEL, Entry, TeamInfo, Unit
from .disclosure import (
    POOL,
    FamilyPlan,
    Person,
    Plan,
    Prior,
    Row,
    Version,
    cell_key,
    is_cell,
    plan_families,
    plan_regrouping,
    plan_release,
)
from .lift_rows import LiftPlan, LiftRows, cell_rows, plan_lift, scored_practices
from .text_homes import Home, homes_shown_before, plan_homes

Means = Mapping[str, float | None]
ORG_PAGE = "org"


def org_page_key(filters: Mapping[str, str]) -> str:
    """The stored page for the organisation under at most one filter."""
    return ORG_PAGE + "".join(f"?{p}={v}" for p, v in sorted(filters.items())[:1])


@dataclass(frozen=True)
class ReleaseInput:
    instrument: Instrument
    rules: Sequence[Rule]
    teams: Mapping[int, TeamInfo]
    threshold: int
    current: Mapping[int, Entry]  # every submitted response now, by response id
    prior: Prior = field(default_factory=Prior)
    prior_entries: Mapping[int, Entry] = field(default_factory=dict)  # as last released
    # Versions shown by earlier releases and since replaced: what they said decides which
    # families (reports/disclosure.py) their old rows told an attacker about.
    earlier_entries: Mapping[Version, Entry] = field(default_factory=dict)
    prior_lift: LiftRows = field(default_factory=LiftRows)
    team_history: Mapping[int, Sequence[tuple[str, Means]]] = field(default_factory=dict)
    org_history: Sequence[tuple[str, Means]] = ()
    # The organisation's construct statistics (n, mean, sd) at the last point of
    # `org_history`: they test the trend's last step.
    org_previous: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cycle_name: str = "This cycle"
    # Per team: the name of the latest earlier cycle with a stored page of the team, and that
    # page (at least "visible" and "drilldown"), for the change on each item kept by key.
    # Only what it released, at today's threshold, is compared (item_means_of_page).
    team_previous_pages: Mapping[int, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)
    # The threshold was raised since the prior release: regroup its people under the new one,
    # taking no change (disclosure.plan_regrouping says why).
    regroup: bool = False
    # The prior release's text homes (text_homes.py); None where it kept none (the units its
    # people were shown in stand for them).
    prior_homes: Mapping[Version, Home] | None = None


@dataclass(frozen=True)
class BuiltRelease:
    plan: Plan
    families: FamilyPlan
    lift: LiftPlan
    entries: dict[int, Entry]  # included, by response id
    pages: dict[str, dict[str, Any]]  # page key -> JSON-ready page
    homes: dict[Version, Home] = field(default_factory=dict)  # where texts may be shown


def _person(entry: Entry) -> Person:
    return Person(entry.rid, entry.digest, entry.team, entry.segments)


def build_release(data: ReleaseInput) -> BuiltRelease:
    """Plan the release and compute every page it holds."""
    k = data.threshold
    prior, plan, entries = _plan(data)
    families = _plan_families(data, prior, plan, entries)
    units = _Units(data, entries, families)
    released = sorted(
        (units.unit(key, row) for key, row in plan.unit_rows().items() if _known(key, data.teams)),
        key=_unit_order,
    )
    # Each unit's aggregate once: its team page and the organisation page share it.
    computed = {
        u.key: dashboards.group_result(data.instrument, u.key, u.name, u.members, k)
        for u in released
    }
    # A raised threshold regroups the texts too: each gets the unit it is in now (a team
    # now too small joins the pool as a whole, so no two lists meet in fewer than k).
    prior_homes = (
        data.prior_homes if data.prior_homes is not None else homes_shown_before(prior.last)
    )
    homes = plan_homes(
        {} if data.regroup else prior_homes,
        (p.version for p in plan.people.values()),
        {key: row for key, row in plan.unit_rows().items() if _known(key, data.teams)},
        k,
        _same_texts(entries, data.prior_entries),
    )
    pages = _team_pages(data, released, computed, homes, families.hidden_by_key)
    counted = [e for u in released for e in u.members]
    # Who reports each enabler and practice, once for the disclosure rows and the lift table.
    reports = lift.respondent_reports(data.instrument, [(e.score, e.answers) for e in counted])
    filtered = _filtered_units(data, plan, units)
    lift_plan = plan_lift(
        cell_rows(data.instrument, counted, reports),
        data.prior_lift,
        k,
        # Whose counts of each practice the units showed, now and in every earlier release.
        [frozenset((e.rid, e.digest) for e in u.members) for u in released]
        + [row for key, row in sorted(prior.last.items()) if not is_cell(key)]
        + [prior.rows[i] for i in sorted(prior.units or ()) if i < len(prior.rows)],
        scored_practices(
            data.instrument, [*data.prior_entries.values(), *data.earlier_entries.values()]
        ),
        _prevalence_rows({ORG_PAGE: released, **filtered}),  # the organisation's first
    )
    pooled = [data.teams[t].name for t in plan.pool_teams if t in data.teams]
    hidden = 0 if plan.pool is not None else len(plan.pool_teams)
    pages[ORG_PAGE] = to_plain(
        dashboards.build_org_page(
            data.instrument,
            data.rules,
            released,
            k,
            filtered=False,
            pooled_teams=pooled if plan.pool is not None else (),
            hidden_teams=hidden,
            history=data.org_history,
            previous_constructs=data.org_previous,
            cycle_name=data.cycle_name,
            computed=computed,
            lift_withheld=lift_plan.withheld,
            lift_reports=reports,
            prevalence_withheld=_withheld_on(lift_plan, ORG_PAGE),
            # every text with a home, also where its unit is not shown now (text_homes.py)
            quoted=[e for e in entries.values() if (e.rid, e.digest) in homes],
        )
    )
    pages |= _filtered_org_pages(data, filtered, len(released), lift_plan)
    # Guardrails vs gatekeepers: from the released self-view segments only.
    pages[ORG_PAGE] = dashboards.with_self_view_comparison(
        pages[ORG_PAGE],
        {v: pages.get(org_page_key({"view": v})) for v in ("guardrail", "gatekeeper")},
        k,
    )
    return BuiltRelease(plan, families, lift_plan, entries, pages, homes)


def _same_texts(
    entries: Mapping[int, Entry], before: Mapping[int, Entry]
) -> dict[Version, Version]:
    """New versions whose texts are the last release's version's word for word (only a
    reviewer's label moved), each with that version."""
    words = operator.attrgetter("item_key", "text", "may_quote")
    out = {}
    for rid, e in entries.items():
        old = before.get(rid)
        if old is None or old.digest == e.digest or not e.texts:
            continue
        if list(map(words, e.texts)) == list(map(words, old.texts)):
            out[(rid, e.digest)] = (rid, old.digest)
    return out


def _plan(data: ReleaseInput) -> tuple[Prior, Plan, dict[int, Entry]]:
    """The prior release with its people, the plan, and the entries it includes."""
    prior_people = {rid: _person(e) for rid, e in data.prior_entries.items()}
    prior = dataclasses.replace(data.prior, people=prior_people)
    current = {rid: _person(e) for rid, e in data.current.items()}
    planner = plan_regrouping if data.regroup else plan_release
    plan = planner(prior, current, data.threshold, tuple(dashboards.FILTERS))
    entries = {
        rid: (
            data.current[rid]
            if rid in data.current and data.current[rid].digest == p.digest
            else data.prior_entries[rid]
        )
        for rid, p in plan.people.items()
    }
    return prior, plan, entries


def _plan_families(
    data: ReleaseInput, prior: Prior, plan: Plan, entries: Mapping[int, Entry]
) -> FamilyPlan:
    known = {
        (e.rid, e.digest): e
        for e in (*data.earlier_entries.values(), *data.prior_entries.values(), *entries.values())
    }
    outside = {v: dashboards.families_outside(data.instrument, e.score) for v, e in known.items()}
    return plan_families(
        plan,
        prior,
        {v: f for v, f in outside.items() if f},
        data.threshold,
        dashboards.construct_parts(data.instrument),
        lambda v, whole: dashboards.part_weights(known[v].score, whole),
        dashboards.filtered_page_items(data.instrument),
    )


class _Units:
    """Released units (a team, the pool, or one of their filter cells) with their people,
    each blanked as its group blanks families."""

    def __init__(
        self, data: ReleaseInput, entries: Mapping[int, Entry], families: FamilyPlan
    ) -> None:
        self.teams = data.teams
        self.entries = entries
        self.families = families
        # A response blanked the same way in its team and its filter cells is blanked once.
        self.blanked: dict[tuple[int, frozenset[str]], Entry] = {}

    def _member(self, rid: int, blank: frozenset[str]) -> Entry:
        if not blank:
            return self.entries[rid]
        if (rid, blank) not in self.blanked:
            self.blanked[(rid, blank)] = dashboards.without_families(self.entries[rid], blank)
        return self.blanked[(rid, blank)]

    def unit(self, key: str, row: frozenset[tuple[int, str]], shown_as: str = "") -> Unit:
        blank = self.families.hidden_by_key.get(shown_as or key, frozenset())
        people = tuple(self._member(rid, blank) for rid in sorted(rid for rid, _ in row))
        if key == POOL:
            return Unit(POOL, POOL_LABEL, "", people)
        team = self.teams[int(key.split(":")[1])]
        return Unit(key, team.name, team.slug, people)


def _unit_order(u: Unit) -> tuple[bool, str]:
    return (u.key == POOL, u.name.lower())


def _team_pages(
    data: ReleaseInput,
    units: Sequence[Unit],
    computed: Mapping[str, dashboards.GroupResult],
    homes: Mapping[Version, Home],
    hidden: Mapping[str, frozenset[str]],
) -> dict[str, dict[str, Any]]:
    """Every released team's page, and the rules' fixed texts they share (`RULES_PAGE`);
    `hidden`: the families disclosure control blanks, by unit key."""
    pages: dict[str, dict[str, Any]] = {}
    rule_texts: dict[str, Any] = {}
    for u in units:
        if u.key == POOL:
            continue
        team_id = int(u.key.split(":")[1])
        previous = data.team_previous_pages.get(team_id)
        page = to_plain(
            dashboards.build_team_page(
                data.instrument,
                data.rules,
                data.teams[team_id],
                u.members,
                data.threshold,
                data.team_history.get(team_id, ()),
                data.cycle_name,
                group=computed[u.key],
                previous_items=(
                    (
                        previous[0],
                        dashboards.item_means_of_page(previous[1], data.threshold),
                        dashboards.item_keys_of_page(previous[1]),
                    )
                    if previous
                    else None
                ),
                previous_page=previous[1] if previous else None,
                quoted=[e for e in u.members if homes.get((e.rid, e.digest)) == u.key],
                withheld=dashboards.constructs_of(hidden.get(u.key, frozenset())),
            )
        )
        for recs in ("recs_team", "recs_leadership"):
            page[recs] = [dashboards.stored_recommendation(r, rule_texts) for r in page[recs]]
        pages[u.key] = page
    pages[dashboards.RULES_PAGE] = dict(sorted(rule_texts.items()))
    return pages


def _filtered_units(data: ReleaseInput, plan: Plan, units: _Units) -> dict[str, list[Unit]]:
    """The units of the organisation page under each released filter value (one dimension
    at a time), by page key."""
    out: dict[str, list[Unit]] = {}
    for dim in dashboards.FILTERS:
        for value in sorted({v for (_, d, v) in plan.cells if d == dim}):
            cells = plan.cell_units(dim, value)
            out[org_page_key({dim: value})] = sorted(
                (
                    units.unit(key, row, cell_key(key, dim, value))
                    for key, row in cells.items()
                    if _known(key, data.teams)
                ),
                key=_unit_order,
            )
    return out


def _withheld_on(lift_plan: LiftPlan, page: str) -> frozenset[str]:
    """The enablers whose share reporting them `page` withholds (reports/lift_rows.py)."""
    return frozenset(e for e, key in lift_plan.prevalence_withheld if key == page)


def _filtered_org_pages(
    data: ReleaseInput, filtered: Mapping[str, Sequence[Unit]], n_units: int, lift_plan: LiftPlan
) -> dict[str, dict[str, Any]]:
    """The organisation page under each released filter value."""
    return {
        key: to_plain(
            dashboards.build_org_page(
                data.instrument,
                data.rules,
                page_units,
                data.threshold,
                filtered=True,
                hidden_teams=n_units - len(page_units),
                prevalence_withheld=_withheld_on(lift_plan, key),
            )
        )
        for key, page_units in filtered.items()
    }


def _prevalence_rows(pages: Mapping[str, Sequence[Unit]]) -> dict[str, dict[str, Row]]:
    """By enabler and organisation page: the people its prevalence of the enabler counts
    (those of its units with a score on it, after the units' blanking)."""
    return {
        e: {
            key: frozenset(
                (m.rid, m.digest)
                for u in page_units
                for m in u.members
                if m.score.constructs[e].score is not None
            )
            for key, page_units in pages.items()
        }
        for e in ENABLERS
    }


def _known(key: str, teams: Mapping[int, TeamInfo]) -> bool:
    """A unit whose team still takes part in the cycle (a team taken out has no page)."""
    return key == POOL or int(key.split(":")[1]) in teams


# --- JSON-ready pages --------------------------------------------------------------------

_SKIP_FIELDS = {"facts", "recommendations", "item_means"}


@functools.cache
def _shape(cls: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A dataclass's fields and properties, looked up once per class."""
    fields = tuple(f.name for f in dataclasses.fields(cls) if f.name not in _SKIP_FIELDS)
    properties = tuple(
        name
        for name in dir(cls)
        if isinstance(getattr(cls, name, None), property) and name not in fields
    )
    return fields, properties


_AS_IS = frozenset({str, int, bool, type(None)})
_PLAIN_BASES = (str, int, float, dict, list, tuple)


_NAMES: dict[type, tuple[str, ...]] = {}  # `_dataclass_names` by class, filled as met


def _dataclass_names(cls: type) -> tuple[str, ...]:
    """What `to_plain` writes of an instance of `cls`: its fields and properties, or () when
    it is not a dataclass (or is also a plain value, converted as that)."""
    if cls not in _NAMES:
        plain = not dataclasses.is_dataclass(cls) or issubclass(cls, _PLAIN_BASES)
        _NAMES[cls] = () if plain else tuple(name for part in _shape(cls) for name in part)
    return _NAMES[cls]


def to_plain(value: Any) -> Any:
    """Dataclasses (with their properties, e.g. a profile's label), tuples and dicts as
    plain JSON values. NaN and infinity become None (JSON has neither)."""
    # The exact built-in types first: a release converts hundreds of thousands of values.
    kind = type(value)
    if kind in _AS_IS:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    # Plain elements (most of them) are taken as they are, without a call.
    if kind is dict:
        return {
            k if type(k) is str else str(k): (
                v if (t := type(v)) in _AS_IS or (t is float and math.isfinite(v)) else to_plain(v)
            )
            for k, v in value.items()
        }
    if kind is list or kind is tuple:
        return [
            v if (t := type(v)) in _AS_IS or (t is float and math.isfinite(v)) else to_plain(v)
            for v in value
        ]
    names = _dataclass_names(kind)
    if names:
        out = {}
        for name in names:
            v = getattr(value, name)
            out[name] = (
                v if (t := type(v)) in _AS_IS or (t is float and math.isfinite(v)) else to_plain(v)
            )
        return out
    if value is None or isinstance(value, str | int | bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields, properties = _shape(type(value))
        return {name: to_plain(getattr(value, name)) for name in (*fields, *properties)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return [to_plain(v) for v in sorted(value)]
    return value
