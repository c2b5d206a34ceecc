"""Numbers and words as every chart, table and summary writes them."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

NOT_ENOUGH = "not enough answers"
WITHHELD = "withheld to keep answers anonymous"
DASH = "–"
LOWER_SUFFIX = " (lower is better)"


def number(value: Any) -> float | None:
    """A plain float, or None for missing, NaN and infinite values."""
    if value is None:
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def half_up(value: float, places: int) -> Decimal:
    """`value` rounded half up: str() first so that 42.5 rounds to 43 and 2.45 to 2.5."""
    exponent = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(exponent, rounding=ROUND_HALF_UP)


def format_score(value: float | None) -> str:
    """A 0-100 score to 0 decimal places ("43"), or a dash when missing."""
    v = number(value)
    return DASH if v is None else str(half_up(v, 0))


def format_percent(value: float | None) -> str:
    """A 0-100 share as "42 %", or a dash when missing."""
    v = number(value)
    return DASH if v is None else f"{half_up(v, 0)} %"


def format_ratio(value: float | None) -> str:
    """A ratio to one decimal place with a times sign ("3.1×"), or a dash when missing."""
    v = number(value)
    return DASH if v is None else f"{half_up(v, 1)}×"


def format_interval(low: float | None, high: float | None) -> str:
    """A ratio interval as "1.4–6.8×", or a dash when either end is missing."""
    lo, hi = number(low), number(high)
    if lo is None or hi is None:
        return DASH
    return f"{half_up(lo, 1)}–{half_up(hi, 1)}×"


def is_lower_better(polarity: str | None) -> bool:
    """Whether a polarity ("lower_is_better" / "higher_is_better") means lower is better."""
    return str(polarity or "").startswith("lower")


def goodness(value: float | None, polarity: str | None) -> float | None:
    """A score turned so that higher is always better: 100 - v for lower-is-better."""
    v = number(value)
    if v is None:
        return None
    return 100.0 - v if is_lower_better(polarity) else v


def display_label(label: str, polarity: str | None) -> str:
    """A construct label, suffixed "(lower is better)" where lower is better."""
    return f"{label}{LOWER_SUFFIX}" if is_lower_better(polarity) else label


def direction(polarity: str | None) -> str:
    """The direction column: "Lower is better" or "Higher is better"."""
    return "Lower is better" if is_lower_better(polarity) else "Higher is better"


def wrap(text: str, width: int, *, cut: bool = True) -> list[str]:
    """Greedy word wrap to at most `width` characters a line; longer words are cut if `cut`."""
    lines: list[str] = []
    line = ""
    for word in str(text).split():
        while cut and len(word) > width:
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:width])
            word = word[width:]
        if not word:
            continue
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line or not lines:
        lines.append(line)
    return lines


def join_names(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
