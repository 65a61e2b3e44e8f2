"""Casework's periodic job for the worker (registered in ``apps.py``, ADR 7)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sightline.casework.services import case_tasks_escalate_overdue

# Seconds between looks for overdue tasks (as for late notices and interviews).
CASE_TASK_ESCALATION_INTERVAL = 60.0


def case_task_escalation_job(*, now: dt.datetime, should_stop: Callable[[], bool]) -> int:
    return case_tasks_escalate_overdue(now=now)
