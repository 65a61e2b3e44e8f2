"""Moving the audit to its own app keeps the rows: a database at the access app's audit
(before the move) with rows in it migrates forward, and the chain still verifies, old rows as
version 1 beside new rows as version 2."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sightline.audit.canonical import GENESIS, digest
from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb

BEFORE = [("audit", None)]  # the access app's audit: access 0005, no audit app


def _old_row(seq: int, prev: str) -> AuditEvent:
    row = AuditEvent(
        id=uuid.uuid4(),
        seq=seq,
        version=1,
        at=dt.datetime(2026, 11, 30, 14, 5, 37, 123456, tzinfo=dt.UTC),
        kind="read",
        action="view",
        user_id=None,
        username="",
        organisation_id=None,
        child_id=uuid.uuid4(),
        purpose=f"Welfare check {seq}",
        involvement="host council of the current placement",
        grant_id=None,
        object_type="access record",
        object_id=str(uuid.uuid4()),
        prev_hash=prev,
    )
    row.hash = digest(row)
    return row


def _insert_without_the_new_columns(rows: list[AuditEvent]) -> None:
    columns = [
        "id", "seq", "at", "kind", "action", "user_id", "username", "organisation_id",
        "child_id", "purpose", "involvement", "grant_id", "object_type", "object_id",
        "prev_hash", "hash",
    ]  # fmt: skip
    with connection.cursor() as cursor:
        for row in rows:
            values = [getattr(row, c) for c in columns]
            values = [
                connection.ops.adapt_datetimefield_value(v)
                if isinstance(v, dt.datetime)
                else (v.hex if connection.vendor == "sqlite" else str(v))
                if isinstance(v, uuid.UUID)
                else v
                for v in values
            ]
            cursor.execute(
                f"INSERT INTO access_auditevent ({', '.join(columns)}) "
                f"VALUES ({', '.join(['%s'] * len(columns))})",
                values,
            )
        cursor.execute(
            "INSERT INTO access_auditchainhead (id, seq, hash) VALUES (1, %s, %s)",
            [rows[-1].seq, rows[-1].hash],
        )


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_verify_after_it():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    try:
        first = _old_row(1, GENESIS)
        second = _old_row(2, first.hash)
        _insert_without_the_new_columns([first, second])
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert list(AuditEvent.objects.values_list("seq", "version", "verb", "payload")) == [
        (1, 1, "", {}),
        (2, 1, "", {}),
    ]
    result = audit_verify()
    assert result.intact and result.checked == 2
    child = uuid.uuid4()
    new = audit_append(
        actor=None, verb=AuditVerb.AUDIT_VIEWED, obj=child, child=child, payload={"via": "test"}
    )
    assert (new.seq, new.version, new.prev_hash) == (3, 3, second.hash)
    assert audit_verify().intact
