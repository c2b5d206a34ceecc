"""Rules fired on facts: recommendations with their causal traces, and the leadership
actions ranked by how many teams report what the rule looks for."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from assessments.recommend.checks import Check
from assessments.recommend.conditions import evaluate, holds
from assessments.recommend.facts import Facts
from assessments.recommend.rules import Rule

# --- Recommendations ------------------------------------------------------------------------


class _Margined(Protocol):
    @property
    def margin(self) -> float | None: ...


def _mean_margin(parts: Iterable[_Margined]) -> float | None:
    """The mean margin of checks (a trace's) or of traces (a ranked action's); None when no
    margin is known."""
    margins = [m for part in parts if (m := part.margin) is not None]
    return statistics.fmean(margins) if margins else None


@dataclass(frozen=True)
class Trace:
    """Why a rule fired: the rule, the instrument and rule-table versions, and the
    deciding checks, over `n_responses` responses."""

    rule_id: str
    instrument_version: str
    rules_version: str
    checks: tuple[Check, ...]
    n_responses: int = 1

    def heading(self) -> str:
        """E.g. "Rule lead_red_team, rule table version 2, instrument version 1, 9 responses"."""
        people = "response" if self.n_responses == 1 else "responses"
        return (
            f"Rule {self.rule_id}, rule table version {self.rules_version}, "
            f"instrument version {self.instrument_version}, {self.n_responses} {people}"
        )

    def sentences(self) -> list[str]:
        """The technical trace: one line per deciding check."""
        return [c.technical() for c in self.checks]

    def plain_sentences(self) -> list[str]:
        """The facts that made the rule fire, one plain sentence per deciding check."""
        return list(dict.fromkeys(c.plain() for c in self.checks))

    @property
    def margin(self) -> float | None:
        """Mean distance of the deciding checks past their cut-offs (see `Check.margin`)."""
        return _mean_margin(self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "instrument_version": self.instrument_version,
            "rules_version": self.rules_version,
            "n_responses": self.n_responses,
            "heading": self.heading(),
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class Recommendation:
    """A fired rule, ready to show, with its causal trace.

    `why` is what a page shows: the plain facts that made the rule fire, then the rule's
    framing. `trace_heading()` and `trace_sentences()` are the technical disclosure.
    """

    rule_id: str
    audience: str
    resource: str
    priority: int
    construct: str
    title: str
    framing: str
    steps: tuple[str, ...]
    trace: Trace

    def why_sentences(self) -> list[str]:
        """Plain sentences for pages and PDFs: one per deciding check, then the framing."""
        return [*self.trace.plain_sentences(), self.framing]

    @property
    def why(self) -> str:
        return " ".join(self.why_sentences())

    def trace_heading(self) -> str:
        return self.trace.heading()

    def trace_sentences(self) -> list[str]:
        """The technical trace, one line per deciding check (operators, cut-offs, keys)."""
        return self.trace.sentences()

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "audience": self.audience,
            "resource": self.resource,
            "priority": self.priority,
            "construct": self.construct,
            "title": self.title,
            "framing": self.framing,
            "why": self.why,
            "why_sentences": self.why_sentences(),
            "steps": list(self.steps),
            "instrument_version": self.trace.instrument_version,
            "rules_version": self.trace.rules_version,
            "trace": self.trace.to_dict(),
        }


def _fire(rule: Rule, facts: Facts) -> Trace | None:
    if holds(rule.when, facts) is not True:
        return None
    _, checks = evaluate(rule.when, facts)
    return Trace(
        rule.id, facts.instrument_version, rule.table_version, tuple(checks), facts.n_responses
    )


def recommend(
    rules: Sequence[Rule], facts: Facts, audience: str | None = None
) -> list[Recommendation]:
    """The rules that fire on `facts` (optionally of one audience), by priority then id."""
    fired: list[Recommendation] = []
    for rule in rules:
        if audience is not None and rule.audience != audience:
            continue
        trace = _fire(rule, facts)
        if trace is not None:
            fired.append(
                Recommendation(
                    rule.id,
                    rule.audience,
                    rule.resource,
                    rule.priority,
                    rule.construct,
                    rule.title,
                    rule.framing,
                    rule.steps,
                    trace,
                )
            )
    return sorted(fired, key=lambda r: (-r.priority, r.rule_id))


# --- Leadership ranking ---------------------------------------------------------------------


@dataclass(frozen=True)
class RankedAction:
    """A leadership rule, the teams whose results made it fire, and each team's trace.

    What it counts: `teams_reporting` is the number of teams for which the rule's
    condition held (their results show what the rule looks for), out of `teams_considered`.
    It does not say that acting would change anything for them.

    Strength of evidence, `margin`: for each reporting team, the mean distance of the
    checks that fired past their cut-offs, in points of the 0-100 scale (a share of
    respondents in percentage points; see `Check.margin`); then the mean over those teams.
    A rule that fires by a whisker ranks below one that fires by a mile.
    """

    rule: Rule
    teams: tuple[str, ...]
    traces: Mapping[str, Trace]
    teams_considered: int = 0

    @property
    def teams_reporting(self) -> int:
        return len(self.teams)

    @property
    def teams_unblocked(self) -> int:
        """Old name of `teams_reporting`, kept until the dashboards move over."""
        return self.teams_reporting

    @property
    def respondents(self) -> int:
        """Responses behind the reporting teams' results."""
        return sum(t.n_responses for t in self.traces.values())

    @property
    def margin(self) -> float | None:
        return _mean_margin(self.traces.values())

    def teams_label(self) -> str:
        """E.g. "3 of 5 teams report this"."""
        n = self.teams_reporting
        of = f" of {self.teams_considered}" if self.teams_considered else ""
        verb = "reports" if n == 1 and not of else "report"
        return f"{n}{of} team{'' if n == 1 and not of else 's'} {verb} this"

    def margin_label(self) -> str:
        """E.g. "on average 18 points past the cut-offs" ("" when unknown)."""
        if self.margin is None:
            return ""
        points = round(self.margin)
        return f"on average {points} point{'' if points == 1 else 's'} past the cut-offs"

    def plain_sentences(self, team: str) -> list[str]:
        """What made the rule fire for `team`, in plain sentences."""
        return self.traces[team].plain_sentences()

    def to_dict(self) -> dict[str, Any]:
        margin = self.margin
        return {
            "rule_id": self.rule.id,
            "title": self.rule.title,
            "framing": self.rule.framing,
            "steps": list(self.rule.steps),
            "resource": self.rule.resource,
            "construct": self.rule.construct,
            "priority": self.rule.priority,
            "rules_version": self.rule.table_version,
            "teams_reporting": self.teams_reporting,
            "teams_considered": self.teams_considered,
            "teams_label": self.teams_label(),
            "respondents": self.respondents,
            "margin": None if margin is None else round(margin, 1),
            "margin_label": self.margin_label(),
            "teams": list(self.teams),
            "traces": {team: trace.to_dict() for team, trace in self.traces.items()},
        }


def rank_leadership_actions(
    rules: Sequence[Rule], facts_by_team: Mapping[str, Facts]
) -> list[RankedAction]:
    """Leadership rules that fire for at least one team: most teams reporting first, then
    the stronger evidence (`RankedAction.margin`), then priority, then rule id."""
    ranked: list[RankedAction] = []
    for rule in rules:
        if rule.audience != "leadership":
            continue
        traces = {
            team: trace
            for team, facts in facts_by_team.items()
            if (trace := _fire(rule, facts)) is not None
        }
        if traces:
            ranked.append(RankedAction(rule, tuple(traces), traces, len(facts_by_team)))
    return sorted(
        ranked,
        key=lambda a: (
            -a.teams_reporting,
            -(a.margin if a.margin is not None else -1.0),
            -a.rule.priority,
            a.rule.id,
        ),
    )
