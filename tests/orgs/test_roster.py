"""The roster parser and planner (orgs/roster.py): pure, no database."""

from __future__ import annotations

import codecs

import pytest

from orgs.roster import (
    MAX_BYTES,
    MAX_ROWS,
    CurrentMember,
    parse_roster,
    parse_segment_names,
    plan_roster,
)

HEADER = "email,name,team,role\n"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode(encoding)


def errors_of(data: bytes, segments: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    return [(e.line, e.message) for e in parse_roster(data, segments).errors]


def test_reads_rows_with_their_file_line_numbers():
    parsed = parse_roster(
        csv_bytes("Ada@Example.com, Ada Lovelace ,Alpha,member", "bo@example.com,Bo,Beta,Team lead")
    )
    assert parsed.errors == ()
    ada, bo = parsed.rows
    assert (ada.line, ada.email, ada.name, ada.team, ada.role) == (
        2,
        "ada@example.com",
        "Ada Lovelace",
        "Alpha",
        "member",
    )
    assert (bo.line, bo.role) == (3, "team_lead")


def test_header_columns_in_any_order_and_case():
    parsed = parse_roster(b"Role,TEAM,Email,Name\nleader,,lee@example.com,Lee\n")
    assert parsed.errors == ()
    assert parsed.rows[0].role == "leader" and parsed.rows[0].team == ""


def test_utf8_with_bom_is_read():
    data = codecs.BOM_UTF8 + csv_bytes("zoe@example.com,Zoë Ångström,Équipe,member")
    parsed = parse_roster(data)
    assert parsed.errors == ()
    assert parsed.rows[0].name == "Zoë Ångström" and parsed.rows[0].team == "Équipe"


def test_latin1_file_is_refused_with_the_line_of_the_bad_byte():
    data = csv_bytes(
        "a@example.com,Ann,Alpha,member", "z@example.com,Zoë,Alpha,member", encoding="latin-1"
    )
    [(line, message)] = errors_of(data)
    assert line == 3
    assert "not UTF-8" in message and "CSV UTF-8" in message


def test_utf16_file_is_refused_with_a_clear_message():
    data = codecs.BOM_UTF16_LE + csv_bytes("a@example.com,Ann,Alpha,member").decode().encode(
        "utf-16-le"
    )
    [(line, message)] = errors_of(data)
    assert line == 0 and "UTF-16" in message


def test_excel_quoting_commas_quotes_and_line_breaks_inside_cells():
    data = csv_bytes(
        '"a@example.com","Smith, Ann ""Annie""","Alpha, Beta & Co",member',
        '"b@example.com","Bo\nBroken","Alpha, Beta & Co",member',
        "c@example.com,Cy,Alpha,member",
    )
    parsed = parse_roster(data)
    assert parsed.errors == ()
    a, b, c = parsed.rows
    assert a.name == 'Smith, Ann "Annie"' and a.team == "Alpha, Beta & Co"
    assert b.name == "Bo Broken"  # a line break in a name is folded
    assert (b.line, c.line) == (3, 5)  # a row is reported where it starts


def test_semicolon_separated_excel_export_is_read():
    parsed = parse_roster(b"email;name;team;role\na@example.com;Ann;Alpha;member\n")
    assert parsed.errors == () and parsed.rows[0].team == "Alpha"


def test_unknown_role_is_an_error_on_its_line():
    [(line, message)] = errors_of(
        csv_bytes("a@example.com,Ann,Alpha,member", "b@example.com,Bo,Alpha,boss")
    )
    assert line == 3 and "Unknown role “boss”" in message


def test_role_spellings_are_accepted():
    parsed = parse_roster(
        csv_bytes(
            "a@example.com,A,Alpha,Org admin",
            "b@example.com,B,Alpha,team-lead",
            "c@example.com,C,Alpha,",
            "d@example.com,D,,LEADER",
        )
    )
    assert [r.role for r in parsed.rows] == ["org_admin", "team_lead", "member", "leader"]


def test_member_without_team_is_an_error():
    [(line, message)] = errors_of(csv_bytes("a@example.com,Ann,,member"))
    assert line == 2 and "needs a team" in message


def test_bad_email_is_an_error():
    [(line, message)] = errors_of(csv_bytes("not-an-address,Ann,Alpha,member"))
    assert line == 2 and "not an email address" in message


def test_duplicate_email_with_conflicting_team_is_an_error_naming_both_lines():
    data = csv_bytes(
        "a@example.com,Ann,Alpha,member",
        "x@example.com,X,Alpha,member",
        "A@example.com,Ann,Beta,member",
    )
    parsed = parse_roster(data)
    [error] = parsed.errors
    assert error.line == 4
    assert (
        "also on line 2" in error.message and "Alpha" in error.message and "Beta" in error.message
    )
    assert [r.email for r in parsed.rows] == ["a@example.com", "x@example.com"]


def test_exact_duplicate_row_is_counted_once():
    parsed = parse_roster(
        csv_bytes("a@example.com,Ann,Alpha,member", "a@example.com,Ann,alpha,member")
    )
    assert parsed.errors == () and len(parsed.rows) == 1


def test_over_long_fields_are_errors():
    long_name = "N" * 121
    long_team = "T" * 121
    long_email = "a" * 250 + "@example.com"
    errors = errors_of(
        csv_bytes(
            f"a@example.com,{long_name},Alpha,member",
            f"b@example.com,B,{long_team},member",
            f"{long_email},C,Alpha,member",
        )
    )
    assert errors == [
        (2, "name is longer than 120 characters."),
        (3, "team is longer than 120 characters."),
        (4, "email is longer than 254 characters."),
    ]


def test_too_many_values_on_a_row_is_an_error():
    [(line, message)] = errors_of(csv_bytes("a@example.com,Ann,Alpha,member,surplus"))
    assert line == 2 and "5 values" in message


def test_missing_columns_in_header_are_reported_on_line_1():
    [(line, message)] = errors_of(b"email,name,team\na@example.com,Ann,Alpha\n")
    assert line == 1 and "“role”" in message


def test_empty_file_is_an_error():
    assert errors_of(b"") == [(1, "The file is empty: line 1 must be the header.")]


def test_file_over_the_size_limit_is_refused_before_reading():
    data = HEADER.encode() + b"x" * MAX_BYTES
    [(line, message)] = errors_of(data)
    assert line == 0 and "limit is 5 MB" in message


def test_file_over_the_row_limit_is_refused_at_the_first_row_too_many():
    rows = [f"p{i}@example.com,P,Alpha,member" for i in range(MAX_ROWS + 1)]
    parsed = parse_roster(csv_bytes(*rows))
    assert parsed.errors[-1].line == MAX_ROWS + 2
    assert "more than 50,000 people" in parsed.errors[-1].message


def test_broken_quote_is_an_error_with_its_line():
    errors = errors_of(
        csv_bytes("a@example.com,Ann,Alpha,member", 'b@example.com,"Bo,Alpha,member')
    )
    assert errors and errors[0][0] == 3


def test_blank_lines_are_skipped_but_counted():
    parsed = parse_roster(
        csv_bytes("a@example.com,Ann,Alpha,member", "", ",,,", "b@example.com,Bo,Alpha,member")
    )
    assert [r.line for r in parsed.rows] == [2, 5]


def test_extra_columns_are_ignored_unless_declared_as_segments():
    header = "email,name,team,role,department,location\n"
    data = csv_bytes("a@example.com,Ann,Alpha,member,Payments,Berlin", header=header)
    assert parse_roster(data).rows[0].segments == ()
    assert parse_roster(data).ignored_columns == ("department", "location")
    declared = parse_roster(data, ("department",))
    assert declared.rows[0].segments == (("department", "Payments"),)
    assert declared.ignored_columns == ("location",)


def test_declared_segment_missing_from_header_is_an_error():
    [(line, message)] = errors_of(csv_bytes("a@example.com,Ann,Alpha,member"), ("department",))
    assert line == 1 and "“department”" in message


def test_segment_names_are_validated():
    assert parse_segment_names(" Department, location,department ") == ("department", "location")
    with pytest.raises(ValueError, match="roster column"):
        parse_segment_names("team")
    with pytest.raises(ValueError, match="at most 10"):
        parse_segment_names(",".join(f"s{i}" for i in range(11)))


# --- Planning -------------------------------------------------------------------------------

TEAMS = [("Alpha", False), ("Beta", False), ("Old", True)]


def member(
    email: str, team: str = "Alpha", role: str = "member", name: str = "", active: bool = True
) -> CurrentMember:
    return CurrentMember(email, name or email.split("@")[0].title(), team, role, active)


def plan(data: bytes, current=(), *, deactivate_missing: bool = False, segments=()):
    return plan_roster(
        parse_roster(data, segments), list(current), TEAMS, deactivate_missing=deactivate_missing
    )


def test_plan_on_an_empty_organisation_creates_people_and_missing_teams():
    result = plan(
        csv_bytes(
            "a@example.com,A,Alpha,member",
            "b@example.com,B,gamma,member",
            "c@example.com,C,Gamma,member",
        )
    )
    assert result.counts() == {"created": 3, "updated": 0, "unchanged": 0, "deactivated": 0}
    assert result.teams_to_create == ("gamma",)
    assert [r.team for r in result.created] == ["Alpha", "gamma", "gamma"]


def test_plan_matches_existing_teams_regardless_of_case():
    result = plan(csv_bytes("a@example.com,A,ALPHA,member"), [member("a@example.com", name="A")])
    assert result.counts()["unchanged"] == 1 and result.teams_to_create == ()


def test_plan_sees_moves_role_changes_renames_and_reactivations():
    current = [
        member("a@example.com", name="A"),
        member("b@example.com", name="B"),
        member("c@example.com", name="C"),
        member("d@example.com", name="D", active=False),
    ]
    result = plan(
        csv_bytes(
            "a@example.com,A,Beta,member",
            "b@example.com,B,Alpha,team lead",
            "c@example.com,Cee,Alpha,member",
            "d@example.com,D,Alpha,member",
        ),
        current,
    )
    assert {c.row.email: c.fields for c in result.updated} == {
        "a@example.com": ("team",),
        "b@example.com": ("role",),
        "c@example.com": ("name",),
        "d@example.com": ("reactivated",),
    }
    assert [c.row.email for c in result.moved] == ["a@example.com"]


def test_same_file_against_its_own_result_is_all_unchanged():
    data = csv_bytes("a@example.com,A,Alpha,member", "b@example.com,B,Beta,team_lead")
    first = plan(data)
    after = [CurrentMember(r.email, r.name, r.team, r.role, True) for r in first.created]
    second = plan(data, after, deactivate_missing=True)
    assert second.counts() == {"created": 0, "updated": 0, "unchanged": 2, "deactivated": 0}
    assert not second.changes_anything()


def test_blank_name_keeps_the_known_name():
    result = plan(csv_bytes("a@example.com,,Alpha,member"), [member("a@example.com", name="Ann")])
    assert result.counts()["unchanged"] == 1


def test_people_missing_from_the_file_leave_only_when_asked_and_admins_stay():
    current = [
        member("a@example.com", name="A"),
        member("gone@example.com"),
        member("boss@example.com", team="", role="org_admin"),
        member("left@example.com", active=False),
    ]
    data = csv_bytes("a@example.com,A,Alpha,member")
    assert plan(data, current).deactivated == ()
    result = plan(data, current, deactivate_missing=True)
    assert [m.email for m in result.deactivated] == ["gone@example.com"]
    assert [m.email for m in result.kept_admins] == ["boss@example.com"]


def test_person_on_a_bad_row_is_not_planned_to_leave():
    current = [member("a@example.com", name="A"), member("b@example.com")]
    result = plan(
        csv_bytes("a@example.com,A,Alpha,member", "b@example.com,B,Alpha,chief"),
        current,
        deactivate_missing=True,
    )
    assert result.deactivated == () and not result.is_applicable()


def test_archived_team_is_an_error_on_the_row():
    result = plan(csv_bytes("a@example.com,A,old,member"))
    [error] = result.errors
    assert error.line == 2 and "archived" in error.message


def test_demoting_the_last_org_admin_is_refused():
    current = [member("boss@example.com", team="", role="org_admin")]
    result = plan(csv_bytes("boss@example.com,Boss,Alpha,member"), current)
    assert [e.line for e in result.errors] == [0]


def test_segments_change_only_when_declared():
    header = "email,name,team,role,department\n"
    current = [
        CurrentMember("a@example.com", "A", "Alpha", "member", True, (("department", "Risk"),))
    ]
    data = csv_bytes("a@example.com,A,Alpha,member,Payments", header=header)
    assert plan(data, current).counts()["unchanged"] == 1
    declared = plan(data, current, segments=("department",))
    assert [c.fields for c in declared.updated] == [("segments",)]


def test_fingerprint_differs_when_the_plan_differs():
    data = csv_bytes("a@example.com,A,Alpha,member")
    assert plan(data).fingerprint() == plan(data).fingerprint()
    assert plan(data).fingerprint() != plan(data, [member("a@example.com", name="A")]).fingerprint()


def test_repeated_extra_header_columns_do_not_shift_the_row_width():
    parsed = parse_roster(b"email,name,notes,team,role,notes,\na@example.com,A,x,Alpha,member,y,\n")
    assert parsed.errors == () and parsed.rows[0].team == "Alpha"
