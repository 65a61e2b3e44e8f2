"""The worker's two lanes as processes (ADR 62): ``sightline worker`` runs the main lane
(deliveries) and starts ``sightline worker --lane long`` for the jobs that run for minutes (the
links between children), at a lower CPU priority, restarts it when it dies, and takes it down
with itself, however it ends."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.notifications.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _long_lanes_of(parent: int) -> list[int]:
    """The long-lane processes whose parent is ``parent``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if ppid == parent and b"--lane" in command and b"long" in command:
            found.append(int(entry.name))
    return found


def _the_long_lane(parent: int, *, not_: int | None = None) -> int:
    """The pid of ``parent``'s one long-lane process (other than ``not_``), once there is one."""
    lanes: list[int] = []

    def one_lane() -> bool:
        lanes[:] = _long_lanes_of(parent)
        return len(lanes) == 1 and lanes[0] != not_

    wait_for(one_lane, timeout=60, what="the long lane's process")
    return lanes[0]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has ended


def _niceness(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[16])


def test_the_long_lane_runs_in_a_child_process_restarted_when_it_dies(start_worker, tmp_path):
    worker = start_worker(
        "--interval",
        "0.1",
        "--heartbeat-file",
        str(tmp_path / "hb"),
        smtp_port=9,
        SIGHTLINE_WORKER_RECONNECT_SECONDS="0.1",
        SIGHTLINE_WORKER_RECONNECT_MAX_SECONDS="0.5",
    )
    parent = worker.process.pid
    first = _the_long_lane(parent)
    # It gives way to the deliveries: ten steps nicer than the worker that started it (once
    # it has started: it lowers its own priority), or as nice as a process can be (19) when
    # the worker itself already runs nicer than 9 (the suite under ``nice -n 10``).
    wait_for(
        lambda: _niceness(first) == min(_niceness(parent) + 10, 19),
        timeout=60,
        what="a nicer long lane",
    )

    os.kill(first, signal.SIGKILL)
    second = _the_long_lane(parent, not_=first)
    assert "long lane's process exited" in worker.output()

    # A worker asked to stop stops its long lane too.
    assert worker.terminate(timeout=60) == 0
    assert not _alive(second)


def test_the_long_lane_ends_when_its_worker_is_killed(start_worker, tmp_path):
    """SIGKILL leaves the worker no time to stop its child: the child notices it is gone."""
    worker = start_worker(
        "--interval", "0.1", "--heartbeat-file", str(tmp_path / "hb"), smtp_port=9
    )
    lane = _the_long_lane(worker.process.pid)
    worker.kill()
    wait_for(lambda: not _alive(lane), timeout=30, what="the orphaned long lane to end")
