"""The free-text action classifier: cues, negation, scope, review routing, accuracy, speed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assessments.classify import (
    DEFAULT_LEXICON_PATH,
    KINDS,
    Classification,
    LabelledActionsError,
    Lexicon,
    LexiconError,
    classify,
    load_labelled_actions,
    load_lexicon,
    measure_accuracy,
    normalise,
)
from assessments.classify import _possible_families as _possible_families
from assessments.classify.triggers import build_alternative_scan, top_level_alternatives

DATA = Path(__file__).resolve().parent.parent / "data"
DEV = DATA / "actions_dev.csv"
HOLDOUT = DATA / "actions_holdout.csv"
# Written from the domain definitions only, by someone who never saw the classifier or its
# lexicon; never used for tuning. It estimates accuracy on phrasing we have not seen.
BLIND = DATA / "actions_blind.csv"
# Texts that describe no action (refusals, plans, wishes, complaints) beside actions: a dev
# set to tune on, and a blind set written before the no-action rules and never tuned on.
DEV_NONE = DATA / "actions_dev_none.csv"
BLIND_NONE = DATA / "actions_blind_none.csv"
# Harder no-action phrasings: conditionals ("if we had budget we would..."), deflection
# ("legal handles all of that"), pushes that went nowhere, vague texts. _none2 and _none3
# were written after the first blind measurement; _none4 in rounds of fresh phrasings while
# the modality, deflection and outcome rules of lexicon v3 were tuned. All are tuned on.
HARD_NONE = tuple(DATA / f"actions_dev_none{n}.csv" for n in (2, 3, 4))
# Written after lexicon v3 was frozen, committed before it was first measured, and measured
# once: longer, multi-clause texts in a style unlike the dev sets. Never tuned on.
BLIND3 = DATA / "actions_blind3.csv"
BLIND5 = DATA / "actions_blind5.csv"  # held out until v5 was frozen; measured once
# Fresh phrasings written during the lexicon v4 work, each before the classifier was run
# on it: _dev5 (106) before any v4 change, _dev6 (60), _dev7 (90), _dev8 (75), _dev9 (90)
# and _dev10 (90) midway. Each was measured once as written (benchmarks/classifier_eval.py;
# README), then tuned on.
FRESH = tuple(DATA / f"actions_dev{n}.csv" for n in (5, 6, 7, 8, 9, 10))
# Written after the last rule change of this round, measured once (97.8 %, 98.8 %, 6.7 %),
# never tuned on: the freshest estimate, until it too is spent.
FRESH_LAST = DATA / "actions_dev11.csv"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def label(text: str, lexicon: Lexicon, threshold: float | None = None) -> Classification:
    return classify(text, lexicon, lexicon.threshold if threshold is None else threshold)


# --- the result shape ---------------------------------------------------------------------


def test_to_dict_has_exactly_the_contract_keys_and_rounds_confidence(lexicon):
    result = label("We held the launch two weeks for an external bias audit.", lexicon)
    data = result.to_dict()
    assert list(data) == ["text", "kind", "confidence", "needs_review", "cues"]
    assert data["confidence"] == round(result.confidence, 3)
    assert isinstance(data["cues"], list)
    assert data["text"] == "We held the launch two weeks for an external bias audit."


def test_result_keeps_the_text_stripped_but_otherwise_as_written(lexicon):
    assert label("  Added a DISCLAIMER.\n", lexicon).text == "Added a DISCLAIMER."


# --- cues -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Reviewed every genAI summary myself before it went out.", "individual:output_review"),
        ("Our team made a checklist for prompt changes.", "individual:team_artefact"),
        ("We redact customer names before using the LLM.", "individual:data_hygiene"),
        ("Documented the known limitations of the summariser.", "individual:limitations"),
        ("Ran a red-team afternoon on the support bot.", "individual:break_it"),
        ("I wrote 40 eval cases for refusals.", "individual:own_tests"),
        ("added disclaimer", "individual:disclaimer_label"),
    ],
)
def test_individual_actions_are_individual_with_the_deciding_cue(lexicon, text, cue):
    result = label(text, lexicon)
    assert result.kind == "individual"
    assert not result.needs_review
    assert cue in result.cues


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("Commissioned an external audit of the ranking model.", "collective:external_party"),
        ("We held the launch until the fairness issues were fixed.", "collective:launch_hold"),
        ("Set up a cross-functional AI review board.", "collective:review_body"),
        ("Leadership approved budget for evaluation tooling.", "collective:budget"),
        ("RAI goals are now part of performance reviews.", "collective:incentives"),
        ("A company-wide genAI policy was published.", "collective:company_wide"),
        ("Hired an AI ethicist.", "collective:headcount"),
        ("Renegotiated the vendor contract to forbid training on our data.", "collective:contract"),
    ],
)
def test_collective_actions_are_collective_with_the_deciding_cue(lexicon, text, cue):
    result = label(text, lexicon)
    assert result.kind == "collective"
    assert not result.needs_review
    assert cue in result.cues


def test_cues_for_the_chosen_kind_come_first(lexicon):
    result = label("Leadership approved a budget; I documented the limitations.", lexicon)
    sides = [cue.split(":")[0] for cue in result.cues]
    assert sides == sorted(sides, key=lambda side: side != result.kind)


# --- negation and scope -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Without needing budget, I set up a weekly review of the outputs.",
        "Didn't need sign-off from anyone, just added a human review step.",
        "We couldn't get budget approval, so I wrote eval cases myself.",
        "Instead of waiting for a company-wide policy, I wrote a checklist for my team.",
        "No approval was needed: we masked the PII in our prompts.",
    ],
)
def test_negated_resources_count_for_individual(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "individual"
    assert not result.needs_review


def test_a_negated_collective_cue_is_reported_as_individual_evidence(lexicon):
    result = label("Without any budget, we reviewed the outputs by hand.", lexicon)
    assert "individual:not_budget" in result.cues
    assert "collective:budget" not in result.cues


def test_no_x_without_y_is_a_requirement_not_a_negation(lexicon):
    result = label(
        "The CISO mandated that no team can ship an LLM feature without a security review.",
        lexicon,
    )
    assert result.kind == "collective"
    assert "individual:not_department" not in result.cues


def test_negation_does_not_reach_across_a_clause(lexicon):
    result = label("Nothing was skipped, the board approved the audit.", lexicon)
    assert result.kind == "collective"
    assert "collective:audit" in result.cues


def test_team_scope_and_organisation_scope_pull_opposite_ways(lexicon):
    team = label("My team agreed a rule for reviewing prompts.", lexicon)
    org = label("All teams across the org must follow a rule for reviewing prompts.", lexicon)
    assert team.kind == "individual"
    assert org.kind == "collective"


# --- normalisation: abbreviations, tense, unicode, length ---------------------------------


def test_abbreviations_expand_to_the_words_cues_are_written_for(lexicon):
    norm = normalise("Our CISO's DPIA w/o PII; mgmt and eng ok'd RAI evals for the LLM", lexicon)
    for expanded in (
        "chief information security officer's",
        "data protection impact assessment",
        "without personal data",
        "management and engineering approved",
        "responsible ai evaluations",
        "large language model",
    ):
        assert expanded in norm


def test_capitalised_it_is_the_it_department_but_lowercase_it_is_a_pronoun(lexicon):
    assert "information technology department" in normalise("IT blocked uploads", lexicon)
    assert normalise("it blocked uploads", lexicon) == "it blocked uploads"


def test_abbreviated_and_spelled_out_actions_get_the_same_kind(lexicon):
    short = label("mgmt approved a DPIA process for all PMs", lexicon)
    long = label(
        "Management approved a data protection impact assessment process for all product managers",
        lexicon,
    )
    assert short.kind == long.kind == "collective"
    assert short.cues == long.cues


@pytest.mark.parametrize(
    "text",
    [
        "We held the launch for an external audit.",
        "We are holding the launch for an external audit.",
        "We hold launches for external audits.",
        "The launch was delayed for an external audit.",
        "We didn't ship until the external audit was done.",
    ],
)
def test_launch_holds_are_collective_in_past_and_present(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "collective"
    assert {"collective:launch_hold", "collective:held_until"} & set(result.cues)


@pytest.mark.parametrize(
    "text",
    [
        "Reviewed the generated answers before release.",
        "I review the generated answers before release.",
        "Reviewing generated answers before release.",
    ],
)
def test_output_review_is_individual_in_past_and_present(lexicon, text):
    assert label(text, lexicon).kind == "individual"


# --- no action taken: refusals, failed attempts, plans, wishes, complaints ----------------


@pytest.mark.parametrize(
    "text",
    [
        "We did not get an audit.",
        "We didn't get budget for an external audit.",
        "I never got the headcount for a safety engineer.",
        "We couldn't get legal to review the contract.",
        "Our request for an ethics board was refused.",
        "We were denied budget for red teaming.",
        "No budget for an evaluation platform this year.",
        "We wanted an external bias audit but leadership said no.",
        "We wanted to delay the launch, it was rejected.",
        "Our team did not document the model's limitations.",
    ],
)
def test_negated_and_refused_actions_are_not_actions(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "none", result
    assert not result.needs_review
    assert any(cue.startswith("none:") for cue in result.cues)


@pytest.mark.parametrize(
    "text",
    [
        "I wish we had an audit.",
        "We plan to add a red team next year.",
        "We will hold the launch for an external audit.",
        "We're going to postpone the release until the external audit is done.",
        "I will review the generated answers before release.",
        "It would be nice to have a checklist for prompt changes.",
        "Leadership doesn't care.",
        "Nothing.",
        "n/a",
    ],
)
def test_plans_wishes_and_complaints_are_not_actions(lexicon, text):
    assert label(text, lexicon).kind == "none"


def test_the_old_confident_mistake_is_gone(lexicon):
    result = label("We did not get an audit", lexicon)
    assert result.kind == "none"
    assert "none:refusal" in result.cues and "none:audit_not_done" in result.cues
    assert "individual:not_audit" not in result.cues


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("We didn't ship until the audit was done.", "collective"),
        ("We did not go live until legal signed off.", "collective"),
        ("We never launched it: the review board vetoed it.", "collective"),
        ("I never paste customer data into ChatGPT.", "individual"),
        ("We don't send personal data to the vendor any more.", "individual"),
        ("I never ship a prompt change without running the eval cases.", "individual"),
        ("We couldn't get budget approval, so I wrote eval cases myself.", "individual"),
        ("Nobody asked us to, but we added a disclaimer.", "individual"),
        ("I wrote eval cases for questions the assistant should refuse.", "individual"),
        ("Documented what the model cannot do in our wiki.", "individual"),
    ],
)
def test_negations_that_describe_an_action_keep_its_kind(lexicon, text, kind):
    result = label(text, lexicon)
    assert result.kind == kind, result


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("If we had budget we would run an external audit.", "none:conditional"),
        ("Had there been headcount, we could have hired an evaluator.", "none:conditional"),
        ("Ideally someone outside the team would audit this.", "none:conditional"),
        ("Legal handles all of that.", "none:deflection"),
        ("Compliance looks after the AI policy stuff, not us.", "none:deflection"),
        ("That sits with the risk team, not with product.", "none:deflection"),
        ("I raised the audit twice, nothing happened.", "none:failed_attempt"),
        ("Asked for a budget line for red teaming; it got knocked back.", "none:failed_attempt"),
        ("We pushed to delay the launch but were overruled by the VP.", "none:failed_attempt"),
    ],
)
def test_conditionals_deflection_and_pushes_that_went_nowhere_are_not_actions(lexicon, text, cue):
    result = label(text, lexicon)
    assert result.kind == "none", result
    assert cue in result.cues
    # every action cue of the clause is counted as not done, none as evidence of a kind
    assert not any(c.startswith(("individual:", "collective:")) for c in result.cues), result


def test_a_failed_outcome_undoes_the_attempts_chained_before_it(lexicon):
    result = label("Raised it in the retro, everyone agreed, nobody did anything", lexicon)
    assert result.kind == "none"
    assert "none:team_rituals_not_done" in result.cues


def test_a_plan_that_was_approved_is_an_action(lexicon):
    proposal = "Our proposal for an AI review board"
    approved = label(f"{proposal} was approved by the executive team.", lexicon)
    pending = label(f"{proposal} is with the executive team.", lexicon)
    assert approved.kind == "collective"
    assert pending.kind == "none"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Our bot won't answer medication questions now, we added a hard block.", "individual"),
        ("We made it so the summariser should always cite the source paragraph.", "individual"),
        ("We capped the agent at five tool calls so it can't loop forever.", "individual"),
        ("The launch waited until the audit was done, legal said we should.", "collective"),
    ],
)
def test_the_product_behaving_is_not_the_team_refusing(lexicon, text, kind):
    assert label(text, lexicon).kind == kind


def test_nobody_doing_it_before_release_is_not_a_rule_that_was_kept(lexicon):
    # "we never ship without a review" is a rule; "nobody reviews ... before" is no action
    assert label("Nobody reviews the prompts before they go live", lexicon).kind == "none"
    kept = label("We never ship a prompt change without running the eval cases", lexicon)
    assert kept.kind == "individual"


def test_an_action_in_another_clause_answers_a_conditional(lexicon):
    result = label("If the model is unsure, the assistant now hands off to a human agent.", lexicon)
    assert result.kind == "individual"


def test_accents_and_typographic_quotes_are_normalised(lexicon):
    text = "Tested the r\u00e9sum\u00e9 parser \u2013 it didn\u2019t cope"
    assert normalise(text, lexicon) == ("tested the resume parser it did not cope")


def test_long_texts_are_classified_on_their_first_max_chars(lexicon):
    padding = "word " * (lexicon.max_chars // 5)
    result = label(padding + "We commissioned an external audit.", lexicon)
    assert "collective:audit" not in result.cues
    assert result.text.endswith("external audit.")


# --- confidence and review ---------------------------------------------------------------


def test_below_the_threshold_the_action_goes_to_review_with_its_best_guess(lexicon):
    text = "Leadership approved an extra sprint for safety testing before launch."
    lenient = label(text, lexicon, threshold=0.5)
    strict = label(text, lexicon, threshold=0.99)
    assert not lenient.needs_review
    assert strict.needs_review
    assert strict.kind == lenient.kind
    assert strict.confidence == lenient.confidence


def test_a_text_without_any_cue_goes_to_review(lexicon):
    result = label("Sorted out the thing on Tuesday.", lexicon)
    assert result.cues == ()
    assert result.needs_review
    assert 1 / 3 <= result.confidence < lexicon.threshold


@pytest.mark.parametrize(
    "text",
    ["We are broadly careful with data.", "Honestly we just hope the model behaves", "Meh."],
)
def test_a_text_that_tells_no_action_goes_to_review_as_none(lexicon, text):
    # no cue and no verb of doing: the best guess is none, but a person decides
    result = label(text, lexicon)
    assert result.kind == "none"
    assert result.needs_review or "none:vague" in result.cues


def test_balanced_evidence_goes_to_review(lexicon):
    # one individual and one collective cue of equal weight, and nobody named as the actor
    # ("leadership funded it" names who acted, and is collective: see organisation_acted)
    result = label("Reviewed the outputs; the budget covered it.", lexicon)
    assert result.needs_review


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text_is_refused_with_a_clear_message(lexicon, text):
    with pytest.raises(ValueError, match="empty"):
        classify(text, lexicon, 0.7)


@pytest.mark.parametrize("threshold", [-0.1, 1.5])
def test_threshold_outside_0_1_is_refused(lexicon, threshold):
    with pytest.raises(ValueError, match="Threshold"):
        classify("added disclaimer", lexicon, threshold)


def test_classification_is_deterministic(lexicon):
    texts = [text for text, _ in load_labelled_actions(DEV)][:50]
    first = [label(text, lexicon) for text in texts]
    again = [label(text, load_lexicon(DEFAULT_LEXICON_PATH)) for text in texts]
    assert first == again


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=400).filter(lambda text: text.strip()))
def test_any_text_gets_a_valid_kind_and_a_confidence_in_0_1(text):
    lexicon = load_lexicon()
    result = classify(text, lexicon, lexicon.threshold)
    assert result.kind in KINDS
    assert 0.0 <= result.confidence <= 1.0
    assert result.needs_review == (result.confidence < lexicon.threshold)
    assert all(isinstance(cue, str) for cue in result.cues)
    assert classify(text, lexicon, lexicon.threshold) == result


# Words that hit cues, negators and clause breaks, to exercise the trigger index.
VOCABULARY = (
    "the we i my team company wide budget audit launch held not without no review outputs"
    " legal approved policy all teams every checklist personal data leadership external"
    " instead of a , . sign off delayed release red team afternoon"
)
WORDS = st.sampled_from(VOCABULARY.split(" "))
# Words of the no-action markers (refusals, plans, conditionals, failed attempts, ...).
MARKER_WORDS = (
    "nobody",
    "never",
    "got",
    "back",
    "ignored",
    "if",
    "had",
    "would",
    "could",
    "we'd",
    "still",
    "waiting",
    "handles",
    "was",
    "rejected",
    "turned",
    "down",
    "nothing",
    "happened",
    "?",
    ";",
    "but",
    "did",
    "it",
    "that",
    "told",
    "to",
    "wait",
    "maybe",
    "later",
    "ran",
    "out",
    "of",
    "time",
    "plan",
    "want",
    "hope",
    "someday",
    "asked",
    "whether",
    "because",
    "so",
    "which",
)


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=30).map(" ".join))
def test_the_trigger_index_never_skips_a_cue_that_matches(text):
    lexicon = load_lexicon()
    norm = normalise(text, lexicon)
    candidates = set(lexicon.triggers.candidates(norm))
    for index, cue in enumerate(lexicon.cues):
        if cue.pattern.search(norm):
            assert index in candidates, cue.name


def _same_marker_matches(norm: str, lexicon: Lexicon) -> None:
    """The cut patterns find exactly what the whole ones do, family by family."""
    possible = _possible_families(norm, lexicon.no_action)
    for family, pattern in lexicon.no_action.markers.items():
        whole = [m.span() for m in pattern.finditer(norm)]
        cut = [m.span() for m in possible[family].finditer(norm)] if family in possible else []
        assert cut == whole, (family, norm)


def test_the_marker_scan_finds_what_the_whole_patterns_find_in_every_labelled_text():
    lexicon = load_lexicon()
    texts = [text for path in FLOORS for text, _ in load_labelled_actions(path)]
    matched = 0
    for text in texts:
        norm = normalise(text, lexicon)
        _same_marker_matches(norm, lexicon)
        matched += any(p.search(norm) for p in lexicon.no_action.markers.values())
    assert matched > 100  # the texts do exercise the markers


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([*VOCABULARY.split(" "), *MARKER_WORDS]), max_size=30))
def test_the_marker_scan_finds_what_the_whole_patterns_find_in_any_text(words):
    lexicon = load_lexicon()
    _same_marker_matches(normalise(" ".join(words), lexicon), lexicon)


def test_a_pattern_splits_at_its_top_level_bars_only():
    assert top_level_alternatives(r"a|b(c|d)|[|x]|\||e") == ("a", "b(c|d)", "[|x]", r"\|", "e")
    assert top_level_alternatives(r"[]|]a|b") == ("[]|]a", "b")
    assert top_level_alternatives(r"[^]|]a|b") == ("[^]|]a", "b")
    # nothing to split, or alternatives that cannot stand alone
    assert top_level_alternatives("abc") is None
    assert top_level_alternatives("(?i)a|b") is None
    assert top_level_alternatives(r"(a)\1|b") is None


def test_a_scan_runs_only_the_alternatives_whose_literals_occur():
    scan = build_alternative_scan(
        {
            "first": re.compile(r"\bred car\b|\bblue (?:van|bus)\b"),
            "second": re.compile(r"[a-z]+\b"),
        }
    )
    found = scan.patterns("a blue bus and a red bike")
    assert found["first"].pattern == r"\bblue (?:van|bus)\b"
    assert "second" in found  # no literal to look for: it always runs
    assert "first" not in scan.patterns("a green tram")


# --- the lexicon file ---------------------------------------------------------------------


def test_the_lexicon_is_cached_per_path():
    assert load_lexicon() is load_lexicon(DEFAULT_LEXICON_PATH)
    assert load_lexicon() is load_lexicon(str(DEFAULT_LEXICON_PATH))


def test_the_lexicon_default_threshold_is_a_probability(lexicon):
    assert 0.5 < lexicon.threshold < 1.0
    assert all(cue.weight > 0 for cue in lexicon.cues)


def write_lexicon(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "lexicon.yaml"
    path.write_text(DEFAULT_LEXICON_PATH.read_text(encoding="utf-8") + text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ("threshold: 1.7\n", "threshold"),
        ("slope: -1\n", "slope"),
        ("negation: []\n", "negation"),
        (
            "cues:\n  individual:\n    - {name: bad, pattern: '(unclosed', weight: 1}\n"
            "  collective:\n    - {name: ok, pattern: 'x', weight: 1}\n",
            "cues.individual[0].pattern",
        ),
        (
            "cues:\n  individual:\n    - {name: a, pattern: 'x', weight: 1}\n"
            "  collective:\n    - {name: a, pattern: 'y', weight: 1}\n",
            "cues.collective[0].name",
        ),
        (
            "cues:\n  individual:\n    - {name: a, pattern: '{nomacro}', weight: 1}\n"
            "  collective:\n    - {name: b, pattern: 'y', weight: 1}\n",
            "cues.individual[0].pattern",
        ),
        (
            "cues:\n  individual:\n    - {name: a, pattern: 'x', weight: 0}\n"
            "  collective:\n    - {name: b, pattern: 'y', weight: 1}\n",
            "cues.individual[0].weight",
        ),
        (
            "cues:\n  individual:\n    - {name: a, pattern: 'x', weight: 1, on_negation: no}\n"
            "  collective:\n    - {name: b, pattern: 'y', weight: 1}\n",
            "cues.individual[0].on_negation",
        ),
    ],
)
def test_lexicon_errors_name_the_file_and_the_key(tmp_path, change, key):
    # a later duplicate key in YAML overrides the earlier one, so appending replaces it
    path = write_lexicon(tmp_path, "\n" + change)
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    message = str(caught.value)
    assert message.startswith(f"{path.resolve()}: {key}")


def test_a_missing_lexicon_file_is_a_lexicon_error(tmp_path):
    with pytest.raises(LexiconError, match=re.escape(str(tmp_path / "nope.yaml"))):
        load_lexicon(tmp_path / "nope.yaml")


def test_labelled_actions_errors_name_the_file_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,kind\nadded disclaimer,individual\nhired someone,both\n")
    with pytest.raises(LabelledActionsError, match=r"bad\.csv: line 3"):
        load_labelled_actions(path)


# --- accuracy and speed ------------------------------------------------------------------


def test_the_labelled_sets_are_large_varied_and_disjoint():
    paths = (DEV, HOLDOUT, DEV_NONE, BLIND_NONE, BLIND3, *HARD_NONE, *FRESH, FRESH_LAST)
    sets = [load_labelled_actions(path) for path in paths]
    dev, holdout, _dev_none, blind_none, blind3 = sets[:5]
    assert len(dev) >= 220
    assert len(holdout) >= 100
    assert len(blind_none) >= 150
    assert len(blind3) >= 150
    for examples in (dev, holdout, blind3):
        action = [kind for _, kind in examples if kind != "none"]
        share = sum(kind == "individual" for kind in action) / len(action)
        assert 0.4 <= share <= 0.6
    for examples in (blind_none, blind3):
        none_share = sum(kind == "none" for _, kind in examples) / len(examples)
        assert 0.2 <= none_share <= 0.35
    texts = [{text for text, _ in examples} for examples in sets]
    for index, first in enumerate(texts):
        for second in texts[index + 1 :]:
            assert not first & second


# Floors per set at lexicon v4: (overall, among not reviewed, review rate below). Every set
# is tuned on now (blind3 was spent on the v3 measurement: 88.9 %, 93.0 %, 7.2 %), so each
# must meet the targets (95 %, 98 %, < 10 %); dev and holdout, the oldest, more.
# What the classifier does on phrasings nobody has tuned on is estimated apart (README).
TARGETS = (0.95, 0.98, 0.10)
FLOORS = {
    DEV: (0.98, 0.98, 0.05),
    HOLDOUT: (0.98, 0.98, 0.05),
    DEV_NONE: TARGETS,
    HARD_NONE[0]: TARGETS,
    HARD_NONE[1]: TARGETS,
    HARD_NONE[2]: TARGETS,
    BLIND: TARGETS,
    BLIND_NONE: TARGETS,
    # 94.8 %, 98.0 %, 3.9 % at v4: below the overall target (long multi-clause texts)
    BLIND3: (0.94, 0.97, 0.10),
    FRESH[0]: TARGETS,
    FRESH[1]: TARGETS,
    FRESH[2]: TARGETS,
    FRESH[3]: TARGETS,
    FRESH[4]: TARGETS,
    FRESH[5]: TARGETS,
    FRESH_LAST: TARGETS,
    # 93.5 %, 95.7 %, 6.0 %: v5 on phrasings nobody had tuned on (README); a floor, so
    # tuning on it later cannot go backwards unseen
    BLIND5: (0.93, 0.95, 0.10),
}


@pytest.mark.parametrize("path", list(FLOORS), ids=lambda path: path.stem)
def test_accuracy_on_labelled_actions(lexicon, path):
    report = measure_accuracy(load_labelled_actions(path), lexicon, lexicon.threshold)
    print(
        f"\n{path.name}: n={report.n} accuracy={report.accuracy:.3f}"
        f" review_rate={report.review_rate:.3f}"
        f" accuracy_not_reviewed={report.accuracy_not_reviewed}"
    )
    overall, not_reviewed, review_rate = FLOORS[path]
    assert report.accuracy >= overall
    assert report.accuracy_not_reviewed is not None
    assert report.accuracy_not_reviewed >= not_reviewed
    assert report.review_rate < review_rate


def test_a_very_long_text_is_classified_on_its_beginning(lexicon):
    # Speed is measured in `make bench`; here: long input neither fails nor changes the answer
    # that its first `max_chars` characters give.
    text = " ".join(text for text, _ in load_labelled_actions(DEV))
    assert len(text) > lexicon.max_chars
    whole, start = label(text, lexicon), label(text[: lexicon.max_chars], lexicon)
    assert (whole.kind, whole.confidence, whole.cues) == (start.kind, start.confidence, start.cues)
