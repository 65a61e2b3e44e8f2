"""Time helpers: timezone-aware datetimes only."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

# A stand-in clock while a read's SQL is prepared (``core.prepared``): reads built under it
# take ``now()`` and ``today()`` from it, so that their values can be told from constants.
_clock: contextvars.ContextVar[tuple[dt.datetime, dt.date] | None] = contextvars.ContextVar(
    "sightline_clock", default=None
)


def now() -> dt.datetime:
    held = _clock.get()
    return held[0] if held is not None else timezone.now()


def today() -> dt.date:
    held = _clock.get()
    return held[1] if held is not None else timezone.localdate()


@contextlib.contextmanager
def clock(*, at: dt.datetime, on: dt.date) -> Iterator[None]:
    """``now()`` is ``at`` and ``today()`` is ``on`` inside (``core.prepared`` only)."""
    token = _clock.set((at, on))
    try:
        yield
    finally:
        _clock.reset(token)
