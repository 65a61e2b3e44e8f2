"""A fresh, empty database for one run, removed afterwards: a SQLite file under the run's
temporary directory, or a new PostgreSQL database created through an admin connection."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


@dataclass
class FreshDatabase:
    vendor: str
    url: str  # the DATABASE_URL for Sightline and its workers
    name: str
    admin_url: str = ""

    @classmethod
    def create(cls, *, vendor: str, directory: Path, postgres_admin_url: str) -> FreshDatabase:
        if vendor == "sqlite":
            path = directory / "sightline-bench.sqlite3"
            return cls(vendor=vendor, url=f"sqlite:///{path}", name=str(path))
        if vendor != "postgres":
            raise ValueError(f"Unknown database {vendor!r}")
        import psycopg
        from psycopg import sql

        name = f"sightline_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        parts = urlsplit(postgres_admin_url)
        url = urlunsplit(parts._replace(path=f"/{name}"))
        return cls(vendor=vendor, url=url, name=name, admin_url=postgres_admin_url)

    def drop(self) -> None:
        """Remove the database. SQLite files go with the temporary directory."""
        if self.vendor != "postgres":
            return
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )


def describe_url(url: str) -> str:
    """The URL without any password, for the report."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))
