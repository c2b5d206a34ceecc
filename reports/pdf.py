"""PDF reports: the dashboards' numbers laid out for print and rendered by WeasyPrint.

Runs inside Celery tasks and `manage.py render_report`, never in a request. The HTML holds
its stylesheet and SVG charts inline, and the URL fetcher refuses everything, so a render
never reaches the network or the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from weasyprint import HTML
from weasyprint.urls import URLFetcher

from assessments.models import Cycle
from assessments.services import instrument_for
from orgs.models import Organization, Team

from . import dashboards, selectors
from .charts import Chart, chart_from_plain
from .charts.heatmap import HeatmapData
from .charts.palette import GOODNESS_SCALE
from .charts.svg import render_svg
from .charts.text import format_score
from .collector import collector_paused
from .release_builder import ORG_PAGE

PRINT_CSS = Path(settings.BASE_DIR) / "static" / "css" / "print.css"


class RefuseAll(URLFetcher):
    """Reports embed everything they need; any fetch is refused."""

    def fetch(self, url: str, headers: Any = None) -> Any:
        raise ValueError(f"Report rendering does not fetch resources ({url[:60]}).")


@dataclass(frozen=True)
class PdfResult:
    content: bytes
    pages: int


def as_chart(data: Any) -> Chart | None:
    """A chart as a release stores it (plain JSON) back as a Chart."""
    if not data:
        return None
    return data if isinstance(data, Chart) else chart_from_plain(data)


def svg(chart: Any, width: int = 640) -> str:
    chart = as_chart(chart)
    # render_svg escapes every text it writes: the SVG is ours, not user markup.
    return mark_safe(render_svg(chart, width=width)) if chart else ""  # nosec B308 B703


def _released(cycle: Cycle, key: str, threshold: int) -> tuple[Any, dict[str, Any]]:
    release, page = selectors.release_page(cycle, key)
    return release, dict(page) if page else {"visible": False, "threshold": threshold}


def team_context(org: Organization, cycle: Cycle, team: Team) -> dict[str, Any]:
    release, view = _released(cycle, f"team:{team.pk}", org.anonymity_threshold)
    view = dashboards.team_page_for_display(view, instrument_for(cycle.instrument.version))
    if view.get("visible"):
        view["construct_svg"] = svg(view["construct_chart"])
        view["practice_svg"] = svg(view["practice_chart"])
        view["trend_svg"] = svg(view["trend"]["chart"]) if view.get("trend") else ""
        view |= printed_recommendations(view["recs_team"], view["recs_leadership"])
    return {"view": view, "team": team, "release": release}


TOP_ACTIONS = 3
MORE_PER_AUDIENCE = 3  # with the top three, about two printed pages of actions


def printed_recommendations(team: list[Any], leadership: list[Any]) -> dict[str, Any]:
    """Which recommendations the team PDF prints, and where: the three most valuable on the
    summary page (team actions first), then the next few of each audience, each printed
    once; the appendix traces exactly those. The rest are counted, not printed."""
    ranked = sorted(team + leadership, key=lambda r: r["audience"] != "team")
    top = ranked[:TOP_ACTIONS]
    rest_team = [r for r in team if r not in top]
    rest_lead = [r for r in leadership if r not in top]
    more_team = rest_team[:MORE_PER_AUDIENCE]
    more_lead = rest_lead[:MORE_PER_AUDIENCE]
    return {
        "top_actions": top,
        "more_team": more_team,
        "more_leadership": more_lead,
        "unprinted_team": len(rest_team) - len(more_team),
        "unprinted_leadership": len(rest_lead) - len(more_lead),
        "printed_recs": [*top, *more_team, *more_lead],
    }


@dataclass(frozen=True)
class HeatmapCell:
    text: str
    fill: str
    ink: str


@dataclass(frozen=True)
class HeatmapRow:
    label: str
    cells: tuple[HeatmapCell, ...]


@dataclass(frozen=True)
class HeatmapTable:
    """The teams × constructs heatmap as a printed table: a table flows over pages with its
    header repeated, and WeasyPrint lays out a cell's text far faster than SVG text (which it
    shapes one letter at a time)."""

    headers: tuple[str, ...]
    rows: tuple[HeatmapRow, ...]
    key: tuple[str, ...]  # the colour scale's stops, worse to better
    summary: str


def heatmap_table(chart: Any) -> HeatmapTable:
    """The heatmap chart's cells, coloured and labelled as its SVG drawing colours them."""
    chart = as_chart(chart)
    data = chart.data if chart else None
    if not chart or not isinstance(data, HeatmapData):
        raise ValueError("heatmap_table: not a heatmap chart")
    rows = tuple(
        HeatmapRow(
            label,
            tuple(
                HeatmapCell(format_score(v), *c.cell(v))
                for c, v in zip(data.constructs, values, strict=True)
            ),
        )
        for label, values in zip(data.row_labels(), data.values, strict=True)
    )
    key = tuple(colour for _, colour in GOODNESS_SCALE)
    return HeatmapTable(tuple(c.header() for c in data.constructs), rows, key, chart.summary)


PRESSURE_PAIRS_PER_ROW = 3  # team and count are short: three pairs fill the page's width


def pressure_grid(by_group: dict[str, Any]) -> list[list[tuple[str, Any]]]:
    """Delivery pressure beside each team, three teams to a printed row, in order: a
    200-team organisation takes two pages instead of seven."""
    shown = [(name, p) for name, p in by_group.items() if p]
    per_row = PRESSURE_PAIRS_PER_ROW
    return [shown[i : i + per_row] for i in range(0, len(shown), per_row)]


def org_context(org: Organization, cycle: Cycle) -> dict[str, Any]:
    release, view = _released(cycle, ORG_PAGE, org.anonymity_threshold)
    if view.get("visible"):
        view["heatmap_table"] = heatmap_table(view["heatmap"])
        if view.get("pressure_by_group"):
            view["pressure_grid"] = pressure_grid(view["pressure_by_group"])
        # These two sit side by side in the PDF: drawn at half width, their text stays legible.
        view["profile_svg"] = svg(view["profile_chart"], width=360)
        view["prevalence_svg"] = svg(view["prevalence_chart"], width=360)
        view["lift_svg"] = svg(view["lift_chart"], width=720) if view.get("lift_chart") else ""
        view["trend_svg"] = svg(view["trend"]["chart"]) if view.get("trend") else ""
    return {"view": view, "release": release}


def render_html(org: Organization, cycle: Cycle, team: Team | None) -> str:
    context = team_context(org, cycle, team) if team else org_context(org, cycle)
    context |= {
        "org": org,
        "cycle": cycle,
        "generated": timezone.localtime(),
        # Our own print stylesheet, inlined so the render fetches nothing.
        "css": mark_safe(PRINT_CSS.read_text(encoding="utf-8")),  # nosec B308 B703
        "instrument_version": cycle.instrument.version,
    }
    template = "reports/pdf/team.html" if team else "reports/pdf/organization.html"
    return render_to_string(template, context)


def render_pdf(org: Organization, cycle: Cycle, team: Team | None) -> PdfResult:
    """The PDF bytes of a team report (with `team`) or a leadership report."""
    with collector_paused():
        document = HTML(string=render_html(org, cycle, team), url_fetcher=RefuseAll()).render()
        content = document.write_pdf(pdf_variant="pdf/ua-1")
    return PdfResult(content, len(document.pages))
