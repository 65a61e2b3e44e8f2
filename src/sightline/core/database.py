"""Which Sightline process a PostgreSQL connection comes from, and how long it lives.

Each connection carries an ``application_name`` (PostgreSQL's ``pg_stat_activity``, and
``%a`` in ``log_line_prefix``): ``sightline web`` for ``sightline serve``, ``sightline worker
main`` and ``sightline worker long`` for the worker's two lanes (ADR 62), ``sightline`` for
anything else (a migration, an import, a shell). An operator looking at a busy database sees
which process each backend serves; the missing benchmark splits the database's CPU by it.
Never a child's or a user's details: the name is the process's role only.

And how long a PostgreSQL connection lives: as ``DATABASE_CONN_MAX_AGE`` says where the
server's autovacuum runs, at most a minute where it does not (``renewal_due``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

# PostgreSQL truncates a longer name (NAMEDATALEN - 1).
NAME_LENGTH = 63


def connections_name(name: str) -> None:
    """Name this process's PostgreSQL connections from now on. Call it when a service starts,
    before its first statement; a connection already open (outside a transaction) is closed
    so that the next one carries the name. An ``application_name`` the operator gave in
    ``DATABASE_URL`` is kept."""
    if getattr(settings, "DATABASE_APPLICATION_NAME_GIVEN", False):
        return
    for alias in connections:
        settings_dict = connections.settings[alias]
        if settings_dict.get("ENGINE") != "django.db.backends.postgresql":
            continue
        settings_dict.setdefault("OPTIONS", {})["application_name"] = name[:NAME_LENGTH]
        connection = connections[alias]
        if connection.connection is not None and not connection.in_atomic_block:
            connection.close()


# Seconds a PostgreSQL connection may live where nothing makes it plan again (below).
PLANS_OUTLIVE_AT_MOST = 60

_warned = False


def renewal_due(*, close_at: float | None, now: float, autovacuum: bool) -> float | None:
    """When a new connection should be closed: as ``DATABASE_CONN_MAX_AGE`` says where the
    server's autovacuum runs, within ``PLANS_OUTLIVE_AT_MOST`` seconds where it does not.

    A connection keeps the plans it made (its prepared statements', its foreign-key checks'),
    and only an ``ANALYZE`` of a table makes it plan again. Autovacuum analyses a table as it
    grows; with it off, a plan made while a table was nearly empty (a sequential scan) stays in
    use as the table grows, for as long as the connection lives: kept ten minutes, the web
    server fell behind at 40 missing reports a second (docs/performance.md, 7 December,
    midnight)."""
    if autovacuum:
        return close_at
    bound = now + PLANS_OUTLIVE_AT_MOST
    return bound if close_at is None else min(close_at, bound)


def connection_age_bounded(sender: object, connection: Any, **kwargs: Any) -> None:
    """``connection_created``: a PostgreSQL connection meant to live longer than
    ``PLANS_OUTLIVE_AT_MOST`` asks the server whether autovacuum runs (one statement per
    connection, on the driver's own cursor), and is renewed sooner where it does not."""
    global _warned
    if connection.vendor != "postgresql":
        return
    now = time.monotonic()
    if connection.close_at is not None and connection.close_at <= now + PLANS_OUTLIVE_AT_MOST:
        return
    import psycopg

    try:
        with connection.connection.cursor() as cursor:
            # Autovacuum runs only where the server also counts the rows changed.
            cursor.execute(
                "SELECT current_setting('autovacuum') = 'on' "
                "AND current_setting('track_counts') = 'on'"
            )
            row = cursor.fetchone()
    except psycopg.Error:  # the server went away at once: its next use will say so
        row = None
    autovacuum = bool(row and row[0])
    connection.close_at = renewal_due(close_at=connection.close_at, now=now, autovacuum=autovacuum)
    if row is not None and not autovacuum and not _warned:
        _warned = True
        logger.warning(
            "PostgreSQL's autovacuum is not running (autovacuum or track_counts is off): "
            "database connections are renewed every %d s whatever DATABASE_CONN_MAX_AGE says "
            "(docs/operations.md, PostgreSQL)",
            PLANS_OUTLIVE_AT_MOST,
        )
