"""`python manage.py publish_instrument VERSION`: publish an instrument version, or check
that a published one still matches its file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments import services
from assessments.instrument.types import InstrumentError
from assessments.models import InstrumentVersion


class Command(BaseCommand):
    help = (
        "Publish instrument VERSION (assessments/instruments/v<VERSION>.yaml); refused if a "
        "published version's file has changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("version", help="e.g. 1 for assessments/instruments/v1.yaml")

    def handle(self, *args: Any, version: str, **options: Any) -> None:
        existed = InstrumentVersion.objects.filter(version=version).exists()
        try:
            published = services.publish_instrument(version)
        except InstrumentError as error:
            raise CommandError("\n".join(error.errors)) from error
        if existed:
            self.stdout.write(
                f"v{published.version} was already published on "
                f"{published.published_at:%Y-%m-%d}; its file is unchanged."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Published v{published.version}: {published.title} "
                    f"(hash {published.content_hash[:12]}…)."
                )
            )
