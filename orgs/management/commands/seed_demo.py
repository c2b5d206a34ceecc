"""`python manage.py seed_demo`: an idempotent demo organisation "demo"."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from orgs.demo import DEMO_LOGINS, DEMO_PASSWORD, seed_organization


class Command(BaseCommand):
    help = (
        "Create or refresh the demo organisation 'demo' with teams, people in every role and data."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            summary = seed_organization()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation 'demo' ready: {summary}"))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<24} {role}")
