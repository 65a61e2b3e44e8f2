"""A synthetic family world: Southwark (210) places a child in a Brightwater home in
Stockport (356; police: Greater Manchester). Names are made up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from sightline.children.models import Child
from sightline.family.models import Parent
from sightline.family.services import parent_record
from sightline.organisations.models import Role, User
from sightline.placements.models import Placement
from tests import factories
from tests.notifications.conftest import smtp_server  # noqa: F401  (the shared SMTP fixture)

PARENT_EMAIL = "parent.one@example.org"


@dataclass
class FamilyWorld:
    child: Child
    placement: Placement
    social_worker: User
    team_manager: User
    home_staff: User
    host_coordinator: User
    police: User
    other_council: User

    def parent(self, *, restricted: bool = False, email: str = PARENT_EMAIL) -> Parent:
        return parent_record(
            actor=self.social_worker,
            child=self.child,
            name="Jordan Example",
            relationship="mother",
            contact_preference="email",
            email=email,
            restricted=restricted,
            restriction_reason="Court order: no contact" if restricted else "",
        )


@pytest.fixture
def family_world() -> FamilyWorld:
    placing = factories.council_org("210")
    host = factories.council_org("356")
    provider = factories.provider_org()
    child = factories.child("210")
    setting = factories.setting(provider, postcode="SK4 2AB")
    placement = factories.placement(child, setting, start=dt.date(2025, 1, 6))
    return FamilyWorld(
        child=child,
        placement=placement,
        social_worker=factories.user(placing, Role.SOCIAL_WORKER),
        team_manager=factories.user(placing, Role.TEAM_MANAGER),
        home_staff=factories.user(provider, Role.HOME_STAFF),
        host_coordinator=factories.user(host, Role.MISSING_COORDINATOR),
        police=factories.user(factories.police_org("E23000005"), Role.POLICE_MISSING_OFFICER),
        other_council=factories.user(factories.council_org("202"), Role.SOCIAL_WORKER),
    )
