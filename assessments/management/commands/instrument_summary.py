"""`python manage.py instrument_summary [--json]`: coverage counts of the current instrument.

The current instrument is the newest published version, or the newest file when nothing
has been published yet. The JSON keys are those of `instrument.instrument_summary`.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError

from assessments.instrument.loader import available_versions
from assessments.instrument.types import InstrumentError, instrument_summary
from assessments.models import InstrumentVersion
from assessments.services import instrument_for


def current_version() -> tuple[str, str]:
    """The version to summarise and where it came from ("published" or "file")."""
    try:
        published = InstrumentVersion.objects.order_by("-published_at", "-id").first()
    except DatabaseError:  # not migrated yet (a fresh checkout): the files still answer
        published = None
    if published is not None:
        return published.version, "published"
    versions = available_versions()
    if not versions:
        raise CommandError("No instrument: nothing is published and no v<N>.yaml file exists.")
    return versions[-1], "file"


class Command(BaseCommand):
    help = "Summarise the newest published instrument (or newest file): items per construct."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        version, origin = current_version()
        try:
            instrument = instrument_for(version)
        except InstrumentError as error:
            raise CommandError("\n".join(error.errors)) from error
        summary = instrument_summary(instrument)
        if options["json"]:
            self.stdout.write(json.dumps(summary))
            return
        self.stdout.write(self._table(summary, instrument.title, origin))

    @staticmethod
    def _table(summary: dict[str, Any], title: str, origin: str) -> str:
        source = "newest published" if origin == "published" else "newest file, not published"
        lines = [f"Instrument v{summary['version']}: {title} ({source})", ""]
        rows = [("Items", summary["items"]), ("", "")]
        rows += [("Items by construct", "")]
        rows += [(f"  {name}", n) for name, n in summary["items_by_construct"].items()]
        rows += [("", ""), ("Practice items by resource", "")]
        rows += [(f"  {name}", n) for name, n in summary["practice_items_by_resource"].items()]
        rows += [("", ""), ("Free-text action items", summary["free_text_action_items"])]
        for heading, key in (
            ("Governance items by layer", "governance_layers"),
            ("Roadmap elements", "roadmap_items"),
            ("Real test parts", "real_test_items"),
        ):
            if any(summary[key].values()):
                rows += [("", ""), (heading, "")]
                rows += [(f"  {name}", n) for name, n in summary[key].items()]
        width = max(len(label) for label, _ in rows)
        lines += [f"{label:<{width}}  {value:>3}".rstrip() for label, value in rows]
        lines += ["", f"Segments: {', '.join(summary['segments']) or 'none'}"]
        return "\n".join(lines)
