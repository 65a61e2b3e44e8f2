"""The API's periodic job for the worker (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sightline.api.services import idempotency_purge

# Seconds between purges of expired Idempotency-Keys.
IDEMPOTENCY_PURGE_INTERVAL = 60.0


def idempotency_purge_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    idempotency_purge(at=now)
    # Housekeeping, not counted as work done: a --batch worker stops when only this is left.
    return 0
