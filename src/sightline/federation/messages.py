"""What crosses between deployments: a notice, or an acknowledgement of one. JSON, built here
and read here, so that both ends share one definition.

A notice carries only what the outbox's notice carries to any recipient (``Notice``'s content
fields: the child's first name and surname initial, the home's name and postcode, the area,
the placing council, dates, the sender's name and contact), never the child's id, surname or
date of birth; and the recipient by its council's ONS code or its force's code, which every
deployment's reference geography shares.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sightline.notifications.models import Notice
from sightline.organisations.models import Organisation, OrganisationKind

NOTICE = "notice"
ACKNOWLEDGEMENT = "acknowledgement"
MAX_BODY = 65_536

# (field, longest) of what a notice says; the same as the model's fields.
TEXT_FIELDS = {
    "kind": 30,
    "kind_label": 60,
    "subject_line": 300,
    "child_name": 120,
    "setting_name": 200,
    "setting_postcode": 8,
    "area_name": 100,
    "date_label": 40,
    "placing_council_name": 200,
    "sender_name": 200,
    "sender_contact": 254,
}


class MessageError(ValueError):
    """A message that cannot be read: names the field, never its value."""


def _recipient(org: Organisation) -> dict[str, str]:
    if org.kind == OrganisationKind.COUNCIL and org.council_id:
        return {"kind": "council", "code": str(org.council_id)}
    if org.kind == OrganisationKind.POLICE and org.police_force_id:
        return {"kind": "police", "code": str(org.police_force_id)}
    raise MessageError("recipient: only a council or a police force is on another Sightline")


def notice_message(notice: Notice) -> dict[str, Any]:
    return {
        "type": NOTICE,
        "notice": {
            "id": str(notice.id),
            "reference": notice.reference,
            **{name: str(getattr(notice, name)) for name in TEXT_FIELDS},
            "effective_date": notice.effective_date.isoformat(),
            "due_at": notice.due_at.isoformat(),
            "chase_acknowledgement": notice.chase_acknowledgement,
        },
        "recipient": _recipient(notice.recipient),
    }


def acknowledgement_message(
    *, remote_notice_id: uuid.UUID, remote_reference: str, at: dt.datetime, name: str, role: str
) -> dict[str, Any]:
    return {
        "type": ACKNOWLEDGEMENT,
        "notice": {"id": str(remote_notice_id), "reference": remote_reference},
        "acknowledged_at": at.isoformat(),
        "by": {"name": name, "role": role},
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class NoticeIn:
    id: uuid.UUID
    reference: str
    text: dict[str, str]
    effective_date: dt.date
    due_at: dt.datetime
    chase_acknowledgement: bool
    recipient_kind: str
    recipient_code: str


@dataclass(frozen=True)
class AcknowledgementIn:
    notice_id: uuid.UUID
    reference: str
    at: dt.datetime
    name: str
    role: str


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise MessageError(f"{where}: expected an object")
    return value


def _text(value: Any, where: str, longest: int, *, required: bool = True) -> str:
    if not isinstance(value, str) or len(value) > longest or (required and not value.strip()):
        raise MessageError(f"{where}: expected text of 1 to {longest} characters")
    return " ".join(value.split())


def _uuid(value: Any, where: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise MessageError(f"{where}: expected an id") from exc


def _aware(value: Any, where: str) -> dt.datetime:
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise MessageError(f"{where}: expected a date and time") from exc
    if at.tzinfo is None:
        raise MessageError(f"{where}: expected a time zone")
    return at


def message_read(body: bytes) -> NoticeIn | AcknowledgementIn:
    try:
        data = _object(json.loads(body), "body")
    except (ValueError, UnicodeDecodeError) as exc:
        raise MessageError("body: not JSON") from exc
    kind = data.get("type")
    notice = _object(data.get("notice"), "notice")
    if kind == ACKNOWLEDGEMENT:
        by = _object(data.get("by"), "by")
        return AcknowledgementIn(
            notice_id=_uuid(notice.get("id"), "notice.id"),
            reference=_text(notice.get("reference"), "notice.reference", 40),
            at=_aware(data.get("acknowledged_at"), "acknowledged_at"),
            name=_text(by.get("name"), "by.name", 120),
            role=_text(by.get("role"), "by.role", 120),
        )
    if kind != NOTICE:
        raise MessageError('type: expected "notice" or "acknowledgement"')
    recipient = _object(data.get("recipient"), "recipient")
    if recipient.get("kind") not in ("council", "police"):
        raise MessageError('recipient.kind: expected "council" or "police"')
    text = {
        name: _text(
            notice.get(name),
            f"notice.{name}",
            longest,
            required=name in ("kind", "kind_label", "subject_line", "date_label", "sender_name"),
        )
        for name, longest in TEXT_FIELDS.items()
    }
    try:
        effective = dt.date.fromisoformat(str(notice.get("effective_date")))
    except ValueError as exc:
        raise MessageError("notice.effective_date: expected a date") from exc
    chase = notice.get("chase_acknowledgement")
    if not isinstance(chase, bool):
        raise MessageError("notice.chase_acknowledgement: expected true or false")
    return NoticeIn(
        id=_uuid(notice.get("id"), "notice.id"),
        reference=_text(notice.get("reference"), "notice.reference", 40),
        text=text,
        effective_date=effective,
        due_at=_aware(notice.get("due_at"), "notice.due_at"),
        chase_acknowledgement=chase,
        recipient_kind=str(recipient["kind"]),
        recipient_code=_text(recipient.get("code"), "recipient.code", 9),
    )
