"""`--profile NAME`: cProfile one measured operation on the bench data, top functions printed.

For finding where the time goes when a target is missed; the figures themselves come from
the un-profiled runs.
"""

from __future__ import annotations

import cProfile
import io
import pstats
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.test import Client

from .fixtures import BenchOrg
from .pages import urls

TOP = 35


def _work(name: str, bench: BenchOrg) -> tuple[Callable[[], Any], Callable[[], None] | None, int]:
    """(one unit of work, what to do before each, how many times)."""
    u = urls(bench)
    if name == "release_build":
        from reports import releases
        from reports.models import Release, ResponseSnapshot

        def forget() -> None:  # the first release of the open cycle again: the largest build
            Release.objects.filter(cycle=bench.open).delete()
            ResponseSnapshot.objects.filter(cycle=bench.open).delete()

        return (lambda: releases.build(bench.open.pk, Release.Reason.REQUESTED)), forget, 1
    if name == "scoring":
        from assessments.scoring.response import score_response
        from assessments.services import instrument_for

        from .domain import answer_sets

        instrument, sets = instrument_for("1"), answer_sets(2000)
        return (lambda: [score_response(instrument, a) for a in sets]), None, 3
    if name == "classify":
        from assessments.classify import classify, load_lexicon

        from .domain import action_texts

        lexicon, texts = load_lexicon(), action_texts() * 5
        configured = settings.RECOUPLE_CLASSIFIER_THRESHOLD
        threshold = lexicon.threshold if configured is None else configured
        return (lambda: [classify(t, lexicon, threshold) for t in texts]), None, 3
    if name in {"org_dashboard", "org_dashboard_cold"}:
        client = Client()
        client.force_login(bench.leader)
        client.get(u["org"])
        before = cache.clear if name == "org_dashboard_cold" else None
        return (lambda: client.get(u["org"])), before, 5
    if name == "team_dashboard":
        client = Client()
        client.force_login(bench.team_lead)
        client.get(u["team"])
        return (lambda: client.get(u["team"])), None, 5
    if name in {"team_pdf", "org_pdf"}:
        from reports.pdf import render_pdf

        team = bench.team if name == "team_pdf" else None
        return (lambda: render_pdf(bench.org, bench.open, team)), None, 1
    if name == "autosave_view":
        from assessments.services import instrument_for

        response = bench.drafts[0]
        client = Client()
        assert response.respondent is not None  # bench responses all have one
        client.force_login(response.respondent)
        path = (
            f"/o/{bench.org.slug}/cycles/{bench.open.slug}"
            f"/teams/{response.team.slug}/response/answer/"
        )
        item = next(i for i in instrument_for("1").items if i.type == "agreement")
        state = {"version": _version(response.pk, item.key)}

        def save() -> None:
            value = item.options[state["version"] % len(item.options)].value
            reply = client.post(
                path,
                {"item": item.key, "value": value, "base_version": state["version"]},
                HTTP_ACCEPT="application/json",
            )
            state["version"] = reply.json()["version"]

        return save, None, 50
    raise ValueError(name)


def _version(response_id: int, key: str) -> int:
    from assessments.models import Answer

    row = Answer.objects.filter(response_id=response_id, item_key=key).first()
    return row.version if row else 0


def run(name: str, bench: BenchOrg) -> None:
    work, before, times = _work(name, bench)
    profiler = cProfile.Profile()
    for _ in range(times):
        if before:
            before()
        profiler.enable()
        work()
        profiler.disable()
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(TOP)
        print(f"\n=== profile {name} ({times} run(s)), by {order} ===")
        print(out.getvalue())
