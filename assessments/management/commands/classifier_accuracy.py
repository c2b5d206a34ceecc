"""`python manage.py classifier_accuracy [--file PATH ...] [--threshold T] [--json]`.

Measures the action classifier on labelled CSV files (columns text,kind): per file the
number of actions, accuracy overall, review rate, accuracy among the actions not sent to
review, and a confusion table of actual against predicted kind (individual, collective,
none). Without --file it measures every labelled set under tests/data: the development sets
(actions_dev; actions_dev_none to _none4 with texts that describe no action, _none4 written
in rounds while the modality, deflection and outcome rules were tuned), the hold-out set,
and three blind sets (actions_blind; actions_blind_none, written before the no-action
rules; actions_blind3, written after the rules of lexicon v3 were frozen and measured once),
and dev5 to dev11, fresh phrasings written during the lexicon v4 work, each measured once as
written and then tuned on (dev11, written last, never). Only phrasings nobody has seen
estimate how the tuning carries over to actions nobody has labelled yet.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.classify import (
    KINDS,
    AccuracyReport,
    LabelledActionsError,
    load_classifier,
    load_labelled_actions,
    measure_accuracy,
    review_threshold,
)
from assessments.datafile import DataFileError

DATA_DIR = Path(settings.BASE_DIR) / "tests" / "data"
DEFAULT_FILES = tuple(
    DATA_DIR / f"actions_{name}.csv"
    for name in (
        "dev",
        "dev_none",
        "dev_none2",
        "dev_none3",
        "dev_none4",
        "holdout",
        "blind",
        "blind_none",
        "blind3",
        "dev5",
        "dev6",
        "dev7",
        "dev8",
        "dev9",
        "dev10",
        "dev11",
    )
)
HEADER = "actual \\ predicted"


class Command(BaseCommand):
    help = "Accuracy, review rate and confusion table of the action classifier on labelled CSVs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--file",
            action="append",
            dest="files",
            help="a text,kind CSV; repeat for several (default: every labelled set in tests/data)",
        )
        parser.add_argument("--threshold", type=float, help="review threshold to measure at")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            classifier = load_classifier()
        except DataFileError as error:
            raise CommandError(str(error)) from error
        threshold = options["threshold"]
        if threshold is None:
            threshold = review_threshold(classifier, settings.RECOUPLE_CLASSIFIER_THRESHOLD)
        if not 0.0 <= threshold <= 1.0:
            raise CommandError(f"The threshold must be between 0 and 1, got {threshold}.")
        reports: list[tuple[str, AccuracyReport]] = []
        for path in options["files"] or [str(path) for path in DEFAULT_FILES]:
            try:
                examples = load_labelled_actions(path)
            except LabelledActionsError as error:
                raise CommandError(str(error)) from error
            reports.append((path, measure_accuracy(examples, classifier, threshold)))
        if options["json"]:
            files = [{"file": path, **report.to_dict()} for path, report in reports]
            summary = {
                "threshold": threshold,
                "lexicon_version": classifier.lexicon.version,
                "classifier_version": classifier.version,
                "files": files,
            }
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(f"Review threshold {threshold} (classifier {classifier.version})")
        for path, report in reports:
            self.stdout.write("")
            self.stdout.write(self._table(path, report))

    @staticmethod
    def _table(path: str, report: AccuracyReport) -> str:
        not_reviewed = report.accuracy_not_reviewed
        lines = [
            path,
            f"  n                          {report.n}",
            f"  accuracy                   {report.accuracy:.1%}",
            f"  review rate                {report.review_rate:.1%} ({report.reviewed})",
            "  accuracy, not reviewed     "
            + ("n/a (all reviewed)" if not_reviewed is None else f"{not_reviewed:.1%}"),
            "",
            f"  {HEADER:<20}" + "".join(f"{kind:>12}" for kind in KINDS),
        ]
        for actual in KINDS:
            row = report.confusion[actual]
            lines.append(f"  {actual:<20}" + "".join(f"{row[kind]:>12}" for kind in KINDS))
        return "\n".join(lines)
