"""A child placed by Southwark (210) in a Stockport (356) home run by a private provider, in
Greater Manchester Police's area; and people from organisations that are not involved."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from sightline.children.models import Child
from sightline.organisations.models import Role, User
from sightline.placements.models import Placement
from tests import factories as f

GMP = "E23000005"
MET = "E23000001"


@dataclass
class World:
    child: Child
    placement: Placement
    people: dict[str, User]

    def __getitem__(self, who: str) -> User:
        return self.people[who]


@pytest.fixture
def world(db: Any) -> World:
    provider = f.provider_org()
    home = f.setting(provider, postcode="SK4 2AB", name="Larch House")
    child = f.child(placing_code="210")
    southwark = f.council_org("210")
    placing_worker = f.user(southwark, Role.SOCIAL_WORKER)
    placement = f.placement(
        child, home, start=dt.date(2025, 3, 3), home_postcode="SE1 2QH", actor=placing_worker
    )
    met = f.police_org(MET)
    kent = f.council_org("886")
    people = {
        "placing": placing_worker,
        "placing_manager": f.user(southwark, Role.TEAM_MANAGER),
        "host": f.user(f.council_org("356"), Role.MISSING_COORDINATOR),
        "host_manager": f.user(f.council_org("356"), Role.TEAM_MANAGER),
        "police": f.user(f.police_org(GMP), Role.POLICE_MISSING_OFFICER),
        "home": f.user(provider, Role.HOME_MANAGER),
        "met_officer": f.user(met, Role.POLICE_MISSING_OFFICER),
        "met_colleague": f.user(met, Role.POLICE_MISSING_OFFICER),
        "met_admin": f.user(met, Role.ADMINISTRATOR),
        "kent_manager": f.user(kent, Role.TEAM_MANAGER),
        "kent_other_manager": f.user(kent, Role.TEAM_MANAGER),
        "leeds_analyst": f.user(f.council_org("383"), Role.ANALYST),
    }
    return World(child=child, placement=placement, people=people)
