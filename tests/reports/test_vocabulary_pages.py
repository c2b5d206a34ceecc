"""The pages show the words of assessments/vocabulary.yaml, not copies of them."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from assessments.demo import DECOUPLED, GUARDRAILS
from assessments.vocabulary import VOCABULARY
from tests.builders import add_people, release, submit


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def results(world, cycle):
    """Alpha: 4 submitted, guardrails without backing; Beta: 3, decoupled."""
    for i, user in enumerate([world.tess, world.max, *add_people(world.acme, world.alpha, 2)]):
        submit(cycle, world.alpha, user, GUARDRAILS, role="engineering" if i else "design")
    for user in [world.bob, *add_people(world.acme, world.beta, 2)]:
        submit(cycle, world.beta, user, DECOUPLED, role="design")
    release(cycle)
    return cycle


def test_the_team_dashboard_shows_the_vocabularys_profile_text_and_labels(world, results, login):
    page = login(world.max).get(reverse("team_dashboard", args=["acme", "alpha"])).content.decode()
    profile = VOCABULARY.profiles["guardrails_without_backing"]
    assert escape(profile.label) in page
    assert escape(profile.summary) in page
    for construct in VOCABULARY.constructs.values():
        assert escape(construct.label) in page


def test_the_org_dashboard_offers_the_vocabularys_filters_under_its_headings(world, results, login):
    url = reverse("org_dashboard", args=["acme"])
    response = login(world.leo).get(url)
    page = response.content.decode()
    start = page.index('id="f-filter"')
    select = page[start : page.index("</select>", start)]
    headings = re.findall(r'<optgroup label="([^"]+)">', select)
    offered = [p for p in VOCABULARY.filters if f'value="{p}:' in select]
    assert offered[:2] == ["role", "stage"]
    assert headings == [escape(VOCABULARY.filters[p].label) for p in offered]
    # The chosen filter stays selected, by the URL parameter the vocabulary names.
    chosen = login(world.leo).get(url, {"filter": "role:design"}).content.decode()
    assert '<option value="role:design" selected>' in chosen


def test_the_org_heatmap_uses_the_vocabularys_labels_and_short_labels(world, results, login):
    response = login(world.leo).get(reverse("org_dashboard", args=["acme"]))
    heatmap = response.context["view"]["heatmap"]
    shown = {c["key"]: (c["label"], c["short"]) for c in heatmap["data"]["constructs"]}
    assert shown == {key: (c.label, c.short) for key, c in VOCABULARY.constructs.items()}
    page = response.content.decode()
    start = page.index('id="chart-org-heatmap"')
    table = page[start : page.index("</figure>", start)]
    for construct in VOCABULARY.constructs.values():
        assert escape(construct.label) in table
