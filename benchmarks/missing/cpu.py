"""Where the CPU went during a phase, from ``/proc`` (Linux; elsewhere every figure is None).

The machine's busy share shows whether anything else was running; the CPU seconds of each
part (Sightline's gunicorn, the bare gunicorn, the worker, PostgreSQL, the load generator and
the SMTP sink) show what one request costs. PostgreSQL's figure counts every database of the
server, and includes the backends that have exited (PostgreSQL opens one per connection, and
Sightline opens a connection per request), which the postmaster has reaped.
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


def _postmaster(processes: dict[int, tuple[str, int, float]]) -> int | None:
    for pid, (name, parent, _) in processes.items():
        if name == "postgres" and processes.get(parent, ("",))[0] != "postgres":
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


def sample(parts: dict[str, int], *, postgresql: bool) -> dict[str, float | None]:
    """CPU seconds so far of each part (name -> root pid, counted with its descendants), of
    the local PostgreSQL server if ``postgresql``, of this process alone, and of the
    machine."""
    processes = _processes()
    seconds: dict[str, float | None] = {
        name: _tree_seconds(pid, processes) for name, pid in parts.items()
    }
    postmaster = _postmaster(processes) if postgresql else None
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
    counted = sum(v for v in used.values() if v is not None)
    # Everything not counted above: other programs on the host, and the kernel's own work.
    used["other"] = round(busy - counted, 2) if busy is not None else None
    used["machine busy share"] = round(busy / total, 3) if busy is not None and total else None
    used["other share"] = (
        round(max(0.0, busy - counted) / total, 3) if busy is not None and total else None
    )
    return used
