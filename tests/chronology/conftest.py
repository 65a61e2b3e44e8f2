"""The chronology's world: the API tests' (``tests/api/conftest.py``), with people.

Manchester (352) places Ada in Larch House, a Brightwater home in Stockport (356):
Manchester is the placing council, Stockport the host council, Greater Manchester Police
the force of the area, Brightwater the provider. Leeds (383) is involved with nobody.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sightline.organisations.models import Role, User
from tests import factories
from tests.api.conftest import World
from tests.api.conftest import world as world


@dataclass
class People:
    world: World
    officer: User  # Greater Manchester Police
    social_worker: User  # Manchester, the placing council
    home: User  # Brightwater, the home
    coordinator: User  # Stockport, the host council
    outsider: User  # Leeds, involved with nobody


@pytest.fixture
def people(world: World) -> People:
    return People(
        world=world,
        officer=factories.user(world.gmp, Role.POLICE_MISSING_OFFICER),
        social_worker=factories.user(world.manchester, Role.SOCIAL_WORKER),
        home=factories.user(world.brightwater, Role.HOME_STAFF),
        coordinator=factories.user(world.stockport, Role.MISSING_COORDINATOR),
        outsider=factories.user(world.leeds, Role.SOCIAL_WORKER),
    )
