"""`python manage.py enabler_lift --org SLUG --cycle SLUG [--json]`: a cycle's lift table.

A stable command-line contract (docs: architecture, "Stable command-line contracts"): with
--json, one object per cell and line with exactly the keys enabler, practice, with_k, with_n,
without_k, without_n, rr, rr_low, rr_high, odds_ratio, or_low, or_high, p, q, shown and
withheld. `shown` says whether the pages show the cell as a finding; `withheld` is why the
cell is not compared, or null. In a cell that is not withheld, a null ratio or upper bound
means infinite (nobody without the enabler reports the practice); in a withheld cell every
statistic is null.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.lift import LiftCell, LiftTable, finding_sentence, lift_table
from assessments.lift_source import cycle_lift_rows
from assessments.models import Cycle
from assessments.services import instrument_for
from orgs.models import Organization


def _number(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "—"
    return "∞" if math.isinf(value) else f"{value:.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.4f}" if value >= 0.0001 else f"{value:.0e}"


class Command(BaseCommand):
    help = "Print a cycle's enabler-lift table: counts, risk and odds ratios, p, q, findings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="organisation slug")
        parser.add_argument("--cycle", required=True, help="cycle slug within the organisation")
        parser.add_argument("--json", action="store_true", help="one JSON object per cell")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organisation with slug “{options['org']}”.")
        cycle = (
            Cycle.objects.select_related("instrument")
            .filter(organization=org, slug=options["cycle"])
            .first()
        )
        if cycle is None:
            known = ", ".join(org.cycles.values_list("slug", flat=True)) or "none"
            raise CommandError(
                f"No cycle “{options['cycle']}” in organisation “{org.slug}” (its cycles: {known})."
            )
        table = lift_table(instrument_for(cycle.instrument.version), cycle_lift_rows(cycle))
        if options["json"]:
            for cell in table.cells:
                self.stdout.write(json.dumps(cell.to_json(), ensure_ascii=False))
            return
        self._print(org, cycle, table)

    def _print(self, org: Organization, cycle: Cycle, table: LiftTable) -> None:
        self.stdout.write(
            f"{org.name} · {cycle.name}: {table.responses} responses, "
            f"{table.tested} of {len(table.cells)} cells compared, {len(table.findings)} findings"
        )
        self.stdout.write(
            f"{'enabler':<11} {'practice':<28} {'with':>7} {'without':>7} "
            f"{'RR':>6} {'95% CI':>13} {'OR':>7} {'95% CI':>15} {'p':>7} {'q':>7}  shown"
        )
        for cell in table.cells:
            self.stdout.write(self._row(cell))
        self.stdout.write("")
        for cell in table.findings:
            self.stdout.write("• " + finding_sentence(cell))
        if table.no_finding_message:
            self.stdout.write(table.no_finding_message)
        self.stdout.write(table.caution)

    @staticmethod
    def _row(c: LiftCell) -> str:
        counts = f"{c.with_k:>3}/{c.with_n:<3} {c.without_k:>3}/{c.without_n:<3}"
        head = f"{c.enabler:<11} {c.practice_item[:28]:<28} {counts}"
        if c.withheld:
            return f"{head}  withheld: {c.withheld}"
        rr_ci = f"{_number(c.rr_low)}–{_number(c.rr_high)}"
        or_ci = f"{_number(c.or_low)}–{_number(c.or_high)}"
        return (
            f"{head} {_number(c.rr):>6} {rr_ci:>13} {_number(c.odds_ratio):>7} {or_ci:>15} "
            f"{_p(c.p):>7} {_p(c.q):>7}  {'yes' if c.finding else 'no'}"
        )
