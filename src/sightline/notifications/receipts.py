"""GOV.UK Notify's delivery receipts, reconciled with the outbox.

Notify calls back (``callbacks.py``) once a message it took has reached its recipient or
failed for good. The receipt names the delivery by the ``reference`` Sightline sent
(``Delivery.reference``) and by Notify's own id (``Delivery.provider_reference``).

* A receipt moves a delivery forward only: from ``accepted`` (Notify took it) or ``sending``
  (Notify answered the worker's request but the worker has not recorded it yet) to
  ``delivered`` or to a failure. The update is guarded on those two statuses, so a final
  status never moves and a replayed receipt changes nothing and adds no event.
* Notify's ``permanent-failure`` (no such address or number) becomes ``permanent-failure``;
  its ``temporary-failure`` (inbox full, phone off: Notify has stopped trying) and
  ``technical-failure`` become ``technical-failure``, which an operator may queue again
  (``sightline notices retry``). Each failure is escalated at once to a person at the sender
  (``escalation.py``, reason "could not be delivered").
* Notify's interim statuses (``sending``, ``pending``, ``created``) change nothing.
* A message Notify accepted but never gave a receipt for is stuck in ``accepted``: the
  sweeper (``receipts_overdue_sweep``, a worker job) moves it to ``technical-failure`` ("no
  receipt") after ``SIGHTLINE_RECEIPT_TIMEOUT_HOURS`` (72 by default) or, for an urgent alert,
  ``SIGHTLINE_URGENT_RECEIPT_TIMEOUT_HOURS`` (1), and escalates it like any failure. A receipt
  that arrives after that finds a final status and changes nothing.
* A receipt for no delivery Sightline knows is acknowledged (Notify would only retry it) and
  logged by its Notify id, never with the address.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from sightline.core.timeutil import now as current_time
from sightline.notifications import conf
from sightline.notifications.escalation import notice_escalate
from sightline.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EscalationReason,
    NoticeEvent,
    NoticeEventKind,
)
from sightline.notifications.urgency import Urgency, urgency_of

logger = logging.getLogger(__name__)

# Notify's final statuses, as ours.
_FINAL: dict[str, DeliveryStatus] = {
    "delivered": DeliveryStatus.DELIVERED,
    "permanent-failure": DeliveryStatus.PERMANENT_FAILURE,
    "temporary-failure": DeliveryStatus.TECHNICAL_FAILURE,
    "technical-failure": DeliveryStatus.TECHNICAL_FAILURE,
}
_INTERIM = frozenset({"created", "sending", "pending", "sent", "accepted", "received"})
_WHY: dict[str, str] = {
    "permanent-failure": "the address or number does not exist",
    "temporary-failure": "the inbox was full or the phone off, and Notify has stopped trying",
    "technical-failure": "a problem between GOV.UK Notify and its provider",
}
# A receipt may move a delivery only from these.
_MOVABLE = (DeliveryStatus.ACCEPTED, DeliveryStatus.SENDING)
_NOTIFY_CHANNELS = (Channel.NOTIFY, Channel.SMS)


class ReceiptOutcome(enum.StrEnum):
    APPLIED = "applied"  # the delivery moved on, one event
    UNCHANGED = "unchanged"  # already final (a replay, or a late receipt), or interim
    UNKNOWN = "unknown"  # no delivery of ours


class ReceiptError(ValueError):
    """The body is not a Notify receipt (a field missing or of the wrong form)."""


def _text(payload: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise ReceiptError(f"{name} is missing")
        return ""
    if not isinstance(value, str) or len(value) > 200:
        raise ReceiptError(f"{name} is not a string of at most 200 characters")
    return value


def _when(payload: Mapping[str, Any], name: str) -> dt.datetime | None:
    value = _text(payload, name, required=False)
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ReceiptError(f"{name} is not a date and time")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)  # Notify sends UTC
    return parsed


def _find(notification_id: str, reference: str) -> Delivery | None:
    """The delivery by Notify's id, else by the reference Sightline sent, but only a delivery
    with no Notify id recorded yet (a receipt that beats the worker's record): a delivery
    whose stored Notify id is another's is not this receipt's, and its id is never replaced."""
    deliveries = Delivery.objects.filter(channel__in=_NOTIFY_CHANNELS).select_related("notice")
    found = deliveries.filter(provider_reference=notification_id).first()
    if found is not None or not reference:
        return found
    # ``<notice reference>-<first 8 hex digits of the delivery id>``
    notice_reference, _, suffix = reference.rpartition("-")
    if not notice_reference or len(suffix) != 8:
        return None
    for delivery in deliveries.filter(notice__reference=notice_reference):
        if delivery.reference == reference and delivery.provider_reference in ("", notification_id):
            return delivery
    return None


def notify_receipt_apply(
    *, payload: Mapping[str, Any], now: dt.datetime | None = None
) -> ReceiptOutcome:
    """Reconcile one receipt with the outbox; see the module's docstring for the rules.

    Raises ``ReceiptError`` for a body that is not a receipt.
    """
    if not isinstance(payload, Mapping):
        raise ReceiptError("the body is not a JSON object")
    notification_id = _text(payload, "id")
    try:
        uuid.UUID(notification_id)
    except ValueError as exc:
        raise ReceiptError("id is not a GOV.UK Notify notification id") from exc
    status = _text(payload, "status")
    reference = _text(payload, "reference", required=False)
    completed_at = _when(payload, "completed_at")
    _when(payload, "sent_at")
    _when(payload, "created_at")
    if status not in _FINAL and status not in _INTERIM:
        raise ReceiptError("status is not one GOV.UK Notify sends")
    at = now or current_time()

    delivery = _find(notification_id, reference)
    if delivery is None:
        logger.warning(
            "GOV.UK Notify receipt for no known delivery: notification=%s status=%s",
            notification_id,
            status,
        )
        return ReceiptOutcome.UNKNOWN
    if status in _INTERIM:
        return ReceiptOutcome.UNCHANGED

    new = _FINAL[status]
    when = completed_at or at
    fields: dict[str, Any] = {
        "status": new,
        "lease_token": None,
        "leased_until": None,
        "next_attempt_at": None,
        "updated_at": at,
        "provider_reference": notification_id,
    }
    if new == DeliveryStatus.DELIVERED:
        fields.update(delivered_at=when, last_error="")
        detail = f"{delivery.channel}: GOV.UK Notify receipt, delivered"
    else:
        error = f"GOV.UK Notify receipt: {status} ({_WHY[status]})"
        fields.update(failed_at=when, last_error=error[:300])
        detail = f"{delivery.channel}: {error}"
    with transaction.atomic():
        moved = Delivery.objects.filter(pk=delivery.pk, status__in=_MOVABLE).update(**fields)
        if moved:
            if delivery.sent_at is None:
                Delivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(sent_at=when)
            NoticeEvent.objects.create(
                notice_id=delivery.notice_id,
                delivery=delivery,
                event=NoticeEventKind(new.value),
                at=at,
                detail=detail[:300],
            )
    if not moved:
        logger.info(
            "GOV.UK Notify receipt left delivery id=%s as it is (%s; receipt says %s)",
            delivery.id,
            Delivery.objects.filter(pk=delivery.pk).values_list("status", flat=True).first(),
            status,
        )
        return ReceiptOutcome.UNCHANGED
    logger.info(
        "GOV.UK Notify receipt: delivery id=%s notice=%s now %s",
        delivery.id,
        delivery.notice_id,
        new,
    )
    if new != DeliveryStatus.DELIVERED:
        notice_escalate(
            notice_id=delivery.notice_id, reason=EscalationReason.DELIVERY_FAILED, now=at
        )
    return ReceiptOutcome.APPLIED


NO_RECEIPT = "No delivery receipt from GOV.UK Notify within {hours:g} hours"


def receipt_timeout(kind: str) -> dt.timedelta:
    """How long a delivery of this kind of notice may stay ``accepted``."""
    if urgency_of(kind) is Urgency.URGENT:
        return dt.timedelta(hours=conf.urgent_receipt_timeout_hours())
    return dt.timedelta(hours=conf.receipt_timeout_hours())


def receipts_overdue_sweep(*, now: dt.datetime | None = None) -> int:
    """Move each delivery accepted by Notify longer ago than its kind's receipt timeout to a
    final ``technical-failure`` (no receipt) and escalate its notice to a person at the sender,
    as a failure Notify reported would be. Returns how many it moved.

    The query reads the partial index on ``sent_at`` of accepted deliveries
    (``delivery_accepted_sent_at``) with the shorter of the two timeouts; each row is then
    held to its own kind's timeout, and moved only if it is still ``accepted`` (a receipt may
    have come meanwhile)."""
    at = now or current_time()
    shortest = min(
        dt.timedelta(hours=conf.receipt_timeout_hours()),
        dt.timedelta(hours=conf.urgent_receipt_timeout_hours()),
    )
    candidates = Delivery.objects.filter(
        status=DeliveryStatus.ACCEPTED, sent_at__lt=at - shortest
    ).values_list("pk", "notice_id", "sent_at", "channel", "notice__kind")
    moved_ids: list[tuple[uuid.UUID, uuid.UUID]] = []
    for pk, notice_id, sent_at, channel, kind in candidates:
        timeout = receipt_timeout(kind)
        if sent_at is None or sent_at >= at - timeout:
            continue
        error = NO_RECEIPT.format(hours=timeout.total_seconds() / 3600)
        with transaction.atomic():
            moved = Delivery.objects.filter(pk=pk, status=DeliveryStatus.ACCEPTED).update(
                status=DeliveryStatus.TECHNICAL_FAILURE,
                failed_at=at,
                last_error=error,
                lease_token=None,
                leased_until=None,
                next_attempt_at=None,
                updated_at=at,
            )
            if moved:
                NoticeEvent.objects.create(
                    notice_id=notice_id,
                    delivery_id=pk,
                    event=NoticeEventKind.TECHNICAL_FAILURE,
                    at=at,
                    detail=f"{channel}: {error}"[:300],
                )
        if moved:
            moved_ids.append((pk, notice_id))
            logger.warning("delivery id=%s had no GOV.UK Notify receipt; now failed", pk)
    for _pk, notice_id in moved_ids:
        notice_escalate(notice_id=notice_id, reason=EscalationReason.DELIVERY_FAILED, now=at)
    return len(moved_ids)
