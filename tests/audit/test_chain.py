"""The audit is a hash chain: editing or removing one row is found and named."""

import datetime as dt
import itertools
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from sightline.access.policy import Action, access_child
from sightline.audit.canonical import GENESIS, digest
from sightline.audit.models import AuditChainHead, AuditEvent, AuditKind
from sightline.audit.selectors import audit_verify
from sightline.audit.services import HEAD_RECREATED, audit_append
from sightline.audit.verbs import AuditVerb
from sightline.organisations.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def _look() -> AuditEvent:
    """A look at some child's record, as the CLI's audit reader makes one."""
    child = uuid.uuid4()
    return audit_append(
        actor=None, verb=AuditVerb.AUDIT_VIEWED, obj=child, child=child, payload={"via": "test"}
    )


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: the append-only trigger, and row locks.",
)


@pytest.fixture
def looks():
    """Five looks at one child by a Stockport coordinator: five audit rows."""
    provider = f.provider_org()
    child = f.child(placing_code="210")
    f.placement(child, f.setting(provider), start=dt.date(2025, 3, 3), home_postcode="SE1 2QH")
    user = f.user(f.council_org("356"), Role.MISSING_COORDINATOR)
    for n in range(5):
        access_child(user, child.id, action=Action.VIEW, purpose=f"look {n}")
    return {"child": child, "user": user, "rows": list(AuditEvent.objects.order_by("seq"))}


def _behind_the_apps_back(sql: str, params: list) -> None:
    """Change the table as a database owner could: on PostgreSQL, with the trigger disabled
    (inside the test's transaction, so it is enabled again when the test ends)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE access_auditevent DISABLE TRIGGER access_auditevent_append_only"
            )
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(
                "ALTER TABLE access_auditevent ENABLE TRIGGER access_auditevent_append_only"
            )


def test_each_look_is_a_row_chained_to_the_one_before(looks):
    rows = [r for r in looks["rows"] if r.kind == AuditKind.READ]
    assert [r.purpose for r in rows] == [f"look {n}" for n in range(5)]
    all_rows = looks["rows"]
    assert [r.seq for r in all_rows] == list(range(1, len(all_rows) + 1))
    assert all_rows[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(all_rows):
        assert after.prev_hash == before.hash
    for row in all_rows:
        assert row.hash == digest(row)
    first = rows[0]
    assert first.user_id == looks["user"].id
    assert first.organisation_id == looks["user"].organisation_id
    assert first.child_id == looks["child"].id
    assert (first.verb, first.payload, first.version) == (
        AuditVerb.CHILD_VIEWED,
        {"action": "view"},
        3,
    )
    assert first.object_type == "access record" and first.object_id
    assert "host council" in first.involvement
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (all_rows[-1].seq, all_rows[-1].hash)


def test_verify_passes_on_an_intact_chain(looks, capsys):
    result = audit_verify()
    assert result.intact and result.checked == len(looks["rows"])
    call_command("audit", "verify")
    assert f"intact: {len(looks['rows'])} rows" in capsys.readouterr().out


def test_editing_one_row_makes_verify_fail_and_name_it(looks):
    target = looks["rows"][2]
    _behind_the_apps_back(
        "UPDATE access_auditevent SET purpose = %s WHERE seq = %s", ["nothing to see", target.seq]
    )
    result = audit_verify()
    assert not result.intact
    assert (result.seq, result.event_id) == (target.seq, target.id)
    with pytest.raises(CommandError) as failed:
        call_command("audit", "verify")
    assert failed.value.returncode == 1
    assert f"broken at row {target.seq} (id {target.id})" in str(failed.value)
    assert "was altered" in str(failed.value)


def test_a_row_rehashed_after_editing_is_still_found(looks):
    """Whoever recomputes the edited row's own hash breaks the link to the next row."""
    target, following = looks["rows"][1], looks["rows"][2]
    target.purpose = "rewritten"
    _behind_the_apps_back(
        "UPDATE access_auditevent SET purpose = %s, hash = %s WHERE seq = %s",
        ["rewritten", digest(target), target.seq],
    )
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, following.seq, following.id)
    assert f"does not follow row {target.seq}" in result.problem


def test_a_row_deleted_in_the_middle_is_named_as_missing(looks):
    gone, after = looks["rows"][3], looks["rows"][4]
    _behind_the_apps_back("DELETE FROM access_auditevent WHERE seq = %s", [gone.seq])
    result = audit_verify()
    assert (result.intact, result.seq) == (False, gone.seq)
    assert f"Row {gone.seq} is missing" in result.problem and str(after.id) in result.problem
    with pytest.raises(CommandError, match=f"broken at row {gone.seq}"):
        call_command("audit", "verify")


def test_rows_removed_from_the_end_are_found_through_the_chain_head(looks):
    last = looks["rows"][-1]
    _behind_the_apps_back("DELETE FROM access_auditevent WHERE seq = %s", [last.seq])
    result = audit_verify()
    assert (result.intact, result.seq) == (False, last.seq)
    assert "missing from the end" in result.problem


def test_a_new_database_gets_a_head_on_the_first_append():
    """A new database, or a test flush (TRUNCATE) that emptied both tables, has no head row:
    the first append makes it, from the start of the chain."""
    AuditChainHead.objects.all().delete()
    AuditEvent.objects.all().delete()  # SQLite: no trigger; an empty table, as after TRUNCATE
    first = _look()
    assert (first.seq, first.prev_hash) == (1, GENESIS)
    assert audit_verify().intact


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="PostgreSQL refuses to delete audit rows"
)
def test_head_and_last_rows_removed_are_found(looks):
    """Removing the last rows and the head: verify says the head is missing; the next append
    goes on (nobody is locked out of a child's record) but records that the head was
    recreated, and verify fails at that row from then on."""
    last = looks["rows"][-1]
    _behind_the_apps_back("DELETE FROM access_auditevent WHERE seq = %s", [last.seq])
    AuditChainHead.objects.all().delete()
    result = audit_verify()
    assert (result.intact, result.seq) == (False, last.seq - 1)
    assert "chain head is missing" in result.problem

    next_look = _look()
    marker = AuditEvent.objects.get(seq=last.seq)
    assert marker.action == "chain head recreated" and next_look.seq == last.seq + 1
    result = audit_verify()
    assert (result.intact, result.seq, result.event_id) == (False, marker.seq, marker.id)
    assert f"recreated from row {last.seq - 1}" in result.problem
    with pytest.raises(CommandError, match=f"broken at row {marker.seq}"):
        call_command("audit", "verify")


def test_rows_added_behind_the_head_are_found(looks):
    head = AuditChainHead.objects.get()
    AuditChainHead.objects.filter(pk=head.pk).update(seq=head.seq - 1, hash=looks["rows"][-2].hash)
    result = audit_verify()
    assert (result.intact, result.seq) == (False, head.seq)
    assert "added after the chain head" in result.problem


@on_postgresql
def test_postgresql_refuses_update_and_delete_of_audit_rows(looks):
    row = looks["rows"][0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).update(purpose="changed")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=row.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM access_auditevent")
    assert AuditEvent.objects.get(pk=row.pk).purpose == row.purpose
    assert audit_verify().intact


@pytest.mark.django_db(transaction=True)
def test_the_chain_survives_a_flush_between_transactional_tests():
    """pytest-django empties tables with TRUNCATE, which the statement trigger lets through
    only for the test database's owner or superuser (tests/conftest.py); appends restart."""
    event = _look()
    assert event.seq >= 1
    assert audit_verify().intact


def test_a_look_costs_three_audit_statements(looks):
    """Lock the head, insert, move the head: the measured cost of the audit on each look."""
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        access_child(looks["user"], looks["child"].id, action=Action.VIEW, purpose="again")
    audit = [q["sql"] for q in queries.captured_queries if "access_audit" in q["sql"]]
    assert len(audit) == 3, audit
    if connection.vendor == "postgresql":
        assert "FOR UPDATE" in audit[0]


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_make_one_unbroken_chain():
    """Writers in several connections queue on the head's lock: no fork, no gap.

    They start together on an empty chain (no head row yet), so they also race to create
    the head: only one may, and none may take the winner's first row for a lost head."""
    import threading

    from django.db import connections

    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def append_some() -> None:
        try:
            start.wait(timeout=30)
            for _ in range(10):
                with transaction.atomic():
                    _look()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_some) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 41))
    assert not AuditEvent.objects.filter(action=HEAD_RECREATED).exists()
    assert audit_verify().intact


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_writers_arriving_one_after_another_create_a_missing_head_once(round_):
    """Staggered writers on an empty chain: a late one must not take an early one's first row
    for the remains of a lost head (it did, and wrote "chain head recreated" rows)."""
    import threading
    import time

    from django.db import connections

    errors: list[BaseException] = []

    def append_one(delay: float) -> None:
        try:
            time.sleep(delay)
            with transaction.atomic():
                _look()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_one, args=(i * 0.002,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not AuditEvent.objects.filter(action=HEAD_RECREATED).exists()
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 9))
    assert audit_verify().intact
