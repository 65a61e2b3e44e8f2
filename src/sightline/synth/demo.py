"""A small synthetic England from a seed: the data behind ``sightline demo``.

Stockport is the host at the heart, as in the 2019 presentation Sightline answers: children's
homes at real postcodes in Greater Manchester and a few neighbouring areas, children placed
there by Greater Manchester councils and by councils further away (Cheshire East, Derbyshire,
Lancashire, Liverpool, Birmingham, Southwark), and one demo sign-in per role.

Everything about people, homes and providers is invented (``synth/names.py``); the geography
is real. Every row is written through the domain services (``child_create``,
``setting_create``, ``placement_record``), so the demo exercises the same derivations as live
data: host council and force from the postcode, distance, out of area.

The mix is calibrated to the brief's section 5 by quota rather than by chance, so that every
seed lands near the national figures: about 61% of children in homes placed outside their
council, about 18% of placements more than 20 miles from home, 55% boys, mostly teenagers,
84% of homes private, about 3.6 places a home. ``DemoSummary.calibration`` reports what a
load achieved, read back from the database.

Same seed, same data: one ``random.Random(seed)`` drives every choice, in a fixed order, over
sorted inputs. Dates count back from a reference date derived from the seed (see
``reference_date_for``), never from today, so current placements are open-ended and started
in the past whenever the demo runs. Loading again with the same seed keeps what is there;
another seed replaces it. What a load created is listed in ``synth.DemoDataset``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import os
import random
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError

from sightline.access.policy import POLICY, Action, children_visible_to
from sightline.audit.services import AuditEntry, audit_append_many
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.children.services import child_create
from sightline.core.errors import SightlineError
from sightline.core.timeutil import today
from sightline.geography.models import Council, PoliceForce
from sightline.geography.selectors import (
    PostcodePlace,
    council_by_code,
    distance_between,
    postcode_place,
    sample_postcodes,
)
from sightline.missing.models import (
    SSDA903_MISSING_CODE,
    Episode,
    EpisodeKind,
    FoundBy,
    InterviewEvent,
    InterviewStatus,
    ReturnInterview,
)
from sightline.notifications.deadlines import LONDON
from sightline.organisations.models import Organisation, OrganisationKind, Role, User
from sightline.placements.models import Placement, Sector, Setting
from sightline.placements.services import placement_record, setting_create
from sightline.synth import names
from sightline.synth.models import DemoDataset

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_SEED",
    "PASSWORD_ENV",
    "CalibrationFigure",
    "DemoDataInUse",
    "DemoSignIn",
    "DemoSummary",
    "demo_fingerprint",
    "demo_load",
    "format_sign_ins",
    "format_summary",
    "reference_date_for",
]

DEFAULT_SEED = 2019
# Bump when the generator changes what a seed produces, so that an old data set is replaced.
GENERATOR_VERSION = 2
PASSWORD_ENV = "SIGHTLINE_DEMO_PASSWORD"
DEFAULT_PASSWORD = "sightline-demo-only"
# A recent fixed date; each seed steps back 0-27 days from it. The children grow older with
# the calendar, not with the demo: move this on (and bump GENERATOR_VERSION) once a year,
# or the oldest children in homes will have turned 18 on the day the demo runs.
REFERENCE_EPOCH = dt.date(2026, 10, 31)
CHILD_REF_PREFIX = "DEMO"
NORTH_WEST = "E12000002"

# Calibration targets (BRIEF.md section 5).
TARGET_OUT_OF_AREA = 0.61  # children in homes placed outside their council (Hansard 2018)
TARGET_OVER_20_MILES = 0.18  # all placements (DfE 2015)
TARGET_MALE = 0.55
TARGET_PRIVATE = 0.84  # Ofsted, March 2025
TARGET_PLACES_PER_HOME = 14_259 / 4_009
# Age at the reference date of children in homes: (from, to, share). Children's homes are
# for teenagers: 56% of missing incidents are children of 16 or over.
# The oldest are 17 and a half, to leave room for the months between the reference date and
# the day the demo runs.
AGE_BANDS: tuple[tuple[float, float, float], ...] = (
    (10, 12, 0.04),
    (12, 14, 0.14),
    (14, 16, 0.37),
    (16, 17.5, 0.45),
)
PLACES_WEIGHTS: dict[int, int] = {1: 9, 2: 15, 3: 21, 4: 30, 5: 14, 6: 11}  # mean 3.58
SHARE_WITH_EARLIER = 0.35  # children in homes with an earlier placement
SHARE_WITH_TWO_EARLIER = 0.3  # of those, with two
SHARE_EARLIER_FOSTER = 0.4  # earlier placements that were with foster carers
SHARE_EARLIER_GAP = 0.25  # earlier placements followed by a spell at home, not a move
SHARE_EMERGENCY = 0.1
LEFT_CARE = 4  # children whose placements have all ended
# Missing and away history (brief, section 5: about 11% of looked-after children go missing
# in a year, far more of those in children's homes; heavy repeat tail; 90% of incidents last
# 2 days or less; more among over-16s; further from home, more often).
MISSING_PRONE_IN_HOMES = 0.45  # children in homes who ever go missing in the demo's history
MISSING_PRONE_ELSEWHERE = 0.08
MISSING_PRONE_16_PLUS = 1.5  # children now 16 or 17 are more often among them
MISSING_RATE_MEAN = 4.0  # incidents a year for those children, before the ratios below
MISSING_RATE_SHAPE = 1.5  # gamma: a repeat tail without one child being half the history
MISSING_RATE_CAP = 30.0
MISSING_IRR_16_PLUS = 3.0
MISSING_IRR_NOT_A_HOME = 0.4
DISTANCE_BAND_UPPER_MILES = (5, 10, 20, 50)
MISSING_DISTANCE_IRR = (1.0, 1.1, 1.25, 1.5, 1.8)
SHARE_AWAY = 0.11
SHARE_FOUND_NEAR_HOME = 0.15  # of missing episodes of children placed out of area
SHARE_NO_INTERVIEW_RECORD = 0.1
SHARE_OFFERED_IN_TIME = 0.75
SHARE_DECLINED = 0.3
SHARE_INDEPENDENT = 0.8
HOME_PLACE_TYPE = "K2"  # the demo's children's homes; "U6" is foster care
LAST_SEEN_PLACES = (
    "Leaving the home after tea",
    "At school; did not come back at the end of the day",
    "Walking to the shops near the home",
    "Leaving the home with a friend",
    "At the bus station in the town centre",
    "Did not come back from an agreed visit to a friend",
)
PUSH_FACTORS = (
    "Arguments with another young person at the home",
    "Finds the house rules hard and feels far from family",
    "Unhappy about contact with family being cut back",
)
PULL_FACTORS = (
    "Wanted to see friends in their home area",
    "Wanted to see a brother and sister",
    "Was asked to meet older people they met online",
)
FOLLOW_UPS = (
    "Social worker to review contact arrangements",
    "Home to agree a plan for time with friends",
    "Shared with the exploitation panel for a screening",
)
FOSTER_HOUSEHOLDS_PER_COUNCIL = 4


@dataclass(frozen=True)
class _CouncilPlan:
    dfe_code: str
    children: int
    homes: int
    council_homes: int = 0


# Stockport is the host at the heart; the rest of Greater Manchester, then councils that
# place children into Greater Manchester. Southwark runs no homes here: London places out.
COUNCIL_PLAN: tuple[_CouncilPlan, ...] = (
    _CouncilPlan("356", children=16, homes=9, council_homes=1),  # Stockport
    _CouncilPlan("352", children=14, homes=4, council_homes=1),  # Manchester
    _CouncilPlan("357", children=7, homes=3),  # Tameside
    _CouncilPlan("358", children=5, homes=2),  # Trafford
    _CouncilPlan("353", children=7, homes=3, council_homes=1),  # Oldham
    _CouncilPlan("895", children=6, homes=2),  # Cheshire East
    _CouncilPlan("888", children=8, homes=3),  # Lancashire
    _CouncilPlan("341", children=6, homes=2),  # Liverpool
    _CouncilPlan("830", children=7, homes=2),  # Derbyshire
    _CouncilPlan("330", children=7, homes=2),  # Birmingham
    _CouncilPlan("210", children=5, homes=0),  # Southwark
)
HOST_CODE = "356"
VOLUNTARY_HOMES = 2
LEAD_PROVIDER_HOMES_IN_HOST = 3
LEAD_PROVIDER_HOMES_ELSEWHERE = 2
# Out-of-area children lean towards Stockport, then the rest of Greater Manchester.
HOST_WEIGHT = 3
GREATER_MANCHESTER_WEIGHT = 2
GREATER_MANCHESTER_FORCE = "E23000005"

# Outward codes in the demo's councils that are PO boxes, large users or an airport: real
# postcodes, but nowhere a children's home or a family would be.
UNSUITABLE_OUTWARD_CODES = frozenset(
    {
        "B99",
        "BB94",
        "DE99",
        "L69",
        "L70",
        "L71",
        "L72",
        "L73",
        "L74",
        "L75",
        "L80",
        "M60",
        "M61",
        "M90",
        "M99",
        "PR0",
        "PR11",
        "S49",
        "S98",
        "SE1P",
    }
)

POLICE_ORGANISATION_NAMES: dict[str, str] = {
    "E23000001": "Metropolitan Police Service",
    "E23000003": "Lancashire Constabulary",
    "E23000004": "Merseyside Police",
    "E23000005": "Greater Manchester Police",
    "E23000006": "Cheshire Constabulary",
    "E23000014": "West Midlands Police",
    "E23000018": "Derbyshire Constabulary",
}


@dataclass(frozen=True)
class _SignInPlan:
    username: str
    role: str
    # ("council", DfE code), ("police", DfE code of a council in the force), ("provider", "")
    organisation: tuple[Literal["council", "police", "provider"], str]
    is_superuser: bool = False


SIGN_IN_PLAN: tuple[_SignInPlan, ...] = (
    _SignInPlan("sw.southwark", Role.SOCIAL_WORKER, ("council", "210")),
    _SignInPlan("teammanager.southwark", Role.TEAM_MANAGER, ("council", "210")),
    _SignInPlan("nominated.manchester", Role.NOMINATED_OFFICER, ("council", "352")),
    _SignInPlan("coordinator.stockport", Role.MISSING_COORDINATOR, ("council", HOST_CODE)),
    _SignInPlan("police.gmp", Role.POLICE_MISSING_OFFICER, ("police", HOST_CODE)),
    _SignInPlan("manager.brightwater", Role.HOME_MANAGER, ("provider", "")),
    _SignInPlan("staff.brightwater", Role.HOME_STAFF, ("provider", "")),
    _SignInPlan("analyst.stockport", Role.ANALYST, ("council", HOST_CODE)),
    _SignInPlan("admin.stockport", Role.ADMINISTRATOR, ("council", HOST_CODE), True),
)

# Model labels in the order replacing a data set deletes them.
_DELETE_ORDER = (
    "missing.returninterview",
    "missing.episode",
    "placements.placement",
    "children.child",
    "placements.setting",
    "organisations.user",
    "organisations.organisation",
)
_MODELS: dict[str, type[models.Model]] = {
    "missing.returninterview": ReturnInterview,
    "missing.episode": Episode,
    "placements.placement": Placement,
    "children.child": Child,
    "placements.setting": Setting,
    "organisations.user": User,
    "organisations.organisation": Organisation,
}


class DemoDataInUse(SightlineError):
    """The loaded demo data set cannot be removed to make way for another."""


# --- What a load returns -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    password: str
    role: str  # a Role value, e.g. "social_worker"
    organisation_name: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


@dataclass(frozen=True)
class CalibrationFigure:
    """One calibration target and what the loaded data achieved. Shares are 0-1."""

    measure: str
    target: float
    achieved: float
    unit: Literal["share", "miles", "places"]
    source: str

    def shown(self, value: float) -> str:
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit == "miles":
            return f"{value:.1f} miles"
        return f"{value:.2f}"


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    reference_date: dt.date
    created: bool  # False when the same data set was already loaded and was kept
    fingerprint: str
    councils: int
    police_forces: int
    organisations: int
    providers: int
    homes: int
    registered_places: int
    children: int
    children_in_homes: int
    placements: int
    ended_placements: int
    users: int
    missing_episodes: int
    away_episodes: int
    return_interviews: int
    calibration: tuple[CalibrationFigure, ...]
    sign_ins: list[DemoSignIn] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reference_date"] = self.reference_date.isoformat()
        for sign_in, shown in zip(self.sign_ins, data["sign_ins"], strict=True):
            shown["role_label"] = sign_in.role_label
        return data


def reference_date_for(seed: int) -> dt.date:
    """The date a seed's data set is built around: ages, start and end dates count back
    from it. Fixed per seed (so the same seed gives the same data on any day) and in the
    past (so current placements have started)."""
    return REFERENCE_EPOCH - dt.timedelta(days=seed % 28)


# --- Loading -------------------------------------------------------------------------------


def demo_load(*, seed: int = DEFAULT_SEED, reference_date: dt.date | None = None) -> DemoSummary:
    """Load the demo data set for ``seed``, or keep it if it is already loaded.

    Replaces a data set loaded with another seed (or by an older generator). Everything runs
    in one transaction: a failure leaves the database as it was. The demo password is read
    from the environment (``SIGHTLINE_DEMO_PASSWORD``) and set on every demo sign-in, also
    when the data set is kept, so that the password printed is the one that works.
    """
    if settings.MODE == "production":
        raise SightlineError(
            "The demo data set has sign-ins with a published password, so it cannot be loaded "
            "in production. Run it with SIGHTLINE_MODE=demo, against a database of its own."
        )
    # On a machine whose clock is behind the epoch, today stands in: nothing may start later.
    ref = reference_date or min(reference_date_for(seed), today())
    if ref > today():
        raise SightlineError(
            f"The reference date {ref:%d/%m/%Y} is in the future; current placements must "
            "have started by today."
        )
    password = os.environ.get(PASSWORD_ENV) or DEFAULT_PASSWORD
    with _quiet_services(), transaction.atomic():
        dataset = DemoDataset.objects.select_for_update().first()
        if dataset is not None and _same_and_intact(dataset, seed=seed, ref=ref):
            _set_passwords(dataset, password)
            return _summarise(dataset, password=password, created=False)
        if dataset is not None:
            _remove(dataset)
        records = _Generator(seed=seed, ref=ref, password=password).run()
        dataset = DemoDataset(
            seed=seed,
            generator_version=GENERATOR_VERSION,
            reference_date=ref,
            records=records,
            fingerprint="",
        )
        dataset.fingerprint = _fingerprint(dataset)
        dataset.save()
        summary = _summarise(dataset, password=password, created=True)
        _check_sign_ins_see_children(dataset)
    return summary


@contextmanager
def _quiet_services() -> Iterator[None]:
    """Hold back the services' per-record INFO lines (a hundred "placement recorded") while
    the demo loads; warnings and errors still show."""
    logger = logging.getLogger("sightline")
    level = logger.level
    logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(level)


def demo_fingerprint() -> str | None:
    """A digest of the loaded demo data set's content (no ids or timestamps), or None."""
    dataset = DemoDataset.objects.first()
    return None if dataset is None else _fingerprint(dataset)


def _same_and_intact(dataset: DemoDataset, *, seed: int, ref: dt.date) -> bool:
    if (dataset.seed, dataset.generator_version, dataset.reference_date) != (
        seed,
        GENERATOR_VERSION,
        ref,
    ):
        return False
    for label, pks in dataset.records.items():
        if _MODELS[label]._default_manager.filter(pk__in=pks).count() != len(pks):
            return False
    return True


def _remove(dataset: DemoDataset) -> None:
    """Delete the data set's rows and whatever was recorded about them since (notices,
    access records, episodes...): in a demo database those are as synthetic as the children
    they are about. Council and police organisations are never in the data set's records:
    every seed shares them, and they may carry settings made by hand."""
    for label in _DELETE_ORDER:
        pks = dataset.records.get(label, [])
        _delete_with_dependants(_MODELS[label]._default_manager.filter(pk__in=pks))
    dataset.delete()


def _delete_with_dependants(queryset: models.QuerySet[Any], depth: int = 0) -> None:
    """Delete the rows, first deleting rows that a PROTECT or RESTRICT key holds to them."""
    for _ in range(50):
        try:
            queryset.delete()
            return
        except (ProtectedError, RestrictedError) as exc:
            blockers = (
                exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
            )
            if depth >= 10:
                raise DemoDataInUse(
                    "The demo data set cannot be replaced: records about it are nested too "
                    "deeply to remove. Start from an empty database."
                ) from exc
            by_model: dict[type[models.Model], list[Any]] = defaultdict(list)
            for obj in blockers:
                by_model[type(obj)].append(obj.pk)
            for model, pks in by_model.items():
                _delete_with_dependants(model._default_manager.filter(pk__in=pks), depth + 1)
    raise DemoDataInUse("The demo data set cannot be replaced. Start from an empty database.")


def _set_passwords(dataset: DemoDataset, password: str) -> None:
    hashed = make_password(password)
    pks = dataset.records.get("organisations.user", [])
    User.objects.filter(pk__in=pks).update(password=hashed)


def _check_sign_ins_see_children(dataset: DemoDataset) -> None:
    """A demo where a sign-in's home page is empty is a broken demo: fail the load."""
    for user in User.objects.filter(pk__in=dataset.records.get("organisations.user", [])):
        if POLICY[Action.VIEW].get(user.role) and not children_visible_to(user).exists():
            raise RuntimeError(f"Demo sign-in {user.username} would see no children.")


# --- The generator -------------------------------------------------------------------------


@dataclass(eq=False)
class _SettingPlan:
    key: int
    council: Council
    place: PostcodePlace
    place_type: str  # "K2" children's home, "U6" foster household
    sector: str = ""
    provider: Organisation | None = None
    name: str = ""
    urn: str = ""
    places: int | None = None
    occupied: int = 0
    used: bool = False
    setting: Setting | None = None

    @property
    def free(self) -> int:
        return (self.places or 0) - self.occupied


@dataclass(eq=False)
class _ChildPlan:
    ref: str
    council: Council
    home: PostcodePlace
    sex: str = ""
    first_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date = dt.date.min
    ethnicity: str = ""
    in_care: bool = True
    child: Child | None = None


@dataclass(eq=False)
class _PlacementPlan:
    child: _ChildPlan
    kind: Literal["current", "earlier", "left"]
    place_type: str
    start: dt.date
    end: dt.date | None  # None: open (current, or ended by the next placement's start)
    in_area: bool | None = None  # required for current placements
    emergency: bool = False
    setting: _SettingPlan | None = None
    follows: _PlacementPlan | None = None  # the later placement this one came before


class _Generator:
    def __init__(self, *, seed: int, ref: dt.date, password: str) -> None:
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 - reproducible synthetic data, not secrets
        self.ref = ref
        self.password_hash = make_password(password)
        self.records: dict[str, list[str]] = defaultdict(list)
        self.councils: dict[str, Council] = {}
        self.council_orgs: dict[str, Organisation] = {}
        self.police_orgs: dict[str, Organisation] = {}
        self.providers: list[Organisation] = []
        self.users: dict[str, User] = {}
        self.homes: list[_SettingPlan] = []
        self.fosters: dict[str, list[_SettingPlan]] = {}
        self.children: list[_ChildPlan] = []
        self.placements: list[_PlacementPlan] = []
        self.places: dict[str, PostcodePlace] = {}
        self.distance_cache: dict[tuple[str, str], Decimal] = {}

    def run(self) -> dict[str, list[str]]:
        self._organisations()
        self._users()
        self._plan_homes()
        self._plan_children()
        self._plan_placements()
        self._choose_settings()
        self._record()
        return {label: sorted(pks) for label, pks in sorted(self.records.items())}

    # Organisations and people who sign in.

    def _register(self, obj: models.Model) -> None:
        self.records[obj._meta.label_lower].append(str(obj.pk))

    def _organisations(self) -> None:
        for plan in COUNCIL_PLAN:
            council = council_by_code(code=plan.dfe_code)
            self.councils[plan.dfe_code] = council
            self.council_orgs[plan.dfe_code] = self._council_org(council)
        forces = sorted(
            {c.police_force for c in self.councils.values()}, key=lambda force: force.code
        )
        for force in forces:
            self.police_orgs[force.code] = self._police_org(force)
        provider_names = [
            (names.LEAD_PROVIDER, Sector.PRIVATE),
            *((n, Sector.PRIVATE) for n in self.rng.sample(names.OTHER_PRIVATE_PROVIDERS, 2)),
            (self.rng.choice(names.VOLUNTARY_PROVIDERS), Sector.VOLUNTARY),
        ]
        for name, _sector in provider_names:
            org = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, name=name).first()
            if org is None:
                org = Organisation.objects.create(
                    kind=OrganisationKind.PROVIDER, name=name, email=_inbox(name)
                )
                self._register(org)
            self.providers.append(org)

    # Council and police organisations are shared by every seed and outlive a data set, so
    # they are made if missing but not listed among the data set's records.
    def _council_org(self, council: Council) -> Organisation:
        org = Organisation.objects.filter(council=council).first()
        if org is None:
            name = f"{council.name} Council"
            org = Organisation.objects.create(
                kind=OrganisationKind.COUNCIL, council=council, name=name, email=_inbox(name)
            )
        return org

    def _police_org(self, force: PoliceForce) -> Organisation:
        org = Organisation.objects.filter(police_force=force).first()
        if org is None:
            name = POLICE_ORGANISATION_NAMES.get(force.code) or (
                force.name if force.name.endswith("Police") else f"{force.name} Police"
            )
            org = Organisation.objects.create(
                kind=OrganisationKind.POLICE, police_force=force, name=name, email=_inbox(name)
            )
        return org

    def _users(self) -> None:
        taken = set(
            User.objects.filter(username__in=[p.username for p in SIGN_IN_PLAN]).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise SightlineError(
                "These demo usernames already belong to someone outside the demo data set: "
                f"{', '.join(sorted(taken))}. Load the demo into a database of its own."
            )
        for plan in SIGN_IN_PLAN:
            kind, code = plan.organisation
            if kind == "council":
                org = self.council_orgs[code]
            elif kind == "police":
                org = self.police_orgs[self.councils[code].police_force_id]
            else:
                org = self.providers[0]
            sex = self.rng.choice("MF")
            first = self.rng.choice(
                names.FIRST_NAMES_MALE if sex == "M" else names.FIRST_NAMES_FEMALE
            )
            user = User.objects.create(
                username=plan.username,
                password=self.password_hash,
                first_name=first,
                last_name=self.rng.choice(names.SURNAMES),
                email=f"{plan.username}@example.invalid",
                organisation=org,
                role=plan.role,
                is_staff=plan.role == Role.ADMINISTRATOR,
                is_superuser=plan.is_superuser,
            )
            self.users[plan.username] = user
            self._register(user)

    # Homes and foster households.

    def _sample(self, council: Council, k: int) -> list[PostcodePlace]:
        """``k`` real postcodes in the council where people live (see
        UNSUITABLE_OUTWARD_CODES)."""
        drawn = sample_postcodes(council=council, k=2 * k + 10, rng=self.rng)
        usable = [p for p in drawn if p.split(" ")[0] not in UNSUITABLE_OUTWARD_CODES]
        return [self._place(postcode) for postcode in usable[:k]]

    def _place(self, postcode: str) -> PostcodePlace:
        place = self.places.get(postcode)
        if place is None:
            place = self.places[postcode] = postcode_place(postcode=postcode)
        return place

    def _miles(self, a: PostcodePlace, b: PostcodePlace) -> Decimal:
        key = (a.postcode, b.postcode)
        miles = self.distance_cache.get(key)
        if miles is None:
            miles = self.distance_cache[key] = distance_between(a=a, b=b).miles
        return miles

    def _plan_homes(self) -> None:
        rng = self.rng
        for plan in COUNCIL_PLAN:
            council = self.councils[plan.dfe_code]
            if plan.homes:
                for place in self._sample(council, plan.homes):
                    self.homes.append(_SettingPlan(len(self.homes), council, place, "K2"))
            self.fosters[plan.dfe_code] = [
                _SettingPlan(
                    1000 + len(self.fosters) * 100 + n,
                    council,
                    place,
                    "U6",
                    sector=Sector.COUNCIL,
                    provider=self.council_orgs[plan.dfe_code],
                    name=f"{council.name} foster household {n + 1}",
                )
                for n, place in enumerate(self._sample(council, FOSTER_HOUSEHOLDS_PER_COUNCIL))
            ]

        # Council-run homes: the first few homes in each council that runs any.
        unassigned: list[_SettingPlan] = []
        for plan in COUNCIL_PLAN:
            in_council = [h for h in self.homes if h.council.dfe_code == plan.dfe_code]
            for home in in_council[: plan.council_homes]:
                home.sector = Sector.COUNCIL
                home.provider = self.council_orgs[plan.dfe_code]
            unassigned.extend(in_council[plan.council_homes :])
        lead, *other_private, voluntary = self.providers
        in_host = [h for h in unassigned if h.council.dfe_code == HOST_CODE]
        for home in rng.sample(in_host, LEAD_PROVIDER_HOMES_IN_HOST):
            home.sector, home.provider = Sector.PRIVATE, lead
        elsewhere = [h for h in unassigned if h.council.dfe_code != HOST_CODE]
        for home in rng.sample(elsewhere, VOLUNTARY_HOMES):
            home.sector, home.provider = Sector.VOLUNTARY, voluntary
        elsewhere = [h for h in elsewhere if h.provider is None]
        for home in rng.sample(elsewhere, LEAD_PROVIDER_HOMES_ELSEWHERE):
            home.sector, home.provider = Sector.PRIVATE, lead
        for home in unassigned:
            if home.provider is None:
                home.sector, home.provider = Sector.PRIVATE, rng.choice(other_private)

        used_names: set[str] = {""}  # "" is a rejected draw
        used_urns = set(Setting.objects.exclude(urn="").values_list("urn", flat=True))
        total = sum(PLACES_WEIGHTS.values())
        places = _quota(rng, len(self.homes), [(n, w / total) for n, w in PLACES_WEIGHTS.items()])
        for home, registered in zip(self.homes, places, strict=True):
            home.name = _unique(used_names, lambda: _home_name(rng))
            # Real URNs run SC000001-SC499999 and then 7-digit numbers: SC9 is never real.
            home.urn = _unique(used_urns, lambda: f"SC9{rng.randrange(100_000):05d}")
            home.places = registered

        # Enough room for every child in a home, with some to spare for choice.
        wanted = round(1.25 * (sum(p.children for p in COUNCIL_PLAN) - LEFT_CARE))
        while sum(h.places or 0 for h in self.homes) < wanted:
            home = rng.choice([h for h in self.homes if (h.places or 0) < 6])
            home.places = (home.places or 0) + 1

    # Children.

    def _plan_children(self) -> None:
        rng = self.rng
        number = 0
        for plan in COUNCIL_PLAN:
            council = self.councils[plan.dfe_code]
            for place in self._sample(council, plan.children):
                number += 1
                self.children.append(_ChildPlan(f"{CHILD_REF_PREFIX}{number:04d}", council, place))
        for child in rng.sample(self.children, LEFT_CARE):
            child.in_care = False
        in_homes = [c for c in self.children if c.in_care]
        # Quotas, not coin tosses, so that every seed lands on the targets.
        sexes = _quota(rng, len(in_homes), [("M", TARGET_MALE), ("F", 1 - TARGET_MALE)])
        bands = _quota(rng, len(in_homes), [((lo, hi), share) for lo, hi, share in AGE_BANDS])
        for child, sex, (lo, hi) in zip(in_homes, sexes, bands, strict=True):
            child.sex = sex
            child.date_of_birth = self._born(lo, hi)
        for n, child in enumerate(c for c in self.children if not c.in_care):
            child.sex = rng.choice("MMMMMFFFF")
            # Half left care at 18; half went home in their teens.
            child.date_of_birth = self._born(18, 19) if n % 2 == 0 else self._born(13, 16)
        used: set[str] = set()
        for child in self.children:
            first_names = names.FIRST_NAMES_MALE if child.sex == "M" else names.FIRST_NAMES_FEMALE

            def full_name(first_names: Sequence[str] = first_names) -> str:
                return f"{rng.choice(first_names)}|{rng.choice(names.SURNAMES)}"

            child.first_name, child.last_name = _unique(used, full_name).split("|")
            child.ethnicity = _weighted(rng, dict(names.ETHNICITY_WEIGHTS))

    def _born(self, age_from: float, age_to: float) -> dt.date:
        """A date of birth making the child at least ``age_from`` and under ``age_to`` years
        old on the reference date."""
        latest = _years_before(self.ref, int(age_from))
        latest -= dt.timedelta(days=round((age_from % 1) * 365))
        earliest = _years_before(self.ref, int(age_to)) + dt.timedelta(days=1)
        earliest -= dt.timedelta(days=round((age_to % 1) * 365))
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))

    # Placements: dates first, then which setting.

    def _plan_placements(self) -> None:
        rng, ref = self.rng, self.ref
        for child in self.children:
            if not child.in_care:
                if child.date_of_birth <= _years_before(ref, 18):  # left care at 18
                    end = _years_after(child.date_of_birth, 18)
                    start = end - dt.timedelta(days=rng.randrange(300, 900))
                else:  # went home
                    end = ref - dt.timedelta(days=rng.randrange(30, 300))
                    start = end - dt.timedelta(days=rng.randrange(60, 400))
                self.placements.append(_PlacementPlan(child, "left", "K2", start, end))
                continue
            start = max(
                ref - dt.timedelta(days=rng.randrange(7, 600)),
                _years_after(child.date_of_birth, 9),
            )
            later = _PlacementPlan(
                child, "current", "K2", start, None, emergency=rng.random() < SHARE_EMERGENCY
            )
            self.placements.append(later)
            earlier = 0
            if rng.random() < SHARE_WITH_EARLIER:
                earlier = 2 if rng.random() < SHARE_WITH_TWO_EARLIER else 1
            for _ in range(earlier):
                gap = rng.random() < SHARE_EARLIER_GAP
                end = later.start - dt.timedelta(days=rng.randrange(14, 240) if gap else 0)
                begin = end - dt.timedelta(days=rng.randrange(30, 540))
                if begin < _years_after(child.date_of_birth, 5):
                    break
                place_type = "U6" if rng.random() < SHARE_EARLIER_FOSTER else "K2"
                later = _PlacementPlan(
                    child,
                    "earlier",
                    place_type,
                    begin,
                    end if gap else None,
                    emergency=rng.random() < SHARE_EMERGENCY,
                    follows=later,
                )
                self.placements.append(later)

        # Which children in homes live in their own council's area: as many as the target
        # says, among those whose council has homes with room. Children who could only be
        # placed far away outside it come first, as county councils keep their own close:
        # that leaves the 20-mile quota room to work with.
        current = [p for p in self.placements if p.kind == "current"]
        room: dict[str, int] = defaultdict(int)
        for home in self.homes:
            room[home.council.ons_code] += home.places or 0
        in_area = round((1 - TARGET_OUT_OF_AREA) * len(current))

        def only_far_away(placement: _PlacementPlan) -> bool:
            child = placement.child
            return all(
                self._miles(child.home, h.place) > 20
                for h in self.homes
                if h.council != child.council
            )

        # Then the national share of Stockport's own: the host at the heart uses its homes
        # for its own children too (the seed's 73% is of children missing from its homes).
        host_children = [p for p in current if p.child.council.dfe_code == HOST_CODE]
        host_first = set(
            rng.sample(host_children, round((1 - TARGET_OUT_OF_AREA) * len(host_children)))
        )

        def priority(placement: _PlacementPlan) -> tuple[bool, bool]:
            return only_far_away(placement), placement in host_first

        for placement in sorted(rng.sample(current, len(current)), key=priority, reverse=True):
            council = placement.child.council.ons_code
            placement.in_area = in_area > 0 and room[council] > 0
            if placement.in_area:
                in_area -= 1
                room[council] -= 1

    def _candidates(self, placement: _PlacementPlan) -> list[_SettingPlan]:
        child = placement.child
        if placement.place_type == "U6":
            return self.fosters[child.council.dfe_code]
        homes = self.homes
        if placement.kind == "current":
            homes = [h for h in homes if (h.council == child.council) == placement.in_area]
        later = placement.follows.setting if placement.follows else None
        return [h for h in homes if h is not later]

    def _host_weight(self, placement: _PlacementPlan, home: _SettingPlan) -> int:
        if home.council.dfe_code == HOST_CODE and home.council != placement.child.council:
            return HOST_WEIGHT
        if home.council.police_force_id == GREATER_MANCHESTER_FORCE:
            return GREATER_MANCHESTER_WEIGHT
        return 1

    def _choose_settings(self) -> None:
        """Pick each placement's setting so that the share more than 20 miles from home
        comes out at the target: placements that can only be far (or only near) count as
        they must; the rest are far with the probability that meets the remaining quota."""
        rng = self.rng
        order = (
            [p for p in self.placements if p.kind == "current" and p.in_area]
            + [p for p in self.placements if p.kind == "current" and not p.in_area]
            + [p for p in self.placements if p.kind != "current"]
        )
        # Earlier placements need the setting of the placement they came before.
        order.sort(key=lambda p: _depth(p))
        far_options: dict[int, set[bool]] = {}
        for placement in order:
            # An earlier placement's candidates exclude the later one's setting, unknown yet;
            # one setting more or less does not change whether both classes are possible.
            options = {
                self._miles(placement.child.home, s.place) > 20 for s in self._candidates(placement)
            }
            far_options[id(placement)] = options
        forced_far = sum(1 for o in far_options.values() if o == {True})
        flexible = sum(1 for o in far_options.values() if len(o) == 2)
        far_wanted = max(0, round(TARGET_OVER_20_MILES * len(order)) - forced_far)

        for placement in order:
            options = far_options[id(placement)]
            if len(options) == 2:
                want_far = rng.random() < far_wanted / flexible if flexible else False
                flexible -= 1
            else:
                want_far = True in options
            candidates = [
                s for s in self._candidates(placement) if placement.kind != "current" or s.free > 0
            ]
            if not candidates:
                raise RuntimeError("The demo homes have no room left; raise their places.")
            matching = [
                s
                for s in candidates
                if (self._miles(placement.child.home, s.place) > 20) == want_far
            ] or candidates
            weights = [
                self._host_weight(placement, s) * (s.free if placement.kind == "current" else 1)
                for s in matching
            ]
            chosen = rng.choices(matching, weights=weights)[0]
            placement.setting = chosen
            chosen.used = True
            if placement.kind == "current":
                chosen.occupied += 1
            if len(options) == 2 and self._miles(placement.child.home, chosen.place) > 20:
                far_wanted -= 1

    # Writing through the services.

    def _record(self) -> None:
        settings_used = [*self.homes, *(f for fs in self.fosters.values() for f in fs if f.used)]
        for setting_plan in settings_used:
            setting_plan.setting = setting_create(
                name=setting_plan.name,
                postcode=setting_plan.place.postcode,
                sector=setting_plan.sector,
                place_type=setting_plan.place_type,
                provider=setting_plan.provider,
                urn=setting_plan.urn,
                registered_places=setting_plan.places,
            )
            self._register(setting_plan.setting)
        for child_plan in self.children:
            child_plan.child = child_create(
                placing_council=child_plan.council,
                child_ref=child_plan.ref,
                first_name=child_plan.first_name,
                last_name=child_plan.last_name,
                date_of_birth=child_plan.date_of_birth,
                sex=child_plan.sex,
                ethnicity=child_plan.ethnicity,
            )
            self._register(child_plan.child)
        actors = {
            user.organisation.council_id: user
            for user in self.users.values()
            if user.organisation
            and user.organisation.council_id
            and user.role in {Role.SOCIAL_WORKER, Role.NOMINATED_OFFICER}
        }
        recorded: list[tuple[_PlacementPlan, Placement]] = []
        # Oldest first, so that recording a move ends the placement before it.
        for plan in sorted(self.placements, key=lambda p: (p.child.ref, p.start)):
            assert plan.child.child is not None and plan.setting and plan.setting.setting
            placement = placement_record(
                actor=actors.get(plan.child.council.ons_code),
                child=plan.child.child,
                setting=plan.setting.setting,
                start_date=plan.start,
                end_date=plan.end,
                place_type=plan.place_type,
                place_provider=_provider_code(plan.setting, plan.child.council),
                home_postcode=plan.child.home.postcode,
                is_emergency=plan.emergency,
                # History is recorded without notices; the current placements owe theirs.
                send_notices=plan.end is None,
            )
            self._register(placement)
            recorded.append((plan, placement))
        self._missing_history(recorded)

    # Missing and away history.

    def _missing_history(self, recorded: list[tuple[_PlacementPlan, Placement]]) -> None:
        """Episodes that ended before the reference date, with their return home interviews,
        so that a fresh demo has a history to show on children's timelines and in the
        evidence pages (Q1, Q2, Q6, Q7).

        Written as records, like the SSDA903 import: no alerts for the past, and no
        interview left outstanding (the worker would escalate it the moment the demo
        starts). Drawn from a random stream of its own, so the children and placements are
        the same as without it."""
        rng = random.Random(f"{self.seed}-missing")  # noqa: S311 - synthetic, reproducible
        staff = self.users["staff.brightwater"]
        actors = {u.organisation_id: u for u in self.users.values() if u.organisation_id}
        fallback = self.users["coordinator.stockport"]
        prone: dict[str, float] = {}
        written: dict[Any, int] = {}
        ends = dict(
            Placement.objects.filter(pk__in=[p.pk for _, p in recorded]).values_list(
                "pk", "end_date"
            )
        )
        in_homes = {p.child.ref for p, _ in recorded if p.place_type == HOME_PLACE_TYPE}
        for plan, placement in recorded:
            child_plan = plan.child
            if child_plan.ref not in prone:
                # A minority of children go missing, some of them very often.
                share = (
                    MISSING_PRONE_IN_HOMES
                    if child_plan.ref in in_homes
                    else MISSING_PRONE_ELSEWHERE
                )
                if _age(child_plan.date_of_birth, self.ref) >= 16:
                    share *= MISSING_PRONE_16_PLUS
                draw = rng.gammavariate(MISSING_RATE_SHAPE, MISSING_RATE_MEAN / MISSING_RATE_SHAPE)
                prone[child_plan.ref] = min(draw, MISSING_RATE_CAP) if rng.random() < share else 0.0
            rate = prone[child_plan.ref]
            # A placement followed by a move was ended when the next was recorded.
            ended = ends[placement.pk] or plan.end
            last_day = min(ended or self.ref, self.ref - dt.timedelta(days=4))
            if rate == 0 or last_day <= plan.start:
                continue
            assert child_plan.child is not None and plan.setting and plan.setting.setting
            # Drawn at the rate for 16 and over, then thinned on the days the child was
            # younger, so the ratio follows the child's age on each day.
            rate *= MISSING_IRR_16_PLUS * _distance_irr(placement.distance_miles)
            if plan.place_type != HOME_PLACE_TYPE:
                rate *= MISSING_IRR_NOT_A_HOME
            days = (last_day - plan.start).days
            count = _poisson(rng, rate * days / 365.25)
            provider = plan.setting.setting.provider
            # The home's staff where the demo has a sign-in at the home, else the placing
            # council's (or, for councils without one, the Stockport coordinator's).
            if provider is not None and provider.pk == staff.organisation_id:
                actor = staff
            else:
                actor = actors.get(self.council_orgs[child_plan.council.dfe_code].pk, fallback)
            starts = sorted(rng.randrange(days) for _ in range(count))
            free_from = dt.datetime.combine(plan.start, dt.time(0), tzinfo=LONDON)
            for offset in starts:
                day = plan.start + dt.timedelta(days=offset)
                if _age(child_plan.date_of_birth, day) < 16 and (
                    rng.random() >= 1 / MISSING_IRR_16_PLUS
                ):
                    continue
                seen = dt.datetime.combine(
                    day, dt.time(rng.randint(14, 23), rng.choice((0, 15, 30, 45))), tzinfo=LONDON
                )
                if seen <= free_from:
                    continue  # one episode at a time
                returned = seen + dt.timedelta(hours=_missing_hours(rng))
                limit = dt.datetime.combine(last_day, dt.time(23, 0), tzinfo=LONDON)
                returned = min(returned, limit)
                if returned <= seen:
                    continue
                free_from = returned + dt.timedelta(hours=1)
                self._history_episode(
                    rng, plan=plan, placement=placement, actor=actor, seen=seen, returned=returned
                )
                written[child_plan.child.pk] = written.get(child_plan.child.pk, 0) + 1
        # Written as records, not through the services: one audit event per child says so,
        # as an SSDA903 import's event does for the rows it writes.
        audit_append_many(
            actor=None,
            verb=AuditVerb.DEMO_HISTORY_RECORDED,
            entries=[
                AuditEntry(obj="demo", child=child_id, payload={"episodes": count})
                for child_id, count in written.items()
            ],
            purpose="Synthetic demo history",
        )

    def _history_episode(
        self,
        rng: random.Random,
        *,
        plan: _PlacementPlan,
        placement: Placement,
        actor: User,
        seen: dt.datetime,
        returned: dt.datetime,
    ) -> None:
        child = plan.child.child
        assert child is not None
        away = rng.random() < SHARE_AWAY
        kind = EpisodeKind.AWAY if away else EpisodeKind.MISSING
        home = plan.child.home
        found_home = (
            not away
            and placement.out_of_area
            and home.council is not None
            and rng.random() < SHARE_FOUND_NEAR_HOME
        )
        found_by = (
            FoundBy.POLICE
            if found_home
            else rng.choice((FoundBy.SELF, FoundBy.SELF, FoundBy.SELF, FoundBy.CARERS))
        )
        episode = Episode.objects.create(
            child=child,
            kind=kind,
            missing_code=SSDA903_MISSING_CODE[kind],
            placement=placement,
            setting_id=placement.setting_id,
            placing_council=child.placing_council,
            host_council_id=placement.host_council_id,
            host_police_force_id=placement.host_police_force_id,
            last_seen_at=seen,
            last_seen_place=rng.choice(LAST_SEEN_PLACES),
            reported_to_police=not away,
            police_alerted=not away,
            reported_at=seen + dt.timedelta(minutes=rng.choice((30, 45, 60, 90, 120))),
            reported_by=actor,
            reported_by_organisation=actor.organisation,
            mis_start=seen.astimezone(LONDON).date(),
            returned_at=returned,
            mis_end=returned.astimezone(LONDON).date(),
            found_council=home.council if found_home else None,
            found_police_force=home.police_force if found_home else None,
            found_outside_host_area=True if found_home else None,
            found_in_other_force_area=(
                (home.police_force is not None)
                and home.police_force.pk != placement.host_police_force_id
                if found_home
                else None
            ),
            found_by=found_by,
            closed_at=returned,
            closed_by=actor,
        )
        self._register(episode)
        if away or rng.random() < SHARE_NO_INTERVIEW_RECORD:
            return
        self._history_interview(rng, episode=episode, actor=actor)

    def _history_interview(self, rng: random.Random, *, episode: Episode, actor: User) -> None:
        """Offered (mostly within 72 hours), then held or declined: never left open."""
        assert episode.returned_at is not None
        service = self.council_orgs[episode.placing_council.dfe_code]
        returned = episode.returned_at
        offered = returned + dt.timedelta(
            hours=rng.uniform(2, 70)
            if rng.random() < SHARE_OFFERED_IN_TIME
            else rng.uniform(73, 200)
        )
        declined = rng.random() < SHARE_DECLINED
        closed = offered + dt.timedelta(hours=rng.uniform(1, 48))
        if closed.date() >= self.ref:
            return  # would still be open on the reference date
        interview = ReturnInterview.objects.create(
            child=episode.child,
            service=service,
            assigned_by_rule="Demo history: the placing council holds return interviews",
            due_at=returned + dt.timedelta(hours=72),
            status=InterviewStatus.DECLINED if declined else InterviewStatus.COMPLETED,
            offered_at=offered,
            declined_at=closed if declined else None,
            declined_reason="Did not want to talk about it" if declined else "",
            completed_at=None if declined else closed,
            interviewer_name="" if declined else "Return interview worker",
            interviewer_organisation=None if declined else service,
            independent=None if declined else rng.random() < SHARE_INDEPENDENT,
            push_factors="" if declined else rng.choice(PUSH_FACTORS),
            pull_factors="" if declined else rng.choice(PULL_FACTORS),
            follow_up_actions="" if declined else rng.choice(FOLLOW_UPS),
            created_by=actor,
        )
        interview.episodes.add(episode)
        events = [
            (
                InterviewStatus.TO_OFFER,
                returned,
                f"Created on return; assigned to organisation {service.id}",
            ),
            (InterviewStatus.OFFERED, offered, ""),
            (interview.status, closed, ""),
        ]
        InterviewEvent.objects.bulk_create(
            InterviewEvent(interview=interview, status=status, at=at, actor=actor, detail=detail)
            for status, at, detail in events
        )
        self._register(interview)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's method; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def _missing_hours(rng: random.Random) -> float:
    """How long an episode lasts: most end the same night, 9 in 10 within two days."""
    draw = rng.random()
    if draw < 0.62:
        return rng.uniform(1, 20)
    if draw < 0.92:
        return rng.uniform(20, 48)
    return rng.uniform(48, 24 * 7)


def _distance_irr(miles: Decimal | None) -> float:
    """The planted incidence-rate ratio for the placement's distance band, as in synthetic
    England (``sightline synth england --distance-irr``)."""
    if miles is None:
        return 1.0
    for upper, irr in zip(DISTANCE_BAND_UPPER_MILES, MISSING_DISTANCE_IRR, strict=False):
        if miles <= upper:
            return irr
    return MISSING_DISTANCE_IRR[-1]


def _depth(placement: _PlacementPlan) -> int:
    depth = 0
    while placement.follows is not None:
        placement = placement.follows
        depth += 1
    return depth


def _provider_code(setting: _SettingPlan, placing: Council) -> str:
    if setting.sector == Sector.PRIVATE:
        return "PR4"
    if setting.sector == Sector.VOLUNTARY:
        return "PR5"
    return "PR1" if setting.council == placing else "PR2"


def _home_name(rng: random.Random) -> str:
    stem, ending = rng.choice(names.HOME_NAME_STEMS), rng.choice(names.HOME_NAME_ENDINGS)
    if stem[-1] == ending[0] or stem + ending == "Hollywood":  # not "Willowwood"
        return ""
    return f"{stem}{ending} {rng.choice(names.HOME_NAME_KINDS)}"


def _unique(used: set[str], make: Any) -> str:
    for _ in range(1000):
        value = make()
        if value not in used:
            used.add(value)
            return str(value)
    raise RuntimeError("Ran out of unique synthetic values; the word lists are too short.")


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _quota(rng: random.Random, n: int, shares: list[tuple[Any, float]]) -> list[Any]:
    """``n`` values in the given shares (largest remainders), shuffled."""
    exact = [(value, share * n) for value, share in shares]
    counts = [int(x) for _, x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i][1] - counts[i], reverse=True)
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    values = [value for (value, _), count in zip(exact, counts, strict=True) for _ in range(count)]
    rng.shuffle(values)
    return values


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, month=3, day=1)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _inbox(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"notices@{slug}.example.invalid"


# --- Reading a data set back ---------------------------------------------------------------


def _rows(dataset: DemoDataset, label: str) -> models.QuerySet[Any]:
    return _MODELS[label]._default_manager.filter(pk__in=dataset.records.get(label, []))


def _councils_involved(dataset: DemoDataset) -> set[str]:
    council_ids = {s.council_id for s in _rows(dataset, "placements.setting")}
    return council_ids | {c.placing_council_id for c in _rows(dataset, "children.child")}


def _organisations_involved(dataset: DemoDataset) -> list[Organisation]:
    """The organisations of the councils and forces involved, and the providers."""
    council_ids = _councils_involved(dataset)
    return list(
        Organisation.objects.filter(
            models.Q(council_id__in=council_ids)
            | models.Q(police_force__councils__ons_code__in=council_ids)
            | models.Q(pk__in=[s.provider_id for s in _rows(dataset, "placements.setting")])
        ).distinct()
    )


def _fingerprint(dataset: DemoDataset) -> str:
    """SHA-256 of the data set's content in a canonical order, without ids or timestamps."""
    organisations = sorted(
        (o.kind, o.name, o.council_id or "", o.police_force_id or "", o.email)
        for o in _organisations_involved(dataset)
    )
    users = sorted(
        (
            u.username,
            u.first_name,
            u.last_name,
            u.email,
            u.role,
            u.organisation.name if u.organisation else "",
            u.is_staff,
            u.is_superuser,
        )
        for u in _rows(dataset, "organisations.user").select_related("organisation")
    )
    settings_ = sorted(
        (
            s.name,
            s.urn,
            s.postcode,
            s.sector,
            s.place_type,
            s.registered_places or 0,
            s.provider.name if s.provider else "",
            s.council_id,
            s.police_force_id,
        )
        for s in _rows(dataset, "placements.setting").select_related("provider")
    )
    children = sorted(
        (
            c.placing_council_id,
            c.child_ref,
            c.first_name,
            c.last_name,
            c.date_of_birth.isoformat(),
            c.sex,
            c.ethnicity,
        )
        for c in _rows(dataset, "children.child")
    )
    placements = sorted(
        (
            p.child.child_ref,
            p.setting.name,
            p.start_date.isoformat(),
            p.end_date.isoformat() if p.end_date else "",
            p.place_type,
            p.place_provider,
            p.home_postcode,
            p.is_emergency,
            p.host_council_id,
            p.host_police_force_id,
            str(p.distance_miles),
            p.out_of_area,
            p.recorded_by.username if p.recorded_by else "",
        )
        for p in _rows(dataset, "placements.placement").select_related(
            "child", "setting", "recorded_by"
        )
    )
    episodes = sorted(
        (
            e.child.child_ref,
            e.missing_code,
            e.last_seen_at.isoformat(),
            e.returned_at.isoformat() if e.returned_at else "",
            e.found_by,
            e.reported_by.username,
        )
        for e in _rows(dataset, "missing.episode").select_related("child", "reported_by")
    )
    interviews = sorted(
        (
            i.child.child_ref,
            i.status,
            i.due_at.isoformat(),
            i.offered_at.isoformat() if i.offered_at else "",
        )
        for i in _rows(dataset, "missing.returninterview").select_related("child")
    )
    content = {
        "seed": dataset.seed,
        "reference_date": dataset.reference_date.isoformat(),
        "organisations": organisations,
        "users": users,
        "settings": settings_,
        "children": children,
        "placements": placements,
        "episodes": episodes,
        "interviews": interviews,
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _share(values: Sequence[bool]) -> float:
    return sum(values) / len(values) if values else 0.0


def _summarise(dataset: DemoDataset, *, password: str, created: bool) -> DemoSummary:
    ref = dataset.reference_date
    placements = list(
        _rows(dataset, "placements.placement").select_related(
            "setting", "setting__council", "child", "child__placing_council", "host_council"
        )
    )
    homes = [
        s
        for s in _rows(dataset, "placements.setting").select_related("council")
        if s.place_type == "K2"
    ]
    in_homes = [p for p in placements if p.end_date is None and p.setting.place_type == "K2"]
    measured = [p for p in placements if p.distance_miles is not None]
    hosted = [p for p in in_homes if p.host_council.dfe_code == HOST_CODE]
    ages = [_age(p.child.date_of_birth, ref) for p in in_homes]
    distances = [float(p.distance_miles or 0) for p in in_homes]
    council_ids = _councils_involved(dataset)
    organisations = _organisations_involved(dataset)
    episodes = list(_rows(dataset, "missing.episode").select_related("child"))
    missing = [e for e in episodes if e.missing_code == "M"]
    calibration = (
        CalibrationFigure(
            "Children in homes placed outside their council",
            TARGET_OUT_OF_AREA,
            _share([p.out_of_area for p in in_homes]),
            "share",
            "Hansard 2018",
        ),
        CalibrationFigure(
            "Placements more than 20 miles from home",
            TARGET_OVER_20_MILES,
            _share([(p.distance_miles or 0) > 20 for p in measured]),
            "share",
            "DfE 2015",
        ),
        CalibrationFigure(
            "Average distance from home, children in homes",
            36.0,
            sum(distances) / len(distances) if distances else 0.0,
            "miles",
            "unverified national figure; a Greater Manchester demo is more local",
        ),
        CalibrationFigure(
            "Children in homes who are boys",
            TARGET_MALE,
            _share([p.child.sex == "M" for p in in_homes]),
            "share",
            "brief",
        ),
        CalibrationFigure(
            "Children in homes aged 16 or 17",
            AGE_BANDS[-1][2],
            _share([a >= 16 for a in ages]),
            "share",
            "brief: 56% of missing incidents are of children aged 16+",
        ),
        CalibrationFigure(
            "Children in homes aged 12 to 17",
            1 - AGE_BANDS[0][2],
            _share([12 <= a <= 17 for a in ages]),
            "share",
            "brief: most children in homes are 12-17",
        ),
        CalibrationFigure(
            "Homes run privately",
            TARGET_PRIVATE,
            _share([s.sector == Sector.PRIVATE for s in homes]),
            "share",
            "Ofsted 2025",
        ),
        CalibrationFigure(
            "Registered places per home",
            TARGET_PLACES_PER_HOME,
            sum(s.registered_places or 0 for s in homes) / len(homes) if homes else 0.0,
            "places",
            "Ofsted 2025",
        ),
        CalibrationFigure(
            "Homes in the North West",
            0.26,
            _share([s.council.region_code == NORTH_WEST for s in homes]),
            "share",
            "Ofsted: 26% of homes nationally; the demo is centred on Greater Manchester",
        ),
        CalibrationFigure(
            "Children in homes placed by North West councils",
            0.18,
            _share([p.child.placing_council.region_code == NORTH_WEST for p in in_homes]),
            "share",
            "DfE: 18% of looked-after children nationally",
        ),
        CalibrationFigure(
            "Children in Stockport homes placed by other councils",
            0.73,
            _share([p.child.placing_council.dfe_code != HOST_CODE for p in hosted]),
            "share",
            "seed: 73% of children missing from Stockport homes",
        ),
        CalibrationFigure(
            "Missing incidents lasting 2 days or less",
            0.90,
            _share(
                [
                    e.returned_at is not None
                    and e.returned_at - e.last_seen_at <= dt.timedelta(days=2)
                    for e in missing
                ]
            ),
            "share",
            "DfE 2022 (brief section 5)",
        ),
        CalibrationFigure(
            "Missing incidents of children aged 16 or over",
            0.56,
            _share([_age(e.child.date_of_birth, e.mis_start) >= 16 for e in missing]),
            "share",
            "DfE CLA 2025 (brief section 5)",
        ),
    )
    users = {
        u.username: u for u in _rows(dataset, "organisations.user").select_related("organisation")
    }
    sign_ins = [
        DemoSignIn(
            username=plan.username,
            password=password,
            role=plan.role,
            organisation_name=str(users[plan.username].organisation),
        )
        for plan in SIGN_IN_PLAN
        if plan.username in users
    ]
    return DemoSummary(
        seed=dataset.seed,
        reference_date=ref,
        created=created,
        fingerprint=dataset.fingerprint,
        councils=len(council_ids),
        police_forces=len(
            set(
                Council.objects.filter(ons_code__in=council_ids).values_list(
                    "police_force_id", flat=True
                )
            )
        ),
        organisations=len(organisations),
        providers=sum(1 for o in organisations if o.kind == OrganisationKind.PROVIDER),
        homes=len(homes),
        registered_places=sum(s.registered_places or 0 for s in homes),
        children=_rows(dataset, "children.child").count(),
        children_in_homes=len(in_homes),
        placements=len(placements),
        ended_placements=sum(1 for p in placements if p.end_date is not None),
        users=len(users),
        missing_episodes=len(missing),
        away_episodes=len(episodes) - len(missing),
        return_interviews=_rows(dataset, "missing.returninterview").count(),
        calibration=calibration,
        sign_ins=sign_ins,
    )


# --- Printing ------------------------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, [("-" * w) for w in widths], *rows]
    ]
    return "\n".join(lines)


def format_sign_ins(summary: DemoSummary) -> str:
    """The demo sign-ins as a table for the terminal."""
    rows = [[s.username, s.password, s.role_label, s.organisation_name] for s in summary.sign_ins]
    return (
        "Demo sign-ins\n\n"
        + _table(["Username", "Password", "Role", "Organisation"], rows)
        + "\n\nThe first time each account signs in, it sets up an authenticator app (scan the"
        " QR code, or type the key shown) and is shown its recovery codes; after that each"
        " sign-in asks for the app's code. Without a phone, print an account's current code"
        " (demo only) with:\n\n    sightline otp code --user USERNAME\n"
    )


def format_summary(summary: DemoSummary) -> str:
    """What was loaded and how it compares with the calibration figures."""
    state = "Loaded" if summary.created else "Kept the already loaded"
    lines = [
        f"{state} demo data set: seed {summary.seed}, reference date "
        f"{summary.reference_date:%d %B %Y}.",
        f"{summary.councils} councils and {summary.police_forces} police forces; "
        f"{summary.organisations} organisations, of which {summary.providers} providers.",
        f"{summary.homes} children's homes with {summary.registered_places} registered places.",
        f"{summary.children} children, {summary.children_in_homes} living in a home now; "
        f"{summary.placements} placements, {summary.ended_placements} of them ended.",
        f"{summary.missing_episodes} missing and {summary.away_episodes} away episodes in the "
        f"history, with {summary.return_interviews} return home interviews.",
        f"{summary.users} demo sign-ins. Fingerprint {summary.fingerprint[:12]}.",
        "",
        "Calibration (brief, section 5)",
        "",
        _table(
            ["Measure", "Target", "Demo", "Source"],
            [
                [c.measure, c.shown(c.target), c.shown(c.achieved), c.source]
                for c in summary.calibration
            ],
        ),
    ]
    return "\n".join(lines)
