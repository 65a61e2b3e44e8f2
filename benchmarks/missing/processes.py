"""The parts that run as they do in production: a fresh database, ``sightline serve``
(gunicorn) and ``sightline worker`` as subprocesses, with the environment of a production
deployment."""

from __future__ import annotations

import contextlib
import http.client
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit, urlunsplit

from benchmarks.environment import production_settings

REPO = Path(__file__).resolve().parents[2]
BARE_SETTINGS = "benchmarks.missing.settings"
SIGHTLINE_SETTINGS = "config.settings"
# Sent with every request, as the TLS-terminating proxy in front of gunicorn does: production
# settings redirect plain HTTP to HTTPS otherwise.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


@dataclass
class FreshDatabase:
    """An empty database for one run: a new PostgreSQL database, dropped at the end, or a
    SQLite file in the run's temporary directory."""

    vendor: str
    url: str
    name: str
    admin_url: str = ""
    statistics: str = "not analysed"  # what ``analyse`` did, for the run's report

    @classmethod
    def create(cls, *, vendor: str, directory: Path, admin_url: str) -> FreshDatabase:
        if vendor == "sqlite":
            path = directory / "sightline-bench.sqlite3"
            return cls(vendor=vendor, url=f"sqlite:///{path}", name=str(path))
        import psycopg
        from psycopg import sql

        name = f"sightline_bench_missing_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        url = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
        return cls(vendor=vendor, url=url, name=name, admin_url=admin_url)

    def drop(self) -> None:
        if self.vendor != "postgres":
            return  # the file goes with the temporary directory
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )

    def analyse(self) -> None:
        """Statistics for the planner, as a production database has them (its autovacuum
        analyses a table as it grows), once the world is written; ``statistics`` says so, and
        whether this server's autovacuum runs during the run (on this machine's PostgreSQL it
        is off, so the tables the run grows are not analysed again)."""
        done = "analysed once the world was written"
        if self.vendor != "postgres":
            import sqlite3

            with sqlite3.connect(self.name) as conn:
                conn.execute("ANALYZE")
            self.statistics = done
            return
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("ANALYZE")
            row = conn.execute("SHOW autovacuum").fetchone()
        self.statistics = f"{done}; autovacuum {row[0] if row else '?'}"

    def server_version(self) -> str:
        if self.vendor != "postgres":
            import sqlite3

            return f"SQLite {sqlite3.sqlite_version}"
        import psycopg

        with psycopg.connect(self.url) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return f"PostgreSQL {row[0] if row else '?'}"


class AutovacuumOn:
    """PostgreSQL's autovacuum turned on for the length of a run (``--autovacuum on``), as
    PostgreSQL ships it and production runs it, on a server configured without it (this
    machine's). It is a server-wide setting (``ALTER SYSTEM``, then a reload): every database
    on the server is affected until ``restore``, which puts back what was there (the
    configuration file's value, or an earlier ``ALTER SYSTEM``'s)."""

    def __init__(self, admin_url: str) -> None:
        self.admin_url = admin_url
        self.by_alter_system = False  # "off" came from an earlier ALTER SYSTEM
        self.changed = False

    def start(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT setting, coalesce(sourcefile, '') FROM pg_settings "
                "WHERE name = 'autovacuum'"
            ).fetchone()
            if row is None or row[0] == "on":
                return
            self.by_alter_system = row[1].endswith("postgresql.auto.conf")
            conn.execute("ALTER SYSTEM SET autovacuum = on")
            self.changed = True
            conn.execute("SELECT pg_reload_conf()")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a reload is signalled, not waited for
            with psycopg.connect(self.admin_url) as conn:
                shown = conn.execute("SHOW autovacuum").fetchone()
            if shown and shown[0] == "on":
                return
            time.sleep(0.2)
        raise RuntimeError(
            "autovacuum is still off after ALTER SYSTEM and a reload: the server's command "
            "line sets it, which --autovacuum on cannot change"
        )

    def restore(self) -> None:
        if not self.changed:
            return
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            if self.by_alter_system:
                conn.execute("ALTER SYSTEM SET autovacuum = off")
            else:
                conn.execute("ALTER SYSTEM RESET autovacuum")
            conn.execute("SELECT pg_reload_conf()")
        self.changed = False


def production_env(
    *, database_url: str, smtp_port: int, settings: str, secret_key: str, audit_key: str
) -> dict[str, str]:
    """The environment of a production deployment on one host: every process of a run shares
    its secrets (the servers seal audit rows the worker may seal too, ADR 21). Sightline's own
    variables from the caller's environment are left out, so that nothing there changes the
    run."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "EMAIL_", "NOTIFY_", "SIGHTLINE_", "SECURE_"))
        and k not in {"DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    }
    env.update(production_settings(database_url))
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        DATABASE_URL=database_url,
        SECRET_KEY=secret_key,
        SIGHTLINE_AUDIT_KEY=audit_key,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        ALLOWED_HOSTS="127.0.0.1",
        SIGHTLINE_BASE_URL="https://sightline.example",
        PYTHONUNBUFFERED="1",
    )
    return env


class Subprocess:
    """A ``sightline`` command in a subprocess of its own, its output in a log file."""

    def __init__(self, args: list[str], *, env: dict[str, str], log: Path) -> None:
        self.args = args
        self.log = log
        self._out: IO[bytes] = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sightline.cli", *args],
            cwd=REPO,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in the terminal reaches the benchmark only
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (gunicorn and the worker finish what they are doing), then SIGKILL."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        self._out.close()
        return self.process.returncode

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            self._out.flush()
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


class Server(Subprocess):
    """``sightline serve --port P --workers N``: gunicorn, as deployed."""

    def __init__(self, *, port: int, workers: int, env: dict[str, str], log: Path) -> None:
        super().__init__(
            ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
            env=env,
            log=log,
        )
        self.port = port

    def wait_ready(self, timeout: float = 60) -> None:
        """Until ``/healthz`` answers 200 (gunicorn is up and the database reachable)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"{' '.join(self.args)} exited:\n{self.tail()}")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/healthz", headers=PROXY_HEADERS)
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.2)
        raise RuntimeError(f"{' '.join(self.args)} not ready in {timeout:.0f} s:\n{self.tail()}")


class Worker(Subprocess):
    """``sightline worker``: delivers the notices from the outbox."""

    def __init__(self, *, env: dict[str, str], log: Path) -> None:
        super().__init__(["worker", "--worker-id", "bench"], env=env, log=log)
