"""Scores in, recommendations out: the rule table applied to a team's or a response's facts.

The rules live in ``rules/recommendations.yaml`` as data, with a table version. A rule's
condition is a small declarative tree (all / any / not over construct, profile, gap and
item-share leaves), evaluated here without eval. A leaf over missing data (no score, nobody
answered) is unknown, and `not` of unknown is unknown: a rule fires only on what was known.

Every recommendation explains itself from the checks that made it fire. Its "why" is one
plain sentence per deciding check, each with the numbers behind it, then the rule's
framing: a fixed text that claims nothing about the team. The same checks render a
technical trace (inputs, operators, cut-offs, rule id, instrument and rule-table versions)
for a "how we got this" disclosure.

The modules, in the order they build on each other: `facts` (what a rule looks at),
`checks` (one evaluated leaf and its plain and technical sentences), `conditions` (the
condition tree and its three-valued evaluation), `rules` (the rule table parsed and
validated) and `recommendations` (rules fired into recommendations with traces, and the
leadership ranking).
"""
