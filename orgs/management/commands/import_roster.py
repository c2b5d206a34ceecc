"""`python manage.py import_roster ORG_SLUG FILE.csv [--dry-run] [--deactivate-missing] [--json]`.

Without --json it prints a summary and every error with its line. With --json it prints one
object: `created`, `updated`, `unchanged`, `deactivated` (what this run did, or with
--dry-run would do) and `errors` (`[{"line", "message"}]`, the header is line 1, line 0 is
the file as a whole). A file with errors changes nothing: the counts are then 0 (unless
--dry-run) and the exit status is 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs import roster, roster_services
from orgs.models import Organization


class Command(BaseCommand):
    help = "Import a roster CSV (email, name, team, role) into an organisation."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("org_slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="plan only; change nothing")
        parser.add_argument(
            "--deactivate-missing",
            action="store_true",
            help="people not in the file leave (deactivated; org admins are kept)",
        )
        parser.add_argument(
            "--segments",
            default="",
            help="comma-separated extra columns to keep as segments, e.g. department,location",
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org_slug"]).first()
        if org is None:
            raise CommandError(f"No organisation with the slug {options['org_slug']!r}.")
        path: Path = options["file"]
        try:
            segments = roster.parse_segment_names(options["segments"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        try:
            with path.open("rb") as handle:
                data = handle.read(roster.MAX_BYTES + 1)  # enough to know it is too big
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        kwargs = {"segments": segments, "deactivate_missing": options["deactivate_missing"]}
        if options["dry_run"]:
            plan = roster_services.plan_roster_import(org, data, **kwargs)
        else:
            plan = roster_services.apply_roster(None, org, data, filename=path.name, **kwargs)
        applied = options["dry_run"] or not plan.errors
        counts = plan.counts() if applied else dict.fromkeys(plan.counts(), 0)
        if options["json"]:
            payload = {**counts, "errors": [e.to_dict() for e in plan.errors]}
            self.stdout.write(json.dumps(payload))
        else:
            self._summary(plan, counts, options["dry_run"])
        if plan.errors:
            sys.exit(1)

    def _summary(self, plan: roster.RosterPlan, counts: dict[str, int], dry_run: bool) -> None:
        bad = f"{len(plan.errors)} bad line(s) below"
        if plan.errors and not dry_run:
            self.stdout.write(f"Nothing imported: {bad}. Fix them and import the file again.")
        else:
            self.stdout.write(
                f"{'Would import' if dry_run else 'Imported'}: {counts['created']} created, "
                f"{counts['updated']} updated ({len(plan.moved)} moved), "
                f"{counts['unchanged']} unchanged, {counts['deactivated']} deactivated; "
                f"teams created: {len(plan.teams_to_create)}"
                + (f" (once the {bad} are fixed)." if plan.errors else ".")
            )
        if plan.ignored_columns:
            self.stdout.write(
                "Ignored columns (not declared as segments): " + ", ".join(plan.ignored_columns)
            )
        for error in plan.errors:
            self.stderr.write(f"line {error.line}: {error.message}")
