"""Scoring rules on small hand-built instruments, and on the real v1 instrument."""

from __future__ import annotations

import json
import random

import pytest

from assessments.instrument.loader import load_version
from assessments.instrument.types import (
    CONSTRUCTS,
    Answers,
    Instrument,
    Option,
    ShowIf,
)
from assessments.scoring.deltas import cycle_deltas, item_deltas
from assessments.scoring.group import (
    GroupAggregate,
    aggregate,
    item_answered_counts,
    item_distribution,
)
from assessments.scoring.profile import PROFILE_STATES, decoupling_gap, recoupling_profile
from assessments.scoring.response import (
    PRACTICE_CONSTRUCTS,
    ResponseScore,
    practice_item_scores,
    score_response,
)
from tests.assessments.hand_built import (
    AGREEMENT,
    THRESHOLDS,
    instrument,
    item,
    practice_instrument,
)

# --- One response -----------------------------------------------------------------------


def test_construct_score_is_weighted_mean_of_answered_items() -> None:
    inst = instrument(
        item("l1", "leadership", type="agreement", options=AGREEMENT),
        item("l2", "leadership", type="agreement", options=AGREEMENT, weight=3.0),
    )
    result = score_response(inst, {"l1": "sd", "l2": "sa"})
    assert result.constructs["leadership"].score == pytest.approx(75.0)
    assert result.constructs["leadership"].answered == 2


def test_reverse_item_scores_hundred_minus_option_score() -> None:
    inst = instrument(item("u1", "uncertainty", type="agreement", options=AGREEMENT, reverse=True))
    construct = score_response(inst, {"u1": "a"}).constructs["uncertainty"]
    (contribution,) = construct.items
    assert (contribution.raw_score, contribution.score) == (75.0, 25.0)
    assert construct.score == 25.0


def test_multiple_choice_item_scores_mean_of_selected_scored_options() -> None:
    options = (Option("x", "X", 20), Option("y", "Y", 60), Option("z", "Z", 100))
    inst = instrument(item("g1", "governance_design", type="multiple_choice", options=options))
    construct = score_response(inst, {"g1": ["x", "y"]}).constructs["governance_design"]
    assert construct.score == pytest.approx(40.0)
    assert construct.items[0].option_label == "X; Y"


def test_dont_know_is_excluded_from_mean_but_counted() -> None:
    inst = instrument(item("p1", "principles"), item("p2", "principles"), item("p3", "principles"))
    construct = score_response(inst, {"p1": "yes", "p2": "dk", "p3": "no"}).constructs["principles"]
    assert construct.score == 50.0
    assert (construct.answered, construct.dont_know, construct.not_applicable) == (2, 1, 0)
    assert construct.dont_know_share == pytest.approx(1 / 3)
    assert [c.status for c in construct.items] == ["scored", "dont_know", "scored"]


def test_not_applicable_drops_out_and_is_counted() -> None:
    inst = instrument(item("p1", "principles"), item("p2", "principles"))
    construct = score_response(inst, {"p1": "yes", "p2": "na"}).constructs["principles"]
    assert construct.score == 100.0
    assert (construct.answered, construct.dont_know, construct.not_applicable) == (1, 0, 1)
    assert construct.dont_know_share == 0.0


def test_score_is_none_when_nothing_scored() -> None:
    inst = instrument(item("p1", "principles"), item("p2", "principles"))
    construct = score_response(inst, {"p1": "dk"}).constructs["principles"]
    assert construct.score is None
    assert [c.status for c in construct.items] == ["dont_know", "unanswered"]
    assert construct.dont_know_share == 1.0


def test_unknown_option_value_counts_as_unanswered() -> None:
    inst = instrument(item("p1", "principles"))
    construct = score_response(inst, {"p1": "maybe"}).constructs["principles"]
    assert construct.score is None
    assert construct.items[0].status == "unanswered"


def test_hidden_items_are_neither_scored_nor_counted() -> None:
    stage = item("stage", None, type="single_choice", options=(Option("live", "Live"),))
    shown_if_live = ShowIf("stage", ("live",))
    inst = instrument(
        stage,
        item("i1", "individual_practice"),
        item("i2", "individual_practice", show_if=shown_if_live),
    )
    hidden = score_response(inst, {"i1": "yes", "i2": "no"}).constructs["individual_practice"]
    assert hidden.score == 100.0
    assert hidden.answered == 1
    assert hidden.items[1].status == "hidden"
    assert hidden.items[1].score is None

    shown = score_response(inst, {"stage": "live", "i1": "yes", "i2": "no"})
    assert shown.constructs["individual_practice"].score == 50.0


def test_caller_given_visible_set_overrides_conditions() -> None:
    inst = instrument(item("i1", "individual_practice"), item("i2", "individual_practice"))
    construct = score_response(inst, {"i1": "yes", "i2": "no"}, visible={"i1"}).constructs[
        "individual_practice"
    ]
    assert construct.score == 100.0
    assert [c.status for c in construct.items] == ["scored", "hidden"]


def test_text_items_are_never_scored() -> None:
    inst = instrument(
        item("i1", "individual_practice"),
        item("act", None, type="action", options=(), max_length=100),
    )
    result = score_response(inst, {"i1": "yes", "act": "we delayed the launch"})
    assert all(c.item_key != "act" for cs in result.constructs.values() for c in cs.items)


def test_contribution_explains_the_score() -> None:
    inst = instrument(item("l1", "leadership", type="agreement", options=AGREEMENT, weight=2.0))
    (contribution,) = score_response(inst, {"l1": "a"}).constructs["leadership"].items
    assert contribution.item_key == "l1"
    assert contribution.item_text == "Text of l1"
    assert contribution.answer == "a"
    assert contribution.option_label == "Agree"
    assert contribution.weight == 2.0
    assert contribution.reverse is False
    assert contribution.status == "scored"


def test_every_construct_is_reported_even_without_items() -> None:
    result = score_response(instrument(item("p1", "principles")), {"p1": "yes"})
    assert set(result.constructs) == set(CONSTRUCTS)
    assert result.constructs["diffusion"].score is None


def test_to_dict_is_json_ready_with_contract_keys() -> None:
    inst = instrument(
        item("i1", "individual_practice"),
        item("c1", "collective_practice"),
        item("p1", "principles"),
    )
    data = score_response(inst, {"i1": "yes", "c1": "no", "p1": "yes"}).to_dict()
    json.dumps(data)
    assert set(data) == {"instrument_version", "constructs", "profile", "decoupling_gap"}
    assert data["instrument_version"] == "t1"
    construct = data["constructs"]["individual_practice"]
    for key in ("label", "family", "polarity", "score", "answered", "dont_know"):
        assert key in construct
    assert {"not_applicable", "items"} <= set(construct)
    assert construct["items"][0]["status"] == "scored"
    assert data["profile"]["state"] == "guardrails_without_backing"
    assert data["profile"]["label"] == "Guardrails without backing"
    assert {"individual", "collective"} <= set(data["profile"])
    assert data["decoupling_gap"]["present"] is True


# --- Profile and gap --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("individual", "collective", "state"),
    [
        (20, 30, "decoupled"),
        (80, 30, "guardrails_without_backing"),
        (30, 80, "top_down_only"),
        (80, 80, "recoupled"),
        (60, 59.9, "guardrails_without_backing"),  # high means at or above the threshold
        (None, 80, "insufficient_data"),
        (80, None, "insufficient_data"),
    ],
)
def test_recoupling_profile_states(
    individual: float | None, collective: float | None, state: str
) -> None:
    result = recoupling_profile(individual, collective, THRESHOLDS)
    assert result.state == state
    assert result.threshold == THRESHOLDS.practice_high
    assert result.explanation_rule
    assert result.label == PROFILE_STATES[state]["label"]


def test_profile_explanation_names_both_levels() -> None:
    result = recoupling_profile(72, 41, THRESHOLDS)
    assert "72" in result.explanation_rule
    assert "41" in result.explanation_rule
    assert "guardrails without backing" in result.explanation_rule


def test_profile_states_describe_each_state() -> None:
    expected = {
        "decoupled",
        "guardrails_without_backing",
        "top_down_only",
        "recoupled",
        "insufficient_data",
    }
    assert set(PROFILE_STATES) == expected
    assert all(v["label"] and len(v["summary"]) > 100 for v in PROFILE_STATES.values())
    assert "typical" in PROFILE_STATES["guardrails_without_backing"]["summary"]


def test_decoupling_gap_present_when_enabler_high_and_practice_low() -> None:
    gap = decoupling_gap(
        {"principles": 70, "leadership": 30, "individual_practice": 40, "collective_practice": 55},
        THRESHOLDS,
    )
    assert gap.present
    assert gap.enablers_high == ("principles",)
    assert gap.practices_low == ("individual_practice",)
    assert "Organisational principles" in gap.explanation


@pytest.mark.parametrize(
    "scores",
    [
        {"principles": 59, "leadership": 10, "individual_practice": 10},
        {"principles": 90, "individual_practice": 50, "collective_practice": 80},
        {"principles": 90, "individual_practice": None},
        {},
    ],
)
def test_decoupling_gap_absent(scores: dict[str, float | None]) -> None:
    gap = decoupling_gap(scores, THRESHOLDS)
    assert not gap.present
    assert gap.explanation.startswith("No gap")


# --- Groups -----------------------------------------------------------------------------


def test_aggregate_statistics() -> None:
    inst = practice_instrument()
    answers = [{"p1": "sd", "i1": "yes"}, {"p1": "n", "i1": "dk"}, {"p1": "sa"}, {"i1": "dk"}]
    group = aggregate([score_response(inst, a) for a in answers], inst.thresholds)
    principles = group.constructs["principles"]
    assert group.n_responses == 4
    assert principles.n == 3
    assert principles.mean == pytest.approx(50.0)
    assert principles.sd == pytest.approx(50.0)
    assert (principles.min, principles.max, principles.median) == (0.0, 100.0, 50.0)
    assert group.constructs["individual_practice"].dont_know_total == 2
    assert group.constructs["diffusion"].n == 0
    assert group.constructs["diffusion"].mean is None
    assert group.item_means["p1"].mean == pytest.approx(50.0)


def test_aggregate_of_one_response_has_zero_spread() -> None:
    inst = practice_instrument()
    group = aggregate([score_response(inst, {"p1": "a"})], inst.thresholds)
    assert group.constructs["principles"].sd == 0.0


def test_aggregate_profile_and_gap_come_from_means() -> None:
    inst = practice_instrument()
    answers = [
        {"i1": "yes", "c1": "no", "p1": "sa"},
        {"i1": "yes", "c1": "yes", "p1": "a"},
        {"i1": "no", "c1": "no", "p1": "a"},
    ]
    group = aggregate([score_response(inst, a) for a in answers], inst.thresholds)
    assert group.profile.individual == pytest.approx(200 / 3)
    assert group.profile.collective == pytest.approx(100 / 3)
    assert group.profile.state == "guardrails_without_backing"
    assert group.gap.present
    assert group.gap.practices_low == ("collective_practice",)


def test_aggregate_to_dict_rounds_once() -> None:
    inst = practice_instrument()
    answers = [{"i1": "yes"}, {"i1": "no"}, {"i1": "yes"}]
    group = aggregate([score_response(inst, a) for a in answers], inst.thresholds)
    data = group.to_dict()
    json.dumps(data)
    assert group.constructs["individual_practice"].mean == pytest.approx(200 / 3)
    assert data["constructs"]["individual_practice"]["mean"] == 66.7
    assert data["n_responses"] == 3
    assert {"profile", "decoupling_gap", "instrument_version"} <= set(data)


def test_aggregate_of_nothing() -> None:
    group = aggregate([], THRESHOLDS)
    assert group.n_responses == 0
    assert group.profile.state == "insufficient_data"
    assert not group.gap.present


def test_item_distribution_counts_options_and_multiple_choice_values() -> None:
    uses = item(
        "uses",
        None,
        type="multiple_choice",
        options=(Option("chat", "Chat"), Option("agent", "Agent"), Option("search", "Search")),
    )
    inst = instrument(uses, item("i1", "individual_practice"))
    answers: list[Answers] = [
        {"uses": ["chat", "agent"], "i1": "yes"},
        {"uses": ["chat"], "i1": "dk"},
        {"i1": "yes"},
    ]
    distribution = item_distribution(inst, answers)
    assert distribution["uses"] == {"chat": 2, "agent": 1, "search": 0}
    assert distribution["i1"] == {"yes": 2, "no": 0, "dk": 1, "na": 0}
    assert item_answered_counts(inst, answers) == {"uses": 2, "i1": 3}


def test_item_distribution_ignores_answers_to_hidden_items() -> None:
    stage = item("stage", None, type="single_choice", options=(Option("live", "Live"),))
    inst = instrument(stage, item("i2", "individual_practice", show_if=ShowIf("stage", ("live",))))
    distribution = item_distribution(inst, [{"i2": "yes"}, {"stage": "live", "i2": "no"}])
    assert distribution["i2"] == {"yes": 0, "no": 1, "dk": 0, "na": 0}


# --- Enabler lift -----------------------------------------------------------------------


def _lift_respondents(
    inst: Instrument, groups: list[tuple[str, str, int]]
) -> list[tuple[ResponseScore, Answers]]:
    """(leadership answer, practice answer, how many respondents) -> scored respondents."""
    respondents = []
    for leadership, practice, count in groups:
        for _ in range(count):
            answers: Answers = {"l1": leadership, "i1": practice}
            respondents.append((score_response(inst, answers), answers))
    return respondents


# --- Change between cycles --------------------------------------------------------------


def _group(inst: Instrument, answers: list[Answers]) -> GroupAggregate:
    return aggregate([score_response(inst, a) for a in answers], inst.thresholds)


def test_cycle_deltas_are_polarity_aware() -> None:
    inst = instrument(
        item("u1", "uncertainty", type="agreement", options=AGREEMENT),
        item("l1", "leadership", type="agreement", options=AGREEMENT),
        item("p1", "principles", type="agreement", options=AGREEMENT),
    )
    before = _group(inst, [{"u1": "a", "l1": "a", "p1": "n"}])
    after = _group(inst, [{"u1": "d", "l1": "d", "p1": "n"}])
    deltas = cycle_deltas(before, after)
    assert deltas["uncertainty"].change == -50.0
    assert deltas["uncertainty"].improved is True  # less uncertainty is better
    assert deltas["leadership"].improved is False
    assert deltas["principles"].change == 0.0
    assert deltas["principles"].improved is None
    assert deltas["diffusion"].change is None
    assert deltas["diffusion"].improved is None


def test_item_deltas_match_item_keys_present_in_both() -> None:
    old = instrument(
        item("l1", "leadership", type="agreement", options=AGREEMENT),
        item("old_only", "leadership"),
    )
    new = instrument(
        item("l1", "leadership", type="agreement", options=AGREEMENT),
        item("u9", "uncertainty", type="agreement", options=AGREEMENT),
    )
    deltas = item_deltas(
        _group(old, [{"l1": "d", "old_only": "yes"}]), _group(new, [{"l1": "sa", "u9": "a"}])
    )
    assert set(deltas) == {"l1"}
    assert deltas["l1"].change == 75.0
    assert deltas["l1"].improved is True


# --- The real instrument ----------------------------------------------------------------


@pytest.fixture(scope="module")
def v1() -> Instrument:
    return load_version("1")


def random_answers(inst: Instrument, rng: random.Random) -> Answers:
    answers: Answers = {}
    for it in inst.items:
        if not it.options or rng.random() < 0.05:
            continue
        if it.type == "multiple_choice":
            answers[it.key] = rng.sample([o.value for o in it.options], rng.randint(1, 3))
        else:
            answers[it.key] = rng.choice(it.options).value
    return answers


def test_v1_random_responses_score_within_range(v1: Instrument) -> None:
    rng = random.Random(7)
    scores = [score_response(v1, random_answers(v1, rng)) for _ in range(200)]
    for result in scores:
        assert result.instrument_version == "1"
        for construct in result.constructs.values():
            assert construct.score is None or 0 <= construct.score <= 100
        json.dumps(result.to_dict())
    group = aggregate(scores, v1.thresholds)
    assert all(s.n > 150 for s in group.constructs.values())


def test_v1_lifecycle_stage_hides_live_only_items(v1: Instrument) -> None:
    answers: Answers = {"ctx_lifecycle_stage": "define", "ind_read_user_feedback": "always"}
    items = score_response(v1, answers).constructs["individual_practice"].items
    status = {c.item_key: c.status for c in items}
    assert status["ind_read_user_feedback"] == "hidden"
    answers["ctx_lifecycle_stage"] = "monitor"
    result = score_response(v1, answers)
    assert result.constructs["individual_practice"].score == 100.0


def test_stored_scores_round_trip_through_to_dict_and_from_dict():
    import random

    from assessments.demo import GUARDRAILS, demo_answers
    from assessments.instrument.loader import load_version
    from assessments.scoring.response import ResponseScore, score_response

    instrument = load_version("1")
    answers = demo_answers(instrument, GUARDRAILS, random.Random(5))
    original = score_response(instrument, answers)
    rebuilt = ResponseScore.from_dict(original.to_dict())
    assert rebuilt.to_dict() == original.to_dict()
    assert rebuilt.profile.state == original.profile.state
    scored = {k: v for k, v in answers.items() if instrument.item(k).is_scored}
    assert rebuilt.answers() == scored


@pytest.mark.parametrize("version", ["1", "2"])
def test_practice_scores_afresh_are_those_of_a_whole_scoring(version: str) -> None:
    """A response whose stored score lacks practice items (another version, or blanked by
    its group) has them scored afresh: as `score_response` scores them, "don't know"
    counted towards the practices included."""
    inst = load_version(version)
    keys = [i.key for i in inst.items if i.is_practice and i.is_scored]
    rng = random.Random(11)
    for _ in range(200):
        answers = random_answers(inst, rng)
        stored = score_response(inst, answers)
        partial = ResponseScore(
            stored.instrument_version,
            {k: c for k, c in stored.constructs.items() if k not in PRACTICE_CONSTRUCTS},
            stored.profile,
            stored.gap,
        )
        whole = score_response(inst, answers)
        want = {c.item_key: c.score for k in PRACTICE_CONSTRUCTS for c in whole.constructs[k].items}
        assert practice_item_scores(inst, partial, answers, keys) == want
