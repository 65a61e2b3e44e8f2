"""Working days in England and Wales, and the London clock that deadlines are read on.

Bank holidays come from the maintained ``holidays`` package (England and Wales share the
same bank holidays), never from a hand-written list. A working day is Monday to Friday and
not a bank holiday. Every domain's deadlines (reg 13(4), reg 41, return interviews, the
outbox's acknowledgement) count on this one calendar, so it sits at the bottom of the plan.
"""

from __future__ import annotations

import datetime as dt
import functools
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


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
