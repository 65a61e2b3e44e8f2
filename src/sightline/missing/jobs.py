"""The missing domain's periodic job for the worker (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sightline.missing.services import interviews_escalate_overdue

# Seconds between looks for return interviews not held on time (as for late notices).
INTERVIEW_ESCALATION_INTERVAL = 60.0


def interview_escalation_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return interviews_escalate_overdue(now=now)
