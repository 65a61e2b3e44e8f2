"""On PostgreSQL the database itself keeps the audit append-only: a trigger refuses TRUNCATE
(as another refuses UPDATE and DELETE of rows), and the application's role, which does not own
the tables, holds no UPDATE, DELETE or TRUNCATE on the audit at all (docs/operations.md)."""

from __future__ import annotations

import importlib

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.privileges import app_role_sql
from sightline.audit.selectors import audit_verify
from tests.audit import tamper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: SQLite has no TRUNCATE, no roles and no statement triggers; "
        "there the keyed chain and the checkpoints show a change (audit migration 0004).",
    ),
]

ROLE = "sl_chain_app_test"  # created and dropped inside the test's transaction


def _sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)  # no parameters: the SQL's own % signs stay as they are


def _refuse_truncate_in_this_transaction() -> None:
    """Undo, for this transaction only, what tests/conftest.py sets so the flush can run."""
    _sql("SET LOCAL sightline.audit_truncate = ''")


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE access_auditevent",
        "TRUNCATE access_auditevent, access_auditchainhead",
        "TRUNCATE access_auditchainhead, access_auditevent RESTART IDENTITY CASCADE",
    ],
)
def test_truncating_the_audit_is_refused(statement):
    tamper.looks(3)
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
        _refuse_truncate_in_this_transaction()
        _sql(statement)
    assert AuditEvent.objects.count() == 3 and audit_verify().intact


def test_the_flush_exception_needs_the_owner_or_a_superuser():
    """The setting the test suite uses does nothing for a role that does not own the table."""
    tamper.looks(1)
    _sql(f"CREATE ROLE {ROLE} NOLOGIN")
    _sql(app_role_sql(ROLE))
    _sql(f"GRANT TRUNCATE ON access_auditevent TO {ROLE}")  # even were it granted
    with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
        _sql(f"SET LOCAL ROLE {ROLE}")
        _sql("TRUNCATE access_auditevent")
    assert AuditEvent.objects.count() == 1


def test_the_application_role_reads_and_appends_but_cannot_change_the_audit(settings, tmp_path):
    """The SQL that docs/operations.md gives (``sightline audit privileges``), applied to a
    role: it appends and moves the head, and is refused UPDATE, DELETE and TRUNCATE by the
    privileges themselves, before any trigger."""
    tamper.looks(2)
    _sql(f"CREATE ROLE {ROLE} NOLOGIN")
    _sql(app_role_sql(ROLE))
    _sql(f"SET ROLE {ROLE}")
    try:
        tamper.look()  # INSERT, and UPDATE of the chain head
        assert AuditChainHead.objects.get().seq == 3
        settings.SIGHTLINE_AUDIT_CHECKPOINTS = str(tmp_path / "checkpoints.jsonl")
        call_command("audit", "checkpoint")
        for statement in (
            "UPDATE access_auditevent SET purpose = 'changed'",
            "DELETE FROM access_auditevent",
            "TRUNCATE access_auditevent",
        ):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                _sql(statement)
    finally:
        _sql("RESET ROLE")
    assert audit_verify().intact


def test_the_migration_takes_the_rights_from_a_role_granted_everything():
    """A deployment that granted ALL on all tables to its application role is split by
    audit migration 0004."""
    migration = importlib.import_module(
        "sightline.audit.migrations.0004_refuse_truncate_and_revoke"
    )
    _sql(f"CREATE ROLE {ROLE} NOLOGIN")
    _sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {ROLE}")
    _sql("GRANT SELECT, DELETE ON access_auditevent TO PUBLIC")
    _sql(migration.FORWARD)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT has_table_privilege(%s, 'access_auditevent', 'UPDATE'),"
            " has_table_privilege(%s, 'access_auditevent', 'DELETE'),"
            " has_table_privilege(%s, 'access_auditevent', 'TRUNCATE'),"
            " has_table_privilege(%s, 'access_auditevent', 'INSERT'),"
            " has_table_privilege(%s, 'access_auditchainhead', 'UPDATE'),"
            " has_table_privilege('public', 'access_auditevent', 'DELETE')",
            [ROLE] * 5,
        )
        assert cursor.fetchone() == (False, False, False, True, True, False)


def test_the_documented_sql_is_the_one_the_command_prints(capsys):
    from pathlib import Path

    call_command("audit", "privileges", "--role", "sightline_app")
    printed = capsys.readouterr().out
    docs = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    assert printed.strip() in docs
