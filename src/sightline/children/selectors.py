"""Reads for the child entity: its core facts.

Lists of children with their placements, and one child's timeline, aggregate the domains
above ``children`` and so live in ``sightline.web.selectors`` (ADR 7).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from sightline.access.policy import children_visible_to
from sightline.children.models import Child
from sightline.organisations.models import User


def age_on(date_of_birth: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def children_for_new_placement(*, user: User) -> QuerySet[Child]:
    """Children a placing council user may record a placement for: their own council's."""
    org = user.organisation
    if org is None or not org.council_id:
        return Child.objects.none()
    return children_visible_to(user).filter(placing_council_id=org.council_id)
