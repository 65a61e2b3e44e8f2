"""The directory of agencies' front doors, and the verification of its addresses.

Every council in England and Wales and every police force has a ``DirectoryEntry``: its
published inboxes for placement notices and for missing-from-care alerts, its out-of-hours
number, its own Sightline deployment if any, a source and a "last verified" date. The
package ships the list (``data/directory.csv``) with the organisations and no contact
details, because no published national list exists; operators fill it in and import it
(``sightline directory import FILE``: every row checked, all or nothing).

An address is used only once it is **verified**: a test message carries a signed
confirmation link (``links.py``) and someone at the agency opens it and confirms. An empty,
unverified or bouncing inbox is never used: the notice records why it could not be e-mailed
(``Notice.undeliverable``), the sender's page says so and the escalation pass tells a named
person at once (``escalation.py``).

A notice reaches a directory inbox only when its recipient has nobody on this Sightline
(no active user): an agency on Sightline reads its inbox. The domains say which inbox each
of their kinds of notice goes to (``directory_inbox_register``, from ``AppConfig.ready()``);
a kind nobody registered goes to the placement inbox.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import secrets
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import ValidationError
from sightline.core.prepared import prepared
from sightline.core.timeutil import now as current_time
from sightline.geography.models import Council, PoliceForce
from sightline.notifications import conf, links
from sightline.notifications.models import (
    AddressStatus,
    DirectoryEntry,
    Inbox,
    InboxAddress,
)
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.organisations.services import (
    organisation_for_council,
    organisation_for_police_force,
)

logger = logging.getLogger(__name__)

SHIPPED = Path(__file__).resolve().parent / "data" / "directory.csv"
COLUMNS = (
    "kind",
    "code",
    "name",
    "placement_inbox",
    "missing_inbox",
    "out_of_hours_phone",
    "sightline_url",
    "source",
    "last_verified",
)
TO_BE_VERIFIED = "to be verified"

# --- Which inbox each kind of notice goes to ----------------------------------------------

_inbox_by_kind: dict[str, Inbox] = {}


def directory_inbox_register(*, kinds: Iterable[str], inbox: str) -> None:
    """A domain says which published inbox its kinds of notice go to."""
    for kind in kinds:
        _inbox_by_kind[str(kind)] = Inbox(inbox)


def inbox_for_kind(kind: str) -> Inbox:
    return _inbox_by_kind.get(str(kind), Inbox.PLACEMENT)


# --- Reading and importing the list -------------------------------------------------------


@dataclass(frozen=True)
class DirectoryRow:
    line: int
    kind: str
    code: str
    name: str
    placement_inbox: str
    missing_inbox: str
    out_of_hours_phone: str
    sightline_url: str
    source: str
    last_verified: dt.date | None


class DirectoryFileError(ValidationError):
    """Every problem in a directory file, one per line: "Row 7, missing_inbox: …"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems), field="file")
        self.problems = problems


_PHONE_CHARACTERS = set("0123456789 +()-")


def _check_row(line: int, raw: dict[str, str], problems: list[str]) -> DirectoryRow | None:
    def problem(column: str, message: str) -> None:
        problems.append(f"Row {line}, {column}: {message}")

    value = {c: (raw.get(c) or "").strip() for c in COLUMNS}
    before = len(problems)
    kind = value["kind"]
    if kind not in (OrganisationKind.COUNCIL, OrganisationKind.POLICE):
        problem("kind", f'"{kind}" is not council or police')
    if not value["code"]:
        problem("code", "enter the council's ONS code or the force's code")
    for column in ("placement_inbox", "missing_inbox"):
        if value[column]:
            try:
                validate_email(value[column])
            except DjangoValidationError:
                problem(column, f'"{value[column]}" is not an e-mail address')
    phone = value["out_of_hours_phone"]
    if phone and (not set(phone) <= _PHONE_CHARACTERS or sum(c.isdigit() for c in phone) < 6):
        problem("out_of_hours_phone", f'"{phone}" is not a telephone number')
    url = value["sightline_url"]
    if url:
        try:
            URLValidator(schemes=["https"])(url)
        except DjangoValidationError:
            problem("sightline_url", f'"{url}" is not an https:// address')
    if not value["source"]:
        problem("source", f'say where the details came from, or "{TO_BE_VERIFIED}"')
    last_verified = None
    if value["last_verified"]:
        try:
            last_verified = dt.date.fromisoformat(value["last_verified"])
        except ValueError:
            problem("last_verified", f'"{value["last_verified"]}" is not a date like 2026-01-31')
    if len(problems) > before:
        return None
    return DirectoryRow(
        line=line,
        kind=kind,
        code=value["code"].upper(),
        name=value["name"],
        placement_inbox=value["placement_inbox"].lower(),
        missing_inbox=value["missing_inbox"].lower(),
        out_of_hours_phone=phone,
        sightline_url=url,
        source=value["source"],
        last_verified=last_verified,
    )


def directory_rows_read(text: str) -> list[DirectoryRow]:
    """The rows of a directory CSV, or ``DirectoryFileError`` listing every problem by row
    and column (row 1 is the header). Codes are checked against the reference geography."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DirectoryFileError([f"Row 1: the header has no column {', '.join(missing)}"])
    problems: list[str] = []
    rows: list[DirectoryRow] = []
    seen: dict[tuple[str, str], int] = {}
    councils = set(Council.objects.filter(is_current=True).values_list("ons_code", flat=True))
    forces = set(PoliceForce.objects.values_list("code", flat=True))
    for line, raw in enumerate(reader, start=2):
        raw = {(k or "").strip(): v for k, v in raw.items()}
        row = _check_row(line, raw, problems)
        if row is None:
            continue
        known = councils if row.kind == OrganisationKind.COUNCIL else forces
        if row.code not in known:
            problems.append(
                f"Row {line}, code: {row.code} is not a current "
                f"{'council' if row.kind == OrganisationKind.COUNCIL else 'police force'}"
            )
            continue
        if (row.kind, row.code) in seen:
            problems.append(
                f"Row {line}, code: {row.code} is also on row {seen[(row.kind, row.code)]}"
            )
            continue
        seen[(row.kind, row.code)] = line
        rows.append(row)
    if problems:
        raise DirectoryFileError(problems)
    return rows


@dataclass
class ImportSummary:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    addresses_to_verify: list[str] = field(default_factory=list)


_ENTRY_FIELDS = (
    "placement_inbox",
    "missing_inbox",
    "out_of_hours_phone",
    "sightline_url",
    "source",
    "last_verified",
)


def _organisation(row: DirectoryRow) -> Organisation:
    if row.kind == OrganisationKind.COUNCIL:
        return organisation_for_council(council=Council.objects.get(pk=row.code))
    return organisation_for_police_force(police_force=PoliceForce.objects.get(pk=row.code))


def _address_rows(addresses: Iterable[str]) -> list[str]:
    """Make sure each address has its verification row; return those not yet verified."""
    wanted = {a.lower() for a in addresses if a}
    known = {a.address: a.status for a in InboxAddress.objects.filter(address__in=wanted)}
    InboxAddress.objects.bulk_create(
        [InboxAddress(address=a) for a in sorted(wanted - set(known))], ignore_conflicts=True
    )
    return sorted(a for a in wanted if known.get(a) != AddressStatus.VERIFIED)


def directory_import(
    *, rows: list[DirectoryRow], actor: User | None, replace: bool = True
) -> ImportSummary:
    """Create or update the entries of these rows, all in one transaction.

    ``replace=False`` (the shipped list) only creates missing entries, so loading the shipped
    list again never undoes an operator's corrections. A new or changed inbox starts
    unverified: nothing is sent to it until it is verified.
    """
    summary = ImportSummary()
    with transaction.atomic():
        for row in rows:
            organisation = _organisation(row)
            entry = DirectoryEntry.objects.filter(organisation=organisation).first()
            values = {name: getattr(row, name) for name in _ENTRY_FIELDS}
            if entry is None:
                DirectoryEntry.objects.create(organisation=organisation, **values)
                summary.created += 1
            elif replace and any(getattr(entry, k) != v for k, v in values.items()):
                for name, value in values.items():
                    setattr(entry, name, value)
                entry.save()
                summary.changed += 1
            else:
                summary.unchanged += 1
        summary.addresses_to_verify = _address_rows(
            a for row in rows for a in (row.placement_inbox, row.missing_inbox)
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.DIRECTORY_IMPORTED,
            obj="directory",
            organisation=actor.organisation if actor else None,
            payload={
                "rows": len(rows),
                "created": summary.created,
                "changed": summary.changed,
            },
        )
    logger.info(
        "directory import rows=%s created=%s changed=%s actor=%s",
        len(rows),
        summary.created,
        summary.changed,
        actor.id if actor else None,
    )
    return summary


def directory_load(*, actor: User | None = None) -> ImportSummary:
    """Load the shipped list: an entry for every council and force that has none yet."""
    return directory_import(
        rows=directory_rows_read(SHIPPED.read_text(encoding="utf-8")), actor=actor, replace=False
    )


def directory_entry_update(
    *,
    entry: DirectoryEntry,
    actor: User | None,
    placement_inbox: str,
    missing_inbox: str,
    out_of_hours_phone: str,
    sightline_url: str,
    source: str,
    last_verified: dt.date | None,
) -> DirectoryEntry:
    """A platform operator corrects one entry (the admin). The same checks as an import."""
    problems: list[str] = []
    raw = {
        "kind": entry.organisation.kind,
        "code": entry.organisation.council_id or entry.organisation.police_force_id or "",
        "name": entry.organisation.name,
        "placement_inbox": placement_inbox,
        "missing_inbox": missing_inbox,
        "out_of_hours_phone": out_of_hours_phone,
        "sightline_url": sightline_url,
        "source": source,
        "last_verified": last_verified.isoformat() if last_verified else "",
    }
    row = _check_row(0, raw, problems)
    if row is None:
        # "Row 0, missing_inbox: …" -> the field and its message.
        column, _, message = problems[0].partition(", ")[2].partition(": ")
        raise ValidationError(
            message[:1].upper() + message[1:], field=column, record=entry.organisation.name
        )
    with transaction.atomic():
        changed = [n for n in _ENTRY_FIELDS if getattr(entry, n) != getattr(row, n)]
        for name in _ENTRY_FIELDS:
            setattr(entry, name, getattr(row, name))
        entry.save()
        _address_rows([row.placement_inbox, row.missing_inbox])
        audit_append(
            actor=actor,
            verb=AuditVerb.DIRECTORY_ENTRY_CHANGED,
            obj=entry,
            organisation=actor.organisation if actor else None,
            payload={"fields": changed},
        )
    return entry


# --- Which directory addresses a notice may use -------------------------------------------


@dataclass(frozen=True)
class FrontDoor:
    """What the directory says about reaching one recipient not on Sightline."""

    organisation: Organisation
    entry: DirectoryEntry | None
    inbox: Inbox
    address: str  # the inbox, if usable; else ""
    problem: str  # why it is not usable; else ""

    @property
    def phone(self) -> str:
        return self.entry.out_of_hours_phone if self.entry else ""


def _problem(organisation: Organisation, inbox: Inbox, address: str, status: str | None) -> str:
    what = "placement inbox" if inbox == Inbox.PLACEMENT else "missing-from-care inbox"
    if not address:
        return f"{organisation.name} is not on Sightline and the directory has no {what} for it"
    if status == AddressStatus.BOUNCING:
        return f"{organisation.name}'s {what} in the directory is bouncing"
    return f"{organisation.name}'s {what} in the directory has not been verified"


def _entries_of(*, organisations: tuple[uuid.UUID, ...]) -> QuerySet[DirectoryEntry]:
    return DirectoryEntry.objects.filter(organisation_id__in=organisations).annotate(
        on_sightline=Exists(
            User.objects.filter(organisation_id=OuterRef("organisation_id"), is_active=True)
        )
    )


def _statuses_of(*, addresses: tuple[str, ...]) -> QuerySet[InboxAddress, tuple[str, str]]:
    return InboxAddress.objects.filter(address__in=addresses).values_list("address", "status")


def front_doors(
    *, requests: Iterable[tuple[Organisation, str]]
) -> dict[tuple[uuid.UUID, str], FrontDoor]:
    """For each (recipient, kind of notice) whose recipient has no active user here: the
    directory inbox to e-mail, or why there is none. Recipients on Sightline, and any without
    a directory entry, are left out.
    A fixed number of queries, whatever the number of requests."""
    wanted = [
        (org, kind)
        for org, kind in requests
        if org.kind in (OrganisationKind.COUNCIL, OrganisationKind.POLICE)
    ]
    ids = {org.pk for org, _ in wanted}
    if not ids:
        return {}
    # One query: the recipients' entries, each knowing whether anyone there uses Sightline.
    # Both reads' SQL built once per process and number of recipients or addresses (ADR 53).
    entries = {
        e.organisation_id: e
        for e in prepared(
            "notifications.front_door_entries", _entries_of, organisations=tuple(sorted(ids))
        )
    }
    on_sightline = {
        org_id
        for org_id, e in entries.items()
        if e.on_sightline  # type: ignore[attr-defined]  # annotated by ``_entries_of``
    }
    addresses = {
        e.inbox(inbox_for_kind(kind)).lower()
        for org, kind in wanted
        for e in [entries.get(org.pk)]
        if e is not None
    } - {""}
    statuses: dict[str, str] = (
        dict(
            prepared(
                "notifications.front_door_addresses",
                _statuses_of,
                text=("addresses",),
                addresses=tuple(sorted(addresses)),
            )
        )
        if addresses
        else {}  # what the ORM answers for an empty ``IN``, without a query
    )
    found: dict[tuple[uuid.UUID, str], FrontDoor] = {}
    for org, kind in wanted:
        if org.pk in on_sightline:
            continue
        entry = entries.get(org.pk)
        if entry is None:
            continue  # not in the directory (it is not loaded): as before it existed
        inbox = inbox_for_kind(kind)
        address = entry.inbox(inbox).lower()
        status = statuses.get(address)
        if address and status == AddressStatus.VERIFIED:
            found[(org.pk, kind)] = FrontDoor(org, entry, inbox, address, "")
        else:
            found[(org.pk, kind)] = FrontDoor(
                org, entry, inbox, "", _problem(org, inbox, address, status)
            )
    return found


# --- Verifying an address -----------------------------------------------------------------

TEST_SUBJECT = "Sightline: please confirm this address receives notices about children"


def _test_message(address: str, url: str, names: list[str]) -> EmailMessage:
    days = conf.verify_link_days()
    body = "\n".join(
        [
            "Sightline sends notices about children in care (placements, and children missing "
            "from care) to this address, listed in its directory for:",
            "",
            *[f"- {name}" for name in names],
            "",
            "If this is the right address, open this link and confirm. Nothing is sent here "
            "until someone does:",
            url,
            "",
            f"The link works for {days} days. If this is not the right address, ignore this "
            "message and tell the Sightline service desk.",
        ]
    )
    return EmailMessage(
        subject=TEST_SUBJECT,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        headers={"Auto-Submitted": "auto-generated"},
    )


def address_verification_send(*, address: str, actor: User | None) -> InboxAddress:
    """Send a test message with a signed, one-use confirmation link to a directory address.

    Sent at once, outside any transaction (the row is saved first, so a confirmation can
    never arrive for a challenge Sightline does not know). A 5xx refusal of the address marks
    it bouncing; a temporary error leaves it pending, to be sent again.
    """
    address = address.strip().lower()
    names = list(
        Organisation.objects.filter(directory_entry__placement_inbox__iexact=address).values_list(
            "name", flat=True
        )
    ) + list(
        Organisation.objects.filter(directory_entry__missing_inbox__iexact=address).values_list(
            "name", flat=True
        )
    )
    if not names:
        raise ValidationError(
            f"{address} is not an inbox in the directory", field="address", record=address
        )
    at = current_time()
    with transaction.atomic():
        row, _ = InboxAddress.objects.select_for_update().get_or_create(address=address)
        row.challenge = secrets.token_urlsafe(24)
        if row.status != AddressStatus.VERIFIED:
            row.status = AddressStatus.PENDING
        row.test_sent_at = at
        row.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.INBOX_ADDRESS_TEST_SENT,
            obj=row,
            organisation=actor.organisation if actor else None,
            payload={},
        )
    url = links.confirmation_url(address=address, challenge=row.challenge)
    try:
        sent = _test_message(address, url, sorted(set(names))).send(fail_silently=False)
        error = "" if sent else "SMTP backend sent nothing"
        refused = False
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()] or [550]
        error, refused = f"SMTP {max(codes)} recipient refused", max(codes) >= 500
    except (smtplib.SMTPException, OSError) as exc:
        error, refused = f"SMTP {type(exc).__name__}", False
    if refused:
        address_bounced(address=address, error=error)
    elif error:
        InboxAddress.objects.filter(pk=row.pk).update(last_error=error[:300])
    row.refresh_from_db()
    logger.info("inbox address id=%s test message status=%s", row.id, row.status)
    return row


def address_confirm(*, token: str) -> InboxAddress:
    """Someone at the agency opened the confirmation link and confirmed: the address is
    verified, and so is every directory entry that lists it. ``LinkRefused`` when the link
    is not ours, has expired or was already used (a newer test message replaces it)."""
    claim = links.confirmation_read(token)
    at = current_time()
    with transaction.atomic():
        row = InboxAddress.objects.select_for_update().filter(address=claim.address).first()
        if (
            row is None
            or not row.challenge
            or not secrets.compare_digest(row.challenge, claim.challenge)
        ):
            raise links.LinkRefused(expired=False)
        row.status = AddressStatus.VERIFIED
        row.verified_at = at
        row.challenge = ""
        row.last_error = ""
        row.save()
        DirectoryEntry.objects.filter(placement_inbox__iexact=row.address).update(
            last_verified=at.date(), updated_at=at
        )
        DirectoryEntry.objects.filter(missing_inbox__iexact=row.address).update(
            last_verified=at.date(), updated_at=at
        )
        audit_append(actor=None, verb=AuditVerb.INBOX_ADDRESS_VERIFIED, obj=row, payload={})
    logger.info("inbox address id=%s verified", row.id)
    return row


def address_bounced(*, address: str, error: str) -> None:
    """A permanent failure to this address: it is not used again until verified again."""
    at = current_time()
    InboxAddress.objects.filter(address=address.strip().lower()).update(
        status=AddressStatus.BOUNCING, bounced_at=at, last_error=error[:300], updated_at=at
    )
    logger.warning("directory address bouncing: %s", error)


def address_mark_verified(*, address: str, actor: User | None) -> InboxAddress:
    """Demo and synthetic worlds only: their synthetic addresses reach nobody, so no one can
    open a confirmation link. Refused in production."""
    if settings.MODE == "production":
        raise ValidationError(
            "Addresses are verified by their confirmation link in production", field="address"
        )
    host = "." + address.strip().lower().rpartition("@")[2]
    if not host.endswith((".example", ".example.org", ".example.com", ".invalid", ".test")):
        raise ValidationError(
            "Only synthetic addresses (example.org and the like) can be marked verified",
            field="address",
        )
    at = current_time()
    row, _ = InboxAddress.objects.get_or_create(address=address.strip().lower())
    row.status, row.verified_at, row.challenge = AddressStatus.VERIFIED, at, ""
    row.save()
    return row
