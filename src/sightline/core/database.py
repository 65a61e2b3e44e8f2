"""Which Sightline process a PostgreSQL connection comes from.

Each connection carries an ``application_name`` (PostgreSQL's ``pg_stat_activity``, and
``%a`` in ``log_line_prefix``): ``sightline web`` for ``sightline serve``, ``sightline worker
main`` and ``sightline worker long`` for the worker's two lanes (ADR 62), ``sightline`` for
anything else (a migration, an import, a shell). An operator looking at a busy database sees
which process each backend serves; the missing benchmark splits the database's CPU by it.
Never a child's or a user's details: the name is the process's role only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections

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
