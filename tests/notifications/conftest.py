"""Real parts for the notice engine's tests: an SMTP server (aiosmtpd), a GOV.UK Notify stub
behind the real client, a webhook receiver that checks signatures, and worker processes.

Only third parties are faked (Notify's API, a partner's webhook endpoint); Sightline's own
code always runs for real.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connections, transaction
from notifications_python_client.authentication import decode_jwt_token

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.notifications.channels import sign
from sightline.organisations.models import Organisation
from sightline.placements.models import Placement
from sightline.placements.notices import notices_for_placement_recorded
from sightline.placements.services import placement_record
from tests import factories
from tests.conftest import copy_migrated_sqlite

REPO = Path(__file__).resolve().parents[2]

# A child whose surname and date of birth are easy to look for in what is sent.
SURNAME = "Quillfeather"
DATE_OF_BIRTH = dt.date(2011, 3, 17)
DOB_FORMS = ("2011-03-17", "17/03/2011", "17 March 2011", "17 Mar 2011", "2011")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP ---------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def raw(self) -> str:
        return self.message.as_string()


class SmtpRecorder:
    """An aiosmtpd handler that keeps what it receives and can refuse or hold messages."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.hold_next = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.delay = 0.0
        # One entry per SMTP session (connection) that said EHLO or HELO.
        self.connections: list[tuple[str, int]] = []
        # Sessions the client ended with QUIT.
        self.quits = 0
        # Take the next message, then drop the connection without answering its DATA.
        self.drop_after_data = False
        self._sessions: list[Any] = []  # the aiosmtpd protocol of each session still open

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections.append(session.peer)
        self._sessions.append(server)
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self.connections.append(session.peer)
        self._sessions.append(server)
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"

    def drop_connections(self, *, reply: str = "") -> None:
        """Close every open session from the server's side, as a relay does when it drops an
        idle connection (its time-out, a restart), first saying ``reply`` (``421 ...``) if
        given."""
        sessions, self._sessions = self._sessions, []
        done = []
        for server in sessions:
            transport = server.transport
            if transport is None or transport.is_closing():
                continue
            finished = threading.Event()

            def close(transport: Any = transport, finished: threading.Event = finished) -> None:
                if reply:
                    transport.write(f"{reply}\r\n".encode())
                transport.close()
                finished.set()

            server.loop.call_soon_threadsafe(close)
            done.append(finished)
        for finished in done:
            assert finished.wait(5)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        if self.drop_after_data:
            self.drop_after_data = False
            server.transport.close()  # the message is here; its answer never leaves
            return "250 never sent"
        if self.hold_next:
            self.hold_next = False
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_reply:
            return self.data_reply
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.handler = SmtpRecorder()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self.handler.release.set()
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """A real SMTP server on a free port, with Django's SMTP backend pointed at it."""
    server = SmtpServer(free_port())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


# --- Data ---------------------------------------------------------------------------------


@dataclass
class World:
    """Southwark places a child in a Stockport home (host force: Greater Manchester)."""

    placing: Organisation
    host: Organisation
    police: Organisation
    provider: Organisation
    child: Child
    placement: Placement | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_child_seq = iter(range(10_000, 99_999))


def make_child(placing_code: str = "210") -> Child:
    return child_create(
        placing_council=factories.council(placing_code),
        child_ref=f"Q{next(_child_seq)}",
        first_name="Robin",
        last_name=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        sex="F",
    )


def make_world(*, host_email: str = "", police_email: str = "") -> World:
    placing = factories.council_org("210")
    placing.email = "placements@southwark.example"
    placing.save()
    host = factories.council_org("356")
    host.email = host_email
    host.save()
    police = factories.police_org("E23000005")
    police.email = police_email
    police.save()
    provider = factories.provider_org()
    return World(placing, host, police, provider, make_child())


def record_out_of_area(world: World, *, start: dt.date = dt.date(2026, 1, 5), **kw: Any) -> World:
    """Record the placement and its notices in one transaction, as placement_record will."""
    setting = factories.setting(world.provider, postcode="SK4 2AB")
    with transaction.atomic():
        placement = placement_record(
            actor=None,
            child=world.child,
            setting=setting,
            start_date=start,
            place_type="K2",
            place_provider="PR4",
            home_postcode="SE1 0AA",
            **kw,
        )
        notices_for_placement_recorded(placement=placement, actor=None)
    world.placement = placement
    return world


@pytest.fixture
def world() -> World:
    return make_world(host_email="notices@stockport.example")


def run_worker() -> None:
    """`sightline worker --batch`, in this process."""
    call_command("worker", batch=True, verbosity=0)


# --- GOV.UK Notify stub -------------------------------------------------------------------


class NotifyStub:
    """Enough of the GOV.UK Notify API v2 for the client: send an e-mail or a text message,
    list by reference.

    Checks the client's JWT with the service's secret, as Notify does.
    """

    def __init__(self) -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"sightline_test-{self.service_id}-{self.secret}"
        self.notifications: list[dict[str, Any]] = []
        self.posts = 0
        self.lookups: list[str] = []
        self.script: list[int] = []  # statuses to answer the next POSTs with
        self.accept_then_stall = 0.0  # save the notification, then answer this late
        self.bad_tokens = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _authorised(self) -> bool:
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                try:
                    decode_jwt_token(token, stub.secret)
                except Exception:
                    stub.bad_tokens += 1
                    self._answer(403, {"errors": [{"error": "AuthError"}], "status_code": 403})
                    return False
                return True

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_POST(self) -> None:
                if not self._authorised():
                    return
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                stub.posts += 1
                status = stub.script.pop(0) if stub.script else 201
                if status != 201:
                    name = "RateLimitError" if status == 429 else "BadRequestError"
                    if status >= 500:
                        name = "Exception"
                    self._answer(status, {"errors": [{"error": name}], "status_code": status})
                    return
                sms = urlparse(self.path).path == "/v2/notifications/sms"
                notification = {
                    "id": str(uuid.uuid4()),
                    "reference": body.get("reference"),
                    "template_id": body["template_id"],
                    "personalisation": body.get("personalisation", {}),
                    "type": "sms" if sms else "email",
                    "status": "created",
                }
                if sms:
                    notification["phone_number"] = body["phone_number"]
                else:
                    notification["email_address"] = body["email_address"]
                stub.notifications.append(notification)
                if stub.accept_then_stall:
                    time.sleep(stub.accept_then_stall)
                self._answer(
                    201,
                    {
                        "id": notification["id"],
                        "reference": notification["reference"],
                        "content": {"subject": "", "body": "", "from_email": ""},
                        "uri": f"/v2/notifications/{notification['id']}",
                        "template": {"id": body["template_id"], "version": 1, "uri": ""},
                    },
                )

            def do_GET(self) -> None:
                if not self._authorised():
                    return
                url = urlparse(self.path)
                reference = parse_qs(url.query).get("reference", [""])[0]
                stub.lookups.append(reference)
                found = [n for n in stub.notifications if n["reference"] == reference]
                self._answer(200, {"notifications": found, "links": {"current": self.path}})

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def notify_stub(settings: Any) -> Iterator[NotifyStub]:
    stub = NotifyStub()
    stub.start()
    settings.NOTIFY_API_KEY = stub.api_key
    settings.NOTIFY_BASE_URL = stub.url
    settings.NOTIFY_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_SMS_TEMPLATE_ID = str(uuid.uuid4())
    settings.NOTIFY_TIMEOUT = 1
    yield stub
    stub.stop()


# --- Webhook receiver ---------------------------------------------------------------------


class WebhookReceiver:
    """A partner system's endpoint: checks the signature and answers as scripted."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.requests: list[dict[str, Any]] = []
        self.script: list[int] = []
        self.stall = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                timestamp = self.headers.get("X-Sightline-Timestamp", "")
                expected = sign(secret=receiver.secret, timestamp=timestamp, body=body)
                given = self.headers.get("X-Sightline-Signature", "")
                valid = given == expected and abs(time.time() - int(timestamp or 0)) < 300
                receiver.requests.append(
                    {
                        "valid": valid,
                        "body": json.loads(body),
                        "raw": body,
                        "headers": dict(self.headers),
                    }
                )
                if receiver.stall:
                    time.sleep(receiver.stall)
                status = 401 if not valid else (receiver.script.pop(0) if receiver.script else 204)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/sightline/notices"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def webhook_receiver() -> Iterator[Callable[[str], WebhookReceiver]]:
    started: list[WebhookReceiver] = []

    def start(secret: str) -> WebhookReceiver:
        receiver = WebhookReceiver(secret)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


# --- Worker processes ---------------------------------------------------------------------


@pytest.fixture
def live_database_url(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A DATABASE_URL that a worker process can open, holding this test's committed rows.

    PostgreSQL: the test database itself. SQLite: the suite's test database lives in memory,
    which no other process can see, so for this test the connection is moved to a migrated
    database file, and moved back afterwards.
    """
    conn = connections["default"]
    settings_dict = conn.settings_dict
    if conn.vendor == "postgresql":
        user = quote(settings_dict.get("USER") or "")
        password = quote(settings_dict.get("PASSWORD") or "")
        auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = settings_dict.get("PORT") or 5432
        yield f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"
        return
    name = settings_dict["NAME"]
    if not conn.creation.is_in_memory_db(name):
        yield f"sqlite:///{name}"
        return
    # A copy of the run's migrated database, not a migration of its own (20-40 s a test).
    template = request.getfixturevalue("migrated_sqlite")
    path = copy_migrated_sqlite(template, tmp_path / "worker.sqlite3")
    in_memory = conn.connection
    conn.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        conn.close()
        settings_dict["NAME"] = name
        conn.connection = in_memory


class WorkerProcess:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sightline.cli", "worker", *args],
            cwd=REPO,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def wait(self, timeout: float = 120) -> int:
        return self.process.wait(timeout=timeout)

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._out.close()


@pytest.fixture
def start_worker(live_database_url: str, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    """Start `python -m sightline.cli worker` processes against the live test database."""
    started: list[WorkerProcess] = []

    def start(*args: str, smtp_port: int, **env_extra: str) -> WorkerProcess:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATABASE_", "EMAIL_", "NOTIFY_", "SIGHTLINE_"))
        }
        env.update(
            DATABASE_URL=live_database_url,
            SIGHTLINE_MODE="test",
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            EMAIL_TIMEOUT="10",
            PYTHONUNBUFFERED="1",
            **env_extra,
        )
        worker = WorkerProcess(list(args), env, tmp_path / f"worker-{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.close()


def wait_for(condition: Callable[[], bool], *, timeout: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what or condition}")
