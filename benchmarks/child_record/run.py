"""``python -m benchmarks.child_record``: one child's record at 20 concurrent readers, against a
static file served by the same server in the same run. See ``docs/performance.md``.

1. A fresh database (PostgreSQL on 127.0.0.1:5432, or SQLite), migrated; one child with
   ``--episodes`` episodes and at least ``--entries`` timeline entries, written through the
   services (``world.py``); a signed-in session for the placing council's social worker.
2. ``sightline serve`` (gunicorn, ``--web-workers``) with a production environment.
3. The page itself, once: its size plain and compressed, and its SQL queries (counted in this
   process with Django's ``CaptureQueriesContext``, the same code and database), with the
   record's sections rendered and then taken from the cache (ADR "record sections cached by
   version").
4. Closed loop, ``--users`` clients each sending its next request when the last is answered,
   for ``--duration`` seconds a phase: the baseline (a static file, as a browser asks for it,
   gzip accepted); two floors, what any answer of this stack costs (the health check: every
   middleware and two statements, no session) and any signed-in page (the account's security
   page: session, user, second factor, the layout; no child); the API's read of the same
   child with a key of the reader's organisation (the access check, the access record and the
   audit event with its seal, JSON, no page); the record's first page; a deep page of its
   timeline. Every request counts: one that times out counts at ``--timeout``.
5. Reports percentiles, the ratio of the record's to the baseline's, throughput, and how busy
   the machine was (from ``/proc/stat``) during each phase; writes a JSON file under
   ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.environment import production_settings
from benchmarks.missing.processes import PROXY_HEADERS, REPO, FreshDatabase, Server
from benchmarks.missing.sink import free_port

RESULTS = REPO / "benchmarks" / "results"
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
STATIC_PATH = "/static/sightline/sightline.css"
HEALTH_PATH = "/healthz"
SIGNED_IN_PAGE = "/account/security/"
GOAL_RATIO = 3.0


def _say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.child_record",
        description="One child's record (2,000 timeline entries, 200 episodes) at 20 "
        "concurrent readers; baseline: a static file from the same server, in the same run.",
    )
    parser.add_argument("--episodes", type=int, default=200, help="episodes (200)")
    parser.add_argument("--entries", type=int, default=2000, help="timeline entries, at least")
    parser.add_argument("--users", type=int, default=20, help="concurrent readers (20)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds a phase (60)")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout (60 s)")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_ADMIN_URL),
        help="a PostgreSQL connection allowed to CREATE DATABASE",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the server's log")
    args = parser.parse_args(argv)
    if min(args.episodes, args.users, args.web_workers) < 1 or args.duration <= 0:
        parser.error("--episodes, --users, --web-workers and --duration must be positive")
    return args


# --- The machine ---------------------------------------------------------------------------


def _cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of all CPUs since boot, from /proc/stat (Linux)."""
    try:
        fields = [float(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0.0)
    return sum(fields) - idle, sum(fields)


def _busy_share(start: tuple[float, float], end: tuple[float, float]) -> float | None:
    total = end[1] - start[1]
    return (end[0] - start[0]) / total if total > 0 else None


def _load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# --- The load ------------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    path: str
    # Sent instead of the session cookie (the API's key), when given.
    headers: dict[str, str] = field(default_factory=dict)
    # Sent without the session cookie (the health check: no session read).
    anonymous: bool = False
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    bytes_received: int = 0
    seconds: float = 0.0
    machine_busy: float | None = None
    load_average: str = ""

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def pct(p: float) -> float | None:
            if not ordered:
                return None
            return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

        return {
            "name": self.name,
            "path": self.path,
            "requests": len(ordered),
            "statuses": self.statuses,
            "per_second": len(ordered) / self.seconds if self.seconds else None,
            "p50_ms": _ms(pct(50)),
            "p95_ms": _ms(pct(95)),
            "p99_ms": _ms(pct(99)),
            "mean_ms": _ms(statistics.fmean(ordered)) if ordered else None,
            "mean_bytes": self.bytes_received // len(ordered) if ordered else None,
            "machine_busy": self.machine_busy,
            "load_average": self.load_average,
        }


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def _headers(cookie: str) -> dict[str, str]:
    return {
        **PROXY_HEADERS,
        "Host": "127.0.0.1",
        "Accept-Encoding": "gzip",
        "Cookie": f"sessionid={cookie}",
    }


def _closed_loop(
    phase: Phase, *, port: int, users: int, duration: float, timeout: float, cookie: str
) -> None:
    """``users`` threads, each sending its next request as soon as the last is answered."""
    lock = threading.Lock()
    headers = {**_headers(cookie), **phase.headers}
    if "Authorization" in phase.headers or phase.anonymous:
        headers.pop("Cookie")
    stop_at = time.monotonic() + duration

    def reader() -> None:
        conn: http.client.HTTPConnection | None = None
        while time.monotonic() < stop_at:
            started = time.monotonic()
            status, size = "timeout or error", 0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                conn.request("GET", phase.path, headers=headers)
                response = conn.getresponse()
                size = len(response.read())
                status = str(response.status)
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            elapsed = time.monotonic() - started
            if status == "timeout or error":
                elapsed = max(elapsed, timeout)
            with lock:
                phase.latencies.append(elapsed)
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                phase.bytes_received += size
        if conn is not None:
            conn.close()

    cpu_start, began = _cpu_times(), time.monotonic()
    threads = [threading.Thread(target=reader, daemon=True) for _ in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 30)
    phase.seconds = time.monotonic() - began
    phase.machine_busy = _busy_share(cpu_start, _cpu_times())
    phase.load_average = _load_average()


def _fetch(
    port: int,
    path: str,
    cookie: str,
    *,
    compressed: bool = True,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes, str]:
    headers = {**_headers(cookie), **(headers or {})}
    if not compressed:
        headers.pop("Accept-Encoding")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("Content-Encoding") or ""
    finally:
        conn.close()


# --- The run -------------------------------------------------------------------------------


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()


def _queries(world: Any, path: str) -> int:
    """The SQL statements one request for ``path`` runs, counted in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.child_record.world import session_cookie

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = session_cookie(world.reader)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True)
    assert response.status_code == 200, response.status_code
    return len(captured)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="sightline-bench-record-"))
    database = FreshDatabase.create(
        vendor=args.database, directory=work, admin_url=args.postgres_url
    )
    server: Server | None = None
    try:
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("DATABASE_", "SIGHTLINE_", "SECURE_"))
                and k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
            },
            **production_settings(database.url),
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database.url,
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_URL": "smtp://127.0.0.1:1",  # no worker runs: nothing is sent
            "PYTHONUNBUFFERED": "1",
        }
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
        _setup_django(env)
        from django.core.management import call_command

        from benchmarks.child_record import world as child_world

        _say(f"migrating {database.server_version()} database {database.name}")
        call_command("migrate", interactive=False, verbosity=0)
        _say(f"writing a child with {args.episodes} episodes through the services")
        seeded_at = time.monotonic()
        world = child_world.build(episodes=args.episodes, entries=args.entries, progress=_say)
        _say(f"{world.entries} timeline entries in {time.monotonic() - seeded_at:.0f} s")
        cookie = child_world.session_cookie(world.reader)
        record = f"/children/{world.child.id}/"
        deep = f"{record}?page={max(1, world.entries // 50)}"
        # The first request renders the record's sections; the next one in the same minute
        # finds them in the cache (as every request of the load below does, the first of
        # each worker and minute apart). Both counts are reported.
        queries = {
            "first page": _queries(world, record),
            "first page, sections cached": _queries(world, record),
            "deep page": _queries(world, deep),
            "deep page, sections cached": _queries(world, deep),
        }

        from django.db import connections

        connections.close_all()
        port = free_port()
        server = Server(port=port, workers=args.web_workers, env=env, log=work / "server.log")
        server.wait_ready()
        status, plain, _ = _fetch(port, record, cookie, compressed=False)
        if status != 200:
            raise RuntimeError(f"the record answered {status}:\n{server.tail()}")
        _, packed, encoding = _fetch(port, record, cookie, compressed=True)
        _, static_body, static_encoding = _fetch(port, STATIC_PATH, cookie, compressed=True)
        for _ in range(args.web_workers * 5):  # every worker imports the app and connects
            _fetch(port, record, cookie, compressed=True)

        # The same child read through the API (key, access check, access record and audit
        # event with its seal, the placements and contacts as JSON, no page): how much of a
        # page is what every audited read pays, whatever it shows.
        api = {"Authorization": f"Bearer {child_world.api_token(world.reader)}"}
        status, _, _ = _fetch(port, f"/api/v1/children/{world.child.id}", cookie, headers=api)
        if status != 200:
            raise RuntimeError(f"the API's read answered {status}:\n{server.tail()}")
        # Two floors, to say what any page of this stack costs here: Django's cheapest answer
        # (the health check: every middleware, two statements, no session), and the cheapest
        # signed-in page (session, user, second factor, the layout with its navigation
        # counts; no child, no access check, no audit).
        status, _, _ = _fetch(port, SIGNED_IN_PAGE, cookie)
        if status != 200:
            raise RuntimeError(f"{SIGNED_IN_PAGE} answered {status}:\n{server.tail()}")
        phases = [
            Phase("baseline: a static file", STATIC_PATH),
            Phase("floor: the health check (no session)", HEALTH_PATH, anonymous=True),
            Phase("floor: a signed-in page with no child", SIGNED_IN_PAGE),
            Phase(
                "the API's read of the child (no page)", f"/api/v1/children/{world.child.id}", api
            ),
            Phase("the record, first page", record),
            Phase("the record, a deep page of the timeline", deep),
        ]
        for phase in phases:
            _say(f"{phase.name}: {args.users} readers for {args.duration:g} s")
            _closed_loop(
                phase,
                port=port,
                users=args.users,
                duration=args.duration,
                timeout=args.timeout,
                cookie=cookie,
            )
        summaries = [p.summary() for p in phases]
        base = summaries[0]
        for summary in summaries[1:]:
            for p in ("p50", "p95"):
                mine, theirs = summary[f"{p}_ms"], base[f"{p}_ms"]
                summary[f"{p}_ratio"] = round(mine / theirs, 1) if mine and theirs else None
        result = {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": database.server_version(),
            "cpus": os.cpu_count(),
            "web_workers": args.web_workers,
            "users": args.users,
            "duration_s": args.duration,
            "episodes": world.episodes,
            "timeline_entries": world.entries,
            "page_bytes": {
                "plain": len(plain),
                "compressed": len(packed),
                "content_encoding": encoding,
                "static_file": len(static_body),
                "static_encoding": static_encoding,
            },
            "queries": queries,
            "phases": summaries,
        }
        _report(result)
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"child_record-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(json.dumps(result, indent=2, default=str))
        _say(f"written to {out.relative_to(REPO)}")
        # As the other benchmarks: exit 1 only when a request failed, not on a slow figure.
        failed = sum(n for s in summaries for code, n in s["statuses"].items() if code != "200")
        return 1 if failed else 0
    finally:
        if server is not None:
            server.stop()
            if args.keep_logs:
                kept = RESULTS / "child_record-server.log"
                RESULTS.mkdir(exist_ok=True)
                shutil.copy(server.log, kept)
        database.drop()
        shutil.rmtree(work, ignore_errors=True)


def _report(result: dict[str, Any]) -> None:
    size = result["page_bytes"]
    print(
        f"Child record benchmark, {result['when']}: {result['database']}, {result['cpus']} CPUs, "
        f"{result['web_workers']} gunicorn workers, {result['users']} concurrent readers, "
        f"{result['duration_s']:g} s a phase"
    )
    print(
        f"The child: {result['episodes']} episodes, {result['timeline_entries']} timeline "
        f"entries. First page: {size['plain'] / 1024:.1f} KiB, "
        f"{size['compressed'] / 1024:.1f} KiB {size['content_encoding'] or 'uncompressed'}; "
        f"SQL queries: {result['queries']}"
    )
    header = f"{'phase':42} {'requests':>8} {'/s':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
    print(header + f" {'p50 x':>6} {'p95 x':>6}  machine busy, load")
    for s in result["phases"]:
        busy = "?" if s["machine_busy"] is None else f"{s['machine_busy']:.0%}"
        print(
            f"{s['name']:42} {s['requests']:>8} {s['per_second'] or 0:>6.1f} "
            f"{s['p50_ms'] or 0:>8.1f} {s['p95_ms'] or 0:>8.1f} {s['p99_ms'] or 0:>8.1f} "
            f"{s.get('p50_ratio') or '':>6} {s.get('p95_ratio') or '':>6}  {busy}, "
            f"{s['load_average']}  statuses {s['statuses']}"
        )
    print(f"Goal: the record's p95 within {GOAL_RATIO:g}x the static file's.")


if __name__ == "__main__":
    sys.exit(main())
