"""``python -m benchmarks.missing.inprocess``: the CPU one missing report costs, in-process.

The load run (``run.py``) needs a quiet machine; this one does not. Each report goes through
the whole stack in this process (Django's test ``Client``: middleware, the API key, the
access policy, the idempotency record, the episode, the alerts, the audit event and its
seal, the answer), then ``deliver_due()`` sends what it owes (Django's in-memory mail
backend: the SMTP conversation is the sink's CPU, not Sightline's). Measured per report:

* the Python CPU of the request and of the delivery (``time.process_time``);
* the CPU of this connection's own PostgreSQL backend (``/proc/<pg_backend_pid>/stat``,
  clock ticks, so the mean over the reports is the figure to read, not one report's);
* the statements each sent (``connection.execute_wrapper``).

Other programs on a shared machine change these little (they count this process's and its
backend's own work). The world (``world.py``) is written once into a PostgreSQL database it
keeps (``--database``) with a few hundred children; each run reports children not yet
reported, so repeated runs compare code, not seeding. ``--profile N`` prints the N costliest
functions of the requests (cProfile with a CPU clock), or of the deliveries with
``--profile-delivery``.

On a machine too busy for CPU times to compare, count instructions instead: run it under
``valgrind --tool=callgrind --instr-atstart=no`` with ``--callgrind``; it switches the count on
around each measured request only (``callgrind_control -i on/off``), so the dump's total is
the instructions of the requests, which no other program changes.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks.environment import (
    django_in_process,
    kept_database,
    kept_state,
    process_cpu_seconds,
)

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.missing.inprocess")
    parser.add_argument("--database", default="sightline_bench_missing_cpu")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--state", default="var/bench-missing-cpu.json")
    parser.add_argument("--children", type=int, default=400, help="the world's size (400)")
    parser.add_argument("--reports", type=int, default=30, help="reports measured (30)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument("--profile-file", default="", help="also write the profile here")
    parser.add_argument(
        "--profile-delivery",
        action="store_true",
        help="profile the delivery of each report's e-mails, not the requests",
    )
    parser.add_argument(
        "--callgrind", action="store_true", help="count the requests' instructions (valgrind)"
    )
    parser.add_argument(
        "--seal",
        choices=("on-commit", "worker", "in-transaction"),
        default="on-commit",
        help="SIGHTLINE_AUDIT_SEAL for the requests (on-commit)",
    )
    parser.add_argument(
        "--trend",
        type=int,
        default=0,
        help="also print the means of every N reports: does a report get dearer as the "
        "connection ages and the tables grow?",
    )
    parser.add_argument("--drop", action="store_true", help="drop the database and exit")
    return parser.parse_args(argv)


def _callgrind(*args: str) -> None:
    import subprocess

    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


class _Counter:
    def __init__(self) -> None:
        self.statements = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        return execute(sql, params, many, context)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = kept_database(args.postgres_url, args.database, drop=args.drop)
    state_path = Path(args.state)
    if args.drop:
        state_path.unlink(missing_ok=True)
        return 0
    state = kept_state(args.state, url)
    django_in_process(state, url, SIGHTLINE_AUDIT_SEAL=args.seal)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from benchmarks.missing import world as world_module
    from sightline.missing.models import Episode
    from sightline.notifications.delivery import deliver_due

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", interactive=False, verbosity=0)
    if "keys" not in state:
        print(f"writing the world: {args.children} children", file=sys.stderr, flush=True)
        world = world_module.build(children=args.children, seed=20260105)
        with connection.cursor() as cursor:  # the planner's statistics, as production has them
            cursor.execute("ANALYZE")
        state["keys"] = json.dumps([[r.key, r.body] for r in world.reports])
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_text(json.dumps(state))
    planned = json.loads(state["keys"])
    reported = {str(c) for c in Episode.objects.values_list("child_id", flat=True)}
    todo = [(key, body) for key, body in planned if body["child_id"] not in reported]
    if len(todo) < args.reports + 2:
        print("not enough children left: --drop and run again", file=sys.stderr)
        return 1
    deliver_due()  # anything an earlier, interrupted run left
    client = Client(HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    rows: list[dict[str, float]] = []
    for i, (key, body) in enumerate(todo[: args.reports + 2]):
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        counter = _Counter()
        db_before, started = process_cpu_seconds(backend), time.process_time()
        if profiler is not None and i >= 2 and not args.profile_delivery:
            profiler.enable()
        if args.callgrind and i >= 2:
            _callgrind("-i", "on")
        with connection.execute_wrapper(counter):
            response = client.post(
                "/api/v1/missing-episodes",
                data=json.dumps(body),
                content_type="application/json",
                secure=True,
                HTTP_AUTHORIZATION=f"Bearer {key}",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
        if profiler is not None:
            profiler.disable()
        if args.callgrind and i >= 2:
            _callgrind("-i", "off")
        web = time.process_time() - started
        assert response.status_code == 201, (response.status_code, response.content[:300])
        web_db = process_cpu_seconds(backend) - db_before
        web_statements = counter.statements
        counter = _Counter()
        db_before, started = process_cpu_seconds(backend), time.process_time()
        if profiler is not None and i >= 2 and args.profile_delivery:
            profiler.enable()
        with connection.execute_wrapper(counter):
            sent = deliver_due()
        if profiler is not None:
            profiler.disable()
        delivery = time.process_time() - started
        delivery_db = process_cpu_seconds(backend) - db_before
        if i >= 2:  # the first reports warm the process's caches
            rows.append(
                {
                    "web_ms": web * 1000,
                    "web_db_ms": web_db * 1000,
                    "web_statements": web_statements,
                    "delivery_ms": delivery * 1000,
                    "delivery_db_ms": delivery_db * 1000,
                    "delivery_statements": counter.statements,
                    "sent": sent,
                }
            )
    if profiler is not None:
        stats = pstats.Stats(profiler)
        if args.profile_file:
            stats.dump_stats(args.profile_file)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile // 2)

    def med(name: str) -> float:
        return round(statistics.median(r[name] for r in rows), 1)

    def mean(name: str) -> float:
        return round(statistics.fmean(r[name] for r in rows), 1)

    report = {
        "reports": len(rows),
        "seal": args.seal,
        "load": os.getloadavg(),
        "request_python_cpu_ms_median": med("web_ms"),
        "request_database_cpu_ms_mean": mean("web_db_ms"),
        "request_statements_median": med("web_statements"),
        "delivery_python_cpu_ms_median": med("delivery_ms"),
        "delivery_database_cpu_ms_mean": mean("delivery_db_ms"),
        "delivery_statements_median": med("delivery_statements"),
        "deliveries_per_report": med("sent"),
    }
    report["in_all_ms"] = round(
        report["request_python_cpu_ms_median"]
        + report["request_database_cpu_ms_mean"]
        + report["delivery_python_cpu_ms_median"]
        + report["delivery_database_cpu_ms_mean"],
        1,
    )
    if args.trend:
        report["trend"] = [
            {
                "reports": f"{start + 1}-{start + len(chunk)}",
                **{
                    name: round(statistics.fmean(r[name] for r in chunk), 2)
                    for name in ("web_ms", "web_db_ms", "delivery_ms", "delivery_db_ms")
                },
            }
            for start in range(0, len(rows), args.trend)
            if (chunk := rows[start : start + args.trend])
        ]
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
