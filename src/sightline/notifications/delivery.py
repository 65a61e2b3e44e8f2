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
import functools
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When

from sightline.core.inserts import insert_rows
from sightline.core.prepared import prepared, prepared_update, update_sql
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
T = TypeVar("T")


def backoff(attempts: int, *, kind: str = "") -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt of a notice of this kind: for the
    standard schedule 30 s, 60 s, 120 s… capped at 1 hour; for urgent alerts 5 s, 10 s, then
    every 20 s (``urgency.py``)."""
    return schedule_for(kind).backoff(attempts)


def _claim_order(due: Any, urgent: tuple[str, ...]) -> Any:
    """Urgent alerts first, then the longest due."""
    if not urgent:
        return due.order_by("next_attempt_at", "created_at")
    first = Case(
        When(notice__kind__in=urgent, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return due.order_by(first, "next_attempt_at", "created_at")


# The claim's statements are built once per process (``core.prepared``, issue 13): the ORM
# built four of them afresh for every batch, more CPU than sending the e-mails.


def _due(*, at: dt.datetime) -> Any:
    return Delivery.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=at)


def _any_due(*, at: dt.datetime) -> Any:
    return _due(at=at).order_by().values_list("pk", flat=True)[:1]


def _candidates(limit: int, skip_locked: bool) -> Callable[..., Any]:
    def build(*, at: dt.datetime, urgent: tuple[str, ...]) -> Any:
        candidates = _claim_order(_due(at=at), urgent)
        if skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        return candidates.values_list("pk", "notice__kind")[:limit]

    return build


def _claim(
    *, pks: tuple[uuid.UUID, ...], token: uuid.UUID, until: dt.datetime, at: dt.datetime
) -> tuple[str, list[Any]]:
    return update_sql(
        Delivery.objects.filter(pk__in=pks, status__in=DUE_STATUSES),
        status=DeliveryStatus.SENDING,
        lease_token=token,
        leased_until=until,
        attempts=F("attempts") + 1,
        updated_at=at,
    )


def _claimed(*, pks: tuple[uuid.UUID, ...], token: uuid.UUID) -> Any:
    return Delivery.objects.select_related(
        "notice", "contact_point__subscription", "retry_of"
    ).filter(pk__in=pks, status=DeliveryStatus.SENDING, lease_token=token)


def deliveries_claim(*, limit: int, now: dt.datetime | None = None) -> list[Delivery]:
    """Take up to ``limit`` due deliveries of one schedule for this worker, in claim order
    (urgent first), in one short transaction of three statements whatever ``limit`` is: the
    rows are chosen (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), those with the first row's
    lease moved to ``sending`` under one lease token, then read back with their notices.
    Empty when nothing is due."""
    at = now or current_time()
    urgent = tuple(sorted(urgent_kinds()))
    skip_locked = bool(connection.features.has_select_for_update_skip_locked)
    for _ in range(_CLAIM_RACE_RETRIES):
        # A read first: an idle poll takes no write lock on SQLite.
        if not prepared("notifications.any_due", _any_due, at=at):
            return []
        token = uuid.uuid4()
        with transaction.atomic():
            rows = prepared(
                ("notifications.claim_candidates", limit, skip_locked),
                _candidates(limit, skip_locked),
                at=at,
                urgent=urgent,
            )
            if not rows:
                return []  # every due row is being claimed by other workers
            # One schedule per batch, the first row's (urgent first): a worker that dies
            # holding a batch of urgent alerts holds nothing on the 5-minute lease.
            lease = schedule_for(rows[0][1]).lease
            rows = [(pk, kind) for pk, kind in rows if schedule_for(kind).lease == lease]
            pks = tuple(pk for pk, _ in rows)
            claimed = prepared_update(
                "notifications.claim", _claim, pks=pks, token=token, until=at + lease, at=at
            )
            # Read back in the claim's transaction: a database lost before the rows are in
            # hand rolls the claim back, rather than leaving them claimed by a worker that
            # never sends them until their lease ends (five minutes for a placement notice;
            # found by the database-restart fault test under load).
            held = (
                prepared("notifications.claimed", _claimed, pks=pks, token=token) if claimed else []
            )
        if claimed:
            order = {pk: n for n, (pk, _) in enumerate(rows)}
            return sorted(held, key=lambda d: order[d.pk])
    return []


def delivery_claim_next(*, now: dt.datetime | None = None) -> Delivery | None:
    """Take the next due delivery for this worker, or None when nothing is due."""
    claimed = deliveries_claim(limit=1, now=now)
    return claimed[0] if claimed else None


def deliveries_release(deliveries: list[Delivery]) -> int:
    """Give back claimed deliveries this worker will not send after all (told to stop, or
    the channel is failing): due again at once, as they were before the claim (the attempt
    is not counted). Guarded by the lease, like recording a result."""
    released = 0
    for delivery in deliveries:
        released += Delivery.objects.filter(
            pk=delivery.pk, status=DeliveryStatus.SENDING, lease_token=delivery.lease_token
        ).update(
            status=(
                DeliveryStatus.CREATED
                if delivery.attempts <= 1
                else DeliveryStatus.TEMPORARY_FAILURE
            ),
            lease_token=None,
            leased_until=None,
            attempts=F("attempts") - 1,
            updated_at=current_time(),
        )
    return released


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
        fields.update(_delivered_fields(at), provider_reference=result.provider_reference[:100])
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


def _still_held(*, pks: tuple[uuid.UUID, ...], tokens: tuple[uuid.UUID, ...]) -> Any:
    held = Q()
    for pk, token in zip(pks, tokens, strict=True):
        held |= Q(pk=pk, lease_token=token)
    return (
        Delivery.objects.select_for_update()
        .filter(held, status=DeliveryStatus.SENDING)
        .values_list("pk", flat=True)
    )


def _delivered_fields(at: dt.datetime) -> dict[str, Any]:
    """What a delivered row is given, in the database and on the instance alike."""
    return {
        "status": DeliveryStatus.DELIVERED,
        "lease_token": None,
        "leased_until": None,
        "updated_at": at,
        "sent_at": at,
        "delivered_at": at,
        "last_error": "",
        "next_attempt_at": None,
    }


def _delivered(
    *, pks: tuple[uuid.UUID, ...], references: tuple[str, ...], at: dt.datetime
) -> tuple[str, list[Any]]:
    return update_sql(
        Delivery.objects.filter(pk__in=pks),
        provider_reference=Case(
            *[When(pk=pk, then=Value(ref)) for pk, ref in zip(pks, references, strict=True)],
            output_field=CharField(),
        ),
        **_delivered_fields(at),
    )


def deliveries_record_delivered(
    *, sent: list[tuple[Delivery, Result]], now: dt.datetime | None = None
) -> list[Delivery]:
    """``delivery_record_result`` for several deliveries that were all delivered, in one
    transaction of three statements whatever their number: the rows still held under their
    lease are locked, moved to ``delivered`` together (each with its provider reference) and
    given their events. Returns the deliveries recorded; one whose lease was lost meanwhile
    is left as it is, as ``delivery_record_result`` does."""
    if not sent:
        return []
    assert all(result.outcome is Outcome.DELIVERED for _, result in sent)
    at = now or current_time()
    with transaction.atomic():
        still = set(
            prepared(
                "notifications.still_held",
                _still_held,
                pks=tuple(d.pk for d, _ in sent),
                tokens=tuple(d.lease_token for d, _ in sent),
            )
        )
        mine = [(d, r) for d, r in sent if d.pk in still]
        if mine:
            prepared_update(
                "notifications.delivered",
                _delivered,
                text=("references",),
                pks=tuple(d.pk for d, _ in mine),
                references=tuple(r.provider_reference[:100] for _, r in mine),
                at=at,
            )
            insert_rows(
                [
                    NoticeEvent(
                        notice_id=d.notice_id,
                        delivery=d,
                        event=NoticeEventKind.DELIVERED,
                        at=at,
                        detail=f"{d.channel}, attempt {d.attempts}"[:300],
                    )
                    for d, _ in mine
                ]
            )
    recorded = []
    for delivery, result in sent:
        if delivery.pk not in still:
            logger.warning(
                "delivery id=%s lease lost before recording %s; left as it is",
                delivery.id,
                result.outcome,
            )
            continue
        for name, value in _delivered_fields(at).items():
            setattr(delivery, name, value)
        delivery.provider_reference = result.provider_reference[:100]
        logger.info(
            "delivery id=%s notice=%s channel=%s attempt=%s status=%s",
            delivery.id,
            delivery.notice_id,
            delivery.channel,
            delivery.attempts,
            DeliveryStatus.DELIVERED,
        )
        recorded.append(delivery)
    return recorded


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
    """Record a result, trying again while the database is away and the lease still holds."""
    return _until_lease_ends(
        [delivery], lambda: delivery_record_result(delivery=delivery, result=result)
    )


def _until_lease_ends(deliveries: list[Delivery], record: Callable[[], T]) -> T:
    """Run ``record`` (recording results of deliveries already sent), trying again while the
    database is away and the leases still hold.

    The messages have gone: if the database restarts now and the results are never recorded,
    the sweeper hands the deliveries to another worker when the lease ends and the recipients
    get them twice (with the same reference). Waiting for the database avoids that in a
    restart or a failover, which take seconds. After the lease, the error goes up to the
    worker loop.
    """
    # At most a minute: the worker writes no heartbeat meanwhile (its watchdog allows 2).
    lease_left = min(_lease_left(d) for d in deliveries)
    give_up = time.monotonic() + min(lease_left, _RECORD_RETRY_FOR)
    wait = _RECORD_RETRY_FIRST
    while True:
        try:
            return record()
        except CONNECTION_ERRORS as exc:
            if not _reconnectable() or time.monotonic() + wait > give_up:
                raise
            logger.warning(
                "%s deliveries sent (first id=%s); database unavailable (%s) while recording "
                "them, trying again in %.1f s",
                len(deliveries),
                deliveries[0].id,
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


def _send(*, delivery: Delivery, channels: ChannelSet) -> Result:
    try:
        return channels.get(delivery.channel).send(delivery)
    except Exception as exc:  # a fault in a channel must not lose the notice
        logger.error(
            "delivery id=%s channel=%s raised %s",
            delivery.id,
            delivery.channel,
            type(exc).__name__,
            exc_info=logger.isEnabledFor(logging.DEBUG),
        )
        return temporary(f"Unexpected {type(exc).__name__}")


def delivery_send(*, delivery: Delivery, channels: ChannelSet) -> Result:
    """Send a claimed delivery on its channel and record the result."""
    result = _send(delivery=delivery, channels=channels)
    _record_until_lease_ends(delivery=delivery, result=result)
    return result


def _stuck(*, at: dt.datetime) -> Any:
    return Delivery.objects.filter(status=DeliveryStatus.SENDING, leased_until__lt=at).values_list(
        "pk", "notice_id", "attempts", "notice__kind"
    )


def deliveries_sweep(*, now: dt.datetime | None = None) -> int:
    """Take back deliveries whose worker died while sending them (lease expired).

    The worker runs it every cycle, so that an urgent alert is taken back within seconds of
    its lease; nearly always it finds nothing, so its look is built once per process
    (``core.prepared``): built afresh by the ORM, it was most of an idle cycle's CPU."""
    at = now or current_time()
    stuck = prepared("notifications.stuck", _stuck, at=at)
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


# Deliveries claimed together: a batch costs a few statements to claim and three to record,
# instead of about nine per delivery (issue 13). Small, so that a batch is sent well within
# its lease: each send is checked against the lease first.
CLAIM_BATCH = 10


def deliver_due(
    *,
    limit: int | None = None,
    should_stop: Callable[[], bool] | None = None,
    channels: ChannelSet | None = None,
) -> int:
    """Claim and send due deliveries, a batch at a time, until none is due (or ``limit``).

    The channels keep one connection for the whole call (one SMTP connection per worker
    cycle at most): ``channels``, which the caller keeps and closes (the worker keeps its
    own between cycles), or a set of this call's own, closed at its end. The batch's
    successes are recorded together once it is sent; a failure is recorded at once. What a
    batch cannot send is given back at once, due again, so that a worker told to stop holds
    no claimed-but-unsent rows: when told to stop, after a failed send (the channel is
    likely down: the rest wait for the next attempt rather than for one time-out each), or
    when a delivery's lease is too short to send it in.
    """
    if channels is None:
        with ChannelSet() as own:
            return deliver_due(limit=limit, should_stop=should_stop, channels=own)
    done = 0
    while limit is None or done < limit:
        if should_stop is not None and should_stop():
            break
        want = CLAIM_BATCH if limit is None else min(CLAIM_BATCH, limit - done)
        batch = deliveries_claim(limit=want)
        if not batch:
            break
        sent: list[tuple[Delivery, Result]] = []
        whole = True  # every delivery of the batch was sent
        try:
            for n, delivery in enumerate(batch):
                if n and (
                    (should_stop is not None and should_stop())
                    or _lease_left(delivery) < _send_margin()
                ):
                    deliveries_release(batch[n:])
                    whole = False
                    break
                result = _send(delivery=delivery, channels=channels)
                done += 1
                if result.outcome is Outcome.DELIVERED:
                    sent.append((delivery, result))
                    continue
                _record_until_lease_ends(delivery=delivery, result=result)
                if result.outcome is Outcome.ACCEPTED:
                    continue  # GOV.UK Notify took it: its receipt moves it on
                deliveries_release(batch[n + 1 :])
                whole = False
                break
        finally:
            if sent:
                _until_lease_ends(
                    [d for d, _ in sent],
                    functools.partial(deliveries_record_delivered, sent=sent),
                )
        if not whole:
            break  # the rest are due again, for the next cycle
    return done


def _send_margin() -> float:
    """The lease a delivery must still have to be sent: the channels' time-out and a
    second, so that a slow send is recorded before the sweeper may take the row back."""
    return float(getattr(settings, "EMAIL_TIMEOUT", 10) or 10) + 1.0
