"""`sightline serve`: the web app, behind gunicorn, with static files from whitenoise.

The pages are synchronous Django views that wait on PostgreSQL, so gunicorn runs sync worker
processes, about two per core (``2 × cores + 1``, at most 12), behind a buffering proxy. The
request timeout (``--timeout``, default 60 s) is what a sync worker may spend on one request
before gunicorn replaces it: gunicorn's default of 30 s turned a slow page into an error
(issue 13); 60 s leaves room for the slowest pages (reports) on a loaded machine and is
short enough that a stuck request frees its worker. Workers are recycled after about 1,000
requests to bound memory. See ``docs/operations.md``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sightline.core.database import connections_name

MAX_DEFAULT_WORKERS = 12


def default_workers() -> int:
    """WEB_CONCURRENCY, else two per core plus one (gunicorn's advice), at most 12."""
    configured = os.environ.get("WEB_CONCURRENCY", "").strip()
    if configured:
        return int(configured)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def gunicorn_argv(*, host: str, port: int, workers: int, threads: int, timeout: int) -> list[str]:
    return [
        "gunicorn",
        "config.wsgi:application",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        # More than 1 makes gunicorn use its threaded worker (gthread).
        "--threads",
        str(threads),
        "--timeout",
        str(timeout),
        "--graceful-timeout",
        "30",
        "--keep-alive",
        "5",
        # A worker is replaced after this many requests (a safety net against a leak); each
        # new one starts cold (imports, templates, prepared SQL), about a second of CPU, so not
        # too often: at 40 requests a second, 1,000 replaced each worker every minute.
        "--max-requests",
        "10000",
        "--max-requests-jitter",
        "1000",
        "--access-logfile",
        "-",
        # Access log without the query string: it may carry search terms.
        "--access-logformat",
        '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
    ]


class Command(BaseCommand):
    help = "Serve the Sightline web app (gunicorn). PORT and HOST come from the environment."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--host",
            default=os.environ.get("HOST", "127.0.0.1"),
            help="Address to listen on (default: HOST or 127.0.0.1).",
        )
        parser.add_argument(
            "--port",
            type=int,
            default=int(os.environ.get("PORT", "8000")),
            help="Port to listen on (default: PORT or 8000).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Gunicorn worker processes (default: WEB_CONCURRENCY, else 2 x cores + 1, "
            f"at most {MAX_DEFAULT_WORKERS}).",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=None,
            help="Threads per worker (default: WEB_THREADS or 1: sync workers).",
        )
        parser.add_argument(
            "--timeout",
            type=int,
            default=None,
            help="Seconds a worker may spend on one request before it is replaced "
            "(default: WEB_TIMEOUT or 60).",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        workers: int | None = None,
        threads: int | None = None,
        timeout: int | None = None,
        **options: Any,
    ) -> None:
        from gunicorn.app.wsgiapp import WSGIApplication

        argv = gunicorn_argv(
            host=host,
            port=port,
            workers=workers or default_workers(),
            threads=threads or _env_int("WEB_THREADS", 1),
            timeout=timeout or _env_int("WEB_TIMEOUT", 60),
        )
        # Before gunicorn forks its workers: their connections say they serve the web.
        connections_name("sightline web")
        self.stdout.write(f"Sightline is running on http://{host}:{port}/")
        # gunicorn reads its options from sys.argv when the application is built.
        sys.argv = argv
        WSGIApplication("%(prog)s [OPTIONS] [APP_MODULE]").run()
