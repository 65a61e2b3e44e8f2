"""The synthetic world the benchmark records placements in, written through Sightline's own
services (``child_create``, ``setting_create``, ``placement_record``) with real postcodes.

Import this only after ``django.setup()``.

Every council and police force gets an organisation with a team inbox
(``Organisation.email``), so each out-of-area placement owes two e-mails: one to the host
council and one to the host force. Children's homes are spread over every council that has
postcodes; each child is placed by a different council from the one its home is in, so every
placement is out of area.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass

from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import ValidationError
from sightline.core.timeutil import today
from sightline.geography.models import Council, PoliceForce
from sightline.geography.selectors import postcode_place, sample_postcodes
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.organisations.services import (
    organisation_for_council,
    organisation_for_police_force,
)
from sightline.placements.models import Placement, Sector, Setting
from sightline.placements.services import placement_record, setting_create
from sightline.synth import names
from sightline.synth.demo import UNSUITABLE_OUTWARD_CODES

PLACEMENTS_PER_HOME = 5
PROVIDERS = 10


def _inbox(name: str) -> str:
    slug = "-".join("".join(ch if ch.isalnum() else " " for ch in name.lower()).split())
    return f"notices@{slug}.example.invalid"


@dataclass(frozen=True)
class PlannedPlacement:
    child: Child
    setting: Setting
    start_date: dt.date
    home_postcode: str
    is_emergency: bool
    actor: User


@dataclass(frozen=True)
class Dataset:
    placements: list[PlannedPlacement]
    councils: int
    police_forces: int
    settings: int


def _postcodes(council: Council, k: int, rng: random.Random) -> list[str]:
    """``k`` real postcodes in the council where people live and whose distance can be
    measured (a few in the directory have no grid reference), as the demo chooses them."""
    try:
        drawn = sample_postcodes(council=council, k=2 * k + 10, rng=rng)
    except ValidationError:  # a small council: take what there is
        drawn = sample_postcodes(council=council, k=k, rng=rng)
    usable = [
        p
        for p in drawn
        if p.split(" ")[0] not in UNSUITABLE_OUTWARD_CODES
        and postcode_place(postcode=p).easting is not None
    ]
    return usable[:k]


def _organisations(councils: list[Council]) -> dict[str, User]:
    """Organisations with team inboxes for every council and force, and one social worker per
    council to record its placements. Returns the actors by council ONS code."""
    actors: dict[str, User] = {}
    for council in councils:
        org = organisation_for_council(council=council)
        # No service sets an organisation's team inbox yet; the demo writes it directly too.
        Organisation.objects.filter(pk=org.pk).update(email=_inbox(org.name))
        actors[council.ons_code] = User.objects.create_user(
            username=f"bench-sw-{council.ons_code.lower()}",
            password=None,
            email=f"bench-sw-{council.ons_code.lower()}@example.invalid",
            first_name="Bench",
            last_name="Social Worker",
            organisation=org,
            role=Role.SOCIAL_WORKER,
        )
    for force in PoliceForce.objects.order_by("code"):
        org = organisation_for_police_force(police_force=force)
        Organisation.objects.filter(pk=org.pk).update(email=_inbox(org.name))
    return actors


def _next(postcodes: list[str], number: int) -> str:
    return postcodes[number % len(postcodes)]


def build(*, placements: int, seed: int) -> Dataset:
    """Children, homes and the placements to record, the same for the same seed and size."""
    rng = random.Random(seed)
    councils = [
        c
        for c in Council.objects.filter(is_current=True).order_by("ons_code")
        if c.districts.exists()
    ]
    actors = _organisations(councils)
    providers = []
    for name in [names.LEAD_PROVIDER, *names.OTHER_PRIVATE_PROVIDERS][:PROVIDERS]:
        org, _ = Organisation.objects.get_or_create(
            kind=OrganisationKind.PROVIDER, name=name, defaults={"email": _inbox(name)}
        )
        providers.append(org)

    # Homes: spread over every council, at real postcodes drawn in that council.
    home_count = max(1, -(-placements // PLACEMENTS_PER_HOME))
    home_councils = [rng.choice(councils) for _ in range(home_count)]
    per_council: dict[str, int] = defaultdict(int)
    for council in home_councils:
        per_council[council.ons_code] += 1
    by_code = {c.ons_code: c for c in councils}
    home_postcodes = {
        code: _postcodes(by_code[code], k, rng) for code, k in sorted(per_council.items())
    }
    homes: list[Setting] = []
    for number, council in enumerate(home_councils, start=1):
        stem = rng.choice(names.HOME_NAME_STEMS)
        kind = rng.choice(names.HOME_NAME_KINDS)
        homes.append(
            setting_create(
                name=f"{stem} {kind}",
                postcode=_next(home_postcodes[council.ons_code], number),
                sector=Sector.PRIVATE,
                place_type="K2",
                provider=rng.choice(providers),
                urn=f"SC{900000 + number}",
                registered_places=PLACEMENTS_PER_HOME,
            )
        )

    # Children: each placed by a council other than the one its home is in.
    placing = [
        rng.choice([c for c in councils if c.ons_code != home.council_id])
        for home in (homes[i % len(homes)] for i in range(placements))
    ]
    wanted: dict[str, int] = defaultdict(int)
    for council in placing:
        wanted[council.ons_code] += 1
    child_postcodes = {
        code: _postcodes(by_code[code], min(k, 200), rng) for code, k in sorted(wanted.items())
    }
    day = today()
    planned: list[PlannedPlacement] = []
    for i, council in enumerate(placing):
        sex = rng.choice("MF")
        first = rng.choice(names.FIRST_NAMES_MALE if sex == "M" else names.FIRST_NAMES_FEMALE)
        born = day - dt.timedelta(days=rng.randint(6 * 365, 17 * 365))
        child = child_create(
            placing_council=council,
            child_ref=f"B{i:07d}",
            first_name=first,
            last_name=rng.choice(names.SURNAMES),
            date_of_birth=born,
            sex=sex,
        )
        postcodes = child_postcodes[council.ons_code]
        planned.append(
            PlannedPlacement(
                child=child,
                setting=homes[i % len(homes)],
                # Planned placements, 2 to 30 days ahead: no notice is late, so the worker
                # escalates none and every e-mail in the run is a placement notice.
                start_date=day + dt.timedelta(days=rng.randint(2, 30)),
                home_postcode=postcodes[i % len(postcodes)],
                is_emergency=rng.random() < 0.1,
                actor=actors[council.ons_code],
            )
        )
    rng.shuffle(planned)
    return Dataset(
        placements=planned,
        councils=len(councils),
        police_forces=PoliceForce.objects.count(),
        settings=len(homes),
    )


def record(plan: PlannedPlacement) -> Placement:
    """One placement, recorded as the web form records it; the notices come with it."""
    return placement_record(
        actor=plan.actor,
        child=plan.child,
        setting=plan.setting,
        start_date=plan.start_date,
        place_type="K2",
        place_provider="PR4",
        home_postcode=plan.home_postcode,
        is_emergency=plan.is_emergency,
    )
