"""The learned half of the classifier: a multinomial logistic regression over n-grams.

Its weights are data (``rules/classifier_model.json``), written by
``python -m benchmarks.train_classifier`` from the labelled sets, with the version, the
lexicon version whose normalisation it reads and a hash of the training data. Inference
here is pure Python: features of the normalised text, one dot product per kind, a softmax.
The features see only the words (whole words, word pairs and character 3- to 5-grams
inside words), never the rules' cues, so that the model is a second opinion: where it
and the rules disagree, the ensemble's confidence falls and a person decides.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from assessments.datafile import DataFileError, Problems, is_number

from .lexicon import KINDS, RULES_DIR, Kind

DEFAULT_MODEL_PATH: Final[Path] = RULES_DIR / "classifier_model.json"
MODEL_FORMAT: Final[str] = "recouple-action-model/1"
_TOKEN: Final[re.Pattern[str]] = re.compile(r"[a-z0-9]+")
_CHAR_GRAMS: Final[tuple[int, ...]] = (3, 4, 5)
_HEX: Final[re.Pattern[str]] = re.compile(r"[0-9a-f]{64}")


class ModelError(DataFileError):
    """The classifier model file is missing, malformed or does not fit the lexicon."""


@dataclass(frozen=True)
class TextModel:
    """Validated weights of the n-gram model; ``weights[feature]`` is one number a kind."""

    path: str
    version: int
    lexicon_version: int
    data_hash: str
    rules_weight: float
    bias: tuple[float, float, float]
    weights: Mapping[str, tuple[float, float, float]]
    # v7: the model's scores are divided by this before the softmax (temperature scaling,
    # fitted on leave-one-file-out predictions: an n-gram model is overconfident on texts
    # unlike its training data); 1.0 leaves them as trained
    temperature: float = 1.0
    # v7: below this pooled confidence an action goes to review, unless the deployment sets
    # its own (RECOUPLE_CLASSIFIER_THRESHOLD); the least that kept 98.5 % of the unreviewed
    # right out of fold on the held-out-like files
    review_threshold: float = 0.7

    @functools.cached_property
    def word_weights(self) -> Mapping[str, tuple[float, float, float]]:
        """The weights of words and word pairs (not character n-grams): what explains."""
        return {f: w for f, w in self.weights.items() if not f.startswith("c:")}


def text_features(norm: str) -> dict[str, float]:
    """Binary n-gram features of a normalised text, scaled to unit length.

    ``w:`` a word, ``b:`` two words in a row, ``c:`` 3 to 5 characters of one word with a
    space at each end (so "audit" gives ``c: au``, ``c:aud``, ..., ``c:dit ``).
    """
    tokens = _TOKEN.findall(norm)
    if not tokens:
        return {}
    grams = set().union(*map(_word_grams, tokens))
    grams.update(f"b:{first} {second}" for first, second in itertools.pairwise(tokens))
    return dict.fromkeys(grams, 1.0 / math.sqrt(len(grams)))


@lru_cache(maxsize=16384)
def _word_grams(token: str) -> frozenset[str]:
    """One word's feature and its character n-grams: words recur from text to text, and
    spelling out their n-grams was half of what the features cost."""
    padded = f" {token} "
    return frozenset(
        (
            f"w:{token}",
            *(
                f"c:{padded[i : i + size]}"
                for size in _CHAR_GRAMS
                for i in range(len(padded) - size + 1)
            ),
        )
    )


def predict(model: TextModel, features: Mapping[str, float]) -> dict[Kind, float]:
    """The model's calibrated probability of each kind for a text's ``text_features``.

    Each kind's score is an exactly rounded sum (``math.fsum``): features come from a set,
    whose order follows the process's hash seed, and a plain sum in that order made the
    last digits of a confidence, and so a text right at the review threshold, differ from
    one worker to the next."""
    first, second, third = model.bias
    values = set(features.values())
    rows = list(filter(None, map(model.weights.get, features)))
    if rows and len(values) == 1:
        # text_features gives every feature the same value: each kind's sum of weights by
        # built-ins, times that value (a text has a few hundred features; a loop over
        # them in Python was most of the model's cost)
        (value,) = values
        sums = [value * math.fsum(column) for column in zip(*rows, strict=True)]
    elif rows:
        known = [(value, model.weights[f]) for f, value in features.items() if f in model.weights]
        sums = [math.fsum(value * w[kind] for value, w in known) for kind in range(3)]
    else:
        sums = [0.0, 0.0, 0.0]
    first, second, third = first + sums[0], second + sums[1], third + sums[2]
    scores = [score / model.temperature for score in (first, second, third)]
    top = max(scores)
    exps = [math.exp(score - top) for score in scores]
    total = sum(exps)
    return {kind: exps[index] / total for index, kind in enumerate(KINDS)}


def telling_words(
    model: TextModel, features: Mapping[str, float], kind: Kind, limit: int = 3
) -> list[str]:
    """The words and word pairs of the text that pushed the model most towards ``kind``."""
    index = KINDS.index(kind)
    pushes: list[tuple[float, str]] = []
    # character n-grams explain nothing to a reader: only words and pairs are looked at
    for feature in features.keys() & model.word_weights.keys():
        weights = model.weights[feature]
        push = features[feature] * (
            weights[index] - max(w for i, w in enumerate(weights) if i != index)
        )
        if push > 0:
            pushes.append((push, feature[2:]))
    return [word for _, word in sorted(pushes, key=lambda item: (-item[0], item[1]))[:limit]]


def load_model(path: str | Path = DEFAULT_MODEL_PATH) -> TextModel:
    """Load and validate a model file; cached per resolved path.

    Raises ModelError listing every problem found, one line each (``file: where: problem``).
    """
    return _load_model_cached(str(Path(path).resolve()))


@lru_cache(maxsize=4)
def _load_model_cached(path: str) -> TextModel:
    problems = Problems(path, ModelError)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.fail("(file)", f"cannot read the file: {exc}")
    try:
        raw = json.loads(text)
    except ValueError as exc:
        problems.fail("(file)", f"invalid JSON: {exc}")
    return _build_model(path, raw, problems)


def _build_model(path: str, raw: object, problems: Problems) -> TextModel:
    if not isinstance(raw, dict):
        problems.fail("(top level)", "expected a JSON object")
    root: dict[str, Any] = raw
    if root.get("format") != MODEL_FORMAT:
        problems.add("format", f"expected {MODEL_FORMAT!r}, got {root.get('format')!r}")
    version = _positive_int(problems, "version", root.get("version"))
    lexicon_version = _positive_int(problems, "lexicon_version", root.get("lexicon_version"))
    data_hash = root.get("data_hash")
    if not isinstance(data_hash, str) or not _HEX.fullmatch(data_hash):
        problems.add("data_hash", "expected the SHA-256 of the training data (64 hex digits)")
        data_hash = ""
    if root.get("classes") != list(KINDS):
        problems.add("classes", f"expected {list(KINDS)}, got {root.get('classes')!r}")
    rules_weight = root.get("rules_weight")
    if not is_number(rules_weight) or not 0.0 <= rules_weight <= 1.0:
        problems.add("rules_weight", f"expected a number in 0..1, got {rules_weight!r}")
        rules_weight = 0.5
    temperature = root.get("temperature", 1.0)
    if not is_number(temperature) or not 0.05 <= temperature <= 20.0:
        problems.add("temperature", f"expected a number in 0.05..20, got {temperature!r}")
        temperature = 1.0
    review_threshold = root.get("review_threshold", 0.7)
    if not is_number(review_threshold) or not 0.0 < review_threshold < 1.0:
        problems.add("review_threshold", f"expected a number in 0..1, got {review_threshold!r}")
        review_threshold = 0.7
    bias = _triple(problems, "bias", root.get("bias"))
    weights = _weights(problems, root.get("weights"))
    problems.raise_if_any()
    return TextModel(
        path=path,
        version=version,
        lexicon_version=lexicon_version,
        data_hash=data_hash,
        rules_weight=float(rules_weight),
        bias=bias,
        weights=weights,
        temperature=float(temperature),
        review_threshold=float(review_threshold),
    )


def _positive_int(problems: Problems, key: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        problems.add(key, f"expected a positive integer, got {value!r}")
        return 1
    return value


def _triple(problems: Problems, key: str, value: object) -> tuple[float, float, float]:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(is_number(v) and math.isfinite(v) for v in value)
    ):
        problems.add(key, "expected three finite numbers, one a kind")
        return (0.0, 0.0, 0.0)
    return (float(value[0]), float(value[1]), float(value[2]))


def _weights(problems: Problems, value: object) -> dict[str, tuple[float, float, float]]:
    if not isinstance(value, dict) or not value:
        problems.add("weights", "expected a non-empty object of feature: [three numbers]")
        return {}
    weights: dict[str, tuple[float, float, float]] = {}
    before = len(problems.lines)
    for feature, triple in value.items():
        if not re.fullmatch(r"[wbc]:.+", feature):
            problems.add(f"weights.{feature}", "expected a feature named w:, b: or c:")
        else:
            weights[feature] = _triple(problems, f"weights.{feature}", triple)
        if len(problems.lines) - before >= 20:  # one line a problem, but not thousands
            problems.add("weights", "more problems not listed")
            break
    return weights
