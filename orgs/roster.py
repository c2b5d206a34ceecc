"""Roster files: CSV bytes → typed rows and errors; rows + the current state → a plan.

Pure: no ORM, no request, no settings. The service (orgs/roster_services.py, `apply_roster`) loads
the current state, calls `plan_roster` and writes what the plan says in one transaction.

A roster has the columns `email`, `name`, `team`, `role` (header on line 1, any order, any
case). Other columns are ignored unless they are declared as segment columns, in which case
their values are kept on the membership (`Membership.segments`). Line numbers are the
file's own: the header is line 1, and a row that spans lines (a quoted line break) is
reported at the line where it starts. Errors about the file as a whole are on line 0.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_SEGMENT_COLUMNS = 10
REQUIRED_COLUMNS = ("email", "name", "team", "role")
LIMITS = {"email": 254, "name": 120, "team": 120, "role": 20}
SEGMENT_VALUE_LIMIT = 100
SEGMENT_NAME_LIMIT = 40

# What a `role` cell may say, normalised (lower case, spaces and dashes as underscores).
ROLE_ALIASES = {
    "": "member",
    "member": "member",
    "team_member": "member",
    "team_lead": "team_lead",
    "lead": "team_lead",
    "leader": "leader",
    "org_admin": "org_admin",
    "admin": "org_admin",
}
ROLES_WITH_TEAM = frozenset({"member", "team_lead"})
ROLE_WORDS = "member, team lead, leader or org admin"


@dataclass(frozen=True)
class RowError:
    line: int
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "message": self.message}


@dataclass(frozen=True)
class RosterRow:
    """One person as the file states them."""

    line: int
    email: str
    name: str
    team: str  # "" for a leader or org admin without a team
    role: str  # a Role value
    segments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class ParsedRoster:
    rows: tuple[RosterRow, ...]
    errors: tuple[RowError, ...]
    # Emails seen on rows that had errors: such people are never planned to leave.
    emails_on_bad_rows: frozenset[str] = frozenset()
    ignored_columns: tuple[str, ...] = ()
    segment_columns: tuple[str, ...] = ()


def parse_segment_names(text: str) -> tuple[str, ...]:
    """Declared segment columns from "department, location": lower-cased, de-duplicated.

    Raises ValueError with a message for the person who typed them.
    """
    names = []
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        if name in REQUIRED_COLUMNS:
            raise ValueError(f"“{name}” is a roster column, not a segment.")
        if len(name) > SEGMENT_NAME_LIMIT:
            raise ValueError(f"A segment column name is at most {SEGMENT_NAME_LIMIT} characters.")
        if name not in names:
            names.append(name)
    if len(names) > MAX_SEGMENT_COLUMNS:
        raise ValueError(f"Declare at most {MAX_SEGMENT_COLUMNS} segment columns.")
    return tuple(names)


def _decode(data: bytes) -> tuple[str | None, RowError | None]:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, RowError(
            0,
            "The file is UTF-16 text. Save it as “CSV UTF-8 (comma delimited)” and upload again.",
        )
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        byte = data[error.start : error.start + 1].hex().upper()
        return None, RowError(
            line,
            f"The file is not UTF-8 text (byte 0x{byte} here). In Excel, save it as "
            "“CSV UTF-8 (comma delimited)”; elsewhere, export it with UTF-8 encoding.",
        )


def _delimiter(text: str) -> str:
    # Excel in many European locales writes semicolons; the header tells which it is.
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _role(cell: str) -> str | None:
    key = "_".join(cell.strip().lower().replace("-", " ").split())
    return ROLE_ALIASES.get(key)


def _header(cells: list[str], segments: Sequence[str]) -> tuple[dict[str, int], list[RowError]]:
    names = [c.strip().lower() for c in cells]
    errors = []
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in index and (name in REQUIRED_COLUMNS or name in segments):
            errors.append(RowError(1, f"The column “{name}” appears twice in the header."))
        index.setdefault(name, i)
    missing = [c for c in (*REQUIRED_COLUMNS, *segments) if c not in index]
    if missing:
        errors.append(
            RowError(
                1,
                "The header lacks the column(s) "
                + ", ".join(f"“{c}”" for c in missing)
                + f". Line 1 must name the columns {', '.join(REQUIRED_COLUMNS)}"
                + (" and the declared segments" if segments else "")
                + ".",
            )
        )
    return index, errors


def _check_row(
    line: int, cells: list[str], index: dict[str, int], width: int, segments: Sequence[str]
) -> tuple[RosterRow | None, list[str]]:
    """A row, or the reasons it is refused; `width` is the number of header cells."""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        return None, [f"{len(cells)} values, but the header names {width} columns."]
    if len(cells) < width:
        cells = cells + [""] * (width - len(cells))

    def cell(name: str) -> str:
        return " ".join(cells[index[name]].split())  # trims and folds line breaks

    values = {name: cell(name) for name in REQUIRED_COLUMNS}
    problems = [
        f"{name} is longer than {limit} characters."
        for name, limit in LIMITS.items()
        if len(values[name]) > limit
    ]
    email = values["email"].lower()
    if not email:
        problems.append("The email is empty.")
    elif len(email) <= LIMITS["email"]:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{values['email']}” is not an email address.")
    role = _role(values["role"])
    if role is None:
        problems.append(f"Unknown role “{values['role'][:40]}”: use {ROLE_WORDS}.")
    elif role in ROLES_WITH_TEAM and not values["team"]:
        problems.append("A member or team lead needs a team.")
    segment_values = []
    for name in segments:
        value = cell(name)
        if len(value) > SEGMENT_VALUE_LIMIT:
            problems.append(f"{name} is longer than {SEGMENT_VALUE_LIMIT} characters.")
        segment_values.append((name, value))
    if problems:
        return None, problems
    row = RosterRow(
        line=line,
        email=email,
        name=values["name"],
        team=values["team"],
        role=role or "member",
        segments=tuple(segment_values),
    )
    return row, []


def parse_roster(data: bytes, segments: Sequence[str] = ()) -> ParsedRoster:
    """Read a roster file. Every bad row is reported with its line and reason."""
    if len(data) > MAX_BYTES:
        return ParsedRoster(
            (),
            (
                RowError(
                    0,
                    f"The file is {len(data) / 1024 / 1024:.1f} MB; the limit is "
                    f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files.",
                ),
            ),
        )
    text, error = _decode(data)
    if text is None:
        return ParsedRoster((), (error,) if error else ())
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        return ParsedRoster((), (RowError(line, "The file contains a NUL character: not a CSV."),))
    if not text.strip():
        return ParsedRoster((), (RowError(1, "The file is empty: line 1 must be the header."),))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    errors: list[RowError] = []
    rows: list[RosterRow] = []
    bad_emails: set[str] = set()
    seen: dict[str, RosterRow] = {}
    try:
        header = next(reader)
    except csv.Error as exc:
        return ParsedRoster((), (RowError(1, f"The header cannot be read as CSV: {exc}."),))
    index, header_errors = _header(header, segments)
    if header_errors:
        return ParsedRoster((), tuple(header_errors))
    ignored = tuple(
        name for name in index if name and name not in REQUIRED_COLUMNS and name not in segments
    )
    data_rows = 0
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(start, f"This line cannot be read as CSV: {exc}."))
            break  # the reader cannot resync after a broken quote
        line, start = start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # blank lines, or ",,,," rows Excel leaves at the end
        data_rows += 1
        if data_rows > MAX_ROWS:
            errors.append(
                RowError(line, f"The file has more than {MAX_ROWS:,} people; split it into parts.")
            )
            break
        row, problems = _check_row(line, cells, index, len(header), segments)
        if row is None:
            errors.extend(RowError(line, p) for p in problems)
            email_cell = (
                cells[index["email"]].strip().lower() if len(cells) > index["email"] else ""
            )
            if email_cell:
                bad_emails.add(email_cell)
            continue
        earlier = seen.get(row.email)
        if earlier is None:
            seen[row.email] = row
            rows.append(row)
        elif (earlier.name, earlier.team.casefold(), earlier.role, earlier.segments) != (
            row.name,
            row.team.casefold(),
            row.role,
            row.segments,
        ):
            errors.append(RowError(line, _conflict(earlier, row)))
            bad_emails.add(row.email)
        # An exact repeat of an earlier row is harmless and counted once.
    return ParsedRoster(tuple(rows), tuple(errors), frozenset(bad_emails), ignored, tuple(segments))


def _conflict(earlier: RosterRow, row: RosterRow) -> str:
    if earlier.team.casefold() != row.team.casefold():
        what = f"team “{earlier.team or '(none)'}” there, “{row.team or '(none)'}” here"
    elif earlier.role != row.role:
        what = f"role {earlier.role} there, {row.role} here"
    elif earlier.name != row.name:
        what = f"name “{earlier.name}” there, “{row.name}” here"
    else:
        what = "different segment values"
    return f"{row.email} is also on line {earlier.line}, with {what}. Keep one line per person."


# --- Planning ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentMember:
    """A membership as it is now."""

    email: str
    name: str
    team: str  # the team's name, "" without one
    role: str
    active: bool
    segments: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Change:
    """A person whose membership the plan changes."""

    row: RosterRow
    before: CurrentMember
    fields: tuple[str, ...]  # of "name", "team", "role", "segments", "reactivated"

    @property
    def is_move(self) -> bool:
        return "team" in self.fields


@dataclass(frozen=True)
class RosterPlan:
    created: tuple[RosterRow, ...] = ()
    updated: tuple[Change, ...] = ()
    unchanged: tuple[RosterRow, ...] = ()
    deactivated: tuple[CurrentMember, ...] = ()
    kept_admins: tuple[CurrentMember, ...] = ()  # not in the file, but never made to leave
    teams_to_create: tuple[str, ...] = ()
    errors: tuple[RowError, ...] = ()
    ignored_columns: tuple[str, ...] = ()

    @property
    def moved(self) -> tuple[Change, ...]:
        return tuple(c for c in self.updated if c.is_move)

    def is_applicable(self) -> bool:
        return not self.errors

    def changes_anything(self) -> bool:
        return bool(self.created or self.updated or self.deactivated or self.teams_to_create)

    def counts(self) -> dict[str, int]:
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "deactivated": len(self.deactivated),
        }

    def fingerprint(self) -> str:
        """Identifies what the plan would do, so an apply can refuse a plan that changed
        since its preview."""
        digest = hashlib.sha256()
        for part in (
            [r.email for r in self.created],
            [(c.row.email, c.fields) for c in self.updated],
            [m.email for m in self.deactivated],
            list(self.teams_to_create),
        ):
            digest.update(repr(part).encode())
        return digest.hexdigest()[:32]


def plan_roster(
    parsed: ParsedRoster,
    current: Iterable[CurrentMember],
    teams: Iterable[tuple[str, bool]],
    *,
    deactivate_missing: bool,
) -> RosterPlan:
    """What importing `parsed` would do to an organisation whose memberships are `current`
    and whose teams are `teams` (name, archived).

    Teams are matched by name regardless of case; a team named and absent is created; an
    archived one is an error on the row. With `deactivate_missing`, active people not in the
    file leave (deactivated, never deleted), except org admins, who are kept so that an
    import cannot lock the organisation's admins out.
    """
    existing_teams = {name.casefold(): (name, archived) for name, archived in teams}
    by_email = {m.email.lower(): m for m in current}
    errors = list(parsed.errors)
    created: list[RosterRow] = []
    updated: list[Change] = []
    unchanged: list[RosterRow] = []
    new_teams: dict[str, str] = {}
    for row in parsed.rows:
        team = row.team
        if team:
            known = existing_teams.get(team.casefold())
            if known and known[1]:
                errors.append(
                    RowError(
                        row.line,
                        f"The team “{known[0]}” is archived: restore it on the Teams page, "
                        "or name another team.",
                    )
                )
                continue
            team = known[0] if known else new_teams.setdefault(team.casefold(), team)
        before = by_email.get(row.email)
        # A blank name leaves a known person's name alone.
        name = row.name or (before.name if before else "")
        row = RosterRow(row.line, row.email, name, team, row.role, row.segments)
        if before is None:
            created.append(row)
        elif fields := _changed_fields(before, row, bool(parsed.segment_columns)):
            updated.append(Change(row, before, fields))
        else:
            unchanged.append(row)
    deactivated, kept = _leavers(parsed, by_email.values()) if deactivate_missing else ([], [])
    staying = (*created, *unchanged, *(c.row for c in updated))
    if by_email and not _admins_after(staying, by_email.values(), parsed):
        errors.append(
            RowError(0, "After this import the organisation would have no org admin left.")
        )
    return RosterPlan(
        created=tuple(created),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        deactivated=tuple(deactivated),
        kept_admins=tuple(kept),
        teams_to_create=tuple(sorted(new_teams.values(), key=str.casefold)),
        errors=tuple(sorted(errors, key=lambda e: e.line)),
        ignored_columns=parsed.ignored_columns,
    )


def _changed_fields(
    before: CurrentMember, row: RosterRow, segments_declared: bool
) -> tuple[str, ...]:
    """What the row changes about a known person, in `Change.fields` order."""
    return tuple(
        name
        for name, differs in (
            ("name", before.name != row.name),
            ("team", before.team != row.team),
            ("role", before.role != row.role),
            # Segments change only when the import declares segment columns.
            ("segments", segments_declared and sorted(before.segments) != sorted(row.segments)),
            ("reactivated", not before.active),
        )
        if differs
    )


def _leavers(
    parsed: ParsedRoster, current: Iterable[CurrentMember]
) -> tuple[list[CurrentMember], list[CurrentMember]]:
    """(deactivated, kept admins): the active people the file leaves out, by email. People
    named on a refused row are never planned to leave."""
    present = {r.email for r in parsed.rows} | parsed.emails_on_bad_rows
    deactivated: list[CurrentMember] = []
    kept: list[CurrentMember] = []
    for member in sorted(current, key=lambda m: m.email):
        if member.email in present or not member.active:
            continue
        (kept if member.role == "org_admin" else deactivated).append(member)
    return deactivated, kept


def _admins_after(
    staying: Iterable[RosterRow], current: Iterable[CurrentMember], parsed: ParsedRoster
) -> int:
    """Org admins after the import: those the file names, and the active ones it leaves out
    (kept, always)."""
    in_file = {r.email for r in parsed.rows}
    return sum(1 for r in staying if r.role == "org_admin") + sum(
        1 for m in current if m.role == "org_admin" and m.active and m.email not in in_file
    )
