"""Reads whose SQL the ORM builds once per process, not once per request (issue 13, ADR 53).

Profiled, Django spent about six times as long building a hot read's SQL (``filter``,
``annotate``, the compiler's ``as_sql``) as sending it and reading the answer. The reads
every request makes (the access check's child with its involvements, the navigation's counts)
have a fixed shape for a given kind of user and change only in their values, so:

``prepared(key, build, **values)`` calls ``build(**values)`` (a function returning a
queryset) the first time a ``key`` is seen, twice, with two sets of stand-in values of the
same types, and compiles both. Where a parameter of the compiled SQL is the stand-in of a
value in both builds, it is that value's slot; where it is the same in both, it is a
constant; anything else (a value the build read from somewhere else: the clock, a setting)
makes the read unpreparable, and it is built afresh on every call instead, as before (logged
once). Later calls send the same SQL with the new values in their slots, through the same
compiler (so model instances, ``select_related`` and annotations come back exactly as from
the queryset itself).

Only UUIDs, integers, dates and datetimes are slots (ids and moments), and the strings a
caller names in ``text`` (an API key's prefix; a tuple of strings so named is a slot per
item, like a tuple of ids: the front doors' addresses). ``None``, booleans, other strings (a kind, a
reason: they usually choose what the build adds) and anything else may change a query's shape
(``IS NULL``, ``IN (...)``, another ``EXISTS``) and are part of the key. A tuple of ids (an
``IN`` list) is a slot per item, its length part of the key. The London date
is part of every key too, so that a build that reads today's date itself is rebuilt each day
at worst.

On PostgreSQL the constants the build itself writes (a status, a kind, a flag) are written
into the SQL as literals, so that every plan knows them; the strings the caller gave stay
parameters (``_constants_written``, ADR 64).

The cache is per thread (each thread has its own database connection) and holds one entry
per key: callers make keys of what shapes the query (the kind of organisation, the action),
not of who asks.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.sql.subqueries import UpdateQuery

from sightline.core.timeutil import clock, now, today

logger = logging.getLogger(__name__)

R = TypeVar("R")  # a row: a model instance, or a tuple or value of ``values_list``

_SLOT_TYPES = (uuid.UUID, int, dt.datetime, dt.date)


@dataclass(frozen=True)
class _Entry:
    ok: bool  # False: not preparable, built on every call
    template: QuerySet[Any] | None  # None for SQL built by hand (``prepared_sql``)
    compiler: Any
    sql: str
    # (value's name, or (name, index) in a tuple of ids; how the database is sent it), or
    # (None, constant)
    slots: tuple[tuple[Any, Any], ...]
    # The compiler's converters of its columns (``SQLCompiler.get_converters``), found once:
    # the same columns every time, and asking each for its converters cost as much as
    # building a small query (issue 13).
    converters: dict[tuple[int, ...], Any] = field(default_factory=dict)


# Keys per user (``prepared_sql``) are many: the cache starts again past this many entries.
_MAX_ENTRIES = 2000

_local = threading.local()


def _cache() -> dict[Any, _Entry]:
    cache: dict[Any, _Entry] | None = getattr(_local, "cache", None)
    if cache is None:
        cache = _local.cache = {}
    return cache


def _name(key: Any) -> str:
    return str(key[0] if isinstance(key, tuple) else key)


def prepared_clear() -> None:
    """Forget every prepared read of this thread (tests that change the schema's shape)."""
    _cache().clear()


def _slot_group(value: Any, name: str = "", text: frozenset[str] = frozenset()) -> bool:
    """A tuple of ids (an ``IN`` list): each item is a slot, its length part of the key. A
    tuple of strings too when ``text`` names it (addresses compared with ``IN``)."""
    if not isinstance(value, tuple) or not value:
        return False
    if name in text and all(isinstance(v, str) for v in value):
        return True
    return all(_slottable(v) and not isinstance(v, str) for v in value)


def _value(values: dict[str, Any], leaf: Any) -> Any:
    if isinstance(leaf, tuple):
        return values[leaf[0]][leaf[1]]
    return values[leaf]


def _slottable(value: Any, name: str = "", text: frozenset[str] = frozenset()) -> bool:
    if isinstance(value, str):
        return name in text
    return isinstance(value, _SLOT_TYPES) and not isinstance(value, bool)


def _stand_in(value: Any, rng: random.SystemRandom) -> Any:
    """A value of the same type that no real value will equal by chance."""
    if isinstance(value, str):
        return f"prepared-{rng.getrandbits(64):016x}"
    if isinstance(value, uuid.UUID):
        return uuid.UUID(int=rng.getrandbits(128), version=4)
    if isinstance(value, int):
        # Inside a 32-bit integer column's range; on a smaller column PostgreSQL's overflow
        # handling drops the condition in both builds alike, which ``_prepare`` catches (a
        # slot's value must reach the parameters).
        return rng.randrange(10**8, 2**31 - 1)
    if isinstance(value, dt.datetime):
        return dt.datetime(1901, 1, 1, tzinfo=value.tzinfo) + dt.timedelta(
            microseconds=rng.randrange(1, 10**15)
        )
    return dt.date(1901, 1, 1) + dt.timedelta(days=rng.randrange(1, 30000))


def _apart(one: Any, other: Any) -> bool:
    """Whether two stand-ins differ in every part a build might derive from them (a date's
    year, month and day; a moment's hour and minute too): a part they shared would reach the
    SQL as the same number in both builds and be taken for a constant."""
    if isinstance(one, dt.date):
        parts: tuple[str, ...] = ("year", "month", "day")
        if isinstance(one, dt.datetime):
            parts += ("hour", "minute")
        return all(getattr(one, p) != getattr(other, p) for p in parts)
    return bool(one != other)


def _stand_ins(value: Any, rng: random.SystemRandom) -> tuple[Any, Any]:
    one = _stand_in(value, rng)
    other = _stand_in(value, rng)
    while not _apart(one, other):
        other = _stand_in(value, rng)
    return one, other


def _compile(built: Any) -> tuple[Any, str, tuple[Any, ...]]:
    if isinstance(built, tuple):  # SQL and parameters already
        return None, built[0], tuple(built[1])
    compiler = built.query.get_compiler(using=built.db)
    sql, params = compiler.as_sql()
    return compiler, sql, tuple(params)


def _same(value: Any) -> Any:
    return value


def _transforms(using: str) -> tuple[Callable[[Any], Any], ...]:
    """How a value may reach the database's parameters: as it is (PostgreSQL), or adapted
    by the backend (SQLite sends UUIDs as hex and datetimes as text)."""
    ops = connections[using].ops

    def hexed(value: Any) -> Any:
        return value.hex if isinstance(value, uuid.UUID) else value

    def moment(value: Any) -> Any:
        return ops.adapt_datetimefield_value(value) if isinstance(value, dt.datetime) else value

    def day(value: Any) -> Any:
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return ops.adapt_datefield_value(value)
        return value

    # psycopg 3 is sent an integer as its column's size (``Int2``, ``Int4``, ``Int8``: the ORM's
    # ``adapt_integerfield_value``), which an integer slot must keep.
    sized = tuple(
        functools.partial(_sized, wrap)
        for wrap in dict.fromkeys(getattr(ops, "integerfield_type_map", {}).values())
    )
    return (_same, hexed, moment, day, *sized)


def _sized(wrap: Callable[[int], Any], value: Any) -> Any:
    return wrap(value) if type(value) is int else value


def _prepare(
    build: Callable[..., Any],
    values: dict[str, Any],
    using: str,
    text: frozenset[str] = frozenset(),
    *,
    every_slot_used: bool = True,
) -> _Entry:
    rng = random.SystemRandom()
    names = [name for name, value in values.items() if _slottable(value, name, text)]
    groups = [name for name, value in values.items() if _slot_group(value, name, text)]
    first, second = dict(values), dict(values)
    for n in names:
        first[n], second[n] = _stand_ins(values[n], rng)
    for n in groups:
        pairs = [_stand_ins(v, rng) for v in values[n]]
        first[n] = tuple(one for one, _ in pairs)
        second[n] = tuple(other for _, other in pairs)
    template = build(**first)
    try:
        compiler, sql, params = _compile(template)
        _, sql_again, params_again = _compile(build(**second))
    except EmptyResultSet:  # a build that can match nothing: left to the ORM
        return _Entry(False, None, None, "", ())
    if sql != sql_again or len(params) != len(params_again):
        return _Entry(False, None, None, "", ())
    leaves: list[tuple[Any, Any, Any]] = [(n, first[n], second[n]) for n in names]
    leaves += [((n, i), first[n][i], second[n][i]) for n in groups for i in range(len(values[n]))]
    transforms = _transforms(using)
    slots: list[tuple[Any, Any]] = []
    for a, b in zip(params, params_again, strict=True):
        slot = next(
            (
                (leaf, t)
                for leaf, one, other in leaves
                for t in transforms
                if type(a) is type(t(one)) and a == t(one) and b == t(other)
            ),
            None,
        )
        if slot is not None:
            slots.append(slot)
        elif type(a) is type(b) and a == b:
            slots.append((None, a))
        else:
            return _Entry(False, None, None, "", ())
    # Every slot's value must reach the SQL: a condition the database dropped for the
    # stand-ins (PostgreSQL drops a comparison with a number out of its column's range) would
    # be dropped for every later value too.
    used = {leaf for leaf, _ in slots if leaf is not None}
    if every_slot_used and any(leaf not in used for leaf, _, _ in leaves):
        return _Entry(False, None, None, "", ())
    entry = _Entry(True, template if compiler is not None else None, compiler, sql, tuple(slots))
    # And the real values must give the same SQL with themselves in the slots: a build whose
    # shape follows a value (``if on >= SWITCH``) is caught on its first use here. Builds must
    # not choose their shape from a slot's value (a later value could choose another shape).
    try:
        _, real_sql, real_params = _compile(build(**values))
    except EmptyResultSet:
        return _Entry(False, None, None, "", ())
    if real_sql != sql or list(real_params) != _params(entry, values):
        return _Entry(False, None, None, "", ())
    return _constants_written(entry, using, given=_strings_given(values))


_PLACEHOLDER = re.compile(r"%%|%s")


def _strings_given(values: dict[str, Any]) -> frozenset[str]:
    """The strings a caller passed (a council's code, a reason): part of the key, not slots."""
    given: set[str] = set()
    for value in values.values():
        items = value if isinstance(value, tuple | list | frozenset | set) else (value,)
        given.update(str.__str__(v) for v in items if isinstance(v, str))
    return frozenset(given)


def _literal(leaf: Any, how: Any, given: frozenset[str]) -> bool:
    """A constant the SQL may hold as a literal: a kind, a status, a flag that the build
    itself writes. A string the caller gave stays a parameter even though it is part of the
    key: a council's or a police force's code would otherwise make one statement per council
    for PostgreSQL to prepare (about 170), where there is one for all."""
    if leaf is not None or not isinstance(how, str | bool):
        return False
    return isinstance(how, bool) or str.__str__(how) not in given


def _constants_written(entry: _Entry, using: str, *, given: frozenset[str]) -> _Entry:
    """On PostgreSQL, the constant strings and booleans written into the SQL as literals
    rather than sent as parameters (ADR 64, amended).

    PostgreSQL plans a prepared statement once for any values after its fifth execution (a
    generic plan), and a parameter's value is then unknown to the planner: the worker's
    ``status IN ($2, $3) ... LIMIT 1`` ("is anything due?") was planned as a scan of every
    delivery ever made, expecting a match at once, while the statuses it asks for are a
    handful of rows an index finds. Written into the SQL, the constants are known to every
    plan (a skewed column's statistics, a partial index's condition) and the statement's text
    is still the same on every call, so it is prepared as before. SQLite plans each statement
    afresh and is left as it is."""
    if connections[using].vendor != "postgresql":
        return entry
    if not any(_literal(leaf, how, given) for leaf, how in entry.slots):
        return entry
    if sum(m.group() == "%s" for m in _PLACEHOLDER.finditer(entry.sql)) != len(entry.slots):
        return entry  # not the ORM's positional placeholders: left as it is
    from psycopg import sql as psycopg_sql

    connections[using].ensure_connection()
    raw = connections[using].connection
    slots = iter(entry.slots)
    kept: list[tuple[Any, Any]] = []

    def written(match: re.Match[str]) -> str:
        if match.group() == "%%":
            return "%%"
        leaf, how = next(slots)
        if _literal(leaf, how, given):
            # A choices enum's member as its value (``str.__str__``), not its ``repr``.
            value = how if isinstance(how, bool) else str.__str__(how)
            return psycopg_sql.Literal(value).as_string(raw).replace("%", "%%")
        kept.append((leaf, how))
        return "%s"

    sql = _PLACEHOLDER.sub(written, entry.sql)
    return replace(entry, sql=sql, slots=tuple(kept))


def _params(entry: _Entry, values: dict[str, Any]) -> list[Any]:
    return [how(_value(values, leaf)) if leaf is not None else how for leaf, how in entry.slots]


def _entry(
    key: Any, build: Callable[..., Any], values: dict[str, Any], slotted: frozenset[str]
) -> _Entry:
    fixed = tuple(
        sorted(
            (n, len(v) if _slot_group(v, n, slotted) else v)
            for n, v in values.items()
            if not _slottable(v, n, slotted)
        )
    )
    full_key = (key, fixed, today(), id(connections["default"]))
    cache = _cache()
    entry = cache.get(full_key)
    if entry is None:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        entry = _prepare(build, values, "default", slotted)
        cache[full_key] = entry
        if not entry.ok:
            logger.warning("read not prepared (built on every call): %s", _name(key))
    return entry


def prepared(
    key: Any,
    build: Callable[..., QuerySet[Any, R]],
    /,
    *,
    text: tuple[str, ...] = (),
    **values: Any,
) -> list[R]:
    """``build(**values)``'s rows, with its SQL built once per process for ``key`` (see the
    module's docstring). A list, not a queryset: the queryset behind it was built from the
    stand-ins, and a filter chained on it would run their query (or the cached SQL) rather
    than a new one. ``text`` names the string values that are slots (compared with ``=``,
    never choosing what the build adds)."""
    entry = _entry(key, build, values, frozenset(text))
    if not entry.ok or entry.template is None:
        return list(build(**values))
    params = _params(entry, values)
    compiler = copy.copy(entry.compiler)
    sql = entry.sql
    compiler.as_sql = lambda *args, **kwargs: (sql, params)
    compiler.get_converters = functools.partial(
        _converters, entry.converters, entry.compiler.get_converters
    )
    queryset = entry.template.all()  # a clone, evaluated afresh
    queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
    return list(queryset)  # evaluated now, through the compiler above


def _converters(
    found: dict[tuple[int, ...], Any], find: Callable[[Any], Any], expressions: Any
) -> Any:
    """``get_converters`` of a prepared read's compiler, asked of the same columns (the
    cached compiler's own expressions) every time: found once per entry."""
    key = tuple(map(id, expressions))
    converters = found.get(key)
    if converters is None:
        converters = found[key] = find(expressions)
    return converters


def update_sql(queryset: QuerySet[Any], **fields: Any) -> tuple[str, list[Any]]:
    """The SQL and parameters of ``queryset.update(**fields)``, for ``prepared_update``'s
    builds: a filter on the model's own table only (the ORM rewrites one that joins into a
    subquery, which this gives as well, but an update of related models it does not)."""
    query = queryset.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)
    query.add_update_values(fields)
    if query.get_related_updates():
        raise ValueError("update_sql: an update of related models is not a single statement")
    sql, params = query.get_compiler(queryset.db).as_sql()
    return sql, list(params)


def prepared_update(
    key: Any,
    build: Callable[..., tuple[str, list[Any]]],
    /,
    *,
    text: tuple[str, ...] = (),
    **values: Any,
) -> int:
    """A write whose SQL ``build(**values)`` gives (``update_sql`` of a queryset), built once
    per process for ``key`` under the rules of ``prepared`` (the values that shape it in the
    key, the others slots); sent with the values in their slots. Returns the rows changed."""
    entry = _entry(key, build, values, frozenset(text))
    sql, params = (entry.sql, _params(entry, values)) if entry.ok else build(**values)
    if not sql:
        return 0  # nothing to set
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.rowcount)


def prepared_sql(
    key: Any, build: Callable[[], tuple[str, list[Any]]], *, using: str = "default"
) -> tuple[str, list[Any]]:
    """The SQL and parameters ``build()`` makes, built once per ``key`` (which must hold
    everything the SQL's shape depends on: the user, their role and organisation...), with
    the clock's values in their slots: ``build`` reads the time through ``core.timeutil``,
    and is prepared under two stand-in clocks (``timeutil.clock``)."""
    values = {"at": now(), "on": today()}

    def timed(*, at: dt.datetime, on: dt.date) -> tuple[str, list[Any]]:
        with clock(at=at, on=on):
            return build()

    full_key = (key, today(), id(connections[using]))
    cache = _cache()
    entry = cache.get(full_key)
    if entry is None:
        if len(cache) >= _MAX_ENTRIES:
            cache.clear()
        # The clock's two values are offered; a build may read only one of them.
        entry = _prepare(timed, values, using, every_slot_used=False)
        cache[full_key] = entry
        if not entry.ok:
            logger.warning("read not prepared (built on every call): %s", _name(key))
    if not entry.ok:
        return build()
    return entry.sql, [
        how(_value(values, leaf)) if leaf is not None else how for leaf, how in entry.slots
    ]


def is_prepared(key: Any) -> bool:
    """Whether a read was prepared under ``key`` in this thread (for tests)."""
    return any(k[0] == key and e.ok for k, e in _cache().items())
