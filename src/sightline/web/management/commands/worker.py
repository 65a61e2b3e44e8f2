"""`sightline worker`: the background worker.

Each cycle it runs the periodic jobs the apps registered in ``sightline.core.registry``
(ADR 7), in their order: today the sweeper that takes back deliveries whose worker died, the
escalations of late notices and of return interviews not held, and delivering the notices that
are due from the outbox. Work that must not be lost lives in the outbox's own rows, claimed
under a lease (ADR 5); there is no separate task queue (ADR 12). See ``docs/notices.md``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections, connection
from django.utils.crypto import get_random_string

from sightline.core.registry import PeriodicJob, periodic_jobs
from sightline.core.timeutil import now as current_time

logger = logging.getLogger("sightline.worker")


class WorkerLoop:
    def __init__(self, *, batch: bool, interval: float, worker_id: str) -> None:
        self.batch = batch
        self.interval = interval
        self.worker_id = worker_id
        self._stop = threading.Event()
        # When each periodic job last ran (time.monotonic()), by name.
        self._ran_at: dict[str, float] = {}

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

    def _run_job(self, job: PeriodicJob) -> int:
        self._ran_at[job.name] = time.monotonic()
        return job.run(now=current_time(), should_stop=lambda: self.stopping)

    def run_cycle(self) -> int:
        self._close_old_connections()
        done = 0
        for job in periodic_jobs():
            if self.stopping:
                break
            if self._due(job):
                done += self._run_job(job)
        self._close_old_connections()
        return done

    def run(self) -> None:
        logger.info("worker %s started", self.worker_id)
        while not self.stopping:
            done = self.run_cycle()
            if self.batch and done == 0:
                break
            if done == 0:
                self._stop.wait(self.interval)
        logger.info("worker %s stopped", self.worker_id)


class Command(BaseCommand):
    help = (
        "Run the background worker: delivers notices from the outbox and runs the periodic jobs "
        "(escalations, sweeps). Several workers may run at once; each delivery is taken by one "
        "of them."
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

    def handle(
        self,
        *args: Any,
        batch: bool,
        interval: float,
        worker_id: str = "",
        **options: Any,
    ) -> None:
        loop = WorkerLoop(
            batch=batch,
            interval=interval,
            worker_id=worker_id or get_random_string(12),
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
