"""On PostgreSQL a new delivery wakes an idle worker (LISTEN/NOTIFY, ADR 66), so that it polls
every few seconds instead of every second; on SQLite it polls every ``--interval`` as before."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from sightline.web.management.commands.worker import (
    IDLE_POLL_SECONDS,
    Heartbeat,
    WakeListener,
    WorkerLoop,
)
from tests.notifications.conftest import SmtpServer, make_world, record_out_of_area, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="LISTEN/NOTIFY is PostgreSQL's"
)


def main_loop(interval: float) -> WorkerLoop:
    return WorkerLoop(
        batch=False,
        interval=interval,
        worker_id="wake",
        heartbeat=Heartbeat(None, worker_id="wake"),
        lane="main",
    )


def _run(loop: WorkerLoop) -> None:
    try:
        loop.run()
    finally:
        connection.close()  # this thread's own


@pytest.fixture
def running() -> Iterator[Callable[[WorkerLoop], WorkerLoop]]:
    """Run a loop in a thread of its own (its own database connection), as the command does."""
    started: list[tuple[WorkerLoop, threading.Thread]] = []

    def start(loop: WorkerLoop) -> WorkerLoop:
        thread = threading.Thread(target=_run, args=(loop,), daemon=True)
        started.append((loop, thread))
        thread.start()
        return loop

    yield start
    for loop, thread in started:
        loop.stop()
        thread.join(30)
        assert not thread.is_alive()


@postgresql_only
def test_a_new_delivery_wakes_a_listening_worker(smtp_server: SmtpServer, running):
    """Listening, the worker polls every IDLE_POLL_SECONDS; a new delivery is sent as soon as
    the worker has been idle ``--interval``, not at the next poll."""
    loop = running(main_loop(interval=0.5))
    wait_for(lambda: loop.listener is not None and loop.listener.listening, what="LISTEN")
    world = make_world(host_email="notices@stockport.example")
    cycle = loop._cycle_ended
    wait_for(lambda: loop._cycle_ended != cycle, timeout=10, what="an idle cycle")
    started = time.monotonic()  # the next poll is IDLE_POLL_SECONDS away

    record_out_of_area(world)  # the outbox's insert NOTIFYs on commit
    wait_for(lambda: len(smtp_server.received) == 1, timeout=10, what="the e-mail")

    assert time.monotonic() - started < IDLE_POLL_SECONDS - 2
    assert len(smtp_server.handler.connections) == 1


@postgresql_only
def test_a_listening_worker_still_polls_within_the_deadlines():
    """What nobody NOTIFYs (a back-off ending, a lease running out) is looked for at least
    every IDLE_POLL_SECONDS, and a job with an interval runs when it is due."""
    loop = main_loop(interval=1)
    loop.run_cycle()  # every job has run once
    loop.listener = WakeListener.start(wake=threading.Event(), worker_id="wake")
    try:
        assert loop.listener is not None
        wait_for(lambda: loop.listener is not None and loop.listener.listening, what="LISTEN")
        assert 1 <= loop.idle_seconds() <= IDLE_POLL_SECONDS <= 10
        loop._ran_at["audit_seal"] = time.monotonic() - 29  # due in a second (every 30 s)
        assert loop.idle_seconds() <= 1.01
    finally:
        assert loop.listener is not None
        loop.listener.close()
        loop.release()
    assert not loop.listener.listening
    assert loop.idle_seconds() == 1  # not listening: every --interval


def test_without_listen_the_worker_polls_every_interval():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite's: it has no LISTEN")
    loop = main_loop(interval=0.7)
    assert WakeListener.start(wake=threading.Event(), worker_id="wake") is None
    assert loop.idle_seconds() == 0.7


@postgresql_only
def test_a_lost_listening_connection_wakes_the_loop_and_is_opened_again():
    """A restart or a failover: the loop looks at once (work may have come while nobody
    listened), polls every --interval meanwhile, and the listener LISTENs again."""
    wake = threading.Event()
    listener = WakeListener.start(wake=wake, worker_id="wake")
    assert listener is not None
    try:
        wait_for(lambda: listener.listening, what="LISTEN")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'LISTEN sightline_worker' AND pid <> pg_backend_pid()"
            )
        wait_for(wake.is_set, timeout=10, what="the loop to be woken")
        wake.clear()
        wait_for(lambda: listener.listening, timeout=15, what="LISTEN again")
        with connection.cursor() as cursor:
            cursor.execute("NOTIFY sightline_worker")
        wait_for(wake.is_set, timeout=10, what="a notification on the new connection")
    finally:
        listener.close()
