"""What every benchmark sets so that Sightline starts as a deployment would.

Production mode refuses to start without a long random ``SECRET_KEY`` and ``SIGHTLINE_AUDIT_KEY``,
a ``SIGHTLINE_BASE_URL`` and a PostgreSQL database (docs/operations.md). A run on SQLite, which
production refuses, runs in demo mode with the same fresh secrets: the code measured is the same.
"""

from __future__ import annotations

import secrets

BASE_URL = "https://sightline.example"


def sightline_mode(database_url: str) -> str:
    """Production on PostgreSQL; demo on SQLite, which production refuses."""
    return "demo" if database_url.startswith("sqlite") else "production"


def production_settings(database_url: str) -> dict[str, str]:
    """The mode, fresh secrets for this run and the public address."""
    return {
        "SIGHTLINE_MODE": sightline_mode(database_url),
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SIGHTLINE_AUDIT_KEY": secrets.token_hex(32),
        "SIGHTLINE_BASE_URL": BASE_URL,
    }


def kept_database(admin_url: str, name: str, *, drop: bool = False) -> str:
    """The URL of PostgreSQL database ``name`` on ``admin_url``'s server, created if missing
    and kept between runs (the in-process tools write their world once), or dropped
    (``drop``: then ``""``)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        if drop:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            return ""
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU of process ``pid`` so far, from ``/proc`` (in clock ticks of
    10 ms: a mean over many requests is the figure to read, not one request's)."""
    import os
    from pathlib import Path

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def kept_state(path: str, database_url: str) -> dict[str, str]:
    """The secrets that sealed a kept database's audit rows (and what else a tool keeps with
    them, such as the world's API keys under ``"keys"``), read from ``path``; fresh ones if it
    does not exist yet (the caller writes them once it has written its world)."""
    import json
    from pathlib import Path

    kept = Path(path)
    if kept.exists():
        return dict(json.loads(kept.read_text()))
    state = production_settings(database_url)
    state["SECRET_KEY"] = secrets.token_urlsafe(50)
    return state


def django_in_process(state: dict[str, str], database_url: str, **extra: str) -> None:
    """Set Django up in this process as production runs it, on ``database_url`` with the
    kept secrets of ``state``, DEBUG off, e-mail nowhere, logs at WARNING; ``extra``
    environment variables (``SIGHTLINE_AUDIT_SEAL``, say) on top."""
    import os

    os.environ.update(
        {
            **{k: v for k, v in state.items() if k != "keys"},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url,
            "ALLOWED_HOSTS": "127.0.0.1,testserver",
            "EMAIL_URL": "smtp://127.0.0.1:1",
            "LOG_LEVEL": "WARNING",
            **extra,
        }
    )
    os.environ.pop("DEBUG", None)
    import django

    django.setup()
