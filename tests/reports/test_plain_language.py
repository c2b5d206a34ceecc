"""Plain language on the dashboards: no rule ids, cue tags, threshold jargon or decimal
confidences outside the "How we got this" disclosures that keep the traces."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.demo import DECOUPLED, GUARDRAILS
from assessments.services import publish_instrument
from tests.builders import add_people, release, submit
from tests.reports.plain_words import jargon_in, visible_text


@pytest.fixture(params=["1", "2"], ids=["v1", "v2"])
def results(world, cycle, request):
    # The demo runs on v2, whose governance views add their own explanations.
    if request.param != "1":
        cycle.instrument = publish_instrument(request.param)
        cycle.save(update_fields=["instrument"])
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 3)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    for user in [world.bob, *add_people(world.acme, world.beta, 3)]:
        submit(cycle, world.beta, user, DECOUPLED, role="design")
    release(cycle)
    return cycle


def test_the_checker_finds_jargon_outside_traces_and_not_inside():
    inside = "<details><summary>How we got this</summary><p>team_x: 0.62</p></details>"
    assert jargon_in(inside) == []
    assert jargon_in("<p>“High” from 60</p>") and jargon_in("<p>rule team_x</p>")
    assert jargon_in("<p>confidence 0.62</p>") == ["0.62"]


@pytest.mark.parametrize("who", ["tess", "max", "leo"])
def test_team_dashboard_speaks_plainly(world, results, login, who):
    response = login(getattr(world, who)).get(reverse("team_dashboard", args=["acme", "alpha"]))
    page = response.content.decode()
    assert response.status_code == 200 and "What your team can do now" in page
    assert "How we got this" in page  # the traces are still there, behind the disclosure
    assert jargon_in(page) == []


@pytest.mark.parametrize("query", ["", "?role=design"])
def test_org_dashboard_speaks_plainly(world, results, login, query):
    response = login(world.leo).get(reverse("org_dashboard", args=["acme"]) + query)
    page = response.content.decode()
    assert response.status_code == 200
    assert jargon_in(page) == []


def test_team_hero_says_what_high_practice_means_in_words(world, results, login):
    page = login(world.max).get(reverse("team_dashboard", args=["acme", "alpha"])).content
    text = visible_text(page.decode())
    assert "60 or more counts as strong practice" in text
