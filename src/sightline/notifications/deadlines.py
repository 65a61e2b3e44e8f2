"""The outbox's own deadline: when a recipient should have acknowledged a notice.

The working-day calendar is ``sightline.core.calendar``; the deadlines a domain's notices
carry by law (reg 13(4), reg 41) are the domain's (``sightline.placements.notices``).
"""

from __future__ import annotations

import datetime as dt

from sightline.core.calendar import LONDON, add_working_days, end_of_day
from sightline.notifications import conf


def acknowledgement_due(*, created_at: dt.datetime) -> dt.datetime:
    """By the end of the 2nd working day (``SIGHTLINE_ACK_WORKING_DAYS``) after the notice."""
    created_day = created_at.astimezone(LONDON).date()
    return end_of_day(add_working_days(created_day, conf.ack_working_days()))
