"""The worker keeps its SMTP connection between cycles (issue 13), counted at a real SMTP
server (aiosmtpd): one connection for alerts seconds apart, a dropped one replaced without
sending anything twice, an idle one closed after ``SIGHTLINE_SMTP_KEEP_SECONDS``, and closed
with QUIT when the worker stops."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from django.utils import timezone

from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from sightline.web.management.commands.worker import Heartbeat, WorkerLoop
from tests.notifications.conftest import (
    SmtpServer,
    WorkerProcess,
    World,
    make_child,
    make_world,
    record_out_of_area,
    wait_for,
)

# Past the channel's one second of grace: the kept connection is checked with NOOP first.
PAUSE = 1.5


@pytest.fixture
def loop() -> Iterator[WorkerLoop]:
    """The worker's main lane in this process, turned a cycle at a time by the test."""
    loop = WorkerLoop(
        batch=False,
        interval=1.0,
        worker_id="kept",
        heartbeat=Heartbeat(None, worker_id="kept"),
        lane="main",
    )
    yield loop
    loop.release()


def owe_two_emails(world: World, *, day: int = 0) -> None:
    """A placement whose notices are e-mailed to the host council and the police."""
    world.child = make_child()
    record_out_of_area(world, start=dt.date(2026, 2, 2) + dt.timedelta(days=day))


@pytest.fixture
def police_world(world: World) -> World:
    world.police.email = "mfh@gmp.example"
    world.police.save()
    return world


def emails() -> list[Delivery]:
    return list(Delivery.objects.filter(channel=Channel.EMAIL).order_by("created_at"))


def sent_once(server: SmtpServer) -> bool:
    counts = Counter(r.message_id for r in server.received)
    return set(counts.values()) == {1}


@pytest.mark.django_db
def test_cycles_seconds_apart_share_one_connection(
    smtp_server: SmtpServer, police_world: World, loop: WorkerLoop
):
    owe_two_emails(police_world)
    assert loop.run_cycle() >= 2
    time.sleep(PAUSE)
    assert loop.run_cycle() == 0  # an idle cycle keeps the connection
    time.sleep(PAUSE)
    owe_two_emails(police_world, day=1)
    assert loop.run_cycle() >= 2

    assert len(smtp_server.received) == 4 and sent_once(smtp_server)
    assert len(smtp_server.handler.connections) == 1
    assert smtp_server.handler.quits == 0
    assert {d.status for d in emails()} == {DeliveryStatus.DELIVERED}
    loop.release()  # the worker stops: the kept connection is closed with QUIT
    assert smtp_server.handler.quits == 1


@pytest.mark.django_db
@pytest.mark.parametrize("reply", ["", "421 4.4.2 Idle timeout, closing connection"])
def test_a_kept_connection_the_relay_dropped_is_replaced_and_nothing_goes_twice(
    smtp_server: SmtpServer, police_world: World, loop: WorkerLoop, reply: str
):
    owe_two_emails(police_world)
    loop.run_cycle()
    smtp_server.handler.drop_connections(reply=reply)
    time.sleep(PAUSE)
    owe_two_emails(police_world, day=1)

    loop.run_cycle()

    assert len(smtp_server.received) == 4 and sent_once(smtp_server)
    assert len(smtp_server.handler.connections) == 2  # the dropped one, and one new
    deliveries = emails()
    assert [(d.status, d.attempts) for d in deliveries] == [(DeliveryStatus.DELIVERED, 1)] * 4


@pytest.mark.django_db
def test_an_idle_connection_is_closed_after_the_keep_limit(
    smtp_server: SmtpServer, police_world: World, loop: WorkerLoop, settings
):
    settings.SIGHTLINE_SMTP_KEEP_SECONDS = 2
    owe_two_emails(police_world)
    loop.run_cycle()
    loop.run_cycle()  # idle, well within the limit
    assert smtp_server.handler.quits == 0

    time.sleep(2.2)
    assert loop.run_cycle() == 0

    assert smtp_server.handler.quits == 1  # closed by the idle cycle, with QUIT
    owe_two_emails(police_world, day=1)
    loop.run_cycle()
    assert len(smtp_server.handler.connections) == 2
    assert len(smtp_server.received) == 4 and sent_once(smtp_server)


@pytest.mark.django_db
def test_a_keep_limit_of_zero_closes_the_connection_after_each_cycle(
    smtp_server: SmtpServer, police_world: World, loop: WorkerLoop, settings
):
    settings.SIGHTLINE_SMTP_KEEP_SECONDS = 0
    owe_two_emails(police_world)
    loop.run_cycle()
    assert (len(smtp_server.handler.connections), smtp_server.handler.quits) == (1, 1)
    owe_two_emails(police_world, day=1)
    loop.run_cycle()
    assert (len(smtp_server.handler.connections), smtp_server.handler.quits) == (2, 2)


@pytest.mark.django_db
def test_a_message_the_relay_took_is_not_sent_again_when_its_answer_is_lost(
    smtp_server: SmtpServer, world: World, loop: WorkerLoop
):
    """Once a message is on its way, a dropped connection is a temporary failure: whether the
    relay took it is unknown, so the back-off decides, not a second try in the cycle."""
    owe_two_emails(world)  # the police have no address here: one e-mail
    smtp_server.handler.drop_after_data = True
    start = timezone.now()

    loop.run_cycle()

    assert len(smtp_server.received) == 1
    (delivery,) = emails()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.TEMPORARY_FAILURE, 1)
    assert "SMTPServerDisconnected" in delivery.last_error
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at - start <= dt.timedelta(seconds=31)  # the usual back-off


@pytest.mark.django_db
def test_a_relay_gone_for_good_is_a_temporary_failure_with_the_usual_back_off(
    smtp_server: SmtpServer, police_world: World, loop: WorkerLoop
):
    owe_two_emails(police_world)
    loop.run_cycle()
    smtp_server.stop()  # an outage: the kept connection fails its check, a new one is refused
    time.sleep(PAUSE)
    owe_two_emails(police_world, day=1)
    start = timezone.now()

    loop.run_cycle()

    later = [d for d in emails() if d.status != DeliveryStatus.DELIVERED]
    failed, untried = sorted(later, key=lambda d: -d.attempts)
    assert (failed.status, failed.attempts) == (DeliveryStatus.TEMPORARY_FAILURE, 1)
    assert "ConnectionRefusedError" in failed.last_error
    assert failed.next_attempt_at is not None
    assert dt.timedelta(seconds=29) <= failed.next_attempt_at - start <= dt.timedelta(seconds=31)
    # The other was given back untried (the channel is down), due again at once.
    assert (untried.status, untried.attempts) == (DeliveryStatus.CREATED, 0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_process_keeps_one_connection_and_quits_it_when_stopped(
    smtp_server: SmtpServer, start_worker: Callable[..., WorkerProcess]
):
    world = make_world(host_email="notices@stockport.example", police_email="mfh@gmp.example")
    worker = start_worker("--lane", "main", "--interval", "0.2", smtp_port=smtp_server.port)
    owe_two_emails(world)
    wait_for(lambda: len(smtp_server.received) == 2, timeout=60, what="the first two e-mails")
    time.sleep(3)  # many idle cycles
    owe_two_emails(world, day=1)
    wait_for(lambda: len(smtp_server.received) == 4, timeout=60, what="the next two e-mails")

    assert len(smtp_server.handler.connections) == 1
    assert smtp_server.handler.quits == 0
    assert worker.terminate() == 0, worker.output()
    assert smtp_server.handler.quits == 1
    assert sent_once(smtp_server)
