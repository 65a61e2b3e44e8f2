"""Where the CPU went during a phase, from ``/proc`` (Linux; elsewhere every figure is None).

The machine's busy share shows whether anything else was running; the CPU seconds of each
part (Sightline's gunicorn, the bare gunicorn, the worker, PostgreSQL, the load generator and
the SMTP sink) show what one request costs.

PostgreSQL is measured two ways, both on the server the run's database is on (its postmaster
is the parent of a backend of the run's own connection, not whichever cluster is found
first): ``postgresql`` is the whole server, every database, including backends that have
exited (the postmaster has reaped them), so on a server shared with other work it counts that
work too; ``postgresql (run's database)`` is the backends connected to the run's database
only, polled from ``pg_stat_activity`` (``DatabaseBackends``), exact when the servers keep
their connections (``DATABASE_CONN_MAX_AGE``) and an undercount when they open one per
request (a backend that lives less than a poll is missed).
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(command, parent pid, CPU seconds of the process and its reaped children)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = text[text.index("(") + 1 : text.rindex(")")]
    fields = text[text.rindex(")") + 2 :].split()
    # fields[1] is ppid; [11..14] utime, stime, cutime, cstime (man 5 proc, from field 3)
    ticks = sum(int(v) for v in fields[11:15])
    return name, int(fields[1]), ticks / _TICKS


def _processes() -> dict[int, tuple[str, int, float]]:
    found: dict[int, tuple[str, int, float]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                found[int(entry.name)] = stat
    return found


def _tree_seconds(root: int, processes: dict[int, tuple[str, int, float]]) -> float | None:
    if root not in processes:
        return None
    children: dict[int, list[int]] = {}
    for pid, (_, parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    total, stack = 0.0, [root]
    while stack:
        pid = stack.pop()
        total += processes[pid][2]
        stack.extend(children.get(pid, []))
    return total


def postmaster_of(backend_pid: int) -> int | None:
    """The postmaster of a PostgreSQL backend (its parent), if it runs on this host."""
    stat = _stat(backend_pid)
    return stat[1] if stat is not None and stat[0] == "postgres" else None


class DatabaseBackends:
    """CPU seconds of the backends connected to one database, polled every ``every`` seconds
    from ``pg_stat_activity`` over an admin connection (to another database, so the poll's own
    backend is not counted) and read from ``/proc``. A backend first seen during the interval
    counts from zero; one that exits between polls loses its last fraction of a poll."""

    def __init__(self, *, admin_url: str, database: str, every: float = 0.25) -> None:
        import threading

        self.admin_url, self.database, self.every = admin_url, database, every
        self._stop = threading.Event()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _pids(self, conn: object) -> list[int]:
        rows = conn.execute(  # type: ignore[attr-defined]
            "SELECT pid, application_name FROM pg_stat_activity WHERE datname = %s",
            [self.database],
        ).fetchall()
        for pid, name in rows:
            self._names[pid] = name
        return [row[0] for row in rows]

    def _poll(self) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            initial = True
            while True:
                for pid in self._pids(conn):
                    stat = _stat(pid)
                    if stat is None:
                        continue
                    self._first.setdefault(pid, stat[2] if initial else 0.0)
                    self._last[pid] = stat[2]
                initial = False
                if self._stop.wait(self.every):
                    return

    def start(self) -> DatabaseBackends:
        self._thread.start()
        return self

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return round(sum(self._last[p] - self._first[p] for p in self._last), 2)

    def of(self, application_name: str) -> float:
        """After ``stop``: the CPU seconds of the backends of one ``application_name``
        (``sightline.core.database``: which Sightline process each serves)."""
        return round(
            sum(
                self._last[p] - self._first[p]
                for p in self._last
                if self._names.get(p) == application_name
            ),
            2,
        )


WITHIN = " (within "


def within(part: str, whole: str) -> str:
    """The name of a part already counted in ``whole`` (shown, not added again)."""
    return f"{part}{WITHIN}{whole})"


def is_within(name: str) -> bool:
    return name == "postgresql (run's database)" or WITHIN in name


def lane_of(parent: int, lane: str) -> int | None:
    """The pid of ``sightline worker``'s ``--lane <lane>`` child process, if it has one."""
    for pid, (_, ppid, _) in _processes().items():
        if ppid != parent:
            continue
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--lane" in command and lane.encode() in command:
            return pid
    return None


def machine_times() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of all CPUs since boot; None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    values = [int(v) for v in fields[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _TICKS, sum(values) / _TICKS


def sample(parts: dict[str, int], *, postmaster: int | None) -> dict[str, float | None]:
    """CPU seconds so far of each part (name -> root pid, counted with its descendants), of
    the PostgreSQL server whose postmaster is ``postmaster`` (None: no PostgreSQL), of this
    process alone, and of the machine."""
    processes = _processes()
    seconds: dict[str, float | None] = {
        name: _tree_seconds(pid, processes) for name, pid in parts.items()
    }
    seconds["postgresql"] = _tree_seconds(postmaster, processes) if postmaster is not None else None
    own = processes.get(os.getpid())
    seconds["load generator"] = own[2] if own else None
    times = machine_times()
    seconds["machine busy"], seconds["machine total"] = times if times else (None, None)
    return seconds


def usage(start: dict[str, float | None], end: dict[str, float | None]) -> dict[str, float | None]:
    """CPU seconds used by each part between two samples, and the machine's busy share."""
    used: dict[str, float | None] = {}
    for name, value in end.items():
        before = start.get(name)
        used[name] = None if value is None or before is None else round(value - before, 2)
    busy, total = used.pop("machine busy"), used.pop("machine total")
    counted = sum(v for k, v in used.items() if v is not None and not is_within(k))
    # Everything not counted above: other programs on the host, and the kernel's own work.
    used["other"] = round(busy - counted, 2) if busy is not None else None
    used["machine busy share"] = round(busy / total, 3) if busy is not None and total else None
    used["other share"] = (
        round(max(0.0, busy - counted) / total, 3) if busy is not None and total else None
    )
    return used
