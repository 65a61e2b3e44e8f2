"""Councils over time, postcode pools and provider locations for the synthetic England.

The generator simulates the 153 children's services councils current today ("units") and
reports each child, in each collection year, under the council that existed then: Cumbria
(909) for Cumberland (942) and Westmorland and Furness (943) up to 2022-23; Northamptonshire
(928) for North and West Northamptonshire (940, 941) up to 2020-21; the old Dorset (835),
Poole (836) and Bournemouth (837) for Dorset (838) and Bournemouth, Christchurch and Poole
(839) up to 2018-19. North Yorkshire (815) and Somerset (933) kept their three-digit codes
when they became unitary in April 2023, and Barnsley (370) and Sheffield (373) kept theirs
when their ONS codes changed in May 2025, so their folders do not change name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from sightline.geography import postcodes
from sightline.geography.derive import district_councils
from sightline.geography.models import Council

__all__ = [
    "PREDECESSORS",
    "PostcodePools",
    "Unit",
    "council_names",
    "current_units",
    "postcode_pools",
    "reporting_codes",
]

#: unit DfE code -> (last collection year of the predecessor, predecessor DfE code).
PREDECESSORS: dict[str, tuple[int, str]] = {
    "942": (2023, "909"),
    "943": (2023, "909"),
    "940": (2021, "928"),
    "941": (2021, "928"),
    "838": (2019, "835"),
    "839": (2019, "837"),  # Bournemouth; Poole and Christchurch by postcode, below
}
# Before April 2019 BCP's area was Bournemouth (837), Poole (836) and Christchurch, a district
# of the old Dorset (835). The ONS directory codes it all as BCP now, so the generator splits
# it by postcode district: an approximation at the edges (documented).
_POOLE = {"BH12", "BH13", "BH14", "BH15", "BH16", "BH17"}
_CHRISTCHURCH = {"BH23"}

POOL_SIZE = 4000


@dataclass(frozen=True)
class Unit:
    """A children's services council current today, simulated over the whole period."""

    index: int
    ons_code: str
    dfe_code: str
    name: str
    region_name: str


def current_units() -> list[Unit]:
    """The English councils with a DfE code that exist today, in DfE-code order."""
    rows = (
        Council.objects.filter(country="E", is_current=True)
        .exclude(dfe_code="")
        .order_by("dfe_code", "ons_code")
        .values_list("ons_code", "dfe_code", "name", "region_name")
    )
    return [
        Unit(index=i, ons_code=ons, dfe_code=dfe, name=name, region_name=region)
        for i, (ons, dfe, name, region) in enumerate(rows)
    ]


def council_names() -> dict[str, tuple[str, bool, str]]:
    """Normalised council name -> (ONS code, is current, successor codes), for matching the
    Ofsted register's "Local authority" names."""
    found: dict[str, tuple[str, bool, str]] = {}
    for ons, name, current, successors in Council.objects.filter(country="E").values_list(
        "ons_code", "name", "is_current", "successor_codes"
    ):
        key = normalise_name(name)
        if key not in found or current:
            found[key] = (ons, current, successors)
    return found


def normalise_name(name: str) -> str:
    text = name.lower().replace("&", "and")
    text = re.sub(r",\s*(city|county) of$", "", text)
    text = re.sub(r"^(city|county) of\s+", "", text)
    return re.sub(r"[^a-z]+", " ", text).strip()


def reporting_codes(unit_codes: np.ndarray, years: int, outward: np.ndarray) -> np.ndarray:
    """The DfE code each child was reported under in collection year ``years``."""
    result = unit_codes.astype(object).copy()
    for unit, (last_year, old) in PREDECESSORS.items():
        if years > last_year:
            continue
        mask = unit_codes == unit
        result[mask] = old
        if unit == "839":
            result[mask & np.isin(outward, list(_POOLE))] = "836"
            result[mask & np.isin(outward, list(_CHRISTCHURCH))] = "835"
    return result


def councils_in_year(unit_codes: list[str], year: int) -> list[str]:
    """The DfE codes that make a return for ``year`` among the given units."""
    found = set(
        reporting_codes(np.array(unit_codes, dtype=object), year, np.array([""] * len(unit_codes)))
    )
    if year <= PREDECESSORS["839"][0] and "839" in unit_codes:
        found |= {"835", "836", "837"}
    return sorted(found)


@dataclass(frozen=True)
class PostcodePools:
    """For each unit, a sorted sample of its real postcodes with grid references."""

    postcode: list[np.ndarray]
    easting: list[np.ndarray]
    northing: list[np.ndarray]
    centroid: np.ndarray  # (units, 2) mean easting, northing


def postcode_pools(units: list[Unit], rng: np.random.Generator) -> PostcodePools:
    """Sample up to POOL_SIZE postcodes per unit from the ONS directory (sorted first, so the
    same seed gives the same pools everywhere)."""
    districts = district_councils()
    wanted = set(
        districts.filter(pl.col("council_ons_code").is_in([u.ons_code for u in units]))["district"]
    )
    frame = postcodes.lookup_many(postcodes.postcodes_in_districts(wanted))
    frame = (
        frame.filter(pl.col("easting").is_not_null())
        .join(districts.select("district", "council_ons_code"), on="district", how="inner")
        .sort("key")
    )
    by_council = frame.partition_by("council_ons_code", as_dict=True)
    pools_pc: list[np.ndarray] = []
    pools_e: list[np.ndarray] = []
    pools_n: list[np.ndarray] = []
    centroid = np.zeros((len(units), 2))
    for unit in units:
        part = by_council[(unit.ons_code,)]
        size = min(POOL_SIZE, part.height)
        chosen = np.sort(rng.choice(part.height, size=size, replace=False))
        part = part[chosen]
        pools_pc.append(part["key"].to_numpy().astype(object))
        pools_e.append(part["easting"].to_numpy().astype(np.float64))
        pools_n.append(part["northing"].to_numpy().astype(np.float64))
        centroid[unit.index] = (pools_e[-1].mean(), pools_n[-1].mean())
    return PostcodePools(pools_pc, pools_e, pools_n, centroid)
