"""Classify a free-text recoupling action as individual, collective, or not an action.

An *individual* action is within reach of one person or one team without anyone's budget or
sign-off (reviewing genAI output, a team checklist, keeping personal data out of third-party
tools). A *collective* action needs organisational budget, authority, headcount, other
departments or a company-wide process (audits, holding a launch, a review board, RAI goals
in performance reviews).

A text that describes no action taken is *none*: a refusal or a failed attempt ("we did not
get an audit", "our request was refused", "I raised it twice, nothing happened"), a plan, a
wish or a condition that did not hold ("we plan to add a red team next year", "if we had
budget we would run an audit"), someone else's job ("legal handles all of that"), or a
complaint or a vague attitude ("leadership does not care", "we try to be careful").

The classifier is a weighted lexicon kept as data (``rules/classifier.yaml``): cue patterns
for each kind are run over a normalised text, negated cues are dropped or turned into
evidence for the other kind, and the margin between the two kinds becomes a confidence.
No-action markers (``no_action`` in the lexicon) are grammar, not topics: negation,
modality (plan, wish, conditional), attribution to others, outcomes of failure. They govern
their clause: a cue inside the scope of a refusal, plan, condition or deflection, or in the
attempt a failed outcome answers, was not done, and counts for *none* instead. A text with
no cue and no verb of doing leans to none (and to review). Whether
an action was taken at all, and then which kind, are two probabilities; their product is
the confidence of the chosen kind. Below the caller's threshold the action is marked
``needs_review`` so that a person decides instead of the classifier guessing silently;
``kind`` still carries the best guess.

Pure: no ORM, no settings, no network. Callers load the lexicon once and pass a threshold.
"""

from __future__ import annotations

import bisect
import csv
import math
import re

# The parser behind ``re`` (Python 3.11+), used only to derive trigger literals; see
# _literal_triggers, which falls back to running every cue if it ever changes shape.
import re._parser as _regex_parser  # type: ignore[import-not-found]
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, cast

from assessments.datafile import DataFileError, is_number, read_yaml

# What cues are evidence for; "none" (not an action taken) comes from no-action markers.
CueKind = Literal["individual", "collective"]
Kind = Literal["individual", "collective", "none"]
NegationRule = Literal["flip", "drop", "ignore"]
MarkerFamily = Literal[
    "refusal",
    "plan_or_wish",
    "conditional",
    "failed_attempt",
    "deflection",
    "no_action_stated",
    "vague",
    "question",
    "complaint",
]

CUE_KINDS: Final[tuple[CueKind, CueKind]] = ("individual", "collective")
KINDS: Final[tuple[Kind, Kind, Kind]] = ("individual", "collective", "none")
MARKER_FAMILIES: Final[tuple[MarkerFamily, ...]] = (
    "refusal",
    "plan_or_wish",
    "conditional",
    "failed_attempt",
    "deflection",
    "no_action_stated",
    "vague",
    "question",
    "complaint",
)
# Families whose marker governs its clause up to the next scope break, the subject before
# it included ("we did not get an audit", "if we had budget we would run an audit",
# "legal handles all of the audits").
_FORWARD_FAMILIES: Final[frozenset[str]] = frozenset(
    {"refusal", "plan_or_wish", "conditional", "deflection", "complaint"}
)
NEGATION_RULES: Final[tuple[NegationRule, ...]] = ("flip", "drop", "ignore")
DEFAULT_LEXICON_PATH: Final[Path] = Path(__file__).resolve().parent / "rules" / "classifier.yaml"

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
_MACRO: Final[re.Pattern[str]] = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_ZERO_WIDTH_OPS: Final[frozenset[str]] = frozenset({"AT", "ASSERT", "ASSERT_NOT"})
_REPEAT_OPS: Final[frozenset[str]] = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})
# A clause with the respondent or the team as its new subject ("legal signed off and I
# added the disclaimer"): the organisation's span of work ends there.
_NEW_SUBJECT: Final[re.Pattern[str]] = re.compile(
    r"\b(?:and|or|while|whereas|yet) (?:then |so |now )?(?:i|we|my|our|the team|my team|our team)\b"
)
# How much text before a cue is searched for a negator; longer than any sensible window.
_NEGATION_LOOKBACK_CHARS: Final[int] = 160


class LexiconError(DataFileError):
    """The classifier lexicon file is missing, malformed or inconsistent."""


class LabelledActionsError(ValueError):
    """A labelled-actions CSV (text,kind) is missing or malformed."""


@dataclass(frozen=True)
class Cue:
    """One weighted piece of evidence for a kind, matched as a regular expression."""

    name: str
    kind: CueKind
    weight: float
    pattern: re.Pattern[str]
    on_negation: NegationRule


@dataclass(frozen=True)
class NoAction:
    """Markers of a text that describes no action taken, and how they are weighed.

    ``markers`` per family: refusals, plans, conditionals and deflections govern their
    clause, subject included, up to the next ``scope_breaks`` (so "we will hold the release
    until the audit is done" is all plan, "legal handles the audits" all deflection); failed
    attempts ("was refused", "nothing came of it") undo their clause, and up to
    ``outcome_clauses`` clauses before when joined as an outcome (``outcome_joins``:
    "we asked for a board, it was turned down", not "we stopped the launch after the board
    said no"); stated no-actions and vague attitudes ("nothing", "we try to be careful")
    stand alone; a failed outcome also undoes the clause after it when that clause tells the
    attempt (``outcome_trails``: "nothing changed after I raised it"). A question
    ("is anyone supposed to check these?") undoes what it asks about, up to its question
    mark. A refusal whose scope goes on to a condition (``conditions``: "did not ship
    until the audit was done") is a rule the team kept, unless its negator is the subject
    (``subject_negators``: "nobody reviews them before release"); a plan whose scope goes on
    to a success (``achieved``: "the proposal was approved") was carried out; a refusal or
    plan with the product as subject (``product_behaviour``: "the bot will not answer
    medication questions") is how the product behaves. A refusal or plan after a done verb
    of its clause (``done_verbs``: "I wrote eval cases the assistant should refuse") sits in
    what was done, and governs nothing. A text with no cue and no done verb gets
    ``actionless_weight`` of evidence for none.
    """

    markers: Mapping[MarkerFamily, re.Pattern[str]]
    weights: Mapping[MarkerFamily, float]
    conditions: re.Pattern[str]
    subject_negators: re.Pattern[str]
    double_negatives: re.Pattern[str]
    attempt_verbs: re.Pattern[str]
    failed_refusals: re.Pattern[str]
    # a launch, feature or rollout that was cancelled or pulled was held back, not a failed
    # attempt ("the rollout to schools was cancelled by leadership")
    risk_withdrawn: re.Pattern[str]
    achieved: re.Pattern[str]
    product_behaviour: re.Pattern[str]
    scope_breaks: re.Pattern[str]
    outcome_joins: re.Pattern[str]
    outcome_trails: re.Pattern[str]
    outcome_clauses: int
    done_verbs: re.Pattern[str]
    # words in quotation marks are what someone said or wrote ("the bot now says 'I do not
    # know'"): markers inside them govern nothing
    quoted: re.Pattern[str]
    # a clause after "so" whose subject is the product or its users tells what the action
    # achieved ("so the model says it does not know", "so users can not paste data"):
    # markers in it describe the result, not a failure
    result_clause: re.Pattern[str]
    # per family, a scan for the literals every match of its markers contains (None: run
    # the markers always); most texts hold no marker, and these scans say so cheaply
    gates: Mapping[MarkerFamily, re.Pattern[str] | None]
    undone_cue_factor: float
    actionless_weight: float
    answered_factor: float
    slope: float
    bias: float


@dataclass(frozen=True)
class Negation:
    """When a cue counts as negated: a negator within a few words, in the same clause."""

    window_words: int
    negators: re.Pattern[str]
    clause_negators: re.Pattern[str]
    clause_breaks: re.Pattern[str]
    # Negators that say the team acted without the resource ("without budget", "instead of
    # waiting for a policy"); other negators say the resource is absent ("there is no
    # policy", "no audit was commissioned"): a collective cue they negate was not done.
    acted_without: re.Pattern[str]


@dataclass(frozen=True)
class TriggerIndex:
    """Which cues can possibly match a text, found in one pass.

    Every match of a cue's pattern contains one of its trigger literals (derived from the
    pattern itself). ``scanner`` finds, at each position, the longest trigger starting
    there; ``cues_by_trigger`` maps it to the cues gated on it or on any of its prefixes.
    Cues with no derivable triggers are ``always`` run. Running only the candidates keeps
    classification fast without changing a single result.
    """

    scanner: re.Pattern[str] | None
    cues_by_trigger: Mapping[str, tuple[int, ...]]
    always: tuple[int, ...]

    def candidates(self, norm: str) -> list[int]:
        """Indices of the cues whose pattern might match ``norm``, in lexicon order."""
        found = set(self.always)
        if self.scanner is not None:
            for match in self.scanner.finditer(norm):
                found.update(self.cues_by_trigger[match.group(1)])
        return sorted(found)


@dataclass(frozen=True)
class Lexicon:
    """A validated, compiled classifier lexicon (see ``rules/classifier.yaml``)."""

    path: str
    version: int
    threshold: float
    max_chars: int
    slope: float
    bias: float
    case_sensitive_abbreviations: Mapping[str, str]
    abbreviations: Mapping[str, str]
    negation: Negation
    no_action: NoAction
    cues: tuple[Cue, ...]
    # (pattern, replacement) applied last in normalise: grammar that reads one way and means
    # another ("did not skip the review" is "kept the review")
    rewrites: tuple[tuple[re.Pattern[str], str], ...]
    # collective cues that name the organisation as the one who acted ("the compliance team
    # reviews every AI-generated email"): the individual cues of the work told after them,
    # in their clause, are work the organisation did and count for collective instead
    agent_cues: frozenset[str]
    triggers: TriggerIndex
    case_sensitive_pattern: re.Pattern[str] | None
    abbreviation_pattern: re.Pattern[str] | None


@dataclass(frozen=True)
class Classification:
    """The classifier's answer for one action, with the cues that decided it."""

    text: str
    kind: Kind
    confidence: float
    needs_review: bool
    cues: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape: text, kind, confidence (3 dp), needs_review, cues."""
        return {
            "text": self.text,
            "kind": self.kind,
            "confidence": round(self.confidence, 3),
            "needs_review": self.needs_review,
            "cues": list(self.cues),
        }


@dataclass(frozen=True)
class AccuracyReport:
    """How the classifier did on labelled actions, reviewed ones counted apart."""

    n: int
    correct: int
    reviewed: int
    correct_not_reviewed: int
    # confusion[actual][predicted]: predicted is the best guess, reviewed or not
    confusion: Mapping[Kind, Mapping[Kind, int]]

    @property
    def accuracy(self) -> float:
        """Share of all actions whose best guess is right."""
        return self.correct / self.n if self.n else 0.0

    @property
    def review_rate(self) -> float:
        """Share of actions sent to human review."""
        return self.reviewed / self.n if self.n else 0.0

    @property
    def accuracy_not_reviewed(self) -> float | None:
        """Share right among the actions labelled without review (None if all reviewed)."""
        labelled = self.n - self.reviewed
        return self.correct_not_reviewed / labelled if labelled else None

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: counts, rates rounded to 4 dp, the confusion table."""
        not_reviewed = self.accuracy_not_reviewed
        return {
            "n": self.n,
            "accuracy": round(self.accuracy, 4),
            "review_rate": round(self.review_rate, 4),
            "accuracy_not_reviewed": None if not_reviewed is None else round(not_reviewed, 4),
            "reviewed": self.reviewed,
            "confusion": {actual: dict(row) for actual, row in self.confusion.items()},
        }


def measure_accuracy(
    examples: Iterable[tuple[str, Kind]], lexicon: Lexicon, threshold: float
) -> AccuracyReport:
    """Classify labelled actions and count what went right, and what went to review."""
    confusion: dict[Kind, dict[Kind, int]] = {a: dict.fromkeys(KINDS, 0) for a in KINDS}
    n = correct = reviewed = correct_not_reviewed = 0
    for text, actual in examples:
        result = classify(text, lexicon, threshold)
        right = result.kind == actual
        n += 1
        correct += right
        reviewed += result.needs_review
        correct_not_reviewed += right and not result.needs_review
        confusion[actual][result.kind] += 1
    return AccuracyReport(n, correct, reviewed, correct_not_reviewed, confusion)


def load_labelled_actions(path: str | Path) -> list[tuple[str, Kind]]:
    """Read a ``text,kind`` CSV of labelled actions; LabelledActionsError names file and line."""
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if reader.fieldnames is None or not {"text", "kind"} <= set(reader.fieldnames):
                raise LabelledActionsError(f"{path}: header: expected the columns text,kind")
            rows = list(reader)
    except OSError as exc:
        raise LabelledActionsError(f"{path}: cannot read labelled actions: {exc.strerror}") from exc
    except (UnicodeDecodeError, csv.Error) as exc:
        raise LabelledActionsError(f"{path}: not a readable UTF-8 CSV file: {exc}") from exc
    examples: list[tuple[str, Kind]] = []
    for line, row in enumerate(rows, start=2):
        text, kind = (row.get("text") or "").strip(), (row.get("kind") or "").strip()
        if not text or kind not in KINDS:
            raise LabelledActionsError(f"{path}: line {line}: expected text and a kind in {KINDS}")
        examples.append((text, cast(Kind, kind)))
    return examples


def classify(text: str, lexicon: Lexicon, threshold: float) -> Classification:
    """Classify one action as individual, collective or none (no action taken).

    ``confidence`` is the probability of the chosen kind: P(action) x P(kind | action) for
    individual and collective, 1 - P(action) for none (so at least 1/3). When it is below
    ``threshold`` the result has ``needs_review=True``; ``kind`` is still the best guess.
    Cue names read ``<kind>:<cue>``, evidence for the chosen kind first; a negated
    collective cue shows as ``individual:not_<cue>``, a cue in the scope of a refusal or
    plan as ``none:<cue>_not_done``, a no-action marker as ``none:<family>``. Texts longer
    than the lexicon's ``max_chars`` are classified on their beginning. Raises ValueError for
    empty text or a threshold outside 0..1.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Action text is empty: describe the action in a few words.")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"Threshold must be between 0 and 1, got {threshold!r}.")
    stripped = text.strip()
    weighed = _weigh(normalise(stripped[: lexicon.max_chars], lexicon), lexicon)
    evidence = weighed.evidence
    margin = evidence["collective"] - evidence["individual"] + lexicon.bias
    p_collective = _logistic(lexicon.slope * margin)
    no_action = lexicon.no_action
    done = evidence["collective"] + evidence["individual"]
    p_action = _logistic(no_action.slope * (done - weighed.not_done + no_action.bias))
    probabilities: dict[Kind, float] = {
        "individual": p_action * (1.0 - p_collective),
        "collective": p_action * p_collective,
        "none": 1.0 - p_action,
    }
    kind = max(KINDS, key=lambda k: probabilities[k])
    confidence = probabilities[kind]
    ordered = sorted(weighed.found, key=lambda cue: (not cue[0].startswith(kind), -cue[1], cue[0]))
    return Classification(
        text=stripped,
        kind=kind,
        confidence=confidence,
        needs_review=confidence < threshold,
        cues=tuple(name for name, _ in ordered),
    )


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


# How a cue's matches count: told as done, acted without ("without budget"), said to be
# absent ("there is no budget"), or inside a no-action marker's scope.
_State = Literal["plain", "negated", "absent", "undone"]


@dataclass(frozen=True)
class _Marker:
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


@dataclass(frozen=True)
class _Weighed:
    """Evidence for each cue kind, evidence that nothing was done, and the named cues."""

    evidence: Mapping[str, float]
    not_done: float
    found: list[tuple[str, float]]


def _weigh(norm: str, lexicon: Lexicon) -> _Weighed:
    """Sum cue weights per kind over a normalised text, minus what lies in no-action scope."""
    candidates = [lexicon.cues[index] for index in lexicon.triggers.candidates(norm)]
    owned_matches: dict[str, list[re.Match[str]]] = {}
    markers: list[_Marker] = []
    breaks: list[int] = []
    # Most texts hold no marker at all; the gates say so and skip the scope bookkeeping.
    families = _possible_families(norm, lexicon.no_action)
    if families:
        joins = list(lexicon.negation.clause_breaks.finditer(norm))
        breaks = [match.end() for match in joins]
        # Markers inside a cue that carries its own negation ("never paste customer data",
        # "without asking") belong to that cue; other cues' matches are read lazily.
        owned_matches = {
            cue.name: list(cue.pattern.finditer(norm))
            for cue in candidates
            if cue.on_negation == "ignore"
        }
        owned = [(m.start(), m.end()) for found in owned_matches.values() for m in found]
        owned += [(m.start(), m.end()) for m in lexicon.no_action.quoted.finditer(norm)]
        markers = _markers(norm, lexicon.no_action, families, joins, owned)
    evidence = {"individual": 0.0, "collective": 0.0}
    found: list[tuple[str, float]] = []
    undone: list[tuple[Cue, int]] = []
    plain_clauses: list[int] = []
    agent_spans = _agent_spans(norm, candidates, lexicon)
    for cue in candidates:
        matches = owned_matches.get(cue.name) or cue.pattern.finditer(norm)
        state, position = _match_state(cue, matches, norm, lexicon, markers, breaks)
        if state == "plain" and cue.kind == "individual" and _in_spans(position, agent_spans):
            # "the compliance team reviews every AI-generated email": the organisation's work
            evidence["collective"] += cue.weight
            found.append((f"collective:{cue.name}_by_organisation", cue.weight))
            if markers:
                plain_clauses.append(bisect.bisect_right(breaks, position))
        elif state == "plain":
            evidence[cue.kind] += cue.weight
            found.append((f"{cue.kind}:{cue.name}", cue.weight))
            if markers:
                plain_clauses.append(bisect.bisect_right(breaks, position))
        elif state == "negated" and cue.on_negation == "flip":
            other = "individual" if cue.kind == "collective" else "collective"
            evidence[other] += cue.weight
            found.append((f"{other}:not_{cue.name}", cue.weight))
            if markers:
                plain_clauses.append(bisect.bisect_right(breaks, position))
        elif state == "undone" or (state == "absent" and cue.on_negation == "flip"):
            undone.append((cue, bisect.bisect_right(breaks, position)))
    no_action = lexicon.no_action
    not_done = 0.0
    # Vague-only: no cue of either kind and no verb of doing ("we are broadly careful with
    # data", "honestly we just hope the model behaves") leans to none, short of a label.
    if not found and not undone and not no_action.done_verbs.search(norm):
        not_done += no_action.actionless_weight
        found.append(("none:no_action_told", no_action.actionless_weight))
    # "we could not get budget, so I wrote the tests myself": an action told in another
    # clause answers a refusal there, so the refusal only weakens the label.
    for marker in markers:
        # a failed outcome answers the attempts told before it; only an action told after
        # it ("it was turned down, so I wrote the tests myself") answers the outcome
        if marker.family == "failed_attempt":
            answered = any(clause > marker.last for clause in plain_clauses)
        else:
            answered = any(clause != marker.clause for clause in plain_clauses)
        weight = no_action.weights[marker.family] * (no_action.answered_factor if answered else 1.0)
        not_done += weight
        found.append((f"none:{marker.family}", weight))
    for cue, cue_clause in undone:
        answered = any(clause != cue_clause for clause in plain_clauses)
        weight = cue.weight * no_action.undone_cue_factor
        weight *= no_action.answered_factor if answered else 1.0
        not_done += weight
        found.append((f"none:{cue.name}_not_done", weight))
    return _Weighed(evidence=evidence, not_done=not_done, found=found)


def _agent_spans(norm: str, candidates: list[Cue], lexicon: Lexicon) -> list[tuple[int, int]]:
    """Where the organisation is told as the one who acted: from each match of an agent cue
    to the end of its clause (the lexicon's scope breaks)."""
    spans: list[tuple[int, int]] = []
    for cue in candidates:
        if cue.name not in lexicon.agent_cues:
            continue
        for match in cue.pattern.finditer(norm):
            ends = [len(norm)]
            for pattern in (lexicon.negation.clause_breaks, _NEW_SUBJECT):
                stop = pattern.search(norm, match.end())
                if stop is not None:
                    ends.append(stop.start())
            spans.append((match.start(), min(ends)))
    return spans


def _in_spans(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(low <= position < high for low, high in spans)


def _possible_families(norm: str, no_action: NoAction) -> list[MarkerFamily]:
    """The marker families whose gate finds one of their literals in ``norm``."""
    return [
        family
        for family, gate in no_action.gates.items()
        if gate is None or gate.search(norm) is not None
    ]


def _markers(
    norm: str,
    no_action: NoAction,
    families: list[MarkerFamily],
    joins: list[re.Match[str]],
    owned: list[tuple[int, int]],
) -> list[_Marker]:
    """The no-action markers of a text, minus those a negation-carrying cue owns and
    refusals whose scope goes on to a condition ("did not ship until ...")."""
    found: list[_Marker] = []
    breaks = [join.end() for join in joins]
    for family in families:
        for match in no_action.markers[family].finditer(norm):
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
            elif family in _FORWARD_FAMILIES:
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
            found.append(_Marker(family, start, end, clause, scope_start, reach, last))
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


def _match_state(
    cue: Cue,
    matches: Iterable[re.Match[str]],
    norm: str,
    lexicon: Lexicon,
    markers: list[_Marker],
    breaks: list[int],
) -> tuple[_State | None, int]:
    """How a cue counts, and where: plain if any match is, else negated (acted without it)
    or absent (said not to exist), else undone."""
    state: _State | None = None
    position = 0
    for match in matches:
        start = match.start()
        if cue.on_negation == "ignore":
            # the cue owns the negation inside its match ("never paste customer data"), not
            # a marker's scope around it or a negator before it ("there is no redaction")
            if markers and _is_undone(start, bisect.bisect_right(breaks, start), markers):
                if state is None:
                    state, position = "undone", start
                continue
            if _negation(norm, start, lexicon) is not None:
                state, position = "absent", start
                continue
            return "plain", start
        if markers and _is_undone(start, bisect.bisect_right(breaks, start), markers):
            if state is None:
                state, position = "undone", start
            continue
        negated = _negation(norm, start, lexicon)
        if negated is None:
            return "plain", start
        state, position = negated, start
    return state, position


def _is_undone(start: int, clause: int, markers: list[_Marker]) -> bool:
    """A cue is undone inside the scope of a refusal or plan (its clause up to the next
    scope break: "our team did not document it"), or in the clause of a failed attempt and
    the attempt joined to it ("we asked for headcount, it was rejected")."""
    for marker in markers:
        if marker.family in _FORWARD_FAMILIES:
            # a deflection's subject is whoever handles it ("legal handles all of that")
            own = start == marker.start and marker.family != "deflection"
            if marker.scope_start <= start < marker.reach and not own:
                return True
        elif (
            marker.family == "failed_attempt" and marker.reach <= clause <= marker.last
        ) or _in_question(start, marker):
            return True
    return False


def _in_question(start: int, marker: _Marker) -> bool:
    """Whether a cue at ``start`` is asked about by a question marker."""
    return marker.family == "question" and marker.scope_start <= start < marker.reach


def _negation(norm: str, start: int, lexicon: Lexicon) -> Literal["negated", "absent"] | None:
    """How a negator within the window before ``start``, in the same clause, negates it.

    "negated": the team acted without it ("without budget", "instead of a policy"; the
    lexicon's ``acted_without``); "absent": it is said not to exist or not to have happened
    ("there is no policy", "no audit was commissioned"); None: not negated.
    Clause negators ("instead of") count anywhere earlier in the clause.
    "no team may ship without a review" states a requirement: a "without" that follows an
    earlier negator of the same clause does not negate what comes after it.
    """
    negation = lexicon.negation
    before = norm[max(0, start - _NEGATION_LOOKBACK_CHARS) : start]
    clause_start = 0
    for boundary in negation.clause_breaks.finditer(before):
        clause_start = boundary.end()
    clause = before[clause_start:]
    if negation.clause_negators.search(clause):
        return "negated"
    window = " ".join(clause.split()[-negation.window_words :])
    hits = list(negation.negators.finditer(window))
    if not hits:
        return None
    last = hits[-1]
    if last.group(0) == "without":
        earlier = clause[: clause.rfind("without")]
        if negation.negators.search(earlier):
            return None
    if any(
        found.start() <= last.start() < found.end()
        for found in negation.acted_without.finditer(window)
    ):
        return "negated"
    return "absent"


def _logistic(x: float) -> float:
    """Numerically safe logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def load_lexicon(path: str | Path = DEFAULT_LEXICON_PATH) -> Lexicon:
    """Load, validate and compile a lexicon file; cached per resolved path.

    Raises LexiconError naming the file and the offending key.
    """
    return _load_lexicon_cached(str(Path(path).resolve()))


@lru_cache(maxsize=8)
def _load_lexicon_cached(path: str) -> Lexicon:
    _, raw = read_yaml(path, LexiconError)
    return _build_lexicon(path, raw)


def _build_lexicon(path: str, raw: object) -> Lexicon:
    """Validate the parsed YAML and compile it into a Lexicon."""
    root = _mapping(path, "(top level)", raw)
    threshold = _number(path, "threshold", root.get("threshold"), 0.0, 1.0)
    slope = _number(path, "slope", root.get("slope"), 0.0, None, exclusive_low=True)
    bias = _number(path, "bias", root.get("bias", 0.0), None, None)
    max_chars = _integer(path, "max_chars", root.get("max_chars"), 1)
    version = _integer(path, "version", root.get("version"), 1)
    case_sensitive = _string_map(
        path, "case_sensitive_abbreviations", root.get("case_sensitive_abbreviations", {})
    )
    abbreviations = _string_map(path, "abbreviations", root.get("abbreviations", {}))
    lowered = {key.lower(): value.lower() for key, value in abbreviations.items()}
    macros = _string_map(path, "macros", root.get("macros", {}))
    negation = _build_negation(path, root.get("negation"))
    no_action = _build_no_action(path, root.get("no_action"), macros)
    cues = _build_cues(path, root.get("cues"), macros)
    rewrites = _build_rewrites(path, root.get("rewrites", []), macros)
    return Lexicon(
        path=path,
        version=version,
        threshold=threshold,
        max_chars=max_chars,
        slope=slope,
        bias=bias,
        case_sensitive_abbreviations=case_sensitive,
        abbreviations=lowered,
        negation=negation,
        no_action=no_action,
        cues=cues,
        rewrites=rewrites,
        agent_cues=_agent_cues(path, root.get("agent_cues", []), cues),
        triggers=_build_trigger_index(cues),
        case_sensitive_pattern=_word_alternation(case_sensitive),
        abbreviation_pattern=_word_alternation(lowered),
    )


def _build_negation(path: str, raw: object) -> Negation:
    section = _mapping(path, "negation", raw)
    return Negation(
        window_words=_integer(path, "negation.window_words", section.get("window_words"), 1),
        negators=_regex(path, "negation.negators", section.get("negators"), {}),
        clause_negators=_regex(
            path, "negation.clause_negators", section.get("clause_negators"), {}
        ),
        clause_breaks=_regex(path, "negation.clause_breaks", section.get("clause_breaks"), {}),
        acted_without=_regex(path, "negation.acted_without", section.get("acted_without"), {}),
    )


def _build_no_action(path: str, raw: object, macros: Mapping[str, str]) -> NoAction:
    section = _mapping(path, "no_action", raw)
    markers_raw = _mapping(path, "no_action.markers", section.get("markers"))
    weights_raw = _mapping(path, "no_action.weights", section.get("weights"))
    unknown = (set(markers_raw) | set(weights_raw)) - set(MARKER_FAMILIES)
    if unknown:
        raise LexiconError(
            f"{path}: no_action: unknown marker famil(y/ies) {sorted(unknown)}; "
            f"use {MARKER_FAMILIES}"
        )
    markers = {
        family: _regex(path, f"no_action.markers.{family}", markers_raw.get(family), macros)
        for family in MARKER_FAMILIES
    }
    weights = {
        family: _number(path, f"no_action.weights.{family}", weights_raw.get(family), 0.0, None)
        for family in MARKER_FAMILIES
    }
    return NoAction(
        markers=markers,
        weights=weights,
        conditions=_regex(path, "no_action.conditions", section.get("conditions"), macros),
        achieved=_regex(path, "no_action.achieved", section.get("achieved"), macros),
        product_behaviour=_regex(
            path, "no_action.product_behaviour", section.get("product_behaviour"), macros
        ),
        subject_negators=_regex(
            path, "no_action.subject_negators", section.get("subject_negators"), macros
        ),
        double_negatives=_regex(
            path, "no_action.double_negatives", section.get("double_negatives"), macros
        ),
        attempt_verbs=_regex(path, "no_action.attempt_verbs", section.get("attempt_verbs"), macros),
        risk_withdrawn=_regex(
            path, "no_action.risk_withdrawn", section.get("risk_withdrawn"), macros
        ),
        failed_refusals=_regex(
            path, "no_action.failed_refusals", section.get("failed_refusals"), macros
        ),
        scope_breaks=_regex(path, "no_action.scope_breaks", section.get("scope_breaks"), macros),
        outcome_joins=_regex(path, "no_action.outcome_joins", section.get("outcome_joins"), macros),
        outcome_trails=_regex(
            path, "no_action.outcome_trails", section.get("outcome_trails"), macros
        ),
        outcome_clauses=_integer(
            path, "no_action.outcome_clauses", section.get("outcome_clauses"), 1
        ),
        done_verbs=_regex(path, "no_action.done_verbs", section.get("done_verbs"), macros),
        quoted=_regex(path, "no_action.quoted", section.get("quoted"), macros),
        result_clause=_regex(path, "no_action.result_clause", section.get("result_clause"), macros),
        gates={family: _gate(markers[family]) for family in MARKER_FAMILIES},
        undone_cue_factor=_number(
            path, "no_action.undone_cue_factor", section.get("undone_cue_factor"), 0.0, None
        ),
        actionless_weight=_number(
            path, "no_action.actionless_weight", section.get("actionless_weight"), 0.0, None
        ),
        answered_factor=_number(
            path, "no_action.answered_factor", section.get("answered_factor"), 0.0, 1.0
        ),
        slope=_number(path, "no_action.slope", section.get("slope"), 0.0, None, exclusive_low=True),
        bias=_number(path, "no_action.bias", section.get("bias"), None, None),
    )


def _build_cues(path: str, raw: object, macros: Mapping[str, str]) -> tuple[Cue, ...]:
    section = _mapping(path, "cues", raw)
    unknown = set(section) - set(CUE_KINDS)
    if unknown:
        raise LexiconError(f"{path}: cues: unknown kind(s) {sorted(unknown)}; use {CUE_KINDS}")
    cues: list[Cue] = []
    seen: set[str] = set()
    for kind in CUE_KINDS:
        entries = section.get(kind)
        if not isinstance(entries, list) or not entries:
            raise LexiconError(f"{path}: cues.{kind}: expected a non-empty list of cues")
        default_rule: NegationRule = "flip" if kind == "collective" else "drop"
        for index, entry in enumerate(entries):
            key = f"cues.{kind}[{index}]"
            item = _mapping(path, key, entry)
            name = item.get("name")
            if not isinstance(name, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", name):
                raise LexiconError(f"{path}: {key}.name: expected a snake_case name")
            if name in seen:
                raise LexiconError(f"{path}: {key}.name: duplicate cue name {name!r}")
            seen.add(name)
            rule = item.get("on_negation", default_rule)
            if rule not in NEGATION_RULES:
                raise LexiconError(f"{path}: {key}.on_negation: expected one of {NEGATION_RULES}")
            pattern = _regex(path, f"{key}.pattern", item.get("pattern"), macros)
            cues.append(
                Cue(
                    name=name,
                    kind=kind,
                    weight=_number(
                        path, f"{key}.weight", item.get("weight"), 0.0, None, exclusive_low=True
                    ),
                    pattern=pattern,
                    on_negation=cast(NegationRule, rule),
                )
            )
    return tuple(cues)


def _build_rewrites(
    path: str, raw: object, macros: Mapping[str, str]
) -> tuple[tuple[re.Pattern[str], str], ...]:
    if not isinstance(raw, list):
        raise LexiconError(f"{path}: rewrites: expected a list of pattern and replacement")
    rewrites: list[tuple[re.Pattern[str], str]] = []
    for index, entry in enumerate(raw):
        key = f"rewrites[{index}]"
        item = _mapping(path, key, entry)
        replacement = item.get("replacement")
        if not isinstance(replacement, str) or not replacement.strip():
            raise LexiconError(f"{path}: {key}.replacement: expected text")
        pattern = _regex(path, f"{key}.pattern", item.get("pattern"), macros)
        rewrites.append((pattern, replacement))
    return tuple(rewrites)


def _agent_cues(path: str, raw: object, cues: tuple[Cue, ...]) -> frozenset[str]:
    collective = {cue.name for cue in cues if cue.kind == "collective"}
    if not isinstance(raw, list) or not all(name in collective for name in raw):
        raise LexiconError(f"{path}: agent_cues: expected a list of collective cue names")
    return frozenset(raw)


def _word_alternation(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    """One regex matching any key as a whole word, longest keys first."""
    if not mapping:
        return None
    keys = sorted(mapping, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(key) for key in keys) + r")(?!\w)")


def _build_trigger_index(cues: tuple[Cue, ...]) -> TriggerIndex:
    """Index the cues by the literals their matches must contain."""
    owners: dict[str, set[int]] = {}
    always: list[int] = []
    for index, cue in enumerate(cues):
        triggers = _literal_triggers(cue.pattern)
        if triggers is None:
            always.append(index)
            continue
        for trigger in triggers:
            owners.setdefault(trigger, set()).add(index)
    # The scanner reports only the longest trigger at a position, so a trigger stands for
    # its prefixes too ("audit rights" also means "audit").
    closure: dict[str, tuple[int, ...]] = {}
    for trigger in owners:
        implied: set[int] = set()
        for end in range(1, len(trigger) + 1):
            implied |= owners.get(trigger[:end], set())
        closure[trigger] = tuple(sorted(implied))
    scanner = re.compile(f"(?=({_trie_regex(owners)}))") if owners else None
    return TriggerIndex(scanner=scanner, cues_by_trigger=closure, always=tuple(always))


def _gate(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A scan for the literals every match of ``pattern`` contains, or None if underivable."""
    triggers = _literal_triggers(pattern)
    return re.compile(_trie_regex(triggers)) if triggers else None


def _trie_regex(words: Iterable[str]) -> str:
    """A regex matching the longest of ``words`` at a position, shaped as a trie.

    Python's engine tries alternatives one by one; sharing prefixes makes a scan over
    hundreds of literals cost a few character checks per position.
    """
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + emit(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return emit(trie)


def _literal_triggers(pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """Literal strings such that every match of ``pattern`` contains one of them.

    Derived from Python's own parse of the pattern, soundly: alternatives contribute the
    union of their triggers, optional parts none, zero-width assertions are skipped. Returns
    None when no such set can be derived, and the cue is then always run.
    """
    try:
        tree = _regex_parser.parse(pattern.pattern, pattern.flags)
        if pattern.flags & re.IGNORECASE:
            return None
        found = _sequence_triggers(list(tree))
    except Exception:  # an internal API: if it changes, run the cue rather than break
        return None
    return tuple(sorted(found)) if found else None


def _sequence_triggers(items: list[tuple[Any, Any]]) -> set[str] | None:
    """Best trigger set of a sequence: any one required element will do; prefer long ones."""
    candidates: list[set[str]] = []
    run = ""
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            run += chr(arg)
            continue
        if name in _ZERO_WIDTH_OPS:
            continue  # consumes nothing, so the literal run around it stays contiguous
        if run:
            candidates.append({run})
            run = ""
        element = _element_triggers(name, arg)
        if element:
            candidates.append(element)
    if run:
        candidates.append({run})
    if not candidates:
        return None
    return max(candidates, key=lambda triggers: (min(map(len, triggers)), -len(triggers)))


def _element_triggers(name: str, arg: Any) -> set[str] | None:
    """Triggers of one parsed element (group, alternation, repeat, class), if any."""
    if name == "SUBPATTERN":
        _group, add_flags, _del_flags, body = arg
        if add_flags & re.IGNORECASE:
            return None  # a case-insensitive literal is not a literal
        return _sequence_triggers(list(body))
    if name == "BRANCH":
        union: set[str] = set()
        for branch in arg[1]:
            branch_triggers = _sequence_triggers(list(branch))
            if not branch_triggers:
                return None
            union |= branch_triggers
        return union
    if name in _REPEAT_OPS and arg[0] >= 1:
        return _sequence_triggers(list(arg[2]))
    if name == "IN" and all(str(op) == "LITERAL" for op, _ in arg):
        return {chr(code) for _, code in arg}
    return None


def _mapping(path: str, key: str, value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise LexiconError(f"{path}: {key}: expected a mapping")
    return value


def _string_map(path: str, key: str, value: object) -> dict[str, str]:
    section = _mapping(path, key, value)
    for name, expansion in section.items():
        if not isinstance(name, str) or not isinstance(expansion, str) or not expansion:
            raise LexiconError(f"{path}: {key}.{name}: expected text mapped to text")
    return section


def _number(
    path: str,
    key: str,
    value: object,
    low: float | None,
    high: float | None,
    *,
    exclusive_low: bool = False,
) -> float:
    if not is_number(value):
        raise LexiconError(f"{path}: {key}: expected a number, got {value!r}")
    number = float(value)
    too_low = low is not None and (number <= low if exclusive_low else number < low)
    if too_low or (high is not None and number > high):
        raise LexiconError(f"{path}: {key}: {number} is out of range")
    return number


def _integer(path: str, key: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise LexiconError(f"{path}: {key}: expected an integer of at least {low}")
    return value


def _regex(path: str, key: str, value: object, macros: Mapping[str, str]) -> re.Pattern[str]:
    if not isinstance(value, str) or not value:
        raise LexiconError(f"{path}: {key}: expected a regular expression")

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in macros:
            raise LexiconError(f"{path}: {key}: unknown macro {{{name}}}")
        return macros[name]

    try:
        return re.compile(_MACRO.sub(expand, value))
    except re.error as exc:
        raise LexiconError(f"{path}: {key}: invalid regular expression: {exc}") from exc
