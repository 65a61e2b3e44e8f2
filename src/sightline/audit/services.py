"""Appending to the audit: the only writer of ``AuditEvent``.

Appending is two steps (ADR 21):

1. ``audit_append`` inserts the event **unsealed** (no ``seq``, ``prev_hash`` or ``hash``) in
   the caller's transaction, without any lock: the audit row exists if and only if the change
   or the look it records does, and concurrent requests never wait on each other for it.
2. **Sealing** (``audit_seal``) locks the chain head (one row), gives every committed unsealed
   row, oldest id first, its ``seq``, ``prev_hash`` = the hash before it and ``hash`` = the
   HMAC of its canonical form with the current audit key (whose id the row records,
   ``keys.py``), and moves the head on. It runs, by default, just after the caller's
   transaction commits (``transaction.on_commit``) in a transaction of its own a few
   statements long, so the head's lock is held for milliseconds, not for the request. One
   seal seals every row waiting, so concurrent requests share it. A row left unsealed by a
   process that died between its commit and its seal is sealed by the next seal of anyone's,
   or by the worker's ``audit_seal`` job; ``audit_verify`` counts the rows still waiting.

``SIGHTLINE_AUDIT_SEAL = "worker"`` leaves the seal to the worker: a request only inserts its
rows, and the worker's ``audit_seal`` job seals every row waiting each
``SIGHTLINE_AUDIT_SEAL_SECONDS`` (1 in this mode). A request then spends no CPU and no
statement on the chain's head; rows wait about a second for their place in the chain
(``audit_verify`` counts them, ``/healthz`` says when the oldest waits too long).

``SIGHTLINE_AUDIT_SEAL = "in-transaction"`` seals in the caller's transaction instead, holding
the head's lock until it commits (the behaviour before ADR 21): for the test suite's tests
that run inside a transaction that never commits, where on-commit work never runs.

``audit_append_many`` appends many events at once (an import's one event per child). Each
event names its verb, the record it is about and, for a child's information, the child; its
payload is checked against the verb's schema before anything is written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from sightline.audit.canonical import CURRENT_VERSION, GENESIS, digest
from sightline.audit.keys import current_key
from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.verbs import AuditPayloadError, AuditVerb, validate_payload
from sightline.core.prepared import prepared
from sightline.core.timeutil import now
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

HEAD_ID = 1
_BATCH = 500

ON_COMMIT = "on-commit"
WORKER = "worker"
IN_TRANSACTION = "in-transaction"
SEAL_MODES = (ON_COMMIT, WORKER, IN_TRANSACTION)

# The verb (and, on version 1 rows, the action) of the row written when the chain head was
# missing although rows were there: ``audit_verify`` reports the chain broken at that row,
# for ever (rows after the one before it may have been removed along with the head).
HEAD_RECREATED = str(AuditVerb.CHAIN_HEAD_RECREATED)

# The head's ``seq`` between its insert and its initialisation, inside one transaction: no
# other connection ever sees it (they wait on the insert's unique key, then on the row lock).
_UNSET = -1


def seal_mode() -> str:
    mode = str(getattr(settings, "SIGHTLINE_AUDIT_SEAL", ON_COMMIT) or ON_COMMIT)
    return mode if mode in SEAL_MODES else ON_COMMIT


# --- Event ids: time-ordered, so that waiting rows are sealed in the order they were written --

_id_lock = threading.Lock()
_last_id_ms = 0
_id_counter = 0


def event_id() -> uuid.UUID:
    """A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that
    keeps ids from one process strictly increasing within a millisecond, then random bits.

    The sealer seals waiting rows in id order, so one transaction's events keep the order in
    which they were appended (uuid4 ids would shuffle them), and rows from different
    processes interleave roughly by time. The real clock is read, not ``now()``: tests that
    freeze ``now()`` still get increasing ids."""
    global _last_id_ms, _id_counter
    with _id_lock:
        ms = time.time_ns() // 1_000_000
        if ms > _last_id_ms:
            _last_id_ms, _id_counter = ms, 0
        else:
            _id_counter += 1
            if _id_counter > 0xFFF:  # 4,096 ids in a millisecond: borrow the next one
                _last_id_ms, _id_counter = _last_id_ms + 1, 0
        ms, counter = _last_id_ms, _id_counter
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return uuid.UUID(int=value)


# --- Sealing ------------------------------------------------------------------------------


def _head_locked() -> tuple[int, str] | None:
    """The chain head's ``seq`` and ``hash``, locked, in one statement written once (issue
    13: the ORM built it afresh for every seal); None when there is no head yet."""
    table = connection.ops.quote_name(AuditChainHead._meta.db_table)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    sql = f"SELECT seq, hash FROM {table} WHERE id = %s{lock}"  # noqa: S608 (names only)
    with connection.cursor() as cursor:
        cursor.execute(sql, [HEAD_ID])
        row = cursor.fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def _head_for_update() -> tuple[int, str, bool]:
    """The chain head's ``seq`` and ``hash``, locked, and whether it had to be recreated from
    existing rows.

    Created when missing: on a new database, and after a test flush (TRUNCATE) emptied the
    tables. Missing while sealed rows exist is never normal (someone removed it, perhaps with
    rows from the end): sealing goes on, so that no one is locked out of children's records,
    but the chain records it and verification fails from then on.

    Concurrent sealers that all find the head missing race to insert it: exactly one insert
    wins (the others wait on its unique key and are ignored), and only the winner, holding
    the row lock, reads the last row and initialises the head. Reading the last row before
    the lock would let a loser see the winner's first row and take it for a lost head."""
    locked = _head_locked()
    if locked is not None:
        return (*locked, False)
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(id=HEAD_ID, seq=_UNSET, hash="")], ignore_conflicts=True
    )
    locked = _head_locked()
    assert locked is not None  # inserted above, by this sealer or another
    if locked[0] != _UNSET:
        return (*locked, False)  # another sealer created it first and has committed
    last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").first()
    if last is not None:
        logger.error("audit chain head missing: recreated at row %s", last.seq)
    seq, hash_ = (last.seq or 0, last.hash or GENESIS) if last else (0, GENESIS)
    AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=seq, hash=hash_)
    return seq, hash_, last is not None


def _head_recreated_marker(from_seq: int) -> AuditEvent:
    return _event(
        verb=AuditVerb.CHAIN_HEAD_RECREATED,
        actor=None,
        obj="chain head",
        child=None,
        payload={"from_seq": from_seq},
        purpose=f"The chain head was missing; recreated from row {from_seq}",
        involvement="",
        grant=None,
        organisation=None,
        at=now(),
    )


@dataclass(frozen=True)
class _Seal:
    seq: int
    prev_hash: str
    hash: str


def _unsealed() -> Any:
    return AuditEvent.objects.filter(seq__isnull=True).order_by("id")[:_BATCH]


def _write_seals(batch: list[AuditEvent], seq: int, prev: str) -> None:
    """The batch's seals (one UPDATE of the three sealing columns per row, sent as one
    ``executemany``) and the head moved on to the last of them. Plain SQL written once:
    ``bulk_update`` compiled a ``CASE`` per row and column for every seal (issue 13)."""
    events = connection.ops.quote_name(AuditEvent._meta.db_table)
    head = connection.ops.quote_name(AuditChainHead._meta.db_table)
    pk = AuditEvent._meta.pk
    assert pk is not None
    rows = [
        (event.seq, event.prev_hash, event.hash, pk.get_db_prep_value(event.id, connection))
        for event in batch
    ]
    seal_rows = f"UPDATE {events} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s"  # noqa: S608
    move_head = f"UPDATE {head} SET seq = %s, hash = %s WHERE id = %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(seal_rows, rows)
        cursor.execute(move_head, [seq, prev, HEAD_ID])


def _seal(*, keep: frozenset[uuid.UUID] = frozenset()) -> tuple[int, dict[uuid.UUID, _Seal]]:
    """Seal every unsealed row this connection can see, under one lock of the head: how many,
    and the seals of the rows in ``keep`` (so an in-transaction append can hand its event
    back sealed). Runs in a transaction of its own, or inside the caller's."""
    sealed = 0
    kept: dict[uuid.UUID, _Seal] = {}
    with transaction.atomic(savepoint=False):
        seq, prev, recreated = _head_for_update()
        if recreated:
            marker = _head_recreated_marker(seq)
            seq += 1
            marker.seq, marker.prev_hash = seq, prev
            marker.hash = prev = digest(marker)
            marker.save(force_insert=True)
            sealed += 1
            AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=seq, hash=prev)
        while True:
            batch: list[AuditEvent] = prepared("audit.unsealed", _unsealed)
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.hash = prev = digest(event)
                if event.id in keep:
                    kept[event.id] = _Seal(seq, event.prev_hash, event.hash)
            if batch:
                _write_seals(batch, seq, prev)
                sealed += len(batch)
            if len(batch) < _BATCH:
                break
    return sealed, kept


def audit_seal() -> int:
    """Seal every committed row still waiting (after a crash between a commit and its seal,
    or on demand: ``sightline audit seal``, the worker's ``audit_seal`` job). Returns how many
    rows it sealed."""
    return _seal()[0]


def _seal_after_commit() -> None:
    """The on-commit step. A failure here loses nothing: the rows stay unsealed, protected by
    the database like sealed ones, and the next seal (anyone's, or the worker's) seals them."""
    try:
        _seal()
    except DatabaseError:
        logger.exception("audit rows left unsealed: the next seal or the worker will seal them")


def seal_job(*, now: dt.datetime, should_stop: Any) -> int:
    """The worker's periodic seal: every row waiting (mode ``worker``) or rows a dead process
    left unsealed (the other modes). Cheap when none wait (one look at a partial index, no
    lock)."""
    if not AuditEvent.objects.filter(seq__isnull=True).exists():
        return 0
    return audit_seal()


def _seal_scheduled() -> bool:
    return any(entry[1] is _seal_after_commit for entry in connection.run_on_commit)


def audit_unsealed() -> tuple[int, dt.datetime | None]:
    """How many committed rows wait to be sealed, and when the oldest was written."""
    waiting = AuditEvent.objects.filter(seq__isnull=True)
    oldest = waiting.order_by("at").values_list("at", flat=True).first()
    return (waiting.count() if oldest is not None else 0), oldest


def audit_oldest_unsealed() -> dt.datetime | None:
    """When the oldest row still waiting for its seal was written (None: none wait)."""
    return (
        AuditEvent.objects.filter(seq__isnull=True).order_by("at").values_list("at", flat=True)
    ).first()


def _id(value: Any) -> Any:
    """A model instance's key, or the value itself (an id)."""
    return getattr(value, "pk", value)


@dataclass(frozen=True)
class AuditEntry:
    """One event of a bulk append: the record, the child and the payload that differ."""

    obj: Any
    child: Any = None
    payload: Mapping[str, Any] = field(default_factory=dict)


def _event(
    *,
    verb: AuditVerb,
    actor: User | None,
    obj: Any,
    child: Any,
    payload: Mapping[str, Any],
    purpose: str,
    involvement: str,
    grant: Any,
    organisation: Organisation | None,
    at: dt.datetime,
) -> AuditEvent:
    verb = AuditVerb(verb)
    spec = verb.spec
    object_id = str(_id(obj) if obj is not None else "")
    if not object_id:
        raise AuditPayloadError(f"{verb}: every event names the {spec.object_type} it is about")
    org = organisation if organisation is not None else (actor.organisation if actor else None)
    child_id = _id(child)
    grant_id = _id(grant)
    return AuditEvent(
        id=event_id(),
        version=CURRENT_VERSION,
        at=at,
        kind=spec.kind,
        verb=str(verb),
        action=str(verb),
        user_id=actor.pk if actor else None,
        username=actor.get_username() if actor else "",
        organisation_id=org.pk if org else None,
        child_id=uuid.UUID(str(child_id)) if child_id else None,
        purpose=purpose[:200],
        involvement=involvement[:200],
        grant_id=uuid.UUID(str(grant_id)) if grant_id else None,
        object_type=spec.object_type,
        object_id=object_id[:64],
        payload=validate_payload(verb, payload),
        key_id=current_key().id,
    )


def _chain(events: Iterable[AuditEvent]) -> AuditEvent | None:
    """Insert the events unsealed, in batches of ``_BATCH`` (a bulk append keeps no more in
    memory than a batch, so an import can append one event for each of 80,000 children),
    then seal them: after the commit, or now (``SIGHTLINE_AUDIT_SEAL``). Returns the last
    event inserted (the one event of a single append), with its seal when sealed now."""
    last: AuditEvent | None = None
    stream: Iterator[AuditEvent] = iter(events)
    mode = seal_mode()
    # Outside any transaction the insert commits at the end of its own block: seal straight
    # after it, as on commit, and hand the event back sealed.
    alone = mode == ON_COMMIT and not transaction.get_connection().in_atomic_block
    with transaction.atomic(savepoint=False):
        while batch := list(itertools.islice(stream, _BATCH)):
            if len(batch) == 1:
                batch[0].save(force_insert=True)
            else:
                AuditEvent.objects.bulk_create(batch)
            last = batch[-1]
        if last is None:
            return None
        if mode == IN_TRANSACTION:
            _keep_seal(last)
        elif mode == WORKER:
            pass  # the worker's audit_seal job seals it within a second
        elif not alone and not _seal_scheduled():
            transaction.on_commit(_seal_after_commit, robust=True)
    if alone:
        try:
            _keep_seal(last)
        except DatabaseError:
            logger.exception("audit rows left unsealed: the next seal or the worker will seal them")
    return last


def _keep_seal(event: AuditEvent) -> None:
    """Seal the waiting rows and give ``event`` its seal."""
    _, kept = _seal(keep=frozenset([event.id]))
    if (seal := kept.get(event.id)) is not None:
        event.seq, event.prev_hash, event.hash = seal.seq, seal.prev_hash, seal.hash


def audit_append(
    *,
    actor: User | None,
    verb: AuditVerb,
    obj: Any,
    child: Any = None,
    payload: Mapping[str, Any] | None = None,
    purpose: str = "",
    involvement: str = "",
    grant: Any = None,
    organisation: Organisation | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or a new one).

    ``obj`` and ``child`` are model instances or ids; ``actor`` None is Sightline itself (an
    import, the worker). ``purpose`` is why a user looked (s.62 DPA 2018), never a
    description of the child. Cost in the caller's transaction: one insert and no lock. The
    event is returned unsealed (``seq`` None) unless sealed in the transaction; its seal
    follows the commit (four statements, shared by every append of the transaction and by
    other transactions' rows waiting at the same moment).
    """
    event = _event(
        verb=verb,
        actor=actor,
        obj=obj,
        child=child,
        payload=payload or {},
        purpose=purpose,
        involvement=involvement,
        grant=grant,
        organisation=organisation,
        at=at or now(),
    )
    _chain([event])
    return event


def audit_append_many(
    *,
    actor: User | None,
    verb: AuditVerb,
    entries: Iterable[AuditEntry],
    purpose: str = "",
    organisation: Organisation | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Many events of one verb, inserted in batches and sealed together.

    ``entries`` may be a generator: events are built, checked and sealed a batch at a
    time, so a national import's 80,000 events never sit in memory at once."""
    when = at or now()
    _chain(
        _event(
            verb=verb,
            actor=actor,
            obj=entry.obj,
            child=entry.child,
            payload=entry.payload,
            purpose=purpose,
            involvement="",
            grant=None,
            organisation=organisation,
            at=when,
        )
        for entry in entries
    )
