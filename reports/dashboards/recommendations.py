"""Recommendations as pages show them: a team's (with the rule's fixed texts stored once
per release, `RULES_PAGE`) and the organisation's leadership actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assessments.instrument.types import CONSTRUCTS
from assessments.recommend.recommendations import rank_leadership_actions
from assessments.recommend.rules import Rule

from .groups import GroupResult

REASONS_SHOWN = 12  # teams whose reasons a leadership action lists


def recommendation_view(rec: Any) -> dict[str, Any]:
    return {
        "rule_id": rec.rule_id,
        "title": rec.title,
        "why": rec.why,
        "why_sentences": rec.why_sentences(),
        "steps": list(rec.steps),
        "resource": rec.resource,
        "audience": rec.audience,
        "construct": CONSTRUCTS[rec.construct]["label"],
        "instrument_version": rec.trace.instrument_version,
        "trace": rec.trace_sentences(),
        "trace_heading": rec.trace_heading(),
        "rules_version": rec.trace.rules_version,
    }


# What a recommendation says that is fixed by its rule, the same on every team's page: a
# release stores it once (`RULES_PAGE`), and each team page only what is true of the team.
RULES_PAGE = "rules"


RULE_TEXT_FIELDS = (
    "title",
    "framing",
    "steps",
    "resource",
    "audience",
    "construct",
    "rules_version",
)


def stored_recommendation(rec: Mapping[str, Any], rule_texts: dict[str, Any]) -> dict[str, Any]:
    """`recommendation_view` as a team page stores it: its rule's fixed texts go to
    `rule_texts` (by rule id), the page keeps the facts that made the rule fire."""
    *facts, framing = rec["why_sentences"]
    rule_texts.setdefault(
        rec["rule_id"],
        {"framing": framing, **{k: rec[k] for k in RULE_TEXT_FIELDS if k != "framing"}},
    )
    return {
        "rule_id": rec["rule_id"],
        "facts": facts,
        "instrument_version": rec["instrument_version"],
        "trace": rec["trace"],
        "trace_heading": rec["trace_heading"],
    }


def shown_recommendation(rec: Mapping[str, Any], rule_texts: Mapping[str, Any]) -> dict[str, Any]:
    """`stored_recommendation` undone: the `recommendation_view` it was made from. A page
    stored before rule texts were stored apart is as it was."""
    if "facts" not in rec:
        return dict(rec)
    texts = rule_texts[rec["rule_id"]]
    why_sentences = [*rec["facts"], texts["framing"]]
    return {
        "rule_id": rec["rule_id"],
        "title": texts["title"],
        "why": " ".join(why_sentences),
        "why_sentences": why_sentences,
        "steps": list(texts["steps"]),
        "resource": texts["resource"],
        "audience": texts["audience"],
        "construct": texts["construct"],
        "instrument_version": rec["instrument_version"],
        "trace": rec["trace"],
        "trace_heading": rec["trace_heading"],
        "rules_version": texts["rules_version"],
    }


def with_rule_texts(page: Mapping[str, Any], rule_texts: Mapping[str, Any]) -> dict[str, Any]:
    """A stored team page with its recommendations whole again."""
    out = dict(page)
    for key in ("recs_team", "recs_leadership"):
        if key in out:
            out[key] = [shown_recommendation(r, rule_texts) for r in out[key]]
    return out


def leadership_actions(
    rules: Sequence[Rule], groups: Sequence[GroupResult]
) -> dict[str, list[dict[str, Any]]]:
    """The leadership actions the released groups' facts fire, ranked by how many teams they
    hold back, and those of them that mend the governance chain."""
    ranked = rank_leadership_actions(rules, {g.name: g.facts for g in groups if g.facts})
    actions = [
        {
            "rule_id": a.rule.id,
            "title": a.rule.title,
            "why": a.rule.framing,
            "steps": list(a.rule.steps),
            "construct": CONSTRUCTS[a.rule.construct]["label"],
            "teams": list(a.teams),
            "teams_reporting": a.teams_reporting,
            "teams_label": a.teams_label(),
            "evidence_label": a.margin_label(),
            # Why, for the first teams only: a list of 150 teams' reasons helps nobody.
            "reasons": {team: a.plain_sentences(team) for team in a.teams[:REASONS_SHOWN]},
            "traces": {
                team: {"heading": a.traces[team].heading(), "sentences": a.traces[team].sentences()}
                for team in a.teams[:REASONS_SHOWN]
            },
            "more_teams": max(0, len(a.teams) - REASONS_SHOWN),
        }
        for a in ranked
    ]
    # The leadership actions that mend the governance chain, named beside it.
    governance = [
        {"rule_id": a["rule_id"], "title": a["title"], "teams_label": a["teams_label"]}
        for a in actions
        if a["construct"] == CONSTRUCTS["governance_design"]["label"]
    ]
    return {"actions": actions, "governance_actions": governance}
