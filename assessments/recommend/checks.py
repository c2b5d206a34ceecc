"""One leaf of a rule's condition as evaluated, and how it explains itself: a plain sentence
with its numbers for pages and PDFs, and a technical line for the trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from assessments.datafile import as_float, is_number
from assessments.instrument.types import CONSTRUCTS
from assessments.scoring.profile import PROFILE_STATES
from assessments.vocabulary import VOCABULARY

# How an operator reads in a sentence, for scores and for shares.
_SCORE_WORDS = {"gte": "at or above", "lte": "at or below", "gt": "above", "lt": "below"}
# The operator a leaf must fail under `not`, read positively: not (x < t) is x >= t.
_INVERSE = {"gte": "lt", "lt": "gte", "lte": "gt", "gt": "lte"}

# What a construct is called inside a plain sentence ("the team's score for ... is 38").
# The instrument's labels are headings; these read in running text.
PLAIN_NAMES: dict[str, str] = {key: c.plain for key, c in VOCABULARY.constructs.items()}


def compare(actual: float, operator: str, threshold: float) -> bool:
    if operator == "gte":
        return actual >= threshold
    if operator == "lte":
        return actual <= threshold
    if operator == "gt":
        return actual > threshold
    return actual < threshold


# --- Words ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Whose:
    """How a sentence names the subject of the facts."""

    owner: str  # "The team's" (opens a sentence)
    its: str  # "its" (inside one)
    whom: str  # "the team"
    has: str  # "The team has"


_WHOSE = {
    "team": _Whose("The team's", "its", "the team", "The team has"),
    "group": _Whose("This group's", "its", "this group", "This group has"),
    "respondent": _Whose("Your", "your", "you", "You have"),
}


def plain_name(construct: str) -> str:
    """A construct's name in running text, e.g. "leadership commitment"."""
    return PLAIN_NAMES.get(construct, CONSTRUCTS[construct]["label"].lower())


def _shown(value: float, operator: str | None = None, threshold: float | None = None) -> str:
    """`value` rounded for a sentence, with as many decimals as it takes to keep its stated
    relation to `threshold` true: 49.6 "below 50" is not shown as 50."""
    for digits in range(4):
        text = f"{value:.{digits}f}"
        if operator is None or threshold is None or compare(float(text), operator, threshold):
            return text
    return f"{value!r}"


def _either(labels: Sequence[str], joiner: str = "or") -> str:
    """“A”, “B” or “C”."""
    quoted = [f"“{label}”" for label in labels]
    if len(quoted) < 2:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} {joiner} {quoted[-1]}"


def _statement(text: str) -> str:
    """An item's text quoted inside a sentence, without its closing full stop."""
    return f"“{text.rstrip().rstrip('.')}”"


# --- Checks: one leaf of a condition as evaluated ---------------------------------------------


@dataclass(frozen=True)
class Basis:
    """A score behind a profile or gap check, and how it stands to its cut-off.

    `relation` is the operator the score satisfies against `threshold` ("gte" or "lt");
    None when the score or the cut-off is unknown. `role` says which side of the check the
    score is on: "axis" (profile), "enabler" or "practice" (gap).
    """

    construct: str
    score: float | None
    relation: str | None
    threshold: float | None
    role: str

    def distance(self) -> float | None:
        if self.score is None or self.threshold is None:
            return None
        return abs(self.score - self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {
            "construct": self.construct,
            "score": None if self.score is None else round(self.score, 1),
            "relation": self.relation,
            "threshold": self.threshold,
            "role": self.role,
        }


@dataclass(frozen=True)
class Check:
    """One leaf of a rule's condition as evaluated: its input, the actual value and the test.

    `holds` is the leaf's own truth, None when its data is missing (no score, nobody
    answered). `negated` is set when the leaf sits under an odd number of `not`s: the rule
    needed it to fail, so a firing rule shows it with `holds` False.

    Two renderings: `plain()` for pages and PDFs (numbers, no ids or operators) and
    `technical()` for the "how we got this" trace (inputs, operators, cut-offs).
    """

    kind: Literal["construct", "profile", "gap", "item"]
    input: str  # construct key, "profile", "decoupling_gap" or item key
    label: str  # what the input is called on a page
    operator: str  # gte/lte/gt/lt, "in" (profile) or "is" (gap)
    threshold: float | bool | tuple[str, ...]
    actual: float | str | bool | None  # score, share (0-1), profile state or gap flag
    holds: bool | None
    negated: bool = False
    values: tuple[str, ...] = ()  # item leaves: the option values counted
    value_labels: tuple[str, ...] = ()
    matched: int | None = None  # item leaves: respondents whose answer is in `values`
    answered: int | None = None  # item leaves: respondents who answered
    matched_labels: tuple[str, ...] = ()  # item leaves: labels of `values` somebody chose
    basis: tuple[Basis, ...] = ()  # profile and gap leaves: the scores behind them
    subject: str = "team"

    @property
    def passed(self) -> bool | None:
        """Whether the check came out as the rule needed (None: unknown)."""
        return None if self.holds is None else self.holds != self.negated

    @property
    def margin(self) -> float | None:
        """How far past its cut-off the check is, in points of the 0-100 scale.

        A share counts in percentage points. A profile is only as firm as its nearer axis;
        a gap as firm as its clearest enabler and its clearest practice, of which the
        weaker counts. None when the numbers are unknown.
        """
        actual, threshold = as_float(self.actual), as_float(self.threshold)
        if self.kind in ("construct", "item"):
            if actual is None or threshold is None:
                return None
            return abs(actual - threshold) * (100 if self.kind == "item" else 1)
        distances: dict[str, list[float]] = {}
        for b in self.basis:
            if (d := b.distance()) is None:
                return None
            distances.setdefault(b.role, []).append(d)
        if not distances:
            return None
        if self.kind == "gap" and self.actual and set(distances) == {"enabler", "practice"}:
            return min(max(distances["enabler"]), max(distances["practice"]))
        return min(d for ds in distances.values() for d in ds)

    # -- plain ---------------------------------------------------------------------------------

    def plain(self) -> str:
        """The check as a plain sentence with its numbers, for pages and PDFs.

        E.g. "The team's score for leadership commitment is 38 of 100, below 50." It says
        only what the check looked at; no rule ids, operators or decimals of a share.
        """
        if self.kind == "construct":
            return self._plain_construct()
        if self.kind == "item":
            return self._plain_item()
        if self.kind == "profile":
            return self._plain_profile()
        return self._plain_gap()

    @property
    def _whose(self) -> _Whose:
        return _WHOSE.get(self.subject, _WHOSE["team"])

    def _stated_operator(self) -> str:
        return _INVERSE[self.operator] if self.negated else self.operator

    def _plain_construct(self) -> str:
        name = plain_name(self.input)
        actual, threshold = as_float(self.actual), as_float(self.threshold) or 0.0
        if actual is None:
            return f"{self._whose.has} no score for {name}."
        operator = self._stated_operator()
        score = _shown(actual, operator, threshold)
        return (
            f"{self._whose.owner} score for {name} is {score} of 100, "
            f"{_SCORE_WORDS[operator]} {threshold:g}."
        )

    def _plain_item(self) -> str:
        statement, choices = _statement(self.label), _either(self.value_labels)
        chosen = _either(self.matched_labels)
        if self.subject == "respondent":
            if not self.answered:
                return f"You did not answer {statement}."
            if self.matched:
                return f"You answered {chosen} to {statement}."
            return f"Your answer to {statement} was not {choices}."
        if not self.answered:
            return f"Nobody answered {statement}."
        if self.answered == 1:
            verb = f"chose {chosen}" if self.matched else f"did not choose {choices}"
            return f"The one person who answered {statement} {verb}."
        share = f"{round(100 * (self.matched or 0) / self.answered)}%"
        if not self.matched:
            return f"None of the {self.answered} people who answered {statement} chose {choices}."
        return (
            f"{self.matched} of the {self.answered} people who answered {statement} "
            f"chose {choices} ({share})."
        )

    @staticmethod
    def _named_score(basis: Basis) -> str:
        """ "leadership commitment (72)", or "(no score)"."""
        if basis.score is None:
            return f"{plain_name(basis.construct)} (no score)"
        score = _shown(basis.score, basis.relation, basis.threshold)
        return f"{plain_name(basis.construct)} ({score})"

    @staticmethod
    def _cutoff(relation: str | None, threshold: float | None) -> str:
        if relation is None or threshold is None:
            return ""
        return f" ({_SCORE_WORDS[relation]} {threshold:g})"

    def _plain_profile(self) -> str:
        whose = self._whose
        state = str(self.actual)
        label = PROFILE_STATES.get(state, {}).get("label", state)
        wanted = self.threshold if isinstance(self.threshold, tuple) else ()
        others = [PROFILE_STATES[s]["label"] for s in wanted if s != state]
        contrast = f", not {_either(others)}" if self.negated and others else ""
        missing = [plain_name(b.construct) for b in self.basis if b.score is None]
        if missing or not self.basis:
            reason = f": there is no score for {' or '.join(missing)}" if missing else ""
            return f"{whose.owner} profile is “{label}”{contrast}{reason}."
        parts = []
        for n, b in enumerate(self.basis):
            score = _shown(b.score or 0.0, b.relation, b.threshold)
            owner, of_100 = (whose.owner, " of 100") if n == 0 else (whose.its, "")
            cutoff = self._cutoff(b.relation, b.threshold)
            parts.append(f"{owner} {plain_name(b.construct)} score is {score}{of_100}{cutoff}")
        return (
            f"{' and '.join(parts)}, which places {whose.whom} in the profile “{label}”{contrast}."
        )

    def _plain_gap(self) -> str:
        whose = self._whose
        if not self.basis:
            if self.actual:
                return (
                    f"{whose.owner} results show a decoupling gap: backing is in place "
                    "but practice lags behind it."
                )
            return f"There is no decoupling gap for {whose.whom}."
        if self.actual:
            enablers = [b for b in self.basis if b.role == "enabler"]
            practices = [b for b in self.basis if b.role == "practice"]
            return (
                f"{whose.owner} {self._gap_side(enablers)}, while {whose.its} "
                f"{self._gap_side(practices)}: backing is in place but practice lags behind it."
            )
        # No gap: no enabler reaches its cut-off, or no practice falls below its own.
        relation = "gte" if self.basis[0].role == "enabler" else "lt"
        threshold = self.basis[0].threshold
        names = [self._named_score(b) for b in self.basis]
        listed = (
            f"neither {' nor '.join(names)}" if len(names) == 2 else f"none of {', '.join(names)}"
        )
        cutoff = f"{_SCORE_WORDS[relation]} {threshold:g}" if threshold is not None else ""
        return f"There is no decoupling gap for {whose.whom}: {listed} is {cutoff}."

    def _gap_side(self, side: Sequence[Basis]) -> str:
        first = side[0]
        noun, verb = ("score for", "is") if len(side) == 1 else ("scores for", "are")
        names = " and ".join(self._named_score(b) for b in side)
        cutoff = self._cutoff(first.relation, first.threshold).strip(" ()")
        return f"{noun} {names} {verb} {cutoff}"

    # -- technical -----------------------------------------------------------------------------

    def technical(self) -> str:
        """The check as the trace shows it: input key, value, operator and cut-off, outcome.

        E.g. "construct leadership scored 38.2; test: lt 50 → true".
        """
        outcome = "unknown" if self.passed is None else str(self.passed).lower()
        neg = "not " if self.negated else ""
        if self.kind == "construct":
            value = f"scored {self.actual:.1f}" if is_number(self.actual) else "has no score"
            test = f"{neg}{self.operator} {self.threshold:g}"
            return f"construct {self.input} {value}; test: {test} → {outcome}"
        if self.kind == "item":
            if isinstance(self.actual, float):
                value = (
                    f"{self.matched} of {self.answered} respondents ({self.actual:.3f}) answered "
                    f"{', '.join(self.values)}"
                )
            else:
                value = "no respondents answered"
            test = f"{neg}share {self.operator} {self.threshold:g}"
            return f"item {self.input}: {value}; test: {test} → {outcome}"
        basis = ", ".join(
            f"{b.construct} "
            + ("no score" if b.score is None else f"{b.score:.1f}")
            + (f" {b.relation} {b.threshold:g}" if b.relation and b.threshold is not None else "")
            for b in self.basis
        )
        detail = f" ({basis})" if basis else ""
        if self.kind == "profile":
            wanted = self.threshold if isinstance(self.threshold, tuple) else ()
            test = f"{neg}in [{', '.join(wanted)}]"
            return f"profile {self.actual}{detail}; test: {test} → {outcome}"
        test = f"{neg}is {str(self.threshold).lower()}"
        return f"decoupling_gap {str(self.actual).lower()}{detail}; test: {test} → {outcome}"

    def sentence(self) -> str:
        """The technical rendering (kept under its old name for the trace)."""
        return self.technical()

    def to_dict(self) -> dict[str, Any]:
        actual = self.actual
        if isinstance(actual, float):
            actual = round(actual, 3 if self.kind == "item" else 1)
        margin = self.margin
        return {
            "kind": self.kind,
            "input": self.input,
            "label": self.label,
            "operator": self.operator,
            "threshold": list(self.threshold)
            if isinstance(self.threshold, tuple)
            else self.threshold,
            "actual": actual,
            "holds": self.holds,
            "negated": self.negated,
            "values": list(self.values),
            "matched": self.matched,
            "answered": self.answered,
            "basis": [b.to_dict() for b in self.basis],
            "margin": None if margin is None else round(margin, 1),
            "plain": self.plain(),
            "technical": self.technical(),
        }
