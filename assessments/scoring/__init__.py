"""Answers in, construct scores out: the scoring rules of Recouple as pure functions.

`response` scores one response (items to constructs, "don't know" counted as the instrument
says); `profile` places scores in a recoupling profile and finds the decoupling gap;
`group` aggregates a group's responses and counts its answers; `deltas` compares two
cycles (the enabler lift is `assessments.lift`). Nothing here touches the ORM, a request
or settings. Every number carries what produced it (items, answers, weights, thresholds)
so a page can answer "why is it this?".
"""
