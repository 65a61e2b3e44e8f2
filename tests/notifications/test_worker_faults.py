"""Workers that survive (issue 13): a PostgreSQL restart under load, and a worker killed while
it holds a missing alert.

Real processes throughout: ``sightline worker`` subprocesses, a real SMTP server (aiosmtpd)
and, for the restart, a private PostgreSQL cluster started in a temporary folder on a free
port, restarted with ``pg_ctl`` and removed at the end. The shared PostgreSQL server the suite
runs on is never restarted.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import InterfaceError, OperationalError, connection, connections

from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from tests.missing import conftest as missing
from tests.notifications.conftest import (
    REPO,
    SmtpServer,
    WorkerProcess,
    free_port,
    make_child,
    make_world,
    record_out_of_area,
    wait_for,
)

pytestmark = pytest.mark.django_db(transaction=True)

StartWorker = Callable[..., WorkerProcess]


def message_id(delivery: Delivery) -> str:
    return f"<{delivery.reference.lower()}@sightline.invalid>"


def received_ids(smtp: SmtpServer) -> Counter[str]:
    return Counter(r.message_id for r in smtp.received)


def assert_duplicates_only_with_the_same_reference(smtp: SmtpServer) -> None:
    """A message may reach the relay twice (a worker died or lost the database after sending
    it), but only ever with the Message-ID and notice reference of the one delivery."""
    references: dict[str, set[str]] = {}
    for r in smtp.received:
        references.setdefault(r.message_id, set()).add(str(r.message["X-Sightline-Reference"]))
    assert all(len(refs) == 1 for refs in references.values()), references


# --- A worker killed holding a missing alert --------------------------------------------------


def test_a_missing_alert_held_by_a_killed_worker_is_delivered_within_60_seconds(
    smtp_server: SmtpServer, start_worker: StartWorker
):
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    world = missing.make_world()
    missing.report(world)
    alerts = Delivery.objects.filter(channel=Channel.EMAIL, notice__kind="missing")
    assert alerts.count() == 3  # placing council, host council, police
    smtp_server.handler.hold_next = True  # the first alert hangs until its worker is dead

    # No lease or back-off settings: the urgent schedule as deployed.
    first = start_worker("--interval", "0.2", "--worker-id", "first", smtp_port=smtp_server.port)
    assert smtp_server.handler.holding.wait(60), first.output()
    # The worker claims a batch (issue 13): every alert it claimed is held when it dies, the
    # one hanging in SMTP and those waiting their turn.
    held = list(alerts.filter(status=DeliveryStatus.SENDING))
    assert 1 <= len(held) <= 3
    # Killed at once, before the SMTP time-out (10 s) can end the send on a loaded machine;
    # the second worker starts after the kill, as a service manager would restart one, so
    # its start-up counts in the 60 seconds.
    first.kill()  # SIGKILL, holding the alert
    killed_at = time.monotonic()
    smtp_server.handler.release.set()
    second = start_worker("--interval", "0.2", "--worker-id", "second", smtp_port=smtp_server.port)

    def delivered() -> bool:
        return all(alerts.get(pk=d.pk).status == DeliveryStatus.DELIVERED for d in held)

    wait_for(delivered, timeout=60, what="the held alerts, by the second worker")
    assert time.monotonic() - killed_at < 60
    wait_for(
        lambda: alerts.filter(status=DeliveryStatus.DELIVERED).count() == 3,
        timeout=60,
        what="every alert",
    )
    assert second.terminate() == 0, second.output()

    for delivery in held:
        assert list(delivery.events.values_list("event", flat=True)) == [
            "lease-expired",
            "delivered",
        ]
    ids = received_ids(smtp_server)
    emails = Delivery.objects.filter(channel=Channel.EMAIL).select_related("notice")
    assert all(d.status == DeliveryStatus.DELIVERED for d in emails)
    assert set(ids) == {message_id(d) for d in emails}  # nothing lost
    # The alert that hung arrived twice (the killed attempt's, then the second worker's),
    # with the same Message-ID; every other e-mail once.
    assert sorted(ids.values()) == [1] * (len(ids) - 1) + [2]
    assert_duplicates_only_with_the_same_reference(smtp_server)


# --- A PostgreSQL restart under load ----------------------------------------------------------


def _postgres_bin() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    return None


@dataclass
class PrivateCluster:
    """A throw-away PostgreSQL cluster: only this test's workers ever connect to it."""

    bin: Path
    base: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/sightline"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.base / "data"), *args)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self.pg_ctl("-o", options, "-l", str(self.base / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop")


@pytest.fixture
def private_cluster() -> Iterator[PrivateCluster]:
    if connection.vendor != "postgresql":
        pytest.skip(
            "The database-restart test drives PostgreSQL: it runs in the PostgreSQL suite "
            "(DATABASE_URL=postgres://...), once."
        )
    bindir = _postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("initdb refuses root and runuser is missing")
    base = Path(tempfile.mkdtemp(prefix="sightline-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, user="postgres")
    cluster = PrivateCluster(bin=bindir, base=base, port=free_port())
    try:
        cluster._run(
            str(bindir / "initdb"),
            "-D",
            str(base / "data"),
            "--auth=trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        cluster.start()
        cluster._run(
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(cluster.port),
            "-U",
            "postgres",
            "sightline",
        )
        yield cluster
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def default_database(cluster: PrivateCluster) -> Iterator[None]:
    """Point this process's Django connection at the private cluster for a while."""
    conn = connections["default"]
    saved = dict(conn.settings_dict)
    conn.close()
    conn.settings_dict.update(
        NAME="sightline", HOST="127.0.0.1", PORT=cluster.port, USER="postgres", PASSWORD=""
    )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            conn.close()
        conn.settings_dict.clear()
        conn.settings_dict.update(saved)


def _sightline(url: str, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SIGHTLINE_"))}
    env.update(DATABASE_URL=url, SIGHTLINE_MODE="test")
    subprocess.run(
        [sys.executable, "-m", "sightline.cli", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def _with_retries(action: Callable[[], None], *, deadline: float) -> None:
    """The load's own writes, as a web request would be retried by its client."""
    while True:
        try:
            action()
            return
        except (OperationalError, InterfaceError):
            if time.monotonic() > deadline:
                raise
            with contextlib.suppress(Exception):
                connection.close()
            time.sleep(0.2)


def test_every_worker_keeps_delivering_through_a_database_restart(
    private_cluster: PrivateCluster, tmp_path: Path
):
    _sightline(private_cluster.url, "migrate", "--no-input")
    smtp = SmtpServer(free_port())
    smtp.start()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "EMAIL_", "NOTIFY_", "SIGHTLINE_"))
    }
    env.update(
        DATABASE_URL=private_cluster.url,
        SIGHTLINE_MODE="test",
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
        PYTHONUNBUFFERED="1",
    )
    workers = [
        WorkerProcess(
            [
                "--interval",
                "0.1",
                "--worker-id",
                f"w{n}",
                "--heartbeat-file",
                str(tmp_path / f"w{n}"),
            ],
            env,
            tmp_path / f"worker-{n}.log",
        )
        for n in range(3)
    ]
    smtp.handler.delay = 0.02  # so that the workers share the load
    deadline = time.monotonic() + 150
    try:
        with default_database(private_cluster):
            world = make_world(
                host_email="notices@stockport.example", police_email="mfh@gmp.example"
            )

            def place() -> None:
                def one() -> None:
                    world.child = make_child()
                    record_out_of_area(world)

                _with_retries(one, deadline=deadline)

            for _ in range(5):
                place()
            emails = Delivery.objects.filter(channel=Channel.EMAIL)
            wait_for(
                lambda: emails.exclude(status=DeliveryStatus.DELIVERED).count() == 0,
                timeout=60,
                what="the first deliveries",
            )

            # Restart the database while notices keep coming.
            restarted = threading.Event()

            def restart() -> None:
                time.sleep(0.5)
                private_cluster.stop("fast")
                time.sleep(3)  # down long enough for every worker to notice
                private_cluster.start()
                restarted.set()

            restarter = threading.Thread(target=restart)
            restarter.start()
            while not restarted.is_set():
                place()
                time.sleep(0.05)
            restarter.join()
            marks = [len(w.output()) for w in workers]

            # Every worker delivers again: keep notices coming until each has sent one.
            def each_worker_delivered() -> bool:
                return all(
                    "status=delivered" in w.output()[mark:]
                    for w, mark in zip(workers, marks, strict=True)
                )

            while not each_worker_delivered():
                assert time.monotonic() < deadline, [w.output()[-2000:] for w in workers]
                place()
                time.sleep(0.2)

            def settled() -> bool:
                return _with_retries_value(
                    lambda: emails.exclude(status=DeliveryStatus.DELIVERED).count() == 0
                )

            wait_for(settled, timeout=60, what="every delivery")
            sent = {message_id(d) for d in emails.select_related("notice")}
            total = len(sent)
        for worker in workers:
            assert worker.process.poll() is None, worker.output()  # still running
            log = worker.output()
            assert "database unavailable" in log, log[-3000:]
            assert "Traceback" not in log, log[-3000:]
        ids = received_ids(smtp)
        assert set(ids) == sent, "a notice was lost"  # 0 lost...
        assert_duplicates_only_with_the_same_reference(smtp)  # ...duplicates only as the same
        assert total >= 20
        for worker in workers:
            assert worker.terminate() == 0, worker.output()
    finally:
        for worker in workers:
            worker.close()
        smtp.stop()


def _with_retries_value(read: Callable[[], bool]) -> bool:
    try:
        return read()
    except (OperationalError, InterfaceError):
        with contextlib.suppress(Exception):
            connection.close()
        return False
