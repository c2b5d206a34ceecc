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


def test_demo_shows_every_v2_view_and_compares_v1_with_v2(db):
    call_command("seed_demo", verbosity=0)
    call_command("release_results", verbosity=0)
    cycles = Cycle.objects.filter(organization__slug="demo")
    assert cycles.get(state="closed").instrument.version == "1"
    current = cycles.get(state="open")
    assert current.instrument.version == "2"
    _, view = selectors.release_page(current, ORG_PAGE)
    split = view["self_view"]
    assert split["compare_shown"], split["too_small"]
    compare = {c["construct"]: c for c in split["compare"]}
    assert (
        compare["collective_practice"]["gatekeeper"] > compare["collective_practice"]["guardrail"]
    )
    assert view["layers"]["broken"] in {"controls", "operations"}
    assert "The chain breaks" in view["layers"]["sentence"]
    assert any(r["failed"] for r in view["real_test"])
    assert any(r["dont_know"] for r in view["dont_know_rows"])
    assert all(p is None or p["n"] for p in view["pressure_by_group"].values())
    # The comparison across versions: the trend runs from the v1 cycle to the v2 one.
    assert view["trend"] and view["trend"]["from"] == "2026 Q2"
    # Every team released in both cycles sees its change on each question kept by key.
    earlier = cycles.get(state="closed")
    compared = 0
    for team in current.teams.all():
        _, page = selectors.release_page(current, f"team:{team.pk}")
        _, before = selectors.release_page(earlier, f"team:{team.pk}")
        if page is None or before is None:
            continue
        assert page["item_changes"]["from"] == earlier.name, team.slug
        # Questions whose counts either cycle withholds to keep answers anonymous (people
        # answered a construct's questions differently) have no change to show, and say so:
        # every question asked in both cycles is accounted for.
        changes = page["item_changes"]
        accounted = [r["key"] for r in changes["rows"]] + [r["key"] for r in changes["withheld"]]
        assert sorted(accounted) == sorted(asked_in_both(before, page)), team.slug
        assert len(changes["rows"]) >= 40, team.slug
        compared += 1
    assert compared >= 10
    # And a leader reads the three findings at the top of the dashboard.
    assert all(view["glance"][k] for k in ("self_view", "layers", "real_test"))


def asked_in_both(before: dict, now: dict) -> set[str]:
    def keys(page: dict) -> set[str]:
        return {i["key"] for c in page["drilldown"] for i in c["items"]}

    return keys(before) & keys(now)
