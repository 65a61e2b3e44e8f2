"""The leased outbox loop: how a delivery moves from created to a final status.

1. **Claim** one due delivery (created, or a temporary failure whose back-off has passed) in
   a short transaction: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED``, so concurrent
   workers take different rows; on SQLite the transaction takes the write lock at ``BEGIN``
   (``transaction_mode=IMMEDIATE``), so claims are serialised. The claim is a guarded update
   (``WHERE status IN ('created', 'temporary-failure')``) that sets ``sending``, a fresh
   ``lease_token``, ``leased_until`` and counts the attempt, then commits.
2. **Send** through the channel, outside any transaction.
3. **Record** the result with ``UPDATE … WHERE status = 'sending' AND lease_token = <ours>``:
   if the lease was lost (the sweeper took the row back), nothing changes. Final statuses are
   never the starting point of any update, so they never move back. A message GOV.UK Notify
   took is recorded ``accepted`` while its delivery receipts are on: the receipt moves it to
   a final status (``receipts.py``).
4. **Sweep**: a delivery still ``sending`` after its lease expired belonged to a worker that
   died; it goes back to ``temporary-failure`` (due at once) or, out of attempts, to
   ``technical-failure``. The next attempt of a GOV.UK Notify delivery first asks Notify
   whether the earlier one was accepted; an e-mail may be sent twice at most, with the same
   ``Message-ID``.

The lease, the back-off and the number of attempts depend on the notice's kind
(``urgency.py``): urgent alerts (a child missing, away or safe) hold a short lease and are
retried within seconds; placement notices keep the gentler schedule (ADR 22). Urgent
deliveries are claimed first. If the database goes away after a send, recording its result is
tried again until the lease runs out, so that a restart or a failover sends no duplicate.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, F, IntegerField, Value, When

from sightline.core.timeutil import now as current_time
from sightline.notifications.channels import ChannelSet, Outcome, Result, temporary
from sightline.notifications.directory import address_bounced
from sightline.notifications.models import (
    DUE_STATUSES,
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NoticeEventKind,
)
from sightline.notifications.urgency import schedule_for, urgent_kinds

logger = logging.getLogger(__name__)

_CLAIM_RACE_RETRIES = 3


def backoff(attempts: int, *, kind: str = "") -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt of a notice of this kind: for the
    standard schedule 30 s, 60 s, 120 s… capped at 1 hour; for urgent alerts 5 s, 10 s, then
    every 20 s (``urgency.py``)."""
    return schedule_for(kind).backoff(attempts)


def _claim_order(due: Any) -> Any:
    """Urgent alerts first, then the longest due."""
    urgent = sorted(urgent_kinds())
    if not urgent:
        return due.order_by("next_attempt_at", "created_at")
    first = Case(
        When(notice__kind__in=urgent, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return due.order_by(first, "next_attempt_at", "created_at")


def delivery_claim_next(*, now: dt.datetime | None = None) -> Delivery | None:
    """Take the next due delivery for this worker, or None when nothing is due."""
    at = now or current_time()
    due = Delivery.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=at)
    for _ in range(_CLAIM_RACE_RETRIES):
        if not due.exists():  # a read first: an idle poll takes no write lock on SQLite
            return None
        token = uuid.uuid4()
        with transaction.atomic():
            candidates = _claim_order(due)
            if connection.features.has_select_for_update_skip_locked:
                candidates = candidates.select_for_update(skip_locked=True, of=("self",))
            row = candidates.values_list("pk", "notice__kind").first()
            if row is None:
                return None  # every due row is being claimed by other workers
            pk, kind = row
            claimed = Delivery.objects.filter(pk=pk, status__in=DUE_STATUSES).update(
                status=DeliveryStatus.SENDING,
                lease_token=token,
                leased_until=at + schedule_for(kind).lease,
                attempts=F("attempts") + 1,
                updated_at=at,
            )
        if claimed:
            return Delivery.objects.select_related(
                "notice", "contact_point__subscription", "retry_of"
            ).get(pk=pk)
    return None


def delivery_record_result(
    *, delivery: Delivery, result: Result, now: dt.datetime | None = None
) -> bool:
    """Move a delivery this worker holds to the status its result calls for.

    Returns False, changing nothing, when the lease was lost meanwhile.
    """
    at = now or current_time()
    attempts = delivery.attempts
    schedule = schedule_for(delivery.notice.kind)
    fields: dict[str, Any] = {"lease_token": None, "leased_until": None, "updated_at": at}
    error = result.error[:300]
    if result.outcome is Outcome.DELIVERED:
        status = DeliveryStatus.DELIVERED
        fields.update(
            sent_at=at,
            delivered_at=at,
            provider_reference=result.provider_reference[:100],
            last_error="",
            next_attempt_at=None,
        )
        detail = f"{delivery.channel}, attempt {attempts}"
    elif result.outcome is Outcome.ACCEPTED:
        # GOV.UK Notify took it; its receipt moves it on (receipts.py).
        status = DeliveryStatus.ACCEPTED
        fields.update(
            sent_at=at,
            provider_reference=result.provider_reference[:100],
            last_error="",
            next_attempt_at=None,
        )
        detail = f"{delivery.channel}, attempt {attempts}"
    elif result.outcome is Outcome.TEMPORARY and attempts < schedule.max_attempts:
        status = DeliveryStatus.TEMPORARY_FAILURE
        retry_at = at + schedule.backoff(attempts)
        fields.update(next_attempt_at=retry_at, last_error=error)
        detail = f"{delivery.channel}, attempt {attempts}: {error}"
    else:
        if result.outcome is Outcome.PERMANENT:
            status = DeliveryStatus.PERMANENT_FAILURE
        else:
            status = DeliveryStatus.TECHNICAL_FAILURE
            if result.outcome is Outcome.TEMPORARY:
                error = f"{error} (gave up after {attempts} attempts)"[:300]
        fields.update(failed_at=at, last_error=error, next_attempt_at=None)
        detail = f"{delivery.channel}, attempt {attempts}: {error}"
    fields["status"] = status
    with transaction.atomic():
        moved = Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, lease_token=delivery.lease_token
        ).update(**fields)
        if moved:
            NoticeEvent.objects.create(
                notice_id=delivery.notice_id,
                delivery=delivery,
                event=NoticeEventKind(status.value),
                at=at,
                detail=detail[:300],
            )
            if status == DeliveryStatus.PERMANENT_FAILURE and delivery.signed_link:
                _front_door_bounced(delivery, error=error, at=at)
    if not moved:
        logger.warning(
            "delivery id=%s lease lost before recording %s; left as it is",
            delivery.id,
            result.outcome,
        )
        return False
    for name, value in fields.items():
        setattr(delivery, name, value)
    ok = status in (DeliveryStatus.DELIVERED, DeliveryStatus.ACCEPTED)
    log = logger.info if ok else logger.warning
    log(
        "delivery id=%s notice=%s channel=%s attempt=%s status=%s",
        delivery.id,
        delivery.notice_id,
        delivery.channel,
        attempts,
        status,
    )
    return True


def _front_door_bounced(delivery: Delivery, *, error: str, at: dt.datetime) -> None:
    """A directory inbox refused the notice for good: the address is bouncing (never used
    again until verified again) and the notice is undeliverable, which the escalation pass
    tells a named person about at once and the sender's page shows."""
    address_bounced(address=delivery.address, error=error)
    why = f"The directory inbox bounced ({error}): not delivered by e-mail"[:300]
    if Notice.objects.filter(pk=delivery.notice_id, undeliverable="").update(
        undeliverable=why, updated_at=at
    ):
        NoticeEvent.objects.create(
            notice_id=delivery.notice_id,
            delivery=delivery,
            event=NoticeEventKind.UNDELIVERABLE,
            at=at,
            detail=why,
        )


# Database errors that mean the connection is gone (a restart, a failover, a network drop),
# not that a statement was wrong.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# The waits between attempts to record a result while the database is away.
_RECORD_RETRY_FIRST = 0.5
_RECORD_RETRY_MAX = 5.0
_RECORD_RETRY_FOR = 60.0


def _reconnectable() -> bool:
    # Inside a transaction (a test that runs the worker in its own) the connection must stay.
    return not connection.in_atomic_block


def _close_broken_connection() -> None:
    # Already gone, perhaps: Django opens a new one for the next query.
    with contextlib.suppress(DatabaseError):
        connection.close()


def _record_until_lease_ends(*, delivery: Delivery, result: Result) -> bool:
    """Record a result, trying again while the database is away and the lease still holds.

    The message has gone: if the database restarts now and the result is never recorded, the
    sweeper hands the delivery to another worker when the lease ends and the recipient gets
    it twice (with the same reference). Waiting for the database avoids that in a restart or
    a failover, which take seconds. After the lease, the error goes up to the worker loop.
    """
    # At most a minute: the worker writes no heartbeat meanwhile (its watchdog allows 2).
    give_up = time.monotonic() + min(_lease_left(delivery), _RECORD_RETRY_FOR)
    wait = _RECORD_RETRY_FIRST
    while True:
        try:
            return delivery_record_result(delivery=delivery, result=result)
        except CONNECTION_ERRORS as exc:
            if not _reconnectable() or time.monotonic() + wait > give_up:
                raise
            logger.warning(
                "delivery id=%s sent; database unavailable (%s) while recording it, "
                "trying again in %.1f s",
                delivery.id,
                type(exc).__name__,
                wait,
            )
            _close_broken_connection()
            time.sleep(wait)
            wait = min(wait * 2, _RECORD_RETRY_MAX)


def _lease_left(delivery: Delivery) -> float:
    if delivery.leased_until is None:
        return 0.0
    return max((delivery.leased_until - current_time()).total_seconds(), 0.0)


def delivery_send(*, delivery: Delivery, channels: ChannelSet) -> Result:
    """Send a claimed delivery on its channel and record the result."""
    try:
        result = channels.get(delivery.channel).send(delivery)
    except Exception as exc:  # a fault in a channel must not lose the notice
        logger.error(
            "delivery id=%s channel=%s raised %s",
            delivery.id,
            delivery.channel,
            type(exc).__name__,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        result = temporary(f"Unexpected {type(exc).__name__}")
    _record_until_lease_ends(delivery=delivery, result=result)
    return result


def deliveries_sweep(*, now: dt.datetime | None = None) -> int:
    """Take back deliveries whose worker died while sending them (lease expired)."""
    at = now or current_time()
    stuck = list(
        Delivery.objects.filter(status=DeliveryStatus.SENDING, leased_until__lt=at).values_list(
            "pk", "notice_id", "attempts", "notice__kind"
        )
    )
    swept = 0
    for pk, notice_id, attempts, kind in stuck:
        if attempts >= schedule_for(kind).max_attempts:
            status = DeliveryStatus.TECHNICAL_FAILURE
            error = f"Worker stopped mid-delivery (gave up after {attempts} attempts)"
            fields: dict[str, Any] = {"failed_at": at, "next_attempt_at": None}
            event = NoticeEventKind.TECHNICAL_FAILURE
        else:
            status = DeliveryStatus.TEMPORARY_FAILURE
            error = "Worker stopped mid-delivery; queued again"
            fields = {"next_attempt_at": at}
            event = NoticeEventKind.LEASE_EXPIRED
        with transaction.atomic():
            moved = Delivery.objects.filter(
                pk=pk, status=DeliveryStatus.SENDING, leased_until__lt=at
            ).update(
                status=status,
                lease_token=None,
                leased_until=None,
                last_error=error,
                updated_at=at,
                **fields,
            )
            if moved:
                NoticeEvent.objects.create(
                    notice_id=notice_id, delivery_id=pk, event=event, at=at, detail=error
                )
        if moved:
            swept += 1
            logger.warning("delivery id=%s lease expired; now %s", pk, status)
    return swept


def deliver_due(*, limit: int | None = None, should_stop: Callable[[], bool] | None = None) -> int:
    """Claim and send due deliveries, one at a time, until none is due (or ``limit``).

    One at a time, so that a worker told to stop holds no claimed-but-unsent rows.
    """
    done = 0
    with ChannelSet() as channels:
        while limit is None or done < limit:
            if should_stop is not None and should_stop():
                break
            delivery = delivery_claim_next()
            if delivery is None:
                break
            delivery_send(delivery=delivery, channels=channels)
            done += 1
    return done
