"""Where the CPU went during a phase: the benchmark's own processes, the rest of the machine.

On a shared 2-core machine anything else running (a test suite, a build) slows every number
here. Each phase therefore records the machine's busy CPU-seconds (``/proc/stat``), the
CPU-seconds of the benchmark's own processes, and those of every other process alive at the
end of the phase (``/proc/<pid>/stat``), so that a reader can see whether a run had the
machine to itself. On PostgreSQL the backends serving the benchmark's database are followed
while the phase runs and counted as the benchmark's database work; other PostgreSQL backends
are counted apart. What is left (processes that started and ended within the phase, such as
a short test run, and the kernel's own work) is the remainder.
Linux only; elsewhere the figures are None.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _machine_busy_seconds() -> float | None:
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _TICKS


def _stat(pid: int) -> tuple[str, float] | None:
    """(command name, user + system CPU-seconds) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = text.partition(" (")[2].rpartition(")")
    fields = rest.split()
    # utime and stime are fields 14 and 15 of the file; ``fields`` starts at field 3.
    return name, (int(fields[11]) + int(fields[12])) / _TICKS


def _all_processes() -> dict[int, tuple[str, float]]:
    found = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


class _BackendSampler(threading.Thread):
    """Follows the PostgreSQL backends serving one database. The workers reconnect every
    cycle (``DATABASE_CONN_MAX_AGE`` 0), so their backends live a second or two: sampled every
    0.2 s, each one's CPU is known to within its last sample."""

    def __init__(self, database_name: str) -> None:
        super().__init__(name="backend-sampler", daemon=True)
        self.database_name = database_name
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self._halt = threading.Event()

    def scan(self) -> None:
        for pid, (name, cpu) in _all_processes().items():
            if not name.startswith("postgres"):
                continue
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if f" {self.database_name} " in f" {cmdline} ":
                self.first.setdefault(pid, cpu)
                self.last[pid] = cpu

    def run(self) -> None:
        while not self._halt.wait(0.2):
            self.scan()

    def finish(self, started: dict[int, tuple[str, float]]) -> float:
        self._halt.set()
        self.join(5)
        self.scan()
        # A backend alive when the phase began counts from then; a new one from zero.
        return sum(
            cpu - (started[pid][1] if pid in started else 0.0) for pid, cpu in self.last.items()
        )


@dataclass
class PhaseCpu:
    """``start`` it, then ``stop`` it with the benchmark's processes while they are alive.

    With ``database_name``, the PostgreSQL backends serving that database count as the
    benchmark's (``database_cpu_seconds``)."""

    database_name: str = ""
    _wall: float = 0.0
    _busy: float | None = None
    _before: dict[int, tuple[str, float]] = field(default_factory=dict)
    _sampler: _BackendSampler | None = None

    def start(self) -> PhaseCpu:
        self._wall = time.monotonic()
        self._busy = _machine_busy_seconds()
        self._before = _all_processes()
        if self.database_name:
            self._sampler = _BackendSampler(self.database_name)
            self._sampler.scan()
            self._sampler.start()
        return self

    def stop(self, own_pids: Iterable[int]) -> dict[str, Any]:
        wall = time.monotonic() - self._wall
        database = self._sampler.finish(self._before) if self._sampler else 0.0
        followed = set(self._sampler.last) if self._sampler else set()
        busy = _machine_busy_seconds()
        after = _all_processes()
        own = set(own_pids)
        mine = postgres = other = 0.0
        others: dict[str, float] = {}
        for pid, (name, cpu) in after.items():
            used = cpu - self._before[pid][1] if pid in self._before else cpu
            if pid in followed:
                continue
            if pid in own:
                mine += used
            elif name.startswith("postgres"):
                postgres += used
            else:
                other += used
                others[name] = others.get(name, 0.0) + used
        machine = busy - self._busy if busy is not None and self._busy is not None else None
        return {
            "wall_seconds": wall,
            "machine_busy_cpu_seconds": machine,
            "benchmark_processes_cpu_seconds": mine,
            "database_cpu_seconds": database,
            "postgres_cpu_seconds": postgres,
            "other_processes_cpu_seconds": other,
            "remainder_cpu_seconds": (
                machine - mine - database - postgres - other if machine is not None else None
            ),
            "busiest_other_processes": {
                name: round(used, 1)
                for name, used in sorted(others.items(), key=lambda kv: -kv[1])[:3]
                if used >= 0.5
            },
            "load_average_1m_at_end": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        }
