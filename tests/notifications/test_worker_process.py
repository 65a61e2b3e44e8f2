"""`sightline worker` as real processes: killed mid-delivery, stopped gently, run in parallel."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from django.db import connection

from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from tests.notifications.conftest import (
    SmtpServer,
    WorkerProcess,
    make_child,
    make_world,
    record_out_of_area,
    wait_for,
)
from tests.notifications.test_worker_lanes import _long_lanes_of

pytestmark = pytest.mark.django_db(transaction=True)

StartWorker = Callable[..., WorkerProcess]


def email_status() -> str:
    return Delivery.objects.get(channel=Channel.EMAIL).status


def test_a_worker_killed_mid_delivery_is_recovered_by_the_next(
    smtp_server: SmtpServer, start_worker: StartWorker
):
    world = make_world(host_email="notices@stockport.example")
    record_out_of_area(world)
    smtp_server.handler.hold_next = True  # hold the message until the worker is dead

    first = start_worker(
        "--interval", "0.1", smtp_port=smtp_server.port, SIGHTLINE_DELIVERY_LEASE_SECONDS="3"
    )
    assert smtp_server.handler.holding.wait(60), first.output()
    assert email_status() == DeliveryStatus.SENDING
    first.kill()
    smtp_server.handler.release.set()
    assert email_status() == DeliveryStatus.SENDING  # stuck, until its lease runs out

    second = start_worker(
        "--interval", "0.1", smtp_port=smtp_server.port, SIGHTLINE_DELIVERY_LEASE_SECONDS="3"
    )
    wait_for(lambda: email_status() == DeliveryStatus.DELIVERED, timeout=60, what="delivery")
    assert second.terminate() == 0, second.output()  # SIGTERM: a clean stop

    delivery = Delivery.objects.get(channel=Channel.EMAIL)
    assert delivery.attempts == 2
    events = list(delivery.events.values_list("event", flat=True))
    assert events == ["lease-expired", "delivered"]
    # The killed worker's message reached the server unacknowledged, so the relay holds one
    # duplicate, and no more, with the same Message-ID.
    assert len(smtp_server.received) == 2
    assert {r.message_id for r in smtp_server.received} == {delivery.provider_reference}


def test_sigterm_stops_an_idle_worker_cleanly(smtp_server: SmtpServer, start_worker: StartWorker):
    # An hour between polls: a worker that only noticed SIGTERM at its next poll would still be
    # running when terminate() gives up waiting (subprocess.TimeoutExpired), so no clock is read.
    worker = start_worker("--interval", "3600", smtp_port=smtp_server.port)
    wait_for(lambda: "started" in worker.output(), timeout=60, what="the worker to start")
    time.sleep(0.5)  # into its wait between polls
    assert worker.terminate(timeout=60) == 0, worker.output()
    assert "Traceback" not in worker.output()


def test_several_workers_never_send_a_delivery_twice(
    smtp_server: SmtpServer, start_worker: StartWorker
):
    world = make_world(host_email="notices@stockport.example", police_email="mfh@gmp.example")
    for i in range(15):
        world.child = make_child()
        record_out_of_area(world, start=dt.date(2026, 1, 5) + dt.timedelta(days=i))
    expected = Delivery.objects.filter(channel=Channel.EMAIL).count()
    assert expected == 30
    smtp_server.handler.delay = 0.02  # so that the workers overlap

    workers = [
        start_worker("--batch", "--worker-id", f"w{n}", smtp_port=smtp_server.port)
        for n in range(3)
    ]
    for worker in workers:
        assert worker.wait(timeout=180) == 0, worker.output()

    statuses = Counter(Delivery.objects.filter(channel=Channel.EMAIL).values_list("status"))
    assert statuses == Counter({(DeliveryStatus.DELIVERED,): expected})
    ids = Counter(r.message_id for r in smtp_server.received)
    assert len(ids) == expected
    assert max(ids.values()) == 1, "a delivery was sent twice"
    assert set(Delivery.objects.values_list("attempts", flat=True)) == {1}


def _niceness(pid: int) -> int:
    # /proc/<pid>/stat: the 19th field, after the command name in parentheses.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16])


def _thread_niceness(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.add(int((task / "stat").read_text().rsplit(")", 1)[1].split()[16]))
    return found


def _application_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT application_name FROM pg_stat_activity WHERE datname = current_database()"
        )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)")
def test_the_worker_yields_the_cpu_to_the_web_server(
    smtp_server: SmtpServer, start_worker: StartWorker
):
    # ADR 67: the main lane at niceness 5 (or where it was started, if lower still), the long
    # lane it starts 10 lower than the main lane.
    base = os.getpriority(os.PRIO_PROCESS, 0)
    worker = start_worker("--interval", "3600", smtp_port=smtp_server.port)
    wait_for(lambda: "started" in worker.output(), timeout=60, what="the worker to start")
    pid = worker.process.pid
    # Every thread: on Linux a niceness is a thread's, and one started before the worker
    # lowered itself would keep 0.
    assert _thread_niceness(pid) == {max(base, 5)}
    long_lane = min(19, max(base, 5) + 10)
    wait_for(
        lambda: [_thread_niceness(child) for child in _long_lanes_of(pid)] == [{long_lane}],
        timeout=60,
        what="the long lane to start and lower itself",
    )
    if connection.vendor == "postgresql":
        # Each lane's connections say which lane they serve (sightline.core.database).
        wait_for(
            lambda: {"sightline worker main", "sightline worker long"} <= _application_names(),
            timeout=60,
            what="both lanes' connections to be named",
        )
    assert worker.terminate(timeout=60) == 0, worker.output()

    # 0 leaves the priority alone; a value out of range stops the worker with a message.
    left = start_worker("--interval", "3600", smtp_port=smtp_server.port, SIGHTLINE_WORKER_NICE="0")
    wait_for(lambda: "started" in left.output(), timeout=60, what="the worker to start")
    assert _niceness(left.process.pid) == base
    assert left.terminate(timeout=60) == 0, left.output()

    wrong = start_worker(
        "--interval", "3600", smtp_port=smtp_server.port, SIGHTLINE_WORKER_NICE="x"
    )
    assert wrong.wait(timeout=60) != 0
    assert "SIGHTLINE_WORKER_NICE must be a whole number from 0 to 19: 'x'" in wrong.output()
