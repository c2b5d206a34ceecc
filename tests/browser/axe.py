"""The accessibility check of a page: axe-core's serious and critical violations, one line each."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe


def serious(page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
