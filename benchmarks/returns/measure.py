"""One measurement: a command in a fresh child process, timed from outside.

Wall time is ``time.perf_counter()`` around the process, from ``Popen`` to its exit; peak
memory and CPU time come from ``os.wait4``, the kernel's own account of that one child
(``ru_maxrss``, the largest resident set it ever had, in KiB on Linux; ``ru_utime`` and
``ru_stime``). Nothing runs inside the measured process but the command itself. A command
that outlives ``timeout`` is killed (and its measurement says so by its exit status).

Linux starts a child's ``ru_maxrss`` at the high-water mark of the process that forked it
(it is carried across fork and exec), so a benchmark process of 300 MB would make every
command it measures look at least that big. So the benchmark keeps its own process small
(it cuts the returns in a separate process), and before each command resets its own
high-water mark to its current size (``/proc/self/clear_refs``, Linux 4.0 and later).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Measurement:
    command: list[str]
    exit_code: int
    wall_s: float
    peak_rss_mib: float
    user_s: float
    system_s: float
    stdout: str  # path of the file that holds it
    stderr: str
    # The machine's busy CPU-seconds over the same wall time (``/proc/stat``), and the share
    # of the machine's capacity (wall time x cores) that went to anything but this process.
    machine_busy_s: float | None = None
    others_share: float | None = None
    # The machine's one-minute load average (``os.getloadavg``), sampled every half second
    # while the command ran: the lowest and the highest. On a shared machine it says how many
    # other programs wanted the cores at the time.
    load_min: float | None = None
    load_max: float | None = None

    @property
    def cpu_s(self) -> float:
        return self.user_s + self.system_s

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cpu_s": round(self.cpu_s, 3)}


class MeasurementFailed(RuntimeError):
    """A measured command ended with another exit status than the ones expected."""

    def __init__(self, measurement: Measurement, what: str) -> None:
        self.measurement = measurement
        tail = Path(measurement.stderr).read_text(errors="replace")[-3000:]
        code = measurement.exit_code
        how = f"exited with status {code}" if code >= 0 else f"was stopped by signal {-code}"
        hint = " (killed at --timeout, or out of memory?)" if code == -9 else ""
        super().__init__(
            f"{what} {how}{hint} after {measurement.wall_s:.1f} s. The end of its error "
            f"output ({measurement.stderr}):\n{tail}"
        )


_TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def machine_busy_seconds() -> float | None:
    """CPU-seconds the whole machine has spent busy since boot (Linux; None elsewhere)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICKS


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def measure(
    command: list[str],
    *,
    env: dict[str, str],
    stdout: Path,
    stderr: Path,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Measurement:
    """Run ``command`` to its end in a fresh process, its output going to the two files.

    Each program may write its bytecode cache (``__pycache__``), as on a user's machine: an
    inherited ``PYTHONDONTWRITEBYTECODE`` (set on some CI and container images) would make
    every measurement compile the program's own modules again, which no user's second run
    does. The warm-up run writes the caches of both programs."""
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _reset_peak()
    with stdout.open("wb") as out, stderr.open("wb") as err:
        busy_before = machine_busy_seconds()
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=cwd)
        timer = threading.Timer(timeout, process.kill) if timeout else None
        if timer:
            timer.start()
        loads: list[float] = [os.getloadavg()[0]]
        done = threading.Event()
        sampler = threading.Thread(target=_sample_load, args=(loads, done), daemon=True)
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            done.set()
            sampler.join()
            if timer:
                timer.cancel()
        wall = time.perf_counter() - started
        busy_after = machine_busy_seconds()
    busy = None if busy_before is None or busy_after is None else busy_after - busy_before
    others = None
    if busy is not None and wall > 0:
        mine = usage.ru_utime + usage.ru_stime
        others = max(0.0, busy - mine) / (wall * CORES)
    # Popen would otherwise try to reap the child again.
    process.returncode = os.waitstatus_to_exitcode(status)
    return Measurement(
        command=[str(c) for c in command],
        exit_code=process.returncode,
        wall_s=round(wall, 3),
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
        user_s=round(usage.ru_utime, 3),
        system_s=round(usage.ru_stime, 3),
        stdout=str(stdout),
        stderr=str(stderr),
        machine_busy_s=None if busy is None else round(busy, 2),
        others_share=None if others is None else round(others, 3),
        load_min=round(min(loads), 2),
        load_max=round(max(loads), 2),
    )


def _sample_load(loads: list[float], done: threading.Event) -> None:
    while not done.wait(0.5):
        loads.append(os.getloadavg()[0])
    loads.append(os.getloadavg()[0])
