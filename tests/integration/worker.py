"""Start a real Celery worker for the integration tests, optionally with a slow render.

    python -m tests.integration.worker [--slow SECONDS]

The slow render lets a test kill the worker's pool process mid-render. The patch is made
before the pool forks, so it applies inside the process that runs the task.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.test_settings")

import django

django.setup()

from config.celery import app  # noqa: E402


def main() -> None:
    args = sys.argv[1:]
    if "--slow" in args:
        delay = float(args[args.index("--slow") + 1])
        from reports import pdf

        original = pdf.render_pdf

        def slow_render(*a, **kw):  # type: ignore[no-untyped-def]
            time.sleep(delay)
            return original(*a, **kw)

        pdf.render_pdf = slow_render
    app.conf.task_always_eager = False
    app.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":
    main()
