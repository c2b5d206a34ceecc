"""Classifier v7: the rule classifier and the n-gram model, each a vote on the three kinds.

The ensemble's probability of a kind is ``w * rules + (1 - w) * model``, where the model's
probabilities are temperature-scaled (``TextModel.temperature``) and ``w`` is the model
file's ``rules_weight``; both, and the review threshold stored with them, are chosen by
``benchmarks.train_classifier --lofo`` on out-of-fold predictions (v7: 0.5, 1.0 and
0.56). The kind is the most probable, its probability the confidence; below the review
threshold a person decides.
A linear pool keeps v6's safeguard: with ``w`` and ``1 - w`` both below the threshold,
neither half can clear review alone when the other disagrees. Cues keep the rules'
evidence, add the model's own vote and the words that pushed it, and for a reviewed action
say what sent it to review, so a reviewer sees why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .lexicon import DEFAULT_LEXICON_PATH, KINDS, Kind, Lexicon, load_lexicon
from .model import (
    DEFAULT_MODEL_PATH,
    ModelError,
    TextModel,
    load_model,
    predict,
    telling_words,
    text_features,
)
from .rules import Classification, checked_text, classify_read, read_text


@dataclass(frozen=True)
class Classifier:
    """A lexicon and the model trained on its normalisation, checked to belong together."""

    lexicon: Lexicon
    model: TextModel

    @property
    def threshold(self) -> float:
        """The review threshold chosen with the model (``TextModel.review_threshold``)."""
        return self.model.review_threshold

    @property
    def version(self) -> str:
        """What stored classifications record: ``v<N>`` and the training data's hash."""
        return f"v{self.model.version}+{self.model.data_hash[:12]}"


def load_classifier(
    lexicon_path: str | Path = DEFAULT_LEXICON_PATH, model_path: str | Path = DEFAULT_MODEL_PATH
) -> Classifier:
    """The lexicon and model; ModelError when the model was trained for another lexicon."""
    lexicon = load_lexicon(lexicon_path)
    model = load_model(model_path)
    if model.lexicon_version != lexicon.version:
        raise ModelError(
            f"{model.path}: lexicon_version: the model was trained on lexicon "
            f"v{model.lexicon_version}, the lexicon is v{lexicon.version}; retrain it "
            "(python -m benchmarks.train_classifier)"
        )
    return Classifier(lexicon=lexicon, model=model)


def review_threshold(classifier: Classifier, configured: float | None) -> float:
    """The deployment's threshold when it sets one, else the classifier's own."""
    return classifier.threshold if configured is None else configured


def label(text: str, classifier: Classifier, threshold: float) -> Classification:
    """Classify one action with the ensemble (same contract as ``classify``).

    Cues: the rules' cues, then ``model:<kind>`` (the model's vote), ``model_word:<words>``
    for the words that pushed the ensemble's kind, ``review:rules_and_model_disagree`` when
    the two votes differ, and for an action sent to review what decided it:
    ``review:confidence_below_threshold``, then ``review:rules_unsure`` and/or
    ``review:model_unsure`` for a half whose own confidence is below the threshold.
    """
    lexicon, model = classifier.lexicon, classifier.model
    stripped = checked_text(text, threshold)
    norm = read_text(stripped, lexicon)  # read once: the rules and the model see the same
    rules = classify_read(stripped, norm, lexicon, threshold)
    features = text_features(norm)
    learned = predict(model, features)
    weight = model.rules_weight
    probabilities: dict[Kind, float] = {
        kind: weight * rules.probabilities[kind] + (1.0 - weight) * learned[kind] for kind in KINDS
    }
    kind = max(KINDS, key=lambda k: probabilities[k])
    model_kind = max(KINDS, key=lambda k: learned[k])
    cues = [*rules.cues, f"model:{model_kind}"]
    cues += [f"model_word:{word}" for word in telling_words(model, features, kind)]
    if model_kind != rules.kind:
        cues.append("review:rules_and_model_disagree")
    confidence = probabilities[kind]
    needs_review = confidence < threshold
    if needs_review:
        cues.append("review:confidence_below_threshold")
        if rules.confidence < threshold:
            cues.append("review:rules_unsure")
        if learned[model_kind] < threshold:
            cues.append("review:model_unsure")
    return Classification(
        text=rules.text,
        kind=kind,
        confidence=confidence,
        needs_review=needs_review,
        cues=tuple(cues),
        probabilities=probabilities,
        version=classifier.version,
    )
