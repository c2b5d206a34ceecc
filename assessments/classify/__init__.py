"""Classify a free-text recoupling action as individual, collective, or not an action.

An *individual* action is within reach of one person or one team without anyone's budget or
sign-off (reviewing genAI output, a team checklist, keeping personal data out of third-party
tools). A *collective* action needs organisational budget, authority, headcount, other
departments or a company-wide process (audits, holding a launch, a review board, RAI goals
in performance reviews).

A text that describes no action taken is *none*: a refusal or a failed attempt ("we did not
get an audit", "our request was refused", "I raised it twice, nothing happened"), a plan, a
wish or a condition that did not hold ("we plan to add a red team next year", "if we had
budget we would run an audit"), someone else's job ("legal handles all of that"), or a
complaint or a vague attitude ("leadership does not care", "we try to be careful").

The classifier is a weighted lexicon kept as data (``rules/classifier.yaml``): cue patterns
for each kind are run over a normalised text, negated cues are dropped or turned into
evidence for the other kind, and the margin between the two kinds becomes a confidence.
No-action markers (``no_action`` in the lexicon) are grammar, not topics: negation,
modality (plan, wish, conditional), attribution to others, outcomes of failure. They govern
their clause: a cue inside the scope of a refusal, plan, condition or deflection, or in the
attempt a failed outcome answers, was not done, and counts for *none* instead. A text with
no cue and no verb of doing leans to none (and to review). Whether
an action was taken at all, and then which kind, are two probabilities; their product is
the confidence of the chosen kind. Below the caller's threshold the action is marked
``needs_review`` so that a person decides instead of the classifier guessing silently;
``kind`` still carries the best guess.

Pure: no ORM, no settings, no network. Callers load the lexicon once and pass a threshold.

The package, one concern a module: ``lexicon`` (types and the validating loader of the
lexicon file), ``triggers`` (which cues can match a text), ``text`` (normalising, no-action
markers and their scope), ``rules`` (weighing cues into the rule classifier's answer),
``model`` (the learned n-gram model: features, weights file, inference), ``ensemble``
(classifier v7: the rules and the calibrated model voting together), ``accuracy`` (labelled sets and
how a classifier does on them).
"""

from .accuracy import AccuracyReport, LabelledActionsError, load_labelled_actions, measure_accuracy
from .ensemble import Classifier, label, load_classifier, review_threshold
from .lexicon import (
    CUE_KINDS,
    DEFAULT_LEXICON_PATH,
    KINDS,
    MARKER_FAMILIES,
    NEGATION_RULES,
    Cue,
    CueKind,
    Kind,
    Lexicon,
    LexiconError,
    MarkerFamily,
    Negation,
    NegationRule,
    NoAction,
    load_lexicon,
)
from .model import DEFAULT_MODEL_PATH, ModelError, TextModel, load_model
from .rules import Classification, classify, rules_version
from .text import normalise
from .text import possible_families as _possible_families
from .triggers import TriggerIndex

__all__ = [
    "CUE_KINDS",
    "DEFAULT_LEXICON_PATH",
    "DEFAULT_MODEL_PATH",
    "KINDS",
    "MARKER_FAMILIES",
    "NEGATION_RULES",
    "AccuracyReport",
    "Classification",
    "Classifier",
    "Cue",
    "CueKind",
    "Kind",
    "LabelledActionsError",
    "Lexicon",
    "LexiconError",
    "MarkerFamily",
    "ModelError",
    "Negation",
    "NegationRule",
    "NoAction",
    "TextModel",
    "TriggerIndex",
    "_possible_families",
    "classify",
    "label",
    "load_classifier",
    "load_labelled_actions",
    "load_lexicon",
    "load_model",
    "measure_accuracy",
    "normalise",
    "review_threshold",
    "rules_version",
]
