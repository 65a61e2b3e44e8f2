"""`sightline worker`: the background worker.

Each cycle it runs the periodic jobs the apps registered in ``sightline.core.registry``
(ADR 7), in their order: today the sweeper that takes back deliveries whose worker died, the
escalations of late notices and of return interviews not held, and delivering the notices that
are due from the outbox. Work that must not be lost lives in the outbox's own rows, claimed
under a lease (ADR 5); there is no separate task queue (ADR 12). See ``docs/notices.md``.

Jobs that may run for minutes (the links between every child, ADR 49) are registered in the
long lane (ADR 62). A worker runs the main lane itself and the long lane in a child process it
starts, restarts if it dies, and stops with itself (``sightline worker --lane long``, at a
lower CPU priority): a missing child's alert never waits for the long lane, nor competes with
it for the interpreter. ``--lane main`` and ``--lane long`` run one lane only (two services);
a ``--batch`` run runs the lanes' jobs in its one loop. A service's main lane runs at niceness
``SIGHTLINE_WORKER_NICE`` (5) at least, so that the web server's requests get a busy CPU
first, and the long lane 10 lower still (ADR 67).

When a cycle finds nothing to do, the worker waits ``--interval`` (1 s) before it looks again.
On PostgreSQL it also LISTENs for new work (ADR 66): a new delivery NOTIFYs it from a trigger,
so it sends a missing child's alert as soon as it has been idle ``--interval``, and looks for
the rest (retries whose back-off ended, leases that ran out, periodic jobs) every few seconds
rather than every second.

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
import select
import signal
import socket
import sqlite3
import subprocess
import sys
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
)
from django.utils.crypto import get_random_string

from sightline.core.database import connections_name
from sightline.core.registry import (
    JOB_LANES,
    LANE_LONG,
    LANE_MAIN,
    WAKE_CHANNEL,
    PeriodicJob,
    periodic_jobs,
)
from sightline.core.timeutil import now as current_time

logger = logging.getLogger("sightline.worker")

# The connection is gone (a restart, a failover, the network), as opposed to a bad statement.
CONNECTION_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
# How often, at most, the heartbeat file is written.
HEARTBEAT_EVERY = 1.0
# A job that keeps failing (not the database: a fault of its own) is logged this often.
JOB_FAILURE_LOG_SECONDS = 60.0
# A failed job is tried again after this long, then twice as long after each failure in a
# row, never later than its interval would bring it (the audit checkpoint's hour would leave
# an hour's gap after one failure; retrying every minute for ever would run a ten-minute job
# ten times as often while it keeps failing).
JOB_RETRY_SECONDS = 60.0
# A conflict is tried again on the next cycle, then after this long, doubling likewise: a
# lock held by a long migration, or a statement that always outlives its timeout, must not
# make a job run back to back.
CONFLICT_RETRY_SECONDS = 1.0
# A conflict with another transaction, not a lost database (PostgreSQL's SQLSTATEs: deadlock
# detected, lock not available, serialization failure, statement cancelled by its timeout):
# the connection still works, the job's transaction was rolled back, and the job is tried
# again on the next cycle while the other jobs go on.
CONFLICT_SQLSTATES = frozenset({"40P01", "55P03", "40001", "57014"})
# Waits are cut into slices of this many seconds, with a heartbeat between them.
WAIT_SLICE = 5.0
# The longest idle wait of a worker that LISTENs for new work (PostgreSQL, ADR 66): what no
# one NOTIFYs (a retry whose back-off ends, a lease that runs out) is still found this soon,
# so an urgent alert is retried within 30 s of a failure (back-off at most 20 s) and taken
# back from a dead worker within 30 s (lease 20 s).
IDLE_POLL_SECONDS = 5.0
DEFAULT_MAX_AGE = 120.0
# How long a stopping worker waits for its long lane's process to end before it kills it (the
# job's transaction is then rolled back by the database: it writes in one).
LONG_LANE_STOP_SECONDS = 10.0
# The long lane's niceness: on a busy machine the main lane's deliveries get the CPU first.
LONG_LANE_NICE = 10
LANE_ALL = "all"
LANES = (LANE_ALL, *JOB_LANES)
# Set for the long lane's process by the worker that starts it: the process stops when that
# worker is gone (killed with SIGKILL, it cannot stop its child itself).
PARENT_PID_VARIABLE = "SIGHTLINE_WORKER_PARENT_PID"


def _threads() -> list[int]:
    """This process's threads: on Linux a niceness is a thread's, so a thread started before
    the worker lowers itself (a library's idle pool) would keep the old one. Elsewhere, the
    process (0)."""
    try:
        return [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        return [0]


def _at_least(nice: int) -> None:
    """Every thread of this process at niceness ``nice`` or nicer (19 at most)."""
    nice = min(19, nice)
    for tid in _threads():
        with contextlib.suppress(OSError):  # a thread that has ended meanwhile
            if os.getpriority(os.PRIO_PROCESS, tid) < nice:
                os.setpriority(os.PRIO_PROCESS, tid, nice)


def lower_priority() -> None:
    """The long lane gives way to the main lane's deliveries on a busy machine."""
    with contextlib.suppress(OSError):
        _at_least(os.getpriority(os.PRIO_PROCESS, 0) + LONG_LANE_NICE)


# The main lane's niceness (ADR 67): the web server's requests get the CPU first, so that a
# burst of deliveries does not make a person wait; the worker still gets its share (at 5,
# about a third of a contended CPU's) and has all of an idle one.
WORKER_NICE_VARIABLE = "SIGHTLINE_WORKER_NICE"
DEFAULT_WORKER_NICE = 5


def worker_nice() -> int:
    """``SIGHTLINE_WORKER_NICE`` (0 to 19; default 5; 0 leaves the priority alone)."""
    value = os.environ.get(WORKER_NICE_VARIABLE, "").strip()
    if not value:
        return DEFAULT_WORKER_NICE
    try:
        nice = int(value)
    except ValueError:
        nice = -1
    if not 0 <= nice <= 19:
        raise CommandError(f"{WORKER_NICE_VARIABLE} must be a whole number from 0 to 19: {value!r}")
    return nice


def yield_to_web(nice: int) -> None:
    """Run at niceness ``nice`` at least: a worker its service manager started lower still
    (systemd's ``Nice=``) stays there, and 0 leaves it as started."""
    if nice <= 0:
        return
    _at_least(nice)


def follow_parent(loop: WorkerLoop, parent: int, *, grace: float = LONG_LANE_STOP_SECONDS) -> None:
    """Stop ``loop`` when the process ``parent`` is gone, and end this process ``grace``
    seconds later if its job has not finished (its transaction is rolled back)."""

    def watch() -> None:
        while os.getppid() == parent:
            if loop.pause(1.0):
                return
        logger.warning("worker %s: the worker that started it is gone; stopping", loop.worker_id)
        loop.stop()
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="sightline-worker-parent", daemon=True).start()


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
        # Jobs failing for a fault of their own (ADR 22's amendment): name -> since (epoch s).
        self.failing: dict[str, float] = {}

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
            "failing": self.failing,
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
    # A job failing longer than the limit (a fault of its own, which the loop survives): the
    # worker turns but does not do its work, which a health check must see (ADR 22).
    failing = record.get("failing") or {}
    for job, since in sorted(failing.items(), key=lambda item: item[1]):
        failed_for = time.time() - float(since)
        if failed_for > max_age:
            return False, (
                f"{who} is running, but its job {job} has failed for {failed_for:.0f} s "
                f"(limit {max_age:.0f} s): see its log."
            )
    also = f"; failing: {', '.join(sorted(failing))}" if failing else ""
    return True, f"{who} is alive: last heartbeat {age:.0f} s ago; database {database}{also}."


def _raised_at(exc: BaseException) -> str:
    """Where in Sightline's own code ``exc`` was raised (the innermost frame in the
    ``sightline`` package but outside this loop, as a path inside the package, with its
    line), else its innermost frame (a library's, or a job defined elsewhere)."""
    package = Path(__file__).resolve().parents[3]  # src/sightline
    this = Path(__file__).resolve()
    innermost, ours = None, None
    tb = exc.__traceback__
    while tb is not None:
        innermost = tb
        path = Path(tb.tb_frame.f_code.co_filename).resolve()
        if path != this and path.is_relative_to(package):
            ours = tb
        tb = tb.tb_next
    chosen = ours or innermost
    if chosen is None:
        return "?"
    path = Path(chosen.tb_frame.f_code.co_filename).resolve()
    shown = path.relative_to(package.parent) if path.is_relative_to(package) else path.name
    return f"{shown}:{chosen.tb_lineno}"


def is_conflict(exc: BaseException) -> bool:
    """Whether a database error is a conflict with another transaction (a deadlock, a lock
    not granted in time, a serialization failure, a statement timeout; SQLite's "database is
    locked") rather than a lost connection."""
    cause = exc.__cause__
    if getattr(cause, "sqlstate", None) in CONFLICT_SQLSTATES:
        return True
    return isinstance(cause, sqlite3.OperationalError) and "is locked" in str(cause)


class WakeListener:
    """On PostgreSQL: a connection of its own that LISTENs on ``WAKE_CHANNEL`` in a thread,
    setting ``wake`` when an app says it wrote work due at once (ADR 66).

    ``listening`` is true only while the LISTEN holds: when the connection is refused or
    lost, the thread tries again after the database back-off, and meanwhile the loop polls
    every ``--interval`` as it does on SQLite."""

    def __init__(self, *, wake: threading.Event, worker_id: str) -> None:
        self.wake = wake
        self.worker_id = worker_id
        self._closed = threading.Event()
        self._listening = threading.Event()
        self._params = connection.get_connection_params()
        self.thread = threading.Thread(
            target=self._listen, name=f"sightline-worker-{worker_id}-listen", daemon=True
        )

    @classmethod
    def start(cls, *, wake: threading.Event, worker_id: str) -> WakeListener | None:
        if connection.vendor != "postgresql":
            return None
        listener = cls(wake=wake, worker_id=worker_id)
        listener.thread.start()
        return listener

    @property
    def listening(self) -> bool:
        return self._listening.is_set()

    def _listen(self) -> None:
        import psycopg

        failures = 0
        while not self._closed.is_set():
            try:
                with psycopg.Connection.connect(**self._params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {WAKE_CHANNEL}")
                    self._listening.set()
                    failures = 0
                    while not self._closed.is_set():
                        # select() itself: psycopg's own wait wakes ten times a second, a
                        # millisecond of CPU a second, more than the polls this saves.
                        readable, _, _ = select.select([conn.fileno()], [], [], 1.0)
                        if readable:
                            for _ in conn.notifies(timeout=0):
                                self.wake.set()
            except psycopg.Error as exc:
                failures += 1
                logger.warning(
                    "worker %s: not listening for new work (%s); polling every cycle meanwhile",
                    self.worker_id,
                    type(exc).__name__,
                )
            finally:
                self._listening.clear()
                # Work may have come while nobody listened: the loop looks at once.
                self.wake.set()
            delay = reconnect_delay(
                failures, first=reconnect_first_seconds(), cap=reconnect_max_seconds()
            )
            self._closed.wait(delay)

    def close(self) -> None:
        self._closed.set()
        self.thread.join(5.0)


class WorkerLoop:
    def __init__(
        self,
        *,
        batch: bool,
        interval: float,
        worker_id: str,
        heartbeat: Heartbeat | None = None,
        lane: str = LANE_ALL,
    ) -> None:
        """``lane``: the jobs of one lane, or (``all``) of every lane. The loop runs them one
        after another; the command runs ``all`` as two processes, one per lane (ADR 62)."""
        if lane not in LANES:
            raise ValueError(f"unknown lane {lane!r}")
        self.batch = batch
        self.lane = lane
        self.interval = interval
        self.worker_id = worker_id
        self.heartbeat = heartbeat or Heartbeat(None, worker_id=worker_id)
        self._stop = threading.Event()
        # Set when there may be work (a NOTIFY on WAKE_CHANNEL) or the loop is told to stop.
        self._wake = threading.Event()
        self.listener: WakeListener | None = None
        # When each periodic job last ran (time.monotonic()), by name.
        self._ran_at: dict[str, float] = {}
        # When the last cycle ended (time.monotonic()).
        self._cycle_ended = 0.0
        # Cycles in a row that failed because the database was unavailable.
        self.failures = 0
        # Jobs failing for another reason: failures in a row, and when that was last logged.
        self._failing: dict[str, tuple[int, float]] = {}

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` or until the loop is told to stop; whether it was."""
        return self._stop.wait(seconds)

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
        """Run ``job``; when it fails for a reason other than a lost database, say so and go
        on with the other jobs: one job's fault (a row it cannot handle, a key missing from
        the audit's key ring) must not stop the deliveries of every missing child's alert.
        It runs again when next due. A ``--batch`` run (a one-off) fails instead."""
        self._ran_at[job.name] = time.monotonic()
        try:
            done = job.run(now=current_time(), should_stop=self._should_stop)
        except CONNECTION_ERRORS as exc:
            if self.batch or not is_conflict(exc):
                raise
            self._job_failed(job, exc, conflict=True)
            return 0
        except Exception as exc:
            if self.batch:
                raise
            self._job_failed(job, exc)
            return 0
        if job.name in self._failing:
            del self._failing[job.name]
            self.heartbeat.failing.pop(job.name, None)
            self.heartbeat.beat(database="ok", force=True)
            logger.info("worker %s: job %s runs again", self.worker_id, job.name)
        return done

    def _job_failed(self, job: PeriodicJob, exc: Exception, *, conflict: bool = False) -> None:
        # The error's class and where it was raised, never its message: a message may quote a
        # row's values. Logged once a minute at most while the job keeps failing. (A job's
        # transaction was rolled back as its atomic block ended.)
        now = time.monotonic()
        failures, logged = self._failing.get(job.name, (0, 0.0))
        failures += 1
        # Due again after a back-off that doubles with the failures in a row: a conflict on
        # the next cycle first, another fault after JOB_RETRY_SECONDS.
        doubling = 2 ** min(failures - 1, 20)  # (capped by the interval below in any case)
        if conflict:
            retry = 0.0 if failures == 1 else CONFLICT_RETRY_SECONDS * doubling
        else:
            retry = JOB_RETRY_SECONDS * doubling
        self._ran_at[job.name] = now - max(0.0, job.interval - retry)
        if failures == 1:
            self.heartbeat.failing[job.name] = time.time()
            self.heartbeat.beat(database="ok", force=True)
        if failures == 1 or now - logged >= JOB_FAILURE_LOG_SECONDS:
            cause = exc.__cause__
            logger.log(
                logging.WARNING if conflict and failures == 1 else logging.ERROR,
                "worker %s: job %s failed (%s%s at %s, %s time(s) in a row); the other jobs go on",
                self.worker_id,
                job.name,
                type(exc).__name__,
                f" from {type(cause).__name__}" if cause is not None else "",
                _raised_at(exc),
                failures,
            )
            logged = now
        self._failing[job.name] = (failures, logged)

    def _jobs(self) -> list[PeriodicJob]:
        return periodic_jobs(None if self.lane == LANE_ALL else self.lane)

    def run_cycle(self) -> int:
        """One turn of the loop: each of its lane's jobs that is due."""
        # What was notified before the jobs look is found by them; what comes later wakes
        # the next wait.
        self._wake.clear()
        self._close_old_connections()
        done = 0
        for job in self._jobs():
            if self.stopping:
                break
            if self._due(job):
                done += self._run_job(job)
        self._close_old_connections()
        self._cycle_ended = time.monotonic()
        return done

    def _wait(self, seconds: float, *, database: str, wakeable: bool = False) -> None:
        """Wait ``seconds``, until told to stop, or (``wakeable``) until notified of work.

        Notified, it still waits until ``--interval`` after the last cycle: a worker idle
        that long sends new work at once, and work that keeps coming is sent in batches, a
        cycle per ``--interval`` at most, as polling sent it (a cycle per alert would cost
        more CPU than the polls it saves)."""
        end = time.monotonic() + seconds
        event = self._wake if wakeable else self._stop
        while not self.stopping:
            self.heartbeat.beat(database=database)
            left = end - time.monotonic()
            if left <= 0:
                return
            if event.wait(min(left, WAIT_SLICE)) and wakeable:
                self._stop.wait(min(end, self._cycle_ended + self.interval) - time.monotonic())
                return

    def idle_seconds(self) -> float:
        """How long to wait when a cycle found nothing to do: ``--interval``, or, while the
        listener holds its LISTEN, up to ``IDLE_POLL_SECONDS`` but no later than the next
        job with an interval is due."""
        if self.listener is None or not self.listener.listening:
            return self.interval
        now = time.monotonic()
        wait = IDLE_POLL_SECONDS
        for job in self._jobs():
            if job.interval > 0:
                wait = min(wait, self._ran_at.get(job.name, now) + job.interval - now)
        return max(self.interval, wait)

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

    def release(self) -> None:
        """The loop has stopped: its jobs let go of what they keep open between cycles (the
        outbox's SMTP connection, closed with QUIT rather than left to the relay's time-out)."""
        for job in self._jobs():
            if job.close is None:
                continue
            try:
                job.close()
            except Exception as exc:  # one job's failure to close must not keep the others open
                logger.warning(
                    "worker %s: job %s did not close (%s)",
                    self.worker_id,
                    job.name,
                    type(exc).__name__,
                )

    def run(self) -> None:
        logger.info("worker %s started", self.worker_id)
        _systemd_notify("READY=1")
        self.heartbeat.beat(database="unknown", force=True)
        if not self.batch and self.lane != LANE_LONG:
            self.listener = WakeListener.start(wake=self._wake, worker_id=self.worker_id)
        try:
            self._turn()
        finally:
            if self.listener is not None:
                self.listener.close()
            self.release()
        _systemd_notify("STOPPING=1")
        logger.info("worker %s stopped", self.worker_id)

    def _turn(self) -> None:
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
                self._wait(self.idle_seconds(), database="ok", wakeable=True)


class LongLane:
    """The long lane's process (``sightline worker --lane long``), started, watched and
    stopped by a worker that runs the main lane (ADR 62).

    A process, not a thread: a long job is Python computing for minutes, and in a thread it
    would hold the interpreter's lock against the deliveries. It runs at a lower CPU priority
    (``LONG_LANE_NICE``). When it exits (killed, out of memory, a failure it did not survive)
    it is started again after the same capped, jittered back-off as a lost database; when the
    worker stops, it is asked to stop (SIGTERM) and killed after ``LONG_LANE_STOP_SECONDS``:
    long jobs write in one transaction, which the database then rolls back.
    """

    def __init__(self, loop: WorkerLoop, *, interval: float, heartbeat: Path) -> None:
        self.loop = loop
        self.command = [
            sys.executable,
            "-m",
            "sightline.cli",
            "worker",
            "--lane",
            LANE_LONG,
            "--worker-id",
            f"{loop.worker_id}-long",
            "--interval",
            str(interval),
            "--heartbeat-file",
            str(heartbeat.with_name(heartbeat.name + ".long")),
        ]
        self.process: subprocess.Popen[bytes] | None = None
        # Held while a process is started, so that ``stop`` sees every process started before
        # the worker began to stop, and none is started after.
        self._starting = threading.Lock()
        self.thread = threading.Thread(
            target=self._watch, name=f"sightline-worker-{loop.worker_id}-long", daemon=True
        )

    @classmethod
    def start(cls, loop: WorkerLoop, *, interval: float, heartbeat: Path) -> LongLane | None:
        if not periodic_jobs(LANE_LONG):
            return None
        lane = cls(loop, interval=interval, heartbeat=heartbeat)
        lane.thread.start()
        return lane

    def _watch(self) -> None:
        failures = 0
        while True:
            started = time.monotonic()
            with self._starting:
                if self.loop.stopping:
                    return
                process = self.process = subprocess.Popen(  # noqa: S603 (our own command)
                    self.command, env={**os.environ, PARENT_PID_VARIABLE: str(os.getpid())}
                )
            logger.info("worker %s: long lane started (pid %s)", self.loop.worker_id, process.pid)
            status = process.wait()
            if self.loop.stopping:
                return
            # A lane that ran a while before it died starts again soon; one that dies at once
            # (a broken installation) is not restarted in a tight loop.
            failures = 1 if time.monotonic() - started > reconnect_max_seconds() else failures + 1
            delay = reconnect_delay(
                failures, first=reconnect_first_seconds(), cap=reconnect_max_seconds()
            )
            logger.warning(
                "worker %s: the long lane's process exited (status %s); starting it again "
                "in %.1f s",
                self.loop.worker_id,
                status,
                delay,
            )
            self.loop.pause(delay)

    def stop(self, timeout: float = LONG_LANE_STOP_SECONDS) -> None:
        """Stop the process; the worker's loop has been told to stop."""
        with self._starting:
            process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                logger.warning(
                    "worker %s: the long lane did not stop within %.0f s; killing it",
                    self.loop.worker_id,
                    timeout,
                )
                process.kill()
                process.wait()
        self.thread.join(timeout)


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
            help="Seconds to wait between polls when there is nothing to do. On PostgreSQL a "
            "new delivery wakes the worker (this long after its last cycle at the soonest), "
            f"and while it listens it polls every {IDLE_POLL_SECONDS:g} s (or this, if "
            "longer) for the rest (ADR 66).",
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
            "--lane",
            choices=LANES,
            default=LANE_ALL,
            help="The jobs to run (ADR 62): all (the main lane here and the long lane in a "
            "child process this worker starts and restarts), main (deliveries, sweeps, "
            "escalations: seconds at most) or long (jobs that may run for minutes, at a "
            "lower CPU priority). Default: all.",
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
        lane: str = LANE_ALL,
        **options: Any,
    ) -> None:
        path = Path(heartbeat_file) if heartbeat_file else default_heartbeat_file()
        if check:
            alive, line = heartbeat_check(path, max_age=max_age)
            if not alive:
                raise CommandError(line, returncode=1)
            self.stdout.write(line)
            return
        # Read (and checked) only where used: a one-off batch run keeps its priority.
        nice = 0 if batch else worker_nice()
        worker_id = worker_id or get_random_string(12)
        heartbeat = None if batch else path  # a one-off batch run leaves the service's alone
        # A service run as one: the main lane here, the long lane in a process of its own.
        split = lane == LANE_ALL and not batch
        loop = WorkerLoop(
            batch=batch,
            interval=interval,
            worker_id=worker_id,
            heartbeat=Heartbeat(heartbeat, worker_id=worker_id),
            lane=LANE_MAIN if split else lane,
        )
        service = not batch and threading.current_thread() is threading.main_thread()
        if service:
            # Its database connections say which lane they serve.
            connections_name(f"sightline worker {LANE_MAIN if split else lane}")
        if lane == LANE_LONG and not batch:
            if service:
                # 10 below the main lane, whether started by a worker (which has yielded
                # already) or as a service of its own. Not from a thread of another program
                # (a test): every thread of the process would be lowered.
                yield_to_web(nice)
                lower_priority()
            parent = os.environ.get(PARENT_PID_VARIABLE, "")
            if parent.isdigit():
                follow_parent(loop, int(parent))
        elif service:
            # A service (not a one-off batch, nor a test running the loop in a thread of its
            # own process): the main lane yields to the web server, and the long lane it
            # starts inherits this and lowers itself further.
            yield_to_web(nice)
        long_lane = LongLane.start(loop, interval=interval, heartbeat=path) if split else None
        try:
            self._run(loop)
        finally:
            loop.stop()
            if long_lane is not None:
                long_lane.stop()

    @staticmethod
    def _run(loop: WorkerLoop) -> None:
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
