"""Working days in England and Wales (``core.calendar``), checked against known dates and by
property, and the deadlines counted on them: the outbox's acknowledgement and the placement's
reg 13(4) and reg 41 notices (``placements.notices``)."""

from __future__ import annotations

import datetime as dt

import holidays
from hypothesis import given
from hypothesis import strategies as st

from sightline.core.calendar import (
    add_working_days,
    end_of_day,
    is_working_day,
    start_of_day,
    working_days_between,
)
from sightline.notifications.deadlines import acknowledgement_due
from sightline.placements.notices import placement_notice_due, without_delay_due

# The published bank holidays, as an independent check of the calendar the code uses.
ENGLAND_AND_WALES_2026 = {
    dt.date(2026, 1, 1),
    dt.date(2026, 4, 3),
    dt.date(2026, 4, 6),
    dt.date(2026, 5, 4),
    dt.date(2026, 5, 25),
    dt.date(2026, 8, 31),
    dt.date(2026, 12, 25),
    dt.date(2026, 12, 28),  # Boxing Day falls on a Saturday: substitute day
}


def test_the_calendar_holds_the_published_bank_holidays():
    days = [dt.date(2026, 1, 1) + dt.timedelta(days=i) for i in range(365)]
    off = {d for d in days if d.weekday() < 5 and not is_working_day(d)}
    assert off == ENGLAND_AND_WALES_2026


def test_known_deadlines():
    # Christmas 2025: Thursday 25 and Friday 26 December.
    assert add_working_days(dt.date(2025, 12, 24), 1) == dt.date(2025, 12, 29)
    # Easter 2026: Good Friday 3 April and Easter Monday 6 April.
    assert add_working_days(dt.date(2026, 4, 2), 1) == dt.date(2026, 4, 7)
    # From a Saturday, the first working day is the Monday.
    assert add_working_days(dt.date(2026, 3, 7), 1) == dt.date(2026, 3, 9)
    # Early May bank holiday 2026 is Monday 4 May.
    assert add_working_days(dt.date(2026, 4, 30), 5) == dt.date(2026, 5, 8)
    assert add_working_days(dt.date(2026, 3, 9), 0) == dt.date(2026, 3, 9)


def test_notice_deadlines():
    start = dt.date(2026, 4, 1)
    assert placement_notice_due(start_date=start, is_emergency=False) == start_of_day(start)
    # 2, 7, 8, 9, 10 April (3 and 6 April are bank holidays).
    assert placement_notice_due(start_date=start, is_emergency=True) == end_of_day(
        dt.date(2026, 4, 10)
    )
    assert without_delay_due(event_date=dt.date(2026, 4, 2)) == end_of_day(dt.date(2026, 4, 7))


def test_acknowledgement_is_due_in_2_working_days_by_default(settings):
    # Created on Christmas Eve 2025 at 16:00 London time.
    created = dt.datetime(2025, 12, 24, 16, 0, tzinfo=dt.UTC)
    assert acknowledgement_due(created_at=created) == end_of_day(dt.date(2025, 12, 30))
    settings.SIGHTLINE_ACK_WORKING_DAYS = 3
    assert acknowledgement_due(created_at=created) == end_of_day(dt.date(2025, 12, 31))


def test_a_notice_made_late_in_the_evening_counts_from_the_london_date(settings):
    # 23:30 UTC on 30 June is already 1 July in London (summer time).
    created = dt.datetime(2026, 6, 30, 23, 30, tzinfo=dt.UTC)
    assert acknowledgement_due(created_at=created) == end_of_day(dt.date(2026, 7, 3))


def _brute_force_working_days(start: dt.date, end: dt.date) -> int:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=range(start.year, end.year + 1))
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in calendar:
            count += 1
    return count


dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2045, 12, 31))


@given(start=dates, n=st.integers(min_value=1, max_value=60))
def test_adding_working_days(start: dt.date, n: int):
    result = add_working_days(start, n)
    assert result > start
    assert is_working_day(result)
    assert result.weekday() < 5
    assert working_days_between(start, result) == n
    assert _brute_force_working_days(start, result) == n
    # The day before the result is fewer than n working days away: it is the first such day.
    assert _brute_force_working_days(start, result - dt.timedelta(days=1)) == n - 1


@given(start=dates, n=st.integers(min_value=0, max_value=30), m=st.integers(0, 30))
def test_working_days_add_up(start: dt.date, n: int, m: int):
    assert add_working_days(add_working_days(start, n), m) == add_working_days(start, n + m)
