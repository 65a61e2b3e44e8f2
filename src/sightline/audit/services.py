"""Appending to the audit: the only writer of ``AuditEvent``.

``audit_append`` locks the chain head (one row), inserts the event with ``prev_hash`` = the
head's hash and ``hash`` = the HMAC of its canonical form with the current audit key (whose
id the row records, ``keys.py``), and moves the head on, in the caller's transaction: the
audit row exists if and only if the change or the look it records does.
``audit_append_many`` seals many events under the same single lock (an import's one event
per child). Each event names its verb, the record it is about and, for a child's
information, the child; its payload is checked against the verb's schema before anything
is written.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from sightline.audit.canonical import CURRENT_VERSION, GENESIS, digest
from sightline.audit.keys import current_key
from sightline.audit.models import AuditChainHead, AuditEvent
from sightline.audit.verbs import AuditPayloadError, AuditVerb, validate_payload
from sightline.core.timeutil import now
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

HEAD_ID = 1
_BATCH = 500

# The verb (and, on version 1 rows, the action) of the row written when the chain head was
# missing although rows were there: ``audit_verify`` reports the chain broken at that row,
# for ever (rows after the one before it may have been removed along with the head).
HEAD_RECREATED = str(AuditVerb.CHAIN_HEAD_RECREATED)

# The head's ``seq`` between its insert and its initialisation, inside one transaction: no
# other connection ever sees it (they wait on the insert's unique key, then on the row lock).
_UNSET = -1


def _head_for_update() -> tuple[AuditChainHead, bool]:
    """The chain head, locked, and whether it had to be recreated from existing rows.

    Created when missing: on a new database, and after a test flush (TRUNCATE) emptied the
    tables. Missing while rows exist is never normal (someone removed it, perhaps with rows
    from the end): appends go on, so that no one is locked out of children's records, but
    the chain records it and verification fails from then on.

    Concurrent writers that all find the head missing race to insert it: exactly one insert
    wins (the others wait on its unique key and are ignored), and only the winner, holding
    the row lock, reads the last row and initialises the head. Reading the last row before
    the lock would let a loser see the winner's first row and take it for a lost head."""
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_ID).first()
    if head is not None:
        return head, False
    AuditChainHead.objects.bulk_create(
        [AuditChainHead(id=HEAD_ID, seq=_UNSET, hash="")], ignore_conflicts=True
    )
    head = AuditChainHead.objects.select_for_update().get(pk=HEAD_ID)
    if head.seq != _UNSET:
        return head, False  # another writer created it first and has committed
    last = AuditEvent.objects.order_by("-seq").first()
    if last is not None:
        logger.error("audit chain head missing: recreated at row %s", last.seq)
    head.seq, head.hash = (last.seq, last.hash) if last else (0, GENESIS)
    AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=head.seq, hash=head.hash)
    return head, last is not None


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
        id=uuid.uuid4(),
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
    """Seal the events onto the chain and insert them: lock the head once, insert in batches
    of ``_BATCH``, move the head. Returns the last event sealed (the one event of a single
    append); a bulk append keeps no more in memory than a batch, so that an import can seal
    one event for each of 80,000 children."""
    last: AuditEvent | None = None
    with transaction.atomic(savepoint=False):
        head, recreated = _head_for_update()
        stream: Iterator[AuditEvent] = iter(events)
        if recreated:
            marker = _event(
                verb=AuditVerb.CHAIN_HEAD_RECREATED,
                actor=None,
                obj="chain head",
                child=None,
                payload={"from_seq": head.seq},
                purpose=f"The chain head was missing; recreated from row {head.seq}",
                involvement="",
                grant=None,
                organisation=None,
                at=now(),
            )
            stream = itertools.chain([marker], stream)
        seq, prev = head.seq, head.hash
        while batch := list(itertools.islice(stream, _BATCH)):
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.hash = prev = digest(event)
            if len(batch) == 1:
                batch[0].save(force_insert=True)
            else:
                AuditEvent.objects.bulk_create(batch)
            last = batch[-1]
        if last is not None:
            AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=seq, hash=prev)
    return last


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
    description of the child. Cost: three statements (lock the head, insert, move the
    head); appends are serialised by the head's row lock on PostgreSQL and by IMMEDIATE
    transactions on SQLite.
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
    """Many events of one verb under one lock of the chain head, inserted in batches.

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
