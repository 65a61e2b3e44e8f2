"""A small map of involvement for the web tests.

    Manchester (352) places Ada in a Brightwater home in Stockport (356): out of area.
    Stockport places Ben in a Stockport-run home in Stockport: in area.
    Kent (886) places Cat in a Kent home run by another provider.

Greater Manchester Police hosts Ada and Ben; Kent Police hosts Cat. Leeds (383) and West
Yorkshire Police are involved with nobody.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.organisations.models import Organisation, Role, User
from tests import factories
from tests.factories import signed_in  # noqa: F401  (used by the tests here)

GMP = "E23000005"
KENT_POLICE = "E23000032"
WEST_YORKSHIRE = "E23000010"


@dataclass
class World:
    ada: Child
    ben: Child
    cat: Child
    brightwater: Organisation
    seaview: Organisation

    def user(self, org: Organisation, role: str = Role.SOCIAL_WORKER) -> User:
        return factories.user(org, role)


def _child(code: str, ref: str, first: str, last: str) -> Child:
    return child_create(
        placing_council=factories.council(code),
        child_ref=ref,
        first_name=first,
        last_name=last,
        date_of_birth=dt.date(2010, 5, 1),
        sex="F",
    )


@pytest.fixture
def world(db) -> World:
    brightwater = factories.provider_org("Brightwater Care Ltd")
    seaview = factories.provider_org("Seaview Homes Ltd")
    stockport_homes = factories.provider_org("Stockport Council Homes")
    ada = _child("352", "MAN001", "Ada", "Ashworth")
    ben = _child("356", "STO001", "Ben", "Bramhall")
    cat = _child("886", "KEN001", "Cat", "Canterbury")
    factories.placement(
        ada, factories.setting(brightwater, "SK4 2AB", name="Larch House"), home_postcode="M1 1AE"
    )
    factories.placement(
        ben,
        factories.setting(stockport_homes, "SK4 2AB", name="Oak House"),
        home_postcode="SK4 2AB",
    )
    factories.placement(
        cat,
        factories.setting(seaview, "CT1 2EH", name="Harbour View"),
        home_postcode="ME14 1XX",
    )
    return World(ada=ada, ben=ben, cat=cat, brightwater=brightwater, seaview=seaview)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def without_csrf(html: str) -> str:
    """The page with its per-response CSRF token blanked, so two responses can be compared."""
    return _CSRF.sub('name="csrfmiddlewaretoken" value=""', html)
