"""A local SMTP sink in a process of its own: it accepts every message, stamps it on receipt
and keeps it, and does nothing else.

It runs in its own process so that it never competes for the GIL with whoever is sending
(``smtplib`` in the benchmark process, or the worker processes): both sides of the
comparison then send to exactly the same server under the same conditions.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import time
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from typing import Any, NamedTuple

from aiosmtpd.controller import Controller


class Receipt(NamedTuple):
    at: float  # wall clock (time.time()) when the DATA was complete, before the 250 reply
    connection: int  # which SMTP connection carried it, numbered from 1 by the sink
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Handler:
    def __init__(self, counter: Synchronized[int]) -> None:
        self.counter = counter
        self.receipts: list[Receipt] = []
        self.connections = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.time()
        number = getattr(session, "bench_connection", None)
        if number is None:
            self.connections += 1
            number = session.bench_connection = self.connections
        self.receipts.append(
            Receipt(
                at, number, envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content
            )
        )
        with self.counter.get_lock():
            self.counter.value += 1
        return "250 Message accepted for delivery"

    def drain(self) -> list[Receipt]:
        # A swap of one reference: the server thread appends to the new list from now on.
        receipts, self.receipts = self.receipts, []
        return receipts


def _serve(port: int, control: Connection, counter: Synchronized[int]) -> None:
    handler = _Handler(counter)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        controller.start()
    except Exception as exc:  # reported to the parent, which gives up
        control.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    control.send(("ready", port))
    try:
        while True:
            command = control.recv()
            if command == "drain":
                control.send(handler.drain())
            elif command == "stop":
                break
    except EOFError:
        pass  # the parent went away
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """The parent's handle on the sink process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._context = context
        self._counter: Synchronized[int] = context.Value("q", 0)  # type: ignore[assignment]
        self._control, self._child = context.Pipe()
        self.port = 0
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self, *, attempts: int = 3) -> None:
        for _ in range(attempts):
            port = free_port()
            process = self._context.Process(
                target=_serve,
                args=(port, self._child, self._counter),
                name="smtp-sink",
                daemon=True,
            )
            process.start()
            if not self._control.poll(30):
                process.kill()
                raise RuntimeError("The SMTP sink did not start within 30 s")
            status, detail = self._control.recv()
            if status == "ready":
                self.port = port
                self._process = process
                return
            process.join(5)  # the port was taken between choosing and binding: try another
        raise RuntimeError(f"The SMTP sink could not start: {detail}")

    @property
    def pid(self) -> int:
        if self._process is None or self._process.pid is None:
            return 0
        return self._process.pid

    def count(self) -> int:
        """Messages received since the sink started (drains do not reset it)."""
        return int(self._counter.value)

    def drain(self) -> list[Receipt]:
        """The messages received since the last drain, in order of receipt."""
        self._control.send("drain")
        return list(self._control.recv())

    def stop(self) -> None:
        if self._process is None:
            return
        with contextlib.suppress(BrokenPipeError, OSError):
            self._control.send("stop")
        self._process.join(10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._process = None
