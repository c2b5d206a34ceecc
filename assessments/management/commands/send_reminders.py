"""`python manage.py send_reminders [--org SLUG] [--dry-run] [--json]`: one reminder pass now.

The same pass Celery beat runs daily (without its launch-email catch-up). With --json it
prints one object: `{"due": N, "sent": N}` (with --dry-run, `sent` is 0), and nothing else
on standard output: emails the console backend prints (`make run`) go to standard error.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext, redirect_stdout
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments import mailings
from orgs.models import Organization


class Command(BaseCommand):
    help = "Send the reminders due today to people who have not submitted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", help="only this organisation's cycles (its slug)")
        parser.add_argument("--dry-run", action="store_true", help="count, send nothing")
        parser.add_argument("--json", action="store_true", help='print {"due": N, "sent": N}')

    def handle(self, *args: Any, **options: Any) -> None:
        org = options["org"]
        if org and not Organization.objects.filter(slug=org).exists():
            raise CommandError(f"No organisation with the slug {org!r}.")
        # self.stdout keeps the stream it was made with; only the emails are redirected.
        with redirect_stdout(sys.stderr) if options["json"] else nullcontext():
            result = mailings.reminder_pass(org_slug=org, dry_run=options["dry_run"])
        if options["json"]:
            self.stdout.write(json.dumps(result.to_dict()))
        else:
            verb = "would be sent" if options["dry_run"] else "sent"
            self.stdout.write(f"{result.due} reminder(s) due, {result.sent} {verb}.")
