"""A small world of notices for the web tests.

    Southwark (210) places Robin in Larch House, a Brightwater home in Stockport (356): out of
    area, so Stockport Council and Greater Manchester Police get placement notices.

Time is frozen on Monday 5 January 2026 at 10:00 (London = UTC in January) when the placement
is recorded; it starts the next Monday, so the notices are on time and acknowledgement is due
by the end of Wednesday 7 January.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.notifications.models import Notice
from sightline.organisations.models import Organisation, Role, User
from sightline.placements.models import Placement, Setting
from sightline.placements.notices import PlacementNoticeKind
from sightline.placements.services import placement_record
from tests import factories
from tests.factories import signed_in  # noqa: F401  (used by the tests here)

GMP = "E23000005"
WEST_YORKSHIRE = "E23000010"
RECORDED_AT = dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)
START = dt.date(2026, 1, 12)
SURNAME = "Quillfeather"
DATE_OF_BIRTH = dt.date(2011, 3, 17)


@dataclass
class World:
    southwark: Organisation
    stockport: Organisation
    police: Organisation
    brightwater: Organisation
    robin: Child
    setting: Setting
    placement: Placement

    def notice_to(self, org: Organisation, kind: str = PlacementNoticeKind.PLACEMENT) -> Notice:
        return Notice.objects.get(subject_id=self.placement.id, recipient=org, kind=kind)

    @property
    def host_notice(self) -> Notice:
        return self.notice_to(self.stockport)

    @property
    def police_notice(self) -> Notice:
        return self.notice_to(self.police)


_seq = iter(range(100, 10_000))


def make_child(code: str = "210", first_name: str = "Robin") -> Child:
    return child_create(
        placing_council=factories.council(code),
        child_ref=f"R{next(_seq)}",
        first_name=first_name,
        last_name=SURNAME,
        date_of_birth=DATE_OF_BIRTH,
        sex="F",
    )


def record(
    child: Child,
    setting: Setting,
    *,
    start: dt.date = START,
    actor: User | None = None,
    send_notices: bool = True,
    is_emergency: bool = False,
) -> Placement:
    return placement_record(
        actor=actor,
        child=child,
        setting=setting,
        start_date=start,
        place_type="K2",
        place_provider="PR4",
        home_postcode="SE1 0AA",
        is_emergency=is_emergency,
        send_notices=send_notices,
    )


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(RECORDED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(db, frozen) -> World:
    southwark = factories.council_org("210")
    stockport = factories.council_org("356")
    police = factories.police_org(GMP)
    brightwater = factories.provider_org("Brightwater Care Ltd")
    robin = make_child()
    setting = factories.setting(brightwater, "SK4 2AB", name="Larch House")
    placement = record(robin, setting)
    return World(southwark, stockport, police, brightwater, robin, setting, placement)


def user(org: Organisation, role: str = Role.SOCIAL_WORKER, **kw: str) -> User:
    return factories.user(org, role, **kw)


def squash(html: str) -> str:
    """The page with runs of white space made one space, for matching rendered components."""
    return re.sub(r"\s+", " ", html)


def tag(text: str, colour: str) -> str:
    """A GOV.UK tag as rendered, after ``squash``."""
    return f'<strong class="govuk-tag govuk-tag--{colour}"> {text} </strong>'
