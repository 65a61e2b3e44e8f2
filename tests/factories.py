"""Small factories for tests: they go through the project's own services where one exists."""

from __future__ import annotations

import datetime as dt
import itertools

from django.test import Client

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.geography.models import Council, PoliceForce
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Setting
from sightline.placements.services import placement_record, setting_create

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def council(code: str) -> Council:
    """A council by its DfE three-digit code, e.g. "356" for Stockport."""
    return Council.objects.get(dfe_code=code, is_current=True)


def council_org(code: str) -> Organisation:
    c = council(code)
    org, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.COUNCIL, council=c, defaults={"name": f"{c.name} Council"}
    )
    return org


def police_org(code: str) -> Organisation:
    force = PoliceForce.objects.get(code=code)
    org, _ = Organisation.objects.get_or_create(
        kind=OrganisationKind.POLICE, police_force=force, defaults={"name": f"{force.name} Police"}
    )
    return org


def provider_org(name: str = "Brightwater Care Ltd") -> Organisation:
    org, _ = Organisation.objects.get_or_create(kind=OrganisationKind.PROVIDER, name=name)
    return org


def user(org: Organisation, role: str, username: str | None = None) -> User:
    username = username or f"user{next(_seq)}"
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        organisation=org,
        role=role,
        first_name="Test",
        last_name=f"User {username}",
        email=f"{username}@example.invalid",
    )


def setting(provider: Organisation, postcode: str = "SK4 2AB", name: str | None = None) -> Setting:
    n = next(_seq)
    return setting_create(
        name=name or f"Test House {n}",
        postcode=postcode,
        sector="private",
        place_type="K2",
        provider=provider,
        urn=f"SC{n:06d}",
        registered_places=4,
    )


def child(placing_code: str = "356", ref: str | None = None) -> Child:
    n = next(_seq)
    return child_create(
        placing_council=council(placing_code),
        child_ref=ref or f"C{n:05d}",
        first_name="Alex",
        last_name=f"Tester{n}",
        date_of_birth=dt.date(2010, 5, 1),
        sex="F",
    )


def placement(
    child_: Child,
    setting_: Setting,
    *,
    start: dt.date | None = None,
    home_postcode: str = "M1 1AE",
    actor: User | None = None,
) -> Placement:
    return placement_record(
        actor=actor,
        child=child_,
        setting=setting_,
        start_date=start or dt.date(2025, 1, 6),
        place_type="K2",
        place_provider="PR4",
        home_postcode=home_postcode,
    )


ROLE = Role


def signed_in(user: User) -> Client:
    """A test client signed in as ``user``, as far as the app requires before it shows a
    child's record. Every test that needs a signed-in client gets it here, so the sign-in
    requirements live in one place."""
    client = Client()
    client.force_login(user)
    return client
