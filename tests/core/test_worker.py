"""``sightline worker --batch`` runs every registered periodic job and exits when none had
work; there is no separate task queue (ADR 12)."""

import contextlib
import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command

from sightline.core import registry
from sightline.organisations.models import Organisation, OrganisationKind


@pytest.fixture
def provider_job():
    calls: list[dt.datetime] = []

    def run(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        calls.append(now)
        if len(calls) == 1:
            Organisation.objects.create(kind=OrganisationKind.PROVIDER, name="Job Homes Ltd")
            return 1
        return 0

    registry.job_register(name="test-provider-job", order=1000, interval=0, run=run)
    yield calls
    registry._jobs.pop("test-provider-job", None)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_registered_jobs_until_none_has_work(provider_job):
    call_command("worker", batch=True, verbosity=0)

    assert Organisation.objects.filter(name="Job Homes Ltd").count() == 1
    # One cycle with work, then one without: a batch worker stops when nothing was done.
    assert len(provider_job) == 2
    assert all(at.tzinfo is not None for at in provider_job)


# --- Surviving the database, the heartbeat and --check (ADR 21) -------------------------------


def test_the_reconnect_back_off_doubles_is_capped_and_jittered():
    from sightline.web.management.commands.worker import reconnect_delay

    for failures, ceiling in ((1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (50, 30.0)):
        waits = {reconnect_delay(failures, first=1.0, cap=30.0) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits), (failures, waits)
        assert len(waits) > 1  # jittered: workers restarted together spread out


@pytest.fixture
def flaky_job():
    """A job whose database goes away twice, then comes back (as in a restart)."""
    from django.db import OperationalError

    calls: list[int] = []
    state: dict[str, Any] = {}

    def run(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("the database system is shutting down")
        if len(calls) >= 4:
            state["loop"].stop()
        return 0

    registry.job_register(name="test-flaky-job", order=1000, interval=0, run=run)
    yield calls, state
    registry._jobs.pop("test-flaky-job", None)


@pytest.mark.django_db(transaction=True)
def test_a_worker_keeps_going_when_the_database_goes_away(flaky_job, tmp_path, monkeypatch, caplog):
    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    calls, state = flaky_job
    monkeypatch.setenv("SIGHTLINE_WORKER_RECONNECT_SECONDS", "0.01")
    beat = tmp_path / "worker.heartbeat"
    loop = WorkerLoop(
        batch=False,
        interval=0.01,
        worker_id="w-test",
        heartbeat=Heartbeat(beat, worker_id="w-test"),
    )
    state["loop"] = loop
    with caplog.at_level(logging.INFO, logger="sightline.worker"):
        loop.run()  # returns only because the job stops it on its 4th call

    assert len(calls) == 4
    assert loop.failures == 0
    messages = [r.getMessage() for r in caplog.records if r.name == "sightline.worker"]
    unavailable = [m for m in messages if "database unavailable" in m]
    assert len(unavailable) == 2
    assert "OperationalError" in unavailable[0] and "failure 1 in a row" in unavailable[0]
    assert "shutting down" not in " ".join(messages)  # the class only, never the message
    assert any("database back after 2 failed cycle(s)" in m for m in messages)
    record = json.loads(beat.read_text())
    assert record["worker"] == "w-test" and record["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_a_batch_run_reports_a_lost_database(flaky_job):
    from django.db import OperationalError

    with pytest.raises(OperationalError):
        call_command("worker", batch=True, verbosity=0)


def test_check_says_whether_the_worker_is_alive(tmp_path):
    from django.core.management.base import CommandError

    from sightline.web.management.commands.worker import Heartbeat

    beat = tmp_path / "worker.heartbeat"
    with pytest.raises(CommandError, match="not running"):
        call_command("worker", check=True, heartbeat_file=str(beat))

    Heartbeat(beat, worker_id="w1").beat(database="ok", force=True)
    out = io.StringIO()
    call_command("worker", check=True, heartbeat_file=str(beat), stdout=out)
    assert "Worker w1" in out.getvalue() and "alive" in out.getvalue()

    old = time.time() - 600
    os.utime(beat, (old, old))
    with pytest.raises(CommandError, match="stale") as stale:
        call_command("worker", check=True, heartbeat_file=str(beat), max_age=120)
    assert stale.value.returncode == 1


def test_check_exits_1_for_a_container_health_check(tmp_path):
    """What a container's HEALTHCHECK and a Kubernetes liveness probe run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGHTLINE_WORKER_")}
    env.update(SIGHTLINE_MODE="test", SIGHTLINE_WORKER_HEARTBEAT_FILE=str(tmp_path / "hb"))
    result = subprocess.run(
        [sys.executable, "-m", "sightline.cli", "worker", "--check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "not running" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_under_systemd_the_worker_says_ready_and_pets_the_watchdog(tmp_path, monkeypatch):
    """``Type=notify`` and ``WatchdogSec=`` in the unit of docs/operations.md."""
    import socket

    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    address = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(address)
    listener.settimeout(5)
    monkeypatch.setenv("NOTIFY_SOCKET", address)
    loop = WorkerLoop(
        batch=True, interval=0, worker_id="w", heartbeat=Heartbeat(None, worker_id="w")
    )
    try:
        loop.run()
        messages = set()
        listener.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                messages.add(listener.recv(64).decode())
    finally:
        listener.close()
    assert {"READY=1", "WATCHDOG=1", "STOPPING=1"} <= messages


# --- The long lane (ADR 62) ---------------------------------------------------------------------


def test_the_links_between_children_run_in_the_long_lane():
    """The computation over every child took minutes at national scale and held every missing
    alert behind it while it ran in the main loop (the throughput run of 7 December)."""
    long_jobs = {job.name for job in registry.periodic_jobs(registry.LANE_LONG)}
    main_jobs = {job.name for job in registry.periodic_jobs(registry.LANE_MAIN)}
    assert "exploitation_child_links" in long_jobs
    # A few statements for each child missing in the last week: 4.5 s on the main lane at
    # the start of a load run of 1,500 children, alerts waiting behind it (issue 13).
    assert "exploitation_screening_prompts" in long_jobs
    assert {"delivery", "delivery_sweep"} <= main_jobs
    assert not long_jobs & main_jobs
    with pytest.raises(ValueError, match="unknown lane"):
        registry.job_register(name="x", order=1, interval=0, run=lambda **_: 0, lane="fast")


@contextlib.contextmanager
def _only_jobs(*jobs: tuple[Any, ...]) -> Iterator[None]:
    """The worker's periodic jobs are these, (name, interval, run[, lane]) in this order, for
    a while."""
    saved = dict(registry._jobs)
    registry._jobs.clear()
    for order, (name, interval, run, *lane) in enumerate(jobs, start=1):
        registry.job_register(
            name=name,
            order=order,
            interval=interval,
            run=run,
            lane=lane[0] if lane else registry.LANE_MAIN,
        )
    try:
        yield
    finally:
        registry._jobs.clear()
        registry._jobs.update(saved)


@pytest.fixture
def lanes():
    """A job in each lane, counting its runs; no other job (the app's need a database)."""
    runs = {"main": 0, "long": 0}

    def counter(lane: str) -> Callable[..., int]:
        def run(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
            runs[lane] += 1
            return 0

        return run

    with _only_jobs(
        ("test-long", 0, counter("long"), registry.LANE_LONG), ("test-main", 0, counter("main"))
    ):
        yield runs


@pytest.mark.django_db  # the loop closes stale connections between turns
@pytest.mark.parametrize(
    ("lane", "expected"),
    [
        ("main", {"main": 1, "long": 0}),
        ("long", {"main": 0, "long": 1}),
        ("all", {"main": 1, "long": 1}),
    ],
)
def test_a_loop_runs_the_jobs_of_its_lane(lanes, lane, expected):
    """``sightline worker`` runs the main lane and starts ``--lane long`` for the other
    (``tests/notifications/test_worker_lanes.py``); ``--batch`` runs both in one loop."""
    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    loop = WorkerLoop(
        batch=True, interval=0, worker_id="w", heartbeat=Heartbeat(None, worker_id="w"), lane=lane
    )
    loop.run_cycle()
    assert lanes == expected
    with pytest.raises(ValueError, match="unknown lane"):
        WorkerLoop(batch=True, interval=0, worker_id="w", lane="fast")


# --- A job's own fault (issue 13) ----------------------------------------------------------------


@pytest.fixture
def broken_job():
    """A main-lane job that fails until told not to, before one that counts its runs."""
    state = {"fail": True, "broken": 0, "after": 0}

    def broken(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        state["broken"] += 1
        if state["fail"]:
            raise ValueError("no key for the row of Synthetic Child Alpha")  # never logged
        return 0

    def after(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        state["after"] += 1
        return 0

    with _only_jobs(("test-broken", 0, broken), ("test-after", 0, after)):
        yield state


@pytest.mark.django_db  # the loop closes stale connections between turns
def test_a_failing_job_stops_neither_the_other_jobs_nor_the_worker(
    broken_job, caplog, monkeypatch, tmp_path
):
    """The load run of 7 December lost every alert: the audit seal's job raised on a row
    sealed with a key the worker did not hold, and the worker exited with it."""
    from sightline.web.management.commands import worker as worker_command
    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    heartbeat = tmp_path / "worker.heartbeat"
    loop = WorkerLoop(
        batch=False, interval=0, worker_id="w", heartbeat=Heartbeat(heartbeat, worker_id="w")
    )
    with caplog.at_level(logging.INFO, logger="sightline.worker"):
        loop.run_cycle()
        loop.run_cycle()
    assert broken_job == {"fail": True, "broken": 2, "after": 2}
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    # Once a minute at most while it keeps failing; the error's class and place, not its text.
    assert len(errors) == 1
    assert "job test-broken failed (ValueError at test_worker.py:" in errors[0]
    assert "Synthetic" not in caplog.text

    # Logged again once the minute is over, with the count.
    monkeypatch.setattr(worker_command, "JOB_FAILURE_LOG_SECONDS", 0.0)
    with caplog.at_level(logging.INFO, logger="sightline.worker"):
        loop.run_cycle()
    assert "3 time(s) in a row" in caplog.text
    # The heartbeat says which job fails and since when: --check fails once that is too long.
    record = json.loads(heartbeat.read_text())
    assert list(record["failing"]) == ["test-broken"]
    assert worker_command.heartbeat_check(heartbeat, max_age=120)[0] is True
    loop.heartbeat.failing["test-broken"] = time.time() - 300  # as if failing for 5 minutes
    loop.heartbeat.beat(database="ok", force=True)
    alive, line = worker_command.heartbeat_check(heartbeat, max_age=120)
    assert alive is False
    assert "its job test-broken has failed for 300 s (limit 120 s)" in line

    broken_job["fail"] = False
    with caplog.at_level(logging.INFO, logger="sightline.worker"):
        loop.run_cycle()
    assert "job test-broken runs again" in caplog.text
    assert json.loads(heartbeat.read_text())["failing"] == {}
    assert worker_command.heartbeat_check(heartbeat, max_age=120)[0] is True

    # A one-off batch run reports the failure instead.
    broken_job["fail"] = True
    batch = WorkerLoop(
        batch=True, interval=0, worker_id="b", heartbeat=Heartbeat(None, worker_id="b")
    )
    with pytest.raises(ValueError):
        batch.run_cycle()


@pytest.fixture
def hourly_jobs():
    """Two hourly jobs: one that meets a conflict with another transaction (a real one: its
    statement outlives its timeout on PostgreSQL) and one with a fault of its own."""
    from django.db import connection, transaction

    state = {"conflict": True, "conflicts": 0, "fault": True, "faults": 0}

    def conflicting(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        state["conflicts"] += 1
        with transaction.atomic(), connection.cursor() as cursor:
            if state["conflict"]:
                cursor.execute("SET LOCAL statement_timeout = '20ms'")
                cursor.execute("SELECT pg_sleep(1)")
            cursor.execute("SELECT 1")
        return 0

    def faulty(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
        state["faults"] += 1
        if state["fault"]:
            raise ValueError("a fault of the job's own")
        return 0

    with _only_jobs(("test-conflict", 3600, conflicting), ("test-faulty", 3600, faulty)):
        yield state


@pytest.mark.django_db(transaction=True)
def test_a_conflict_is_the_jobs_not_a_lost_database_and_a_failed_job_is_tried_again_soon(
    hourly_jobs, caplog, monkeypatch
):
    """A deadlock or a lock not granted in time used to count as a lost database: the whole
    cycle backed off. And a failed hourly job (the audit checkpoint) waited its hour."""
    from django.db import connection

    from sightline.web.management.commands import worker as worker_command
    from sightline.web.management.commands.worker import Heartbeat, WorkerLoop

    if connection.vendor != "postgresql":
        pytest.skip("a statement timeout is PostgreSQL's")
    # A minute and a second in the service; each doubles with the failures in a row.
    monkeypatch.setattr(worker_command, "JOB_RETRY_SECONDS", 2.0)
    monkeypatch.setattr(worker_command, "CONFLICT_RETRY_SECONDS", 1.0)
    loop = WorkerLoop(
        batch=False, interval=0, worker_id="w", heartbeat=Heartbeat(None, worker_id="w")
    )

    def ran() -> tuple[int, int]:
        return hourly_jobs["conflicts"], hourly_jobs["faults"]

    with caplog.at_level(logging.INFO, logger="sightline.worker"):
        loop.run_cycle()  # no exception: the database was not lost
        assert loop.failures == 0
        assert ran() == (1, 1)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(
            "job test-conflict failed (OperationalError from QueryCanceled" in w for w in warnings
        )

        # The conflict is tried again on the next cycle, then after a back-off (1 s x 2); the
        # fault once its retry has come (2 s), not its hour. The connection works all along.
        loop.run_cycle()
        assert ran() == (2, 1)
        loop.run_cycle()
        assert ran() == (2, 1)
        hourly_jobs["conflict"] = False
        time.sleep(2.1)
        loop.run_cycle()
        assert ran() == (3, 2)
        assert "job test-conflict runs again" in caplog.text

        # The fault's second retry waits twice as long (4 s); once it succeeds, its hour.
        hourly_jobs["fault"] = False
        time.sleep(2.1)
        loop.run_cycle()
        assert ran() == (3, 2)
        time.sleep(2.0)
        loop.run_cycle()
        loop.run_cycle()
        assert ran() == (3, 3)
        assert "job test-faulty runs again" in caplog.text


def test_what_counts_as_a_conflict():
    import sqlite3

    from django.db import OperationalError

    from sightline.web.management.commands.worker import is_conflict

    def raised(cause: BaseException) -> OperationalError:
        try:
            raise OperationalError("wrapped") from cause
        except OperationalError as exc:
            return exc

    assert is_conflict(raised(sqlite3.OperationalError("database is locked")))
    assert not is_conflict(raised(sqlite3.OperationalError("unable to open database file")))
    assert not is_conflict(raised(OSError("connection refused")))
