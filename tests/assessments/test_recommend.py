"""The rule table, its validation, rule evaluation with traces, and leadership ranking."""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from assessments.instrument import CONSTRUCTS, Answers, Instrument, load_version
from assessments.recommend import (
    DEFAULT_RULES_PATH,
    AllOf,
    AnyOf,
    Condition,
    ConstructLeaf,
    Facts,
    GapLeaf,
    ItemLeaf,
    Not,
    ProfileLeaf,
    Rule,
    RuleError,
    evaluate,
    facts_from_aggregate,
    facts_from_response,
    load_rules,
    parse_rules,
    rank_leadership_actions,
    recommend,
)
from assessments.scoring import (
    PROFILE_STATES,
    aggregate,
    item_answered_counts,
    item_distribution,
    score_response,
)


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


@pytest.fixture(scope="module")
def rules(v1: Instrument) -> tuple[Rule, ...]:
    return load_rules(DEFAULT_RULES_PATH, v1)


def _all_rule_ids() -> list[str]:
    data = yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))
    return [r["id"] for r in data["rules"]]


# --- Building facts that satisfy or violate a condition ---------------------------------
#
# Each leaf reads one input; every input gets a small finite domain around the thresholds
# the rule uses. Solving a condition for True (or False) gives alternatives, each a set of
# allowed values per input; any value from each set makes the condition come out as wanted.

RESPONDENTS = 20  # item shares are realised as counts out of this many respondents

Input = tuple[str, ...]


def _input(leaf: Condition) -> Input:
    if isinstance(leaf, ConstructLeaf):
        return ("construct", leaf.construct)
    if isinstance(leaf, ProfileLeaf):
        return ("profile",)
    if isinstance(leaf, GapLeaf):
        return ("gap",)
    assert isinstance(leaf, ItemLeaf)
    return ("item", leaf.item, *leaf.values)


def _leaves(condition: Condition) -> list[Condition]:
    if isinstance(condition, AllOf | AnyOf):
        return [leaf for c in condition.conditions for leaf in _leaves(c)]
    if isinstance(condition, Not):
        return _leaves(condition.condition)
    return [condition]


def _domains(condition: Condition) -> dict[Input, set[Any]]:
    domains: dict[Input, set[Any]] = {}
    for leaf in _leaves(condition):
        domain = domains.setdefault(_input(leaf), set())
        if isinstance(leaf, ConstructLeaf):
            near = {leaf.value - 1, leaf.value, leaf.value + 1}
            domain |= {None, 0.0, 100.0} | {v for v in near if 0 <= v <= 100}
        elif isinstance(leaf, ProfileLeaf):
            domain |= set(PROFILE_STATES)
        elif isinstance(leaf, GapLeaf):
            domain |= {True, False}
        elif isinstance(leaf, ItemLeaf):
            at = round(leaf.value * RESPONDENTS)
            counts = {0, RESPONDENTS, at - 1, at, at + 1}
            domain |= {None} | {c for c in counts if 0 <= c <= RESPONDENTS}
    return domains


def _leaf_holds(leaf: Condition, value: Any) -> bool:
    facts = _facts({_input(leaf): value}, instrument=None)
    return evaluate(leaf, facts)[0]


Assignment = dict[Input, frozenset[Any]]


def _merge(left: Assignment, right: Assignment) -> Assignment | None:
    merged = dict(left)
    for key, allowed in right.items():
        merged[key] = merged.get(key, allowed) & allowed
        if not merged[key]:
            return None
    return merged


def _solve(condition: Condition, want: bool, domains: dict[Input, set[Any]]) -> list[Assignment]:
    if isinstance(condition, Not):
        return _solve(condition.condition, not want, domains)
    if isinstance(condition, AllOf | AnyOf):
        if isinstance(condition, AllOf) == want:  # every child must come out as `want`
            solutions: list[Assignment] = [{}]
            for child in condition.conditions:
                options = _solve(child, want, domains)
                pairs = itertools.product(solutions, options)
                solutions = [m for a, b in pairs if (m := _merge(a, b)) is not None][:64]
            return solutions
        return [a for child in condition.conditions for a in _solve(child, want, domains)]
    key = _input(condition)
    allowed = frozenset(v for v in domains[key] if _leaf_holds(condition, v) == want)
    return [{key: allowed}] if allowed else []


def _facts(values: dict[Input, Any], instrument: Instrument | None) -> Facts:
    scores: dict[str, float | None] = dict.fromkeys(CONSTRUCTS)
    profile, gap = "insufficient_data", False
    counts: dict[str, dict[str, int]] = {}
    answered: dict[str, int] = {}
    for key, value in values.items():
        if key[0] == "construct":
            scores[key[1]] = value
        elif key[0] == "profile":
            profile = value
        elif key[0] == "gap":
            gap = value
        elif value is not None:
            item, wanted = key[1], key[2:]
            others = [o.value for o in instrument.item(item).options] if instrument else []
            other = next((v for v in others if v not in wanted), "__other__")
            counts[item] = {wanted[0]: value, other: RESPONDENTS - value}
            answered[item] = RESPONDENTS
    return Facts("1", scores, profile, gap, counts, answered, n_responses=RESPONDENTS)


def facts_where(rule: Rule, fires: bool, instrument: Instrument) -> Facts:
    """Facts under which `rule`'s condition comes out as `fires`."""
    solutions = _solve(rule.when, fires, _domains(rule.when))
    assert solutions, f"rule {rule.id}: cannot be made {'true' if fires else 'false'}"
    chosen = {
        key: sorted(allowed, key=lambda v: (v is None, repr(v)))[0]
        for key, allowed in solutions[0].items()
    }
    return _facts(chosen, instrument)


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
    item_leaves = [leaf for r in rules for leaf in _leaves(r.when) if isinstance(leaf, ItemLeaf)]
    assert len(item_leaves) >= 20
    assert all(leaf.item_text and leaf.value_labels for leaf in item_leaves)


@pytest.mark.parametrize("rule_id", _all_rule_ids())
def test_rule_fires_on_facts_built_for_it_and_not_on_the_opposite(
    rule_id: str, rules: tuple[Rule, ...], v1: Instrument
) -> None:
    rule = next(r for r in rules if r.id == rule_id)

    satisfying = facts_where(rule, fires=True, instrument=v1)
    fired = recommend([rule], satisfying)
    assert [r.rule_id for r in fired] == [rule.id]
    trace = fired[0].trace
    assert trace.rule_id == rule.id
    assert trace.instrument_version == "1"
    assert trace.checks
    # Every check in the trace is one the rule needed, and reads as a sentence.
    assert all(c.holds != c.negated for c in trace.checks)
    names = {"construct": 1, "item": 1}
    rule_inputs = {
        k[names[k[0]]] if k[0] in names else k[0] for k in map(_input, _leaves(rule.when))
    }
    rule_inputs = {"decoupling_gap" if k == "gap" else k for k in rule_inputs}
    assert {c.input for c in trace.checks} <= rule_inputs
    assert all(s.endswith(")") for s in fired[0].trace_sentences())

    violating = facts_where(rule, fires=False, instrument=v1)
    assert recommend([rule], violating) == []


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
    group = aggregate([score_response(v1, a) for a in answers_list], v1.thresholds)
    facts = facts_from_aggregate(
        "1",
        group,
        item_distribution(v1, answers_list),
        item_answered_counts(v1, answers_list),
    )
    for recommendation in recommend(rules, facts):
        assert recommendation.trace.instrument_version == "1"
        assert recommendation.trace_sentences()
        assert json.loads(json.dumps(recommendation.to_dict()))["trace"]["checks"]


# --- Validation -------------------------------------------------------------------------

VALID_RULE: dict[str, Any] = {
    "id": "r1",
    "audience": "team",
    "resource": "individual",
    "priority": 10,
    "construct": "leadership",
    "title": "Title",
    "why": "Why.",
    "steps": ["Do it."],
    "when": {"construct": "leadership", "lt": 40},
}


def _write(tmp_path: Path, *rules: dict[str, Any]) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": list(rules)}), encoding="utf-8")
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
        ({"why": None}, "missing field(s) why"),
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
    [("rules: [", "invalid YAML"), ("version: 1", "non-empty 'rules' list")],
)
def test_bad_file_is_named(tmp_path: Path, v1: Instrument, content: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RuleError, match=message) as error:
        load_rules(path, v1)
    assert str(path) in str(error.value)


def test_missing_file_is_named(tmp_path: Path, v1: Instrument) -> None:
    with pytest.raises(RuleError, match="cannot read the file"):
        load_rules(tmp_path / "absent.yaml", v1)


# --- Evaluation and traces --------------------------------------------------------------


def _rules(v1: Instrument, *raw: dict[str, Any]) -> tuple[Rule, ...]:
    return parse_rules({"rules": list(raw)}, "test", v1)


def _team_facts(**scores: float | None) -> Facts:
    return Facts("1", scores, "decoupled", gap=False)


def test_trace_names_its_inputs_in_plain_english(v1: Instrument) -> None:
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
    assert recommendation.trace_sentences() == [
        "Leadership commitment scored 32 (rule: below 40)",
        "3 of 4 respondents (75%) answered “No” or “I don't know” to "
        f"“{v1.item('col_red_team').text}” (rule: at least 50%)",
    ]
    data = recommendation.to_dict()
    assert data["trace"]["rule_id"] == "r1"
    assert data["trace"]["instrument_version"] == "1"
    assert data["trace"]["checks"][0]["sentence"].startswith("Leadership commitment scored 32")


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
        "Leadership commitment scored 55 (rule: at or above 40)",
        "Recoupling profile is Decoupled (rule: not one of Recoupled, Top-down only)",
        "No decoupling gap (rule: gap absent)",
    ]
    assert [c.negated for c in recommendation.trace.checks] == [True, True, False]


def test_missing_score_makes_a_leaf_false(v1: Instrument) -> None:
    (below, not_below) = _rules(
        v1,
        _with(id="below"),
        _with(id="not_below", when={"not": {"construct": "leadership", "lt": 40}}),
    )
    facts = _team_facts(leadership=None)
    assert [r.rule_id for r in recommend([below, not_below], facts)] == ["not_below"]
    (sentence,) = recommend([not_below], facts)[0].trace_sentences()
    assert sentence == "Leadership commitment has no score (rule: not below 40)"


def test_item_leaf_with_nobody_answering_is_false(v1: Instrument) -> None:
    (rule,) = _rules(v1, _with(when={"item": "col_red_team", "share_in": ["no"], "lte": 1}))
    assert recommend([rule], _team_facts()) == []


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


# --- Leadership ranking -----------------------------------------------------------------


def test_leadership_actions_rank_by_teams_unblocked_then_priority(v1: Instrument) -> None:
    rules = _rules(
        v1,
        _with(id="two_teams_low", audience="leadership", priority=10),
        _with(
            id="three_teams",
            audience="leadership",
            priority=5,
            when={"construct": "leadership", "lt": 90},
        ),
        _with(id="two_teams_high", audience="leadership", priority=50),
        _with(id="team_rule", audience="team", priority=99),
        _with(id="no_team", audience="leadership", when={"gap": True}),
    )
    facts_by_team = {
        "alpha": _team_facts(leadership=20),
        "beta": _team_facts(leadership=30),
        "gamma": _team_facts(leadership=70),
    }
    ranked = rank_leadership_actions(rules, facts_by_team)
    assert [a.rule.id for a in ranked] == ["three_teams", "two_teams_high", "two_teams_low"]
    assert ranked[0].teams == ("alpha", "beta", "gamma")
    assert ranked[0].teams_unblocked == 3
    assert ranked[1].teams == ("alpha", "beta")
    assert set(ranked[1].traces) == {"alpha", "beta"}
    assert ranked[1].traces["beta"].sentences() == [
        "Leadership commitment scored 30 (rule: below 40)"
    ]
    assert ranked[1].to_dict()["teams_unblocked"] == 2


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
