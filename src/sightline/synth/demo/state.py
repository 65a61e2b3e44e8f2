"""What the generator knows as it goes: the plans for settings, children and placements
before they are written, the shared random stream, and the draws that keep every seed on its
targets (quotas, not coin tosses).

The generator's steps (``people``, ``homes``, ``placements``, ``history``) each add to one
``_State``; they run in a fixed order over sorted inputs, so the same seed gives the same data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.hashers import make_password
from django.db import models

from sightline.children.models import Child
from sightline.geography.models import Council
from sightline.geography.selectors import (
    PostcodePlace,
    distance_between,
    postcode_place,
    sample_postcodes,
)
from sightline.organisations.models import Organisation, User
from sightline.placements.models import Setting
from sightline.synth.demo.plan import UNSUITABLE_OUTWARD_CODES


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


class _State:
    """The generator's state, shared by its steps."""

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
        self.grade_lists: list[tuple[dt.date, dict[str, Any]]] = []

    def _register(self, obj: models.Model) -> None:
        self.records[obj._meta.label_lower].append(str(obj.pk))

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


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))
