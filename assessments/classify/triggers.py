"""Which cues can match a text, found in one pass: literals derived from the cue patterns.

Most texts hold few cues and no no-action marker; scanning once for the literals every match
must contain says which patterns are worth running, without changing a single result.
"""

from __future__ import annotations

import re

# The parser behind ``re`` (Python 3.11+), used only to derive trigger literals; see
# _literal_triggers, which falls back to running every cue if it ever changes shape.
import re._parser as _regex_parser
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

_ZERO_WIDTH_OPS: Final[frozenset[str]] = frozenset({"AT", "ASSERT", "ASSERT_NOT"})
_REPEAT_OPS: Final[frozenset[str]] = frozenset({"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"})


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


def word_alternation(mapping: Mapping[str, str]) -> re.Pattern[str] | None:
    """One regex matching any key as a whole word, longest keys first."""
    if not mapping:
        return None
    keys = sorted(mapping, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(key) for key in keys) + r")(?!\w)")


def build_trigger_index(patterns: Sequence[re.Pattern[str]]) -> TriggerIndex:
    """Index the cues by the literals their matches must contain."""
    owners: dict[str, set[int]] = {}
    always: list[int] = []
    for index, pattern in enumerate(patterns):
        triggers = _literal_triggers(pattern)
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


@dataclass(frozen=True)
class AlternativeScan:
    """Which alternatives of several named patterns a text might match, found in one pass.

    Each pattern is split at its top-level ``|`` and the alternatives indexed like cues.
    Python's engine tries every alternative at every position, so a marker pattern of a
    hundred alternatives cost more than the rest of a classification; run with only the
    alternatives whose literals occur, it finds exactly the same matches (an alternative
    left out cannot match anywhere in the text, so it never wins at a position).
    """

    index: TriggerIndex  # over every pattern's alternatives, pattern by pattern
    owners: tuple[tuple[str, int], ...]  # an alternative's pattern name and place in it
    alternatives: Mapping[str, tuple[str, ...]]

    def patterns(self, norm: str) -> dict[str, re.Pattern[str]]:
        """The patterns that might match ``norm`` (in the order given), each cut to the
        alternatives that might."""
        places: dict[str, list[int]] = {}
        for index in self.index.candidates(norm):
            name, place = self.owners[index]
            places.setdefault(name, []).append(place)
        return {
            name: _alternation(tuple(self.alternatives[name][p] for p in found))
            for name, found in places.items()
        }


def build_alternative_scan(patterns: Mapping[str, re.Pattern[str]]) -> AlternativeScan:
    """Index the top-level alternatives of each pattern (a pattern that cannot be split,
    or whose literals cannot be derived, is one alternative, run whenever it might)."""
    alternatives = {
        name: top_level_alternatives(pattern.pattern) if not pattern.flags & ~re.UNICODE else None
        for name, pattern in patterns.items()
    }
    split = {
        name: parts if parts is not None else (patterns[name].pattern,)
        for name, parts in alternatives.items()
    }
    owners = tuple((name, place) for name, parts in split.items() for place in range(len(parts)))
    compiled = [re.compile(split[name][place]) for name, place in owners]
    return AlternativeScan(build_trigger_index(compiled), owners, split)


@lru_cache(maxsize=4096)
def _alternation(alternatives: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(alternatives))


_BACKREFERENCE: Final[re.Pattern[str]] = re.compile(r"\\[1-9]|\(\?P=")


def top_level_alternatives(source: str) -> tuple[str, ...] | None:
    """The alternatives of a pattern's top-level ``|``, in order; None when it has none,
    or when they cannot stand alone (flags for the whole pattern, backreferences)."""
    if re.match(r"\(\?[aiLmsux]", source) or _BACKREFERENCE.search(source):
        return None
    parts: list[str] = []
    depth, start, i, in_class = 0, 0, 0, False
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # a "]" first in a class (after an optional "^") is a literal
            i += 3 if source.startswith("^]", i + 1) else 2 if source.startswith("]", i + 1) else 1
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
        i += 1
    parts.append(source[start:])
    if len(parts) < 2:
        return None
    try:  # each must be a pattern of its own, or the split misread the source
        for part in parts:
            re.compile(part)
    except re.error:
        return None
    return tuple(parts)


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
