"""Loopback load test: the app under gunicorn on PostgreSQL, respondents autosaving answers.

Each simulated respondent has its own signed-in session (created in the database as a
sign-in would, cookie sent by hand), its own draft response in the open cycle and its own
keep-alive connection. It picks a question, waits a think time, and POSTs the answer the
way static/js/questionnaire.js does (item, value, base_version; X-CSRFToken header with the
csrftoken cookie; Accept: application/json), tracking the version each save returns.
Every acknowledged save (200) is timed. At the end the database must hold, for every
respondent and item, the last acknowledged value and version: anything else is "lost".
Traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client

from assessments.models import Answer, Response
from assessments.services import instrument_for

from .fixtures import ACTION_TEXTS, BenchOrg
from .stats import entry, median, percentile

# 2 cores: 4 processes of 2 threads each. Overridable to compare server set-ups.
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "4"))
THREADS = int(os.environ.get("BENCH_GUNICORN_THREADS", "2"))
TIMEOUT_S = 15


@dataclass
class Respondent:
    """One simulated respondent and what the server acknowledged to it."""

    response_id: int
    path: str
    session: str
    csrf: str
    versions: dict[str, int]
    rng: random.Random
    latencies: list[float] = field(default_factory=list)
    acked: dict[str, tuple[Any, int]] = field(default_factory=dict)  # item -> (value, version)
    saves: int = 0
    conflicts: int = 0
    resent: int = 0  # sent again after the server had closed an idle keep-alive connection
    errors: Counter[str] = field(default_factory=Counter)

    def headers(self, port: int) -> dict[str, str]:
        return {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "X-CSRFToken": self.csrf,
            "Origin": f"http://127.0.0.1:{port}",
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={self.session}; "
            f"{settings.CSRF_COOKIE_NAME}={self.csrf}",
        }


def _question_pool() -> tuple[list[Any], list[Any]]:
    """Choice items that are always shown (not conditional, not a condition's source), and
    the free-text action items."""
    instrument = instrument_for("1")
    sources = {i.show_if.item for i in instrument.items if i.show_if is not None}
    choices = [
        i
        for i in instrument.items
        if i.options and i.show_if is None and i.key not in sources and i.type != "multiple_choice"
    ]
    actions = [i for i in instrument.items if i.type == "action"]
    return choices, actions


def respondents(bench: BenchOrg, count: int) -> list[Respondent]:
    """`count` draft responses spread over the teams, each with a fresh signed-in session."""
    drafts = bench.drafts
    step = max(1, len(drafts) // count)
    chosen = drafts[::step][:count]
    if len(chosen) < count:
        raise RuntimeError(f"Only {len(chosen)} draft responses for {count} respondents.")
    ids = [r.pk for r in chosen]
    versions: dict[int, dict[str, int]] = {i: {} for i in ids}
    for response_id, key, version in Answer.objects.filter(response_id__in=ids).values_list(
        "response_id", "item_key", "version"
    ):
        versions[response_id][key] = version
    out = []
    for response in Response.objects.filter(pk__in=ids).select_related(
        "respondent", "team", "cycle"
    ):
        client = Client()
        assert response.respondent is not None  # bench responses all have one
        client.force_login(response.respondent)  # a real session row, as the sign-in makes
        org, cycle, team = bench.org.slug, response.cycle.slug, response.team.slug
        out.append(
            Respondent(
                response_id=response.pk,
                path=f"/o/{org}/cycles/{cycle}/teams/{team}/response/answer/",
                session=client.cookies[settings.SESSION_COOKIE_NAME].value,
                csrf=_get_new_csrf_string(),
                versions=versions[response.pk],
                rng=random.Random(f"autosave:{response.pk}"),
            )
        )
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """gunicorn serving config.wsgi on the bench database, with production settings."""

    def __init__(self, database_url: str, log_dir: Path) -> None:
        self.port = free_port()
        self.log = log_dir / "gunicorn.log"
        env = {
            k: v for k, v in os.environ.items() if k not in {"TESTING", "DJANGO_SETTINGS_MODULE"}
        }
        env |= {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": settings.SECRET_KEY,  # the sessions were signed with it
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": database_url,
            "LOG_LEVEL": "WARNING",
        }
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(WORKERS),
            "--threads",
            str(THREADS),
            "--worker-class",
            "gthread",
            "--keep-alive",
            "5",
            "--chdir",
            str(settings.BASE_DIR),
            "--log-level",
            "warning",
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                command, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.log.read_text()[-2000:]}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer within 30 s")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # graceful: workers finish their requests
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_problems(self) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return [line for line in text.splitlines() if "Traceback" in line or "ERROR" in line][:20]


def _choose(r: Respondent, choices: list[Any], actions: list[Any]) -> tuple[str, list[str]]:
    if actions and r.rng.random() < 0.1:  # now and then someone types an action
        item = r.rng.choice(actions)
        return item.key, [f"{r.rng.choice(ACTION_TEXTS)} (draft {r.rng.randint(1, 10**6)})"]
    item = r.rng.choice(choices)
    return item.key, [r.rng.choice(item.options).value]


def _save(
    r: Respondent,
    conn: http.client.HTTPConnection,
    port: int,
    key: str,
    values: list[str],
    timed: bool,
) -> http.client.HTTPConnection:
    body = urlencode(
        [("item", key), *(("value", v) for v in values), ("base_version", r.versions.get(key, 0))]
    )
    start = time.perf_counter()
    for attempt in (1, 2):
        reused = conn.sock is not None
        try:
            conn.request("POST", r.path, body, r.headers(port))
            reply = conn.getresponse()
            raw = reply.read()
            break
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
            # The server closes idle keep-alive connections; like a browser, send again once
            # on a fresh connection. Were the first one processed after all, the resend gets a
            # 409 with the current version, which is taken over below.
            if attempt == 1 and reused and isinstance(error, ConnectionError):
                r.resent += 1
                start = time.perf_counter()
                continue
            r.errors[f"transport: {type(error).__name__}"] += 1
            return conn
    elapsed = time.perf_counter() - start
    r.saves += 1
    try:
        data = json.loads(raw)
    except ValueError:
        data = {}
    if reply.status == 200 and data.get("status") == "saved":
        r.versions[key] = int(data["version"])
        r.acked[key] = (data["value"], int(data["version"]))
        expected = values if len(values) > 1 else values[0]
        if data["value"] != expected:
            r.errors["saved value differs from the value sent"] += 1
        if timed:
            r.latencies.append(elapsed)
    elif reply.status == 409 and data.get("status") == "conflict":
        r.conflicts += 1  # expected only when two saves race; take the server's version
        r.versions[key] = int(data.get("version", 0))
    else:
        r.errors[f"HTTP {reply.status} {data.get('status', '')}".strip()] += 1
    return conn


def _run(r: Respondent, port: int, think_s: float, start_at: float, deadline: float) -> None:
    choices, actions = _question_pool()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT_S)
    key, values = _choose(r, choices, actions)
    conn = _save(r, conn, port, key, values, timed=False)  # warm-up: counted, not timed
    time.sleep(max(0.0, start_at - time.monotonic()))
    while True:
        pause = think_s * r.rng.uniform(0.5, 1.5)
        if time.monotonic() + pause >= deadline:
            break
        time.sleep(pause)
        key, values = _choose(r, choices, actions)
        conn = _save(r, conn, port, key, values, timed=True)
    conn.close()


def verify(people: list[Respondent]) -> tuple[int, int, int]:
    """(acknowledged items checked, lost, newer in the database than acknowledged)."""
    stored = {
        (response_id, key): (value, version)
        for response_id, key, value, version in Answer.objects.filter(
            response_id__in=[r.response_id for r in people]
        ).values_list("response_id", "item_key", "value", "version")
    }
    checked = lost = newer = 0
    for r in people:
        for key, (value, version) in r.acked.items():
            checked += 1
            row = stored.get((r.response_id, key))
            if row is None or row[1] < version or (row[1] == version and row[0] != value):
                lost += 1
            elif row[1] > version:
                newer += 1  # a save whose reply never arrived: not lost, just unacknowledged
    return checked, lost, newer


def load_test(
    bench: BenchOrg, database_url: str, seconds: float, users: int, think_ms: float
) -> dict[str, dict[str, Any]]:
    people = respondents(bench, users)
    with tempfile.TemporaryDirectory(prefix="recouple-bench-") as tmp:
        server = Server(database_url, Path(tmp))
        try:
            server.start()
            start_at = time.monotonic() + 3.0  # every respondent's warm-up save is done by then
            deadline = start_at + seconds
            threads = [
                threading.Thread(
                    target=_run,
                    args=(r, server.port, think_ms / 1000, start_at, deadline),
                    daemon=True,
                )
                for r in people
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=seconds + 60)
            elapsed = time.monotonic() - start_at
        finally:
            server.stop()
        problems = server.log_problems()
    checked, lost, newer = verify(people)
    latencies = [x * 1000 for r in people for x in r.latencies]
    errors: Counter[str] = Counter()
    for r in people:
        errors.update(r.errors)
    n = len(latencies)
    context: dict[str, Any] = {
        "respondents": len(people),
        "seconds": seconds,
        "think_ms": think_ms,
        "saves_per_s": n / elapsed if elapsed else 0.0,
        "errors": sum(errors.values()),
        "error_kinds": dict(errors),
        "conflicts_409": sum(r.conflicts for r in people),
        "resent_after_idle_close": sum(r.resent for r in people),
        "server": f"gunicorn gthread, {WORKERS} workers x {THREADS} threads, PostgreSQL",
        "server_log_problems": problems,
    }
    low = min(latencies) if latencies else None
    high = max(latencies) if latencies else None
    return {
        "autosave_p50_ms": entry(
            percentile(latencies, 50) if latencies else None,
            target=None,
            op="<=",
            unit="ms",
            n=n,
            low=low,
            high=high,
            mean_ms=sum(latencies) / n if n else None,
            **context,
        ),
        "autosave_p95_ms": entry(
            percentile(latencies, 95) if latencies else None,
            target=100,
            op="<=",
            unit="ms",
            n=n,
            low=low,
            high=high,
            p99_ms=percentile(latencies, 99) if latencies else None,
            median_ms=median(latencies) if latencies else None,
            **context,
        ),
        "autosave_lost": entry(
            lost,
            target=0,
            op="<=",
            unit="saves",
            n=checked,
            low=lost,
            high=lost,
            checked="last acknowledged value and version of every (respondent, item)",
            newer_than_acknowledged=newer,
            errors=context["errors"],
        ),
    }
