"""A respondent's own results page: her scores beside her team's released results, and the
few things she can do now; seen by her alone."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from assessments.demo import DECOUPLED, GUARDRAILS, RECOUPLED
from assessments.services import rules_for
from tests.builders import add_people, release, submit

QUERIES = 7


def results_url(team="alpha", cycle="2026-q4", org="acme"):
    return reverse("response_results", args=[org, cycle, team])


def team_column(page: str) -> dict[str, str]:
    """Construct key -> the text of the "Your team" cell."""
    return {
        key: re.sub(r"<[^>]+>", "", cell).strip()
        for key, cell in re.findall(
            r'data-construct="(\w+)".*?<td class="text-end rc-team-mean">(.*?)</td>', page, re.S
        )
    }


@pytest.fixture
def alpha_released(world, cycle):
    """Max and three others of Alpha submitted (k = 3), then a release."""
    for user in [world.max, world.tess, *add_people(world.acme, world.alpha, 2)]:
        submit(cycle, world.alpha, user, GUARDRAILS)
    release(cycle)
    return cycle


def test_owner_sees_own_scores_beside_released_team_means(world, alpha_released, login):
    response = login(world.max).get(results_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your scores beside your team's" in page
    released = response.context["view"]
    assert released["team_released"] and released["team_n"] == 4
    column = team_column(page)
    assert len(column) == len(released["rows"]) and all(v not in {"", "–"} for v in column.values())
    assert response["Cache-Control"] == "no-store, private"


def test_team_column_comes_from_the_release_not_live_answers(world, alpha_released, login):
    before = team_column(login(world.max).get(results_url()).content.decode())
    # Three people (k) with very different answers submit after the release.
    for user in add_people(world.acme, world.alpha, 3, start=20):
        submit(alpha_released, world.alpha, user, RECOUPLED)
    after = team_column(login(world.max).get(results_url()).content.decode())
    assert after == before
    # The next release takes them in and moves the column: the test can fail.
    release(alpha_released)
    assert team_column(login(world.max).get(results_url()).content.decode()) != before


def test_unreleased_team_shows_k_needed_and_no_team_numbers(world, cycle, login):
    submit(cycle, world.alpha, world.max, DECOUPLED)
    submit(cycle, world.alpha, world.tess, DECOUPLED)
    release(cycle)  # 2 < k = 3: the team is not released
    response = login(world.max).get(results_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not released yet: 3 responses needed." in page
    assert set(team_column(page).values()) == {"not released yet"}
    own = [r["mean"] for r in response.context["view"]["rows"]]
    assert any(m is not None for m in own)


def test_actions_are_at_most_three_individual_team_actions_in_plain_words(world, cycle, login):
    submit(cycle, world.alpha, world.max, DECOUPLED)
    response = login(world.max).get(results_url())
    actions = response.context["view"]["actions"]
    assert 1 <= len(actions) <= 3
    by_id = {r.id: r for r in rules_for("1")}
    assert all(by_id[a["rule_id"]].audience == "team" for a in actions)
    assert all(by_id[a["rule_id"]].resource == "individual" for a in actions)
    page = response.content.decode()
    outside_details = re.sub(r"<details.*?</details>", "", page, flags=re.S)
    for action in actions:
        assert escape(action["title"]) in page
        assert escape(action["why_sentences"][0]) in page
        assert action["rule_id"] not in outside_details
    assert page.count("<summary>How we got this</summary>") == len(actions)


def test_only_the_respondent_sees_her_results(world, alpha_released, login):
    # Bob (Beta), Leo (leader), Alice (admin, no team): not their team: 403.
    for user in (world.bob, world.leo, world.alice):
        assert login(user).get(results_url()).status_code == 403, user
    assert login(world.charlie).get(results_url()).status_code == 404
    assert login(world.max).get(results_url(org="other")).status_code == 404
    anonymous = login(None).get(results_url())
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert login(world.max).post(results_url()).status_code == 405


def test_a_teammate_never_sees_her_scores_only_their_own(world, alpha_released, login):
    """The URL names no response: a teammate (or the team lead) gets their own results, or
    is sent to their own questionnaire when they have not submitted."""
    max_page = login(world.max).get(results_url())
    tess_page = login(world.tess).get(results_url())
    assert tess_page.status_code == 200
    assert tess_page.context["response"].respondent == world.tess
    assert max_page.context["response"].respondent == world.max
    newcomer = add_people(world.acme, world.alpha, 1, start=30)[0]
    draft = login(newcomer).get(results_url())
    assert draft.status_code == 302
    assert draft["Location"] == reverse("response_start", args=["acme", "2026-q4", "alpha"])


def test_submitted_page_and_home_link_to_own_results(world, alpha_released, login):
    client = login(world.max)
    review = client.get(reverse("response_review", args=["acme", "2026-q4", "alpha"]))
    assert results_url() in review.content.decode()
    home = client.get(reverse("org_home", args=["acme"]))
    assert results_url() in home.content.decode()


def test_results_page_query_count_is_pinned(
    world, alpha_released, login, django_assert_num_queries
):
    client = login(world.max)
    client.get(results_url())  # warm the instrument and rules caches
    # session, user, membership, own response, release page, latest release, the nav's memberships
    with django_assert_num_queries(QUERIES):
        assert client.get(results_url()).status_code == 200
