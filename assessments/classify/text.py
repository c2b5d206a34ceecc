"""Reading a text: one normal spelling, then the no-action markers and the clauses they govern.

``normalise`` lower-cases, de-accents and expands abbreviations and contractions so that cue
patterns see one spelling. ``find_markers`` finds refusals, plans, conditionals, failed
attempts and the other no-action families, each with the clauses its scope reaches.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, cast

from .lexicon import Lexicon, MarkerFamily, NoAction

# Families whose marker governs its clause up to the next scope break, the subject before
# it included ("we did not get an audit", "if we had budget we would run an audit",
# "legal handles all of the audits").
FORWARD_FAMILIES: Final[frozenset[str]] = frozenset(
    {"refusal", "plan_or_wish", "conditional", "deflection", "complaint"}
)
# English grammar rather than lexicon: spelled-out contractions let negation patterns see
# "not" whatever the respondent typed. Irregular forms ("won't") are in the lexicon.
_CONTRACTIONS: Final[dict[str, str]] = {
    "n't": " not",
    "'ll": " will",
    "'re": " are",
    "'ve": " have",
    "i'm": "i am",
}
_CONTRACTION: Final[re.Pattern[str]] = re.compile(r"(?:n't|'ll|'re|'ve|\bi'm)\b")
_TYPOGRAPHY: Final[dict[int, str]] = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_SEPARATORS: Final[re.Pattern[str]] = re.compile(r"[-_/\u2010-\u2015]+")
_WHITESPACE: Final[re.Pattern[str]] = re.compile(r"\s+")


def normalise(text: str, lexicon: Lexicon) -> str:
    """Lower-case, de-accent and expand abbreviations so cues see one spelling."""
    text = text.translate(_TYPOGRAPHY)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if lexicon.case_sensitive_pattern is not None:
        mapping = lexicon.case_sensitive_abbreviations
        text = lexicon.case_sensitive_pattern.sub(lambda m: mapping[m.group(0)], text)
    text = text.lower()
    if lexicon.abbreviation_pattern is not None:
        mapping = lexicon.abbreviations
        text = lexicon.abbreviation_pattern.sub(lambda m: mapping[m.group(0)], text)
    text = _CONTRACTION.sub(lambda m: _CONTRACTIONS[m.group(0)], text)
    text = _SEPARATORS.sub(" ", text).replace("&", " and ")
    text = _WHITESPACE.sub(" ", text).strip()
    for pattern, replacement in lexicon.rewrites:
        text = pattern.sub(replacement, text)
    return text


@dataclass(frozen=True)
class Marker:
    """One no-action marker found in a text, with the clause it sits in."""

    family: MarkerFamily
    start: int
    end: int
    clause: int
    # forward families: where their scope starts (their clause's start, so that the subject
    # of a refused verb is undone too) and ends; failed attempts: the first clause undone
    scope_start: int
    reach: int
    # failed attempts: the last clause undone (their own, or the attempt told after them)
    last: int


def possible_families(norm: str, no_action: NoAction) -> dict[MarkerFamily, re.Pattern[str]]:
    """The marker families that might match ``norm``, each with the part of its pattern
    that might (the alternatives whose literals ``norm`` holds)."""
    return cast(dict[MarkerFamily, re.Pattern[str]], no_action.scan.patterns(norm))


def find_markers(
    norm: str,
    no_action: NoAction,
    families: Mapping[MarkerFamily, re.Pattern[str]],
    joins: list[re.Match[str]],
    owned: list[tuple[int, int]],
) -> list[Marker]:
    """The no-action markers of a text, minus those a negation-carrying cue owns and
    refusals whose scope goes on to a condition ("did not ship until ...")."""
    found: list[Marker] = []
    breaks = [join.end() for join in joins]
    for family, pattern in families.items():
        for match in pattern.finditer(norm):
            start, end = match.start(), match.end()
            # a question asks about the cues inside it, negation-carrying ones included
            if any(start < high and low < end for low, high in owned) and (
                family != "question" or _quoted(norm, start, end, no_action)
            ):
                continue
            clause = bisect.bisect_right(breaks, start)
            scope_start = breaks[clause - 1] if clause > 0 else 0
            last = clause
            if clause > 0 and _explains(family, joins, clause, norm, no_action):
                continue
            if family == "question":
                # the question itself is the scope: what it asks about was not done
                scope_start, reach = start, end
            elif family in FORWARD_FAMILIES:
                # searched in the whole text, so that lookaheads see past the marker
                done = no_action.done_verbs.search(norm, scope_start)
                if done is not None and done.end() <= start:
                    continue
                stop = no_action.scope_breaks.search(norm, end)
                reach = stop.start() if stop else len(norm)
                if family == "refusal" and _keeps_a_rule(norm, start, end, reach, no_action):
                    continue
                if family == "plan_or_wish" and no_action.achieved.search(norm, end, reach):
                    continue
                if family in ("refusal", "plan_or_wish") and no_action.product_behaviour.search(
                    norm, scope_start, reach
                ):
                    continue
            elif family == "failed_attempt":
                if any(
                    low <= start and end <= high
                    for low, high in (m.span() for m in no_action.risk_withdrawn.finditer(norm))
                ):
                    continue
                # "raised it in the retro, everyone agreed, nobody did anything": the
                # outcome undoes the attempts chained before it, up to outcome_clauses
                reach = clause
                # (an empty clause between two breaks, as in ", but", is not counted)
                undone = 0
                while (
                    reach > 0
                    and undone < no_action.outcome_clauses
                    and no_action.outcome_joins.fullmatch(joins[reach - 1].group(0))
                ):
                    reach -= 1
                    low = breaks[reach - 1] if reach > 0 else 0
                    undone += bool(norm[low : joins[reach].start()].strip())
                if clause < len(joins) and no_action.outcome_trails.fullmatch(
                    joins[clause].group(0)
                ):
                    last = clause + 1
            else:
                reach = clause
            found.append(Marker(family, start, end, clause, scope_start, reach, last))
    return found


def _quoted(norm: str, start: int, end: int, no_action: NoAction) -> bool:
    """Whether the span start..end lies inside quotation marks."""
    return any(m.start() <= start and end <= m.end() for m in no_action.quoted.finditer(norm))


def _keeps_a_rule(norm: str, start: int, end: int, reach: int, no_action: NoAction) -> bool:
    """Whether a refusal, with what its scope goes on to, states a rule that was kept.

    "we did not ship until the audit was done" and "nobody sends a clause without reading
    it" were kept; "nobody reviews them before release" says who did not act, and "I could
    not get legal to look at it before launch" is an attempt that failed.
    """
    if no_action.attempt_verbs.match(norm, end) or no_action.failed_refusals.match(norm, start):
        return False
    if no_action.subject_negators.match(norm, start):
        return no_action.double_negatives.search(norm, end, reach) is not None
    return no_action.conditions.search(norm, end, reach) is not None


def _explains(
    family: MarkerFamily,
    joins: list[re.Match[str]],
    clause: int,
    norm: str,
    no_action: NoAction,
) -> bool:
    """Whether a marker's clause (clause > 0) explains an action, not undoes it.

    A result after "so" with the product or its users as subject ("so the model says it
    has no answer"); a reason after "because" told as a condition or plan ("we dropped the
    idea because it would have meant scraping profiles"); a relative clause after "which"
    describing what a done verb just before made ("wrote a readme which says what the
    model should not be used for"). After "who" it is someone's answer, and counts.
    After "whether" a plan or condition is what an embedded question asks about.
    """
    join = joins[clause - 1]
    word, start = join.group(0), join.end()
    if word == "so":
        return family != "question" and no_action.result_clause.match(norm, start) is not None
    if word == "because":
        return family in ("conditional", "plan_or_wish")
    if word == "whether":
        # an embedded question: "asked legal whether we'd need consent" asks about a plan
        return family in ("conditional", "plan_or_wish")
    if word == "which" and family in ("refusal", "plan_or_wish", "conditional"):
        low = joins[clause - 2].end() if clause > 1 else 0
        done = no_action.done_verbs.search(norm, low)
        return done is not None and done.end() <= join.start()
    return False
