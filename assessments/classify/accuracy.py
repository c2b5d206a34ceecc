"""Labelled actions (``text,kind`` CSVs) and how a classifier does on them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from .ensemble import Classifier, label
from .lexicon import KINDS, Kind, Lexicon
from .rules import classify


class LabelledActionsError(ValueError):
    """A labelled-actions CSV (text,kind) is missing or malformed."""


@dataclass(frozen=True)
class AccuracyReport:
    """How the classifier did on labelled actions, reviewed ones counted apart."""

    n: int
    correct: int
    reviewed: int
    correct_not_reviewed: int
    # confusion[actual][predicted]: predicted is the best guess, reviewed or not
    confusion: Mapping[Kind, Mapping[Kind, int]]

    @property
    def accuracy(self) -> float:
        """Share of all actions whose best guess is right."""
        return self.correct / self.n if self.n else 0.0

    @property
    def review_rate(self) -> float:
        """Share of actions sent to human review."""
        return self.reviewed / self.n if self.n else 0.0

    @property
    def accuracy_not_reviewed(self) -> float | None:
        """Share right among the actions labelled without review (None if all reviewed)."""
        labelled = self.n - self.reviewed
        return self.correct_not_reviewed / labelled if labelled else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: counts, rates rounded to 4 dp, the confusion table."""
        not_reviewed = self.accuracy_not_reviewed
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "review_rate": round(self.review_rate, 4),
            "accuracy_not_reviewed": None if not_reviewed is None else round(not_reviewed, 4),
            "reviewed": self.reviewed,
            "confusion": {actual: dict(row) for actual, row in self.confusion.items()},
        }


def measure_accuracy(
    examples: Iterable[tuple[str, Kind]], classifier: Lexicon | Classifier, threshold: float
) -> AccuracyReport:
    """Classify labelled actions and count what went right, and what went to review.

    With a Lexicon, the rules alone; with a Classifier, the v7 ensemble.
    """
    confusion: dict[Kind, dict[Kind, int]] = {a: dict.fromkeys(KINDS, 0) for a in KINDS}
    n = correct = reviewed = correct_not_reviewed = 0
    for text, actual in examples:
        if isinstance(classifier, Classifier):
            result = label(text, classifier, threshold)
        else:
            result = classify(text, classifier, threshold)
        right = result.kind == actual
        n += 1
        correct += right
        reviewed += result.needs_review
        correct_not_reviewed += right and not result.needs_review
        confusion[actual][result.kind] += 1
    return AccuracyReport(n, correct, reviewed, correct_not_reviewed, confusion)


def load_labelled_actions(path: str | Path) -> list[tuple[str, Kind]]:
    """Read a ``text,kind`` CSV of labelled actions; LabelledActionsError names file and line."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "kind"} <= set(reader.fieldnames):
                raise LabelledActionsError(f"{path}: header: expected the columns text,kind")
            rows = list(reader)
    except OSError as exc:
        raise LabelledActionsError(f"{path}: cannot read labelled actions: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LabelledActionsError(f"{path}: not a readable UTF-8 CSV file: {exc}") from exc
    examples: list[tuple[str, Kind]] = []
    for line, row in enumerate(rows, start=2):
        text, kind = (row.get("text") or "").strip(), (row.get("kind") or "").strip()
        if not text or kind not in KINDS:
            raise LabelledActionsError(f"{path}: line {line}: expected text and a kind in {KINDS}")
        examples.append((text, cast(Kind, kind)))
    return examples
