"""The demo organisation shows what the product does: every profile, shown and withheld lift."""

from __future__ import annotations

from django.core.management import call_command

from assessments.models import ClassifiedAction, Cycle, Response
from orgs.models import Organization
from reports import selectors
from reports.release_builder import ORG_PAGE


def test_demo_has_the_breadth_a_first_look_needs(db):
    call_command("seed_demo", verbosity=0)
    call_command("release_results", verbosity=0)
    org = Organization.objects.get(slug="demo")
    assert org.teams.count() >= 12
    cycles = Cycle.objects.filter(organization=org)
    assert {c.state for c in cycles} == {"open", "closed"}
    respondents = Response.objects.filter(cycle__organization=org, status="submitted")
    assert respondents.values("respondent").distinct().count() >= 80
    current = cycles.get(state="open")
    _, view = selectors.release_page(current, ORG_PAGE)
    assert all(row["count"] > 0 for row in view["profile_rows"])  # every profile state
    assert view["lift_rows"] and view["lift_withheld"]  # lift cells shown and withheld
    assert view["pooled_teams"]  # small teams pooled
    assert ClassifiedAction.objects.filter(needs_review=True, reviewed_at__isnull=True).exists()
