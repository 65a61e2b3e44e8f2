"""``sightline worker`` processes, started exactly as an operator starts them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]


class Workers:
    def __init__(self, *, count: int, interval: float, log_dir: Path) -> None:
        self.count = count
        self.interval = interval
        self.log_dir = log_dir
        self.processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self.started_at = 0.0  # wall clock just before the first process was started

    def log_path(self, n: int) -> Path:
        return self.log_dir / f"worker-{n}.log"

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.started_at = time.time()
        for n in range(self.count):
            log = self.log_path(n).open("wb")
            self._logs.append(log)
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "sightline.cli",
                        "worker",
                        "--interval",
                        str(self.interval),
                        "--worker-id",
                        f"bench-{n}",
                    ],
                    cwd=REPO,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )

    def wait_ready(self, timeout: float = 120) -> None:
        """Until every worker has logged that it started (Django loaded, loop entered)."""
        deadline = time.monotonic() + timeout
        for n in range(self.count):
            marker = f"worker bench-{n} started"
            while marker not in self.output(n):
                if self.processes[n].poll() is not None:
                    raise RuntimeError(f"worker {n} exited at start:\n{self.output(n)[-3000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {n} did not start in {timeout} s")
                time.sleep(0.05)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes]

    def any_running(self) -> bool:
        return any(p.poll() is None for p in self.processes)

    def output(self, n: int) -> str:
        if not self._logs[n].closed:
            self._logs[n].flush()
        return self.log_path(n).read_text(errors="replace")

    def stop(self, timeout: float = 60) -> list[int | None]:
        """SIGTERM, as an operator stops a worker: it finishes the delivery in hand."""
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes: list[int | None] = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=timeout))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
                codes.append(None)
        for log in self._logs:
            log.close()
        return codes

    def tracebacks(self) -> int:
        return sum(self.output(n).count("Traceback") for n in range(len(self.processes)))
