"""What a notice says, on every channel. ``docs/notices.md`` lists the same fields.

Only the snapshot fields of the ``Notice`` are used: the setting and its postcode, the date,
the placing council and who to contact. E-mail and GOV.UK Notify messages never carry the
child's name or date of birth: the child is shown after sign-in, through the link. The
inbox and partner systems' webhooks (signed, to a registered address) carry the first name
and surname initial, enough to match the notice to a child on arrival.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.conf import settings

from sightline.core.calendar import LONDON
from sightline.notifications import conf
from sightline.notifications.models import (
    Delivery,
    DirectoryEntry,
    EscalationReason,
    Notice,
    NoticeKind,
)

# Partner systems written before the outbox became generic read ``placement_id`` in the
# webhook payload; it is kept, filled from the subject when the subject is a placement.
_PLACEMENT_SUBJECT = "placements.placement"


@dataclass(frozen=True)
class NoticeMessage:
    subject: str
    body: str
    link: str
    fields: dict[str, str]


def child_display_name(*, first_name: str, last_name: str) -> str:
    """ "Alex T.": enough for a host council or force to match the notice to a child on arrival."""
    first = first_name.strip()
    initial = last_name.strip()[:1].upper()
    return f"{first} {initial}." if initial else first


def notice_link(notice: Notice) -> str:
    return f"{conf.base_url()}/notices/{notice.id}/"


def _long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def escalation_summary(notice: Notice) -> str:
    """Why an escalation notice was sent, naming the late notice by kind and reference."""
    late = notice.escalates
    if late is None:
        return ""
    label = late.kind_label
    if notice.escalation_reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED:
        assert late.urgent_ack_due_at is not None
        due_at = late.urgent_ack_due_at.astimezone(LONDON)
        return (
            f"{label} {late.reference} to {late.recipient.name} was not acknowledged by "
            f"{due_at:%H:%M} on {_long_date(due_at.date())}, its urgent target."
        )
    if notice.escalation_reason == EscalationReason.NOT_ACKNOWLEDGED:
        due = _long_date(late.ack_due_at.astimezone(LONDON).date())
        phone = _phone_task(late)
        return (
            f"{label} {late.reference} to {late.recipient.name} was not acknowledged by {due}."
            + phone
        )
    if late.undeliverable:
        return f"{label} {late.reference} could not be delivered. {late.undeliverable}."
    due = _long_date(late.due_at.astimezone(LONDON).date())
    return f"{label} {late.reference} from {late.sender_name} was not sent by its due date, {due}."


def _phone_task(late: Notice) -> str:
    """For a recipient not on Sightline: the phone call to make instead, with the
    out-of-hours number from the directory."""
    entry = DirectoryEntry.objects.filter(organisation_id=late.recipient_id).first()
    if entry is None or not entry.out_of_hours_phone:
        return ""
    if late.recipient.users.filter(is_active=True).exists():
        return ""
    return (
        f" {late.recipient.name} is not on Sightline: phone them out of hours on "
        f"{entry.out_of_hours_phone}, quote {late.reference} and record who you spoke to."
    )


def notice_subject(notice: Notice) -> str:
    """The subject line the domain built (an escalation's is the outbox's own)."""
    return notice.subject_line


# What e-mails and Notify messages say instead of the child's name.
CHILD_IN_MESSAGES = "shown when you sign in (e-mails never carry a child's name)"


def notice_fields(notice: Notice) -> dict[str, str]:
    """The minimum to act, as named values (GOV.UK Notify personalisation uses these names).
    No name: these go by e-mail."""
    return {
        "kind": notice.kind_label,
        "reference": notice.reference,
        "child": CHILD_IN_MESSAGES,
        "setting": notice.setting_name,
        "postcode": notice.setting_postcode,
        "area": notice.area_name,
        "date_label": notice.date_label,
        "date": _long_date(notice.effective_date),
        "placing_council": notice.placing_council_name,
        "sender": notice.sender_name,
        "contact": notice.sender_contact or f"{notice.sender_name} (no address given)",
        "link": notice_link(notice),
    }


def _about_the_child(notice: Notice, f: dict[str, str]) -> list[str]:
    """The child, placing council and home lines, each only when the domain filled it in: a
    notice that names no child (an emergency-access alert to the user's own colleagues) must
    not read "Where: ,  ()"."""
    lines = []
    if notice.child_name:
        lines.append(f"Child: {f['child']}")
    if notice.placing_council_name:
        lines.append(f"Placed by: {f['placing_council']}")
    if notice.setting_name:
        area = f" ({f['area']})" if f["area"] else ""
        lines.append(f"Where: {f['setting']}, {f['postcode']}{area}")
    return lines


def _signed_link_lines(notice: Notice, url: str) -> list[str]:
    """For an agency not on Sightline: acknowledge with the signed link, no account needed."""
    return [
        "Acknowledge that you have this notice (no Sightline account needed):",
        url,
        "",
        f"The link works for {conf.ack_link_days()} days and only for this notice at this "
        "address. You will be asked your name and role.",
        "",
        "To see the child's details, sign in to Sightline or ask the sender for access:",
        notice_link(notice),
    ]


def notice_body(notice: Notice, *, acknowledgement_url: str = "") -> str:
    f = notice_fields(notice)
    why = [escalation_summary(notice), ""] if notice.kind == NoticeKind.ESCALATION else []
    if acknowledgement_url:
        how = _signed_link_lines(notice, acknowledgement_url)
    else:
        how = [
            "Sign in to Sightline to see the notice in full and to acknowledge it:",
            f["link"],
        ]
    return "\n".join(
        [
            f"{f['kind']} from {f['sender']}",
            "",
            *why,
            *_about_the_child(notice, f),
            f"{f['date_label']}: {f['date']}",
            f"Contact: {f['contact']}",
            f"Notice reference: {f['reference']}",
            "",
            *how,
            "",
            "This message is for the organisation it is addressed to. If it reached you by "
            "mistake, tell the sender and delete it.",
        ]
    )


def notice_message(notice: Notice, *, acknowledgement_url: str = "") -> NoticeMessage:
    fields = notice_fields(notice)
    subject = notice_subject(notice)
    body = notice_body(notice, acknowledgement_url=acknowledgement_url)
    return NoticeMessage(
        subject=subject,
        body=body,
        link=fields["link"],
        fields={**fields, "subject": subject, "body": body},
    )


def sms_text(notice: Notice) -> str:
    """A text message: what happened, where, the reference and the link; no child's name (a
    phone's lock screen shows it), kept short enough for two or three text messages."""
    lines = [notice.subject_line, f"Reference: {notice.reference}"]
    if notice.kind == NoticeKind.ESCALATION:
        lines.insert(1, escalation_summary(notice))
    lines.append(f"Sign in to acknowledge: {notice_link(notice)}")
    return "\n".join(lines)


def _api_links(notice: Notice) -> dict[str, str]:
    """Where a partner fetches the notice through the API (which applies the access policy)."""
    api = f"{conf.base_url()}/api/v1"
    return {
        "notices": f"{api}/notices",
        "acknowledge": f"{api}/notices/{notice.id}/acknowledge",
    }


def subscription_webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """What a webhook *subscription* receives: that a notice exists, never whose or where.

    A subscription is set by an organisation's administrators, who may see no child under the
    access policy, and its address may be anywhere; so its requests carry the notice's id,
    reference, kind, times and links only. The partner fetches the details through the API
    with its organisation's key, which applies the access policy."""
    notice = delivery.notice
    return {
        "type": f"notice.{notice.kind}",
        "delivery": {"id": str(delivery.id), "reference": delivery.reference},
        "notice": {
            "id": str(notice.id),
            "reference": notice.reference,
            "kind": notice.kind,
            "created_at": notice.created_at.isoformat(),
            "due_at": notice.due_at.isoformat(),
            "acknowledge_by": notice.ack_due_at.isoformat(),
            "url": notice_link(notice),
            "api": _api_links(notice),
        },
    }


def webhook_payload(delivery: Delivery) -> dict[str, Any]:
    """The JSON a partner system receives. Stable across retries: the timestamp of each
    attempt travels in a header, so a receiver may de-duplicate on ``delivery.id``.

    A subscription's delivery gets ``subscription_webhook_payload`` (no child, setting or
    area). A webhook contact point set by the platform's operators (``contact_point_set``,
    not reachable from the web or the API) keeps the full notice, as documented."""
    point = delivery.contact_point
    if point is not None and point.subscription_id is not None:
        return subscription_webhook_payload(delivery)
    notice = delivery.notice
    return {
        "type": f"notice.{notice.kind}",
        "delivery": {"id": str(delivery.id), "reference": delivery.reference},
        "notice": {
            "id": str(notice.id),
            "reference": notice.reference,
            "kind": notice.kind,
            "child": {"id": str(notice.child_id), "name": notice.child_name},
            "placement_id": (
                str(notice.subject_id) if notice.subject_type == _PLACEMENT_SUBJECT else None
            ),
            "subject": {"type": notice.subject_type, "id": str(notice.subject_id)},
            "setting": {"name": notice.setting_name, "postcode": notice.setting_postcode},
            "area": notice.area_name,
            "date": notice.effective_date.isoformat(),
            "placing_council": notice.placing_council_name,
            "sender": {"name": notice.sender_name, "contact": notice.sender_contact},
            "recipient": {"id": str(notice.recipient_id)},
            "escalates": (
                {
                    "id": str(notice.escalates_id),
                    "reference": notice.escalates.reference,
                    "reason": notice.escalation_reason,
                }
                if notice.escalates is not None
                else None
            ),
            "due_at": notice.due_at.isoformat(),
            "acknowledge_by": notice.ack_due_at.isoformat(),
            "url": notice_link(notice),
        },
    }


def message_id(delivery: Delivery) -> str:
    """The same ``Message-ID`` on every attempt, so a duplicate after a crash is recognisable."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "sightline.invalid"
    return f"<{delivery.reference.lower()}@{domain}>"
