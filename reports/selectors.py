"""ORM reads for releases and the pages that show them, each with a fixed number of queries."""

from __future__ import annotations

import hashlib
import json
import operator
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Count, Max, Q, TextField
from django.db.models.functions import Cast

from assessments.instrument.types import Instrument
from assessments.models import Answer, ClassifiedAction, Cycle, Response
from assessments.scoring.response import ResponseScore
from orgs.models import Organization, Team, team_size

from .dashboards import FILTERS, RULES_PAGE, Entry, TeamInfo, Text, with_rule_texts
from .disclosure import Row
from .models import Release, ReleasePage, ResponseSnapshot
from .release_builder import ORG_PAGE

TEXT_TYPES = ("free_text", "action")


# --- what a release is built from --------------------------------------------------------


def digest(
    scores: Any,
    segments: Mapping[str, str],
    texts: Sequence[Text],
    judged: frozenset[str] = frozenset(),
) -> str:
    """Identifies what a release would hold of a response (`scores`: the stored JSON text
    or the parsed scores): a change of any of it is a change. `judged`: the action items
    whose label is a person's (sent to review, or reviewed), not the classifier's own."""
    if not isinstance(scores, str):
        scores = json.dumps(scores, sort_keys=True, separators=(",", ":"))
    return _digest(scores, segments, texts, judged)


def _digest(
    scores: str, segments: Mapping[str, str], texts: Sequence[Text], judged: frozenset[str]
) -> str:
    """Identifies what a release would hold of a response: a change of any of it is a change.

    A review is in it (a label sent to review or decided by a reviewer): one that showed at
    once would move one action in the counts of one team and filter value, naming the team
    (and the role and stage) of a text the queue shows unnamed. So a review waits, like an
    answer, until its groups change by 0 or at least k. The classifier's own label follows
    from the text, so it is left out (responses never reviewed keep their digest)."""
    body = json.dumps(
        [
            scores,
            dict(sorted(segments.items())),
            [
                [t.item_key, t.text, t.may_quote, *([t.kind] if t.item_key in judged else [])]
                for t in texts
            ],
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def _filter_values(segments: Mapping[str, Any] | None) -> dict[str, str]:
    segments = segments or {}
    return {param: str(segments.get(segment) or "") for param, segment in FILTERS.items()}


def _final_kind(kind: str, needs_review: bool, reviewed_kind: str, reviewed: bool) -> str:
    if reviewed:
        return reviewed_kind
    return "in_review" if needs_review else kind


def current_entries(cycle: Cycle, instrument: Instrument) -> dict[int, Entry]:
    """Every submitted response of the cycle as a release would hold it (three queries)."""
    rows = list(
        Response.objects.filter(
            cycle=cycle, status=Response.Status.SUBMITTED, scores__isnull=False
        ).values_list("id", "team_id", Cast("scores", TextField()), "segments")
    )
    ids = [r[0] for r in rows]
    text_keys = [i.key for i in instrument.items if i.type in TEXT_TYPES]
    answers: dict[int, dict[str, tuple[str, bool]]] = {}
    for rid, key, value, may_quote in Answer.objects.filter(
        response_id__in=ids, item_key__in=text_keys
    ).values_list("response_id", "item_key", "value", "may_quote"):
        if isinstance(value, str) and value.strip():
            answers.setdefault(rid, {})[key] = (value.strip(), may_quote)
    kinds: dict[tuple[int, str], str] = {}
    judged: dict[int, set[str]] = {}
    for rid, key, kind, needs_review, reviewed_kind, reviewed_at in ClassifiedAction.objects.filter(
        response_id__in=ids
    ).values_list(
        "response_id", "item_key", "kind", "needs_review", "reviewed_kind", "reviewed_at"
    ):
        kinds[(rid, key)] = _final_kind(kind, needs_review, reviewed_kind, reviewed_at is not None)
        if needs_review or reviewed_at is not None:
            judged.setdefault(rid, set()).add(key)
    action_keys = {i.key for i in instrument.items if i.type == "action"}
    out = {}
    for rid, team_id, scores, segments in rows:
        texts = tuple(
            Text(
                key,
                text,
                may_quote,
                kinds.get((rid, key), "in_review") if key in action_keys else None,
            )
            for key, (text, may_quote) in sorted(answers.get(rid, {}).items())
        )
        filters = _filter_values(segments)
        stored = json.loads(scores)
        out[rid] = Entry(
            rid,
            # The stored text as it is: hashing it is cheaper than writing the scores again.
            digest(scores, filters, texts, frozenset(judged.get(rid, ()))),
            team_id,
            ResponseScore.from_dict(stored),
            filters,
            texts,
            stored=stored,
        )
    return out


# A stored item contribution is a row in this order (`ItemContribution.to_dict` without the
# question text, which the instrument has): a release stores every included response, and
# keys repeated in every item were most of what it wrote.
ITEM_FIELDS: tuple[str, ...] = (
    "item_key",
    "answer",
    "option_label",
    "raw_score",
    "score",
    "weight",
    "reverse",
    "status",
)
_ITEM_KEYS = frozenset((*ITEM_FIELDS, "text"))


def compact_scores(scores: Mapping[str, Any]) -> dict[str, Any]:
    """A response's stored scores in the form a release stores them: each item a row of
    `ITEM_FIELDS`, without the question text. An item with other keys stays as it is."""
    return {
        **scores,
        "constructs": {
            key: {**c, "items": [_compact_item(i) for i in c["items"]]}
            for key, c in scores["constructs"].items()
        },
    }


_ITEM_ROW = operator.itemgetter(*ITEM_FIELDS)


def _compact_item(item: Mapping[str, Any]) -> Any:
    # As `item.keys() != _ITEM_KEYS` (keys are unique), without building a set per item.
    if len(item) != len(_ITEM_KEYS) or not _ITEM_KEYS.issuperset(item):
        return {k: v for k, v in item.items() if k != "text"}
    return list(_ITEM_ROW(item))


def full_scores(scores: Mapping[str, Any], texts: Mapping[str, str]) -> dict[str, Any]:
    """`compact_scores` undone with the instrument's question texts (also of snapshots
    stored before items were rows: those items are dicts without their text)."""
    return {
        **scores,
        "constructs": {
            key: {**c, "items": [_full_item(i, texts) for i in c["items"]]}
            for key, c in scores["constructs"].items()
        },
    }


def _full_item(item: Any, texts: Mapping[str, str]) -> dict[str, Any]:
    if isinstance(item, list):
        item = dict(zip(ITEM_FIELDS, item, strict=True))
    return {**item, "text": texts.get(item["item_key"], "")}


def _entry_from_snapshot(s: ResponseSnapshot, item_texts: Mapping[str, str]) -> Entry:
    texts = tuple(Text(t["item_key"], t["text"], t["may_quote"], t["kind"]) for t in s.texts)
    score = ResponseScore.from_dict(full_scores(s.scores, item_texts))
    return Entry(s.response_key, s.digest, s.team_id, score, s.segments, texts)


def release_entries(release: Release, instrument: Instrument) -> dict[int, Entry]:
    """The responses a release included, as it held them, actions' labels too (a review
    is a change of the response, released as one: `_digest`). One query."""
    item_texts = {i.key: i.text for i in instrument.items}
    return {
        s.response_key: _entry_from_snapshot(s, item_texts)
        for s in ResponseSnapshot.objects.filter(pk__in=list(release.people.values()))
    }


def replaced_entries(release: Release, instrument: Instrument) -> dict[tuple[int, str], Entry]:
    """Versions earlier releases of the cycle showed that `release` no longer includes (a
    response resubmitted or withdrawn since), by (response id, digest): one query."""
    item_texts = {i.key: i.text for i in instrument.items}
    return {
        (s.response_key, s.digest): _entry_from_snapshot(s, item_texts)
        for s in ResponseSnapshot.objects.filter(cycle_id=release.cycle_id).exclude(
            pk__in=list(release.people.values())
        )
    }


def decode_rows(rows: Iterable[Iterable[Sequence[Any]]]) -> tuple[Row, ...]:
    return tuple(frozenset((int(rid), str(d)) for rid, d in row) for row in rows)


def encode_row(row: Row) -> list[list[Any]]:
    return [[rid, d] for rid, d in sorted(row)]


def encode_named_rows(rows: Mapping[str, Row]) -> dict[str, Any]:
    """Many large rows over the same people, compactly: the people once, each row as a
    bit mask over them (hex)."""
    universe = sorted({v for row in rows.values() for v in row})
    index = {v: i for i, v in enumerate(universe)}
    return {
        "people": [[rid, d] for rid, d in universe],
        "rows": {n: format(sum(1 << index[v] for v in row), "x") for n, row in rows.items()},
    }


def decode_named_rows(data: Mapping[str, Any]) -> dict[str, Row]:
    universe = [(int(rid), str(d)) for rid, d in data.get("people", ())]
    out = {}
    for n, mask in data.get("rows", {}).items():
        bits = int(mask, 16)
        out[n] = frozenset(v for i, v in enumerate(universe) if bits >> i & 1)
    return out


def cycle_teams(cycle: Cycle) -> dict[int, TeamInfo]:
    """The cycle's teams with their current size (one query)."""
    rows = cycle.teams.annotate(size=team_size()).values_list("pk", "name", "slug", "size")
    return {pk: TeamInfo(pk, name, slug, size) for pk, name, slug, size in rows}


def submissions_stamp(cycle: Cycle) -> str:
    """Changes whenever what a release would be built from changes (two queries)."""
    agg = Response.objects.filter(cycle=cycle, status=Response.Status.SUBMITTED).aggregate(
        n=Count("pk"), last=Max("updated_at")
    )
    actions = ClassifiedAction.objects.filter(cycle=cycle).aggregate(
        n=Count("pk"), last=Max("reviewed_at")
    )
    teams = sorted((t.id, t.name, t.slug, t.size) for t in cycle_teams(cycle).values())
    body = json.dumps(
        [agg["n"], str(agg["last"]), actions["n"], str(actions["last"]), teams],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()[:40]


def earlier_means(
    cycle: Cycle,
) -> tuple[
    list[tuple[str, dict[str, Any]]],
    dict[int, list[tuple[str, dict[str, Any]]]],
    dict[str, Any],
]:
    """Released construct means of the organisation and each team in earlier cycles, oldest
    first (two queries): the trend lines; and the organisation's latest earlier construct
    statistics (n, mean, sd), which test the trend's last step."""
    earlier = list(
        Cycle.objects.filter(organization_id=cycle.organization_id, opens_on__lt=cycle.opens_on)
        .exclude(state=Cycle.State.DRAFT)
        .annotate(latest=Max("releases__id"))
        .filter(latest__isnull=False)
        .order_by("opens_on", "id")
        .values_list("name", "latest")
    )
    names = {latest: name for name, latest in earlier}
    org: list[tuple[str, dict[str, Any]]] = []
    teams: dict[int, list[tuple[str, dict[str, Any]]]] = {}
    pages = (
        ReleasePage.objects.filter(release_id__in=names)
        .filter(Q(key="org") | Q(team__isnull=False))
        .values_list("release_id", "team_id", "data__means", "data__overall__aggregate")
    )
    order = {latest: i for i, (_, latest) in enumerate(earlier)}
    last: dict[str, Any] = {}
    for release_id, team_id, means, overall in sorted(pages, key=lambda p: order[p[0]]):
        name = names[release_id]
        if team_id is None:
            if overall:
                org.append((name, {k: c["mean"] for k, c in overall["constructs"].items()}))
                last = overall["constructs"]
        elif means:
            teams.setdefault(team_id, []).append((name, means))
    return org, teams, last


def previous_team_pages(cycle: Cycle) -> dict[int, tuple[str, dict[str, Any]]]:
    """Per team of the cycle: the latest earlier cycle in which the team had a released page
    (its latest release), by name, and that page's "visible" and "drilldown" (three queries,
    whatever the number of teams and cycles): what the change on each item compares with."""
    earlier = list(
        Cycle.objects.filter(organization_id=cycle.organization_id, opens_on__lt=cycle.opens_on)
        .exclude(state=Cycle.State.DRAFT)
        .annotate(latest=Max("releases__id"))
        .filter(latest__isnull=False)
        .values_list("name", "opens_on", "id", "latest")
    )
    names = {latest: name for name, _, _, latest in earlier}
    recency = {latest: (opens_on, cycle_id) for _, opens_on, cycle_id, latest in earlier}
    newest: dict[int, tuple[Any, int]] = {}  # team -> (recency, page id)
    for page_id, release_id, team_id in ReleasePage.objects.filter(
        release_id__in=names, team_id__in=cycle.teams.values("pk")
    ).values_list("pk", "release_id", "team_id"):
        if team_id not in newest or recency[release_id] > newest[team_id][0]:
            newest[team_id] = (recency[release_id], page_id)
    pages = ReleasePage.objects.filter(pk__in=[p for _, p in newest.values()]).values_list(
        "team_id", "release_id", "data__visible", "data__drilldown", "data__constructs"
    )
    return {
        team_id: (
            names[release_id],
            {
                "visible": bool(visible),
                "drilldown": drilldown or [],
                "constructs": constructs or [],
            },
        )
        for team_id, release_id, visible, drilldown, constructs in pages
    }


# --- what pages read ---------------------------------------------------------------------


def latest_release(cycle: Cycle) -> Release | None:
    return (
        Release.objects.filter(cycle=cycle)
        .only(
            "id",
            "number",
            "created_at",
            "n_included",
            "n_held_back",
            "threshold",
            "regrouped_from",
            "cycle_id",
        )
        .order_by("-number")
        .first()
    )


# A stored organisation page is two rows: `key`, what the dashboard shows, and `key + MORE`,
# what only the exports and the PDF read: each group's results (the dashboard shows how many
# groups there are, `n_groups`), the lift tables, the leadership actions past the first
# `DASHBOARD_ACTIONS` (it shows how many there are, `n_actions`) and each group's delivery
# pressure answer counts; its charts keep their figures as JSON text (`_figures_as_text`).
# At 200 teams the dashboard then receives and decodes a quarter of the page. Releases
# stored before the split were split by migration reports/0006.
MORE = "#more"
ORG_DASHBOARD_LEAVES_OUT = ("groups", "lift_rows", "lift_cells", "lift_withheld")
DASHBOARD_ACTIONS = 8
PRESSURE_SHOWN = ("n", "high", "share")  # of each group's delivery pressure


def is_org_page(key: str) -> bool:
    return key == ORG_PAGE or key.startswith(ORG_PAGE + "?")


def stored_rows(key: str, page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The rows one built page is stored as: an organisation page split in two (see MORE)."""
    if not is_org_page(key):
        return {key: page}
    more = {k: page[k] for k in ORG_DASHBOARD_LEAVES_OUT if k in page}
    shown = {k: _figures_as_text(v) for k, v in page.items() if k not in more}
    shown["n_groups"] = len(page.get("groups") or [])
    actions = page.get("actions")
    if isinstance(actions, list):
        shown["n_actions"] = len(actions)
        shown["more_actions"] = max(0, len(actions) - DASHBOARD_ACTIONS)
        if len(actions) > DASHBOARD_ACTIONS:
            shown["actions"], more["actions"] = actions[:DASHBOARD_ACTIONS], actions
    governance = page.get("governance_actions")
    if isinstance(governance, list):  # linked to where the dashboard shows the action, if it does
        on_page = (
            set() if page.get("filtered") else {a["rule_id"] for a in shown.get("actions", [])}
        )
        shown["governance_actions"] = [
            {**a, "on_page": a["rule_id"] in on_page} for a in governance
        ]
    pressure = page.get("pressure_by_group")
    if isinstance(pressure, dict):  # the PDF also draws each group's answer counts
        shown["pressure_by_group"] = {
            name: p and {k: p[k] for k in PRESSURE_SHOWN} for name, p in pressure.items()
        }
        more["pressure_by_group"] = pressure
    return {key: shown, key + MORE: more}


def _figures_as_text(value: Any, depth: int = 1) -> Any:
    """Each chart's plotly figure as the JSON text the page embeds (report_html.chart_json),
    encoded once when stored: at 200 teams the dashboard then neither decodes nor encodes
    again some 100 KB of numbers. Charts sit at the top of a page or one level down."""
    if not isinstance(value, dict):
        return value
    if "kind" in value and isinstance(value.get("figure"), dict):
        return {**value, "figure": json.dumps(value["figure"], separators=(",", ":"))}
    return {k: _figures_as_text(v, depth - 1) for k, v in value.items()} if depth else value


def built_pages(release: Release) -> dict[str, dict[str, Any]]:
    """Every page of the release whole, as the builder made it but for an organisation
    page's figures, kept as JSON text (one query)."""
    stored = dict(ReleasePage.objects.filter(release=release).values_list("key", "data"))
    return {
        key: {**data, **stored.get(key + MORE, {})}
        for key, data in stored.items()
        if not key.endswith(MORE)
    }


def release_page(cycle: Cycle, key: str) -> tuple[Release | None, dict[str, Any] | None]:
    """The latest release of the cycle and its whole page `key` (two queries)."""
    latest = latest_release(cycle)
    return latest, (page_of(latest, key) if latest is not None else None)


def page_of(release: Release, key: str) -> dict[str, Any] | None:
    """The release's whole page `key` (one query): a team page with its recommendations'
    rule texts, stored once per release (dashboards.RULES_PAGE), an organisation page with
    what only the exports read (MORE). A group that is not released has no page."""
    extra = RULES_PAGE if key.startswith("team:") else key + MORE if is_org_page(key) else None
    keys = [key] if extra is None else [key, extra]
    found = dict(
        ReleasePage.objects.filter(release=release, key__in=keys).values_list("key", "data")
    )
    page = found.get(key)
    if page is None or extra is None or extra not in found:
        return page
    if extra == RULES_PAGE:
        return with_rule_texts(page, found[RULES_PAGE])
    return {**page, **found[extra]}


def dashboard_page(release: Release, key: str) -> dict[str, Any] | None:
    """The release's page `key` as the dashboard shows it: an organisation page without
    MORE (one query)."""
    return (
        ReleasePage.objects.filter(release=release, key=key).values_list("data", flat=True).first()
    )


def organisation_cycles(org: Organization) -> list[Cycle]:
    return _with_results(Cycle.objects.filter(organization=org))


def team_cycles(team: Team) -> list[Cycle]:
    """Only the cycles the team takes part in."""
    return _with_results(Cycle.objects.filter(teams=team))


def _with_results(cycles: Any) -> list[Cycle]:
    """The cycles that may have results (not drafts), newest first (one query)."""
    return list(
        cycles.exclude(state=Cycle.State.DRAFT)
        .select_related("instrument")
        .order_by("-opens_on", "-id")
    )


def participation_counts(cycle: Cycle) -> dict[int, dict[str, int]]:
    """Submitted and in-progress response counts per team (one query): counts, never names."""
    rows = (
        Response.objects.filter(cycle=cycle)
        .values("team_id")
        .annotate(
            submitted=Count("pk", filter=Q(status=Response.Status.SUBMITTED)),
            in_progress=Count("pk", filter=Q(status=Response.Status.DRAFT)),
        )
    )
    return {
        r["team_id"]: {"submitted": r["submitted"], "in_progress": r["in_progress"]} for r in rows
    }


def own_submitted_scores(cycle: Cycle, team: Team, user: Any) -> ResponseScore | None:
    """The viewer's own submitted response in the team (one query): shown to them alone."""
    scores = (
        Response.objects.filter(
            cycle=cycle, team=team, respondent=user, status=Response.Status.SUBMITTED
        )
        .values_list("scores", flat=True)
        .first()
    )
    return ResponseScore.from_dict(scores) if scores else None
