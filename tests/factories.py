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


def platform_operator(username: str | None = None) -> User:
    """A platform operator: an active superuser who works for no organisation (ADR 23)."""
    username = username or f"operator{next(_seq)}"
    return User.objects.create_superuser(
        username=username,
        email=f"{username}@example.invalid",
        password=PASSWORD,
        first_name="Platform",
        last_name=f"Operator {username}",
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
    requirements live in one place: a password sign-in, then the second factor (an
    authenticator app set up for the user and verified in the session, as django_otp.login
    does after a correct code)."""
    client = Client()
    client.force_login(user)
    otp_verify(client, user)
    return client


def authenticator(user: User):  # -> TOTPDevice
    """The user's confirmed authenticator app (TOTP device), created if they have none."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def otp_verify(client: Client, user: User) -> None:
    """Mark the client's session as verified with the user's authenticator app."""
    from django_otp import DEVICE_ID_SESSION_KEY

    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator(user).persistent_id
    session.save()


def enter_code(client: Client, user: User, *, next_url: str = ""):
    """After a password sign-in, enter a real code from the user's authenticator app (set up
    for them if they have none) on the code page, as a person would. Returns the response."""
    from django.urls import reverse

    return client.post(
        reverse("mfa_verify"), {"code": totp_code(authenticator(user)), "next": next_url}
    )


def totp_code(device) -> str:
    """The next code the device accepts, as the user's app would show it now.

    django-otp accepts a code once (``last_t``) and follows the app's clock (``drift``, moved
    when a code from the next or previous 30 seconds is accepted), so a second sign-in in the
    same 30 seconds, or one just after a code accepted late, needs the app's next code."""
    import time

    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    totp.drift += max(0, device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
