"""Enabler lift a leader can trust: every cell's counts, two measures with intervals that
behave with zero counts, false-discovery control over the whole table, and plain words.

Pure: plain data in, plain data out; no ORM, no settings. The pages, the PDF, the release
builder and `manage.py enabler_lift` all read the same `LiftTable`.

How the numbers are made (the `METHOD` text says the same for readers):

- A respondent *reports* an enabler when its construct score is at least
  `thresholds.lift_enabler_min`, and a practice when the item's score (after reverse coding)
  is at least `lift_practice_min`; no score (unanswered, don't know, not applicable, hidden)
  leaves the respondent out of that cell.
- Risk ratio: the Miettinen–Nurminen score interval (inverting the score test of
  p1 = θ·p2 with the N/(N−1) variance factor). It needs no correction for zero counts:
  with 0 in the enabler group the lower bound is 0; with 0 in the other group the upper
  bound is infinite.
- Odds ratio: the sample odds ratio ad/bc with the exact conditional (Cornfield) interval
  from the noncentral hypergeometric distribution, the interval that matches Fisher's test.
- p: Fisher's exact test, two-sided (tables as likely as the observed one or less).
- Point estimates are never corrected: a zero count gives a ratio of 0 or of infinity
  (`math.inf` here; `null` in JSON for a cell that is not withheld), and only the interval
  says how large the association may be.
- Multiplicity: Benjamini–Hochberg over every tested cell of the table gives each cell its
  `q`. A cell is a finding when q ≤ 0.05 and its risk-ratio interval at the
  false-coverage-adjusted level 1 − R·0.05/m lies above 1 (R cells pass BH of the m tested;
  Benjamini & Yekutieli 2005). That adjusted lower bound orders the findings.

The modules: `stats` (the statistics of one 2×2 table and of the whole table), `cells`
(the data at the seams and the method texts), `table` (from scores to counts to the
assessed table, and the power estimate) and `words` (findings and their absence in plain
words). The names below are what the pages read, as `lift.<name>`.
"""

from assessments.lift.cells import RESEARCH_NOTE, LiftCell, LiftTable, Reports
from assessments.lift.table import lift_table, practice_items, respondent_reports
from assessments.lift.words import finding_sentence, research_comparison

__all__ = [
    "RESEARCH_NOTE",
    "LiftCell",
    "LiftTable",
    "Reports",
    "finding_sentence",
    "lift_table",
    "practice_items",
    "research_comparison",
    "respondent_reports",
]
