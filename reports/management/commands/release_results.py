"""Build the next release of cycles' results now (what the periodic task does)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Cycle
from reports import releases
from reports.models import Release


class Command(BaseCommand):
    help = "Release the results of every cycle with new or changed submissions (or one cycle)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="organisation slug")
        parser.add_argument("--cycle", help="cycle slug (with --org)")

    def handle(self, *args: Any, **options: Any) -> None:
        cycles = Cycle.objects.exclude(state=Cycle.State.DRAFT)
        if options["org"]:
            cycles = cycles.filter(organization__slug=options["org"])
        if options["cycle"]:
            if not options["org"]:
                raise CommandError("--cycle needs --org.")
            cycles = cycles.filter(slug=options["cycle"])
        if options["org"] and not cycles.exists():
            raise CommandError("No such organisation or cycle (or it is still a draft).")
        for cycle in cycles.select_related("organization").order_by("opens_on", "id"):
            reason = Release.Reason.CLOSED if cycle.is_closed() else Release.Reason.REQUESTED
            release = releases.build(cycle.pk, reason)
            latest = Release.objects.filter(cycle=cycle).order_by("-number").first()
            self.stdout.write(
                f"{cycle.organization.slug}/{cycle.slug}: "
                + (f"release {release.number}" if release else "unchanged")
                + (
                    f", {latest.n_included} included, {latest.n_held_back} held back"
                    if latest
                    else ""
                )
            )
