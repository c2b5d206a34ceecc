"""What disclosure control counts over: person-versions, rows of them, and display keys."""

from __future__ import annotations

Version = tuple[int, str]  # (response id, digest of what the release holds of it)
Row = frozenset[Version]


def is_cell(key: str) -> bool:
    """A display key of a unit's filter cell ("team:4|role=pm"), not of a unit."""
    return "|" in key
