"""`python -m benchmarks.train_classifier [--lofo] [--check] [--out PATH]`.

Trains the n-gram half of classifier v6 (``assessments/classify/model.py``) on the labelled
sets named in TRAINING_FILES and writes ``assessments/rules/classifier_model.json``:
multinomial logistic regression with an L2 penalty, fitted by L-BFGS (scipy, a dev
dependency) from zero weights, so the same data gives the same file. Features come from the
app's own ``text_features``; the app reads the weights in pure Python.

``--lofo`` judges the design the only honest way the labelled data allow: leave one file
out (each file was written by another author or round), train on the rest, classify the
left-out file with the rules alone and with the ensemble, and print both per file and
pooled. The rules were hand-tuned on every file but the ones they were last measured on
blind, so their in-file figures flatter them; the model's never saw the file it is
measured on. ``--check`` retrains and fails if the stored model differs (determinism).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sparse
from scipy.optimize import minimize

from assessments.classify import (
    KINDS,
    AccuracyReport,
    Classifier,
    Kind,
    Lexicon,
    load_labelled_actions,
    load_lexicon,
    measure_accuracy,
    normalise,
)
from assessments.classify.model import (
    DEFAULT_MODEL_PATH,
    MODEL_FORMAT,
    TextModel,
    text_features,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"
# Every labelled set that may be trained on, by name: a new held-out set is never picked up
# by accident. Add a set here only once it has been measured and is spent.
TRAINING_FILES: tuple[str, ...] = (
    "actions_blind.csv",
    "actions_blind3.csv",
    "actions_blind4.csv",
    "actions_blind5.csv",
    "actions_blind_none.csv",
    "actions_dev.csv",
    "actions_dev10.csv",
    "actions_dev11.csv",
    "actions_dev5.csv",
    "actions_dev6.csv",
    "actions_dev7.csv",
    "actions_dev8.csv",
    "actions_dev9.csv",
    "actions_dev_none.csv",
    "actions_dev_none2.csv",
    "actions_dev_none3.csv",
    "actions_dev_none4.csv",
    "actions_fresh12.csv",
    "actions_fresh13.csv",
    "actions_fresh14.csv",
    "actions_holdout.csv",
)
MODEL_VERSION = 6
Report = AccuracyReport
# Chosen by pooled leave-one-file-out figures, never by one file's: the L2 penalty, the
# features' minimum document count, and an equal vote for the rules and the model.
L2_PENALTY = 0.1
MIN_DOCUMENT_COUNT = 2
RULES_WEIGHT = 0.5
DIGITS = 6


@dataclass(frozen=True)
class Example:
    file: str
    text: str
    kind: Kind
    norm: str


def load_examples(lexicon: Lexicon, files: Sequence[Path]) -> list[Example]:
    """The labelled actions of ``files``, each with its normalised text."""
    examples = []
    for path in files:
        for text, kind in load_labelled_actions(path):
            norm = normalise(text.strip()[: lexicon.max_chars], lexicon)
            examples.append(Example(path.name, text, kind, norm))
    return examples


def data_hash(files: Sequence[Path]) -> str:
    """SHA-256 over the training files' names and bytes, in the given order."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fit(examples: Sequence[Example], lexicon: Lexicon, digest: str) -> TextModel:
    """Fit the model on ``examples``; weights rounded to DIGITS so the file is stable."""
    rows = [text_features(example.norm) for example in examples]
    counts: dict[str, int] = {}
    for row in rows:
        for feature in row:
            counts[feature] = counts.get(feature, 0) + 1
    vocabulary = sorted(f for f, count in counts.items() if count >= MIN_DOCUMENT_COUNT)
    index = {feature: column for column, feature in enumerate(vocabulary)}
    matrix = _matrix(rows, index)
    labels = np.array([KINDS.index(example.kind) for example in examples])
    weights, bias = _lbfgs(matrix, labels)
    rounded = np.round(weights, DIGITS)
    return TextModel(
        path="",
        version=MODEL_VERSION,
        lexicon_version=lexicon.version,
        data_hash=digest,
        rules_weight=RULES_WEIGHT,
        bias=(
            round(float(bias[0]), DIGITS),
            round(float(bias[1]), DIGITS),
            round(float(bias[2]), DIGITS),
        ),
        weights={
            feature: (float(rounded[i, 0]), float(rounded[i, 1]), float(rounded[i, 2]))
            for i, feature in enumerate(vocabulary)
            if np.any(rounded[i] != 0.0)
        },
    )


def _matrix(rows: Sequence[dict[str, float]], index: dict[str, int]) -> sparse.csr_matrix:
    cells = [(r, index[f], v) for r, row in enumerate(rows) for f, v in row.items() if f in index]
    r, c, v = zip(*cells, strict=True) if cells else ((), (), ())
    return sparse.csr_matrix((v, (r, c)), shape=(len(rows), len(index)))


def _lbfgs(matrix: sparse.csr_matrix, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Softmax cross-entropy plus L2 on the weights (not the bias), minimised from zero."""
    n, d = matrix.shape
    k = len(KINDS)
    onehot = np.zeros((n, k))
    onehot[np.arange(n), labels] = 1.0

    def loss_and_gradient(flat: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = flat[: d * k].reshape(d, k), flat[d * k :]
        scores = matrix @ weights + bias
        scores -= scores.max(axis=1, keepdims=True)
        probabilities = np.exp(scores)
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        loss = -np.log(probabilities[np.arange(n), labels]).sum()
        loss += 0.5 * L2_PENALTY * float(np.sum(weights * weights))
        error = probabilities - onehot
        gradient = np.asarray(matrix.T @ error) + L2_PENALTY * weights
        return float(loss), np.concatenate([gradient.ravel(), error.sum(axis=0)])

    result = minimize(
        loss_and_gradient,
        np.zeros(d * k + k),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-12, "gtol": 1e-8},
    )
    return result.x[: d * k].reshape(d, k), result.x[d * k :]


def numpy_probabilities(model: TextModel, norms: Sequence[str]) -> np.ndarray:
    """The model's probabilities computed the training way (sparse matrices), to check the
    app's pure-Python inference against."""
    vocabulary = sorted(model.weights)
    index = {feature: column for column, feature in enumerate(vocabulary)}
    weights = np.array([model.weights[feature] for feature in vocabulary])
    scores = _matrix([text_features(norm) for norm in norms], index) @ weights + model.bias
    scores -= scores.max(axis=1, keepdims=True)
    probabilities = np.exp(scores)
    return probabilities / probabilities.sum(axis=1, keepdims=True)


def model_json(model: TextModel, files: Sequence[Path]) -> str:
    """The model file's text: sorted keys, one feature a line, so diffs stay readable."""
    head = {
        "format": MODEL_FORMAT,
        "version": model.version,
        "lexicon_version": model.lexicon_version,
        "data_hash": model.data_hash,
        "training_files": [path.name for path in files],
        "hyperparameters": {"l2": L2_PENALTY, "min_document_count": MIN_DOCUMENT_COUNT},
        "classes": list(KINDS),
        "rules_weight": model.rules_weight,
        "bias": list(model.bias),
    }
    lines = [json.dumps(head, sort_keys=True)[:-1] + ', "weights": {']
    items = sorted(model.weights.items())
    lines += [
        f"{json.dumps(f)}: {json.dumps(list(w))}" + ("," if i < len(items) - 1 else "")
        for i, (f, w) in enumerate(items)
    ]
    return "\n".join([*lines, "}}", ""])


def train(lexicon: Lexicon, files: Sequence[Path]) -> str:
    """The model file's text for a model trained on ``files``."""
    return model_json(fit(load_examples(lexicon, files), lexicon, data_hash(files)), files)


def lofo(
    lexicon: Lexicon, files: Sequence[Path]
) -> list[tuple[str, AccuracyReport, AccuracyReport]]:
    """Per left-out file: the rules' report and the ensemble's (model trained without it)."""
    examples = load_examples(lexicon, files)
    results = []
    for path in files:
        trained = [example for example in examples if example.file != path.name]
        model = fit(trained, lexicon, "0" * 64)
        held = [(e.text, e.kind) for e in examples if e.file == path.name]
        classifier = Classifier(lexicon=lexicon, model=model)
        results.append(
            (
                path.stem,
                measure_accuracy(held, lexicon, lexicon.threshold),
                measure_accuracy(held, classifier, lexicon.threshold),
            )
        )
    return results


def _pooled(reports: Sequence[AccuracyReport]) -> AccuracyReport:
    confusion = {a: {p: sum(r.confusion[a][p] for r in reports) for p in KINDS} for a in KINDS}
    return AccuracyReport(
        n=sum(r.n for r in reports),
        correct=sum(r.correct for r in reports),
        reviewed=sum(r.reviewed for r in reports),
        correct_not_reviewed=sum(r.correct_not_reviewed for r in reports),
        confusion=confusion,
    )


def _figures(report: AccuracyReport) -> str:
    unreviewed = report.accuracy_not_reviewed
    shown = "   n/a" if unreviewed is None else f"{unreviewed:6.1%}"
    return f"{report.accuracy:6.1%} {shown} {report.review_rate:6.1%}"


def print_lofo(results: list[tuple[str, Report, Report]]) -> None:
    print("leave-one-file-out: rules alone | ensemble (model trained without the file)")
    print(
        f"{'left out':<22}{'n':>5}   {'acc':>6} {'acc nr':>6} {'review':>6} |"
        f" {'acc':>6} {'acc nr':>6} {'review':>6}"
    )
    for name, rules, ensemble in results:
        print(f"{name:<22}{rules.n:>5}   {_figures(rules)} | {_figures(ensemble)}")
    rules_all = _pooled([r for _, r, _ in results])
    ensemble_all = _pooled([e for _, _, e in results])
    print(f"{'(pooled)':<22}{rules_all.n:>5}   {_figures(rules_all)} | {_figures(ensemble_all)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lofo", action="store_true", help="leave-one-file-out figures")
    parser.add_argument("--check", action="store_true", help="fail if retraining differs")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH, help="model file")
    args = parser.parse_args(argv)
    lexicon = load_lexicon()
    files = [DATA_DIR / name for name in TRAINING_FILES]
    if args.lofo:
        print_lofo(lofo(lexicon, files))
        return 0
    text = train(lexicon, files)
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'matches' if same else 'DIFFERS from'} a fresh training run")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text):,} bytes, data {data_hash(files)[:12]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
