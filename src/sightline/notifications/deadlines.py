"""Working days in England and Wales, and the deadlines of notices.

Bank holidays come from the maintained ``holidays`` package (England and Wales share the
same bank holidays), never from a hand-written list. A working day is Monday to Friday and
not a bank holiday.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

from sightline.notifications import conf

LONDON = ZoneInfo("Europe/London")
EMERGENCY_PLACEMENT_WORKING_DAYS = 5  # Care Planning Regulations 2010, reg 13(4)


@functools.lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_bank_holiday(day: dt.date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The n-th working day after ``start`` (``start`` itself when n is 0).

    ``start`` need not be a working day: 1 working day after a Saturday is the Monday (or the
    Tuesday after a bank-holiday Monday).
    """
    if n < 0:
        raise ValueError("n must be zero or more")
    day = start
    while n:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """How many working days fall after ``start`` and on or before ``end``."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def start_of_day(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LONDON)


def end_of_day(day: dt.date) -> dt.datetime:
    """The last second of ``day`` in England: a deadline "by the end of" that day."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=LONDON)


def placement_notice_due(*, start_date: dt.date, is_emergency: bool) -> dt.datetime:
    """Reg 13(4): before the placement starts, or within 5 working days after an emergency one."""
    if is_emergency:
        return end_of_day(add_working_days(start_date, EMERGENCY_PLACEMENT_WORKING_DAYS))
    return start_of_day(start_date)


def without_delay_due(*, event_date: dt.date) -> dt.datetime:
    """Admission and discharge notices (reg 41 "without delay"): by the end of the next working
    day after the event (``SIGHTLINE_WITHOUT_DELAY_WORKING_DAYS``)."""
    return end_of_day(add_working_days(event_date, conf.without_delay_working_days()))


def acknowledgement_due(*, created_at: dt.datetime) -> dt.datetime:
    """By the end of the 2nd working day (``SIGHTLINE_ACK_WORKING_DAYS``) after the notice."""
    created_day = created_at.astimezone(LONDON).date()
    return end_of_day(add_working_days(created_day, conf.ack_working_days()))
