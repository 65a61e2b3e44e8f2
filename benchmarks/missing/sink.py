"""The local SMTP server the worker delivers to: aiosmtpd in a process of its own, accepting
every message and noting when it arrived and which notice it carries
(``X-Sightline-Reference``).

A process of its own so that it never competes for the GIL with the load generator's
threads: a slow sink would look like slow delivery.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import time
from email.parser import BytesHeaderParser
from multiprocessing.connection import Connection
from typing import Any, NamedTuple

from aiosmtpd.controller import Controller

REFERENCE_HEADER = "X-Sightline-Reference"


class Receipt(NamedTuple):
    at: float  # time.time() when the message's DATA was complete, before the 250 reply
    reference: str  # the notice reference, "" if the message had none
    recipients: tuple[str, ...]


class _Handler:
    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self._headers = BytesHeaderParser()
        # SMTP sessions that greeted the server: one per connection the worker opened.
        self.sessions = 0

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server: Any, session: Any, envelope: Any, hostname: str) -> str:
        self.sessions += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        at = time.time()
        headers = self._headers.parsebytes(envelope.original_content)
        self.receipts.append(
            Receipt(at, str(headers.get(REFERENCE_HEADER, "")), tuple(envelope.rcpt_tos))
        )
        return "250 Message accepted for delivery"

    def drain(self) -> list[Receipt]:
        # Swapping one reference: the server thread appends to the new list from now on.
        receipts, self.receipts = self.receipts, []
        return receipts


def _serve(port: int, control: Connection) -> None:
    handler = _Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    try:
        controller.start()
    except Exception as exc:  # reported to the parent, which tries another port
        control.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    control.send(("ready", port))
    try:
        while True:
            command = control.recv()
            if command == "drain":
                control.send(handler.drain())
            elif command == "sessions":
                control.send(handler.sessions)
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
    """The benchmark's handle on the sink process."""

    def __init__(self) -> None:
        self._context = multiprocessing.get_context("spawn")
        self._control, self._child = self._context.Pipe()
        self._process: multiprocessing.process.BaseProcess | None = None
        self.port = 0
        self.receipts: list[Receipt] = []

    def start(self, *, attempts: int = 3) -> None:
        detail = ""
        for _ in range(attempts):
            port = free_port()
            process = self._context.Process(
                target=_serve, args=(port, self._child), name="smtp-sink", daemon=True
            )
            process.start()
            if not self._control.poll(30):
                process.kill()
                raise RuntimeError("The SMTP sink did not start within 30 s")
            status, detail = self._control.recv()
            if status == "ready":
                self.port, self._process = port, process
                return
            process.join(5)  # the port was taken between choosing and binding
        raise RuntimeError(f"The SMTP sink could not start: {detail}")

    @property
    def pid(self) -> int:
        return self._process.pid or 0 if self._process is not None else 0

    def collect(self) -> list[Receipt]:
        """Every message received so far, in order of receipt."""
        self._control.send("drain")
        self.receipts.extend(self._control.recv())
        return self.receipts

    def sessions(self) -> int:
        """The SMTP connections opened to the sink so far (sessions that said EHLO or HELO)."""
        self._control.send("sessions")
        return int(self._control.recv())

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
