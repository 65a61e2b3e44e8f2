"""Changing the audit as someone with the database's owner rights could: behind the
application's back, with the append-only trigger disabled inside the test's transaction (so the
disabling is rolled back with the change)."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection

from sightline.audit.canonical import GENESIS, canonical, digest
from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb

TRIGGER = "access_auditevent_append_only"
REWRITTEN = ("version", "key_id", "prev_hash", "hash")


def look() -> AuditEvent:
    """One audit row: a look at some child's record, as the CLI's audit reader makes one."""
    child = uuid.uuid4()
    return audit_append(
        actor=None, verb=AuditVerb.AUDIT_VIEWED, obj=child, child=child, payload={"via": "test"}
    )


def looks(n: int) -> list[AuditEvent]:
    return [look() for _ in range(n)]


@contextlib.contextmanager
def as_owner() -> Iterator[None]:
    """What the database's owner may do: on PostgreSQL, disable the append-only trigger."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE access_auditevent DISABLE TRIGGER {TRIGGER}")
        yield
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE access_auditevent ENABLE TRIGGER {TRIGGER}")


__all__ = ["digest"]  # sealing with the real key: an insider who holds it


def sha256(event: AuditEvent) -> str:
    """What someone without the key can compute: the plain hash of versions 1 and 2."""
    return hashlib.sha256(canonical(event)).hexdigest()


def hmac_with(key_id: str, secret: bytes) -> Callable[[AuditEvent], str]:
    """Someone sealing rows with a key of their own, under an id they choose."""

    def seal(event: AuditEvent) -> str:
        event.key_id = key_id
        return hmac.new(secret, canonical(event), hashlib.sha256).hexdigest()

    return seal


def reseal_from(
    seq: int,
    seal: Callable[[AuditEvent], str],
    *,
    every: dict[str, Any] | None = None,
    **changes: Any,
) -> None:
    """Rewrite row ``seq`` (``changes``; ``every``: on each row from it on), then recompute
    its hash and every later row's with ``seal``, and move the head to the new last hash: a
    rewrite that leaves a consistent chain to anyone who cannot check the seal."""
    rows = list(AuditEvent.objects.order_by("seq"))
    prev = GENESIS if seq == 1 else next(r.hash for r in rows if r.seq == seq - 1)
    for row in rows:
        if row.seq < seq:
            continue
        for name, value in {**(every or {}), **(changes if row.seq == seq else {})}.items():
            setattr(row, name, value)
        row.prev_hash = prev
        row.hash = prev = seal(row)
        with as_owner():
            AuditEvent.objects.filter(pk=row.pk).update(
                **{n: getattr(row, n) for n in (*REWRITTEN, *changes, *(every or {}))}
            )
    AuditChainHead.objects.filter(pk=1).update(hash=prev)


def cut_tail(keep: int) -> None:
    """Remove every row after ``keep`` and move the head back to row ``keep``."""
    last = AuditEvent.objects.get(seq=keep)
    with as_owner():
        AuditEvent.objects.filter(seq__gt=keep).delete()
    AuditChainHead.objects.filter(pk=1).update(seq=keep, hash=last.hash)


def empty_the_audit() -> None:
    """Both tables emptied: on PostgreSQL by TRUNCATE as the test database's superuser, who
    may (tests/conftest.py); elsewhere by DELETE."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE access_auditevent, access_auditchainhead")
        else:
            cursor.execute("DELETE FROM access_auditevent")
            cursor.execute("DELETE FROM access_auditchainhead")
