"""Real Redis and a real Celery worker process, on the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.db import connection
from kombu import pools

from config.celery import app

REDIS_URL = os.environ.get("RECOUPLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_broker(settings):
    """Point Celery (this process) at a clean Redis database and stop running tasks eagerly."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()
    saved = {k: app.conf[k] for k in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    _reset_connections()
    yield client
    app.conf.update(saved)
    _reset_connections()
    client.flushdb()


def _reset_connections() -> None:
    """Drop pooled connections made for the previous broker URL; new ones use the current."""
    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def start_worker(redis_broker, tmp_path, settings):
    """`start_worker(slow=0)` runs a worker process on the test database; all stop at the end."""
    procs: list[subprocess.Popen] = []
    settings.MEDIA_ROOT = str(tmp_path / "media")  # shared by this process and the worker

    def _start(slow: float = 0) -> subprocess.Popen:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "DATABASE_URL": "postgres://{}@{}:{}/{}".format(
                db["USER"], db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
            ),
            "MEDIA_ROOT": settings.MEDIA_ROOT,
        }
        args = [sys.executable, "-m", "tests.integration.worker"] + (
            ["--slow", str(slow)] if slow else []
        )
        log = open(tmp_path / f"worker-{len(procs)}.log", "w")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        proc.log_path = tmp_path / f"worker-{len(procs)}.log"  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield _start
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for(predicate, timeout: float = 90, interval: float = 0.3, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
