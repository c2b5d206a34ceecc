"""`python -m benchmarks.classifier_eval [--rules] [--threshold T] [--json] [CSV ...]`.

Accuracy of the action classifier per labelled set, without Django or a database: for each
``text,kind`` CSV the number of actions, accuracy of the best guess, accuracy among the
actions not sent to review, and the review rate (the issue's three targets), with the
confusion table of actual against predicted kind. Without files it measures every
``tests/data/actions_*.csv``. The figures come from ``measure_accuracy``, the same count
``manage.py classifier_accuracy`` prints, at the classifier's own review threshold (the
lexicon's for ``--rules``) unless told.
It measures classifier v7 (rules and n-gram model together); ``--rules`` measures the
rules alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from assessments.classify import (
    KINDS,
    AccuracyReport,
    Classifier,
    Lexicon,
    load_classifier,
    load_labelled_actions,
    load_lexicon,
    measure_accuracy,
)

DATA_DIR = Path(__file__).resolve().parent.parent / "tests" / "data"


def labelled_sets() -> list[Path]:
    """Every labelled actions CSV under tests/data, in name order."""
    return sorted(DATA_DIR.glob("actions_*.csv"))


def row(name: str, report: AccuracyReport) -> str:
    """One line of the table: n, accuracy, accuracy not reviewed, review rate, confusion."""
    not_reviewed = report.accuracy_not_reviewed
    unreviewed = "   n/a" if not_reviewed is None else f"{not_reviewed:6.1%}"
    confusion = " ".join(
        "/".join(str(report.confusion[actual][kind]) for kind in KINDS) for actual in KINDS
    )
    return (
        f"{name:<28}{report.n:>5} {report.accuracy:7.1%} {unreviewed} "
        f"{report.review_rate:7.1%}   {confusion}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="text,kind CSVs (default: all)")
    parser.add_argument("--threshold", type=float, help="review threshold (default: lexicon's)")
    parser.add_argument("--json", action="store_true", help="one JSON object per file")
    parser.add_argument("--rules", action="store_true", help="the rules alone, without the model")
    args = parser.parse_args(argv)
    lexicon = load_lexicon()
    ensemble = load_classifier()
    classifier: Lexicon | Classifier = lexicon if args.rules else ensemble
    name = f"rules v{lexicon.version}" if args.rules else f"classifier {ensemble.version}"
    own = lexicon.threshold if args.rules else ensemble.threshold
    threshold = own if args.threshold is None else args.threshold
    files = args.files or labelled_sets()
    if not args.json:
        print(f"{name}, review threshold {threshold}")
        print(
            f"{'file':<28}{'n':>5} {'acc':>7} {'acc nr':>6} {'review':>7}   "
            "confusion actual i/c/n -> predicted i/c/n"
        )
    total: list[tuple[str, str]] = []
    for path in files:
        examples = load_labelled_actions(path)
        total.extend(examples)
        report = measure_accuracy(examples, classifier, threshold)
        if args.json:
            print(json.dumps({"file": path.name, **report.to_dict()}))
        else:
            print(row(path.stem, report))
    if not args.json and len(files) > 1:
        print(row("(all)", measure_accuracy(total, classifier, threshold)))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
