"""The synthetic world the benchmark reports missing episodes in, written through Sightline's
own services (``child_create``, ``setting_create``, ``placement_record``,
``contact_point_set``, ``api_key_create``) with real postcodes.

Import this only after ``django.setup()``.

Children's homes of a few providers are spread over ``HOST_COUNCILS`` councils; each child is
placed there by another council (out of area), some months ago. Every report therefore alerts
three organisations: the placing council, the host council and the police force of the home's
area, and each of them has an e-mail contact point for missing alerts, so each report owes
exactly three e-mails. Each child is reported once: ``episode_report`` refuses a second
episode while one is open, and closing episodes through the API would add "child safe"
e-mails and load that are not what is measured.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sightline.api.services import api_key_create
from sightline.children.services import child_create
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now, today
from sightline.geography.models import Council
from sightline.geography.selectors import sample_postcodes
from sightline.missing.notices import AlertKind
from sightline.notifications.models import Channel
from sightline.notifications.services import contact_point_set
from sightline.organisations.models import Organisation, OrganisationKind, Role
from sightline.organisations.services import (
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.placements.models import Sector, Setting
from sightline.placements.services import placement_record, setting_create
from sightline.synth import names
from sightline.synth.demo import UNSUITABLE_OUTWARD_CODES

HOST_COUNCILS = 12
PLACING_COUNCILS = 24
PROVIDERS = 5
CHILDREN_PER_HOME = 4
CLOTHING = ("Black puffer jacket, grey joggers", "School uniform", "Blue hoodie, white trainers")
PLACES = ("Leaving the home by the back gate", "At the bus station", "Outside school")


@dataclass(frozen=True)
class PlannedReport:
    """One request of the load: the child, the key of the child's home's provider, and the
    body of ``POST /api/v1/missing-episodes``."""

    child_id: str
    key: str
    body: dict[str, object]


@dataclass(frozen=True)
class World:
    reports: list[PlannedReport]
    # Names of the organisations with an e-mail address for missing alerts: the API answer
    # names each alert's recipient, so these say which alerts owe an e-mail.
    emailed_organisations: frozenset[str]
    homes: int
    providers: int
    councils: int
    police_forces: int


def _slug(name: str) -> str:
    return "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())


def _postcodes(council: Council, k: int, rng: random.Random) -> list[str]:
    """Up to ``k`` real residential postcodes in the council, as the demo chooses them."""
    try:
        drawn = sample_postcodes(council=council, k=2 * k + 10, rng=rng)
    except ValidationError:  # a small council: take what there is
        drawn = sample_postcodes(council=council, k=k, rng=rng)
    return [p for p in drawn if p.split(" ")[0] not in UNSUITABLE_OUTWARD_CODES][:k]


def _email_contact_point(org: Organisation) -> None:
    contact_point_set(
        organisation=org,
        kind=AlertKind.MISSING,
        channel=Channel.EMAIL,
        address=f"missing@{_slug(org.name)}.example",
        actor=None,
    )


def build(*, children: int, seed: int, progress: Callable[[int, int], None] | None = None) -> World:
    """The organisations, homes, children, placements, contact points, API keys and the
    reports to send; the same for the same seed and size (but for dates and key secrets)."""
    rng = random.Random(seed)
    councils = [
        c
        for c in Council.objects.filter(is_current=True).order_by("ons_code")
        if c.districts.exists()
    ]
    chosen = rng.sample(councils, HOST_COUNCILS + PLACING_COUNCILS)
    hosts, placers = chosen[:HOST_COUNCILS], chosen[HOST_COUNCILS:]

    providers: list[Organisation] = []
    keys: dict[str, str] = {}
    for name in [names.LEAD_PROVIDER, *names.OTHER_PRIVATE_PROVIDERS][:PROVIDERS]:
        org, _ = Organisation.objects.get_or_create(kind=OrganisationKind.PROVIDER, name=name)
        _, keys[str(org.pk)] = api_key_create(
            organisation=org, role=Role.HOME_MANAGER, name="Missing benchmark", actor=None
        )
        providers.append(org)

    home_count = max(1, -(-children // CHILDREN_PER_HOME))
    home_councils = [hosts[i % len(hosts)] for i in range(home_count)]
    per_host = {c.ons_code: home_councils.count(c) for c in hosts}
    home_postcodes = {c.ons_code: _postcodes(c, per_host[c.ons_code], rng) for c in hosts}
    homes: list[Setting] = []
    for number, council in enumerate(home_councils):
        postcodes = home_postcodes[council.ons_code]
        homes.append(
            setting_create(
                name=f"{rng.choice(names.HOME_NAME_STEMS)} {rng.choice(names.HOME_NAME_KINDS)}",
                postcode=postcodes[number % len(postcodes)],
                sector=Sector.PRIVATE,
                place_type="K2",
                provider=providers[number % len(providers)],
                urn=f"SC{700000 + number}",
                registered_places=CHILDREN_PER_HOME,
            )
        )
    home_postcode_of = {c.ons_code: _postcodes(c, 20, rng) for c in placers}

    day = today()
    at = now()
    reports: list[PlannedReport] = []
    for i in range(children):
        home = homes[i % len(homes)]
        placing = rng.choice(placers)  # never the host council: the two lists are apart
        sex = rng.choice("MF")
        child = child_create(
            placing_council=placing,
            child_ref=f"BM{i:07d}",
            first_name=rng.choice(
                names.FIRST_NAMES_MALE if sex == "M" else names.FIRST_NAMES_FEMALE
            ),
            last_name=rng.choice(names.SURNAMES),
            date_of_birth=day - dt.timedelta(days=rng.randint(10 * 365, 17 * 365)),
            sex=sex,
        )
        # History, not news: send_notices=False, as an import records past placements, so
        # that the only e-mails of the run are the missing alerts.
        placement_record(
            actor=None,
            child=child,
            setting=home,
            start_date=day - dt.timedelta(days=rng.randint(30, 400)),
            place_type="K2",
            place_provider="PR4",
            home_postcode=rng.choice(home_postcode_of[placing.ons_code]),
            send_notices=False,
        )
        assert home.provider_id is not None
        last_seen = at - dt.timedelta(minutes=rng.randint(20, 240))
        reports.append(
            PlannedReport(
                child_id=str(child.pk),
                key=keys[str(home.provider_id)],
                body={
                    "child_id": str(child.pk),
                    "kind": "missing",
                    "last_seen_at": last_seen.isoformat(),
                    "last_seen_place": rng.choice(PLACES),
                    "clothing": rng.choice(CLOTHING),
                    "circumstances": "Did not come back to the home at the agreed time.",
                    "reported_to_police": True,
                    "police_reference": f"BM-{i:07d}",
                    "risk_grade": "medium",
                    "risk_grade_supplied_by": "Police call handler",
                },
            )
        )
        if progress is not None and (i + 1) % 250 == 0:
            progress(i + 1, children)
    rng.shuffle(reports)

    emailed: set[str] = set()
    for council in chosen:
        org = organisation_for_council(council=council)
        _email_contact_point(org)
        emailed.add(org.name)
    forces = {home.police_force for home in homes}
    for force in forces:
        org = organisation_for_police_force(police_force=force)
        _email_contact_point(org)
        emailed.add(org.name)
    return World(
        reports=reports,
        emailed_organisations=frozenset(emailed),
        homes=len(homes),
        providers=len(providers),
        councils=len(chosen),
        police_forces=len(forces),
    )
