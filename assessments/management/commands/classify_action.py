"""`python manage.py classify_action [--json] ("TEXT" | --file PATH)`: label free-text actions.

A stable command-line contract (docs: architecture, "Stable command-line contracts"): with
--json, one object per action and line with the keys text, kind ("individual",
"collective", or "none" for a text that describes no action taken), confidence,
needs_review and cues. The review threshold is settings.RECOUPLE_CLASSIFIER_THRESHOLD when
set, else the classifier's own (chosen with its model); the classifier never reads settings.
Labels come from classifier v7, the rules and the calibrated n-gram model voting together.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.classify import Classification, label, load_classifier, review_threshold
from assessments.datafile import DataFileError


def read_actions(path: str) -> list[str]:
    """The non-blank lines of a UTF-8 file, one action each."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError as exc:
        raise CommandError(f"No such file: {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path} as UTF-8 text: {exc}") from exc
    actions = [line.strip() for line in lines if line.strip()]
    if not actions:
        raise CommandError(f"{path} holds no actions: write one action per line.")
    return actions


class Command(BaseCommand):
    help = (
        "Classify free-text actions as individual, collective or none (no action taken), "
        "with confidence and cues."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("text", nargs="?", help="the action, in quotes")
        parser.add_argument("--file", help="a UTF-8 file with one action per line")
        parser.add_argument("--json", action="store_true", help="one JSON object per line")

    def handle(self, *args: Any, **options: Any) -> None:
        text: str | None = options["text"]
        path: str | None = options["file"]
        if text is not None and path is not None:
            raise CommandError("Give either an action text or --file PATH, not both.")
        if text is None and path is None:
            raise CommandError("Give an action text in quotes, or --file PATH.")
        actions = read_actions(path) if path is not None else [text or ""]
        try:
            classifier = load_classifier()
        except DataFileError as error:  # the lexicon or the model file
            raise CommandError(str(error)) from error
        threshold = review_threshold(classifier, settings.RECOUPLE_CLASSIFIER_THRESHOLD)
        for action in actions:
            try:
                result = label(action, classifier, threshold)
            except ValueError as error:
                raise CommandError(str(error)) from error
            if options["json"]:
                self.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False))
            else:
                self.stdout.write(self._line(result))

    @staticmethod
    def _line(result: Classification) -> str:
        review = "  needs review" if result.needs_review else ""
        cues = ", ".join(result.cues) or "no cues"
        return f"{result.kind} ({result.confidence:.2f}){review}: {result.text}  [{cues}]"
