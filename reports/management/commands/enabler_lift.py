"""`python manage.py enabler_lift --org SLUG --cycle SLUG [--json]`: a cycle's lift table.

A stable command-line contract (docs: architecture, "Stable command-line contracts"): with
--json, one object per cell and line with exactly the keys enabler, practice, with_k, with_n,
without_k, without_n, rr, rr_low, rr_high, odds_ratio, or_low, or_high, p, q, shown and
withheld. `shown` says whether the pages show the cell as a finding; `withheld` is why the
cell is not compared, or null. In a cell that is not withheld, a null ratio or upper bound
means infinite (nobody without the enabler reports the practice); in a withheld cell every
statistic is null, and in a cell withheld to protect anonymity the four counts are null
too (reports/lift_rows.py).

The numbers are those of the cycle's latest release: the same cells the pages show, over
the same responses.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assessments.models import Cycle
from orgs.models import Organization
from reports import selectors
from reports.release_builder import ORG_PAGE

KEYS = (
    "enabler",
    "practice",
    "with_k",
    "with_n",
    "without_k",
    "without_n",
    "rr",
    "rr_low",
    "rr_high",
    "odds_ratio",
    "or_low",
    "or_high",
    "p",
    "q",
    "shown",
    "withheld",
)


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
        release, page = selectors.release_page(cycle, ORG_PAGE)
        if release is None:
            raise CommandError(f"No released results for {cycle.slug} yet: run release_results.")
        cells = (page or {}).get("lift_cells") or []
        if options["json"]:
            for cell in cells:  # stored as JSON, which keeps no key order: put it back
                self.stdout.write(json.dumps({k: cell[k] for k in KEYS}, ensure_ascii=False))
            return
        self._print(org, cycle, release, page or {})

    def _print(self, org: Organization, cycle: Cycle, release: Any, page: dict[str, Any]) -> None:
        cells = page.get("lift_all") or []
        self.stdout.write(
            f"{org.name} · {cycle.name}, release {release.number}: {page.get('n_counted', 0)} "
            f"responses, {page.get('lift_tested', 0)} of {len(cells)} cells compared, "
            f"{len(page.get('lift_rows') or [])} findings"
        )
        self.stdout.write(
            f"{'enabler':<11} {'practice':<28} {'with':>7} {'without':>7} "
            f"{'RR':>6} {'95% CI':>13} {'OR':>7} {'95% CI':>15} {'q':>7}  shown"
        )
        for c in cells:
            if c["reason"]:
                self.stdout.write(f"{c['enabler']:<11} {c['practice'][:28]:<28} {c['reason']}")
                continue
            self.stdout.write(
                f"{c['enabler']:<11} {c['practice'][:28]:<28} "
                f"{c['with_k']:>3}/{c['with_n']:<3} {c['without_k']:>3}/{c['without_n']:<3} "
                f"{_number(c['ratio']):>6} {_number(c['ci_low'])}–{_number(c['ci_high']):<7} "
                f"{_number(c['odds_ratio']):>7} {_number(c['or_low'])}–{_number(c['or_high']):<9} "
                f"{_p(c['q']):>7}  {'yes' if c['finding'] else ''}"
            )
        self.stdout.write("")
        for sentence in page.get("lift_top") or []:
            self.stdout.write(sentence)
        if page.get("lift_none"):
            self.stdout.write(page["lift_none"])
        self.stdout.write(page.get("lift_caution", ""))
