"""`python -m benchmarks [--quick] [--only PARTS] [--profile NAME]`: see benchmarks/__init__.py.

`--only evidence` (the lift simulations) and `--only claims` (dashboard claims in null
organisations) need no database: they run alone and update only their own entries of the
results file. Every other run creates the database
`recouple_bench_<pid>` on the server of DATABASE_URL (default: local PostgreSQL), migrates
it, builds the data, measures, prints a table, writes the results and drops the database,
also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import secrets
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .database import Server

HERE = Path(__file__).resolve().parent
PARTS = (
    "domain",
    "releases",
    "pages",
    "pdf",
    "autosave",
    "evidence",
    "claims",
    "roster",
    "releases1000",
)
NO_DATABASE = {"evidence", "claims"}  # parts that run without Django or a database
# Parts that measure the synthetic organisations (the others build their own data).
NEEDS_ORGS = frozenset({"releases", "pages", "pdf", "autosave", "releases1000"})
PROFILES = (
    "release_build",
    "scoring",
    "classify",
    "org_dashboard",
    "org_dashboard_cold",
    "team_dashboard",
    "team_pdf",
    "org_pdf",
    "autosave_view",
)
ORDER = (
    "scoring_responses_per_s",
    "classify_actions_per_s",
    "release_build_s",
    "release_build_s_1000",
    "org_dashboard_ratio",
    "org_dashboard_cold_ratio",
    "team_dashboard_ratio",
    "org_participation_ratio",
    "org_dashboard_queries",
    "team_dashboard_queries",
    "team_pdf_s",
    "org_pdf_s",
    "autosave_p50_ms",
    "autosave_p95_ms",
    "autosave_lost",
    "lift_null_false_finding_rate",
    "lift_power_rr3_n200",
    "lift_interval_coverage",
    "lift_power_estimate_check",
    "null_dashboard_claim_rate",
    "roster_import_s_20k",
)


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="20 teams (5 for the query comparison), 10 s load"
    )
    parser.add_argument(
        "--only", default=",".join(PARTS), help=f"comma-separated parts: {', '.join(PARTS)}"
    )
    parser.add_argument(
        "--profile", choices=PROFILES, action="append", default=[], help="print a cProfile of NAME"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="results file (default benchmarks/results.json; --quick: results.quick.json)",
    )
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown parts: {', '.join(sorted(unknown))}")
    args.out = args.out or HERE / ("results.quick.json" if args.quick else "results.json")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    if set(args.parts) <= NO_DATABASE and not args.profile:
        return run_without_database(args)
    server = Server.from_env()
    dbname = f"recouple_bench_{os.getpid()}"
    database_url = server.url(dbname)
    # Settings read the environment once, at django.setup(): everything is set before it.
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.test_settings"
    os.environ["SECRET_KEY"] = "bench-" + secrets.token_urlsafe(48)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` drops the database
    started = time.monotonic()
    print(f"bench: database {dbname} on {server.host}:{server.port}", flush=True)
    server.create(dbname)
    try:
        return run(args, server, database_url, started)
    finally:
        if "django.db" in sys.modules:  # close our connections, or the drop waits for them
            from django.db import connections

            connections.close_all()
        server.drop(dbname)
        print(f"bench: dropped {dbname}", flush=True)


def run(args: argparse.Namespace, server: Server, database_url: str, started: float) -> int:
    import django

    django.setup()
    from django.core.management import call_command

    from . import fixtures

    phases: dict[str, float] = {}
    # Other work on the machine skews every figure: keep the load next to the results.
    load: dict[str, float] = {"start": round(os.getloadavg()[0], 2)}
    if load["start"] > 1.0:
        print(f"bench: warning: load average {load['start']:.2f} before the run", flush=True)

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        phases[name] = round(now - since, 1)
        load[name] = round(os.getloadavg()[0], 2)
        print(f"bench: {name} {now - since:.1f} s (load {load[name]:.2f})", flush=True)
        return now

    t = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    t = phase("migrate", t)
    large_n, small_n = (20, 5) if args.quick else (200, 20)
    from django.contrib.auth.hashers import make_password

    password_hash = make_password(fixtures.PASSWORD)
    build = bool(NEEDS_ORGS & set(args.parts) or args.profile)
    large = fixtures.build_org("bench-large", large_n if build else 1, password_hash)
    small = fixtures.build_org("bench-small", small_n if build else 1, password_hash)
    # A database in service has planner statistics and no vacuum debt; without this,
    # autovacuum would wake up on the fresh rows in the middle of a measurement.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    t = phase("build data", t)
    print(f"bench: {large_n}-team organisation: {large.counts}", flush=True)

    results: dict[str, dict[str, Any]] = {}
    # Pages read releases: every organisation gets its releases first (timed for the large).
    from . import releases as release_bench

    # Three first releases of the 200-team cycle (a median: one build varies by a second
    # from run to run on a shared machine), one of the small organisation's.
    built = release_bench.release_all(large, 1 if args.quick else 3)
    release_bench.release_all(small)
    if "releases" in args.parts:
        results |= release_bench.release_entry(built, large, "release_build_s", 5)
    t = phase("releases", t)
    seconds = float(os.environ.get("BENCH_AUTOSAVE_SECONDS", "10" if args.quick else "60"))
    users = int(os.environ.get("BENCH_AUTOSAVE_USERS", "50"))
    think_ms = float(os.environ.get("BENCH_AUTOSAVE_THINK_MS", "1000"))
    repeats = int(os.environ.get("BENCH_REQUESTS", "15"))

    if "domain" in args.parts:
        from . import domain

        results["scoring_responses_per_s"] = domain.scoring_throughput()
        results["classify_actions_per_s"] = domain.classify_throughput()
        t = phase("domain", t)
    if "pages" in args.parts:
        from . import pages

        results |= pages.dashboard_ratios(large, repeats)
        results |= pages.query_counts(small, large)
        pages.after_autosave(large, results)
        t = phase("pages", t)
    if "pdf" in args.parts:
        from . import pdfs

        results |= pdfs.pdf_times(large)
        t = phase("pdf", t)
    if "autosave" in args.parts:
        from . import autosave

        results |= autosave.load_test(large, database_url, seconds, users, think_ms)
        t = phase("autosave", t)
    if "evidence" in args.parts:
        from . import evidence

        results |= evidence.simulations()
        t = phase("evidence", t)
    if "claims" in args.parts:
        from . import evidence

        results |= evidence.claim_simulations()
        t = phase("claims", t)
    if "releases1000" in args.parts and not args.quick:
        huge = fixtures.build_org("bench-huge", 1000, password_hash)
        built = release_bench.release_all(huge)
        results |= release_bench.release_entry(built, huge, "release_build_s_1000", 25)
        t = phase("releases at 1,000 teams", t)
    if "roster" in args.parts:
        from . import roster

        results |= roster.import_times()
        t = phase("roster", t)
    for name in args.profile:
        from . import profiling

        profiling.run(name, large)
    phases["total"] = round(time.monotonic() - started, 1)

    ordered = {k: results[k] for k in ORDER if k in results}
    meta: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "postgresql": server.version(),
        },
        "teams": large_n if build else 1,
        "query_comparison_teams": [small_n, large_n],
        "data": large.counts,
        "seconds": phases,
        "load_average_1min": load,
        "command": "make bench" if not args.quick else "python -m benchmarks --quick",
    }
    # A run of some parts replaces their entries and keeps the others' (each entry says
    # when and at what load it was measured; `_meta` is this run's).
    kept = _earlier_entries(args.out, ordered) if set(args.parts) != set(PARTS) else {}
    if kept:
        meta["kept_from_earlier_runs"] = sorted(kept)
    merged = kept | ordered
    written = {k: merged[k] for k in ORDER if k in merged}
    written |= {k: v for k, v in merged.items() if k not in written}
    args.out.write_text(json.dumps({**written, "_meta": meta}, indent=2) + "\n", encoding="utf-8")
    print_table(ordered)
    print(f"bench: wrote {args.out} in {phases['total']:.0f} s", flush=True)
    return 0


def _earlier_entries(path: Path, measured: dict[str, Any]) -> dict[str, Any]:
    if not path.exists():
        return {}
    earlier = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in earlier.items() if k != "_meta" and k not in measured}


def run_without_database(args: argparse.Namespace) -> int:
    """The parts that need no database: their entries replace theirs in the results file
    and leave the others as the last full run wrote them."""
    from . import evidence

    started, cpu = time.monotonic(), time.process_time()
    results: dict[str, dict[str, Any]] = {}
    if "evidence" in args.parts:
        results |= evidence.simulations()
    if "claims" in args.parts:
        results |= evidence.claim_simulations()
    seconds = round(time.monotonic() - started, 1)
    cpu_seconds = round(time.process_time() - cpu, 1)
    previous: dict[str, Any] = {}
    if args.out.exists():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
    meta = previous.pop("_meta", {})
    merged = previous | results
    ordered = {k: merged[k] for k in ORDER if k in merged}
    ordered |= {k: v for k, v in merged.items() if k not in ordered}
    meta[args.only] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,  # the wall time grows with other work on the machine
        "load_average_1min": round(os.getloadavg()[0], 2),
        "command": f"python -m benchmarks --only {args.only}",
    }
    args.out.write_text(json.dumps({**ordered, "_meta": meta}, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print(f"bench: wrote {args.out} in {seconds:.0f} s", flush=True)
    return 0


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return str(value)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    header = ("key", "value", "target", "met", "n", "min", "max")
    rows = [
        (
            key,
            _fmt(r["value"]) + (f" {r['unit']}" if r["value"] is not None else ""),
            "—" if r["target"] is None else f"{r['op']} {_fmt(r['target'])}",
            {True: "yes", False: "NO", None: "—"}[r["met"]],
            str(r["n"]),
            _fmt(r["min"]),
            _fmt(r["max"]),
        )
        for key, r in results.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    notes = []
    for name in ("org", "team"):
        page = results.get(f"{name}_dashboard_ratio")
        if page and "cold_ratio" in page:
            notes.append(
                f"{name} dashboard: ratio warm {_fmt(page['value'])} ({_fmt(page['page_ms'])} ms);"
                f" cold {_fmt(page['cold_ratio'])} ({_fmt(page['cold_page_ms'])} ms); "
                f"trivial page {_fmt(page['trivial_ms'])} ms"
            )
        if page and "recomputed_after_autosave" in page:
            notes.append(
                f"{name} dashboard right after an autosave by {page['autosave_by']}: recomputed "
                f"{page['recomputed_after_autosave']}, {_fmt(page['after_autosave_ms'])} ms"
            )
    for key in ("release_build_s", "release_build_s_1000", "org_pdf_s", "team_pdf_s"):
        r = results.get(key)
        if r and "cpu_s" in r:
            notes.append(
                f"{key}: {_fmt(r['value'])} s on the clock, {_fmt(r['cpu_s'])} s CPU of this "
                f"process (load {_fmt(r.get('load_1min'))})"
            )
    cold = results.get("org_dashboard_cold_ratio")
    if cold and "cpu_ratio" in cold:
        notes.append(
            f"org dashboard cold, CPU: {_fmt(cold['page_cpu_ms'])} ms ÷ trivial "
            f"{_fmt(cold['trivial_cpu_ms'])} ms = {_fmt(cold['cpu_ratio'])} x "
            f"(load {_fmt(cold.get('load_1min'))})"
        )
    save = results.get("autosave_p95_ms")
    if save and save.get("n"):
        notes.append(
            f"autosave: {save['respondents']} respondents, {_fmt(save['saves_per_s'])} saves/s, "
            f"errors {save['errors']}, 409s {save['conflicts_409']}"
        )
    for note in notes:
        print("  " + note)
    print()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
