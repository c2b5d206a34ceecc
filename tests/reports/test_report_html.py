"""The tags that render a report page's large parts give exactly what the template loops
they replace gave, escaping included."""

from __future__ import annotations

import math

from django.template import Context, Template
from django.template.defaultfilters import floatformat
from django.utils.html import json_script
from hypothesis import given, settings
from hypothesis import strategies as st

from reports.templatetags.report_html import (
    chart_json,
    chart_rows,
    fixed_places,
    participation_rows,
)

ROWS = (
    ('Team <b>&amp; "one"', "42", "n = 8", 12345, -7),
    ("Other teams (pooled)", "–", "'quoted'", 0.5, None),
)

LOOP = Template(
    "{% for row in rows %}\n        <tr>{% for cell in row %}{% if forloop.first %}"
    '<th scope="row">{{ cell }}</th>{% else %}<td>{{ cell }}</td>{% endif %}{% endfor %}</tr>'
    "\n        {% endfor %}"
)

PARTICIPATION = Template(
    '{% for p in participation %}\n      <tr><td data-label="Team"><a href="{{ p.href }}'
    '?cycle={{ cycle_slug }}">{{ p.team }}</a></td><td data-label="People" class="text-end">'
    '{{ p.size }}</td><td data-label="Submitted" class="text-end">{{ p.submitted }}</td>'
    '<td data-label="In progress" class="text-end">{{ p.in_progress }}</td>\n      '
    '<td data-label="Participation" class="rc-td-wide rc-col-gap">{% if p.rate is not None %}'
    '<div class="rc-meter"><progress class="rc-progress" max="100" value="{{ p.rate }}" '
    'aria-label="{{ p.team }} participation">{{ p.rate }}%</progress> <span class="small">'
    "{{ p.rate }}%</span></div>{% else %}–{% endif %}</td></tr>\n    {% endfor %}"
)


def test_chart_rows_are_the_template_loop():
    assert chart_rows(ROWS) == LOOP.render(Context({"rows": ROWS}))
    assert "<b>" not in chart_rows(ROWS)
    assert chart_rows(()) == ""


def test_chart_json_is_json_script():
    figure = {"data": [{"text": ["</script><script>alert(1)</script>", "a & b"]}], "n": 1.5}
    assert chart_json(figure, "fig-x") == json_script(figure, "fig-x")
    assert "</script><script>" not in chart_json(figure, "fig-x")


def test_participation_rows_are_the_template_loop():
    rows = [
        {
            "team": "A <team>",
            "href": "/o/acme/teams/a/dashboard/",
            "size": 12,
            "submitted": 3,
            "in_progress": 1,
            "rate": 25,
        },
        {
            "team": "Nobody yet",
            "href": "/o/acme/teams/b/dashboard/",
            "size": 0,
            "submitted": 0,
            "in_progress": 0,
            "rate": None,
        },
    ]
    expected = PARTICIPATION.render(Context({"participation": rows, "cycle_slug": "q4&x"}))
    assert participation_rows(rows, "q4&x") == expected
    assert "A &lt;team&gt;" in expected


NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-100, 100).map(lambda x: round(x, 3)),  # the halves that rounding splits
    st.integers(-(10**16), 10**16),
    st.sampled_from([0.125, 2.5, -0.04, -0.5, 0.05, 1e-9, 9.999999e14, -0.0, True]),
)


@settings(max_examples=3000)
@given(NUMBERS, st.integers(0, 6))
def test_fixed_places_writes_what_floatformat_writes(value, places):
    fast = fixed_places(value, places)
    if fast is not None:
        assert fast == str(floatformat(value, places))


def test_fixed_places_takes_the_numbers_tables_hold_and_leaves_the_rest():
    assert fixed_places(0.125, 2) == "0.13"  # half up, as floatformat, not half even
    assert fixed_places(-0.04, 1) == "0.0"  # no "-0.0"
    assert fixed_places(3, 1) == "3.0"
    assert [fixed_places(v, 1) for v in (None, True, "2.5", math.inf, 1e300)] == [None] * 5
