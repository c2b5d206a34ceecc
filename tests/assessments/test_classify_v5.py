"""Lexicon v5 mechanisms, each checked on phrasings other than the texts that revealed them.

blind4's errors were generalised to grammar: complaints, contemplation, bare outcomes
after a list separator, waiting to hear back, things cut from a budget, hypothetical "if
... ever"; wh- clauses about what the product is not; embedded "whether" questions; "sat
with" people; commissioning work and creating a role. Each case below states one of them.
"""

from __future__ import annotations

import pytest

from assessments.classify import Lexicon, classify, load_lexicon


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


@pytest.mark.parametrize(
    "text",
    [
        # a complaint or judgement frames its clause as missing, not done
        "It is worrying that nobody tests the summaries before they go to clients.",
        "Management expects it live by Monday, tests or not",
        "Privacy is an afterthought here, we just ship features",
        # contemplating or deciding against is not doing
        "We thought about adding a bias check but never got to it.",
        "We discussed an external audit and decided against it.",
        "Talked for ages about doing a red team session, then the quarter ended",
        # a bare outcome after a separator answers the attempt before it
        "Requested a DPIA; ignored",
        "red team? not yet",
        "Wanted to raise it at the retro but didn't.",
        # still waiting, cut from the budget, a hypothetical condition
        "The security team has been asked to review the plugin, we are still waiting to hear",
        "The fairness audit we were promised was dropped from the roadmap",
        "If leadership ever decides to fund an audit we would take part",
        "We are still deciding whether we should get an audit",
        # the team saying it is not involved: what others do is not its action
        "Compliance runs the model validation, my team never gets involved",
        # a judgement of what someone said, the lone worrier, shipping without checks
        "Marketing told customers the assistant is always right, which is not true",
        "We are the only ones who care about this and we have no say",
        "Most things just go out without any review",
        # explicit non-answers
        "...",
        "see above",
        "dunno",
    ],
)
def test_texts_that_tell_no_action_are_none(lexicon, text):
    result = classify(text, lexicon, lexicon.threshold)
    assert (result.kind, result.needs_review) == ("none", False), result


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # what the product is not, in a wh- clause, is the content of what was written
        ("Documented in the README the cases where the bot is not accurate", "individual"),
        # a meeting with people, not a request parked somewhere
        ("Sat with a customer for half an hour to watch them use the assistant", "individual"),
        # commissioning outside work and creating a role are the organisation's doing
        ("Procurement commissioned an independent bias review of the hiring tool", "collective"),
        ("We commissioned an outside firm to test the chatbot for prompt injection", "collective"),
        ("A full-time AI governance post was created in the risk office", "collective"),
        # deciding not to launch is a hold, not a plan left undone
        ("We decided not to release the voice clone feature", "collective"),
        # an embedded question does not make a done check a plan
        ("I checked whether the model handles Welsh names", "individual"),
        # who acted: the organisation doing review-like work is the organisation's action
        ("The privacy team checks every AI-written customer letter before release", "collective"),
        ("Finance now reviews all model-generated invoices before they are sent", "collective"),
        ("I check every AI-written customer letter before it goes out", "individual"),
        # a demand the organisation granted
        ("We pushed for two extra weeks of red teaming and got them", "collective"),
        # a role of the team as subject of a verb of doing
        ("Our editors double check the generated headlines every morning", "individual"),
    ],
)
def test_actions_keep_their_kind(lexicon, text, kind):
    result = classify(text, lexicon, lexicon.threshold)
    assert result.kind == kind, result
    assert not result.needs_review, result
