"""Appending to the audit holds no global lock for the length of a transaction (ADR 21): a
transaction that appended and is still open does not stop another from appending and
committing. Sealing in the transaction (the behaviour before) does, and the same test shows
it, so that the test can tell the two apart."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: row locks and concurrent writers (SQLite has one writer).",
)

# Long enough never to be reached when nothing blocks; reached only by a hang.
HANG = 60


def _look(purpose: str) -> AuditEvent:
    child = uuid.uuid4()
    return audit_append(
        actor=None,
        verb=AuditVerb.AUDIT_VIEWED,
        obj=child,
        child=child,
        payload={"via": "test"},
        purpose=purpose,
    )


def _waiting_on_a_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [pid])
        row = cursor.fetchone()
    return row is not None and row[0] == "Lock"


def _a_holds_b_appends(settings, mode: str) -> dict[str, object]:
    """A appends and stays open until B has committed or B is seen waiting on a lock; B
    appends and commits. Returns what happened, in order."""
    settings.SIGHTLINE_AUDIT_SEAL = mode
    a_appended, b_committed = threading.Event(), threading.Event()
    b_pid: list[int] = []
    seen: dict[str, object] = {"order": []}
    errors: list[BaseException] = []

    def transaction_a() -> None:
        try:
            with transaction.atomic():
                _look("A")
                a_appended.set()
                while not b_committed.is_set():
                    if b_pid and _waiting_on_a_lock(b_pid[0]):
                        seen["b_blocked_by_open_a"] = True
                        break
                    b_committed.wait(timeout=0.01)  # a poll interval, not a threshold
                seen["order"].append("A commits")  # type: ignore[attr-defined]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def transaction_b() -> None:
        try:
            assert a_appended.wait(timeout=HANG)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                b_pid.append(cursor.fetchone()[0])
            with transaction.atomic():
                _look("B")
            seen["order"].append("B committed and sealed")  # type: ignore[attr-defined]
            b_committed.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=transaction_a), threading.Thread(target=transaction_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=HANG)
    assert not any(t.is_alive() for t in threads), "a transaction hung"
    assert errors == []
    return seen


@pytest.mark.django_db(transaction=True)
def test_an_open_transaction_that_appended_does_not_hold_up_another(settings):
    seen = _a_holds_b_appends(settings, "on-commit")
    assert seen["order"] == ["B committed and sealed", "A commits"]
    assert "b_blocked_by_open_a" not in seen
    rows = list(AuditEvent.objects.order_by("seq").values_list("purpose", "seq"))
    assert rows == [("B", 1), ("A", 2)]  # B sealed first: it committed first
    result = audit_verify()
    assert result.intact and result.checked == 2 and result.unsealed == 0


@pytest.mark.django_db(transaction=True)
def test_sealing_in_the_transaction_makes_the_other_wait(settings):
    """The old behaviour, kept as a setting: B waits on the head's lock until A commits."""
    seen = _a_holds_b_appends(settings, "in-transaction")
    assert seen.get("b_blocked_by_open_a") is True
    assert seen["order"] == ["A commits", "B committed and sealed"]
    assert audit_verify().intact


@pytest.mark.django_db(transaction=True)
def test_many_writers_sealing_on_commit_make_one_unbroken_chain(settings):
    """Writers in several connections, each transaction appending three events: every row
    is sealed once, in one gapless chain, each transaction's rows in the order appended."""
    settings.SIGHTLINE_AUDIT_SEAL = "on-commit"
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def append_some(n: int) -> None:
        try:
            start.wait(timeout=HANG)
            for i in range(8):
                with transaction.atomic():
                    for j in range(3):
                        _look(f"{n}-{i}-{j}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=append_some, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=HANG)
    assert errors == []
    rows = list(AuditEvent.objects.order_by("seq").values_list("seq", "purpose"))
    assert [seq for seq, _ in rows] == list(range(1, 97))
    position = {purpose: seq for seq, purpose in rows}
    for n in range(4):
        for i in range(8):
            trio = [position[f"{n}-{i}-{j}"] for j in range(3)]
            assert trio == sorted(trio)
    result = audit_verify()
    assert result.intact and result.checked == 96 and result.unsealed == 0
