"""Reading the audit: verifying the chain, and who viewed or changed one child's record."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q

from sightline.audit.canonical import GENESIS, KEYED_FROM, UnknownKeyError, digest
from sightline.audit.checkpoints import FoundCheckpoint
from sightline.audit.lists import children_digest
from sightline.audit.models import AuditChainHead, AuditEvent, AuditKind, AuditListedChild
from sightline.audit.services import HEAD_ID, HEAD_RECREATED, audit_unsealed
from sightline.audit.verbs import AuditVerb
from sightline.core.calendar import LONDON
from sightline.organisations.models import Organisation

# --- Verification --------------------------------------------------------------------------


class _UnknownVersion(Exception):
    pass


def _digest(event: AuditEvent) -> str:
    """The row's digest. ``UnknownKeyError`` when it was sealed with a key this server does
    not hold; ``_UnknownVersion`` when its version is one Sightline does not know (a row
    whose version was altered is an altered row)."""
    try:
        return digest(event)
    except UnknownKeyError:
        raise
    except (KeyError, ValueError) as exc:
        raise _UnknownVersion from exc


@dataclass(frozen=True)
class VerifyResult:
    intact: bool
    checked: int
    seq: int | None = None
    event_id: uuid.UUID | None = None
    problem: str = ""
    head_hash: str = GENESIS
    # With checkpoints: how many were compared, and the latest (by sequence) that matched.
    checkpoints: int = 0
    latest_checkpoint: FoundCheckpoint | None = None
    # Committed rows not yet sealed (ADR 21): normal for a moment after each commit; rows
    # that stay are those of a process that died before sealing, sealed by the worker or
    # ``sightline audit seal``.
    unsealed: int = 0
    oldest_unsealed: dt.datetime | None = None


def _broken(checked: int, seq: int, problem: str, event: AuditEvent | None = None) -> VerifyResult:
    return VerifyResult(
        False, checked, seq=seq, event_id=event.id if event else None, problem=problem
    )


def _row_problem(event: AuditEvent, prev: str, keyed: bool) -> str:
    """What is wrong with this row of the walk, or ""."""
    seq = event.seq or 0  # the walk reads sealed rows only
    label = f"Row {seq} (id {event.id})"
    try:
        sealed = _digest(event)
    except UnknownKeyError:
        return (
            f"{label} was sealed with audit key {event.key_id!r}, which this server does not "
            "hold: if that key was retired, add it to SIGHTLINE_AUDIT_OLD_KEYS; otherwise the "
            "row was forged."
        )
    except _UnknownVersion:
        sealed = ""
    if sealed != event.hash:
        return f"{label} was altered: its hash does not match its contents."
    if event.prev_hash != prev:
        return (
            f"{label} does not follow row {seq - 1}: one of the two was altered, or a "
            "row was put between them."
        )
    if keyed and event.version < KEYED_FROM:
        return (
            f"{label} is sealed without the key (version {event.version}) after keyed rows: "
            "it was rewritten by someone who does not hold the audit key."
        )
    if event.action == HEAD_RECREATED and event.object_type == "audit":
        return (
            f"The chain head was missing when row {seq} was written and was recreated "
            f"from row {seq - 1}: rows after row {seq - 1} may have been removed "
            "with it."
        )
    return ""


def audit_verify(
    *, chunk_size: int = 2000, checkpoints: Sequence[FoundCheckpoint] | None = None
) -> VerifyResult:
    """Walk the chain from row 1 and stop at the first row that was altered or is missing;
    then compare the head, and each checkpoint given, with what the walk found. Rows not yet
    sealed are not on the chain: they are counted (``unsealed``), not walked."""
    wanted = {c.checkpoint.seq for c in checkpoints or () if c.checkpoint}
    seen: dict[int, AuditEvent] = {}
    expected, prev, checked, keyed = 1, GENESIS, 0, False
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    for event in sealed.iterator(chunk_size=chunk_size):
        if event.seq != expected:
            return _broken(
                checked,
                expected,
                f"Row {expected} is missing: the row after row {expected - 1} is row "
                f"{event.seq} (id {event.id}).",
            )
        if problem := _row_problem(event, prev, keyed):
            return _broken(checked, event.seq, problem, event)
        if event.seq in wanted:
            seen[event.seq] = event
        keyed = keyed or event.version >= KEYED_FROM
        prev, checked, expected = event.hash or "", checked + 1, expected + 1
    head = AuditChainHead.objects.filter(pk=HEAD_ID).first()
    if head is None and checked:
        return _broken(
            checked,
            checked,
            f"The chain head is missing: rows after row {checked} may have been removed with it.",
        )
    if head is not None and head.seq < checked:
        return _broken(
            checked,
            head.seq + 1,
            f"Rows {head.seq + 1} to {checked} were added after the chain head: they were not "
            "written by Sightline's audit.",
        )
    if head is not None and head.seq > checked:
        return _broken(
            checked,
            checked + 1,
            f"Rows {checked + 1} to {head.seq} are missing from the end of the chain.",
        )
    if head is not None and head.seq == checked and head.hash != prev:
        return _broken(
            checked,
            checked,
            f"The chain head does not match row {checked}: the last row was altered.",
        )
    broken = _listed_children_broken(checked=checked)
    if broken is not None:
        return broken
    unsealed, oldest = audit_unsealed()
    if checkpoints is not None:
        result = _against_checkpoints(checkpoints, seen, checked, prev)
    else:
        result = VerifyResult(True, checked, head_hash=prev)
    return dataclasses.replace(result, unsealed=unsealed, oldest_unsealed=oldest)


def _against_checkpoints(
    found: Sequence[FoundCheckpoint], seen: dict[int, AuditEvent], checked: int, last_hash: str
) -> VerifyResult:
    """An intact chain compared with the checkpoints: each must be signed, see no row beyond
    the end of the chain, and see the hash the chain has at its sequence."""
    for bad in found:
        if bad.problem:
            return _broken(checked, checked, f"The checkpoint on line {bad.line} {bad.problem}.")
    good = sorted(
        ((c, c.checkpoint) for c in found if c.checkpoint is not None), key=lambda p: p[1].seq
    )
    if good and good[-1][1].seq > checked:
        latest, cp = good[-1]
        if checked == 0:
            problem = (
                f"The audit is empty, but {latest.where()} saw {cp.seq} rows: the audit "
                "tables were emptied."
            )
        else:
            problem = (
                f"The chain ends at row {checked}, but {latest.where()} saw row {cp.seq}: "
                f"rows {checked + 1} to {cp.seq} were removed from the end and the chain "
                "head moved back."
            )
        return _broken(checked, checked + 1, problem)
    for c, cp in good:
        row = seen.get(cp.seq)
        matches = cp.hash == (row.hash if row is not None else GENESIS)
        if not matches:
            return _broken(
                checked,
                cp.seq,
                f"Row {cp.seq} does not match {c.where()}: the chain up to row {cp.seq} was "
                "rewritten since that checkpoint (rows replaced, or cut and appended again, "
                "with the key).",
                row,
            )
    return VerifyResult(
        True,
        checked,
        head_hash=last_hash,
        checkpoints=len(good),
        latest_checkpoint=good[-1][0] if good else None,
    )


# The verbs whose children are rows of ``AuditListedChild`` (``audit.lists``).
NAMING_VERBS = (AuditVerb.CHILDREN_LISTED, AuditVerb.CHILDREN_EXPORTED)


def _listed_children_broken(*, checked: int) -> VerifyResult | None:
    """The first list read whose children rows no longer match the digest its (chained)
    payload holds, or rows that belong to no list read. Both streams come ordered by event
    id and are merged, so memory stays flat however long the audit is."""
    events = (
        AuditEvent.objects.filter(verb__in=NAMING_VERBS)
        .order_by("id")
        .values_list("id", "seq", "payload")
        .iterator(chunk_size=2000)
    )
    rows = (
        AuditListedChild.objects.order_by("event_id")
        .values_list("event_id", "child_id")
        .iterator(chunk_size=5000)
    )
    groups = (
        (key, [c for _, c in group]) for key, group in itertools.groupby(rows, lambda r: r[0])
    )
    event, group = next(events, None), next(groups, None)
    while event is not None or group is not None:
        if group is None or (event is not None and event[0] < group[0]):
            assert event is not None
            event_id, seq, payload = event
            children: list[Any] = []
            event = next(events, None)
        elif event is None or group[0] < event[0]:
            return VerifyResult(
                False,
                checked,
                event_id=group[0],
                problem=f"Children are listed under audit event {group[0]}, which is not a "
                "list read or export on the chain: rows were added beside the chain.",
            )
        else:
            event_id, seq, payload = event
            children = group[1]
            event, group = next(events, None), next(groups, None)
        if children_digest(children) != payload.get("children"):
            return VerifyResult(
                False,
                checked,
                seq=seq,
                event_id=event_id,
                problem=f"The children named by the list read or export at row {seq} "
                f"(id {event_id}) do not match the digest the row holds: children were added, "
                "removed or changed beside the chain.",
            )
    return None


# --- Reading the audit ---------------------------------------------------------------------


@dataclass(frozen=True)
class AuditLine:
    seq: int | None  # None: written, waiting for its seal (ADR 21)
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


def _action(event: AuditEvent) -> str:
    """What the row says was done: the verb, or for a look the policy's name for what was
    looked at ("view safety profile"); version 1 rows say it in their own words."""
    if event.verb == AuditVerb.CHILDREN_LISTED:
        payload = event.payload
        return f"{event.verb} ({payload.get('where')}, page {payload.get('page')})"
    if event.verb == AuditVerb.CHILDREN_EXPORTED:
        return f"{event.verb} ({event.payload.get('export')})"
    if event.version >= 2 and event.verb:
        return str(event.payload.get("action") or event.verb)
    return event.action


_LISTED = [AuditVerb.CHILDREN_LISTED, AuditVerb.CHILDREN_EXPORTED]
# The who-viewed page's kinds of entry: a look at the record (or one of its parts) told
# apart from the list pages and downloads that named the child.
AUDIT_FILTER_KINDS: dict[str, str] = {
    "opened": "Opened the record",
    "listed": "Named in a list or download",
    "write": "Changed",
    "grant": "Access granted",
    "review": "Emergency access reviewed",
}
_KIND_FILTERS: dict[str, Q] = {
    "opened": Q(kind=AuditKind.READ) & ~Q(verb__in=_LISTED),
    "listed": Q(kind=AuditKind.READ, verb__in=_LISTED),
    "write": Q(kind=AuditKind.WRITE),
    "grant": Q(kind=AuditKind.GRANT),
    "review": Q(kind=AuditKind.REVIEW),
}


def _child_events(child_id: Any) -> Any:
    listed = AuditListedChild.objects.filter(child_id=child_id).values("event_id")
    return AuditEvent.objects.filter(Q(child_id=child_id) | Q(id__in=listed))


def audit_for_child(
    *,
    child_id: Any,
    organisation_id: Any = None,
    kinds: Iterable[str] = (),
    since: dt.datetime | None = None,
    before: dt.datetime | None = None,
) -> Iterator[AuditLine]:
    """Who viewed or changed one child's record, oldest first (subject access, s.62 DPA 2018),
    and the list pages and API pages that named the child (``children listed``); narrowed,
    if asked, to one organisation, some kinds (``AuditKind``) and moments from ``since`` to
    before ``before``.

    Call only after the policy allowed the reader (``Action.VIEW_AUDIT``) or from the CLI.
    """
    found = _child_events(child_id)
    if organisation_id is not None:
        found = found.filter(organisation_id=organisation_id)
    if kinds := [k for k in kinds if k in AUDIT_FILTER_KINDS]:
        chosen = Q()
        for kind in kinds:
            chosen |= _KIND_FILTERS[kind]
        found = found.filter(chosen)
    if since is not None:
        found = found.filter(at__gte=since)
    if before is not None:
        found = found.filter(at__lt=before)
    events = list(found.order_by(F("seq").asc(nulls_last=True), "id"))
    org_ids = {e.organisation_id for e in events if e.organisation_id}
    names = dict(Organisation.objects.filter(pk__in=org_ids).values_list("id", "name"))
    for e in events:
        yield AuditLine(
            seq=e.seq,
            at=e.at,
            kind=AuditKind(e.kind).label,
            action=_action(e),
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


def audit_organisations_for_child(*, child_id: Any) -> list[tuple[Any, str]]:
    """The organisations whose people viewed or changed the child's record, by name: the
    choices of the who-viewed page's filter. Same caller rule as ``audit_for_child``."""
    ids = _child_events(child_id).exclude(organisation_id=None).values("organisation_id")
    return list(Organisation.objects.filter(pk__in=ids).order_by("name").values_list("id", "name"))


@dataclass(frozen=True)
class AuditRun:
    """A line of the audit, or several views in a row by the same person for the same
    reason on the same day, folded: ``line`` is the newest, ``first_at`` the oldest."""

    line: AuditLine
    times: int
    first_at: dt.datetime


def _same_look(a: AuditLine, b: AuditLine) -> bool:
    return (
        a.kind == b.kind == str(AuditKind.READ.label)
        and (a.username, a.organisation, a.action, a.purpose, a.involvement)
        == (b.username, b.organisation, b.action, b.purpose, b.involvement)
        and a.at.astimezone(LONDON).date() == b.at.astimezone(LONDON).date()
    )


def audit_runs(lines: Iterable[AuditLine]) -> list[AuditRun]:
    """Lines newest first, repeated views folded (``AuditRun``); changes never fold."""
    runs: list[AuditRun] = []
    for line in lines:
        last = runs[-1] if runs else None
        if last is not None and _same_look(last.line, line):
            runs[-1] = AuditRun(line=last.line, times=last.times + 1, first_at=line.at)
        else:
            runs.append(AuditRun(line=line, times=1, first_at=line.at))
    return runs


def _cell(value: str) -> str:
    # No spreadsheet formulas from data (CSV injection).
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_row(line: AuditLine) -> list[str]:
    cells = [
        "" if line.seq is None else str(line.seq),
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
