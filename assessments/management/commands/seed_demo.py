"""`python manage.py seed_demo`: an idempotent demo organisation "demo"."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from assessments.demo import seed_organization
from orgs.demo import DEMO_LOGINS, DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Create or refresh the demo organisation 'demo' with teams, people in every role and data."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # A fresh checkout may not be migrated yet: the demo needs the tables first.
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            self.stdout.write("Applying database migrations first…")
            call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            summary = seed_organization()
        self.stdout.write(self.style.SUCCESS(f"Demo organisation 'demo' ready: {summary}"))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for email, role in DEMO_LOGINS:
            self.stdout.write(f"  {email:<24} {role}")
