"""`python manage.py validate_instrument PATH`: check an instrument file before publishing it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.instrument.loader import load_instrument
from assessments.instrument.types import InstrumentError


class Command(BaseCommand):
    help = "Validate an instrument YAML file; print every problem, or OK with its item count."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "path", help="the instrument file, e.g. assessments/instruments/v2.yaml"
        )

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            instrument = load_instrument(path)
        except InstrumentError as error:
            # One line per problem, each naming the file and the key: fix them in one pass.
            raise CommandError("\n".join(error.errors)) from error
        self.stdout.write(f"OK: v{instrument.version}, {len(instrument.items)} items")
