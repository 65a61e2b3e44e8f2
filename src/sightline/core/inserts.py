"""Rows written as ``bulk_create`` writes them, without its per-row compiler work (issue 13,
ADR 60).

Profiled, a missing report's four bulk inserts (its three alerts, their outbox rows, their
events and the episode's links to them) cost more than any read: Django's ``bulk_create``
builds an ``InsertQuery`` and a compiler each time, runs every value through the compiler's
``prepare_value`` and, on PostgreSQL, checks each column's type and each value again to send
every column as an array for ``UNNEST`` (dumped item by item in Python by psycopg's client-side
binding), then asks for the ids back though it set them itself.

``insert_rows(objs)`` writes the same rows: for each object, the same ``pre_save`` (the
``auto_now``/``auto_now_add`` timestamps: ``timezone.now()`` per field and per row, in the
fields' order, set on the object as the ORM sets them), the same checks of related objects
(``bulk_create() prohibited to prevent data loss due to unsaved related object``), the same
values (``get_db_prep_save``, skipped only where it is the identity: a ``str`` for a text
field, a ``bool`` for a boolean field, an ``int`` for an integer field, ``None``, and on
PostgreSQL a ``UUID`` for a UUID column, a ``date`` for a date and an aware ``datetime`` for
a moment), and marks the
objects saved. The statement is built once per model and database:

* PostgreSQL: ``INSERT ... SELECT (r->>0)::uuid, ... FROM json_array_elements(%s::json)``:
  the rows as one JSON document (``json.dumps``, in C), each column cast to its type without
  its length (as Django's ``UNNEST`` does: a text too long for its column is refused by the
  column, not cut short by the cast);
* SQLite: one ``INSERT ... VALUES (%s, ...)`` per row through ``executemany``.

Only the field types listed in ``_KINDS`` are taken (what the outbox's tables use); any other
is refused when the statement is built, so a model that grows a new kind of column is caught
by its first test, not written wrongly.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connections, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)

# Field class (as Django reports it, ``get_internal_type``) → PostgreSQL cast and the Python
# types whose ``get_db_prep_save`` is the value itself on every backend.
_KINDS: dict[str, tuple[str, tuple[type, ...]]] = {
    "CharField": ("varchar", (str,)),
    "TextField": ("text", (str,)),
    "EmailField": ("varchar", (str,)),
    "URLField": ("varchar", (str,)),
    "SlugField": ("varchar", (str,)),
    "BooleanField": ("boolean", (bool,)),
    "IntegerField": ("integer", (int,)),
    "SmallIntegerField": ("smallint", (int,)),
    "BigIntegerField": ("bigint", (int,)),
    "PositiveIntegerField": ("integer", (int,)),
    "PositiveSmallIntegerField": ("smallint", (int,)),
    "PositiveBigIntegerField": ("bigint", (int,)),
    "AutoField": ("integer", (int,)),  # as a relation's target only (see ``_plan``)
    "SmallAutoField": ("smallint", (int,)),
    "BigAutoField": ("bigint", (int,)),
    "UUIDField": ("uuid", ()),
    "DateTimeField": ("timestamptz", ()),
    "DateField": ("date", ()),
}


@dataclass(frozen=True)
class _Column:
    field: models.Field[Any, Any]
    attname: str
    identity: tuple[type, ...]  # value types sent as they are
    aware: bool  # a moment sent as it is only with its time zone
    auto_now: bool  # ``pre_save`` sets ``timezone.now()``


@dataclass(frozen=True)
class _Plan:
    sql: str
    columns: tuple[_Column, ...]
    relations: tuple[models.Field[Any, Any], ...]
    json: bool  # PostgreSQL: one JSON document; else executemany


_plans: dict[tuple[type[models.Model], str, str], _Plan] = {}


def _kind(field: models.Field[Any, Any]) -> str:
    target = field.target_field if field.is_relation else field  # type: ignore[attr-defined]
    kind = target.get_internal_type()
    if kind not in _KINDS:
        raise TypeError(f"insert_rows: {field.model.__name__}.{field.name} is a {kind}")
    if field.has_db_default():  # ``bulk_create`` would read it back
        raise TypeError(f"insert_rows: {field.model.__name__}.{field.name} has a db_default")
    pre_save = type(field).pre_save
    if pre_save not in (
        models.Field.pre_save,
        models.DateField.pre_save,
        models.DateTimeField.pre_save,
    ):
        raise TypeError(f"insert_rows: {field.model.__name__}.{field.name} has its own pre_save")
    if (
        isinstance(field, models.DateField)
        and not isinstance(field, models.DateTimeField)
        and (field.auto_now or field.auto_now_add)  # ``date.today()``: not taken
    ):
        raise TypeError(f"insert_rows: {field.model.__name__}.{field.name} is auto_now")
    return kind


def _plan(model: type[models.Model], using: str) -> _Plan:
    connection = connections[using]
    key = (model, using, connection.vendor)
    plan = _plans.get(key)
    if plan is not None:
        return plan
    opts = model._meta
    if opts.pk is None or opts.pk.get_internal_type().endswith("AutoField"):
        # Its ids come from the database: ``bulk_create`` reads them back, this does not.
        raise TypeError(f"insert_rows: {model.__name__}'s ids are the database's")
    fields = [f for f in opts.concrete_fields if not f.generated]
    native = connection.vendor == "postgresql"
    columns: list[_Column] = []
    casts: list[str] = []
    for field in fields:
        kind = _kind(field)
        cast, identity = _KINDS[kind]
        if native:  # what PostgreSQL's ``get_db_prep_save`` leaves as it is
            identity = {
                "UUIDField": (uuid.UUID,),
                "DateTimeField": (dt.datetime,),
                "DateField": (dt.date,),
            }.get(kind, identity)
        columns.append(
            _Column(
                field=field,
                attname=field.attname,
                identity=identity,
                aware=native and kind == "DateTimeField",
                auto_now=isinstance(field, models.DateTimeField)
                and bool(field.auto_now or field.auto_now_add),
            )
        )
        casts.append(cast)
    # Table and column names from the model, quoted; the values are parameters.
    qn = connection.ops.quote_name
    names = ", ".join(qn(str(f.column)) for f in fields)
    if native:
        selects = ", ".join(f"(r->>{i})::{cast}" for i, cast in enumerate(casts))
        sql = (
            f"INSERT INTO {qn(opts.db_table)} ({names}) "  # noqa: S608
            f"SELECT {selects} FROM json_array_elements(%s::json) AS r"
        )
    else:
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {qn(opts.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    plan = _Plan(
        sql=sql,
        columns=tuple(columns),
        relations=tuple(f for f in fields if f.is_relation),
        json=native,
    )
    _plans[key] = plan
    return plan


def _check_related(obj: models.Model, relations: Sequence[models.Field[Any, Any]]) -> None:
    """``Model._prepare_related_fields_for_save`` for the concrete relations (what
    ``bulk_create`` calls), over the relations only."""
    for field in relations:
        if not field.is_cached(obj):  # type: ignore[attr-defined]
            continue
        related = getattr(obj, field.name, None)
        if not related:
            continue
        if not related._is_pk_set():
            remote: Any = field.remote_field
            if not remote.multiple:
                remote.delete_cached_value(related)
            raise ValueError(
                "bulk_create() prohibited to prevent data loss due to unsaved related object "
                f"'{field.name}'."
            )
        if getattr(obj, field.attname) in field.empty_values:
            setattr(obj, field.name, related)
        target = field.target_field  # type: ignore[attr-defined]
        if getattr(related, target.attname) != getattr(obj, field.attname):
            field.delete_cached_value(obj)  # type: ignore[attr-defined]


def _json_value(value: Any) -> Any:
    """A value as JSON whose text PostgreSQL reads back as the same value."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise TypeError("insert_rows: a naive datetime reached the database")
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"insert_rows: cannot send a {type(value).__name__}")


def insert_rows(objs: Sequence[M], *, using: str = "default") -> Sequence[M]:
    """Insert these new objects of one model (their primary keys set, as ``BaseModel``'s
    UUIDs are on creation) as ``Model.objects.bulk_create(objs)`` would: the same rows, the
    same timestamps set on the objects, which are then saved. One statement on PostgreSQL,
    whatever the number of rows."""
    if not objs:
        return objs
    model = type(objs[0])
    if any(type(obj) is not model for obj in objs):
        raise TypeError("insert_rows: objects of one model at a time")
    plan = _plan(model, using)
    connection = connections[using]
    now = timezone.now
    rows: list[list[Any]] = []
    for obj in objs:
        if obj.pk is None:
            obj.pk = model._meta.pk.get_pk_value_on_save(obj)
        _check_related(obj, plan.relations)
        row: list[Any] = []
        for column in plan.columns:
            if column.auto_now:
                value = now()
                setattr(obj, column.attname, value)
            else:
                value = getattr(obj, column.attname)
            if value is not None and (
                type(value) not in column.identity
                or (column.aware and value.utcoffset() is None)  # the ORM warns, makes it aware
            ):
                value = column.field.get_db_prep_save(value, connection=connection)
            row.append(value)
        rows.append(row)
    with connection.cursor() as cursor:
        if plan.json:
            document = json.dumps(
                [[_json_value(v) for v in row] for row in rows],
                ensure_ascii=False,
                separators=(",", ":"),
                allow_nan=False,
            )
            cursor.execute(plan.sql, [document])
        else:
            with transaction.atomic(using=using, savepoint=False):
                cursor.executemany(plan.sql, rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def insert_plan_clear() -> None:
    """Forget the statements built (tests that change a model's columns)."""
    _plans.clear()
