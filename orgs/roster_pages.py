"""What the roster preview page lists: one row type for every list of a plan."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Role
from .roster import Change, RosterPlan

ROLE_LABELS = dict(Role.choices)
FIELD_LABELS = {
    "name": "name",
    "team": "team",
    "role": "role",
    "segments": "segments",
    "reactivated": "comes back",
}


@dataclass(frozen=True)
class RosterListRow:
    line: int | None
    email: str
    name: str
    team: str
    role: str
    detail: str  # what changes, or why a line is refused


def _change_detail(change: Change) -> str:
    parts = []
    before = change.before
    for name in change.fields:
        if name == "team":
            parts.append(f"team {before.team or '(none)'} → {change.row.team or '(none)'}")
        elif name == "role":
            parts.append(
                f"role {ROLE_LABELS.get(before.role, before.role)} → "
                f"{ROLE_LABELS.get(change.row.role, change.row.role)}"
            )
        elif name == "name":
            parts.append(f"name {before.name or '(none)'} → {change.row.name}")
        else:
            parts.append(FIELD_LABELS[name])
    return "; ".join(parts)


def roster_list_length(plan: RosterPlan, name: str) -> int:
    return len(getattr(plan, name))


def roster_rows(plan: RosterPlan, name: str) -> list[RosterListRow]:
    """The rows of one of the plan's lists (errors, created, moved, updated...)."""
    if name == "errors":
        return [RosterListRow(e.line, "", "", "", "", e.message) for e in plan.errors]
    if name in {"created", "unchanged"}:
        return [
            RosterListRow(r.line, r.email, r.name, r.team, ROLE_LABELS[r.role], "")
            for r in getattr(plan, name)
        ]
    if name in {"updated", "moved"}:
        return [
            RosterListRow(
                c.row.line,
                c.row.email,
                c.row.name,
                c.row.team,
                ROLE_LABELS[c.row.role],
                _change_detail(c),
            )
            for c in getattr(plan, name)
        ]
    if name == "deactivated":
        return [
            RosterListRow(None, m.email, m.name, m.team, ROLE_LABELS.get(m.role, m.role), "leaves")
            for m in plan.deactivated
        ]
    raise KeyError(name)
