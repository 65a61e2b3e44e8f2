"""`sightline worker`: the background worker.

Each cycle it runs the periodic jobs the apps registered in ``sightline.core.registry``
(ADR 7), in their order: today the sweeper that takes back deliveries whose worker died, the
escalations of late notices and of return interviews not held, and delivering the notices that
are due from the outbox. Work that must not be lost lives in the outbox's own rows, claimed
under a lease (ADR 5); there is no separate task queue (ADR 12). See ``docs/notices.md``.

Jobs that may run for minutes (the links between every child, ADR 49) are registered in the
long lane and run in a thread of their own (ADR 62): a missing child's alert never waits for
them. A ``--batch`` run runs every lane's jobs in its one loop.

A worker survives its database (ADR 22): when a cycle fails because the connection is gone (a
restart, a failover), it closes the broken connection and tries again after a capped,
jittered back-off, for as long as it takes. It writes a heartbeat file as it goes (and tells
systemd's watchdog, when started by systemd), so that ``sightline worker --check`` or the
service manager can restart a worker that hangs; one that dies is restarted by the service
manager (``docs/operations.md``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import signal
import socket
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    connections,
)
from django.utils.crypto import get_random_string

from sightline.core.registry import LANE_LONG, LANE_MAIN, PeriodicJob, periodic_jobs
from sightline.core.timeutil import now as current_time

logger = logging.getLogger("sightline.worker")

# The connection is gone (a restart, a failover, the network), as opposed to a bad statement.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# How often, at most, the heartbeat file is written.
HEARTBEAT_EVERY = 1.0
# Waits are cut into slices of this many seconds, with a heartbeat between them.
WAIT_SLICE = 5.0
DEFAULT_MAX_AGE = 120.0
# How long a stopping worker waits for its long lane's job to end before it exits anyway (the
# job's transaction is then rolled back by the database: it writes in one).
LONG_LANE_JOIN_SECONDS = 10.0


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    return float(value) if value else default


def reconnect_first_seconds() -> float:
    return _env_float("SIGHTLINE_WORKER_RECONNECT_SECONDS", 1.0)


def reconnect_max_seconds() -> float:
    return _env_float("SIGHTLINE_WORKER_RECONNECT_MAX_SECONDS", 30.0)


def reconnect_delay(failures: int, *, first: float, cap: float) -> float:
    """The wait after the ``failures``-th failed cycle in a row: doubling from ``first``,
    capped at ``cap``, and "equal jitter" (between half and all of it) so that workers
    restarted together do not reconnect in step."""
    ceiling = min(cap, first * 2 ** max(failures - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 (jitter, not a secret)


def default_heartbeat_file() -> Path:
    configured = os.environ.get("SIGHTLINE_WORKER_HEARTBEAT_FILE", "").strip()
    if configured:
        return Path(configured)
    return Path(settings.VAR_DIR) / "worker.heartbeat"


def _systemd_notify(message: str) -> None:
    """Tell systemd (``Type=notify``, ``WatchdogSec=``) how the worker is; nothing otherwise."""
    address = os.environ.get("NOTIFY_SOCKET", "")
    if not address:
        return
    if address.startswith("@"):
        address = "\0" + address[1:]
    with (
        contextlib.suppress(OSError),
        socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock,
    ):
        sock.connect(address)
        sock.sendall(message.encode())


class Heartbeat:
    """A small JSON file rewritten (atomically) while the worker's loop turns."""

    def __init__(self, path: Path | None, *, worker_id: str) -> None:
        self.path = path
        self.worker_id = worker_id
        self._last = 0.0
        self._database = ""
        self._warned = False

    def beat(self, *, database: str, force: bool = False) -> None:
        now = time.monotonic()
        # Throttled, except when the database's state changes: --check reports it.
        if not force and database == self._database and now - self._last < HEARTBEAT_EVERY:
            return
        self._last = now
        self._database = database
        _systemd_notify("WATCHDOG=1")
        if self.path is None:
            return
        record = {
            "worker": self.worker_id,
            "pid": os.getpid(),
            "at": time.time(),
            "database": database,
        }
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
            partial.write_text(json.dumps(record))
            os.replace(partial, self.path)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                logger.warning("worker %s cannot write its heartbeat (%s)", self.worker_id, exc)


def heartbeat_check(path: Path, *, max_age: float) -> tuple[bool, str]:
    """Whether the worker writing ``path`` is alive, and a line saying so."""
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"No worker heartbeat at {path}: the worker is not running."
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        record = {}
    who = f"Worker {record.get('worker', '?')} (pid {record.get('pid', '?')})"
    if age > max_age:
        return False, f"{who} is stale: last heartbeat {age:.0f} s ago (limit {max_age:.0f} s)."
    database = record.get("database", "unknown")
    return True, f"{who} is alive: last heartbeat {age:.0f} s ago; database {database}."


class WorkerLoop:
    def __init__(
        self,
        *,
        batch: bool,
        interval: float,
        worker_id: str,
        heartbeat: Heartbeat | None = None,
    ) -> None:
        self.batch = batch
        self.interval = interval
        self.worker_id = worker_id
        self.heartbeat = heartbeat or Heartbeat(None, worker_id=worker_id)
        self._stop = threading.Event()
        # When each periodic job last ran (time.monotonic()), by name.
        self._ran_at: dict[str, float] = {}
        # Cycles in a row that failed because the database was unavailable.
        self.failures = 0

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    @staticmethod
    def _close_old_connections() -> None:
        # Drops broken or expired database connections between cycles, as Django does between
        # requests. Not inside an atomic block: that only happens when a test runs the
        # command within its own transaction, which must stay open.
        if not connection.in_atomic_block:
            close_old_connections()

    def _due(self, job: PeriodicJob) -> bool:
        # With --batch, every job runs every cycle.
        if self.batch or job.interval <= 0 or job.name not in self._ran_at:
            return True
        return time.monotonic() - self._ran_at[job.name] >= job.interval

    def _should_stop(self) -> bool:
        # Jobs ask between items: a long cycle keeps the heartbeat fresh.
        self.heartbeat.beat(database="ok")
        return self.stopping

    def _run_job(self, job: PeriodicJob) -> int:
        self._ran_at[job.name] = time.monotonic()
        return job.run(now=current_time(), should_stop=self._should_stop)

    def run_cycle(self) -> int:
        """One turn of the main lane (of every lane with ``--batch``)."""
        self._close_old_connections()
        done = 0
        for job in periodic_jobs(None if self.batch else LANE_MAIN):
            if self.stopping:
                break
            if self._due(job):
                done += self._run_job(job)
        self._close_old_connections()
        return done

    def _wait(self, seconds: float, *, database: str) -> None:
        end = time.monotonic() + seconds
        while not self.stopping:
            self.heartbeat.beat(database=database)
            left = end - time.monotonic()
            if left <= 0:
                return
            self._stop.wait(min(left, WAIT_SLICE))

    def _database_unavailable(self, exc: Exception) -> float:
        """Close the broken connection and say how long to wait before the next cycle."""
        if connection.in_atomic_block:
            raise exc  # a test's own transaction: nothing to reconnect
        with contextlib.suppress(DatabaseError):
            connection.close()
        self.failures += 1
        delay = reconnect_delay(
            self.failures, first=reconnect_first_seconds(), cap=reconnect_max_seconds()
        )
        cause = exc.__cause__ or exc
        # The error's class only: a message may quote a statement's parameters.
        logger.warning(
            "worker %s: database unavailable (%s, failure %s in a row); next try in %.1f s",
            self.worker_id,
            type(cause).__name__,
            self.failures,
            delay,
        )
        return delay

    def run(self) -> None:
        logger.info("worker %s started", self.worker_id)
        _systemd_notify("READY=1")
        self.heartbeat.beat(database="unknown", force=True)
        long_lane = None if self.batch else LongLane.start(self)
        try:
            self._run_main_lane()
        finally:
            self.stop()
            if long_lane is not None:
                long_lane.join(LONG_LANE_JOIN_SECONDS)
        _systemd_notify("STOPPING=1")
        logger.info("worker %s stopped", self.worker_id)

    def _run_main_lane(self) -> None:
        while not self.stopping:
            try:
                done = self.run_cycle()
            except CONNECTION_ERRORS as exc:
                if self.batch:
                    raise  # a one-off run reports the failure; a service keeps going
                self._wait(self._database_unavailable(exc), database="unavailable")
                continue
            if self.failures:
                logger.info(
                    "worker %s: database back after %s failed cycle(s)",
                    self.worker_id,
                    self.failures,
                )
                self.failures = 0
            self.heartbeat.beat(database="ok")
            if self.batch and done == 0:
                break
            if done == 0:
                self._wait(self.interval, database="ok")


class LongLane:
    """The thread that runs the long lane's jobs (ADR 62), each when its interval is up.

    It has its own database connection (Django's are per thread) and survives the database as
    the main lane does: a lost connection is closed and tried again after the same capped,
    jittered back-off. Any other failure of a job is logged by its class (a message may quote
    personal data) and the job is tried again when its interval is next up, so one bad run
    does not end the lane while the worker lives. The thread is a daemon: a worker stopping
    waits ``LONG_LANE_JOIN_SECONDS`` for it, then exits; the job's transaction is rolled back.
    """

    def __init__(self, loop: WorkerLoop) -> None:
        self.loop = loop
        self._ran_at: dict[str, float] = {}
        self.failures = 0
        self.thread = threading.Thread(
            target=self.run, name=f"sightline-worker-{loop.worker_id}-long", daemon=True
        )

    @classmethod
    def start(cls, loop: WorkerLoop) -> LongLane | None:
        if not periodic_jobs(LANE_LONG):
            return None
        lane = cls(loop)
        lane.thread.start()
        return lane

    def join(self, timeout: float) -> None:
        self.thread.join(timeout)
        if self.thread.is_alive():
            logger.warning(
                "worker %s: the long lane's job did not end within %.0f s; stopping without it",
                self.loop.worker_id,
                timeout,
            )

    def _next_due_in(self) -> float:
        now = time.monotonic()
        waits = [
            max(0.0, self._ran_at.get(job.name, -1e18) + job.interval - now)
            for job in periodic_jobs(LANE_LONG)
        ]
        return min(waits, default=self.loop.interval)

    def _run_due_jobs(self) -> None:
        for job in periodic_jobs(LANE_LONG):
            if self.loop.stopping:
                return
            last = self._ran_at.get(job.name)
            if last is not None and time.monotonic() - last < job.interval:
                continue
            # Marked before it runs: a job that fails waits its interval before the next try.
            self._ran_at[job.name] = time.monotonic()
            try:
                job.run(now=current_time(), should_stop=lambda: self.loop.stopping)
            except CONNECTION_ERRORS:
                self._ran_at.pop(job.name, None)  # not its fault: tried again on reconnect
                raise
            except Exception as exc:
                logger.error(
                    "worker %s: long job %s failed (%s); next try in %.0f s",
                    self.loop.worker_id,
                    job.name,
                    type(exc).__name__,
                    job.interval,
                )

    def run(self) -> None:
        try:
            while not self.loop.stopping:
                try:
                    close_old_connections()
                    self._run_due_jobs()
                    close_old_connections()
                except CONNECTION_ERRORS as exc:
                    with contextlib.suppress(DatabaseError):
                        connection.close()
                    self.failures += 1
                    delay = reconnect_delay(
                        self.failures,
                        first=reconnect_first_seconds(),
                        cap=reconnect_max_seconds(),
                    )
                    logger.warning(
                        "worker %s: long lane: database unavailable (%s, failure %s in a row); "
                        "next try in %.1f s",
                        self.loop.worker_id,
                        type(exc.__cause__ or exc).__name__,
                        self.failures,
                        delay,
                    )
                    self.loop._stop.wait(delay)
                    continue
                self.failures = 0
                self.loop._stop.wait(max(self._next_due_in(), 0.01))
        finally:
            # This thread's connections: Django opens one per thread and never closes it.
            connections.close_all()


class Command(BaseCommand):
    help = (
        "Run the background worker: delivers notices from the outbox and runs the periodic jobs "
        "(escalations, sweeps). Several workers may run at once; each delivery is taken by one "
        "of them. With --check, say whether the worker writing the heartbeat file is alive "
        "(exit status 1 when it is not), for container health checks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every periodic job and deliver every notice that is due, then exit.",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between polls when there is nothing to do.",
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help="A name for this worker in the logs (default: random).",
        )
        parser.add_argument(
            "--heartbeat-file",
            default="",
            help="The file the worker rewrites every cycle (default: "
            "SIGHTLINE_WORKER_HEARTBEAT_FILE, else worker.heartbeat in SIGHTLINE_VAR_DIR). "
            "Give each worker on a machine its own.",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Do not run: exit 0 if the heartbeat file is fresh, 1 if it is stale or missing.",
        )
        parser.add_argument(
            "--max-age",
            type=float,
            default=DEFAULT_MAX_AGE,
            help=f"With --check: the oldest heartbeat, in seconds, of a live worker "
            f"(default {DEFAULT_MAX_AGE:.0f}).",
        )

    def handle(
        self,
        *args: Any,
        batch: bool,
        interval: float,
        worker_id: str = "",
        heartbeat_file: str = "",
        check: bool = False,
        max_age: float = DEFAULT_MAX_AGE,
        **options: Any,
    ) -> None:
        path = Path(heartbeat_file) if heartbeat_file else default_heartbeat_file()
        if check:
            alive, line = heartbeat_check(path, max_age=max_age)
            if not alive:
                raise CommandError(line, returncode=1)
            self.stdout.write(line)
            return
        worker_id = worker_id or get_random_string(12)
        loop = WorkerLoop(
            batch=batch,
            interval=interval,
            worker_id=worker_id,
            # A one-off batch run is not a service: it leaves the service's heartbeat alone.
            heartbeat=Heartbeat(None if batch else path, worker_id=worker_id),
        )
        if threading.current_thread() is not threading.main_thread():
            loop.run()
            return

        def on_signal(signum: int, frame: FrameType | None) -> None:
            if loop.stopping:
                logger.warning("%s again: stopping now", signal.strsignal(signum))
                raise SystemExit(1)
            logger.warning(
                "%s: finishing the current delivery, then stopping", signal.strsignal(signum)
            )
            loop.stop()

        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            loop.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
