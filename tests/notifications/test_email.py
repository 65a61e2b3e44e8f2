"""E-mail through a real SMTP server (aiosmtpd): content, outages, refusals, back-off."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from sightline.notifications.models import Channel, Delivery, DeliveryStatus, Notice
from tests.notifications.conftest import (
    DOB_FORMS,
    SURNAME,
    SmtpServer,
    World,
    free_port,
    make_child,
    record_out_of_area,
    run_worker,
)

pytestmark = pytest.mark.django_db


def email_delivery() -> Delivery:
    return Delivery.objects.select_related("notice").get(channel=Channel.EMAIL)


def test_the_host_council_receives_the_minimum_to_act(smtp_server: SmtpServer, world: World):
    record_out_of_area(world, start=dt.date(2026, 2, 2))
    run_worker()

    (received,) = smtp_server.received
    assert received.rcpt_tos == ["notices@stockport.example"]
    message = received.message
    assert message["Subject"] == (
        "Placement notice: a child placed in Stockport by Southwark Council"
    )
    body = message.get_content()
    notice = Notice.objects.get(recipient=world.host)
    for expected in (
        "Child: shown when you sign in (e-mails never carry a child's name)",
        "Placed by: Southwark Council",
        "SK4 2AB (Stockport)",
        "Placed from: 2 February 2026",
        "Contact: placements@southwark.example",
        f"Notice reference: {notice.reference}",
        f"http://127.0.0.1:8000/notices/{notice.id}/",
    ):
        assert expected in body
    # No surname and no date of birth, anywhere in the message.
    assert SURNAME.lower() not in received.raw.lower()
    for form in DOB_FORMS:
        assert form not in received.raw
    delivery = email_delivery()
    assert message["Message-ID"] == f"<{delivery.reference.lower()}@sightline.invalid>"
    assert message["X-Sightline-Reference"] == notice.reference
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1
    assert delivery.delivered_at is not None
    assert delivery.provider_reference == message["Message-ID"]


def test_an_smtp_outage_delays_the_notice_but_never_loses_it(settings, world: World):
    port = free_port()  # nothing listens here yet
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    record_out_of_area(world)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        run_worker()
    delivery = email_delivery()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=30)
    assert "ConnectionRefusedError" in delivery.last_error
    assert "stockport" not in delivery.last_error.lower()

    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        run_worker()
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert delivery.attempts == 2
    assert delivery.next_attempt_at == start + dt.timedelta(seconds=31 + 60)

    server = SmtpServer(port)
    server.start()
    try:
        with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
            run_worker()  # not due yet: the back-off is respected
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
        assert server.received == []

        with time_machine.travel(start + dt.timedelta(seconds=92), tick=False):
            run_worker()
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.attempts == 3
        assert len(server.received) == 1
    finally:
        server.stop()
    events = list(delivery.events.values_list("event", flat=True))
    assert events == ["temporary-failure", "temporary-failure", "delivered"]


def test_a_recipient_refused_with_5xx_is_a_permanent_failure(smtp_server: SmtpServer, world):
    smtp_server.handler.rcpt_reply = "550 5.1.1 No such mailbox"
    record_out_of_area(world)
    run_worker()
    delivery = email_delivery()
    assert delivery.status == DeliveryStatus.PERMANENT_FAILURE
    assert delivery.last_error == "SMTP 550 recipient refused"
    assert delivery.failed_at is not None


def test_a_4xx_refusal_is_retried(smtp_server: SmtpServer, world: World):
    smtp_server.handler.rcpt_reply = "451 4.3.0 Try again later"
    record_out_of_area(world)
    run_worker()
    delivery = email_delivery()
    assert delivery.status == DeliveryStatus.TEMPORARY_FAILURE
    assert delivery.last_error == "SMTP 451 recipient refused"


def test_temporary_failures_end_in_technical_failure_after_the_last_attempt(settings, world: World):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    settings.SIGHTLINE_DELIVERY_MAX_ATTEMPTS = 4
    record_out_of_area(world)
    at = timezone.now()
    waits = []
    for _ in range(4):
        with time_machine.travel(at, tick=False):
            run_worker()
        delivery = email_delivery()
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - at).total_seconds())
            at = delivery.next_attempt_at
    assert waits == [30, 60, 120]  # exponential back-off
    assert delivery.status == DeliveryStatus.TECHNICAL_FAILURE
    assert delivery.attempts == 4
    assert "gave up after 4 attempts" in delivery.last_error
    # A final status stays final: later passes take nothing.
    with time_machine.travel(at + dt.timedelta(days=1), tick=False):
        run_worker()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.TECHNICAL_FAILURE, 4)


def test_one_smtp_connection_carries_a_whole_cycle(smtp_server: SmtpServer, world: World):
    """The channel says it keeps one connection per worker cycle: open once, send the batch,
    close. Counted at a real SMTP server."""
    world.police.email = "mfh@gmp.example"
    world.police.save()
    for day in range(4):
        world.child = make_child()
        record_out_of_area(world, start=dt.date(2026, 2, 2) + dt.timedelta(days=day))
    expected = Delivery.objects.filter(channel=Channel.EMAIL).count()
    assert expected == 8

    run_worker()

    assert len(smtp_server.received) == expected
    assert len(smtp_server.handler.connections) == 1
    # The next cycle has nothing to send and opens nothing.
    run_worker()
    assert len(smtp_server.handler.connections) == 1


def test_a_refused_message_drops_the_connection_and_the_cycle_carries_on(
    smtp_server: SmtpServer, world: World
):
    world.police.email = "mfh@gmp.example"
    world.police.save()
    record_out_of_area(world, start=dt.date(2026, 2, 2))
    smtp_server.handler.data_reply = "451 Try again later"

    run_worker()

    # Both sends were tried, each on a connection of its own after the first was dropped.
    assert len(smtp_server.received) == 2
    assert len(smtp_server.handler.connections) == 2
    statuses = set(Delivery.objects.filter(channel=Channel.EMAIL).values_list("status", flat=True))
    assert statuses == {DeliveryStatus.TEMPORARY_FAILURE}
