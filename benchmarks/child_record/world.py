"""One child with a long history, written through Sightline's own services.

Import this only after ``django.setup()``.

Southwark (210) places the child in a private children's home in Stockport (SK4 2AB), out of
area, about ``episodes`` x 4 days ago. Then, for each episode, a week's worth of what happens
around one: the home reports the child missing (or away, one in three) with a police risk
grade (``episode_report``: three alerts); the police change the grade (``episode_update``);
the home records the return (``episode_close``: "child safe" notices, the police grant's end,
the return home interview, and the trigger rules' tasks). Information received is then
appended to the episodes (``episode_update``) until the timeline has ``entries`` entries.
Nothing is inserted into a table directly: the record read is the one the services write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from sightline.access.policy import Action, access_child
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.timeutil import now, today
from sightline.geography.models import Council, PoliceForce
from sightline.missing.models import Episode, EpisodeKind, FoundBy, UpdateKind
from sightline.missing.services import episode_close, episode_report, episode_update
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Sector
from sightline.placements.services import placement_record, setting_create
from sightline.web.selectors import child_timeline

PASSWORD = "bench horse battery staple"
DAYS_BETWEEN_EPISODES = 4


@dataclass(frozen=True)
class World:
    child: Child
    reader: User  # the placing council's social worker, who opens the record
    episodes: int
    entries: int


def _organisation(kind: str, name: str, **keys: object) -> Organisation:
    org, _ = Organisation.objects.get_or_create(kind=kind, defaults={"name": name}, **keys)
    return org


def _user(org: Organisation, role: str, username: str) -> User:
    return User.objects.create_user(
        username=username,
        password=PASSWORD,
        organisation=org,
        role=role,
        first_name="Bench",
        last_name=username.title(),
        email=f"{username}@example.invalid",
    )


def _entries(child: Child, reader: User) -> int:
    access = access_child(reader, child.id, action=Action.VIEW, purpose="Benchmark", record=False)
    return child_timeline(access=access, per_page=1).count


def build(*, episodes: int, entries: int, progress: Callable[[str], None] | None = None) -> World:
    placing_council = Council.objects.get(dfe_code="210", is_current=True)
    placing = _organisation(
        OrganisationKind.COUNCIL, f"{placing_council.name} Council", council=placing_council
    )
    host_council = Council.objects.get(dfe_code="356", is_current=True)
    _organisation(OrganisationKind.COUNCIL, f"{host_council.name} Council", council=host_council)
    force = PoliceForce.objects.get(code="E23000005")
    police = _organisation(OrganisationKind.POLICE, f"{force.name} Police", police_force=force)
    provider = _organisation(OrganisationKind.PROVIDER, "Brightwater Care Ltd")
    home_staff = _user(provider, Role.HOME_STAFF, "homestaff")
    officer = _user(police, Role.POLICE_MISSING_OFFICER, "officer")
    reader = _user(placing, Role.SOCIAL_WORKER, "socialworker")

    home = setting_create(
        name="Larch House",
        postcode="SK4 2AB",
        sector=Sector.PRIVATE,
        place_type="K2",
        provider=provider,
        urn="SC900001",
        registered_places=4,
    )
    day, at = today(), now()
    first_seen = at - dt.timedelta(days=DAYS_BETWEEN_EPISODES * episodes + 2)
    child = child_create(
        placing_council=placing_council,
        child_ref="BENCH0001",
        first_name="Robin",
        last_name="Quillfeather",
        date_of_birth=day - dt.timedelta(days=12 * 365),
        sex="F",
    )
    placement_record(
        actor=None,
        child=child,
        setting=home,
        start_date=first_seen.date() - dt.timedelta(days=7),
        place_type="K2",
        place_provider="PR4",
        home_postcode="SE1 0AA",
        send_notices=True,
    )

    closed: list[Episode] = []
    for n in range(episodes):
        seen = first_seen + dt.timedelta(days=DAYS_BETWEEN_EPISODES * n)
        episode = episode_report(
            actor=home_staff,
            child=child,
            kind=EpisodeKind.AWAY if n % 3 == 2 else EpisodeKind.MISSING,
            last_seen_at=seen,
            last_seen_place="Leaving the home by the back gate",
            clothing="Black puffer jacket, grey joggers",
            circumstances="Did not come back to the home at the agreed time.",
            reported_to_police=True,
            police_reference=f"GMP-{n:05d}",
            risk_grade="medium",
            risk_grade_supplied_by="Police call handler",
        )
        episode_update(
            actor=officer,
            episode=episode,
            kind=UpdateKind.RISK_CHANGE,
            risk_grade="high",
            supplied_by="PC 1234, Greater Manchester Police",
            supplied_at=seen + dt.timedelta(hours=2),
        )
        closed.append(
            episode_close(
                actor=home_staff,
                episode=episode,
                returned_at=seen + dt.timedelta(hours=5),
                where_postcode="SK4 2AB",
                found_by=FoundBy.SELF,
                condition="Tired, no injuries seen",
            )
        )
        if progress is not None and (n + 1) % 25 == 0:
            progress(f"{n + 1} of {episodes} episodes written")

    count = _entries(child, reader)
    n = 0
    while count < entries and closed:
        episode = closed[n % len(closed)]
        episode_update(
            actor=home_staff,
            episode=episode,
            kind=UpdateKind.INFORMATION,
            text="The child said where they had been; passed to the return home interview.",
            supplied_by="Home manager",
            supplied_at=episode.returned_at + dt.timedelta(hours=1 + n // len(closed))
            if episode.returned_at
            else None,
        )
        count += 1
        n += 1
    return World(child=child, reader=reader, episodes=episodes, entries=_entries(child, reader))


def api_token(user: User) -> str:
    """An API key of the reader's organisation (``api_key_create``, the default role): the
    load's audited read without a page (``GET /api/v1/children/<id>``)."""
    from sightline.api.services import api_key_create

    assert user.organisation is not None
    _, token = api_key_create(
        organisation=user.organisation, name="Child record benchmark", actor=None
    )
    return token


def session_cookie(user: User) -> str:
    """A signed-in session with the second factor verified (as ``tests.factories.signed_in``
    makes one): the cookie the load sends. Signing in through the pages is not what is
    measured; the session is the one the middleware reads on every request."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    client = Client()
    client.force_login(user)
    session = SessionStore(session_key=client.session.session_key)
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    assert session.session_key is not None
    return session.session_key
