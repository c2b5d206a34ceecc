"""Team and organisation dashboards and their CSV exports: they read only released results."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from csp.decorators import csp_update
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from assessments.access import cycle_in_org
from assessments.instrument.types import CONSTRUCTS
from assessments.models import Cycle
from assessments.services import instrument_for
from orgs.access import ADMIN_ONLY, LEADERSHIP, AuthenticatedHttpRequest, org_view, team_for
from orgs.csv_export import csv_response
from orgs.models import Membership, Team

from .. import dashboards, plan_services, selectors, services
from ..collector import collector_paused
from ..models import Release
from ..release_builder import org_page_key

# plotly.js always injects one fixed block of map styles (plotly/plotly.js#7543); allow
# exactly that block by its hash (tests/browser/test_journeys.py fails if it changes).
# Its other rules come from css/charts.css, marked so plotly does not inject them.
PLOTLY_STYLE_HASH = "'sha256-ji27qzEtxXZW+7dun6UwjHXJ18e6WAin1VvNtkzIE/o='"
chart_csp = csp_update({"style-src": [PLOTLY_STYLE_HASH]})


def _pick_cycle(request: HttpRequest, cycles: Sequence[Cycle]) -> Cycle | None:
    wanted = request.GET.get("cycle", "")
    if wanted:
        chosen = next((c for c in cycles if c.slug == wanted), None)
        if chosen is None:
            raise Http404("No such cycle.")
        return chosen
    return cycles[0] if cycles else None


def _org_context(request: HttpRequest, m: Membership, *, page: bool = True) -> dict[str, Any]:
    """The organisation page under the request's filter, whole (what the exports read);
    without `page`, only the cycle and the filter."""
    org = m.organization
    cycles = selectors.organisation_cycles(org)
    cycle = _pick_cycle(request, cycles)
    context: dict[str, Any] = {"m": m, "cycles": cycles, "cycle": cycle}
    if cycle is None:
        return context
    instrument = instrument_for(cycle.instrument.version)
    raw = request.GET.dict()
    if ":" in raw.get("filter", ""):  # the dashboard's one "Show only" select: "role:pm"
        param, value = raw.pop("filter").split(":", 1)
        raw = {param: value, **raw}
    filters = dashboards.clean_filters(instrument, raw)
    context["filters"] = filters
    context["filter_groups"] = dashboards.filter_groups(instrument)
    context["selected_filter"] = "".join(f"{p}:{v}" for p, v in filters.items())
    context["export_query"] = urlencode({"cycle": cycle.slug, **filters})
    context["ignored_filter"] = len([p for p in dashboards.FILTERS if request.GET.get(p)]) > 1
    if page:
        context["release"], found = selectors.release_page(cycle, org_page_key(filters))
        context["view"] = found or _not_released(m)
    return context


def _not_released(m: Membership) -> dict[str, Any]:
    return {"visible": False, "threshold": m.organization.anonymity_threshold}


def _body(
    template: str,
    release: Release | None,
    key: str,
    context: dict[str, Any],
    read: Callable[[], dict[str, Any]],
    personal: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[bool, Any]:
    """Whether the page shows results, and its body as HTML: `read` (the stored page, as
    context["view"]) and rendered once per release and cached, as a release never changes;
    so a cached body costs neither reading nor decoding the stored page. A body that shows
    no results is rendered every time when it is `personal` (which adds what this viewer
    alone may see); every other body holds no per-request content."""
    cache_key = f"recouple:body:{template}:{release.pk}:{key}" if release else ""
    cached = cache.get(cache_key) if cache_key else None
    if cached is None:
        context["view"] = read()
        visible = bool(context["view"].get("visible"))
        if not visible and personal is not None:
            personal(context)
            return False, mark_safe(render_to_string(template, context))  # nosec B308 B703
        cached = (visible, render_to_string(template, context))
        if cache_key:
            cache.set(cache_key, cached, 24 * 3600)
    # The body was rendered by our own templates (autoescaped).
    return cached[0], mark_safe(cached[1])  # nosec B308 B703


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store, private"
    return response


@chart_csp
@org_view(LEADERSHIP)
@require_GET
def org_dashboard(request: HttpRequest, m: Membership) -> HttpResponse:
    # A cold body of a large organisation decodes and renders ~10^5 short-lived objects.
    with collector_paused():
        return _org_dashboard(request, m)


def _org_dashboard(request: HttpRequest, m: Membership) -> HttpResponse:
    context = _org_context(request, m, page=False)
    cycle = context["cycle"]
    if cycle is not None:
        release = context["release"] = selectors.latest_release(cycle)
        key = org_page_key(context["filters"])
        context["visible"], context["body"] = _body(
            "reports/_org_body.html",
            release,
            key,
            context,
            lambda: (
                (selectors.dashboard_page(release, key) if release else None) or _not_released(m)
            ),
        )
        context["open_plans"] = plan_services.open_plans(m.organization)
    return _no_store(render(request, "reports/org_dashboard.html", context))


@org_view(LEADERSHIP)
@require_GET
def org_participation(request: AuthenticatedHttpRequest, m: Membership) -> HttpResponse:
    """Responses per team, live: the dashboard loads it beside its released results (htmx),
    so a page read from a release waits for no live counts; without JavaScript, a page."""
    cycle = _pick_cycle(request, selectors.organisation_cycles(m.organization))
    if cycle is None:
        raise Http404("No cycle has opened yet.")
    rows = _participation(
        selectors.cycle_teams(cycle).values(), selectors.participation_counts(cycle)
    )
    context = {
        "m": m,
        "cycle": cycle,
        "participation": _with_team_links(m.organization.slug, rows),
    }
    template = "reports/_participation.html" if request.htmx else "reports/org_participation.html"
    return _no_store(render(request, template, context))


RELEASE_NOW_RATE = "6/h"


def _org_key(group: str, request: HttpRequest) -> str:
    return str((request.resolver_match.kwargs if request.resolver_match else {}).get("org", ""))


@org_view(ADMIN_ONLY)
@require_POST
def release_now(request: HttpRequest, m: Membership) -> HttpResponse:
    """An org admin asks for a new release now instead of waiting for the periodic pass."""
    try:
        cycle = cycle_in_org(m, request.POST.get("cycle", "")[:60])
    except Http404:  # an unknown cycle is the admin's mistake: say so, don't hide it
        messages.error(request, "Choose a cycle to release.")
        return render(request, "400.html", {"m": m}, status=400)
    # Each release costs the worker seconds of work; the periodic pass releases new responses
    # anyway, so a few asks an hour per organisation are plenty (a double click is not).
    if is_ratelimited(
        request, group="release_now", key=_org_key, rate=RELEASE_NOW_RATE, increment=True
    ):
        reason = (
            "Releases were asked for too often in the last hour. New responses are still "
            "released by the periodic pass; ask again later if you need one sooner."
        )
        return render(request, "429.html", {"reason": reason}, status=429)
    services.request_release(cycle.pk)
    messages.info(
        request,
        "A new release is being built. Responses that would change a group by fewer than "
        f"{m.organization.anonymity_threshold} people still wait for more.",
    )
    return redirect(f"{request.path.rsplit('release/', 1)[0]}?{urlencode({'cycle': cycle.slug})}")


def _participation(teams: Iterable[dashboards.TeamInfo], counts: Any) -> list[dict[str, Any]]:
    rows = []
    for t in sorted(teams, key=lambda t: t.name.lower()):
        c = counts.get(t.id, {})
        submitted = c.get("submitted", 0)
        rows.append(
            {
                "team": t.name,
                "slug": t.slug,
                "size": t.size,
                "submitted": submitted,
                "in_progress": c.get("in_progress", 0),
                "rate": round(100 * submitted / t.size) if t.size else None,
            }
        )
    return rows


def _with_team_links(org_slug: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row with its team dashboard's address: reversed once, not once per team (a
    200-team organisation's table was a fifth of the page's time)."""
    head, tail = reverse("team_dashboard", args=[org_slug, "x"]).rsplit("/x/", 1)
    return [{**row, "href": f"{head}/{row['slug']}/{tail}"} for row in rows]


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    return csv_response(f"{name}.csv", header, rows)


ORG_TABLES = ("participation", "teams", "profiles", "prevalence", "lift", "actions")


@org_view(LEADERSHIP)
@require_GET
def org_dashboard_export(request: HttpRequest, m: Membership) -> HttpResponse:
    """Every table of the organisation dashboard, from the same release and filter."""
    table = request.GET.get("table", "")
    if table not in ORG_TABLES:
        return HttpResponse(f"Unknown table. Choose one of: {', '.join(ORG_TABLES)}.", status=400)
    context = _org_context(request, m)
    cycle = context["cycle"]
    if cycle is None:
        raise Http404("No cycle with results yet.")
    view = context["view"]
    name = f"{m.organization.slug}-{cycle.slug}-{table}"
    if table == "participation":
        teams = selectors.cycle_teams(cycle)
        rows = _participation(teams.values(), selectors.participation_counts(cycle))
        return _csv(
            name,
            ["team", "people", "submitted", "in_progress", "participation_pct"],
            ([p["team"], p["size"], p["submitted"], p["in_progress"], p["rate"]] for p in rows),
        )
    if not view.get("visible"):
        return _csv(name, ["note"], [["No released results under these filters yet."]])
    return _org_table(name, table, view)


def _org_table(name: str, table: str, view: dict[str, Any]) -> HttpResponse:
    if table == "teams":
        keys = list(CONSTRUCTS)
        return _csv(
            name,
            ["team", "n", "profile", *keys],
            (
                [
                    g["name"],
                    g["n"],
                    g["aggregate"]["profile"]["label"],
                    *[g["aggregate"]["constructs"][k]["mean"] for k in keys],
                ]
                for g in view["groups"]
            ),
        )
    if table == "profiles":
        return _csv(
            name, ["profile", "teams"], ([r["label"], r["count"]] for r in view["profile_rows"])
        )
    if table == "prevalence":
        return _csv(
            name,
            ["construct", "family", "share_pct", "n"],
            ([r["label"], r["family"], r["share"], r["n"]] for r in view["prevalence_rows"]),
        )
    if view.get("filtered"):
        return _csv(name, ["note"], [["This table uses all responses: clear the filter."]])
    if table == "lift":
        return _lift_table(name, view)
    return _csv(
        name,
        ["rule", "action", "teams_reporting", "teams"],
        (
            [a["rule_id"], a["title"], a["teams_reporting"], "; ".join(a["teams"])]
            for a in view["actions"]
        ),
    )


def _lift_table(name: str, view: dict[str, Any]) -> HttpResponse:
    shown = (
        [
            r["enabler_label"],
            r["practice_label"],
            r["ratio"],
            r["ci_low"],
            r["ci_high"],
            r["with_k"],
            r["with_n"],
            r["without_k"],
            r["without_n"],
            "",
        ]
        for r in view["lift_rows"]
    )
    withheld = (
        [
            r["enabler_label"],
            r["practice_label"],
            None,
            None,
            None,
            None,
            r["with_n"],
            None,
            r["without_n"],
            r["reason"],
        ]
        for r in view["lift_withheld"]
    )
    return _csv(
        name,
        [
            "enabler",
            "practice",
            "ratio",
            "ci_low",
            "ci_high",
            "with_k",
            "with_n",
            "without_k",
            "without_n",
            "withheld_because",
        ],
        [*shown, *withheld],
    )


def _team_context(
    request: HttpRequest, m: Membership, team: Team, *, page: bool = True
) -> dict[str, Any]:
    """The team's latest release and page (what the exports read); without `page`, the
    release only."""
    cycles = selectors.team_cycles(team)
    cycle = _pick_cycle(request, cycles)
    context: dict[str, Any] = {
        "m": m,
        "team": team,
        "cycles": cycles,
        "cycle": cycle,
        "viewer_in_team": m.team_id == team.pk,
    }
    if cycle is not None:
        release = context["release"] = selectors.latest_release(cycle)
        if page:
            context["view"] = _team_view(release, cycle, team, m)
    return context


def _team_view(release: Release | None, cycle: Cycle, team: Team, m: Membership) -> dict[str, Any]:
    page = selectors.page_of(release, f"team:{team.pk}") if release else None
    if page is None:
        return {"visible": False, "threshold": m.organization.anonymity_threshold}
    return dashboards.team_page_for_display(page, instrument_for(cycle.instrument.version))


@chart_csp
@org_view(policy="team:see")
@require_GET
def team_dashboard(request: HttpRequest, m: Membership, team_slug: str) -> HttpResponse:
    team_obj = team_for(m, team_slug)
    context = _team_context(request, m, team_obj, page=False)
    context["team_plans"] = plan_services.team_plans(team_obj)
    cycle = context["cycle"]
    if cycle is not None:
        release = context["release"]

        def own_results(context: dict[str, Any]) -> None:
            counts = selectors.participation_counts(cycle).get(team_obj.pk, {})
            context["submitted"] = counts.get("submitted", 0)
            # The one-person view: a respondent sees their own scores, and only their own.
            own = selectors.own_submitted_scores(cycle, team_obj, request.user)
            context["own"] = dashboards.construct_rows_of_response(own) if own is not None else None

        context["visible"], context["body"] = _body(
            "reports/_team_body.html",
            release,
            f"team:{team_obj.pk}:{context['viewer_in_team']}",
            context,
            lambda: _team_view(release, cycle, team_obj, m),
            personal=own_results,
        )
    return _no_store(render(request, "reports/team_dashboard.html", context))


TEAM_TABLES = ("constructs", "practices", "items", "recommendations", "actions")


@org_view(policy="team:see")
@require_GET
def team_dashboard_export(request: HttpRequest, m: Membership, team_slug: str) -> HttpResponse:
    team_obj = team_for(m, team_slug)
    table = request.GET.get("table", "")
    if table not in TEAM_TABLES:
        return HttpResponse(f"Unknown table. Choose one of: {', '.join(TEAM_TABLES)}.", status=400)
    context = _team_context(request, m, team_obj)
    if context["cycle"] is None:
        raise Http404("No cycle with results yet.")
    view = context["view"]
    name = f"{slugify(team_obj.name)}-{context['cycle'].slug}-{table}"
    if not view.get("visible"):
        return _csv(name, ["note"], [["No released results for this team yet."]])
    return _team_table(name, table, view)


def _team_table(name: str, table: str, view: dict[str, Any]) -> HttpResponse:
    if table == "constructs":
        return _csv(
            name,
            ["construct", "polarity", "mean", "sd", "n", "dont_know"],
            (
                [r["label"], r["polarity"], r["mean"], r["sd"], r["n"], r["dont_know"]]
                for r in view["constructs"]
            ),
        )
    if table == "practices":
        return _csv(
            name,
            ["category", "resource", "adoption_pct", "answers"],
            (
                [r["category_label"], r["resource"], r["adoption"], r["n"]]
                for r in view["practice_rows"]
            ),
        )
    if table == "items":
        return _csv(
            name,
            ["construct", "item", "question", "mean", "n", "answer", "count"],
            (
                [c["label"], i["key"], i["text"], i["mean"], i["n"], a["label"], a["count"]]
                for c in view["drilldown"]
                for i in c["items"]
                for a in i["answers"]
            ),
        )
    if table == "recommendations":
        return _csv(
            name,
            ["audience", "rule", "title", "why", "trace"],
            (
                [r["audience"], r["rule_id"], r["title"], r["why"], " | ".join(r["trace"])]
                for r in [*view["recs_team"], *view["recs_leadership"]]
            ),
        )
    free = view["free_text"]
    return _csv(
        name,
        ["kind", "count", "quote"],
        [
            *([c["label"], c["count"], None] for c in free["action_counts"]),
            *(["quote", t["count"], t["text"]] for q in free["quotes"] for t in q["texts"]),
        ],
    )
