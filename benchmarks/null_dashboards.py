"""What the dashboards claim in organisations where nothing differs: a simulation audit.

Each simulated organisation has two cycles drawn from the same process (so nothing changed),
200 respondents spread at random over 25 teams, on instrument v2 with its recommendation
rules. Two nulls:

- `uniform`: every answer drawn independently and uniformly over its item's options
  (segments too), so every team, segment, layer and cycle has the same true climate;
- `centred`: a realistic null: every team has the same true climate (the mean of the demo's
  climates), answers scatter around it as the demo's do (a Gaussian around the level,
  nearest option), segments drawn as the demo draws them; nothing depends on the
  respondent's team, self-view or cycle.

Responses go through the project's own pure functions: `score_response`, then
`build_release` for both cycles (the second with the first as its history and previous team
pages), then `item_changes_for_display` as a team page shows them. The claims each page makes
are then read off the stored pages (`claims_of_org`, `claims_of_team`). No database.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from assessments.instrument.loader import load_version
from assessments.instrument.types import Answers, Instrument, Item
from assessments.instrument.visibility import visible_item_keys
from assessments.recommend.recommendations import recommend
from assessments.recommend.rules import DEFAULT_RULES_PATH, Rule, load_rules
from assessments.scoring.response import score_response
from reports import dashboards
from reports.dashboards import FILTERS, Entry, TeamInfo
from reports.release_builder import ReleaseInput, build_release

TEAMS = 25
RESPONDENTS = 200
THRESHOLD = 3
# The centred null's one climate for every team: the mean of the demo's five climates.
CENTRED_LEVEL = {
    "uncertainty": 54.0,
    "diffusion": 55.0,
    "leadership": 55.0,
    "principles": 65.0,
    "individual_practice": 52.6,
    "collective_practice": 47.6,
    "governance_design": 50.6,
}
SCATTER_SD = 18.0  # as assessments/demo.py scatters answers around a level
SELF_VIEW_WEIGHTS = {"guardrail": 60, "gatekeeper": 15, "neither": 25}  # as the demo


def _uniform_answers(instrument: Instrument, rng: random.Random) -> Answers:
    answers: Answers = {}
    for item in instrument.items:
        if not item.options:
            continue
        values = [o.value for o in item.options]
        if item.type == "multiple_choice":
            answers[item.key] = [v for v in values if rng.random() < 0.5] or [rng.choice(values)]
        else:
            answers[item.key] = rng.choice(values)
    return answers


def _centred_option(item: Item, level: float, rng: random.Random) -> str:
    target = min(100.0, max(0.0, rng.gauss(level, SCATTER_SD)))
    if item.reverse:
        target = 100 - target
    if item.type == "yes_no":
        if rng.random() < 0.05:
            return next(o.value for o in item.options if o.dont_know)
        return "yes" if target >= 50 else "no"
    scored = [o for o in item.options if o.score is not None]
    return min(scored, key=lambda o: abs((o.score or 0) - target)).value


def _centred_answers(instrument: Instrument, rng: random.Random) -> Answers:
    answers: Answers = {}
    for item in instrument.items:
        if not item.options:
            continue
        if item.construct:
            answers[item.key] = _centred_option(item, CENTRED_LEVEL[item.construct], rng)
        elif item.segment == "self_view":
            answers[item.key] = rng.choices(
                list(SELF_VIEW_WEIGHTS), weights=list(SELF_VIEW_WEIGHTS.values())
            )[0]
        elif item.type == "multiple_choice":
            answers[item.key] = rng.sample([o.value for o in item.options], k=1)
        else:
            answers[item.key] = rng.choice([o.value for o in item.options])
    return answers


NULLS: dict[str, Callable[[Instrument, random.Random], Answers]] = {
    "uniform": _uniform_answers,
    "centred": _centred_answers,
}


def _entries(
    instrument: Instrument,
    draw: Callable[[Instrument, random.Random], Answers],
    rng: random.Random,
    start: int,
) -> dict[int, Entry]:
    by_segment = {i.segment: i.key for i in instrument.items if i.segment}
    out = {}
    for rid in range(start, start + RESPONDENTS):
        answers = draw(instrument, rng)
        visible = visible_item_keys(instrument, answers)
        answers = {k: v for k, v in answers.items() if k in visible}
        segments = {
            p: str(answers.get(by_segment.get(s, ""), "") or "") for p, s in FILTERS.items()
        }
        team = 1 + rng.randrange(TEAMS)
        out[rid] = Entry(rid, f"d{rid}", team, score_response(instrument, answers), segments)
    return out


@dataclass(frozen=True)
class Organisation:
    """The second cycle's pages of one simulated organisation."""

    pages: dict[str, dict[str, Any]]
    instrument: Instrument


def simulate(
    null: str, rng: random.Random, instrument: Instrument, rules: Sequence[Rule]
) -> Organisation:
    """Two cycles of one null organisation; the second cycle's release."""
    teams = {t: TeamInfo(t, f"Team {t:02d}", f"team-{t:02d}", 10) for t in range(1, TEAMS + 1)}
    draw = NULLS[null]

    def release(current: dict[int, Entry], **history: Any) -> dict[str, dict[str, Any]]:
        return build_release(
            ReleaseInput(
                instrument=instrument,
                rules=rules,
                teams=teams,
                threshold=THRESHOLD,
                current=current,
                **history,
            )
        ).pages

    first = release(_entries(instrument, draw, rng, 1), cycle_name="Cycle 1")
    team_pages = {t: first.get(f"team:{t}") for t in teams}
    overall = first["org"].get("overall")
    second = release(
        _entries(instrument, draw, rng, 10_001),
        cycle_name="Cycle 2",
        team_history={t: [("Cycle 1", p["means"])] for t, p in team_pages.items() if p},
        org_history=(
            [("Cycle 1", {k: c["mean"] for k, c in overall["aggregate"]["constructs"].items()})]
            if overall
            else []
        ),
        org_previous=overall["aggregate"]["constructs"] if overall else {},
        team_previous_pages={t: ("Cycle 1", p) for t, p in team_pages.items() if p},
    )
    return Organisation(second, instrument)


# --- The claims a page makes --------------------------------------------------------------


def _moved(d: Mapping[str, Any]) -> bool:
    """A trend delta shown as better or worse (a change that rounds to 0 reads as ±0)."""
    change = d.get("change")
    return d.get("improved") is not None and change is not None and round(change) != 0


def claims_of_org(org: Mapping[str, Any]) -> dict[str, bool]:
    """Which claims the (unfiltered) organisation page makes."""
    split = org.get("self_view") or {}
    by_group = org.get("governance_by_group") or {}
    breaks = by_group.get("breaks", {})
    at = [layer for layer in dashboards.LAYER_LABELS if breaks.get(layer)]
    groups = by_group.get("groups", 0)
    failing = by_group.get("real_test_failing", {})
    states = [r for r in org.get("profile_rows", ()) if r["count"]]
    actions = org.get("actions", ())
    return {
        "self_view_difference": bool(split.get("compare_finding"))
        if "compare_finding" in split
        else "higher" in (split.get("compare_sentence") or ""),
        "org_trend_better_or_worse": any(
            _moved(d) for d in (org.get("trend") or {}).get("deltas", ())
        ),
        "org_chain_breaks": (org.get("glance") or {})
        .get("layers", "")
        .startswith("The chain breaks"),
        "org_layers_differ_by_team": bool(at) and (len(at) > 1 or bool(breaks.get("holds"))),
        "org_real_test_fails": any(r.get("failed") for r in org.get("real_test", ())),
        "org_real_test_differs_by_team": any(0 < failing.get(p, 0) < groups for p in failing),
        "self_view_more_of_one": (org.get("glance") or {}).get("self_view", "").startswith("More"),
        "org_profiles_differ_by_team": len(states) > 1,
        "leadership_ranking_shown": bool(actions),
        "leadership_teams_differ": any(
            0 < len(a["teams"]) < len(org.get("groups", ())) for a in actions
        ),
        "lift_finding": bool(org.get("lift_rows")),
    }


def _fired(page: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        r["rule_id"] for r in (*page.get("recs_team", ()), *page.get("recs_leadership", ()))
    )


@dataclass(frozen=True)
class Truth:
    """What a team of the null's true climate is: its profile state and the rules it fires,
    from a very large group drawn from the same process."""

    state: str
    rules: frozenset[str]


def truth_of(null: str, instrument: Instrument, rules: Sequence[Rule], n: int = 4000) -> Truth:
    rng = random.Random(f"truth:{null}")
    draw = NULLS[null]
    people = []
    for rid in range(n):
        answers = draw(instrument, rng)
        visible = visible_item_keys(instrument, answers)
        answers = {k: v for k, v in answers.items() if k in visible}
        people.append(Entry(rid, f"t{rid}", 0, score_response(instrument, answers), {}))
    group = dashboards.group_result(instrument, "team:0", "Truth", people, THRESHOLD)
    fired = (
        frozenset(r.rule_id for r in recommend(rules, group.facts)) if group.facts else frozenset()
    )
    return Truth(group.aggregate.profile.state, fired)


def claims_of_team(
    page: Mapping[str, Any], instrument: Instrument, truth: Truth | None = None
) -> dict[str, bool]:
    """Which claims one team page makes (and, given the truth, where it contradicts it)."""
    changes = page.get("item_changes")
    shown = dashboards.item_changes_for_display(instrument, changes) if changes else None
    layers = page.get("layers") or {}
    return {
        "team_item_better_or_worse": bool(
            shown and any(r["improved"] is not None for r in shown["rows"])
        ),
        "team_most_improved_or_declined": bool(
            shown and (shown["most_better"] or shown["most_worse"])
        ),
        "team_trend_better_or_worse": any(
            _moved(d) for d in (page.get("trend") or {}).get("deltas", ())
        ),
        "team_chain_breaks": bool(layers.get("broken")),
        "team_real_test_fails": any(r.get("failed") for r in page.get("real_test", ())),
        "team_recommendation_fired": bool(page.get("recs_team") or page.get("recs_leadership")),
    } | (
        {
            "team_profile_not_the_true_state": page["profile"]["state"] != truth.state,
            "team_profile_wrong_and_not_flagged": page["profile"]["state"] != truth.state
            and not page["profile"].get("near_line"),
            # A rule fired on this page that the team's true climate does not fire, or one
            # it does fire that is missing here.
            "team_rule_fired_not_true": bool(_fired(page) - truth.rules),
            "team_true_rule_missing": bool(truth.rules - _fired(page)),
        }
        if truth
        else {}
    )


@dataclass
class Tally:
    orgs: int = 0
    teams: int = 0
    org_claims: dict[str, int] | None = None
    team_claims: dict[str, int] | None = None  # over all team pages
    any_team_claims: dict[str, int] | None = None  # orgs where at least one team page claims


def audit(null: str, orgs: int, seed: str = "null-dashboards") -> Tally:
    """Count the claims over `orgs` simulated organisations of one null."""
    instrument = load_version("2")
    rules = load_rules(DEFAULT_RULES_PATH, instrument)
    rng = random.Random(f"{seed}:{null}")
    truth = truth_of(null, instrument, rules)
    print(f"{null} truth: {truth}")
    tally = Tally(org_claims={}, team_claims={}, any_team_claims={})
    assert tally.org_claims is not None and tally.team_claims is not None
    assert tally.any_team_claims is not None
    for _ in range(orgs):
        sim = simulate(null, rng, instrument, rules)
        tally.orgs += 1
        for key, said in claims_of_org(sim.pages["org"]).items():
            tally.org_claims[key] = tally.org_claims.get(key, 0) + said
        any_team: dict[str, bool] = {}
        fails: set[str] = set()
        passes: set[str] = set()
        for key, page in sim.pages.items():
            if not key.startswith("team:") or not page.get("visible"):
                continue
            tally.teams += 1
            for row in page.get("real_test", ()):
                if row.get("failed"):
                    fails.add(row["part"])
                # Before the fix a part that did not fail passed; after, it must pass clearly.
                if row.get("passed", not row.get("failed")) and row.get("n"):
                    passes.add(row["part"])
            for claim, said in claims_of_team(page, instrument, truth).items():
                tally.team_claims[claim] = tally.team_claims.get(claim, 0) + said
                any_team[claim] = any_team.get(claim, False) or said
        # Teams of one true climate, yet one team fails a part another passes.
        said_apart = bool(fails & passes)
        tally.org_claims["teams_fail_and_pass_the_same_part"] = (
            tally.org_claims.get("teams_fail_and_pass_the_same_part", 0) + said_apart
        )
        for claim, said in any_team.items():
            tally.any_team_claims[claim] = tally.any_team_claims.get(claim, 0) + said
    return tally


if __name__ == "__main__":  # python -m benchmarks.null_dashboards [ORGS]
    import sys
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    for null in NULLS:
        start = time.monotonic()
        t = audit(null, n)
        print(f"== {null}: {t.orgs} orgs, {t.teams} team pages, {time.monotonic() - start:.0f} s")
        for key, k in (t.org_claims or {}).items():
            print(f"  org  {key:36s} {k:4d}/{t.orgs}")
        for key, k in (t.team_claims or {}).items():
            a = (t.any_team_claims or {}).get(key, 0)
            print(f"  team {key:36s} {k:5d}/{t.teams} pages; any team: {a}/{t.orgs}")
