"""The service navigation's counts: every registered count in one statement a request.

The layout runs on every page, and its items show counts that must be exact and current for
the signed-in user (children missing now, open tasks, notices to acknowledge, urgent alerts):
a child reported missing shows in "Missing now" on the next page anyone opens. Each app
registers the rows it counts (``registry.navigation_count_register``) as a queryset; the first
item that asks for a count runs them all as scalar subqueries of one ``SELECT`` and keeps the
answers on the request, so the navigation and the banners cost one round trip, not one each.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.http import HttpRequest

from sightline.core.prepared import prepared_sql
from sightline.core.registry import navigation_counts

_COUNTS = "_sightline_navigation_counts"


def navigation_count(request: HttpRequest, user: Any, name: str) -> int:
    """The count registered as ``name`` for this request's user (0 when the app registered
    none for this user). Every registered count is read on the first call, in one query."""
    counts: dict[str, int] | None = getattr(request, _COUNTS, None)
    if counts is None:
        counts = count_all(request, user)
        setattr(request, _COUNTS, counts)
    return counts.get(name, 0)


def count_all(request: HttpRequest, user: Any) -> dict[str, int]:
    """Every registered count for the user, by name, in one statement. Its SQL is built once
    per user, role, organisation and day in each process (``core.prepared``: building it cost
    more than running it), with this request's time in it."""
    org = getattr(user, "organisation", None)
    key = (
        "core.navigation",
        user.pk,
        user.is_active,
        getattr(user, "role", ""),
        getattr(org, "pk", None),
        getattr(org, "kind", None),
        getattr(org, "council_id", None),
        getattr(org, "police_force_id", None),
        tuple(navigation_counts()),
    )
    sql, params = prepared_sql(key, lambda: _counts_sql(request, user))
    if not sql:
        return {}
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        names = [column[0] for column in cursor.description]
    return {name: int(value or 0) for name, value in zip(names, row, strict=True)}


def _counts_sql(request: HttpRequest, user: Any) -> tuple[str, list[Any]]:
    """One ``SELECT`` of every registered count for the user, each column named after its
    count ("" when the apps registered none for this user)."""
    parts: list[str] = []
    params: list[Any] = []
    for name, count in navigation_counts().items():
        rows = count(request, user)
        if rows is None:
            continue
        query = rows.order_by().values("pk").query
        alias = connections["default"].ops.quote_name(name)
        try:
            sql, part_params = query.get_compiler(using="default").as_sql()
        except EmptyResultSet:  # a queryset that can match nothing (``.none()``)
            parts.append(f"0 AS {alias}")
            continue
        # The SQL is the ORM's own compilation, its values passed as parameters.
        parts.append(
            f"(SELECT COUNT(*) FROM ({sql}) AS navigation_count_{len(parts)}) AS {alias}"  # noqa: S608
        )
        params.extend(part_params)
    return ("SELECT " + ", ".join(parts) if parts else ""), params
