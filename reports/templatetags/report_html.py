"""Tags for the large parts of report pages: a 200-team organisation's chart tables, figure
data and participation table are thousands of values, too many for the template engine to
render one by one (the first view after a release renders them all). Each renders exactly
what the template it replaces did."""

from __future__ import annotations

import decimal
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.defaultfilters import floatformat
from django.utils.formats import get_format, localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

register = template.Library()


@register.filter
def chart_json(value: Any, element_id: str) -> SafeString:
    """`json_script`, escaping with three replaces instead of a per-character translate; a
    str is JSON text already (a figure as a release stores it)."""
    text = value if isinstance(value, str) else json.dumps(value, cls=DjangoJSONEncoder)
    text = text.replace(">", "\\u003E").replace("<", "\\u003C").replace("&", "\\u0026")
    safe = mark_safe(text)  # nosec B308 B703: <, > and & are escaped above, as json_script does
    return format_html('<script id="{}" type="application/json">{}</script>', element_id, safe)


def _cell(value: Any) -> str:
    """As `{{ value }}` renders it with autoescaping on."""
    if type(value) is str:  # conditional_escape of a plain str, without its lazy-text checks
        return html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize writes of an int without grouping
    return str(conditional_escape(localize(template_localtime(value))))


def _key(value: Any, places: int) -> tuple[type, Any, int]:
    # A float by its repr: 0.0 == -0.0 (one dict key) but they render "0" and "-0".
    return (type(value), repr(value) if type(value) is float else value, places)


def _seen_cell(value: Any, seen: dict[tuple[type, Any, int], str]) -> str:
    """`_cell` of a value one table rendered already, from `seen`."""
    key = _key(value, -1)
    if key not in seen:
        seen[key] = _cell(value)
    return seen[key]


_HALF_UP = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_UP)


def fixed_places(value: Any, places: int) -> str | None:
    """`floatformat(value, places)` of a float or int from 10^-9 to 10^15, with "." and no grouping
    (as the en locales write it), in a tenth of the time; None for anything else. Rounds as
    floatformat does: the shortest decimal that reads back as the float, half up."""
    if type(value) not in (float, int) or not 0 <= places <= 6:
        return None
    if not (value == 0 or 1e-9 <= abs(value) < 1e15):
        return None  # also NaN; floatformat writes some tiny values as they are
    rounded = decimal.Decimal(repr(value)).quantize(
        decimal.Decimal(1).scaleb(-places), context=_HALF_UP
    )
    text = f"{rounded:f}"
    return text[1:] if text[0] == "-" and rounded.is_zero() else text


def _number(value: Any, places: int, seen: dict[tuple[type, Any, int], str]) -> str:
    """As `{{ value|floatformat:places }}` renders it; `seen`: the values one table formatted
    already (a 200-team table repeats most of its numbers)."""
    key = _key(value, places)
    if key not in seen:
        if _PLAIN not in seen:  # asked once per table: the locale does not change within one
            seen[_PLAIN] = "yes" if _plain_numbers() else ""
        fast = fixed_places(value, places) if seen[_PLAIN] else None
        seen[key] = _cell(floatformat(value, places)) if fast is None else fast
    return seen[key]


_PLAIN = (bool, "plain numbers", -1)


def _plain_numbers() -> bool:
    """Whether the active locale writes numbers as `fixed_places` does."""
    return not settings.USE_THOUSAND_SEPARATOR and get_format("DECIMAL_SEPARATOR") == "."


def _number_or(value: Any, places: int, seen: dict[tuple[type, Any, int], str]) -> str:
    """`{{ value|floatformat:places|default:"∞" }}`: no value (a ratio without an upper
    bound) reads as infinity."""
    return _number(value, places, seen) or "∞"


@register.filter
def chart_rows(rows: Iterable[Sequence[Any]]) -> SafeString:
    """A chart table's body rows: the first cell of each a row header."""
    out = []
    seen: dict[tuple[type, Any, int], str] = {}
    for row in rows:
        cells = [
            f'<th scope="row">{_cell(cell)}</th>'
            if i == 0
            else f"<td>{_seen_cell(cell, seen)}</td>"
            for i, cell in enumerate(row)
        ]
        out.append(f"\n        <tr>{''.join(cells)}</tr>\n        ")
    return mark_safe("".join(out))  # nosec B308 B703: every cell is escaped above


@register.simple_tag
def participation_rows(rows: Iterable[Mapping[str, Any]], cycle_slug: str) -> SafeString:
    """The participation table's rows (reports/_participation.html): counts, never names."""
    cycle = conditional_escape(cycle_slug)
    out = []
    for p in rows:
        team, rate = conditional_escape(p["team"]), p["rate"]
        meter = (
            "–"
            if rate is None
            else f'<div class="rc-meter"><progress class="rc-progress" max="100" value="{rate}" '
            f'aria-label="{team} participation">{rate}%</progress> '
            f'<span class="small">{rate}%</span></div>'
        )
        out.append(
            f'\n      <tr><td data-label="Team"><a href="{conditional_escape(p["href"])}'
            f'?cycle={cycle}">{team}</a></td>'
            f'<td data-label="People" class="text-end">{p["size"]}</td>'
            f'<td data-label="Submitted" class="text-end">{p["submitted"]}</td>'
            f'<td data-label="In progress" class="text-end">{p["in_progress"]}</td>'
            '\n      <td data-label="Participation" class="rc-td-wide rc-col-gap">'
            f"{meter}</td></tr>"
            "\n    "
        )
    return mark_safe("".join(out))  # nosec B308 B703: every text is escaped above


@register.simple_tag
def pressure_rows(by_group: Mapping[str, Mapping[str, Any] | None]) -> SafeString:
    """The rows of the delivery pressure table (reports/_v2_views.html), one per released
    unit with an answer: 200 of them at 200 teams."""
    out = []
    seen: dict[tuple[type, Any, int], str] = {}
    for name, p in by_group.items():
        if not p:
            continue
        share = f" ({_number(p['share'], 0, seen)}%)" if p["n"] else ""
        out.append(
            f'<tr><td>{_cell(name)}</td><td class="text-end">{_seen_cell(p["high"], seen)} of '
            f"{_seen_cell(p['n'], seen)}{share}</td></tr>"
        )
    return mark_safe("".join(out))  # nosec B308 B703: every cell is escaped above


@register.simple_tag
def lift_table_rows(cells: Iterable[Mapping[str, Any]]) -> SafeString:
    """The rows of the table of every enabler and practice pair (reports/_org_body.html)."""
    out = []
    seen: dict[tuple[type, Any, int], str] = {}
    for c in cells:
        finding = ' class="table-success"' if c["finding"] else ""
        out.append(
            f"<tr{finding}><td>{_cell(c['enabler_label'])}</td>"
            f"<td>{_cell(c['practice_label'])}</td>\n        "
        )
        if c["reason"]:
            out.append(f'<td colspan="5" class="text-body-secondary">{_cell(c["reason"])}</td>')
        else:
            out.append(
                f'<td class="text-end">{_cell(c["with_k"])}/{_cell(c["with_n"])}</td>'
                f'<td class="text-end">{_cell(c["without_k"])}/{_cell(c["without_n"])}</td>'
                f'<td class="text-end">{_number_or(c["ratio"], 1, seen)} '
                f"({_number(c['ci_low'], 1, seen)}–{_number_or(c['ci_high'], 1, seen)})</td>"
                f'<td class="text-end">{_number_or(c["odds_ratio"], 1, seen)} '
                f"({_number(c['or_low'], 1, seen)}–{_number_or(c['or_high'], 1, seen)})</td>"
                f'<td class="text-end">{_number(c["q"], 3, seen)}</td>'
            )
        out.append("</tr>")
    return mark_safe("".join(out))  # nosec B308 B703: every cell is escaped above


@register.simple_tag
def action_reasons(reasons: Mapping[str, Sequence[str]]) -> SafeString:
    """A leadership action's reasons, one item per team (reports/_org_body.html)."""
    out = [
        f"<li><strong>{_cell(team)}</strong>: {' '.join(_cell(s) for s in sentences)}</li>"
        for team, sentences in reasons.items()
    ]
    return mark_safe("".join(out))  # nosec B308 B703: every text is escaped above


@register.simple_tag
def action_traces(traces: Mapping[str, Mapping[str, Any]]) -> SafeString:
    """How a leadership action fired for each team (reports/_org_body.html)."""
    out = [
        f"<li>{_cell(team)}: {_cell(t['heading'])}. {'; '.join(_cell(s) for s in t['sentences'])}"
        "</li>"
        for team, t in traces.items()
    ]
    return mark_safe("".join(out))  # nosec B308 B703: every text is escaped above
