"""``python -m benchmarks.child_record.cpu``: the CPU one record page costs, in-process.

The closed-loop benchmark (``run.py``) needs a quiet machine; this one does not. It measures
``time.process_time()`` around each request sent with Django's test ``Client`` (the whole
middleware stack, the session and second factor, the access policy, the audit append, the
render and the compression), so what other processes do on a shared machine changes little.
PostgreSQL's own CPU is not counted: it runs in another process.

It writes the benchmark's child (``world.py``) once into a PostgreSQL database it keeps
(``--database``, created if missing) so that repeated runs compare code, not seeding; the
secrets that sealed its audit rows are kept beside it (``--state``). ``--profile N`` prints
the N functions with the most cumulative time (cProfile, CPU time) for each page.
Each page is measured twice: with the cache emptied before every request (the record's
sections read and rendered, as on the first request after a change) and warm; then the API's
read of the same child (``GET /api/v1/children/<id>`` with a key of the reader's
organisation: the key, the access check and the audited read, JSON, no page).

On a machine too busy for CPU times to compare, count instructions instead: run it under
``valgrind --tool=callgrind --instr-atstart=no`` with ``--callgrind`` (and ``--only warm``):
it switches the count on around each measured request only (``callgrind_control -i
on/off``), so the dump's total is the instructions of those requests.
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
from pathlib import Path
from typing import Any

from benchmarks.child_record.run import HEALTH_PATH, SIGNED_IN_PAGE
from benchmarks.environment import django_in_process, kept_database, kept_state

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.child_record.cpu")
    parser.add_argument("--database", default="sightline_bench_record_cpu")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--state", default="var/bench-record-cpu.json")
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=40, help="requests a page (40)")
    parser.add_argument("--profile", type=int, default=0, help="print the top N functions")
    parser.add_argument(
        "--seal",
        choices=("on-commit", "worker", "in-transaction"),
        default="on-commit",
        help="SIGHTLINE_AUDIT_SEAL for the requests (on-commit; worker: left to the worker)",
    )
    parser.add_argument(
        "--callgrind", action="store_true", help="count the requests' instructions (valgrind)"
    )
    parser.add_argument(
        "--only",
        choices=("cold", "warm", "floor"),
        default=None,
        help="measure the record cold or warm only, or only the floors (the health check and "
        "a signed-in page with no child)",
    )
    parser.add_argument("--drop", action="store_true", help="drop the database and exit")
    return parser.parse_args(argv)


def _callgrind(*args: str) -> None:
    import subprocess

    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


def _measure(
    client: Any, path: str, n: int, profile: int, *, cold: bool, callgrind: bool = False
) -> dict[str, Any]:
    """CPU milliseconds a request for ``path``; ``cold``: with the cache emptied before each
    (the record's sections rendered every time, as after a change to the record)."""
    from django.core.cache import cache

    cpu: list[float] = []
    size = 0
    profiler = cProfile.Profile(time.process_time) if profile else None
    for i in range(n + 3):
        if cold:
            cache.clear()
        started = time.process_time()
        if profiler is not None and i >= 3:
            profiler.enable()
        if callgrind and i >= 3:
            _callgrind("-i", "on")
        response = client.get(path, secure=True, HTTP_ACCEPT_ENCODING="gzip")
        if callgrind and i >= 3:
            _callgrind("-i", "off")
        if profiler is not None:
            profiler.disable()
        elapsed = time.process_time() - started
        assert response.status_code == 200, response.status_code
        size = len(response.content)
        if i >= 3:  # the first requests warm the caches of the process
            cpu.append(elapsed * 1000)
    if profiler is not None:
        print(f"--- {path} ({'cold' if cold else 'warm'})")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(profile)
        stats.sort_stats("tottime").print_stats(profile // 2)
    ordered = sorted(cpu)
    return {
        "path": path,
        "cache": "emptied before each request" if cold else "warm",
        "requests": n,
        "cpu_ms_median": round(statistics.median(ordered), 1),
        "cpu_ms_p90": round(ordered[int(0.9 * (len(ordered) - 1))], 1),
        "cpu_ms_min": round(ordered[0], 1),
        "bytes_gzip": size,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = kept_database(args.postgres_url, args.database, drop=args.drop)
    if args.drop:
        Path(args.state).unlink(missing_ok=True)
        return 0
    state = kept_state(args.state, url)
    if not Path(args.state).exists():
        Path(args.state).parent.mkdir(parents=True, exist_ok=True)
        Path(args.state).write_text(json.dumps(state))
    os.environ.pop("SIGHTLINE_AUDIT_SEAL_SECONDS", None)
    django_in_process(state, url, SIGHTLINE_AUDIT_SEAL=args.seal)
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from benchmarks.child_record import world as child_world
    from sightline.children.models import Child
    from sightline.organisations.models import User

    call_command("migrate", interactive=False, verbosity=0)
    child = Child.objects.filter(child_ref="BENCH0001").first()
    if child is None:
        print("writing the child through the services", file=sys.stderr, flush=True)
        child_world.build(episodes=args.episodes, entries=args.entries)
        child = Child.objects.get(child_ref="BENCH0001")
    reader = User.objects.get(username="socialworker")
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["sessionid"] = child_world.session_cookie(reader)
    record = f"/children/{child.id}/"
    entries = child_world._entries(child, reader)
    results = []
    for path in (record, f"{record}?page={max(1, entries // 50)}"):
        for cold in (True, False):
            if args.only == "floor":
                continue
            if args.only is not None and cold != (args.only == "cold"):
                continue
            if cold:
                cache.clear()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path, secure=True)
            assert response.status_code == 200, response.status_code
            queries = len(captured)  # before the next request resets Django's query log
            measured = _measure(
                client, path, args.requests, args.profile, cold=cold, callgrind=args.callgrind
            )
            results.append({**measured, "queries": queries})
    if args.only in (None, "warm", "floor"):
        # What any page of the stack costs: the health check (two statements, no session) and
        # a signed-in page with no child (session, user, second factor, the layout and its
        # navigation counts; no access check, no audit), as the benchmark's floors.
        anonymous = Client(HTTP_HOST="127.0.0.1")
        for floor_client, path in ((anonymous, HEALTH_PATH), (client, SIGNED_IN_PAGE)):
            with CaptureQueriesContext(connection) as captured:
                assert floor_client.get(path, secure=True).status_code == 200
            queries = len(captured)
            measured = _measure(floor_client, path, args.requests, args.profile, cold=False)
            results.append({**measured, "queries": queries})
    if args.only in (None, "warm"):
        # The same child through the API (a key of the reader's organisation): the access
        # check and the audited read without a page, for comparison with the page's figures.
        api = f"/api/v1/children/{child.id}"
        keyed = Client(
            HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {child_world.api_token(reader)}"
        )
        with CaptureQueriesContext(connection) as captured:
            assert keyed.get(api, secure=True).status_code == 200
        queries = len(captured)
        measured = _measure(
            keyed, api, args.requests, args.profile, cold=False, callgrind=args.callgrind
        )
        results.append({**measured, "queries": queries})
    if args.seal == "worker":  # what the worker would have sealed, so the chain stays whole
        from sightline.audit.services import audit_seal

        audit_seal()
    report = {"entries": entries, "seal": args.seal, "load": os.getloadavg(), "pages": results}
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
