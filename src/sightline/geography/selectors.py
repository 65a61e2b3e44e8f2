"""Reads over the reference geography: where a postcode is, how far apart two are, which
council a code means, and real postcodes to put synthetic homes at."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from sightline.core.errors import ValidationError
from sightline.geography import derive, postcodes
from sightline.geography.models import Council, District, PoliceForce

__all__ = [
    "Distance",
    "PostcodePlace",
    "council_by_code",
    "distance_between",
    "postcode_place",
    "sample_postcodes",
]

_DFE_CODE_RE = re.compile(r"[0-9]{3}")
_ONS_CODE_RE = re.compile(r"[EW][0-9]{8}")


@dataclass(frozen=True)
class PostcodePlace:
    """A postcode and the district, council and police force it lies in.

    Outside England and Wales (Scotland, Northern Ireland, the Channel Islands, the Isle of
    Man) and for the few postcodes the directory gives no district, ``district``, ``council``
    and ``police_force`` are None and ``in_england_or_wales`` is False; ``district_code``
    still says what the directory gave (S12000036, N09000003, L99999999...).
    """

    postcode: str
    district: District | None
    council: Council | None
    police_force: PoliceForce | None
    easting: int | None
    northing: int | None
    in_england_or_wales: bool
    district_code: str | None = None


@dataclass(frozen=True)
class Distance:
    """A straight-line distance, with miles and km rounded to one place as the DfE does."""

    metres: float
    miles: Decimal
    km: Decimal


def postcode_place(*, postcode: str) -> PostcodePlace:
    """Resolve a postcode to its place. Raises PostcodeError if malformed or unknown."""
    entry = postcodes.lookup(postcode)
    code = entry.district_code
    district: District | None = None
    if code is not None and code[:1] in ("E", "W"):
        district = (
            District.objects.select_related("council", "police_force").filter(code=code).first()
        )
        if district is None:
            # Every English and Welsh district in the directory is in districts.csv (a test
            # checks), so this means the reference data were never loaded into this database.
            raise RuntimeError(
                f"District {code} is not in the reference data. Run `sightline geography load`."
            )
    return PostcodePlace(
        postcode=entry.postcode,
        district=district,
        council=district.council if district else None,
        police_force=district.police_force if district else None,
        easting=entry.easting,
        northing=entry.northing,
        in_england_or_wales=district is not None,
        district_code=code,
    )


def distance_between(*, a: PostcodePlace, b: PostcodePlace) -> Distance:
    """Straight-line distance on the OS grid, as the DfE derives PL_DISTANCE.

    The scalar form of ``geography.derive`` (metres / 1609.3 rounded half up to one place),
    so the figure is the one in an SSDA903 return and in the evidence extract (SK4 2AB to
    SW1A 1AA: 157.9 miles, 254.1 km). Raises PostcodeError if
    either postcode has no grid reference, or only one is in Northern Ireland (whose grid
    references are on the Irish Grid, which cannot be compared with the British one).
    """
    for place in (a, b):
        if place.easting is None or place.northing is None:
            raise postcodes.PostcodeError(
                f'The ONS Postcode Directory has no grid reference for "{place.postcode}", '
                "so we cannot measure a distance to it."
            )
    if _irish_grid(a) != _irish_grid(b):
        raise postcodes.PostcodeError(
            f'We cannot measure the distance between "{a.postcode}" and "{b.postcode}": '
            "Northern Ireland postcodes use a different grid from the rest of the UK."
        )
    assert a.easting is not None and a.northing is not None
    assert b.easting is not None and b.northing is not None
    squared = derive.squared_metres(
        a_easting=a.easting, a_northing=a.northing, b_easting=b.easting, b_northing=b.northing
    )
    return Distance(metres=math.sqrt(squared), miles=derive.miles(squared), km=derive.km(squared))


def council_by_code(*, code: str) -> Council:
    """The council a code means: a DfE three-digit code (356), an ONS code (E08000007) or a
    later ONS code for the same council (Barnsley's E08000038).

    A three-digit code re-used after a reorganisation (815 North Yorkshire, 933 Somerset)
    means the current council. Raises ValidationError if no council has the code.
    """
    cleaned = code.strip().upper()
    found: Council | None = None
    if _DFE_CODE_RE.fullmatch(cleaned):
        found = Council.objects.filter(dfe_code=cleaned).order_by("-is_current").first()
    elif _ONS_CODE_RE.fullmatch(cleaned):
        found = Council.objects.filter(ons_code=cleaned).first()
        if found is None:
            found = next(
                (
                    council
                    for council in Council.objects.filter(alias_codes__contains=cleaned)
                    if cleaned in council.alias_codes.split()
                ),
                None,
            )
    if found is None:
        shown = code.strip()[:20]
        raise ValidationError(
            f'We do not know a council with the code "{shown}". Use its three-digit DfE code, '
            "like 356, or its ONS code, like E08000007.",
            field="council",
        )
    return found


def sample_postcodes(*, council: Council, k: int, rng: random.Random) -> list[str]:
    """``k`` different real postcodes in the council's area, chosen with ``rng``.

    The candidates are sorted before sampling, so the same seed gives the same postcodes on
    every machine. Raises ValidationError for a council with no districts (one abolished by
    a reorganisation) or fewer than ``k`` postcodes.
    """
    codes = set(council.districts.values_list("code", flat=True))
    if not codes:
        raise ValidationError(
            f"{council.name} ({council.ons_code}) has no districts of its own now, so it has "
            "no postcodes to choose from.",
            field="council",
        )
    candidates = sorted(postcodes.postcodes_in_districts(codes))
    if not 0 <= k <= len(candidates):
        raise ValidationError(
            f"Choose between 0 and {len(candidates)} postcodes in {council.name}, not {k}.",
            field="k",
        )
    return rng.sample(candidates, k)


def _irish_grid(place: PostcodePlace) -> bool:
    return (place.district_code or "").startswith("N")
