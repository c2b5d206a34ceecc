"""What a reader sees of a page without opening a trace, and the internal words (rule ids, cue
tags, decimals) that must not show there."""

from __future__ import annotations

import html
import re

from assessments.classify import load_lexicon
from assessments.services import rules_for

TRACE = re.compile(
    r"<details[^>]*>\s*<summary[^>]*>\s*How we got this\s*</summary>.*?</details>", re.S
)
# The lift table's statistical appendix (ratios, intervals, q-values) is labelled as such and
# its wording belongs to the evidence work; it is not a classifier confidence.
LIFT_APPENDIX = re.compile(
    r"<details[^>]*>\s*<summary[^>]*>All \d+ pairs, with both measures</summary>.*?</details>",
    re.S,
)
JARGON = [
    re.compile(r"[“\"']high[”\"']\s+from", re.I),  # the "'HIGH' FROM 60" of old
    re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),  # internal keys: rule ids, cue tags, states
    re.compile(r"\b0\.\d+\b"),  # a decimal confidence or share
]


def visible_text(page: str) -> str:
    """What a reader sees without opening a trace: text nodes, not attributes or scripts."""
    page = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    page = LIFT_APPENDIX.sub("", TRACE.sub("", page))
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def jargon_in(page: str) -> list[str]:
    text = visible_text(page)
    found = [m.group(0) for pattern in JARGON for m in pattern.finditer(text)]
    rules = {r.id for version in ("1", "2") for r in rules_for(version)}
    ids = rules | {c.name for c in load_lexicon().cues}
    return found + [i for i in ids if "_" in i and i in text]
