"""The rule classifier: lexicon cues weighed in their grammatical context.

Cue patterns for each kind are run over a normalised text, negated cues are dropped or
turned into evidence for the other kind, cues in a no-action marker's scope count for none,
and the margins become probabilities (see the package docstring).
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .lexicon import KINDS, Cue, Kind, Lexicon
from .text import FORWARD_FAMILIES, Marker, find_markers, normalise, possible_families

# A clause with the respondent or the team as its new subject ("legal signed off and I
# added the disclaimer"): the organisation's span of work ends there.
_NEW_SUBJECT: Final[re.Pattern[str]] = re.compile(
    r"\b(?:and|or|while|whereas|yet) (?:then |so |now )?(?:i|we|my|our|the team|my team|our team)\b"
)
# How much text before a cue is searched for a negator; longer than any sensible window.
_NEGATION_LOOKBACK_CHARS: Final[int] = 160


@dataclass(frozen=True)
class Classification:
    """The classifier's answer for one action, with the cues that decided it."""

    text: str
    kind: Kind
    confidence: float
    needs_review: bool
    cues: tuple[str, ...]
    # every kind's probability, and which classifier said it (stored with each action)
    probabilities: Mapping[Kind, float] = field(default_factory=dict)
    version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape: text, kind, confidence (3 dp), needs_review, cues."""
        return {
            "text": self.text,
            "kind": self.kind,
            "confidence": round(self.confidence, 3),
            "needs_review": self.needs_review,
            "cues": list(self.cues),
        }


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
    stripped = checked_text(text, threshold)
    return classify_read(stripped, read_text(stripped, lexicon), lexicon, threshold)


def checked_text(text: str, threshold: float) -> str:
    """The action's text, stripped; ValueError for empty text or a threshold outside 0..1."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("Action text is empty: describe the action in a few words.")
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"Threshold must be between 0 and 1, got {threshold!r}.")
    return text.strip()


def read_text(stripped: str, lexicon: Lexicon) -> str:
    """The normalised beginning of a stripped text: what the rules and the model read."""
    return normalise(stripped[: lexicon.max_chars], lexicon)


def classify_read(stripped: str, norm: str, lexicon: Lexicon, threshold: float) -> Classification:
    """``classify`` of a text already checked and read (``checked_text``, ``read_text``)."""
    weighed = _weigh(norm, lexicon)
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
        probabilities=probabilities,
        version=rules_version(lexicon),
    )


def rules_version(lexicon: Lexicon) -> str:
    """How a rules-only classification records what made it: ``v<N>-rules``."""
    return f"v{lexicon.version}-rules"


# How a cue's matches count: told as done, acted without ("without budget"), said to be
# absent ("there is no budget"), or inside a no-action marker's scope.
_State = Literal["plain", "negated", "absent", "undone"]


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
    markers: list[Marker] = []
    breaks: list[int] = []
    # Most texts hold no marker at all; the gates say so and skip the scope bookkeeping.
    families = possible_families(norm, lexicon.no_action)
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
        markers = find_markers(norm, lexicon.no_action, families, joins, owned)
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


def _match_state(
    cue: Cue,
    matches: Iterable[re.Match[str]],
    norm: str,
    lexicon: Lexicon,
    markers: list[Marker],
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


def _is_undone(start: int, clause: int, markers: list[Marker]) -> bool:
    """A cue is undone inside the scope of a refusal or plan (its clause up to the next
    scope break: "our team did not document it"), or in the clause of a failed attempt and
    the attempt joined to it ("we asked for headcount, it was rejected")."""
    for marker in markers:
        if marker.family in FORWARD_FAMILIES:
            # a deflection's subject is whoever handles it ("legal handles all of that")
            own = start == marker.start and marker.family != "deflection"
            if marker.scope_start <= start < marker.reach and not own:
                return True
        elif (
            marker.family == "failed_attempt" and marker.reach <= clause <= marker.last
        ) or _in_question(start, marker):
            return True
    return False


def _in_question(start: int, marker: Marker) -> bool:
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
