"""The rule table, its validation, rule evaluation with traces, and leadership ranking."""

from __future__ import annotations

import copy
import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessments.instrument.loader import load_version
from assessments.instrument.types import CONSTRUCTS, Answers, Instrument
from assessments.recommend.conditions import ConstructLeaf, ItemLeaf, evaluate, holds
from assessments.recommend.facts import Facts, facts_from_aggregate, facts_from_response
from assessments.recommend.recommendations import rank_leadership_actions, recommend
from assessments.recommend.rules import (
    DEFAULT_RULES_PATH,
    Rule,
    RuleError,
    load_rules,
    parse_rules,
    rules_version,
)
from assessments.scoring.group import aggregate, item_answered_counts, item_distribution
from assessments.scoring.response import score_response

from .rule_facts import check_key, find_facts, leaf_key, leaves


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


@pytest.fixture(scope="module")
def rules(v1: Instrument) -> tuple[Rule, ...]:
    return load_rules(DEFAULT_RULES_PATH, v1)


def _all_rule_ids() -> list[str]:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return [r["id"] for r in data["rules"]]


# --- The real rule table ----------------------------------------------------------------


def test_rule_table_covers_constructs_audiences_and_resources(rules: tuple[Rule, ...]) -> None:
    assert len(rules) >= 28
    assert {r.construct for r in rules} == set(CONSTRUCTS)
    combos = Counter((r.audience, r.resource) for r in rules)
    assert set(combos) == {
        ("team", "individual"),
        ("team", "collective"),
        ("leadership", "individual"),
        ("leadership", "collective"),
    }
    # Team rules lead with what a team can do alone; leadership rules with what it unlocks.
    assert combos["team", "individual"] > combos["team", "collective"]
    assert combos["leadership", "collective"] > combos["leadership", "individual"]


def test_rule_table_uses_real_item_leaves(rules: tuple[Rule, ...]) -> None:
    item_leaves = [leaf for r in rules for leaf in leaves(r.when) if isinstance(leaf, ItemLeaf)]
    assert len(item_leaves) >= 20
    assert all(leaf.item_text and leaf.value_labels for leaf in item_leaves)


def _version_of(rule_id: str) -> str:
    """The first instrument version a rule applies to (its `instruments:` list, if any)."""
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    raw = next(r for r in data["rules"] if r["id"] == rule_id)
    return raw.get("instruments", ["1"])[0]


@pytest.mark.parametrize("rule_id", _all_rule_ids())
def test_rule_fires_on_facts_built_for_it_and_not_on_the_opposite(rule_id: str) -> None:
    version = _version_of(rule_id)
    instrument = load_version(version)
    rule = next(r for r in load_rules(DEFAULT_RULES_PATH, instrument) if r.id == rule_id)
    v1 = instrument  # the walk below runs on the instrument the rule applies to

    satisfying = find_facts(rule.when, lambda f: evaluate(rule.when, f)[0] is True, v1)
    assert satisfying is not None
    fired = recommend([rule], satisfying)
    assert [r.rule_id for r in fired] == [rule.id]
    trace = fired[0].trace
    assert (trace.rule_id, trace.instrument_version, trace.rules_version) == (
        rule.id,
        version,
        "3",
    )
    assert trace.checks
    # Every check in the trace is a leaf of the rule, and came out as the rule needed.
    assert all(c.passed is True for c in trace.checks)
    assert {check_key(c) for c in trace.checks} <= {leaf_key(leaf) for leaf in leaves(rule.when)}

    violating = find_facts(rule.when, lambda f: evaluate(rule.when, f)[0] is False, v1)
    assert violating is not None
    assert recommend([rule], violating) == []


def test_rule_table_has_a_version_that_every_rule_carries(rules: tuple[Rule, ...]) -> None:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    assert data["version"] == "3"
    assert {r.table_version for r in rules} == {"3"}
    assert rules_version(rules) == "3"


def test_guardrails_without_backing_team_gets_both_audiences(rules: tuple[Rule, ...]) -> None:
    facts = Facts(
        "1",
        {"individual_practice": 75, "collective_practice": 30, "leadership": 45},
        "guardrails_without_backing",
        gap=False,
    )
    team = recommend(rules, facts, audience="team")
    leadership = recommend(rules, facts, audience="leadership")
    assert "team_make_the_case_for_backing" in [r.rule_id for r in team]
    assert leadership[0].rule_id == "lead_back_the_guardrails"
    assert all(r.audience == "team" for r in team)
    everything = recommend(rules, facts)
    assert [(-r.priority, r.rule_id) for r in everything] == sorted(
        (-r.priority, r.rule_id) for r in everything
    )


def test_real_rules_on_a_real_team(rules: tuple[Rule, ...], v1: Instrument) -> None:
    rng = random.Random(3)
    answers_list = []
    for _ in range(6):
        answers: Answers = {}
        for item in v1.items:
            if item.options and item.type != "multiple_choice":
                answers[item.key] = rng.choice(item.options).value
        answers_list.append(answers)
    facts = _group_facts(v1, answers_list)
    fired = recommend(rules, facts)
    assert fired
    for recommendation in fired:
        assert recommendation.trace.instrument_version == "1"
        assert recommendation.trace_sentences()
        data = json.loads(json.dumps(recommendation.to_dict()))
        assert data["trace"]["checks"]
        assert data["rules_version"] == data["trace"]["rules_version"] == "3"
        assert data["why"] == " ".join(data["why_sentences"])
        assert data["why_sentences"][-1] == data["framing"]


# --- Validation -------------------------------------------------------------------------

VALID_RULE: dict[str, Any] = {
    "id": "r1",
    "audience": "team",
    "resource": "individual",
    "priority": 10,
    "construct": "leadership",
    "title": "Title",
    "framing": "Why it matters.",
    "steps": ["Do it."],
    "when": {"construct": "leadership", "lt": 40},
}


def _write(tmp_path: Path, *rules: dict[str, Any]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": "7", "rules": list(rules)}), encoding="utf-8")
    return path


def _with(**changes: Any) -> dict[str, Any]:
    rule = copy.deepcopy(VALID_RULE)
    for key, value in changes.items():
        if value is None:
            del rule[key]
        else:
            rule[key] = value
    return rule


def test_valid_rule_loads(tmp_path: Path, v1: Instrument) -> None:
    (rule,) = load_rules(_write(tmp_path, VALID_RULE), v1)
    assert rule.when == ConstructLeaf("leadership", "lt", 40.0)
    assert rule.steps == ("Do it.",)
    assert rule.framing == rule.why == "Why it matters."
    assert rule.table_version == "7"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"construct": "morale"}, "unknown construct 'morale'"),
        ({"when": {"construct": "morale", "lt": 40}}, "unknown construct 'morale'"),
        ({"when": {"item": "no_such_item", "share_in": ["yes"], "gte": 0.5}}, "unknown item"),
        (
            {"when": {"item": "col_red_team", "share_in": ["maybe"], "gte": 0.5}},
            "'maybe' not valid for item 'col_red_team'",
        ),
        (
            {"when": {"item": "ctx_genai_uses", "share_in": ["chat", "content"], "gte": 0.5}},
            "not valid for item 'ctx_genai_uses'",
        ),
        (
            {
                "when": {
                    "item": "ctx_genai_uses",
                    "share_in": ["conversation", "content"],
                    "gte": 0.5,
                }
            },
            "must name one value",
        ),
        ({"when": {"item": "act_individual", "share_in": ["x"], "gte": 0.5}}, "no options"),
        ({"when": {"item": "col_red_team", "share_in": ["no"], "gte": 5}}, "in 0..1"),
        ({"when": {"profile": ["chaotic"]}}, "unknown profile state"),
        ({"when": {"gap": "yes"}}, "'gap' must be true or false"),
        ({"when": {"mood": "happy"}}, "unknown condition"),
        ({"when": {"construct": "leadership", "below": 40}}, "unknown key(s) below"),
        ({"when": {"construct": "leadership", "lt": 40, "gt": 10}}, "exactly one operator"),
        ({"when": {"construct": "leadership", "lt": 140}}, "in 0..100"),
        ({"when": {"all": []}}, "non-empty list of conditions"),
        ({"when": {"not": {"profile": ["recouple"]}}}, "when.not"),
        ({"audience": "board"}, "audience: must be one of team, leadership"),
        ({"resource": "medium"}, "resource: must be one of individual, collective"),
        ({"priority": "high"}, "priority: must be a whole number"),
        ({"steps": []}, "steps: must be a non-empty list"),
        ({"framing": None}, "missing field(s) framing"),
        ({"framing": "  "}, "framing: must be a non-empty string"),
        ({"why": "Most of you never do it."}, "'why' is now 'framing'"),
        ({"colour": "red"}, "unknown field(s) colour"),
    ],
)
def test_invalid_rule_is_named_in_the_error(
    tmp_path: Path, v1: Instrument, changes: dict[str, Any], message: str
) -> None:
    path = _write(tmp_path, _with(**changes))
    with pytest.raises(RuleError) as error:
        load_rules(path, v1)
    assert len(error.value.errors) >= 1
    line = next(e for e in error.value.errors if message in e)
    assert line.startswith(f"{path}: rule 'r1': ")


def test_duplicate_rule_id_is_an_error(tmp_path: Path, v1: Instrument) -> None:
    path = _write(tmp_path, VALID_RULE, VALID_RULE)
    with pytest.raises(RuleError, match=r"rule 'r1': id: duplicate rule id"):
        load_rules(path, v1)


def test_bad_rule_id_is_named_by_position(tmp_path: Path, v1: Instrument) -> None:
    path = _write(tmp_path, VALID_RULE, _with(id="Rule 2"))
    with pytest.raises(RuleError, match=r"rule #2: id: must be a snake_case string"):
        load_rules(path, v1)


def test_all_errors_are_collected(tmp_path: Path, v1: Instrument) -> None:
    path = _write(
        tmp_path,
        _with(id="first", audience="board"),
        _with(id="second", when={"profile": ["chaotic"]}),
    )
    with pytest.raises(RuleError) as error:
        load_rules(path, v1)
    assert len(error.value.errors) == 2
    assert "rule 'first'" in error.value.errors[0]
    assert "rule 'second'" in error.value.errors[1]
    assert str(error.value).count(str(path)) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("rules: [", "invalid YAML"),
        ("version: 1", "non-empty 'rules' list"),
        ("- a list", "non-empty 'rules' list"),
        ("rules: [{id: r1}]", "needs a 'version'"),
        ("version: ''\nrules: [{id: r1}]", "needs a 'version'"),
        ("version: true\nrules: [{id: r1}]", "needs a 'version'"),
        ("version: 'two words'\nrules: [{id: r1}]", "needs a 'version'"),
        ("version: '2'\nrevision: 3\nrules: [{id: r1}]", "unknown key(s) revision"),
    ],
)
def test_bad_file_is_named(tmp_path: Path, v1: Instrument, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError, match=re.escape(message)) as error:
        load_rules(path, v1)
    assert str(path) in str(error.value)
    assert all(line.startswith(f"{path}: ") for line in error.value.errors)


def test_rules_limited_to_other_instrument_versions_are_skipped_not_validated(
    tmp_path: Path, v1: Instrument
) -> None:
    v2_only = {
        **VALID_RULE,
        "id": "v2_only",
        "instruments": ["2"],
        "when": {"item": "gov_real_prove", "share_in": ["disagree"], "gte": 0.5},
    }
    path = _write(tmp_path, VALID_RULE, v2_only)
    assert [r.id for r in load_rules(path, v1)] == ["r1"]
    assert [r.id for r in load_rules(path, load_version("2"))] == ["r1", "v2_only"]


def test_instruments_must_be_a_list_of_versions(tmp_path: Path, v1: Instrument) -> None:
    path = _write(tmp_path, {**VALID_RULE, "instruments": "2"})
    with pytest.raises(RuleError) as error:
        load_rules(path, v1)
    assert any("rule 'r1': instruments: must be a non-empty list" in e for e in error.value.errors)


def test_v2_rules_cover_broken_layers_the_real_test_and_gatekeeper_authority() -> None:
    ids = {r.id for r in load_rules(DEFAULT_RULES_PATH, load_version("2"))}
    assert {
        "team_real_test_explain",
        "team_real_test_prove",
        "team_real_test_prevent",
        "team_controls_for_written_limits",
        "team_evidence_layer",
        "lead_gatekeeper_authority",
    } <= ids
    assert "team_failure_drill" not in ids  # its item is v1's single real-test question
    assert "lead_gatekeeper_authority" in {
        r.id for r in load_rules(DEFAULT_RULES_PATH, load_version("1"))
    }


def test_version_may_be_a_number_and_is_kept_as_text(tmp_path: Path, v1: Instrument) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": 3, "rules": [VALID_RULE]}), encoding="utf-8")
    (rule,) = load_rules(path, v1)
    assert rule.table_version == "3"


def test_missing_file_is_named(tmp_path: Path, v1: Instrument) -> None:
    with pytest.raises(RuleError, match="cannot read the file"):
        load_rules(tmp_path / "absent.yaml", v1)


# --- Evaluation and traces --------------------------------------------------------------


def _group_facts(v1: Instrument, answers_list: list[dict[str, Any]]) -> Facts:
    """The facts of a group that gave these answers, as a release computes them."""
    group = aggregate([score_response(v1, a) for a in answers_list], v1.thresholds)
    return facts_from_aggregate(
        "1", group, item_distribution(v1, answers_list), item_answered_counts(v1, answers_list)
    )


def _rules(v1: Instrument, *raw: dict[str, Any]) -> tuple[Rule, ...]:
    return parse_rules({"version": "t1", "rules": list(raw)}, "test", v1)


def _team_facts(**scores: float | None) -> Facts:
    return Facts("1", scores, "decoupled", gap=False)


def test_trace_names_its_inputs_plainly_and_technically(v1: Instrument) -> None:
    (rule,) = _rules(
        v1,
        _with(
            when={
                "all": [
                    {"construct": "leadership", "lt": 40},
                    {"item": "col_red_team", "share_in": ["no", "dont_know"], "gte": 0.5},
                ]
            }
        ),
    )
    facts = Facts(
        "1",
        {"leadership": 32.4},
        "decoupled",
        gap=False,
        item_counts={"col_red_team": {"yes": 1, "no": 2, "dont_know": 1}},
        item_answered={"col_red_team": 4},
    )
    (recommendation,) = recommend([rule], facts)
    leadership, red_team = recommendation.trace.checks
    assert (leadership.input, leadership.actual, leadership.operator, leadership.threshold) == (
        "leadership",
        32.4,
        "lt",
        40.0,
    )
    assert (red_team.input, red_team.actual, red_team.matched, red_team.answered) == (
        "col_red_team",
        0.75,
        3,
        4,
    )
    statement = v1.item("col_red_team").text.rstrip(".")
    assert recommendation.why_sentences() == [
        "The team's score for leadership commitment is 32 of 100, below 40.",
        f"3 of the 4 people who answered “{statement}” chose “No” or “I don't know” (75%).",
        "Why it matters.",
    ]
    assert recommendation.why == " ".join(recommendation.why_sentences())
    assert recommendation.trace_heading() == (
        "Rule r1, rule table version t1, instrument version 1, 1 response"
    )
    assert recommendation.trace_sentences() == [
        "construct leadership scored 32.4; test: lt 40 → true",
        "item col_red_team: 3 of 4 respondents (0.750) answered no, dont_know; "
        "test: share gte 0.5 → true",
    ]
    data = recommendation.to_dict()
    assert data["rules_version"] == "t1"
    assert data["trace"]["rule_id"] == "r1"
    assert data["trace"]["instrument_version"] == "1"
    assert data["trace"]["rules_version"] == "t1"
    assert data["trace"]["checks"][0]["plain"].startswith("The team's score for leadership")
    assert data["trace"]["checks"][1]["technical"].startswith("item col_red_team: 3 of 4")
    assert data["trace"]["checks"][1]["margin"] == 25.0


def test_any_traces_only_the_branches_that_fired(v1: Instrument) -> None:
    (rule,) = _rules(
        v1,
        _with(
            when={
                "any": [
                    {"construct": "leadership", "lt": 40},
                    {"construct": "principles", "lt": 40},
                    {"profile": ["recoupled"]},
                ]
            }
        ),
    )
    (recommendation,) = recommend([rule], _team_facts(leadership=70, principles=20))
    assert [c.input for c in recommendation.trace.checks] == ["principles"]


def test_not_traces_the_negated_leaf(v1: Instrument) -> None:
    (rule,) = _rules(
        v1,
        _with(
            when={
                "all": [
                    {"not": {"construct": "leadership", "lt": 40}},
                    {"not": {"profile": ["recoupled", "top_down_only"]}},
                    {"gap": False},
                ]
            }
        ),
    )
    (recommendation,) = recommend([rule], _team_facts(leadership=55))
    assert recommendation.trace_sentences() == [
        "construct leadership scored 55.0; test: not lt 40 → true",
        "profile decoupled (individual_practice no score, collective_practice no score); "
        "test: not in [recoupled, top_down_only] → true",
        "decoupling_gap false; test: is false → true",
    ]
    # Hand-built facts without cut-offs: the plain sentences name no numbers they lack.
    assert recommendation.why_sentences()[:-1] == [
        "The team's score for leadership commitment is 55 of 100, at or above 40.",
        "The team's profile is “Decoupled”, not “Recoupled” or “Top-down only”: there is no "
        "score for individual practice or collective practice.",
        "There is no decoupling gap for the team.",
    ]
    assert [c.negated for c in recommendation.trace.checks] == [True, True, False]


def test_missing_score_is_unknown_and_so_is_its_negation(v1: Instrument) -> None:
    below, not_below, either, both = _rules(
        v1,
        _with(id="below"),
        _with(id="not_below", when={"not": {"construct": "leadership", "lt": 40}}),
        _with(
            id="either",
            when={"any": [{"construct": "leadership", "lt": 40}, {"gap": False}]},
        ),
        _with(
            id="both",
            when={"all": [{"not": {"construct": "leadership", "lt": 40}}, {"gap": False}]},
        ),
    )
    facts = _team_facts(leadership=None)
    assert evaluate(not_below.when, facts)[0] is None
    assert evaluate(both.when, facts)[0] is None
    # An `any` still fires on a known branch, and explains itself by that branch alone.
    (fired,) = recommend([below, not_below, either, both], facts)
    assert fired.rule_id == "either"
    assert [c.input for c in fired.trace.checks] == ["decoupling_gap"]


def test_unknown_loses_to_a_false_all_and_to_a_true_any(v1: Instrument) -> None:
    (all_rule, any_rule) = _rules(
        v1,
        _with(id="a", when={"all": [{"construct": "leadership", "lt": 40}, {"gap": True}]}),
        _with(id="b", when={"any": [{"construct": "leadership", "lt": 40}, {"gap": False}]}),
    )
    facts = _team_facts(leadership=None)
    assert evaluate(all_rule.when, facts)[0] is False
    assert evaluate(any_rule.when, facts)[0] is True


@pytest.mark.parametrize("operator", ["gte", "lte", "gt", "lt"])
def test_item_leaf_with_nobody_answering_is_unknown(v1: Instrument, operator: str) -> None:
    (rule, negated) = _rules(
        v1,
        _with(id="plain", when={"item": "col_red_team", "share_in": ["no"], operator: 0.5}),
        _with(
            id="negated",
            when={"not": {"item": "col_red_team", "share_in": ["no"], operator: 0.5}},
        ),
    )
    assert evaluate(rule.when, _team_facts())[0] is None
    assert recommend([rule, negated], _team_facts()) == []


def test_recommendations_are_ordered_by_priority_then_id(v1: Instrument) -> None:
    rules = _rules(
        v1,
        _with(id="b_low", priority=1),
        _with(id="z_high", priority=9),
        _with(id="a_high", priority=9),
        _with(id="never", when={"gap": True}),
    )
    fired = recommend(rules, _team_facts(leadership=10))
    assert [r.rule_id for r in fired] == ["a_high", "z_high", "b_low"]


# --- Facts ------------------------------------------------------------------------------


def test_facts_from_response_use_its_own_answers(v1: Instrument) -> None:
    answers: Answers = {
        "col_red_team": "no",
        "ind_review_outputs": "often",
        "ctx_genai_uses": ["conversation", "agent_actions"],
    }
    facts = facts_from_response(v1, score_response(v1, answers), answers)
    assert facts.instrument_version == "1"
    assert facts.n_responses == 1
    assert facts.share("col_red_team", ["no", "dont_know"]) == (1.0, 1, 1)
    assert facts.share("ctx_genai_uses", ["agent_actions"]) == (1.0, 1, 1)
    assert facts.share("col_internal_audit", ["no"]) == (None, 0, 0)
    assert facts.scores["collective_practice"] == 0.0
    assert facts.subject == "respondent"
    assert (facts.practice_high, facts.gap_enabler_min, facts.gap_practice_max) == (60, 60, 50)


def test_facts_from_aggregate_share_among_those_who_answered(v1: Instrument) -> None:
    answers_list: list[Answers] = [
        {"col_red_team": "no", "ctx_genai_uses": ["conversation", "content"]},
        {"col_red_team": "yes", "ctx_genai_uses": ["conversation"]},
        {"col_red_team": "dont_know"},
        {},
    ]
    group = aggregate([score_response(v1, a) for a in answers_list], v1.thresholds)
    distribution = item_distribution(v1, answers_list)
    facts = facts_from_aggregate("1", group, distribution, item_answered_counts(v1, answers_list))
    assert facts.n_responses == 4
    assert facts.share("col_red_team", ["no", "dont_know"]) == (2 / 3, 2, 3)
    assert facts.share("ctx_genai_uses", ["conversation"]) == (1.0, 2, 2)
    assert facts.profile == group.profile.state
    # Without answered counts, the option counts stand in (exact for single answers).
    approximate = facts_from_aggregate("1", group, distribution)
    assert approximate.share("col_red_team", ["no"]) == (1 / 3, 1, 3)
    # The profile's cut-off comes with the aggregate; the gap's with the thresholds.
    assert (approximate.practice_high, approximate.gap_enabler_min) == (60, None)
    full = facts_from_aggregate("1", group, distribution, thresholds=v1.thresholds)
    assert (full.gap_enabler_min, full.gap_practice_max, full.subject) == (60, 50, "team")
    pool = facts_from_aggregate("1", group, distribution, subject="group")
    assert pool.subject == "group"


# --- Leadership ranking -----------------------------------------------------------------


def test_leadership_actions_rank_by_teams_reporting_then_evidence(v1: Instrument) -> None:
    rules = _rules(
        v1,
        # Fires for alpha (20) and beta (30) below 40: 20 and 10 points past, mean 15.
        _with(id="two_teams_clear", audience="leadership", priority=10),
        # Fires for alpha and beta below 31: 11 and 1 points past, mean 6.
        _with(
            id="two_teams_close",
            audience="leadership",
            priority=50,
            when={"construct": "leadership", "lt": 31},
        ),
        _with(
            id="three_teams",
            audience="leadership",
            priority=5,
            when={"construct": "leadership", "lt": 90},
        ),
        _with(id="team_rule", audience="team", priority=99),
        _with(id="no_team", audience="leadership", when={"gap": True}),
    )
    facts_by_team = {
        "alpha": Facts("1", {"leadership": 20}, "decoupled", False, n_responses=4),
        "beta": Facts("1", {"leadership": 30}, "decoupled", False, n_responses=6),
        "gamma": Facts("1", {"leadership": 70}, "decoupled", False, n_responses=5),
        "delta": Facts("1", {"leadership": None}, "decoupled", False, n_responses=3),
    }
    ranked = rank_leadership_actions(rules, facts_by_team)
    # Most teams first; between equals, the clearer evidence wins over the higher priority.
    assert [a.rule.id for a in ranked] == ["three_teams", "two_teams_clear", "two_teams_close"]
    three, clear, close = ranked
    assert three.teams == ("alpha", "beta", "gamma")
    assert (three.teams_reporting, three.teams_considered) == (3, 4)
    assert three.teams_label() == "3 of 4 teams report this"
    assert three.teams_unblocked == 3  # the old name, until the dashboards move over
    assert clear.teams == ("alpha", "beta") and set(clear.traces) == {"alpha", "beta"}
    assert (clear.margin, close.margin) == (15.0, 6.0)
    assert clear.margin_label() == "on average 15 points past the cut-offs"
    assert clear.respondents == 10
    assert clear.plain_sentences("beta") == [
        "The team's score for leadership commitment is 30 of 100, below 40."
    ]
    assert clear.traces["beta"].sentences() == [
        "construct leadership scored 30.0; test: lt 40 → true"
    ]
    data = clear.to_dict()
    assert (data["teams_reporting"], data["teams_label"], data["margin"]) == (
        2,
        "2 of 4 teams report this",
        15.0,
    )
    assert data["rules_version"] == "t1" and data["traces"]["alpha"]["rules_version"] == "t1"
    assert "teams_unblocked" not in data


def test_leadership_ties_in_teams_and_evidence_go_to_priority_then_id(v1: Instrument) -> None:
    rules = _rules(
        v1,
        _with(id="b_low", audience="leadership", priority=1),
        _with(id="b_high", audience="leadership", priority=9),
        _with(id="a_high", audience="leadership", priority=9),
    )
    ranked = rank_leadership_actions(rules, {"alpha": _team_facts(leadership=10)})
    assert [a.rule.id for a in ranked] == ["a_high", "b_high", "b_low"]
    assert ranked[0].teams_label() == "1 of 1 teams report this"


def test_one_team_label_without_a_known_total(v1: Instrument) -> None:
    (rule,) = _rules(v1, _with(audience="leadership"))
    (action,) = rank_leadership_actions([rule], {"alpha": _team_facts(leadership=10)})
    unknown_total = type(action)(action.rule, action.teams, action.traces)
    assert unknown_total.teams_label() == "1 team reports this"


def test_margin_of_profile_and_gap_checks_is_their_closest_call(v1: Instrument) -> None:
    (profile_rule, gap_rule) = _rules(
        v1,
        _with(id="p", when={"profile": ["guardrails_without_backing"]}),
        _with(id="g", when={"gap": True}),
    )
    facts = Facts(
        "1",
        {"individual_practice": 64, "collective_practice": 20, "leadership": 90, "principles": 61},
        "guardrails_without_backing",
        True,
        practice_high=60,
        gap_enabler_min=60,
        gap_practice_max=50,
    )
    (profile,) = recommend([profile_rule], facts)
    assert profile.trace.checks[0].margin == 4  # 64 is 4 points above 60; 20 is 40 below
    (gap,) = recommend([gap_rule], facts)
    # Clearest enabler 90 (30 past 60), only practice low 20 (30 below 50): 30.
    assert gap.trace.checks[0].margin == 30
    assert [b.construct for b in gap.trace.checks[0].basis] == [
        "leadership",
        "principles",
        "collective_practice",
    ]


@pytest.mark.parametrize(
    ("operator", "score", "fires"),
    [
        ("gte", 40.0, True),
        ("gte", 39.9, False),
        ("gt", 40.0, False),
        ("gt", 40.1, True),
        ("lte", 40.0, True),
        ("lte", 40.1, False),
        ("lt", 40.0, False),
        ("lt", 39.9, True),
    ],
)
def test_construct_leaf_operators_at_the_boundary(
    v1: Instrument, operator: str, score: float, fires: bool
) -> None:
    (rule,) = _rules(v1, _with(when={"construct": "leadership", operator: 40}))
    assert bool(recommend([rule], _team_facts(leadership=score))) is fires


@pytest.mark.parametrize(
    ("operator", "matched", "fires"),
    [("gte", 2, True), ("gte", 1, False), ("lte", 2, True), ("lte", 3, False)],
)
def test_item_leaf_share_at_the_boundary(
    v1: Instrument, operator: str, matched: int, fires: bool
) -> None:
    (rule,) = _rules(v1, _with(when={"item": "col_red_team", "share_in": ["no"], operator: 0.5}))
    facts = Facts(
        "1",
        {},
        "decoupled",
        gap=False,
        item_counts={"col_red_team": {"no": matched, "yes": 4 - matched}},
        item_answered={"col_red_team": 4},
    )
    assert bool(recommend([rule], facts)) is fires


def test_sentences_name_whose_facts_they_are(v1: Instrument) -> None:
    (rule,) = _rules(
        v1,
        _with(
            when={
                "all": [
                    {"construct": "leadership", "lt": 40},
                    {"item": "col_red_team", "share_in": ["no"], "gte": 0.5},
                ]
            }
        ),
    )
    statement = v1.item("col_red_team").text.rstrip(".")
    said = {}
    for subject, counts, answered in (
        ("group", {"no": 3, "yes": 2}, 5),
        ("team", {"no": 1}, 1),
        ("respondent", {"no": 1}, 1),
    ):
        facts = Facts(
            "1",
            {"leadership": 12.0},
            "decoupled",
            False,
            item_counts={"col_red_team": counts},
            item_answered={"col_red_team": answered},
            subject=subject,
        )
        (rec,) = recommend([rule], facts)
        said[subject] = rec.why_sentences()[:-1]
    assert said["group"] == [
        "This group's score for leadership commitment is 12 of 100, below 40.",
        f"3 of the 5 people who answered “{statement}” chose “No” (60%).",
    ]
    assert said["team"][1] == f"The one person who answered “{statement}” chose “No”."
    assert said["respondent"] == [
        "Your score for leadership commitment is 12 of 100, below 40.",
        f"You answered “No” to “{statement}”.",
    ]


def test_holds_is_what_evaluate_decides_on_every_rule(
    rules: tuple[Rule, ...], v1: Instrument
) -> None:
    """The truth-only pass that skips rules that do not fire agrees with `evaluate`, on
    every rule of the table over teams of every kind (some items unanswered)."""
    rng = random.Random(5)
    seen: Counter[bool | None] = Counter()
    for _ in range(60):
        answers_list = []
        for _ in range(rng.randint(1, 8)):
            answers: Answers = {}
            lean = rng.random()
            for item in v1.items:
                if item.options and item.type != "multiple_choice" and rng.random() < 0.9:
                    options = item.options
                    pick = options[-1] if rng.random() < lean else rng.choice(options)
                    answers[item.key] = pick.value
            answers_list.append(answers)
        facts = _group_facts(v1, answers_list)
        for rule in rules:
            want = evaluate(rule.when, facts)[0]
            assert holds(rule.when, facts) is want
            seen[want] += 1
    assert seen[True] and seen[False]
