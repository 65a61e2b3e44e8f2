"""The audit of children's information: an append-only chain of rows, each sealed with the
hash of the one before it.

``audit_append`` is the only writer. It locks the chain head (one row), inserts the event with
``prev_hash`` = the head's hash and ``hash`` = SHA-256 over the event's canonical form, and
moves the head on, in the caller's transaction: the audit row exists if and only if the change
or the look it records does. ``audit_verify`` walks the chain and names the first row that was
altered or is missing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from sightline.access.models import AuditChainHead, AuditEvent, AuditKind
from sightline.core.timeutil import now
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_ID = 1

# The fields the hash covers, in the canonical form. Changing this list (or how a value is
# written) breaks every existing chain: add a new version of the form instead.
CANONICAL_FIELDS = (
    "id",
    "seq",
    "at",
    "kind",
    "action",
    "user_id",
    "username",
    "organisation_id",
    "child_id",
    "purpose",
    "involvement",
    "grant_id",
    "object_type",
    "object_id",
    "prev_hash",
)


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def canonical(event: AuditEvent) -> bytes:
    """The bytes the hash is taken over: sorted-key JSON of the fields, UTF-8."""
    data = {name: _value(getattr(event, name)) for name in CANONICAL_FIELDS}
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def digest(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


# The action of the row written when the chain head was missing although rows were there:
# ``audit_verify`` reports the chain broken at that row, for ever (rows after the one before
# it may have been removed along with the head).
HEAD_RECREATED = "chain head recreated"


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


def _event(
    *,
    kind: str,
    action: str,
    user: User | None,
    child_id: Any,
    purpose: str,
    involvement: str,
    grant_id: uuid.UUID | None,
    object_type: str,
    object_id: Any,
    organisation: Organisation | None,
    at: dt.datetime,
) -> AuditEvent:
    org = organisation if organisation is not None else (user.organisation if user else None)
    return AuditEvent(
        id=uuid.uuid4(),
        at=at,
        kind=AuditKind(kind),
        action=str(action)[:40],
        user_id=user.pk if user else None,
        username=user.get_username() if user else "",
        organisation_id=org.pk if org else None,
        child_id=uuid.UUID(str(child_id)) if child_id else None,
        purpose=purpose[:200],
        involvement=involvement[:200],
        grant_id=grant_id,
        object_type=object_type[:40],
        object_id=str(object_id or "")[:64],
    )


def _chain(events: list[AuditEvent]) -> list[AuditEvent]:
    """Seal the events onto the chain and insert them: lock, one insert, move the head."""
    with transaction.atomic(savepoint=False):
        asked = events
        head, recreated = _head_for_update()
        if recreated:
            events = [
                _event(
                    kind=AuditKind.WRITE,
                    action=HEAD_RECREATED,
                    user=None,
                    child_id=None,
                    purpose=f"The chain head was missing; recreated from row {head.seq}",
                    involvement="",
                    grant_id=None,
                    object_type="audit",
                    object_id="",
                    organisation=None,
                    at=now(),
                ),
                *events,
            ]
        seq, prev = head.seq, head.hash
        for event in events:
            seq += 1
            event.seq, event.prev_hash = seq, prev
            event.hash = prev = digest(event)
        if len(events) == 1:
            events[0].save(force_insert=True)
        else:
            AuditEvent.objects.bulk_create(events, batch_size=500)
        AuditChainHead.objects.filter(pk=HEAD_ID).update(seq=seq, hash=prev)
    return asked


def audit_append(
    *,
    kind: str,
    action: str,
    user: User | None,
    child_id: Any,
    purpose: str = "",
    involvement: str = "",
    grant_id: uuid.UUID | None = None,
    object_type: str = "",
    object_id: Any = "",
    organisation: Organisation | None = None,
    at: dt.datetime | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or a new one).

    Cost: three statements (lock the head, insert, move the head). Appends are serialised by
    the head's row lock on PostgreSQL and by IMMEDIATE transactions on SQLite.
    """
    event = _event(
        kind=kind,
        action=action,
        user=user,
        child_id=child_id,
        purpose=purpose,
        involvement=involvement,
        grant_id=grant_id,
        object_type=object_type,
        object_id=object_id,
        organisation=organisation,
        at=at or now(),
    )
    return _chain([event])[0]


def audit_reads(
    *, user: User, child_ids: Iterable[Any], action: str, purpose: str
) -> list[AuditEvent]:
    """One read event per child listed in an export, sealed in one append."""
    at = now()
    events = [
        _event(
            kind=AuditKind.READ,
            action=action,
            user=user,
            child_id=child_id,
            purpose=purpose,
            involvement="",
            grant_id=None,
            object_type="",
            object_id="",
            organisation=None,
            at=at,
        )
        for child_id in dict.fromkeys(child_ids)
    ]
    return _chain(events) if events else []


# --- Verification --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    checked: int
    seq: int | None = None
    event_id: uuid.UUID | None = None
    problem: str = ""
    head_hash: str = GENESIS


def audit_verify(*, chunk_size: int = 2000) -> VerifyResult:
    """Walk the chain from row 1 and stop at the first row that was altered or is missing."""
    expected, prev, checked = 1, GENESIS, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=chunk_size):
        if event.seq != expected:
            return VerifyResult(
                False,
                checked,
                seq=expected,
                problem=(
                    f"Row {expected} is missing: the row after row {expected - 1} is row "
                    f"{event.seq} (id {event.id})."
                ),
            )
        if digest(event) != event.hash:
            return VerifyResult(
                False,
                checked,
                seq=event.seq,
                event_id=event.id,
                problem=f"Row {event.seq} (id {event.id}) was altered: its hash does not match "
                "its contents.",
            )
        if event.prev_hash != prev:
            return VerifyResult(
                False,
                checked,
                seq=event.seq,
                event_id=event.id,
                problem=f"Row {event.seq} (id {event.id}) does not follow row {event.seq - 1}: "
                "one of the two was altered, or a row was put between them.",
            )
        if event.action == HEAD_RECREATED and event.object_type == "audit":
            return VerifyResult(
                False,
                checked,
                seq=event.seq,
                event_id=event.id,
                problem=f"The chain head was missing when row {event.seq} was written and "
                f"was recreated from row {event.seq - 1}: rows after row {event.seq - 1} may "
                "have been removed with it.",
            )
        prev, checked, expected = event.hash, checked + 1, expected + 1
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first()
    if head is None and checked:
        return VerifyResult(
            False,
            checked,
            seq=checked,
            problem=f"The chain head is missing: rows after row {checked} may have been "
            "removed with it.",
        )
    if head is not None and head.seq < checked:
        return VerifyResult(
            False,
            checked,
            seq=head.seq + 1,
            problem=f"Rows {head.seq + 1} to {checked} were added after the chain head: "
            "they were not written by Sightline's audit.",
        )
    if head is not None and head.seq > checked:
        return VerifyResult(
            False,
            checked,
            seq=checked + 1,
            problem=f"Rows {checked + 1} to {head.seq} are missing from the end of the chain.",
        )
    if head is not None and head.seq == checked and head.hash != prev:
        return VerifyResult(
            False,
            checked,
            seq=checked,
            problem=f"The chain head does not match row {checked}: the last row was altered.",
        )
    return VerifyResult(True, checked, head_hash=prev)


# --- Reading the audit ---------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    seq: int
    at: dt.datetime
    kind: str
    action: str
    username: str
    organisation: str
    purpose: str
    involvement: str
    grant_id: str
    object_type: str
    object_id: str


CSV_HEADER = [
    "sequence",
    "at (UTC)",
    "viewed or changed",
    "action",
    "user",
    "organisation",
    "purpose",
    "involvement",
    "grant",
    "record type",
    "record id",
]


def audit_for_child(*, child_id: Any) -> Iterator[AuditLine]:
    """Who viewed or changed one child's record, oldest first (subject access, s.62 DPA 2018).

    Call only after the policy allowed the reader (``Action.VIEW_AUDIT``) or from the CLI.
    """
    events = list(AuditEvent.objects.filter(child_id=child_id).order_by("seq"))
    org_ids = {e.organisation_id for e in events if e.organisation_id}
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("id", "name"))
    for e in events:
        yield AuditLine(
            seq=e.seq,
            at=e.at,
            kind=AuditKind(e.kind).label,
            action=e.action,
            username=e.username or "(system)",
            organisation=(
                names.get(e.organisation_id, str(e.organisation_id)) if e.organisation_id else ""
            ),
            purpose=e.purpose,
            involvement=e.involvement,
            grant_id=str(e.grant_id or ""),
            object_type=e.object_type,
            object_id=e.object_id,
        )


def _cell(value: str) -> str:
    # No spreadsheet formulas from data (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_row(line: AuditLine) -> list[str]:
    cells = [
        str(line.seq),
        line.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
        line.kind,
        line.action,
        line.username,
        line.organisation,
        line.purpose,
        line.involvement,
        line.grant_id,
        line.object_type,
        line.object_id,
    ]
    return [_cell(c) for c in cells]
