"""The demo as a user starts it, in a folder of its own, for tools and browser tests to drive.

``DemoSite`` runs ``sightline demo`` (migrate, load the synthetic week, build the evidence
extract, then serve the web app and run the worker) on an embedded SQLite database in a
temporary folder and a free port, waits until it answers, and stops it afterwards. Nothing of
the caller's environment reaches it but the path and the Python path: no DATABASE_URL (a
PostgreSQL test run must not load the demo into its test database), no e-mail settings, no
reference folder (a user's machine has none).

``sign_in`` goes through the real sign-in pages as a person would: the password the demo
printed, then the authenticator app, set up at the first sign-in from the secret key shown
on the page and remembered for the next.

Used by ``tools/screenshots.py`` and ``tests/browser/test_shift.py``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from base64 import b32decode
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The first start migrates a new database and loads two years of history: on a busy machine
# that takes minutes, not seconds.
START_TIMEOUT_SECONDS = 600
PASSWORD_LINE = re.compile(r"^Password for every account: (\S+)\s*$", re.MULTILINE)
# What the demo may take from the caller's environment; everything else is set here.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SIGHTLINE_CHROMIUM")


class DemoDidNotStart(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _python_path() -> str:
    """The checkout this file belongs to first, so the demo runs this code (not another
    installed copy), then whatever the caller had."""
    import sightline

    parts = [str(Path(sightline.__file__).resolve().parents[1]), str(ROOT)]
    if os.environ.get("PYTHONPATH"):
        parts.append(os.environ["PYTHONPATH"])
    return os.pathsep.join(parts)


class DemoSite:
    """``with DemoSite(folder) as site:`` the demo is up at ``site.url`` until the block ends."""

    def __init__(self, folder: Path, *, seed: int | None = None, workers: int = 2) -> None:
        self.folder = Path(folder)
        self.seed = seed
        self.workers = workers
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.password = ""
        self.log = self.folder / "demo-output.txt"
        self._process: subprocess.Popen[bytes] | None = None
        self._secrets: dict[str, str] = {}
        self._last_step: dict[str, int] = {}

    # --- Starting and stopping ---------------------------------------------------------

    def start(self) -> DemoSite:
        """Start the demo and wait for it. The free port is chosen before the demo binds it,
        so another process may take it in between: then the demo is started again on
        another port."""
        for attempt in range(3):
            try:
                return self._start()
            except DemoDidNotStart as exc:
                if attempt == 2 or "Address already in use" not in str(exc):
                    raise
                self.port = free_port()
                self.url = f"http://127.0.0.1:{self.port}"
        raise AssertionError("unreachable")

    def _start(self) -> DemoSite:
        self.folder.mkdir(parents=True, exist_ok=True)
        env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
        env.update(
            SIGHTLINE_MODE="demo",
            SIGHTLINE_VAR_DIR=str(self.folder),
            DATABASE_URL=f"sqlite:///{self.folder / 'sightline.sqlite3'}",
            WEB_CONCURRENCY=str(self.workers),
            PYTHONPATH=_python_path(),
            PYTHONUNBUFFERED="1",
        )
        command = [sys.executable, "-m", "sightline.cli", "demo", "--port", str(self.port)]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(  # noqa: S603 - our own command, no shell
                command,
                cwd=self.folder,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self._wait_until_up()
        return self

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise DemoDidNotStart(f"The demo stopped at start:\n{self.output()[-3000:]}")
            password = PASSWORD_LINE.search(self.output())
            if password and self._answers():
                self.password = password.group(1)
                return
            time.sleep(0.5)
        self.stop()
        raise DemoDidNotStart(
            f"The demo did not answer within {START_TIMEOUT_SECONDS} seconds:\n"
            + self.output()[-3000:]
        )

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def log_text(self) -> str:
        """The demo's log file: the load's summary, the web app's and the worker's lines."""
        path = self.folder / "demo.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""

    def output(self) -> str:
        """What the demo printed (its sign-in table and password)."""
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Stop the demo as Ctrl+C would: it stops its web app and worker, then exits."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # its own group: the demo and its children
            process.wait()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- Signing in --------------------------------------------------------------------

    def sign_in(
        self, page: Any, username: str, *, check: Callable[[Any], None] | None = None
    ) -> None:
        """Sign in through the real pages, ending on the home page. ``check`` (an
        accessibility check, say) runs on each page of the second factor."""
        page.goto(f"{self.url}/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(self.password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r"/sign-in/(set-up-authenticator|code)/"))
        if check:
            check(page)
        if "/set-up-authenticator/" in page.url:
            secret = page.locator("#secret-key").inner_text()
            self._secrets[username] = secret
            page.get_by_label("Enter the 6-digit code from your authenticator app").fill(
                authenticator_code(secret)
            )
            page.get_by_role("button", name="Confirm").click()
            page.wait_for_url(re.compile(r"/sign-in/recovery-codes/"))
            if check:
                check(page)
            page.get_by_role("button", name="Continue").click()
        else:
            if username not in self._secrets:
                raise DemoDidNotStart(f"{username} set up an authenticator app elsewhere.")
            # A code is accepted once: a second sign-in in the same 30 seconds waits for the
            # app's next code, as a person would.
            while int(time.time()) // 30 <= self._last_step.get(username, -1):
                time.sleep(1)
            page.get_by_label("Code from your authenticator app").fill(
                authenticator_code(self._secrets[username])
            )
            page.get_by_role("button", name="Continue").click()
        self._last_step[username] = int(time.time()) // 30
        page.wait_for_url(f"{self.url}/")


def authenticator_code(secret: str) -> str:
    """What an authenticator app shows now for a secret key typed from the set-up page."""
    from django_otp.oath import TOTP

    secret = secret.replace(" ", "").strip()
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    totp.time = time.time()
    return f"{totp.token():06d}"
