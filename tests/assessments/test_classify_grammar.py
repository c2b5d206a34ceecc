"""The action classifier reads grammar, not sentences: one action told in many frames.

Each action below (five individual, six collective) is put into frames of negation, failure,
refusal, plan, wish, condition, question, complaint, double negation and plain past. A frame
that tells the action as done keeps its kind; every other frame is ``none``. The grid holds
no sentence from the labelled sets, so it checks that a rule carries over to wording it was
not written for. Unit tests of each mechanism follow the grid.
"""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from assessments.classify import Classification, Lexicon, classify, load_lexicon

# (infinitive phrase, past phrase, noun phrase, kind)
ACTIONS = (
    (
        "review the chatbot's outputs",
        "reviewed the chatbot's outputs",
        "a review of the chatbot's outputs",
        "individual",
    ),
    (
        "write a checklist for prompt changes",
        "wrote a checklist for prompt changes",
        "a checklist for prompt changes",
        "individual",
    ),
    (
        "test the prompts against tricky questions",
        "tested the prompts against tricky questions",
        "tests of the prompts",
        "individual",
    ),
    (
        "document the model's limitations",
        "documented the model's limitations",
        "documentation of the model's limitations",
        "individual",
    ),
    (
        "strip customer names from the prompts",
        "stripped customer names from the prompts",
        "redaction of customer names",
        "individual",
    ),
    ("get an external audit", "got an external audit", "an external audit", "collective"),
    (
        "get budget for red teaming",
        "got budget for red teaming",
        "budget for red teaming",
        "collective",
    ),
    ("set up an AI review board", "set up an AI review board", "an AI review board", "collective"),
    (
        "delay the launch until the bias issues are fixed",
        "delayed the launch until the bias issues were fixed",
        "a delay of the launch",
        "collective",
    ),
    (
        "hire a dedicated evaluation engineer",
        "hired a dedicated evaluation engineer",
        "headcount for evaluation",
        "collective",
    ),
    (
        "roll out responsible AI training for all staff",
        "rolled out responsible AI training for all staff",
        "responsible AI training for all staff",
        "collective",
    ),
)

# (frame, grammar family, whether the frame tells the action as done)
FRAMES = (
    ("We {past}.", "done", True),
    ("Last month we {past}.", "done", True),
    ("This quarter we finally {past}.", "done", True),
    ("After the incident we {past}.", "done", True),
    ("We didn't just talk about it: we {past}.", "double negation", True),
    ("We did not {base}.", "negation", False),
    ("We haven't {past} yet.", "negation", False),
    ("We were told not to {base}.", "negation", False),
    ("We never managed to {base}.", "failure", False),
    ("We failed to {base}.", "failure", False),
    ("I couldn't {base}.", "failure", False),
    ("I tried to {base} but it went nowhere.", "failure", False),
    ("We talked about {noun} but nothing happened.", "failure", False),
    ("Our request for {noun} was denied.", "refusal", False),
    ("We asked for {noun} but were refused.", "refusal", False),
    ("The proposal for {noun} was declined.", "refusal", False),
    ("We plan to {base}.", "plan", False),
    ("Next quarter we will {base}.", "plan", False),
    ("We might {base} next year.", "plan", False),
    ("We have been meaning to {base} for months.", "plan", False),
    ("We are considering whether to {base}.", "plan", False),
    ("We should {base}.", "wish", False),
    ("We would like to {base}.", "wish", False),
    ("I hope to {base} soon.", "wish", False),
    ("It would be great to {base}.", "wish", False),
    ("Honestly, I think we should {base} at some point.", "wish", False),
    ("We wanted to {base}, but there was no time.", "wish", False),
    ("If we had more time we would {base}.", "condition", False),
    ("Should we {base}?", "question", False),
    ("Why don't we {base}?", "question", False),
    ("Is anyone going to {base}?", "question", False),
    ("There is no {bare_noun}.", "complaint", False),
    ("Nobody has asked for {noun}.", "complaint", False),
    ("Nobody here bothers to {base}.", "complaint", False),
)


def _bare(noun: str) -> str:
    for article in ("a ", "an "):
        if noun.startswith(article):
            return noun[len(article) :]
    return noun


def grid() -> list[tuple[str, str, str]]:
    """Every action in every frame: (text, grammar family, expected kind)."""
    cases = []
    for (base, past, noun, kind), (frame, family, done) in itertools.product(ACTIONS, FRAMES):
        text = frame.format(base=base, past=past, noun=noun, bare_noun=_bare(noun))
        cases.append((text[0].upper() + text[1:], family, kind if done else "none"))
    return cases


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def label(text: str, lexicon: Lexicon) -> Classification:
    return classify(text, lexicon, lexicon.threshold)


def test_the_grid_is_large_and_mostly_not_actions():
    cases = grid()
    assert len(cases) == len(ACTIONS) * len(FRAMES) >= 350
    assert sum(kind == "none" for _, _, kind in cases) / len(cases) > 0.8


def test_one_action_in_many_grammatical_frames_gets_the_kind_the_grammar_says(lexicon):
    # Measured at lexicon v4: 369 of 374 right, 6 sent to review, none wrong unreviewed;
    # lexicon v3 got 346 right, 20 to review, 19 wrong unreviewed. The floors leave a
    # little room and fail on any broad regression.
    cases = grid()
    results = [(label(text, lexicon), family, kind) for text, family, kind in cases]
    right = Counter(family for result, family, kind in results if result.kind == kind)
    total = Counter(family for _, family, _ in results)
    wrong_unreviewed = [
        result.text
        for result, _, kind in results
        if result.kind != kind and not result.needs_review
    ]
    reviewed = sum(result.needs_review for result, _, _ in results)
    assert sum(right.values()) / len(cases) >= 0.97
    assert reviewed / len(cases) < 0.05
    assert len(wrong_unreviewed) / len(cases) <= 0.02, wrong_unreviewed
    for family, n in total.items():
        assert right[family] / n >= 0.85, (family, right[family], n)


# --- the mechanisms, one by one -----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "There is no policy for using AI tools.",
        "No audit was ever commissioned.",
        "We have no budget for evaluation.",
        "The proposal was parked for lack of funding.",
    ],
)
def test_a_resource_said_to_be_absent_is_not_an_action(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "none"
    assert not any(cue.startswith("individual:not_") for cue in result.cues)


def test_acting_without_a_resource_is_still_individual(lexicon):
    result = label("With no budget at all, I reviewed the outputs by hand.", lexicon)
    assert result.kind == "individual"
    assert "individual:not_budget" in result.cues


@pytest.mark.parametrize(
    "text",
    [
        "We didn't skip the manual review this sprint.",
        "I never once skipped the output review, even during the crunch.",
        "Nobody on our team bypasses the prompt checklist.",
    ],
)
def test_a_negated_omission_is_an_action_done(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "individual"
    assert not result.needs_review


@pytest.mark.parametrize(
    "text",
    [
        "Is anyone supposed to check these summaries?",
        "Why is there no policy for pasting customer data into chatbots?",
        "Could we get budget for an external review at some point?",
    ],
)
def test_a_question_is_not_an_action(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "none"
    assert "none:question" in result.cues


def test_an_action_beside_a_question_still_counts(lexicon):
    result = label("I reviewed every summary myself. But who owns this long term?", lexicon)
    assert result.kind == "individual"


@pytest.mark.parametrize(
    "text",
    [
        "Nothing changed after I raised it.",
        "I flagged the biased answers in three meetings, and each time the reply was that we'd "
        "look at it later.",
        "I put forward a proposal to test with screen-reader users; it was welcomed and then "
        "shelved.",
        "They rejected my request to pause the launch.",
    ],
)
def test_a_failed_outcome_undoes_the_attempt_however_it_is_told(lexicon, text):
    assert label(text, lexicon).kind == "none"


def test_an_action_after_a_failed_outcome_answers_it(lexicon):
    result = label(
        "Our request for an audit was turned down, so I wrote bias tests myself.", lexicon
    )
    assert result.kind == "individual"


@pytest.mark.parametrize(
    "text",
    [
        "Legal signed off the disclaimer wording after two rounds.",
        "Management gave us a full sprint every quarter for safety work.",
        "The board funded a monitoring programme for all production models.",
    ],
)
def test_an_organisation_that_acts_makes_the_action_collective(lexicon, text):
    result = label(text, lexicon)
    assert result.kind == "collective"
    assert "collective:organisation_acted" in result.cues


@pytest.mark.parametrize(
    "text",
    [
        "The company talks about responsible AI a lot.",
        "Management refused to pause the rollout.",
        "Leadership promised to fund an audit, but it never happened.",
    ],
)
def test_an_organisation_that_talks_or_refuses_did_not_act(lexicon, text):
    result = label(text, lexicon)
    assert "collective:organisation_acted" not in result.cues
    assert result.kind != "collective"


@pytest.mark.parametrize(
    "text",
    [
        "The risk committee refused to approve the launch, so it slipped a month.",
        "Compliance would not sign off until we removed the voice recordings.",
    ],
)
def test_a_body_refusing_to_let_a_risky_thing_through_is_a_collective_block(lexicon, text):
    assert label(text, lexicon).kind == "collective"


def test_words_in_quotation_marks_govern_nothing(lexicon):
    result = label(
        "I rewrote the system prompt so the bot answers 'I don't know' when unsure, and tested "
        "it on forty questions.",
        lexicon,
    )
    assert result.kind == "individual"


def test_a_result_clause_describes_what_the_action_achieved(lexicon):
    result = label("We capped the agent's tool calls so the agent can not loop forever.", lexicon)
    assert result.kind == "individual"


def test_a_reason_told_as_a_condition_explains_the_action(lexicon):
    result = label(
        "We dropped the feature idea because it would have meant scraping social profiles.",
        lexicon,
    )
    assert result.kind != "none"


def test_nobody_doing_x_without_y_is_a_rule_everyone_keeps(lexicon):
    result = label(
        "Nobody on the team sends an AI-drafted reply to a customer without reading it first.",
        lexicon,
    )
    assert result.kind == "individual"


def test_a_failed_attempt_keeps_no_rule_whatever_follows(lexicon):
    result = label("I couldn't get anyone from legal to look at it before launch.", lexicon)
    assert result.kind == "none"
