"""Every sentence of every recommendation is backed by a checked fact.

Generic over the rule table: every rule, every branch of its condition (all / any / not,
construct, profile, gap and item leaves) is made to fire alone on facts built for it, and
each plain sentence of the rendered "why" is parsed back and compared with those facts.
A rule added to the YAML later is covered without touching this file.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.instrument.loader import load_version
from assessments.instrument.types import ENABLERS, PRACTICE_CONSTRUCTS, Instrument
from assessments.recommend.checks import PLAIN_NAMES, Check
from assessments.recommend.conditions import ConstructLeaf, ItemLeaf
from assessments.recommend.facts import Facts
from assessments.recommend.recommendations import Recommendation, recommend
from assessments.recommend.rules import DEFAULT_RULES_PATH, Rule, load_rules, parse_rules
from assessments.scoring.profile import PROFILE_STATES, decoupling_gap, recoupling_profile

from .rule_facts import (
    Branch,
    branch_fires_alone,
    build_facts,
    check_key,
    find_facts,
    leaf_key,
    leaves,
    rule_branches,
)

INSTRUMENT_VERSION = "1"
# The table is walked under every shipped instrument: a rule limited by `instruments:` to
# some versions is walked with the first one it applies to.
INSTRUMENT_VERSIONS = ("1", "2")


@cache
def _instrument(version: str = INSTRUMENT_VERSION) -> Instrument:
    return load_version(version)


@cache
def _rules_of(version: str) -> tuple[Rule, ...]:
    return load_rules(DEFAULT_RULES_PATH, _instrument(version))


@cache
def _rules() -> tuple[Rule, ...]:
    by_id: dict[str, Rule] = {}
    for version in INSTRUMENT_VERSIONS:
        for rule in _rules_of(version):
            by_id.setdefault(rule.id, rule)
    return tuple(by_id.values())


@cache
def _version_of(rule_id: str) -> str:
    return next(
        (v for v in INSTRUMENT_VERSIONS if any(r.id == rule_id for r in _rules_of(v))),
        INSTRUMENT_VERSION,
    )


# Shapes the real table does not use (yet): gap false, `not` over a profile, a gap or an
# `any`, nesting, two leaves on one item. The same walk runs over them.
SHAPES: dict[str, Any] = {
    "shape_gap_absent": {"gap": False},
    "shape_not_gap": {"not": {"gap": True}},
    "shape_not_profile": {"not": {"profile": ["recoupled", "top_down_only"]}},
    "shape_not_any": {
        "not": {
            "any": [
                {"construct": "leadership", "gte": 70},
                {"item": "col_red_team", "share_in": ["yes"], "gt": 0.25},
            ]
        }
    },
    "shape_nested": {
        "any": [
            {"all": [{"profile": ["decoupled"]}, {"construct": "uncertainty", "gt": 45}]},
            {"all": [{"gap": True}, {"not": {"construct": "principles", "lte": 80}}]},
            {
                "all": [
                    {"item": "ind_review_outputs", "share_in": ["never"], "gte": 0.2},
                    {"item": "ind_review_outputs", "share_in": ["always"], "lt": 0.1},
                ]
            },
        ]
    },
    "shape_not_all": {
        "not": {
            "all": [
                {"construct": "governance_design", "lt": 30},
                {"item": "gov_escalation_path", "share_in": ["no"], "gte": 0.5},
            ]
        }
    },
}


@cache
def _shapes() -> tuple[Rule, ...]:
    raw = [
        {
            "id": rule_id,
            "audience": "team",
            "resource": "individual",
            "priority": 1,
            "construct": "leadership",
            "title": "Shape",
            "framing": "A framing.",
            "steps": ["Do it."],
            "when": when,
        }
        for rule_id, when in SHAPES.items()
    ]
    return parse_rules({"version": "shapes", "rules": raw}, "shapes", _instrument())


def _cases() -> list[Any]:
    return [
        pytest.param(rule.id, n, id=f"{rule.id}-branch{n}")
        for rule in (*_rules(), *_shapes())
        for n, _ in enumerate(rule_branches(rule.when))
    ]


def _rule(rule_id: str) -> Rule:
    return next(r for r in (*_rules(), *_shapes()) if r.id == rule_id)


def _fire(rule: Rule, facts: Facts) -> Recommendation:
    fired = recommend([rule], facts)
    assert [r.rule_id for r in fired] == [rule.id]
    return fired[0]


# --- Reading a plain sentence back ------------------------------------------------------------

NUM = r"\d+(?:\.\d+)?"
REL = r"at or above|at or below|above|below"
RELATIONS = {"at or above": "gte", "at or below": "lte", "above": "gt", "below": "lt"}
QUOTED = r"(?:“[^”]+”(?:, | or )?)+"
OWNER = {"team": ("The team's", "its", "the team"), "respondent": ("Your", "your", "you")}


def _holds(value: float, relation: str, threshold: float) -> bool:
    op = RELATIONS[relation]
    return {
        "gte": value >= threshold,
        "lte": value <= threshold,
        "gt": value > threshold,
        "lt": value < threshold,
    }[op]


def _assert_shown(shown: str, actual: float | None, relation: str, threshold: float) -> None:
    """A number in a sentence is the fact, rounded, and keeps the stated relation."""
    assert actual is not None
    decimals = len(shown.split(".")[1]) if "." in shown else 0
    assert abs(float(shown) - actual) <= 0.5 * 10**-decimals + 1e-9, (shown, actual)
    assert _holds(actual, relation, threshold), (actual, relation, threshold)
    assert _holds(float(shown), relation, threshold), (shown, relation, threshold)


def _labels(quoted: str) -> list[str]:
    return re.findall(r"“([^”]+)”", quoted)


def _named_scores(text: str) -> list[tuple[str, str | None]]:
    """ "leadership commitment (72) and organisational principles (no score)" -> pairs."""
    pairs = re.findall(r"([a-z][a-zA-Z -]*?) \((no score|" + NUM + r")\)", text)
    return [
        (name.removeprefix("and ").strip(), None if s == "no score" else s) for name, s in pairs
    ]


def _construct_by_name(name: str) -> str:
    return next(k for k, v in PLAIN_NAMES.items() if v == name)


def assert_construct_claim(sentence: str, check: Check, facts: Facts) -> None:
    owner = OWNER[facts.subject][0]
    m = re.fullmatch(
        rf"{owner} score for (?P<name>.+) is (?P<s>{NUM}) of 100, (?P<rel>{REL}) (?P<t>{NUM})\.",
        sentence,
    )
    assert m, sentence
    assert _construct_by_name(m["name"]) == check.input
    assert float(m["t"]) == check.threshold
    expected_op = {"gte": "lt", "lt": "gte", "lte": "gt", "gt": "lte"}[check.operator]
    assert RELATIONS[m["rel"]] == (expected_op if check.negated else check.operator)
    _assert_shown(m["s"], facts.scores[check.input], m["rel"], float(m["t"]))


def assert_item_claim(sentence: str, check: Check, facts: Facts, instrument: Instrument) -> None:
    item = instrument.item(check.input)
    statement = item.text.rstrip(".")
    labels = {o.value: o.label for o in item.options}
    answered = facts.item_answered.get(check.input, 0)
    counts = facts.item_counts.get(check.input, {})
    matched = sum(counts.get(v, 0) for v in check.values)
    assert answered, "an item nobody answered must not explain a recommendation"
    wanted = [labels[v] for v in check.values]
    if facts.subject == "respondent":
        m = re.fullmatch(rf"You answered (?P<q>{QUOTED}) to “(?P<st>.+)”\.", sentence)
        if m:
            assert matched == 1 and m["st"] == statement
            assert set(_labels(m["q"])) <= set(wanted)
            assert all(counts.get(v) for v, lb in labels.items() if lb in _labels(m["q"]))
            return
        m = re.fullmatch(rf"Your answer to “(?P<st>.+)” was not (?P<q>{QUOTED})\.", sentence)
        assert m, sentence
        assert matched == 0 and m["st"] == statement and _labels(m["q"]) == wanted
        return
    m = re.fullmatch(
        rf"(?P<m>\d+) of the (?P<n>\d+) people who answered “(?P<st>.+)” chose "
        rf"(?P<q>{QUOTED}) \((?P<pct>\d+)%\)\.",
        sentence,
    )
    if m is None:
        m = re.fullmatch(
            rf"None of the (?P<n>\d+) people who answered “(?P<st>.+)” chose (?P<q>{QUOTED})\.",
            sentence,
        )
        assert m, sentence
        assert matched == 0
    else:
        assert int(m["m"]) == matched
        assert int(m["pct"]) == round(100 * matched / answered)
    assert int(m["n"]) == answered
    assert m["st"] == statement
    assert _labels(m["q"]) == wanted


def assert_profile_claim(sentence: str, check: Check, facts: Facts) -> None:
    owner, its, whom = OWNER[facts.subject]
    m = re.fullmatch(
        rf"{owner} individual practice score is (?P<i>{NUM}) of 100 \((?P<ir>{REL}) (?P<t1>{NUM})\)"
        rf" and {its} collective practice score is (?P<c>{NUM}) \((?P<cr>{REL}) (?P<t2>{NUM})\), "
        rf"which places {whom} in the profile “(?P<label>[^”]+)”(?:, not (?P<others>{QUOTED}))?\.",
        sentence,
    )
    assert m, sentence
    assert float(m["t1"]) == float(m["t2"]) == facts.practice_high
    _assert_shown(m["i"], facts.scores["individual_practice"], m["ir"], float(m["t1"]))
    _assert_shown(m["c"], facts.scores["collective_practice"], m["cr"], float(m["t2"]))
    assert m["label"] == PROFILE_STATES[facts.profile]["label"]
    assert isinstance(check.threshold, tuple)
    assert (facts.profile in check.threshold) != check.negated
    if check.negated:
        assert _labels(m["others"]) == [PROFILE_STATES[s]["label"] for s in check.threshold]
    else:
        assert m["others"] is None


def assert_gap_claim(sentence: str, check: Check, facts: Facts) -> None:
    owner, its, whom = OWNER[facts.subject]
    assert facts.gap_enabler_min is not None and facts.gap_practice_max is not None
    present = re.fullmatch(
        rf"{owner} scores? for (?P<en>.+?) (?:is|are) at or above (?P<t1>{NUM}), while {its} "
        rf"scores? for (?P<pr>.+?) (?:is|are) below (?P<t2>{NUM}): backing is in place but "
        r"practice lags behind it\.",
        sentence,
    )
    absent = re.fullmatch(
        rf"There is no decoupling gap for {whom}: neither (?P<a>.+) nor (?P<b>.+) is "
        rf"(?P<rel>at or above|below) (?P<t>{NUM})\.",
        sentence,
    )
    assert present or absent, sentence
    assert (facts.gap == check.threshold) != check.negated  # the rule asked for what it found
    if present:
        assert facts.gap is True
        assert float(present["t1"]) == facts.gap_enabler_min
        assert float(present["t2"]) == facts.gap_practice_max
        for side, group, cut, rel in (
            ("en", ENABLERS, facts.gap_enabler_min, "at or above"),
            ("pr", PRACTICE_CONSTRUCTS, facts.gap_practice_max, "below"),
        ):
            named = _named_scores(present[side])
            assert named
            for name, shown in named:
                construct = _construct_by_name(name)
                assert construct in group and shown is not None
                _assert_shown(shown, facts.scores[construct], rel, cut)
        return
    assert absent is not None
    assert facts.gap is False
    named = _named_scores(f"{absent['a']} and {absent['b']}")
    constructs = [_construct_by_name(name) for name, _ in named]
    if absent["rel"] == "at or above":  # neither enabler reaches the cut-off
        assert constructs == list(ENABLERS) and float(absent["t"]) == facts.gap_enabler_min
        fails = lambda s: s < facts.gap_enabler_min  # noqa: E731
    else:  # no practice falls below it
        assert constructs == list(PRACTICE_CONSTRUCTS)
        assert float(absent["t"]) == facts.gap_practice_max
        fails = lambda s: s >= facts.gap_practice_max  # noqa: E731
    for (_, shown), construct in zip(named, constructs, strict=True):
        actual = facts.scores[construct]
        if shown is None:
            assert actual is None
        else:
            assert actual is not None and fails(actual)
            assert abs(float(shown) - actual) < 0.5 + 1e-9


def assert_claim(sentence: str, check: Check, facts: Facts, instrument: Instrument) -> None:
    if check.kind == "construct":
        assert_construct_claim(sentence, check, facts)
    elif check.kind == "item":
        assert_item_claim(sentence, check, facts, instrument)
    elif check.kind == "profile":
        assert_profile_claim(sentence, check, facts)
    else:
        assert_gap_claim(sentence, check, facts)


# What plain sentences and framings must not contain.
JARGON = re.compile(
    r"\b[a-z]+_[a-z0-9_]+\b"  # keys, rule ids, cue tags
    r"|\b0\.\d"  # decimal shares or confidences
    r"|\b(?:gte|lte|gt|lt|HIGH|LOW|FROM)\b"
    r"|\brule\b",
)
# A framing states why advice matters; anything about *this* team must be a checked fact.
CLAIMS = re.compile(
    r"\d"
    r"|\b(?:most|many|few|several|some) (?:of (?:you|your|the)|respondents|teams|people say)"
    r"|\b(?:most|many|few|several|some) (?:on|in) (?:your|the|this) team"
    r"|\bnobody on\b|\bno one on\b|\bnone of you\b"
    r"|\b(?:your|this|the) team (?:is|are|has|have|does|do|says?|reports?|acts?|reviews?)\b"
    r"|\byou (?:say|report|rarely|never|often)\b|\brespondents\b|\bscores? (?:low|high)\b"
    r"|\b(?:is|are) (?:high|low|weak|thin|strong) here\b",
    re.IGNORECASE,
)


def assert_explains_exactly(
    rec: Recommendation, rule: Rule, branch: Branch, facts: Facts, instrument: Instrument
) -> None:
    required = {leaf_key(leaf) for leaf, _ in branch.required}
    checks = rec.trace.checks
    # Only the branch that fired is traced, every leaf of it, each as the rule needed.
    assert {check_key(c) for c in checks} == required, branch.describe()
    assert all(c.passed is True for c in checks)
    wanted = {leaf_key(leaf): want for leaf, want in branch.required}
    assert all(c.holds is wanted[check_key(c)] for c in checks)
    # The why is one plain sentence per check, then the framing, and nothing else.
    *facts_said, framing = rec.why_sentences()
    assert framing == rule.framing
    assert rec.why == " ".join(rec.why_sentences())
    assert len(facts_said) == len({c.plain() for c in checks})
    for check in checks:
        sentence = check.plain()
        assert sentence in facts_said
        assert_claim(sentence, check, facts, instrument)
    for sentence in facts_said:
        assert not JARGON.search(sentence), sentence
    # The technical trace keeps what the plain words leave out.
    heading = rec.trace_heading()
    assert rule.id in heading and f"rule table version {rule.table_version}" in heading
    assert f"instrument version {instrument.version}" in heading
    for check, line in zip(checks, rec.trace_sentences(), strict=True):
        assert check.input in line
        assert (check.operator in line) or check.kind in ("profile", "gap")
        assert line.endswith("→ true")


@pytest.mark.parametrize(("rule_id", "branch_number"), _cases())
def test_each_branch_fires_alone_and_every_sentence_is_a_checked_fact(
    rule_id: str, branch_number: int
) -> None:
    rule, instrument = _rule(rule_id), _instrument(_version_of(rule_id))
    branch = rule_branches(rule.when)[branch_number]
    facts = find_facts(rule.when, branch_fires_alone(rule.when, branch), instrument)
    assert facts is not None, f"{rule.id}: no facts make {branch.describe()} fire alone"
    rec = _fire(rule, facts)
    assert_explains_exactly(rec, rule, branch, facts, instrument)
    version = "shapes" if rule_id in SHAPES else "3"
    assert rec.trace.rules_version == version and rec.to_dict()["rules_version"] == version


@pytest.mark.parametrize("rule_id", [r.id for r in (*_rules(), *_shapes())])
def test_one_respondent_reads_facts_about_their_own_answers(rule_id: str) -> None:
    rule, instrument = _rule(rule_id), _instrument(_version_of(rule_id))
    found = 0
    for branch in rule_branches(rule.when):
        test = branch_fires_alone(rule.when, branch)
        facts = find_facts(rule.when, test, instrument, respondents=1, subject="respondent")
        if facts is None:  # e.g. a share strictly between 0 and 1 cannot come from one person
            continue
        found += 1
        rec = _fire(rule, facts)
        assert_explains_exactly(rec, rule, branch, facts, instrument)
        said = rec.why_sentences()[:-1]
        assert not any("The team's" in s or "people who answered" in s for s in said)
    assert found, f"{rule.id}: no branch can fire for a single respondent"


@pytest.mark.parametrize(("rule_id", "branch_number"), _cases())
def test_an_item_nobody_answered_never_explains_a_recommendation(
    rule_id: str, branch_number: int
) -> None:
    rule, instrument = _rule(rule_id), _instrument(_version_of(rule_id))
    branch = rule_branches(rule.when)[branch_number]
    facts = find_facts(rule.when, branch_fires_alone(rule.when, branch), instrument)
    assert facts is not None
    for leaf in leaves(rule.when):
        if not isinstance(leaf, ItemLeaf):
            continue
        unanswered = Facts(
            **{
                **facts.__dict__,
                "item_counts": {k: v for k, v in facts.item_counts.items() if k != leaf.item},
                "item_answered": {k: v for k, v in facts.item_answered.items() if k != leaf.item},
            }
        )
        for rec in recommend([rule], unanswered):
            assert leaf.item not in {c.input for c in rec.trace.checks}
            assert instrument.item(leaf.item).text.rstrip(".") not in rec.why


def test_nobody_answering_the_review_item_no_longer_says_many_rarely_review() -> None:
    # The AnyOf branch "individual practice below 40 and not (often/always >= 50 %)" used
    # to fire when nobody answered ind_review_outputs, and the text claimed "many rarely".
    rule, instrument = _rule("team_review_outputs_before_release"), _instrument()
    facts = build_facts({("construct", "individual_practice"): 30.0}, instrument, 20)
    assert recommend([rule], facts) == []
    answered = build_facts(
        {
            ("construct", "individual_practice"): 30.0,
            ("item", "ind_review_outputs"): {"often": 2, "always": 1, "sometimes": 17},
        },
        instrument,
        20,
    )
    (rec,) = recommend([rule], answered)
    assert rec.why_sentences()[:-1] == [
        "The team's score for individual practice is 30 of 100, below 40.",
        "3 of the 20 people who answered “I, or someone on my team, review samples of our "
        "generative AI feature's outputs before they reach users” chose “Often” or "
        "“Always or almost always” (15%).",
    ]


@pytest.mark.parametrize("rule_id", [r.id for r in _rules()])
def test_framing_claims_nothing_about_the_team(rule_id: str) -> None:
    framing = _rule(rule_id).framing
    assert not CLAIMS.search(framing), CLAIMS.search(framing)
    assert not JARGON.search(framing), JARGON.search(framing)


def test_claim_detector_catches_the_old_texts() -> None:
    # The detector would have caught the texts of the unversioned table.
    for old in (
        "Reading outputs is cheap, and many on your team rarely or never do it.",
        "Most respondents say no cross-functional group reviews features.",
        "Few on the team know the organisation's principles.",
        "Leadership commitment scores low.",
        "This team reviews outputs, tests changes and protects data.",
    ):
        assert CLAIMS.search(old), old


def test_every_construct_has_a_plain_name() -> None:
    from assessments.instrument.types import CONSTRUCTS

    assert set(PLAIN_NAMES) == set(CONSTRUCTS)
    assert all(not JARGON.search(name) for name in PLAIN_NAMES.values())


def test_scores_near_a_cut_off_are_rounded_without_contradicting_it() -> None:
    instrument = _instrument()
    (rule,) = [r for r in _rules() if r.id == "lead_ask_how_it_was_checked"]
    facts = build_facts({("construct", "leadership"): 49.6}, instrument, 5)
    (rec,) = recommend([rule], facts)
    assert rec.why_sentences()[0] == (
        "The team's score for leadership commitment is 49.6 of 100, below 50."
    )
    facts = build_facts({("construct", "leadership"): 49.96}, instrument, 5)
    assert "is 49.96 of 100, below 50." in recommend([rule], facts)[0].why


def test_profile_and_gap_sentences_carry_the_scores_behind_them() -> None:
    instrument = _instrument()
    facts = build_facts(
        {
            ("construct", "individual_practice"): 75.4,
            ("construct", "collective_practice"): 30.0,
            ("construct", "leadership"): 72.0,
        },
        instrument,
        8,
    )
    assert facts.profile == "guardrails_without_backing" and facts.gap is True
    by_id = {r.rule_id: r for r in recommend(_rules(), facts)}
    assert by_id["lead_back_the_guardrails"].why_sentences()[0] == (
        "The team's individual practice score is 75 of 100 (at or above 60) and its collective "
        "practice score is 30 (below 60), which places the team in the profile "
        "“Guardrails without backing”."
    )
    assert by_id["lead_close_the_gap"].why_sentences()[0] == (
        "The team's score for leadership commitment (72) is at or above 60, while its score "
        "for collective practice (30) is below 50: backing is in place but practice lags "
        "behind it."
    )
    (check,) = by_id["lead_back_the_guardrails"].trace.checks
    assert [(b.construct, b.score, b.relation, b.threshold) for b in check.basis] == [
        ("individual_practice", 75.4, "gte", 60.0),
        ("collective_practice", 30.0, "lt", 60.0),
    ]
    assert by_id["lead_back_the_guardrails"].trace_sentences() == [
        "profile guardrails_without_backing (individual_practice 75.4 gte 60, "
        "collective_practice 30.0 lt 60); test: in [guardrails_without_backing] → true"
    ]
    # The facts agree with the scoring module's own reading of the same scores.
    assert recoupling_profile(75.4, 30.0, instrument.thresholds).state == facts.profile
    assert decoupling_gap(facts.scores, instrument.thresholds).present is facts.gap


# --- Any facts at all ---------------------------------------------------------------------------


def _used_items(version: str = INSTRUMENT_VERSION) -> list[str]:
    rules = _rules_of(version)
    return sorted(
        {leaf.item for r in rules for leaf in leaves(r.when) if isinstance(leaf, ItemLeaf)}
    )


@cache
def _near_cut_offs() -> list[float]:
    """Scores just either side of every cut-off a rule or the scoring uses."""
    thresholds = _instrument().thresholds
    cuts = {thresholds.practice_high, thresholds.gap_enabler_min, thresholds.gap_practice_max}
    for rule in _rules():
        cuts |= {leaf.value for leaf in leaves(rule.when) if isinstance(leaf, ConstructLeaf)}
    offsets = (-0.6, -0.4, -0.04, 0.0, 0.04, 0.4, 0.6)
    return sorted({round(c + d, 2) for c in cuts for d in offsets if 0 <= c + d <= 100})


@st.composite
def any_facts(draw: st.DrawFn) -> Facts:
    """Facts from arbitrary scores and answer counts, built as the app builds them."""
    instrument = _instrument(draw(st.sampled_from(INSTRUMENT_VERSIONS)))
    respondent = draw(st.booleans())
    n = 1 if respondent else draw(st.integers(2, 30))
    score = st.one_of(
        st.none(), st.floats(0, 100, allow_nan=False), st.sampled_from(_near_cut_offs())
    )
    values: dict[tuple[str, str], Any] = {("construct", c): draw(score) for c in PLAIN_NAMES}
    for item in _used_items(instrument.version):
        if draw(st.booleans()):
            continue  # nobody answered it
        options = [o.value for o in instrument.item(item).options]
        picks = draw(st.lists(st.sampled_from(options), min_size=n, max_size=n))
        values["item", item] = {o: picks.count(o) for o in options}
    return build_facts(values, instrument, n, "respondent" if respondent else "team")


@settings(max_examples=300, deadline=None)
@given(any_facts())
def test_every_sentence_of_every_fired_rule_is_true_of_any_facts(facts: Facts) -> None:
    instrument = _instrument(facts.instrument_version)
    for rec in recommend(_rules_of(instrument.version), facts):
        assert rec.why_sentences()[-1] == _rule(rec.rule_id).framing
        for check in rec.trace.checks:
            assert check.passed is True
            assert_claim(check.plain(), check, facts, instrument)
            assert not JARGON.search(check.plain())
