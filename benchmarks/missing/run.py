"""``python -m benchmarks.missing``: missing reports through the API at a steady rate, with
the worker delivering their alerts to a local SMTP server, against a bare endpoint measured in
the same run. See ``docs/performance.md``.

1. A fresh database (PostgreSQL on 127.0.0.1:5432, or SQLite), migrated; the synthetic world
   (``world.py``) written through Sightline's services; an SMTP sink on a free port.
2. Two gunicorn servers started by ``sightline serve`` with the same production environment:
   Sightline itself, and the bare endpoint (``settings.py``: Sightline's settings with another
   URLconf); one ``sightline worker``.
3. Phase 1, baseline: ``--rate`` requests a second for ``--duration`` seconds to the bare
   endpoint. Phase 2: the same rate and duration of ``POST /api/v1/missing-episodes``, each a
   different child, each with an ``Idempotency-Key``.
4. Waits (up to ``--grace`` seconds) for every e-mail the accepted reports owe, then reports.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks.missing import cpu, report, statements
from benchmarks.missing.load import Outcome, Request, run_open_loop
from benchmarks.missing.processes import (
    BARE_SETTINGS,
    PROXY_HEADERS,
    REPO,
    SIGHTLINE_SETTINGS,
    AutovacuumOn,
    FreshDatabase,
    Server,
    Subprocess,
    Worker,
    production_env,
)
from benchmarks.missing.sink import SmtpSink, free_port

RESULTS = REPO / "benchmarks" / "results"
API_PATH = "/api/v1/missing-episodes"
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WARM_UP_REQUESTS = 20
IDLE_SAMPLE_SECONDS = 5.0


# Issue 13's two runs: the latency goal at 5 a second, the throughput goal at 40 a second;
# both 5 minutes, both with the CPU goal (``report.goals``).
GOALS: dict[str, dict[str, float]] = {
    "latency": {"rate": 5.0, "duration": 300.0},
    "throughput": {"rate": 40.0, "duration": 300.0},
}


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.missing",
        description="Missing reports through the API at a steady rate, with the worker "
        "delivering their alerts to a local SMTP server; baseline: a bare endpoint that "
        "inserts one row, in the same run.",
    )
    parser.add_argument(
        "--goal",
        choices=sorted(GOALS),
        help="one of issue 13's runs, with its rate and duration (unless given) and a verdict "
        "against its goals: 'latency', 5/s for 300 s (p99 within 5x the bare endpoint, CPU per "
        "report at most 20 ms in all); 'throughput', 40/s for 300 s (every report answered "
        "and keeping up, nothing lost, CPU per report at most 20 ms in all)",
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="requests a second (20; a --goal's own)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help="seconds of load per phase (300; a --goal's own)",
    )
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_ADMIN_URL),
        help="a PostgreSQL connection allowed to CREATE DATABASE (default: "
        f"BENCH_POSTGRES_URL or {POSTGRES_ADMIN_URL})",
    )
    parser.add_argument(
        "--web-workers", type=int, default=2, help="gunicorn workers of each server (2)"
    )
    parser.add_argument(
        "--grace",
        type=float,
        default=120.0,
        help="seconds to wait after the load for e-mails still owed, before counting them "
        "lost (120)",
    )
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds a client waits for an answer (60)"
    )
    parser.add_argument(
        "--wait-for-idle",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="before the load, wait up to this long for the machine to be idle (under "
        f"{report.IDLE_WARNING * 100:.0f}%% busy over {IDLE_SAMPLE_SECONDS:g} s); "
        "default: do not wait",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an environment variable for both servers and the worker, on top of the "
        "production environment (repeatable), e.g. DATABASE_CONN_MAX_AGE=60",
    )
    parser.add_argument(
        "--autovacuum",
        choices=("as-is", "on"),
        default="as-is",
        help="PostgreSQL's autovacuum during the run: the server's own setting (as-is), or on "
        "for the run's length, as production runs it (a server-wide change, put back after)",
    )
    parser.add_argument("--seed", type=int, default=20260105, help="of the synthetic world")
    parser.add_argument(
        "--keep-logs", action="store_true", help="keep the servers' and worker's logs"
    )
    args = parser.parse_args(argv)
    preset = GOALS.get(args.goal or "", {})
    if args.rate is None:
        args.rate = preset.get("rate", 20.0)
    if args.duration is None:
        args.duration = preset.get("duration", 300.0)
    if args.rate <= 0 or args.duration <= 0 or args.grace < 0 or args.web_workers < 1:
        parser.error("--rate, --duration and --web-workers must be positive, --grace >= 0")
    args.extra_env = {}
    for item in args.env:
        name, equals, value = item.partition("=")
        if not equals or not name:
            parser.error(f"--env takes NAME=VALUE, not {item!r}")
        args.extra_env[name] = value
    return args


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    # This process's own log lines (an INFO line per organisation, key and contact point it
    # writes) are noise here; the servers and the worker log as configured.
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _migrate() -> None:
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.missing.models import BareRow

    call_command("migrate", interactive=False, verbosity=0)
    with connection.schema_editor() as editor:
        editor.create_model(BareRow)


def _requests(world: Any, *, path: str) -> list[Request]:
    """One request per planned report; the bare endpoint gets the same bodies and headers."""
    return [
        Request(
            path=path,
            body=json.dumps(planned.body).encode(),
            headers={
                "Authorization": f"Bearer {planned.key}",
                "Content-Type": "application/json",
                "Idempotency-Key": str(uuid.uuid4()),
                **PROXY_HEADERS,
            },
        )
        for planned in world.reports
    ]


def _warm_up(*, sightline: Server, bare: Server, key: str) -> None:
    """Every gunicorn worker imports the app and opens the database before measuring."""
    import http.client

    for _ in range(WARM_UP_REQUESTS):
        for port, method, path, body in (
            (sightline.port, "GET", "/api/v1/missing-now", None),
            (bare.port, "POST", "/bare/rows", b'{"warm": "up"}'),
        ):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request(
                    method,
                    path,
                    body=body,
                    headers={"Authorization": f"Bearer {key}", **PROXY_HEADERS},
                )
                conn.getresponse().read()
            finally:
                conn.close()


def _idle(parts: dict[str, int], *, postmaster: int | None, wait: float) -> dict[str, float | None]:
    """How busy the machine is with the benchmark's processes idle; with ``wait``, samples
    again until it is idle or ``wait`` seconds have passed."""
    deadline = time.monotonic() + wait
    while True:
        start = cpu.sample(parts, postmaster=postmaster)
        time.sleep(IDLE_SAMPLE_SECONDS)
        idle = cpu.usage(start, cpu.sample(parts, postmaster=postmaster))
        busy = idle["machine busy share"]
        _say(f"machine busy before the load: {'?' if busy is None else f'{busy:.0%}'}")
        if busy is None or busy <= report.IDLE_WARNING or time.monotonic() >= deadline:
            return idle


def _phase(
    name: str,
    *,
    port: int,
    timeout: float,
    requests: list[Request],
    rate: float,
    parts: dict[str, int],
    postmaster: int | None,
    database: FreshDatabase,
) -> tuple[list[Outcome], dict[str, float | None]]:
    _say(f"{name}: {len(requests)} requests at {rate:g}/s")
    backends = (
        cpu.DatabaseBackends(admin_url=database.admin_url, database=database.name).start()
        if database.vendor == "postgres"
        else None
    )
    start = cpu.sample(parts, postmaster=postmaster)

    def progress(sent: int, answered: int) -> None:
        _say(f"  {name}: {sent} sent, {answered} answered")

    outcomes = run_open_loop(
        port=port,
        requests=requests,
        rate=rate,
        timeout=timeout,
        keep_body=lambda status: status == 201 and name == "sightline",
        progress=progress,
    )
    used = cpu.usage(start, cpu.sample(parts, postmaster=postmaster))
    used["postgresql (run's database)"] = backends.stop() if backends is not None else None
    if backends is not None:
        used[cpu.within("postgresql: the worker's long lane", "postgresql (run's database)")] = (
            backends.of("sightline worker long")
        )
    return outcomes, used


def _postmaster(database: FreshDatabase) -> int | None:
    """The postmaster of the server the run's database is on: the parent of a backend of
    this process's own connection to it."""
    if database.vendor != "postgres":
        return None
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    return cpu.postmaster_of(backend)


def _owed_from_database(
    world: Any, *, emailed_organisations: frozenset[str]
) -> dict[int, tuple[str, list[str]]]:
    """Every report the database committed, whether or not its client got the answer (a
    client that gave up does not stop the server): by request index, its episode id and the
    references of the "reported" alerts that owe an e-mail."""
    from django.db import connections

    from sightline.missing.models import EpisodeNotice

    index_of = {planned.child_id: i for i, planned in enumerate(world.reports)}
    owed: dict[int, tuple[str, list[str]]] = {}
    links = EpisodeNotice.objects.filter(event="reported").values_list(
        "episode_id", "episode__child_id", "recipient__name", "notice__reference"
    )
    for episode_id, child_id, recipient, reference in links.iterator(chunk_size=2000):
        index = index_of.get(str(child_id))
        if index is None:
            continue  # the in-process probe's reports come later; none yet
        refs = owed.setdefault(index, (str(episode_id), []))[1]
        if recipient in emailed_organisations:
            refs.append(reference)
    connections.close_all()
    return owed


def _wait_for_emails(
    sink: SmtpSink,
    owed: dict[int, tuple[str, list[str]]],
    *,
    grace: float,
    workers: list[Subprocess],
) -> float:
    """Until every owed e-mail has arrived or ``grace`` seconds have passed; returns the wait."""
    wanted = {ref for _, refs in owed.values() for ref in refs}
    started = time.monotonic()
    reported = started
    while True:
        received = {r.reference for r in sink.collect()}
        missing = len(wanted - received)
        waited = time.monotonic() - started
        if missing == 0 or waited >= grace:
            return waited
        if time.monotonic() - reported >= 10:
            reported = time.monotonic()
            _say(f"  {missing} e-mails still owed after {waited:.0f} s")
        for worker in workers:
            if not worker.alive():
                _say(f"the worker exited:\n{worker.tail()}")
                return waited
        time.sleep(0.5)


def _database_counts() -> dict[str, Any]:
    """What the database says at the end: episodes, and e-mail deliveries by status."""
    from django.db import connections
    from django.db.models import Count

    from benchmarks.missing.models import BareRow
    from sightline.missing.models import Episode
    from sightline.notifications.models import Channel, Delivery

    counts = {
        "episodes": Episode.objects.count(),
        "bare_rows": BareRow.objects.count(),
        "email_deliveries_by_status": {
            row["status"]: row["n"]
            for row in Delivery.objects.filter(channel=Channel.EMAIL)
            .values("status")
            .annotate(n=Count("id"))
            .order_by("status")
        },
    }
    connections.close_all()
    return counts


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = Path(tempfile.mkdtemp(prefix="sightline-bench-missing-"))
    sink = SmtpSink()
    database: FreshDatabase | None = None
    started: list[Subprocess] = []
    failed = True
    autovacuum = AutovacuumOn(args.postgres_url)
    try:
        if args.autovacuum == "on" and args.database == "postgres":
            autovacuum.start()
        sink.start()
        database = FreshDatabase.create(
            vendor=args.database, directory=directory, admin_url=args.postgres_url
        )
        _say(f"database: {database.vendor} {database.name}; SMTP sink on port {sink.port}")
        secret_key = secrets.token_urlsafe(50)
        audit_key = secrets.token_hex(32)
        database_url = database.url

        def env(settings: str) -> dict[str, str]:
            return {
                **production_env(
                    database_url=database_url,
                    smtp_port=sink.port,
                    settings=settings,
                    secret_key=secret_key,
                    audit_key=audit_key,
                ),
                **args.extra_env,
            }

        # This process writes the world as any other Sightline process would, with the
        # bare endpoint's app installed so that it can create its table.
        _setup_django(env(BARE_SETTINGS))
        _migrate()
        children = round(args.rate * args.duration)
        _say(f"writing the synthetic world: {children} children placed out of area ...")
        from benchmarks.missing import world as world_module

        built_at = time.monotonic()
        world = world_module.build(
            children=children + statements.PROBE_REPORTS,
            seed=args.seed,
            progress=lambda done, total: _say(f"  {done}/{total} children"),
        )
        setup_seconds = time.monotonic() - built_at
        probe_reports = world.reports[children:]
        world = dataclasses.replace(world, reports=world.reports[:children])
        from django.db import connections

        connections.close_all()
        database.analyse()
        _say(f"  database statistics: {database.statistics}")
        _say(
            f"  {world.homes} homes, {world.providers} providers, {world.councils} councils, "
            f"{world.police_forces} police forces in {setup_seconds:.0f} s"
        )

        sightline = Server(
            port=free_port(),
            workers=args.web_workers,
            env=env(SIGHTLINE_SETTINGS),
            log=directory / "sightline-serve.log",
        )
        started.append(sightline)
        bare = Server(
            port=free_port(),
            workers=args.web_workers,
            env=env(BARE_SETTINGS),
            log=directory / "bare-serve.log",
        )
        started.append(bare)
        worker = Worker(env=env(SIGHTLINE_SETTINGS), log=directory / "worker.log")
        started.append(worker)
        sightline.wait_ready()
        bare.wait_ready()
        _warm_up(sightline=sightline, bare=bare, key=world.reports[0].key)
        _say(f"servers up: Sightline on {sightline.port}, bare on {bare.port}; worker running")

        parts = {
            "sightline web": sightline.pid,
            "bare web": bare.pid,
            "worker": worker.pid,
            "smtp sink": sink.pid,
        }
        # The long lane's sweeps (links, screening prompts, ADR 62), shown apart from the
        # deliveries; already counted in the worker's figure.
        long_lane = cpu.lane_of(worker.pid, "long")
        if long_lane is not None:
            parts[cpu.within("worker's long lane", "worker")] = long_lane
        postmaster = _postmaster(database)
        idle = _idle(parts, postmaster=postmaster, wait=args.wait_for_idle)
        bare_outcomes, bare_cpu = _phase(
            "bare",
            port=bare.port,
            timeout=args.timeout,
            requests=_requests(world, path="/bare/rows"),
            rate=args.rate,
            parts=parts,
            postmaster=postmaster,
            database=database,
        )
        time.sleep(2)
        app_outcomes, app_cpu = _phase(
            "sightline",
            port=sightline.port,
            timeout=args.timeout,
            requests=_requests(world, path=API_PATH),
            rate=args.rate,
            parts=parts,
            postmaster=postmaster,
            database=database,
        )
        answered = report.expected_emails(
            app_outcomes, emailed_organisations=world.emailed_organisations
        )
        # Requests whose clients gave up may still be running: gunicorn finishes each one it
        # has started before it stops. Then the database holds every report committed.
        sightline.stop()
        owed = _owed_from_database(world, emailed_organisations=world.emailed_organisations)
        _say(
            f"{len(owed)} reports committed, {len(answered)} answered 201; "
            f"{len(set(owed) - set(answered))} committed after their client gave up"
        )
        _say(f"waiting up to {args.grace:g} s for the e-mails still owed ...")
        waited = _wait_for_emails(sink, owed, grace=args.grace, workers=[worker])
        receipts = sink.collect()
        for process in reversed(started):
            process.stop()
        counts = _database_counts()
        _say("counting SQL statements per report in-process ...")
        probe = statements.probe(probe_reports, api_path=API_PATH)

        result = _result(
            args=args,
            stamp=stamp,
            database=database,
            world=world,
            setup_seconds=setup_seconds,
            bare=(bare_outcomes, bare_cpu),
            app=(app_outcomes, app_cpu),
            idle=idle,
            owed=owed,
            answered=answered,
            receipts=receipts,
            waited=waited,
            counts=counts,
        )
        result["statements_per_report"] = probe
        result["goals"] = report.goals(result, goal=args.goal)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"missing-{stamp}.json"
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(report.table(result))
        print(statements.line(probe))
        print(report.goals_text(result["goals"]))
        print(f"\nResults: {path.relative_to(REPO)}")
        clean = result["email"]["lost_reports"] == 0 and all(
            p["succeeded"] == p["requests"] for p in result["phases"].values()
        )
        failed = not clean
        return 0 if clean else 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130
    finally:
        try:  # first: a server-wide setting must not outlive the run, whatever fails below
            autovacuum.restore()
        except Exception as error:
            _say(f"COULD NOT PUT AUTOVACUUM BACK ({error}): ALTER SYSTEM RESET autovacuum")
        for process in reversed(started):
            process.stop()
        sink.stop()
        if database is not None:
            try:
                from django.db import connections

                connections.close_all()
            except Exception:  # Django may not be set up yet
                pass
            database.drop()
        if args.keep_logs or failed:
            _say(f"logs kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)


def _result(
    *,
    args: argparse.Namespace,
    stamp: str,
    database: FreshDatabase,
    world: Any,
    setup_seconds: float,
    bare: tuple[list[Outcome], dict[str, float | None]],
    app: tuple[list[Outcome], dict[str, float | None]],
    idle: dict[str, float | None],
    owed: dict[int, tuple[str, list[str]]],
    answered: dict[int, tuple[str, list[str]]],
    receipts: list[Any],
    waited: float,
    counts: dict[str, Any],
) -> dict[str, Any]:
    import django
    import gunicorn

    phases = {
        "bare": report.phase_summary(bare[0], expected=201, cpu=bare[1], timeout=args.timeout),
        "sightline": report.phase_summary(app[0], expected=201, cpu=app[1], timeout=args.timeout),
    }

    def ratio(q: int) -> float | None:
        a = phases["sightline"]["latency_seconds"][f"p{q}"]
        b = phases["bare"]["latency_seconds"][f"p{q}"]
        return a / b if a is not None and b else None

    findings = report.email_findings(app[0], owed, receipts, answered=set(answered))
    alerts = Counter(len(refs) for _, refs in owed.values())
    return {
        "benchmark": "missing",
        "timestamp": stamp,
        "run": {
            "rate": args.rate,
            "duration": args.duration,
            "database": database.vendor,
            "database_version": database.server_version(),
            "database_statistics": database.statistics,
            "web_workers": args.web_workers,
            "extra_env": args.extra_env,
            "sightline_workers": 1,
            "grace": args.grace,
            "client_timeout": args.timeout,
            "grace_waited": round(waited, 1),
            "seed": args.seed,
            "setup_seconds": round(setup_seconds, 1),
            "django": django.get_version(),
            "gunicorn": gunicorn.__version__,
            "world": {
                "children": len(world.reports),
                "homes": world.homes,
                "providers": world.providers,
                "councils": world.councils,
                "police_forces": world.police_forces,
                "emails_owed_per_report": dict(sorted(alerts.items())),
            },
        },
        "machine": {**report.machine(), "idle_cpu_seconds": idle, "load": report.loadavg()},
        "phases": phases,
        "ratios": {f"p{q}": ratio(q) for q in report.PERCENTILES},
        "email": findings.as_dict(),
        "database_counts": counts,
    }
