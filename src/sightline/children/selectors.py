"""Reads for the child entity: its core facts.

Lists of children with their placements, and one child's timeline, aggregate the domains
above ``children`` and so live in ``sightline.web.selectors`` (ADR 7).
"""

from __future__ import annotations

import datetime as dt


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)
