"""The outbox's own deadline: when a recipient should have acknowledged a notice.

The working-day calendar is ``sightline.core.calendar``; the deadlines a domain's notices
carry by law (reg 13(4), reg 41) are the domain's (``sightline.placements.notices``). The
calendar names are re-exported here only so that modules outside the outbox that still
import them from this place keep working until they are moved (ADR 0009).
"""

from __future__ import annotations

import datetime as dt

from sightline.core.calendar import (
    LONDON,
    add_working_days,
    end_of_day,
    is_bank_holiday,
    is_working_day,
    start_of_day,
    working_days_between,
)
from sightline.notifications import conf

__all__ = [
    "LONDON",
    "acknowledgement_due",
    "add_working_days",
    "end_of_day",
    "is_bank_holiday",
    "is_working_day",
    "start_of_day",
    "working_days_between",
]


def acknowledgement_due(*, created_at: dt.datetime) -> dt.datetime:
    """By the end of the 2nd working day (``SIGHTLINE_ACK_WORKING_DAYS``) after the notice."""
    created_day = created_at.astimezone(LONDON).date()
    return end_of_day(add_working_days(created_day, conf.ack_working_days()))
