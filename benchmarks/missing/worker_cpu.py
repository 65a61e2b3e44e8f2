"""``python -m benchmarks.missing.worker_cpu``: the worker's main lane's CPU per missing report
at a low rate, and when idle (issue 13).

The load run (``run.py``) sampled the worker's main lane from ``/proc`` at 5 reports a second:
6.9 ms of CPU a report against 4.3 ms at 40 a second, about 0.7 ms of it idle polling. This
measures that part alone, on a machine that need not be quiet (it counts one process's own
CPU), in three steps against a PostgreSQL database it keeps (``--database``, the world of
``world.py`` written once, as ``inprocess.py`` does):

1. **One idle cycle in-process**: ``WorkerLoop(lane="main").run_cycle()`` with nothing due,
   its statements (printed once) and its Python CPU (``time.process_time``, median of
   ``--cycles``).
2. **The real worker idle**: ``sightline worker --lane main`` as a subprocess with production
   settings, an SMTP sink (``sink.py``) in a process of its own; the worker's CPU from
   ``/proc/<pid>/stat`` over ``--idle`` seconds with nothing to do.
3. **The real worker at a low rate**: ``--reports`` missing reports at ``--rate`` a second
   through the whole stack in this process (Django's test client), each owing three e-mails;
   the worker's CPU from the first report until the sink has every e-mail, per report, and
   the SMTP connections the sink saw opened meanwhile.

``/proc``'s CPU times are in clock ticks (10 ms): read the per-report figure over a few hundred
reports, not a handful. Run the code before and after a change one after the other (put the
other tree's ``src`` first on ``PYTHONPATH``: the worker and this process both import it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
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
from benchmarks.missing.processes import Subprocess, production_env
from benchmarks.missing.sink import SmtpSink

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.missing.worker_cpu")
    parser.add_argument("--database", default="sightline_bench_worker_cpu")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--state", default="var/bench-worker-cpu.json")
    parser.add_argument("--children", type=int, default=1500, help="the world's size (1500)")
    parser.add_argument("--cycles", type=int, default=300, help="idle cycles in-process (300)")
    parser.add_argument("--idle", type=float, default=30.0, help="idle seconds measured (30)")
    parser.add_argument("--rate", type=float, default=5.0, help="reports a second (5)")
    parser.add_argument("--reports", type=int, default=150, help="reports measured (150)")
    parser.add_argument("--interval", type=float, default=1.0, help="the worker's --interval")
    parser.add_argument(
        "--worker-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for the worker (repeatable)",
    )
    parser.add_argument(
        "--profile-idle",
        type=int,
        default=0,
        metavar="N",
        help="print the N costliest functions of the idle cycles (cProfile) and stop there",
    )
    parser.add_argument("--drop", action="store_true", help="drop the database and exit")
    return parser.parse_args(argv)


class _Statements:
    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.sql.append(sql)
        return execute(sql, params, many, context)


def _idle_cycles(cycles: int, *, profile: int = 0) -> dict[str, Any]:
    """An idle cycle of the main lane in this process: its statements and its Python CPU."""
    from django.db import connection

    from sightline.web.management.commands.worker import WorkerLoop

    loop = WorkerLoop(batch=False, interval=1.0, worker_id="probe", lane="main")
    for _ in range(3):  # the first runs every job with an interval once
        loop.run_cycle()
    seen = _Statements()
    with connection.execute_wrapper(seen):
        assert loop.run_cycle() == 0, "something was due: not an idle cycle"
    profiler = cProfile.Profile(time.process_time) if profile else None
    times = []
    for _ in range(cycles):
        started = time.process_time()
        if profiler is not None:
            profiler.enable()
        loop.run_cycle()
        if profiler is not None:
            profiler.disable()
        times.append(time.process_time() - started)
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(profile)
    return {
        "statements": len(seen.sql),
        "sql": [s[:160] for s in seen.sql],
        "python_cpu_ms_median": round(statistics.median(times) * 1000, 3),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = kept_database(args.postgres_url, args.database, drop=args.drop)
    state_path = Path(args.state)
    if args.drop:
        state_path.unlink(missing_ok=True)
        return 0
    state = kept_state(args.state, url)
    secrets_env = {k: v for k, v in state.items() if k != "keys"}
    django_in_process(state, url)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from benchmarks.missing import world as world_module
    from sightline.missing.models import Episode
    from sightline.notifications.delivery import deliver_due
    from sightline.notifications.models import Channel, Delivery

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", interactive=False, verbosity=0)
    if "keys" not in state:
        print(f"writing the world: {args.children} children", file=sys.stderr, flush=True)
        world = world_module.build(children=args.children, seed=20261207)
        state["keys"] = json.dumps([[r.key, r.body] for r in world.reports])
        state_path.parent.mkdir(parents=True, exist_ok=True)
        state_path.write_text(json.dumps(state))
    planned = json.loads(state["keys"])
    reported = {str(c) for c in Episode.objects.values_list("child_id", flat=True)}
    todo = [(key, body) for key, body in planned if body["child_id"] not in reported]
    if len(todo) < args.reports:
        print("not enough children left: --drop and run again", file=sys.stderr)
        return 1
    deliver_due()  # anything an earlier, interrupted run left (in-memory mail)

    report: dict[str, Any] = {"load_before": os.getloadavg()}
    report["idle_cycle_in_process"] = _idle_cycles(args.cycles, profile=args.profile_idle)
    if args.profile_idle:
        print(json.dumps(report, indent=1))
        return 0
    connection.close()

    sink = SmtpSink()
    sink.start()
    directory = Path(tempfile.mkdtemp(prefix="worker-cpu-"))
    env = production_env(
        database_url=url,
        smtp_port=sink.port,
        settings="config.settings",
        secret_key=state["SECRET_KEY"],
        audit_key=state["SIGHTLINE_AUDIT_KEY"],
    )
    env.update(secrets_env)
    env["LOG_LEVEL"] = "WARNING"
    for pair in args.worker_env:
        name, _, value = pair.partition("=")
        env[name] = value
    worker = Subprocess(
        [
            "worker",
            "--lane",
            "main",
            "--worker-id",
            "bench-cpu",
            "--interval",
            str(args.interval),
            "--heartbeat-file",
            str(directory / "heartbeat"),
        ],
        env=env,
        log=directory / "worker.log",
    )
    try:
        deadline = time.monotonic() + 60
        while not (directory / "heartbeat").exists():
            if not worker.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{worker.tail()}")
            time.sleep(0.1)
        time.sleep(5)  # its first cycle runs every job with an interval once

        cpu, sessions = process_cpu_seconds(worker.pid), sink.sessions()
        time.sleep(args.idle)
        idle_cpu = process_cpu_seconds(worker.pid) - cpu
        report["idle"] = {
            "seconds": args.idle,
            "worker_cpu_ms_per_second": round(idle_cpu * 1000 / args.idle, 3),
            "smtp_connections": sink.sessions() - sessions,
        }

        client = Client(HTTP_HOST="127.0.0.1")
        received_before = len(sink.collect())
        sessions = sink.sessions()
        started_at = time.time()
        started, cpu = time.monotonic(), process_cpu_seconds(worker.pid)
        for i, (key, body) in enumerate(todo[: args.reports]):
            wait = started + i / args.rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            response = client.post(
                "/api/v1/missing-episodes",
                data=json.dumps(body),
                content_type="application/json",
                secure=True,
                HTTP_AUTHORIZATION=f"Bearer {key}",
                HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )
            assert response.status_code == 201, (response.status_code, response.content[:300])
        owed = Delivery.objects.filter(
            channel=Channel.EMAIL, created_at__gte=dt_from(started_at)
        ).count()
        deadline = time.monotonic() + 120
        while len(sink.collect()) - received_before < owed:
            if time.monotonic() > deadline or not worker.alive():
                raise RuntimeError(f"e-mails missing:\n{worker.tail()}")
            time.sleep(0.02)
        elapsed = time.monotonic() - started
        load_cpu = process_cpu_seconds(worker.pid) - cpu
        received = sink.receipts[received_before:]
        references = [(r.reference, r.recipients) for r in received]
        report["load"] = {
            "reports": args.reports,
            "rate": args.rate,
            "seconds": round(elapsed, 1),
            "emails_owed": owed,
            "emails_received": len(received),
            "duplicates": len(references) - len(set(references)),
            "smtp_connections": sink.sessions() - sessions,
            "worker_cpu_ms_per_report": round(load_cpu * 1000 / args.reports, 2),
        }
    finally:
        worker.stop()
        sink.stop()
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=1))
    return 0


def dt_from(epoch: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


if __name__ == "__main__":
    sys.exit(main())
