"""Migration operations Django's own do not do safely on both databases.

``postgresql_only``: SQL that only PostgreSQL has a use for (triggers, roles, ``NOTIFY``), run
there and skipped on SQLite, forwards and backwards.

``DropFieldIndexes``: a field's own index dropped, the table left alone. Setting
``db_index=False`` with ``AlterField`` drops the index on PostgreSQL, but on SQLite Django
remakes the whole table to do it (a copy of every row, then drop and rename, which would also
drop any trigger on the table). This drops the one index by the name Django gave it, on either
database, and records the new field in the migration state only.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    """``forward`` (undone by ``backward``) on PostgreSQL; nothing on SQLite."""

    def run(sql: str) -> Any:
        def on_postgresql(apps: Any, schema_editor: Any) -> None:
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql, params=None)

        return on_postgresql

    return migrations.RunPython(run(forward), run(backward), elidable=False)


def field_index_names(schema_editor: Any, model: Any, field_name: str) -> tuple[str, str]:
    """The names Django gave a field's ``db_index``: the index
    (``BaseDatabaseSchemaEditor._field_indexes_sql``) and, on PostgreSQL, for a text column
    (a foreign key to a council's code, say), its ``varchar_pattern_ops`` twin for ``LIKE``."""
    column = model._meta.get_field(field_name).column
    table = model._meta.db_table
    return (
        schema_editor._create_index_name(table, [column], suffix=""),
        schema_editor._create_index_name(table, [column], suffix="_like"),
    )


class DropFieldIndexes(migrations.SeparateDatabaseAndState):
    """``AlterField`` operations that only set ``db_index=False``: applied to the state as
    given, and to the database as ``DROP INDEX IF EXISTS`` of each field's index and its
    ``LIKE`` twin (undone by Django's own statements creating them again)."""

    def __init__(self, *alterations: migrations.AlterField) -> None:
        fields = [(a.model_name, a.name) for a in alterations]

        def drop(apps: Any, schema_editor: Any) -> None:
            for model_name, field_name in fields:
                model = apps.get_model(self._app_label, model_name)
                for name in field_index_names(schema_editor, model, field_name):
                    schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

        def create(apps: Any, schema_editor: Any) -> None:
            for model_name, field_name in fields:
                model = apps.get_model(self._app_label, model_name)
                # As Django creates them: the index, and on PostgreSQL a text column's twin.
                field = model._meta.get_field(field_name)
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
                db_type = field.db_type(connection=schema_editor.connection) or ""
                if schema_editor.connection.vendor == "postgresql" and db_type.startswith(
                    ("varchar", "text")
                ):
                    ops = (
                        "varchar_pattern_ops"
                        if db_type.startswith("varchar")
                        else "text_pattern_ops"
                    )
                    schema_editor.execute(
                        schema_editor._create_index_sql(
                            model, fields=[field], suffix="_like", opclasses=[ops]
                        )
                    )

        super().__init__(
            state_operations=list(alterations),
            database_operations=[migrations.RunPython(drop, create)],
        )
        self._app_label = ""

    def database_forwards(self, app_label: str, *args: Any) -> None:
        self._app_label = app_label
        super().database_forwards(app_label, *args)

    def database_backwards(self, app_label: str, *args: Any) -> None:
        self._app_label = app_label
        super().database_backwards(app_label, *args)

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return self.__class__.__qualname__, list(self.state_operations), {}


def drop_like_twins(app_label: str, model_name: str, *field_names: str) -> migrations.RunPython:
    """On PostgreSQL, the ``varchar_pattern_ops`` twin that Django gives every unique text
    column, dropped (created again backwards): an equality or ``IN`` lookup uses the unique
    index, and a twin only serves ``LIKE 'prefix%'``, which nothing asks of a column named
    here. Nothing on SQLite, which has no twins."""

    def twins(apps: Any, schema_editor: Any) -> list[tuple[Any, Any, str]]:
        if schema_editor.connection.vendor != "postgresql":
            return []
        model = apps.get_model(app_label, model_name)
        fields = [model._meta.get_field(name) for name in field_names]
        return [
            (model, f, schema_editor._create_index_name(model._meta.db_table, [f.column], "_like"))
            for f in fields
        ]

    def drop(apps: Any, schema_editor: Any) -> None:
        for _, _, name in twins(apps, schema_editor):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")

    def create(apps: Any, schema_editor: Any) -> None:
        for model, field, _ in twins(apps, schema_editor):
            schema_editor.execute(
                schema_editor._create_index_sql(
                    model, fields=[field], suffix="_like", opclasses=["varchar_pattern_ops"]
                )
            )

    return migrations.RunPython(drop, create, elidable=False)
