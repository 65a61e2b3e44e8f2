"""Printing HTML to PDF with headless Chromium, for any part of Sightline that hands out paper.

Chromium's print engine, driven through Playwright (maintained by Microsoft; already used to
test every page in a real browser), lays out the same HTML and CSS a page is read in, print
styles included. No other system libraries are needed (WeasyPrint would need Pango and its
dependencies). The inquiry report (``sightline.evidence.pdf``) and the safety profile handout
(``sightline.missing``) both print through here; it sits in ``core`` so that both layers
can use it.

Chromium itself is not a Python package: Sightline uses the browser the machine has
(``SIGHTLINE_CHROMIUM``, or ``chromium``, ``chromium-browser`` or ``google-chrome`` on the
PATH; Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import shutil
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# Headless printing of a self-contained document: no network, no profile, no first-run work.
# The sandbox needs user namespaces, which containers and root shells often lack.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def print_styles() -> str:
    """GOV.UK Frontend's and Sightline's styles, to inline in a document to print: Chromium
    prints with every request refused (fonts fall back to Arial)."""
    from django.contrib.staticfiles import finders

    css = []
    for name in ("govuk-frontend/dist/govuk/govuk-frontend.min.css", "sightline/sightline.css"):
        found = finders.find(name)
        if isinstance(found, str):
            css.append(Path(found).read_text(encoding="utf-8"))
    # Inside <style>, only "</" could end the element early; stylesheets never need it.
    return "\n".join(css).replace("</", "<\\/")


class PdfUnavailable(Exception):
    """Chromium or Playwright is missing, or Chromium could not print: the message says which,
    without any of the document's content."""


def chromium_path() -> Path | None:
    configured = os.environ.get("SIGHTLINE_CHROMIUM")
    if configured:
        return Path(configured) if Path(configured).exists() else None
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


# How long a request waits for its document: the one printer of the process may be busy with
# others' documents first. Past this, the request is told printing is unavailable for now.
PRINT_WAIT_SECONDS = 60.0
# Documents waiting at once, beyond which a request is refused at once rather than queued
# behind them (each worker process has its own printer and its own queue).
PRINT_QUEUE_LIMIT = 8


class _Printer:
    """One headless Chromium per process, started on first use and kept, printing one document
    at a time: starting Playwright's driver and a browser costs a second or more of CPU, and
    every request starting its own would let a burst of prints start a browser each.

    Playwright's synchronous API belongs to the thread that started it, so one thread owns the
    browser and takes documents from a queue; a request hands its document over and waits for
    the PDF. Each document gets a browser context of its own (no cookies, storage or cache
    shared between documents) with every request refused but ``data:`` URLs. A browser that
    crashes or cannot print is closed and started again for the next document.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[str, Path, Future[bytes]] | None] = queue.Queue(
            maxsize=PRINT_QUEUE_LIMIT
        )
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def print(self, html: str, executable: Path) -> bytes:
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="sightline-pdf", daemon=True)
                self._thread.start()
        done: Future[bytes] = Future()
        try:
            self._jobs.put_nowait((html, executable, done))
        except queue.Full:
            raise PdfUnavailable(
                "Printing to PDF is busy: too many documents are waiting. Try again shortly."
            ) from None
        try:
            return done.result(timeout=PRINT_WAIT_SECONDS)
        except FutureTimeout:
            done.cancel()
            raise PdfUnavailable(
                f"Printing to PDF took longer than {PRINT_WAIT_SECONDS:.0f} seconds."
            ) from None

    def stop(self) -> None:
        thread = self._thread
        if thread is not None and thread.is_alive():
            try:
                self._jobs.put(None, timeout=1)
            except queue.Full:
                return
            thread.join(timeout=5)

    def _run(self) -> None:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright

        playwright = None
        browser = None
        running: Path | None = None
        try:
            while True:
                job = self._jobs.get()
                if job is None:
                    return
                html, executable, done = job
                if not done.set_running_or_notify_cancel():
                    continue  # its request stopped waiting
                try:
                    if playwright is None:
                        playwright = sync_playwright().start()
                    if browser is None or not browser.is_connected() or running != executable:
                        if browser is not None:
                            _close_quietly(browser)
                        browser = playwright.chromium.launch(
                            executable_path=str(executable), args=list(CHROMIUM_ARGS)
                        )
                        running = executable
                    done.set_result(_print_one(browser, html))
                except PlaywrightError as exc:
                    if browser is not None:
                        _close_quietly(browser)
                    browser = None
                    done.set_exception(
                        PdfUnavailable(
                            f"Chromium ({executable}) could not print: {str(exc).splitlines()[0]}"
                        )
                    )
                except BaseException as exc:  # handed to the waiting request, never lost
                    done.set_exception(exc)
        finally:
            if browser is not None:
                _close_quietly(browser)
            if playwright is not None:
                playwright.stop()


def _print_one(browser: Any, html: str) -> bytes:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith("data:") else route.abort()
            ),
        )
        page.set_content(html, wait_until="load")
        pdf: bytes = page.pdf(
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            margin={"top": "12mm", "bottom": "12mm", "left": "12mm", "right": "12mm"},
        )
        return pdf
    finally:
        context.close()


def _close_quietly(browser: Any) -> None:
    # A crashed browser may not close cleanly; it is being replaced either way.
    with contextlib.suppress(Exception):
        browser.close()


_PRINTER = _Printer()
atexit.register(_PRINTER.stop)


def pdf_from_html(html: str) -> bytes:
    """Print a self-contained HTML document (styles inline, images as ``data:`` URLs) on A4,
    through the process's one printer (``_Printer``).

    Nothing but the document may load: every request the page makes is refused, so a page
    holding a child's details never reaches the network. The document's own ``@page`` rules
    win over the margins given here (``prefer_css_page_size``)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:  # pragma: no cover - Playwright is in the locked dependencies
        raise PdfUnavailable("Printing to PDF needs Playwright (pip install playwright).") from exc
    executable = chromium_path()
    if executable is None:
        raise PdfUnavailable(
            "Printing to PDF needs the Chromium browser (Debian: apt-get install chromium), "
            "or SIGHTLINE_CHROMIUM set to its path."
        )
    return _PRINTER.print(html, executable)
