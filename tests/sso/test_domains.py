"""orgs.sso.parse_domains: the domain lists org admins type."""

from __future__ import annotations

import pytest

from orgs.sso import DomainError, email_domain, parse_domains


@pytest.mark.parametrize(
    ("text", "domains"),
    [
        ("example.com", ["example.com"]),
        ("Example.COM", ["example.com"]),
        ("@example.com", ["example.com"]),
        ("example.com.", ["example.com"]),
        ("a.example.com, b.example.com", ["a.example.com", "b.example.com"]),
        ("a.test;b.test\n c.test\t d.test", ["a.test", "b.test", "c.test", "d.test"]),
        ("a.test, A.test, a.test", ["a.test"]),
        ("bücher.example", ["xn--bcher-kva.example"]),
        ("my-company.co.uk", ["my-company.co.uk"]),
        ("", []),
        ("  ,\n ", []),
    ],
)
def test_domain_lists_are_read_in_every_usual_format(text, domains):
    assert parse_domains(text) == domains


@pytest.mark.parametrize(
    "text",
    [
        "localhost",
        "example",
        "exa mple.com, x",
        "-example.com",
        "example-.com",
        "example..com",
        "ex_ample.com",
        "example.c",
        "example.123",
        "http://example.com",
        "user@example.com",
        "a" * 64 + ".com",
        ".".join(["a" * 60] * 5) + ".com",
        "gmail.com",
        "Outlook.com",
    ],
)
def test_anything_else_is_refused_naming_the_entry(text):
    with pytest.raises(DomainError) as error:
        parse_domains(text)
    assert str(error.value)


def test_more_than_twenty_domains_are_refused():
    with pytest.raises(DomainError, match="At most 20"):
        parse_domains(" ".join(f"d{i}.test" for i in range(21)))


def test_email_domain_is_the_part_after_the_last_at():
    assert email_domain("Ada@ACME.test ") == "acme.test"
    assert email_domain("no-at-sign") == ""
