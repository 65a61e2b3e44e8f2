"""The outbox's periodic jobs for the worker (registered in ``apps.py``, ADR 7).

In each cycle the sweeper runs first (so that a dead worker's deliveries are due again),
escalations next (so that their e-mails go out in the same cycle), delivering last.

The delivery job keeps its channels between cycles (its SMTP connection, closed once idle for
``SIGHTLINE_SMTP_KEEP_SECONDS`` and when the worker stops: ``delivery_close``), one set per
thread, as each thread runs a loop of its own.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from sightline.notifications.channels import ChannelSet
from sightline.notifications.delivery import deliver_due, deliveries_sweep
from sightline.notifications.escalation import escalations_run
from sightline.notifications.receipts import receipts_overdue_sweep

# Deliveries per cycle, so that the worker's queued tasks are not starved.
DELIVERIES_PER_CYCLE = 100
# Seconds between looks for late notices to escalate.
ESCALATION_INTERVAL = 60.0
# Seconds between looks for messages GOV.UK Notify accepted and never gave a receipt for.
RECEIPT_SWEEP_INTERVAL = 60.0


def sweep_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return deliveries_sweep()


def receipt_sweep_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return receipts_overdue_sweep(now=now)


def escalation_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return escalations_run(now=now)


class _Kept(threading.local):
    channels: ChannelSet | None = None


_kept = _Kept()


def delivery_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    if _kept.channels is None:
        _kept.channels = ChannelSet()
    try:
        return deliver_due(
            limit=DELIVERIES_PER_CYCLE, should_stop=should_stop, channels=_kept.channels
        )
    finally:
        _kept.channels.close_idle()


def delivery_close() -> None:
    """The worker stops: close the channels the delivery job kept between cycles."""
    channels, _kept.channels = _kept.channels, None
    if channels is not None:
        channels.close()
