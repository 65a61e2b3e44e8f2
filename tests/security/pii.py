"""The personal-data scan of the whole suite: logs and e-mails never carry a child's name or
date of birth.

For every test, everything the ``sightline`` and ``django`` loggers emit, at any level
(DEBUG included, though nothing below the configured level reaches a handler as before), and
every e-mail sent (through any Django backend in this process, and whatever a real SMTP sink
of the tests received, including mail from worker processes) is kept. When the test ends it
fails if any of it holds the full name (first name and surname) or the date of birth, in any
common format, of a child the test created or loaded. Only those children count, so the
check stays targeted: a date in a log matches only when it is the date of birth of a child
in play.

``tests/conftest.py`` imports ``pii_scan`` (autouse). See ``docs/security.md``.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

NAMESPACES = ("sightline", "django")


@dataclass
class Capture:
    children: set[tuple[str, str, dt.date | None]] = field(default_factory=set)
    logs: list[tuple[str, str]] = field(default_factory=list)  # (logger, text)
    mails: list[tuple[str, str]] = field(default_factory=list)  # (where, text)
    sinks: list[Any] = field(default_factory=list)  # SMTP handlers with a ``received`` list
    seen: dict[int, int] = field(default_factory=dict)  # sink -> messages already scanned

    def clear(self) -> None:
        self.children.clear()
        self.logs.clear()
        self.mails.clear()


CAPTURE = Capture()


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in NAMESPACES


def _pinned() -> dict[str, int]:
    """Loggers whose level the settings fix whatever LOG_LEVEL says (``django.db.backends``:
    WARNING, so SQL and its parameters are never written): below that level nothing can ever
    be written, so nothing is kept either."""
    from django.conf import settings

    pinned = {}
    for name, config in (settings.LOGGING.get("loggers") or {}).items():
        level = config.get("level")
        if level is not None:
            pinned[name] = logging.getLevelName(level) if isinstance(level, str) else int(level)
    return pinned


def _kept(name: str, level: int, pinned: dict[str, int]) -> bool:
    if not _ours(name):
        return False
    parts = name.split(".")
    for n in range(len(parts), 0, -1):
        floor = pinned.get(".".join(parts[:n]))
        if floor is not None:
            return level >= floor
    return True


def _log_text(record: logging.LogRecord) -> str:
    """The message and, with an exception, its type and message (a traceback's other lines
    are source code, never data; formatting them for every record would slow the suite, as
    Django's template engine logs a handled exception for each missing variable)."""
    try:
        text = record.getMessage()
    except Exception:  # a malformed call: keep what there is
        text = f"{record.msg} {record.args}"
    if record.exc_info and record.exc_info[1] is not None:
        text += f"\n{type(record.exc_info[1]).__name__}: {record.exc_info[1]}"
    return text


def _mail_text(message: Any) -> str:
    """The readable parts of a Django EmailMessage or a parsed e-mail message."""
    parts: list[str] = []
    if hasattr(message, "subject") and hasattr(message, "body"):
        parts += [str(message.subject), str(message.body)]
        for content, _ in getattr(message, "alternatives", []) or []:
            parts.append(content.decode() if isinstance(content, bytes) else str(content))
        for attachment in getattr(message, "attachments", []) or []:
            content = attachment[1] if isinstance(attachment, tuple) else attachment
            if isinstance(content, bytes | str):
                parts.append(
                    content.decode(errors="replace") if isinstance(content, bytes) else content
                )
        return "\n".join(parts)
    if hasattr(message, "walk"):  # email.message.EmailMessage
        parts.append(str(message.get("Subject", "")))
        for part in message.walk():
            if part.is_multipart():
                continue
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes):
                parts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        return "\n".join(parts)
    return str(message)


# --- What counts as a date of birth or a name -----------------------------------------------


def date_forms(day: dt.date) -> set[str]:
    """17/03/2011, 17-03-2011, 17.03.2011, 2011-03-17, 20110317, 17 March 2011, 17 Mar 2011,
    17th March 2011, March 17, 2011, 03/17/2011: with and without leading zeros."""
    d, m, y = day.day, day.month, day.year
    month, mon = day.strftime("%B"), day.strftime("%b")
    suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    forms = {
        day.isoformat(),
        f"{y}{m:02d}{d:02d}",
        f"{y}/{m:02d}/{d:02d}",
        f"{month} {d}, {y}",
        f"{mon} {d}, {y}",
    }
    for dd in {f"{d:02d}", str(d)}:
        for mm in {f"{m:02d}", str(m)}:
            forms |= {f"{dd}/{mm}/{y}", f"{dd}-{mm}-{y}", f"{dd}.{mm}.{y}", f"{mm}/{dd}/{y}"}
        forms |= {f"{dd} {month} {y}", f"{dd} {mon} {y}", f"{dd}{suffix} {month} {y}"}
    return {f.lower() for f in forms}


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(text)).lower()


def findings(
    texts: Iterable[tuple[str, str]], children: Iterable[tuple[str, str, dt.date | None]]
) -> list[str]:
    """What in ``texts`` (where, text) gives away one of ``children`` (first, last, born)."""
    needles: list[tuple[str, str]] = []
    for first, last, born in children:
        if first.strip() and last.strip():
            needles.append((_normal(f"{first.strip()} {last.strip()}"), "a child's name"))
            needles.append((_normal(f"{last.strip()}, {first.strip()}"), "a child's name"))
        if born is not None:
            needles += [(form, "a child's date of birth") for form in date_forms(born)]
    # In e-mails, not even the first name and surname initial the inbox shows ("Robin Q.").
    short = [
        (_normal(f"{first.strip()} {last.strip()[0]}."), "a child's first name and initial")
        for first, last, _ in children
        if first.strip() and last.strip()
    ]
    # A test that loads the demo has thousands of children (tens of thousands of needles) and
    # thousands of log lines: look for each needle once in all the text joined, and run the
    # whole-word check only on the texts of a needle that is there at all.
    normals = [(where, text, _normal(text)) for where, text in texts]
    mail = [n for n in normals if n[0] == "mail" or n[0].startswith("e-mail")]
    everything = "\x00".join(n[2] for n in normals)
    mail_text = "\x00".join(n[2] for n in mail)
    found = []
    for needle, what, among, haystack in [
        *((needle, what, normals, everything) for needle, what in dict.fromkeys(needles)),
        *((needle, what, mail, mail_text) for needle, what in dict.fromkeys(short)),
    ]:
        if needle not in haystack:
            continue
        # Whole words only: 1/5/2010 must not match inside 11/5/2010 or 1/5/20101.
        pattern = re.compile(rf"(?<![\w/.-]){re.escape(needle)}(?![\w/-])")
        for where, text, normal in among:
            if needle in normal and pattern.search(normal):
                found.append(f"{where}: {what} ({needle!r}) in {text[:200]!r}")
    return found


# --- The hooks ----------------------------------------------------------------------------


def _child_seen(sender: Any, instance: Any, **kwargs: Any) -> None:
    values = instance.__dict__  # never load a deferred field from here
    first, last = values.get("first_name") or "", values.get("last_name") or ""
    born = values.get("date_of_birth")
    if first or last or born:
        CAPTURE.children.add((str(first), str(last), born if isinstance(born, dt.date) else None))


def _install() -> Iterator[None]:
    from django.core.mail.backends import console, filebased, locmem, smtp
    from django.db.models.signals import post_init

    from sightline.children.models import Child

    post_init.connect(_child_seen, sender=Child, weak=False, dispatch_uid="pii-scan")

    enabled, handle = logging.Logger.isEnabledFor, logging.Logger.handle
    pinned = _pinned()

    def is_enabled_for(self: logging.Logger, level: int) -> bool:
        if _kept(self.name, level, pinned) and not self.disabled:
            return True
        return enabled(self, level)

    def handle_record(self: logging.Logger, record: logging.LogRecord) -> None:
        if _kept(self.name, record.levelno, pinned):
            CAPTURE.logs.append((record.name, _log_text(record)))
            if not enabled(self, record.levelno):
                return  # below the configured level: kept here, shown nowhere as before
        handle(self, record)

    logging.Logger.isEnabledFor = is_enabled_for  # type: ignore[method-assign]
    logging.Logger.handle = handle_record  # type: ignore[method-assign]

    backends = [locmem.EmailBackend, smtp.EmailBackend, console.EmailBackend]
    backends.append(filebased.EmailBackend)
    originals = {b: b.send_messages for b in backends}

    def wrap(backend: type) -> Any:
        original = originals[backend]

        def send_messages(self: Any, messages: Any) -> Any:
            for message in messages or []:
                CAPTURE.mails.append((f"e-mail ({backend.__module__})", _mail_text(message)))
            return original(self, messages)

        return send_messages

    for backend in backends:
        backend.send_messages = wrap(backend)  # type: ignore[method-assign]

    controller_init = None
    try:
        from aiosmtpd.controller import Controller

        controller_init = Controller.__init__

        def init(self: Any, handler: Any, *args: Any, **kwargs: Any) -> None:
            CAPTURE.sinks.append(handler)
            controller_init(self, handler, *args, **kwargs)  # type: ignore[misc]

        Controller.__init__ = init  # type: ignore[method-assign]
    except ImportError:  # pragma: no cover - aiosmtpd is a test dependency
        pass
    try:
        yield
    finally:
        post_init.disconnect(sender=Child, dispatch_uid="pii-scan")
        logging.Logger.isEnabledFor = enabled  # type: ignore[method-assign]
        logging.Logger.handle = handle  # type: ignore[method-assign]
        for backend, original in originals.items():
            backend.send_messages = original  # type: ignore[method-assign]
        if controller_init is not None:
            Controller.__init__ = controller_init  # type: ignore[method-assign]


def _sink_mail() -> list[tuple[str, str]]:
    """Messages the tests' SMTP servers received since the last look."""
    found = []
    for sink in CAPTURE.sinks:
        received = list(getattr(sink, "received", []) or [])
        start = CAPTURE.seen.get(id(sink), 0)
        for item in received[start:]:
            message = getattr(item, "message", item)
            found.append(("e-mail received by the SMTP server", _mail_text(message)))
        CAPTURE.seen[id(sink)] = len(received)
    return found


@pytest.fixture(scope="session")
def _pii_hooks() -> Iterator[None]:
    yield from _install()


@pytest.fixture(autouse=True)
def pii_scan(_pii_hooks: None) -> Iterator[Capture]:
    """Fails the test whose logs or e-mails carry a child's name or date of birth."""
    CAPTURE.clear()
    _sink_mail()  # what earlier tests' servers received was scanned with those tests
    yield CAPTURE
    problems = findings([*CAPTURE.logs, *CAPTURE.mails, *_sink_mail()], CAPTURE.children)
    CAPTURE.clear()
    if problems:
        pytest.fail(
            "Personal data in logs or e-mails (never log names or dates of birth):\n"
            + "\n".join(problems[:10]),
            pytrace=False,
        )
