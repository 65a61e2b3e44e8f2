"""The outbox's status machine: leases, the sweeper, final statuses, operator retries."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sightline.notifications.channels import delivered, permanent, temporary
from sightline.notifications.delivery import (
    deliveries_sweep,
    delivery_claim_next,
    delivery_record_result,
)
from sightline.notifications.models import Channel, Delivery, DeliveryStatus, NoticeEvent
from sightline.notifications.services import delivery_retry_failed
from tests.notifications.conftest import (
    SmtpServer,
    World,
    free_port,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db


def email_delivery() -> Delivery:
    return Delivery.objects.get(channel=Channel.EMAIL)


def test_a_claim_takes_a_due_delivery_once(world: World):
    record_out_of_area(world)
    claimed = delivery_claim_next()
    assert claimed is not None
    assert claimed.status == DeliveryStatus.SENDING
    assert claimed.attempts == 1
    assert claimed.lease_token is not None
    assert claimed.leased_until is not None and claimed.leased_until > timezone.now()
    # Nothing else is due: the in-app deliveries were delivered when the notice was made.
    assert delivery_claim_next() is None


def test_on_postgresql_a_claim_skips_rows_other_workers_hold(world: World):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: its IMMEDIATE transactions serialise claims")
    record_out_of_area(world)
    with CaptureQueriesContext(connection) as queries:
        assert delivery_claim_next() is not None
    # Only the delivery row is locked (the claim reads its notice's kind for the lease), so
    # an acknowledgement of the notice never waits on a worker.
    assert any(
        'FOR UPDATE OF "notifications_delivery" SKIP LOCKED' in q["sql"]
        for q in queries.captured_queries
    )


def test_final_statuses_never_move_back(world: World):
    record_out_of_area(world)
    claimed = delivery_claim_next()
    assert claimed is not None
    token = claimed.lease_token
    assert delivery_record_result(delivery=claimed, result=delivered("ref-1"))

    # A late result for the same attempt (say a duplicate receipt) changes nothing...
    claimed.lease_token = token
    for late in (permanent("SMTP 550"), temporary("SMTP 451"), delivered("ref-2")):
        assert delivery_record_result(delivery=claimed, result=late) is False
    # ...nor does the sweeper, however much later, nor another claim.
    with time_machine.travel(timezone.now() + dt.timedelta(days=2), tick=False):
        assert deliveries_sweep() == 0
        assert delivery_claim_next() is None
    row = email_delivery()
    assert (row.status, row.provider_reference, row.attempts) == ("delivered", "ref-1", 1)
    assert NoticeEvent.objects.filter(delivery=row).count() == 1


def test_the_sweeper_takes_back_a_delivery_whose_worker_died(smtp_server: SmtpServer, world):
    record_out_of_area(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        dead = delivery_claim_next()  # ...and the worker dies before sending
    assert dead is not None

    with time_machine.travel(start + dt.timedelta(seconds=299), tick=False):
        assert deliveries_sweep() == 0  # the lease (5 minutes) still holds
    with time_machine.travel(start + dt.timedelta(seconds=301), tick=False):
        run_worker()  # sweeps, then sends
    row = email_delivery()
    assert row.status == DeliveryStatus.DELIVERED
    assert row.attempts == 2
    assert len(smtp_server.received) == 1
    assert list(row.events.values_list("event", flat=True)) == ["lease-expired", "delivered"]
    # The dead worker's lease token no longer moves anything.
    assert delivery_record_result(delivery=dead, result=permanent("late")) is False


def test_a_lease_lost_mid_send_is_not_overwritten(world: World):
    record_out_of_area(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        slow = delivery_claim_next()
    assert slow is not None
    with time_machine.travel(start + dt.timedelta(minutes=6), tick=False):
        assert deliveries_sweep() == 1
        again = delivery_claim_next()
        assert again is not None and again.lease_token != slow.lease_token
        # The slow worker comes back: its result is ignored; the new holder's counts.
        assert delivery_record_result(delivery=slow, result=delivered()) is False
        assert delivery_record_result(delivery=again, result=delivered("second"))
    assert email_delivery().provider_reference == "second"


def test_the_database_refuses_sending_without_a_lease(world: World):
    from django.db import IntegrityError, transaction

    record_out_of_area(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.filter(channel=Channel.EMAIL).update(status=DeliveryStatus.SENDING)


def test_an_operator_retries_technical_failures_as_new_deliveries(settings, world: World):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.SIGHTLINE_DELIVERY_MAX_ATTEMPTS = 1
    record_out_of_area(world)
    run_worker()
    failed = email_delivery()
    assert failed.status == DeliveryStatus.TECHNICAL_FAILURE

    server = SmtpServer(settings.EMAIL_PORT)
    server.start()
    try:
        call_command("notices", "retry", "--failed")
        run_worker()
    finally:
        server.stop()
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.TECHNICAL_FAILURE  # history kept
    retry = failed.retried_by
    assert retry.status == DeliveryStatus.DELIVERED
    assert len(server.received) == 1
    # Retrying again finds nothing new to retry.
    assert delivery_retry_failed() == 0


def test_notices_status_counts_by_channel_and_status(world: World, capsys):
    record_out_of_area(world)
    call_command("notices", "status")
    out = capsys.readouterr().out
    assert "email" in out and "created" in out
    assert "inapp" in out and "delivered" in out


def test_delivery_references_are_stable_and_distinct(world: World):
    record_out_of_area(world)
    references = {d.reference for d in Delivery.objects.select_related("notice")}
    assert len(references) == Delivery.objects.count()
    row = email_delivery()
    assert row.reference == Delivery.objects.get(pk=row.pk).reference
    assert row.reference.startswith(row.notice.reference)
    assert uuid.UUID(str(row.id))


def test_an_idle_cycle_of_the_worker_sends_two_statements_built_once():
    """Issue 13: when nothing is due, the worker's main lane looks for deliveries whose
    worker died and for deliveries due, each a statement whose SQL is built once per process
    (``core.prepared``), and nothing else."""
    from sightline.core.prepared import is_prepared
    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    loop = WorkerLoop(
        batch=False,
        interval=1.0,
        worker_id="idle",
        heartbeat=Heartbeat(None, worker_id="idle"),
        lane="main",
    )
    try:
        loop.run_cycle()  # the jobs with an interval run in the first cycle
        with CaptureQueriesContext(connection) as queries:
            assert loop.run_cycle() == 0
    finally:
        loop.release()
    assert len(queries) == 2, [q["sql"] for q in queries]
    assert is_prepared("notifications.stuck") and is_prepared("notifications.any_due")
