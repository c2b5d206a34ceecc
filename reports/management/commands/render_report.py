"""`python manage.py render_report --org SLUG [--team SLUG] [--cycle SLUG] --out FILE.pdf`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Cycle
from orgs.models import Organization
from reports.pdf import render_pdf
from reports.selectors import organisation_cycles as org_cycles


class Command(BaseCommand):
    help = (
        "Render the same PDF a user downloads, synchronously: "
        "a team report with --team, else the leadership report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument(
            "--team", help="team slug (team report); omit for the leadership report"
        )
        parser.add_argument("--cycle", help="cycle slug (default: the newest cycle with results)")
        parser.add_argument("--out", required=True, help="where to write the PDF")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug {options['org']!r}.")
        team = None
        if options["team"]:
            team = org.teams.filter(slug=options["team"]).first()
            if team is None:
                raise CommandError(f"No team {options['team']!r} in {org.slug}.")
        cycles = org_cycles(org)
        if options["cycle"]:
            cycle = next((c for c in cycles if c.slug == options["cycle"]), None)
            if cycle is None:
                raise CommandError(f"No cycle {options['cycle']!r} with results in {org.slug}.")
        elif cycles:
            cycle = cycles[0]
        else:
            raise CommandError(f"{org.slug} has no cycle with results yet.")
        if team and not Cycle.objects.filter(pk=cycle.pk, teams=team).exists():
            raise CommandError(f"Team {team.slug} does not take part in {cycle.slug}.")
        out = Path(options["out"])
        if out.parent and not out.parent.exists():
            raise CommandError(f"Folder {out.parent} does not exist.")
        result = render_pdf(org, cycle, team)
        out.write_bytes(result.content)
        self.stdout.write(f"Wrote {out} ({result.pages} pages, {len(result.content):,} bytes)")
