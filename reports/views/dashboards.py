"""Team and organisation dashboards and their CSV exports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from csp.decorators import csp_update
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from assessments.instrument import CONSTRUCTS
from assessments.models import Cycle
from assessments.services import instrument_for
from orgs.access import LEADERSHIP, org_view, team_for
from orgs.csv_export import csv_response
from orgs.models import Membership, Team

from .. import dashboards, queries

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


def _org_context(request: HttpRequest, m: Membership) -> dict[str, Any]:
    org = m.organization
    cycles = queries.org_cycles(org)
    cycle = _pick_cycle(request, cycles)
    context: dict[str, Any] = {"m": m, "cycles": cycles, "cycle": cycle}
    if cycle is None:
        return context
    instrument = instrument_for(cycle.instrument.version)
    filters = dashboards.clean_filters(instrument, request.GET)
    context["filters"] = filters
    context["filter_options"] = dashboards.filter_options(instrument)
    context["export_query"] = urlencode({"cycle": cycle.slug, **filters})
    return context


def _cached_body(
    key: str, stamp: str, template: str, context: dict[str, Any], build: Any
) -> dict[str, Any]:
    """The dashboard body as HTML, rendered once per change of `stamp` and cached: a warm
    page costs a cache read, not the aggregates and a long template. The body holds no
    per-request content (no CSRF token, no request parameters)."""

    def render() -> tuple[str, bool, Any]:
        view = build()
        html = render_to_string(template, {**context, "view": view})
        return html, bool(view.get("visible")), view

    fresh: dict[str, Any] = {}

    def compute() -> tuple[str, bool]:
        html, visible, fresh["view"] = render()
        return html, visible

    html, visible = queries.cached(key, stamp, compute)
    # The body was rendered by our own templates (autoescaped).
    return {"body": mark_safe(html), "visible": visible, **fresh}  # nosec B308 B703


@chart_csp
@org_view(LEADERSHIP)
@require_GET
def org_dashboard(request: HttpRequest, m: Membership) -> HttpResponse:
    context = _org_context(request, m)
    cycle = context["cycle"]
    if cycle is not None:
        org, filters = m.organization, context["filters"]
        context |= _cached_body(
            f"org-body:{cycle.pk}:{org.anonymity_threshold}:{sorted(filters.items())}",
            queries.org_stamp(cycle),
            "reports/_org_body.html",
            context,
            lambda: queries.org_page(org, cycle, filters),
        )
    return render(request, "reports/org_dashboard.html", context)


def _csv(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> HttpResponse:
    return csv_response(f"{name}.csv", header, rows)


ORG_TABLES = ("participation", "teams", "profiles", "prevalence", "lift", "actions")


@org_view(LEADERSHIP)
@require_GET
def org_dashboard_export(request: HttpRequest, m: Membership) -> HttpResponse:
    """Every aggregate the organisation dashboard shows, under the same filters and rules."""
    table = request.GET.get("table", "")
    if table not in ORG_TABLES:
        return HttpResponse(f"Unknown table. Choose one of: {', '.join(ORG_TABLES)}.", status=400)
    context = _org_context(request, m)
    if context["cycle"] is None:
        raise Http404("No cycle with results yet.")
    view = queries.org_page(m.organization, context["cycle"], context["filters"])
    name = f"{m.organization.slug}-{context['cycle'].slug}-{table}"
    if table == "participation":
        return _csv(
            name,
            ["team", "people", "submitted", "in_progress", "participation_pct"],
            (
                [p["team"], p["size"], p["submitted"], p["in_progress"], p["rate"]]
                for p in view["participation"]
            ),
        )
    if not view["visible"]:
        return _csv(name, ["note"], [["Not enough responses under these filters to show results."]])
    if table == "teams":
        keys = list(CONSTRUCTS)
        return _csv(
            name,
            ["team", "n", "profile", *keys],
            (
                [
                    g.name,
                    g.n,
                    g.aggregate.profile.label,
                    *[g.aggregate.constructs[k].mean for k in keys],
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
    if table == "lift":
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
                "",
                "",
                "",
                "",
                r["with_n"],
                "",
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
    return _csv(
        name,
        ["rule", "action", "teams_unblocked", "teams"],
        (
            [a["rule_id"], a["title"], a["teams_unblocked"], "; ".join(a["teams"])]
            for a in view["actions"]
        ),
    )


def _team_context(request: HttpRequest, m: Membership, team: Team) -> dict[str, Any]:
    cycles = queries.team_cycles(team)
    cycle = _pick_cycle(request, cycles)
    return {
        "m": m,
        "team": team,
        "cycles": cycles,
        "cycle": cycle,
        "viewer_in_team": m.team_id == team.pk,
    }


@chart_csp
@org_view(policy="team:see")
@require_GET
def team_dashboard(request: HttpRequest, m: Membership, team: str) -> HttpResponse:
    team_obj = team_for(m, team)
    context = _team_context(request, m, team_obj)
    cycle, cycles, viewer = context["cycle"], context["cycles"], context["viewer_in_team"]
    if cycle is not None:
        context |= _cached_body(
            f"team-body:{team_obj.pk}:{cycle.pk}:{viewer}:{m.organization.anonymity_threshold}",
            queries.team_stamp(team_obj, cycle),
            "reports/_team_body.html",
            context,
            lambda: queries.team_page(team_obj, cycle, cycles, viewer_in_team=viewer),
        )
    return render(request, "reports/team_dashboard.html", context)


TEAM_TABLES = ("constructs", "practices", "items", "recommendations", "actions")


@org_view(policy="team:see")
@require_GET
def team_dashboard_export(request: HttpRequest, m: Membership, team: str) -> HttpResponse:
    team_obj = team_for(m, team)
    table = request.GET.get("table", "")
    if table not in TEAM_TABLES:
        return HttpResponse(f"Unknown table. Choose one of: {', '.join(TEAM_TABLES)}.", status=400)
    context = _team_context(request, m, team_obj)
    if context["cycle"] is None:
        raise Http404("No cycle with results yet.")
    view = queries.team_page(
        team_obj, context["cycle"], context["cycles"], context["viewer_in_team"]
    )
    name = f"{slugify(team_obj.name)}-{context['cycle'].slug}-{table}"
    if not view["visible"]:
        return _csv(name, ["note"], [["Not enough responses yet to show this team's results."]])
    if table == "constructs":
        return _csv(
            name,
            ["construct", "polarity", "mean", "sd", "min", "max", "n", "dont_know"],
            (
                [
                    r["label"],
                    r["polarity"],
                    r["mean"],
                    r["sd"],
                    r["min"],
                    r["max"],
                    r["n"],
                    r["dont_know"],
                ]
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
    return _csv(name, ["action", "label"], ([a["text"], a["label"]] for a in view["actions"]))
