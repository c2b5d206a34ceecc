"""The PDF reports are worth printing: plain words outside the "How we got this" appendix,
a summary page that stands alone, and no nearly empty page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assessments.classify import load_lexicon
from assessments.demo import DECOUPLED, GUARDRAILS, TOP_DOWN
from assessments.services import publish_instrument, rules_for
from reports import pdf
from tests.builders import add_people, release, submit
from tests.reports.pdf_pages import MIN_FILL, page_fill, pages_text

SNAKE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # rule ids, cue tags, item keys, states
DECIMAL = re.compile(r"\b0\.\d+\b(?!×)")  # a decimal confidence or share (not a "0.5×" axis tick)
HIGH_FROM = re.compile(r"[“\"']high[”\"']\s+from", re.I)


@pytest.fixture(params=["1", "2"], ids=["v1", "v2"])
def released(world, cycle, request):
    # The demo runs on v2, whose governance pages and "don't know" method are longer.
    if request.param != "1":
        cycle.instrument = publish_instrument(request.param)
        cycle.save(update_fields=["instrument"])
    beta_lead = add_people(world.acme, world.beta, 3)
    for user in [world.tess, world.max, *add_people(world.acme, world.alpha, 4)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    for user in [world.bob, *beta_lead]:
        submit(cycle, world.beta, user, DECOUPLED)
    gamma = world.alpha.__class__.objects.create(organization=world.acme, name="Gamma", slug="g")
    cycle.teams.add(gamma)
    for user in add_people(world.acme, gamma, 4):
        submit(cycle, gamma, user, TOP_DOWN)
    release(cycle)
    return cycle


def render(world, cycle, team, tmp_path) -> tuple[Path, list[str]]:
    result = pdf.render_pdf(world.acme, cycle, team)
    path = tmp_path / "report.pdf"
    path.write_bytes(result.content)
    return path, pages_text(path, result.pages)


def internal_names() -> set[str]:
    rules = {r.id for version in ("1", "2") for r in rules_for(version)}
    return rules | {c.name for c in load_lexicon().cues if "_" in c.name}


def jargon(text: str) -> list[str]:
    found = SNAKE.findall(text) + DECIMAL.findall(text) + HIGH_FROM.findall(text)
    return found + [name for name in internal_names() if name in text]


def test_team_pdf_keeps_internals_in_the_labelled_appendix(world, released, tmp_path):
    _, pages = render(world, released, world.alpha, tmp_path)
    text = "\f".join(pages)
    before, marker, appendix = text.partition("How we got this\n")
    assert marker, "the appendix is labelled 'How we got this'"
    assert jargon(before) == []
    assert re.search(r"rule (team|lead)_\w+", appendix)  # the traces are still there
    assert not re.search(r"(individual|collective) ·", before, re.I)  # resource tags


def test_team_pdf_summary_page_stands_alone(world, released, tmp_path):
    _, pages = render(world, released, world.alpha, tmp_path)
    summary = pages[1]
    assert "Summary" in summary and "The three most valuable actions" in summary
    tags = summary.upper()  # the tags print in capitals
    assert tags.count("YOUR TEAM CAN DO THIS NOW") + tags.count("ASK LEADERSHIP") == 3
    assert "Construct scores" not in summary  # the next section starts on its own page


@pytest.mark.parametrize("team", ["alpha", None])
def test_no_page_is_nearly_empty(world, released, tmp_path, team):
    path, pages = render(world, released, getattr(world, team) if team else None, tmp_path)
    fills = page_fill(path, tmp_path)
    assert len(fills) == len(pages)
    assert min(fills) >= MIN_FILL, [round(f, 2) for f in fills]


def test_leadership_pdf_speaks_plainly_outside_its_methods(world, released, tmp_path):
    _, pages = render(world, released, None, tmp_path)
    text = "\f".join(pages)
    before, marker, _ = text.partition("Methods\n")
    assert marker
    assert jargon(before) == []
    assert not re.search(r"(individual|collective) ·", before, re.I)  # resource tags
    assert "NEEDS LEADERSHIP" in before.upper()
