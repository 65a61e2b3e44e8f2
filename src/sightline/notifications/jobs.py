"""The outbox's periodic jobs for the worker (registered in ``apps.py``, ADR 7).

In each cycle the sweeper runs first (so that a dead worker's deliveries are due again),
escalations next (so that their e-mails go out in the same cycle), delivering last.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

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


def delivery_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return deliver_due(limit=DELIVERIES_PER_CYCLE, should_stop=should_stop)
