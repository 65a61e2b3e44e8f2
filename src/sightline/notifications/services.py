"""Writes of the notice engine: creating notices with their outbox rows, acknowledging them,
configuring where they go, and re-queuing failed deliveries.

``notice_create`` writes rows only; it sends nothing. Call it inside the transaction of the
change the notice is about, so that the notice exists if and only if the change does. The
worker (``sightline worker``) polls the outbox and delivers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import QuerySet

from sightline.access.policy import Action, may
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.inserts import insert_rows
from sightline.core.prepared import prepared
from sightline.core.timeutil import now as current_time
from sightline.notifications import conf
from sightline.notifications.channels import channel_registered
from sightline.notifications.deadlines import acknowledgement_due
from sightline.notifications.directory import FrontDoor, front_doors
from sightline.notifications.models import (
    Channel,
    ContactPoint,
    Delivery,
    DeliveryStatus,
    EscalationReason,
    Notice,
    NoticeEvent,
    NoticeEventKind,
    NoticeKind,
    NoticePolicy,
)
from sightline.notifications.subscriptions import personal_targets, uk_mobile
from sightline.notifications.urgency import Urgency, urgency_of
from sightline.notifications.webhook_addresses import AddressNotPublic, check_public
from sightline.organisations.models import Organisation, OrganisationKind, User

logger = logging.getLogger(__name__)


def _new_reference(notice: Notice) -> str:
    # 16 hex digits of the random UUID (60 random bits): short enough to read out on the
    # phone, and unique (the database constraint has the last word).
    digits = notice.id.hex[:16].upper()
    return f"SL-{digits[:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:]}"


def escalation_subject_line(
    *, late_kind_label: str, reason: str, undeliverable: bool = False
) -> str:
    label = late_kind_label.lower()
    if reason == EscalationReason.URGENT_NOT_ACKNOWLEDGED:
        return f"Urgent escalation: a {label} has not been acknowledged within the target"
    if reason == EscalationReason.NOT_ACKNOWLEDGED:
        return f"Escalation: a {label} about a child has not been acknowledged"
    if undeliverable:
        return f"Escalation: a {label} about a child could not be delivered"
    return f"Escalation: a {label} about a child was not sent by its due date"


def _points_of(
    *, organisations: tuple[uuid.UUID, ...], kinds: tuple[str, ...]
) -> QuerySet[ContactPoint]:
    return ContactPoint.objects.filter(organisation_id__in=organisations, kind__in=kinds)


def _contact_points(
    *, recipients: set[uuid.UUID], kinds: set[str]
) -> dict[tuple[uuid.UUID, str], list[ContactPoint]]:
    """The contact points of these recipients for these kinds of notice, in one query."""
    points: dict[tuple[uuid.UUID, str], list[ContactPoint]] = {}
    # Its SQL built once per process and number of recipients (ADR 53).
    rows = prepared(
        "notifications.contact_points",
        _points_of,
        organisations=tuple(sorted(recipients)),
        kinds=tuple(sorted(kinds)),
    )
    for point in rows:
        points.setdefault((point.organisation_id, point.kind), []).append(point)
    return points


Target = tuple[str, str, ContactPoint | None, bool]  # channel, address, point, signed link


def _targets_from(points: list[ContactPoint], *, recipient: Organisation) -> list[Target]:
    """Where a notice of this kind goes, besides the inbox.

    The organisation's enabled contact points for the kind; and its team inbox
    (``Organisation.email``) by e-mail, unless a contact point for that same address exists,
    in which case that contact point decides (so a disabled one switches the inbox off).
    GOV.UK Notify contact points are skipped while Notify is switched off.
    """
    targets: list[Target] = []
    for point in points:
        if not point.enabled:
            continue
        if point.channel in (Channel.NOTIFY, Channel.SMS) and not conf.notify_enabled():
            logger.warning("contact point id=%s skipped: GOV.UK Notify is switched off", point.id)
            continue
        targets.append((point.channel, point.address, point, False))
    team_inbox = recipient.email.strip()
    if team_inbox and not any(
        p.channel in (Channel.EMAIL, Channel.NOTIFY) and p.address.lower() == team_inbox.lower()
        for p in points
    ):
        targets.append((Channel.EMAIL, team_inbox, None, False))
    return targets


def _with_front_door(targets: list[Target], door: FrontDoor | None) -> list[Target]:
    """A recipient not on Sightline is e-mailed at its verified directory inbox, with a signed
    acknowledgement link (the same address already targeted gets the link too).

    A recipient whose directory entry names its own Sightline deployment is sent the notice
    there instead, machine to machine, while this deployment has the federation channel
    (``sightline.federation``, ADR on federation): it reads and acknowledges it in its own
    inbox, so no e-mail with a link goes to its front door."""
    if door is None:
        return targets
    url = door.entry.sightline_url if door.entry is not None else ""
    if url and channel_registered(Channel.FEDERATION):
        return [*targets, (Channel.FEDERATION, url.rstrip("/"), None, False)]
    if not door.address:
        return targets
    found = False
    result: list[Target] = []
    for channel, address, point, signed in targets:
        if channel == Channel.EMAIL and address.lower() == door.address:
            found, signed = True, True
        result.append((channel, address, point, signed))
    if not found:
        result.append((Channel.EMAIL, door.address, None, True))
    return result


def _undeliverable(door: FrontDoor) -> str:
    phone = f"; phone {door.organisation.name} out of hours on {door.phone}" if door.phone else ""
    return f"{door.problem}: not e-mailed{phone}"[:300]


@dataclass(frozen=True)
class NoticeContent:
    """What a notice says, built by the domain that owes it: the outbox stores and carries it
    and knows nothing of placements or episodes. Every channel shows only these values."""

    kind_label: str
    subject_line: str
    date_label: str
    effective_date: dt.date
    child_name: str = ""
    setting_name: str = ""
    setting_postcode: str = ""
    area_name: str = ""
    placing_council_name: str = ""
    # Shown as "From" only when the notice has no sender organisation (a home with no provider).
    sender_name: str = ""
    subject_path: str = ""
    subject_link_text: str = ""
    # False for a notice that tells agencies to stand down: it is never chased.
    chase_acknowledgement: bool = True


_CONTENT_FIELDS = (
    "subject_line",
    "child_name",
    "setting_name",
    "setting_postcode",
    "area_name",
    "date_label",
    "effective_date",
    "placing_council_name",
    "subject_path",
    "subject_link_text",
)


@dataclass(frozen=True)
class NoticeRequest:
    """One notice owed, as ``notice_create`` takes it; ``notices_create`` takes several."""

    kind: str
    subject_type: str
    subject_id: uuid.UUID
    idempotency_key: str
    child: Child | None
    recipient: Organisation
    sender: Organisation | None
    due_at: dt.datetime
    actor: User | None
    content: NoticeContent | None = None
    escalates: Notice | None = None
    escalation_reason: str = ""
    people: tuple[User, ...] = ()
    # Mobile numbers (+447...) texted the notice through GOV.UK Notify: the duty phone.
    texts: tuple[str, ...] = ()


def notice_create(
    *,
    kind: str,
    subject_type: str,
    subject_id: uuid.UUID,
    idempotency_key: str,
    child: Child | None,
    recipient: Organisation,
    sender: Organisation | None,
    due_at: dt.datetime,
    actor: User | None,
    content: NoticeContent | None = None,
    escalates: Notice | None = None,
    escalation_reason: str = "",
    people: Iterable[User] = (),
    texts: Iterable[str] = (),
) -> Notice:
    """Record a notice and its outbox rows: the inbox (delivered at once, since the inbox is
    the notice itself) and one delivery per contact point, due now.

    Idempotent on ``idempotency_key``, which the domain builds from what makes the notice
    one (a placement, kind and recipient, say): a second call returns the first notice.

    An escalation notice (``escalates`` and ``escalation_reason`` given, no ``content``) copies
    the content of the late notice, and is also e-mailed to ``people`` (named users of the
    recipient, such as its managers).
    """
    return notices_create(
        [
            NoticeRequest(
                kind=kind,
                subject_type=subject_type,
                subject_id=subject_id,
                idempotency_key=idempotency_key,
                child=child,
                recipient=recipient,
                sender=sender,
                due_at=due_at,
                actor=actor,
                content=content,
                escalates=escalates,
                escalation_reason=escalation_reason,
                people=tuple(people),
                texts=tuple(texts),
            )
        ]
    )[0]


def _check(request: NoticeRequest) -> None:
    if (request.kind == NoticeKind.ESCALATION) != (request.escalates is not None) or (
        request.escalates is not None and request.escalation_reason not in EscalationReason.values
    ):
        raise ValidationError(
            "An escalation notice names the late notice and the reason, and only it does.",
            field="escalates",
        )
    if (request.content is None) == (request.escalates is None):
        raise ValidationError(
            "A notice carries the content its domain built; an escalation copies its late "
            "notice's.",
            field="content",
        )


DEFAULT_URGENT_ACK_MINUTES = 30


def _urgent_minutes_of(
    *, organisations: tuple[uuid.UUID, ...]
) -> QuerySet[NoticePolicy, tuple[uuid.UUID, int]]:
    return NoticePolicy.objects.filter(organisation_id__in=organisations).values_list(
        "organisation_id", "urgent_ack_minutes"
    )


def _urgent_targets(recipients: set[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each recipient's acknowledgement target for urgent alerts, in minutes (one query, its
    SQL built once per process and number of recipients: ADR 53)."""
    return dict(
        prepared(
            "notifications.urgent_targets",
            _urgent_minutes_of,
            organisations=tuple(sorted(recipients)),
        )
    )


def _new_notice(request: NoticeRequest, *, at: dt.datetime) -> Notice:
    sender, actor, escalates = request.sender, request.actor, request.escalates
    notice = Notice(
        kind=request.kind,
        subject_type=request.subject_type,
        subject_id=request.subject_id,
        idempotency_key=request.idempotency_key,
        child=request.child,
        sender=sender,
        recipient=request.recipient,
        due_at=request.due_at,
        ack_due_at=acknowledgement_due(created_at=at),
        sender_contact=(sender.email if sender else "") or (actor.email if actor else ""),
        created_by=actor,
    )
    if escalates is not None:
        # The minimum to act, as the late notice carried it; from Sightline itself.
        for name in (*_CONTENT_FIELDS, "sender_contact"):
            setattr(notice, name, getattr(escalates, name))
        notice.kind_label = NoticeKind.ESCALATION.label
        notice.sender_name = sender.name if sender else "Sightline"
        notice.escalates = escalates
        notice.escalation_reason = request.escalation_reason
        notice.subject_line = escalation_subject_line(
            late_kind_label=escalates.kind_label,
            reason=request.escalation_reason,
            undeliverable=bool(escalates.undeliverable),
        )
    else:
        content = request.content
        assert content is not None
        for name in _CONTENT_FIELDS:
            setattr(notice, name, getattr(content, name))
        notice.kind_label = content.kind_label
        notice.chase_acknowledgement = content.chase_acknowledgement
        notice.sender_name = sender.name if sender else (content.sender_name or "Sightline")
    notice.reference = _new_reference(notice)
    return notice


def _by_key(*, keys: tuple[str, ...]) -> QuerySet[Notice]:
    return Notice.objects.filter(idempotency_key__in=keys)


def notices_create(requests: list[NoticeRequest]) -> list[Notice]:
    """``notice_create`` for several notices at once (an event that alerts three agencies),
    in a fixed number of statements rather than a few per notice: one look-up of the
    idempotency keys, one of the recipients' contact points, one of their people's
    subscriptions (``subscriptions.personal_targets``), one of their urgent targets when a
    notice is urgent, and one insert each of the notices, their deliveries and their events.
    The same rows, rules and answers as one ``notice_create`` per request; returned in the
    order asked.
    """
    for request in requests:
        _check(request)
    if not requests:
        return []
    # No savepoint of its own inside the caller's transaction: nothing here is caught and
    # carried on from, so an error undoes the caller's whole write (issue 13).
    with transaction.atomic(savepoint=False):
        keys = tuple(r.idempotency_key for r in requests)
        found = {
            n.idempotency_key: n
            for n in prepared("notifications.notices_by_key", _by_key, text=("keys",), keys=keys)
        }
        at = current_time()
        made: dict[str, Notice] = {}
        fresh: list[tuple[NoticeRequest, Notice]] = []
        for request in requests:
            if request.idempotency_key in found or request.idempotency_key in made:
                continue
            notice = _new_notice(request, at=at)
            made[request.idempotency_key] = notice
            fresh.append((request, notice))
        if fresh:
            recipients = {r.recipient.pk for r, _ in fresh}
            kinds = {r.kind for r, _ in fresh}
            points = _contact_points(recipients=recipients, kinds=kinds)
            personal = personal_targets(recipients=recipients, kinds=kinds, at=at)
            urgent = [n for r, n in fresh if urgency_of(r.kind) is Urgency.URGENT]
            if urgent:
                minutes = _urgent_targets({n.recipient_id for n in urgent})
                for notice in urgent:
                    notice.urgent_ack_due_at = at + dt.timedelta(
                        minutes=minutes.get(notice.recipient_id, DEFAULT_URGENT_ACK_MINUTES)
                    )
            # Escalations are Sightline's own reminders to people on it: not to front doors.
            doors = front_doors(
                requests=[
                    (r.recipient, r.kind) for r, _ in fresh if r.kind != NoticeKind.ESCALATION
                ]
            )
            deliveries: list[Delivery] = []
            events: list[NoticeEvent] = []
            counts: dict[str, int] = {}
            for request, notice in fresh:
                deliveries.append(
                    Delivery(
                        notice=notice,
                        channel=Channel.IN_APP,
                        address="",
                        status=DeliveryStatus.DELIVERED,
                        attempts=1,
                        sent_at=at,
                        delivered_at=at,
                    )
                )
                door = doors.get((request.recipient.pk, request.kind))
                targets = _with_front_door(
                    _targets_from(
                        points.get((request.recipient.pk, request.kind), []),
                        recipient=request.recipient,
                    ),
                    door,
                )
                known = {a.lower() for channel, a, _, _ in targets if channel == Channel.EMAIL}
                for person in request.people:
                    address = person.email.strip()
                    if person.is_active and address and address.lower() not in known:
                        known.add(address.lower())
                        targets.append((Channel.EMAIL, address, None, False))
                texts = {a for channel, a, _, _ in targets if channel == Channel.SMS}
                if conf.notify_enabled():
                    for number in request.texts:
                        if number not in texts:
                            texts.add(number)
                            targets.append((Channel.SMS, number, None, False))
                # People who asked for this kind and are on duty now (``subscriptions``).
                for target in personal.get((request.recipient.pk, request.kind), []):
                    seen = known if target.channel == Channel.EMAIL else texts
                    if target.address.lower() not in seen:
                        seen.add(target.address.lower())
                        targets.append((target.channel, target.address, None, False))
                deliveries += [
                    Delivery(
                        notice=notice,
                        channel=channel,
                        address=address,
                        contact_point=point,
                        status=DeliveryStatus.CREATED,
                        next_attempt_at=at,
                        signed_link=signed,
                    )
                    for channel, address, point, signed in targets
                ]
                events.append(
                    NoticeEvent(
                        notice=notice,
                        event=NoticeEventKind.CREATED,
                        at=at,
                        actor=request.actor,
                        detail=f"{notice.kind_label}; inbox and {len(targets)} other channel(s)",
                    )
                )
                # Nothing but the inbox of an agency nobody reads here: say so, loudly.
                if door is not None and door.problem and not targets:
                    notice.undeliverable = _undeliverable(door)
                    events.append(
                        NoticeEvent(
                            notice=notice,
                            event=NoticeEventKind.UNDELIVERABLE,
                            at=at,
                            detail=notice.undeliverable,
                        )
                    )
                counts[request.idempotency_key] = len(targets) + 1
            # The rows ``bulk_create`` would write, without its compiler's work per row
            # (``core.inserts``, ADR 60).
            insert_rows([notice for _, notice in fresh])
            insert_rows(deliveries)
            insert_rows(events)
    for request, notice in fresh:
        logger.info(
            "notice id=%s kind=%s child=%s recipient=%s deliveries=%s",
            notice.id,
            request.kind,
            request.child.id if request.child else None,
            request.recipient.id,
            counts[request.idempotency_key],
        )
    return [found.get(k) or made[k] for k in keys]


AcknowledgementHook = Callable[[Notice, User, dt.datetime], None]
_acknowledgement_hooks: dict[str, AcknowledgementHook] = {}


def acknowledgement_hook_register(*, name: str, hook: AcknowledgementHook) -> None:
    """A higher layer acts on a first acknowledgement, in its transaction (ADR 7):
    ``sightline.federation`` queues the acknowledgement back to the deployment that sent a
    notice received from another Sightline."""
    _acknowledgement_hooks[name] = hook


def _acknowledge(notice: Notice, *, actor: User, at: dt.datetime) -> bool:
    """Record the acknowledgement, its event and its audit, once; False if it was already."""
    first = Notice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at, acknowledged_by=actor, updated_at=at
    )
    if first:
        for hook in _acknowledgement_hooks.values():
            hook(notice, actor, at)
        NoticeEvent.objects.create(
            notice=notice, event=NoticeEventKind.ACKNOWLEDGED, at=at, actor=actor
        )
        audit_append(
            actor=actor,
            verb=AuditVerb.NOTICE_ACKNOWLEDGED,
            obj=notice,
            child=notice.child_id,
            payload={"notice_kind": str(notice.kind)},
            at=at,
        )
    return bool(first)


def notice_acknowledge(*, notice: Notice, actor: User) -> Notice:
    """The recipient organisation says it has the notice. Records who and when, once: a
    second acknowledgement changes nothing.

    Anyone else gets ``NotFoundOrNotAllowed``, the same answer as for a notice that does not
    exist.
    """
    if (
        not actor.is_active
        or actor.organisation_id is None
        or actor.organisation_id != notice.recipient_id
        or not may(actor, Action.ACKNOWLEDGE_NOTICE)
    ):
        raise NotFoundOrNotAllowed()
    at = current_time()
    with transaction.atomic():
        first = _acknowledge(notice, actor=actor, at=at)
    notice.refresh_from_db(fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    if first:
        logger.info("notice id=%s acknowledged by user=%s", notice.id, actor.id)
    return notice


def notices_acknowledge(*, notice_ids: Iterable[uuid.UUID | str], actor: User) -> list[Notice]:
    """Acknowledge several notices at once (the urgent lane's checkboxes): all or none.

    Each notice gets its own event and audit row. A notice already acknowledged is left as
    it was. Refused, naming each one, when any is not addressed to the user's organisation,
    does not exist, or the user's role may not acknowledge: by its reference where the user's
    organisation received it, else as "not found", the same for missing and not allowed.
    """
    wanted: list[uuid.UUID] = []
    unreadable: list[str] = []
    for ident in notice_ids:
        try:
            pk = ident if isinstance(ident, uuid.UUID) else uuid.UUID(str(ident))
        except ValueError:
            unreadable.append(str(ident)[:40])
            continue
        if pk not in wanted:
            wanted.append(pk)
    if not wanted and not unreadable:
        raise ValidationError("Select the alerts you want to acknowledge", field="notices")
    allowed = actor.is_active and actor.organisation_id is not None
    at = current_time()
    with transaction.atomic():
        found = {
            n.pk: n
            for n in Notice.objects.select_for_update(of=("self",))
            .filter(pk__in=wanted)
            .order_by("created_at", "id")
        }
        refused = [f"{text} (not found)" for text in unreadable]
        for pk in wanted:
            notice = found.get(pk)
            if notice is None or not allowed or notice.recipient_id != actor.organisation_id:
                refused.append(f"{pk} (not found)")
            elif not may(actor, Action.ACKNOWLEDGE_NOTICE):
                refused.append(f"{notice.reference} (your role cannot acknowledge notices)")
        if refused:
            raise ValidationError(
                "Nothing was acknowledged. You cannot acknowledge: " + "; ".join(refused),
                field="notices",
            )
        done = [pk for pk in wanted if _acknowledge(found[pk], actor=actor, at=at)]
    notices = [found[pk] for pk in wanted]
    for notice in notices:
        notice.refresh_from_db(fields=["acknowledged_at", "acknowledged_by", "updated_at"])
    logger.info("notices acknowledged count=%s by user=%s", len(done), actor.id)
    return notices


def urgent_settings_set(
    *,
    organisation: Organisation,
    ack_minutes: int,
    duty_contact: User | None,
    duty_phone: str,
    actor: User | None,
) -> NoticePolicy:
    """An organisation's urgent lane: minutes to acknowledge a missing, away or child safe
    alert (1 to 1440; 30 unless set), and the duty contact (one of its active people, with a
    UK mobile) told when an alert is not acknowledged in time.

    ``actor`` None is Sightline itself (the demo, a command); a person must be of the
    organisation and hold ``CONFIGURE_NOTICE_SETTINGS``, else ``NotFoundOrNotAllowed``.
    """
    if actor is not None and (
        actor.organisation_id != organisation.pk or not may(actor, Action.CONFIGURE_NOTICE_SETTINGS)
    ):
        raise NotFoundOrNotAllowed()
    if not isinstance(ack_minutes, int) or not 1 <= ack_minutes <= 24 * 60:
        raise ValidationError("Enter a number of minutes between 1 and 1440", field="ack_minutes")
    if duty_contact is not None and (
        duty_contact.organisation_id != organisation.pk or not duty_contact.is_active
    ):
        raise ValidationError(
            f"The duty contact must be an active person of {organisation.name}",
            field="duty_contact",
        )
    phone = uk_mobile(duty_phone, field="duty_phone") if duty_phone.strip() else ""
    if duty_contact is not None and not phone:
        raise ValidationError("Enter the duty contact's mobile phone number", field="duty_phone")
    with transaction.atomic():
        policy, _ = NoticePolicy.objects.select_for_update().get_or_create(
            organisation=organisation
        )
        policy.urgent_ack_minutes = ack_minutes
        policy.duty_contact = duty_contact
        policy.duty_phone = phone
        policy.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.URGENT_SETTINGS_CHANGED,
            obj=policy,
            organisation=actor.organisation if actor else organisation,
            payload={
                "ack_minutes": ack_minutes,
                "duty_phone": bool(phone),
                "duty_contact": str(duty_contact.pk) if duty_contact else None,
            },
        )
    logger.info(
        "urgent settings organisation=%s minutes=%s duty_contact=%s actor=%s",
        organisation.id,
        ack_minutes,
        duty_contact.pk if duty_contact else None,
        actor.id if actor else None,
    )
    return policy


@dataclass(frozen=True)
class LinkAcknowledgement:
    notice: Notice
    first: bool  # False: it had been acknowledged already (shown who by, and when)


def notice_acknowledge_by_link(
    *, notice_id: uuid.UUID, address: str, name: str, role: str
) -> LinkAcknowledgement:
    """Someone at an agency not on Sightline acknowledges through the signed link e-mailed to
    its directory inbox (``links.acknowledgement_read`` has checked the link). Records who,
    their role, when and the address, on the notice, its history and the audit chain. Once:
    a second acknowledgement changes nothing.

    The link must have been sent: a delivery with a signed link of this notice to this
    address. Anything else is ``NotFoundOrNotAllowed``.
    """
    name, role, address = " ".join(name.split()), " ".join(role.split()), address.lower()
    if not name:
        raise ValidationError("Enter your name", field="name")
    if not role:
        raise ValidationError("Enter your role", field="role")
    if len(name) > 120:
        raise ValidationError("Your name must be 120 characters or fewer", field="name")
    if len(role) > 120:
        raise ValidationError("Your role must be 120 characters or fewer", field="role")
    if not Delivery.objects.filter(
        notice_id=notice_id, signed_link=True, address__iexact=address
    ).exists():
        raise NotFoundOrNotAllowed()
    at = current_time()
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=notice_id)
        first = notice.acknowledged_at is None
        if first:
            notice.acknowledged_at = at
            notice.acknowledged_by_name = name
            notice.acknowledged_by_role = role
            notice.acknowledged_address = address
            notice.save(
                update_fields=[
                    "acknowledged_at",
                    "acknowledged_by_name",
                    "acknowledged_by_role",
                    "acknowledged_address",
                    "updated_at",
                ]
            )
            NoticeEvent.objects.create(
                notice=notice,
                event=NoticeEventKind.ACKNOWLEDGED,
                at=at,
                detail=f"By {name} ({role}), through the link e-mailed to {address}"[:300],
            )
            digest = hashlib.sha256(
                "\n".join([name, role, address, at.isoformat()]).encode()
            ).hexdigest()
            audit_append(
                actor=None,
                verb=AuditVerb.NOTICE_ACKNOWLEDGED_BY_LINK,
                obj=notice,
                child=notice.child_id,
                organisation=notice.recipient,
                payload={"notice_kind": str(notice.kind), "digest": digest},
                at=at,
            )
    if first:
        logger.info("notice id=%s acknowledged through a signed link", notice.id)
    return LinkAcknowledgement(notice=notice, first=first)


def delivery_again(old: Delivery, *, at: dt.datetime, actor: User | None, detail: str) -> Delivery:
    """A new attempt at a failed delivery (``retry_of`` it): the same notice, channel, address
    and contact point, due at once, with a ``retried`` event saying ``detail`` and which
    delivery it repeats. The caller holds the transaction and has checked it may."""
    new = Delivery.objects.create(
        notice_id=old.notice_id,
        channel=old.channel,
        address=old.address,
        contact_point=old.contact_point,
        status=DeliveryStatus.CREATED,
        next_attempt_at=at,
        retry_of=old,
    )
    NoticeEvent.objects.create(
        notice_id=old.notice_id,
        delivery=new,
        event=NoticeEventKind.RETRIED,
        at=at,
        actor=actor,
        detail=f"{detail} {old.id}",
    )
    return new


def delivery_retry_failed(
    *,
    actor: User | None = None,
    statuses: Iterable[str] = (DeliveryStatus.TECHNICAL_FAILURE,),
    channel: str | None = None,
) -> int:
    """Queue again the deliveries that ended in failure (by default technical failures: the
    ones an operator can put right, such as SMTP settings or a Notify key).

    The failed row keeps its final status; a new delivery (``retry_of``) is created, so the
    history shows both. A contact point switched off since is not retried. Returns how many.
    """
    wanted = {DeliveryStatus(s) for s in statuses}
    if not wanted <= {DeliveryStatus.TECHNICAL_FAILURE, DeliveryStatus.PERMANENT_FAILURE}:
        raise ValidationError("Only failed deliveries can be retried.", field="statuses")
    at = current_time()
    failed = Delivery.objects.filter(status__in=wanted, retried_by__isnull=True).exclude(
        contact_point__enabled=False
    )
    if channel:
        failed = failed.filter(channel=channel)
    count = 0
    with transaction.atomic():
        for old in failed.select_related("contact_point"):
            delivery_again(old, at=at, actor=actor, detail=f"{old.channel}: retry of delivery")
            count += 1
    logger.info("deliveries retried count=%s actor=%s", count, actor.id if actor else None)
    return count


def contact_point_set(
    *,
    organisation: Organisation,
    kind: str,
    channel: str,
    address: str,
    enabled: bool = True,
    secret: str | None = None,
    actor: User | None,
) -> ContactPoint:
    """Add or change where an organisation receives one kind of notice on one channel.

    A webhook gets a random signing secret unless one is given; share it with the partner
    system once, from the returned object.
    """
    kind = kind.strip()
    if not kind:
        raise ValidationError("Select the kind of notice", field="kind")
    channel = Channel(channel)
    address = address.strip()
    if channel == Channel.IN_APP:
        raise ValidationError("The Sightline inbox needs no address.", field="channel")
    if channel == Channel.FEDERATION:
        raise ValidationError(
            "Another Sightline is reached through the directory, not a contact point.",
            field="channel",
        )
    if channel in (Channel.EMAIL, Channel.NOTIFY):
        try:
            validate_email(address)
        except DjangoValidationError as exc:
            raise ValidationError(
                "Enter an email address in the correct format, like name@example.com",
                field="address",
            ) from exc
    elif channel == Channel.SMS:
        address = uk_mobile(address, field="address")
    else:
        try:
            URLValidator(schemes=["https", "http"])(address)
        except DjangoValidationError as exc:
            raise ValidationError(
                "Enter the webhook address, like https://example.gov.uk/sightline",
                field="address",
            ) from exc
        host = urlparse(address).hostname or ""
        if (
            urlparse(address).scheme != "https"
            and settings.MODE == "production"
            and host not in {"localhost", "127.0.0.1", "::1"}
        ):
            raise ValidationError("A webhook address must start https://", field="address")
        try:
            check_public(address, must_resolve=False)
        except AddressNotPublic as exc:
            raise ValidationError(
                "Enter a webhook address on the public internet, not a local or private network",
                field="address",
            ) from exc
    with transaction.atomic():
        point, _ = ContactPoint.objects.get_or_create(
            organisation=organisation,
            kind=kind,
            channel=channel,
            address=address,
            defaults={"enabled": enabled},
        )
        point.enabled = enabled
        if channel == Channel.WEBHOOK and (secret or not point.secret):
            point.secret = secret or secrets.token_urlsafe(32)
        point.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.CONTACT_POINT_CHANGED,
            obj=point,
            organisation=actor.organisation if actor else organisation,
            payload={"notice_kind": str(kind), "channel": str(channel), "enabled": enabled},
        )
    logger.info(
        "contact point id=%s organisation=%s kind=%s channel=%s enabled=%s actor=%s",
        point.id,
        organisation.id,
        kind,
        channel,
        enabled,
        actor.id if actor else None,
    )
    return point


def notice_policy_set(
    *, organisation: Organisation, receives_placement_notices: bool, actor: User | None
) -> NoticePolicy:
    """Switch a police force's placement and discharge notices on or off."""
    if organisation.kind != OrganisationKind.POLICE:
        raise ValidationError(
            "Only a police force can switch placement notices off: councils must receive "
            "them by law.",
            field="receives_placement_notices",
        )
    with transaction.atomic():
        policy, _ = NoticePolicy.objects.get_or_create(organisation=organisation)
        policy.receives_placement_notices = receives_placement_notices
        policy.save()
        audit_append(
            actor=actor,
            verb=AuditVerb.NOTICE_SETTINGS_CHANGED,
            obj=policy,
            organisation=actor.organisation if actor else organisation,
            payload={"receives_placement_notices": receives_placement_notices},
        )
    logger.info(
        "notice policy organisation=%s placement_notices=%s actor=%s",
        organisation.id,
        receives_placement_notices,
        actor.id if actor else None,
    )
    return policy
