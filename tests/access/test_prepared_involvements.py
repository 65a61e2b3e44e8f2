"""The access check's prepared read (ADR 53): across organisations, users and actions
interleaved in one thread (one cache), the prepared check finds exactly the involvements the
unprepared one does (written by the review of 6 December 2026)."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from sightline.access.models import GrantReason
from sightline.access.policy import (
    PLANNED_PLACEMENTS_INVOLVE,
    Action,
    _load_child_involved,
    grant_create,
    involvements,
)
from sightline.core.prepared import prepared_clear
from sightline.core.timeutil import now
from sightline.organisations.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_prepared_access_matches_unprepared_across_organisations() -> None:
    prepared_clear()
    p1, p2 = f.provider_org("Provider One"), f.provider_org("Provider Two")
    s1 = f.setting(p1, postcode="SK4 2AB")
    s2 = f.setting(p2, postcode="M1 1AE")
    c356, c352 = f.council_org("356"), f.council_org("352")
    gmp = f.police_org("E23000005")
    users = [
        f.user(p1, Role.HOME_MANAGER), f.user(p2, Role.HOME_MANAGER),
        f.user(c356, Role.SOCIAL_WORKER), f.user(c352, Role.SOCIAL_WORKER),
        f.user(gmp, Role.POLICE_MISSING_OFFICER), f.user(gmp, Role.POLICE_MISSING_OFFICER),
    ]  # fmt: skip
    a, b, c = f.child("356"), f.child("352"), f.child("356")
    f.placement(a, s1)
    f.placement(b, s2)
    f.placement(c, s1, start=dt.date.today() + dt.timedelta(days=5))  # planned, not started
    # A grant to one police user only, and one to the whole of provider two.
    grant_create(actor=None, organisation=gmp, child=b, reason=GrantReason.BREAK_GLASS,
                 starts_at=now() - dt.timedelta(hours=1), ends_at=None, about_id=None,
                 purpose="test", user=users[4], justification="review", audited=False)  # fmt: skip
    grant_create(actor=None, organisation=p2, child=a, reason=GrantReason.RETURN_INTERVIEW,
                 starts_at=now() - dt.timedelta(hours=1), ends_at=now() + dt.timedelta(hours=1),
                 about_id=None, purpose="test", audited=False)  # fmt: skip
    actions = [Action.VIEW, *sorted(PLANNED_PLACEMENTS_INVOLVE)[:1]]
    combos = list(itertools.product(users, (a, b, c), actions))
    random.Random(7).shuffle(combos)
    seen = set()
    for user, child, action in combos * 2:
        _, found = _load_child_involved(user, child.pk, action=action)
        expected = involvements(user, child, planned=action in PLANNED_PLACEMENTS_INVOLVE)
        assert found == expected, (user.organisation, child.child_ref, action)
        seen.update(found)
    assert len(seen) >= 4, seen  # the test exercises provider, host, placing and grant flags
