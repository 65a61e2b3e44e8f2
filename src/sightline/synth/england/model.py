"""The simulation: children, periods of care, placements and missing incidents.

One ``numpy.random.Generator(seed)`` draws everything, in a fixed order, over sorted inputs,
so the same seed and options give byte-identical files. Days are integers counted from
1 January 1970. See ``docs/synthetic-england.md`` for the model and its calibration.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sightline.core.errors import ValidationError
from sightline.geography.derive import METRES_PER_MILE, miles_expr, squared_metres_expr
from sightline.synth.england.aggregates import Aggregates, calibration_source
from sightline.synth.england.geo import (
    PREDECESSORS,
    PostcodePools,
    Unit,
    council_names,
    current_units,
    normalise_name,
    postcode_pools,
)
from sightline.synth.england.reference import OfstedProvider

__all__ = [
    "AGE_BANDS",
    "DISTANCE_BANDS",
    "GROUPS",
    "EnglandConfig",
    "Simulation",
    "simulate",
]

# Relative weights of the 903 ETHNIC codes among looked-after children (roughly the DfE's
# national shares; WIRI, White Irish, is too rare to draw). Every key is a code of the
# return's list, `returns.schema.ETHNIC_CODES` (tested).
ETHNIC_WEIGHTS: dict[str, float] = {
    "WBRI": 0.70,
    "WOTH": 0.04,
    "WIRT": 0.003,
    "WROM": 0.007,
    "MWBC": 0.035,
    "MWBA": 0.015,
    "MWAS": 0.02,
    "MOTH": 0.03,
    "AIND": 0.005,
    "APKN": 0.015,
    "ABAN": 0.006,
    "AOTH": 0.02,
    "BCRB": 0.015,
    "BAFR": 0.03,
    "BOTH": 0.01,
    "CHNE": 0.002,
    "OOTH": 0.03,
    "REFU": 0.002,
    "NOBT": 0.005,
}
EPOCH = dt.date(1970, 1, 1)
YEAR_DAYS = 365.25
FIRST_SUPPORTED = 2025  # K3 from 2024-25
P2_LAST_DAY = (dt.date(2023, 10, 27) - EPOCH).days

#: Placement groups of the planted model (and the DfE's national tables).
GROUPS = ("foster", "home", "supported", "parents", "other", "adoption")
FOSTER, HOME, SUPPORTED, PARENTS, OTHER, ADOPTION = range(6)
#: Age bands of the planted model: age in whole years on the row's first day.
AGE_BANDS = ((0, 9), (10, 12), (13, 15), (16, 17))
#: Distance bands: upper bounds in miles (inclusive), PL_DISTANCE rounded to 0.1 as the DfE.
DISTANCE_BANDS = (5.0, 10.0, 20.0, 50.0, math.inf)
DISTANCE_LABELS = ("0-5", "5-10", "10-20", "20-50", "over 50")

# Age at entry to care (DfE starters, 2024: under 1 19%, 1-4 14%, 5-9 16%, 10-15 36%, 16+ 15%).
_ENTRY_BANDS = (
    (0.0, 1.0, 0.19),
    (1.0, 5.0, 0.14),
    (5.0, 10.0, 0.16),
    (10.0, 16.0, 0.36),
    (16.0, 17.9, 0.15),
)
# Placement type by age at the start of a placement: foster, home, supported, parents, other.
_GROUP_BY_AGE = (
    (1.0, (0.86, 0.0, 0.0, 0.05, 0.09)),
    (5.0, (0.90, 0.01, 0.0, 0.08, 0.01)),
    (10.0, (0.86, 0.04, 0.0, 0.08, 0.02)),
    (13.0, (0.72, 0.16, 0.0, 0.07, 0.05)),
    (16.0, (0.58, 0.27, 0.0, 0.06, 0.09)),
    (99.0, (0.36, 0.20, 0.34, 0.04, 0.06)),
)
# Placed outside the council, and over 20 miles given outside, by group (DfE 2024 at 31
# March); the far share is scaled down for earlier years (18% of all over 20 miles in 2015).
_P_OUT = {FOSTER: 0.30, HOME: 0.67, SUPPORTED: 0.40, PARENTS: 0.15, OTHER: 0.60}
_P_FAR = {FOSTER: 0.08, HOME: 0.45, SUPPORTED: 0.06, PARENTS: 0.10, OTHER: 0.25}
# Missing-period length in days (MIS_END - MIS_START): DfE 2024 durations.
_DURATION_DAYS = (
    (0, 0, 0.333),
    (1, 2, 0.566),
    (3, 7, 0.079),
    (8, 10, 0.008),
    (11, 20, 0.007),
    (21, 30, 0.002),
    (31, 60, 0.005),
)


@dataclass(frozen=True)
class EnglandConfig:
    """Options of one run. ``councils`` limits the simulated councils (DfE codes; a former
    council's code means its successors); ``scale`` multiplies every population."""

    seed: int
    first_year: int = 2015
    last_year: int = 2025
    scale: float = 1.0
    councils: tuple[str, ...] | None = None
    distance_irr: tuple[float, ...] = (1.0, 1.1, 1.25, 1.5, 1.8)
    age_irr: tuple[float, ...] = (0.02, 0.3, 1.0, 2.0)
    female_irr: float = 0.9
    group_irr: tuple[float, ...] = (1.0, 6.0, 5.0, 1.5, 4.0, 0.0)
    frailty_shape: float = 0.12
    away_share_under_16: float = 0.055
    away_share_16_plus: float = 0.135
    missing_incidents_target: float = 86900.0
    calibration_year: int = 2025
    #: A folder of published files to calibrate to; None: the figures shipped in the package.
    reference_dir: Path | None = None

    def check(self) -> None:
        if not 2015 <= self.first_year <= self.last_year <= 2026:
            raise ValidationError(
                "Choose collection years from 2015 to 2026, the first no later than the last.",
                field="years",
            )
        if not 0 < self.scale <= 1:
            raise ValidationError("Choose a scale above 0 and at most 1.", field="scale")
        if len(self.distance_irr) != len(DISTANCE_BANDS) or min(self.distance_irr) <= 0:
            raise ValidationError(
                f"Give {len(DISTANCE_BANDS)} positive incidence-rate ratios, one per distance "
                "band (0-5, 5-10, 10-20, 20-50, over 50 miles).",
                field="distance-irr",
            )


def year_start(year: int) -> int:
    """First day (1 April) of the collection year ending 31 March ``year``."""
    return (dt.date(year - 1, 4, 1) - EPOCH).days


def year_end(year: int) -> int:
    """Last day (31 March) of the collection year."""
    return (dt.date(year, 3, 31) - EPOCH).days


@dataclass
class Simulation:
    """Everything generated, as flat arrays (one entry per child, episode or incident)."""

    config: EnglandConfig
    units: list[Unit]
    simulated: list[int]
    # children
    child_id: np.ndarray
    child_unit: np.ndarray
    sex_male: np.ndarray
    dob: np.ndarray
    ethnic: np.ndarray
    upn: np.ndarray
    mother: np.ndarray
    home_post: np.ndarray
    home_e: np.ndarray
    home_n: np.ndarray
    cin: np.ndarray
    # episodes (sorted by child, start)
    ep_child: np.ndarray
    ep_start: np.ndarray
    ep_end: np.ndarray  # exclusive day the next episode starts or the child leaves
    ep_open: np.ndarray  # still open at the end of the last year
    ep_rne: np.ndarray
    ep_ls: np.ndarray
    ep_group: np.ndarray
    ep_place: np.ndarray
    ep_provider: np.ndarray
    ep_pl_post: np.ndarray
    ep_urn: np.ndarray
    ep_pl_unit: np.ndarray  # the unit (council) of PL_POST; -1 where no placement postcode
    ep_miles: np.ndarray
    ep_rec: np.ndarray
    ep_reason: np.ndarray
    # incidents
    mi_child: np.ndarray
    mi_kind: np.ndarray
    mi_start: np.ndarray
    mi_end: np.ndarray
    truth: dict[str, object]
    # the Ofsted settings children are placed in, by kind (``_Providers.kind``): what the
    # synthetic register of providers lists (``register.py``)
    providers: dict[str, dict[str, np.ndarray]]


def _band(values: np.ndarray, upper: tuple[float, ...]) -> np.ndarray:
    return np.searchsorted(np.array(upper), values, side="left")


def _age_band(age_years: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.array([b[1] for b in AGE_BANDS[:-1]]), age_years, side="right")


def _miles(e1: np.ndarray, n1: np.ndarray, e2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """PL_DISTANCE as ``geography.derive`` derives it, so the miles planted in the model are
    the ones a return's reader derives again from the postcodes written out."""
    grid = pl.DataFrame({"e1": e1, "n1": n1, "e2": e2, "n2": n2})
    squared = squared_metres_expr(
        a_easting=pl.col("e1"),
        a_northing=pl.col("n1"),
        b_easting=pl.col("e2"),
        b_northing=pl.col("n2"),
    )
    return grid.select(miles_expr(squared).alias("miles"))["miles"].to_numpy()


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    draw = rng.random((probs.shape[0], 1))
    return np.minimum((draw > cum).sum(axis=1), probs.shape[1] - 1)


def _upn(rng: np.random.Generator, la: np.ndarray) -> np.ndarray:
    """Unique pupil numbers: check letter, 3-digit LA, 4-digit school, 2-digit year, serial."""
    letters = "ABCDEFGHJKLMNPQRTUVWXYZ"
    size = len(la)
    digits = np.zeros((size, 12), dtype=np.int64)
    la_num = np.array([int(x) for x in la], dtype=np.int64)
    digits[:, 0] = la_num // 100
    digits[:, 1] = la_num // 10 % 10
    digits[:, 2] = la_num % 10
    digits[:, 3:] = rng.integers(0, 10, size=(size, 9))
    check = (digits * np.arange(2, 14)).sum(axis=1) % 23
    body = ["".join(map(str, row)) for row in digits]
    return np.array([letters[c] + b for c, b in zip(check, body, strict=True)], dtype=object)


class _Providers:
    """Real Ofsted settings by kind, each with a council and a fixed postcode."""

    def __init__(
        self,
        providers: list[OfstedProvider],
        units: list[Unit],
        pools: PostcodePools,
        rng: np.random.Generator,
    ) -> None:
        names = council_names()
        by_ons = {u.ons_code: u.index for u in units}
        kinds = {
            "children's home": "K2",
            "secure children's home": "K1",
            "residential family centre": "R3",
            "residential special school": "S1",
            "independent fostering agency": "IFA",
        }
        rows: dict[str, list[tuple[str, int, str, int]]] = {k: [] for k in kinds.values()}
        for provider in sorted(providers, key=lambda p: p.urn):
            kind = kinds.get(provider.provision_type.lower())
            if kind is None or provider.sector == "Health Authority":
                continue
            match = names.get(normalise_name(provider.local_authority))
            if match is None:
                continue
            ons, current, successors = match
            if not current:
                options = successors.split()
                ons = options[int(provider.urn[-1], 36) % len(options)] if options else ons
            unit = by_ons.get(ons)
            if unit is None:
                continue
            rows[kind].append((provider.urn, unit, provider.sector, max(provider.places, 1)))
        self.kind: dict[str, dict[str, np.ndarray]] = {}
        for kind, found in rows.items():
            unit_arr = np.array([r[1] for r in found], dtype=np.int64)
            post_index = np.array(
                [rng.integers(0, len(pools.postcode[u])) for u in unit_arr], dtype=np.int64
            )
            self.kind[kind] = {
                "urn": np.array([r[0] for r in found], dtype=object),
                "unit": unit_arr,
                "sector": np.array([r[2] for r in found], dtype=object),
                "places": np.array([r[3] for r in found], dtype=np.float64),
                "post": np.array(
                    [pools.postcode[u][i] for u, i in zip(unit_arr, post_index, strict=True)],
                    dtype=object,
                ),
                "e": np.array(
                    [pools.easting[u][i] for u, i in zip(unit_arr, post_index, strict=True)]
                ),
                "n": np.array(
                    [pools.northing[u][i] for u, i in zip(unit_arr, post_index, strict=True)]
                ),
            }


def _entry_rates(national: dict[int, int], years: np.ndarray, rng_seed: int) -> np.ndarray:
    """Entries per year (England) so that the stock at each 31 March meets the published
    figure: stock(y) = sum over entry years e of entries(e) * A(y - e), where A is the
    chance a child who entered during a year is still looked after j years later."""
    rng = np.random.default_rng(rng_seed)
    sample = 200_000
    age, length = _draw_age_and_length(rng, sample)
    stay = np.minimum(length, (18.0 - age) * YEAR_DAYS)
    offset = rng.random(sample) * YEAR_DAYS  # days from entry to the year's 31 March
    horizon = len(years)
    kept = np.array(
        [np.mean(stay > offset + j * YEAR_DAYS) for j in range(horizon)], dtype=np.float64
    )
    known = sorted(national)
    target = np.array([national[min(max(y, known[0]), known[-1])] for y in years], dtype=np.float64)
    rates = np.zeros(horizon)
    # Before the first published year, assume a steady state.
    steady = target[0] / kept.sum()
    for i in range(horizon):
        carried = sum(
            (rates[e] if e >= 0 else steady) * kept[i - e]
            for e in range(i - horizon, i)
            if i - e < horizon
        )
        rates[i] = max((target[i] - carried) / kept[0], 0.5 * steady)
    return rates


def _draw_age_and_length(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Age at entry (years) and intended length of the period of care (days)."""
    probs = np.array([b[2] for b in _ENTRY_BANDS])
    band = rng.choice(len(_ENTRY_BANDS), size=size, p=probs / probs.sum())
    low = np.array([b[0] for b in _ENTRY_BANDS])[band]
    high = np.array([b[1] for b in _ENTRY_BANDS])[band]
    age = low + rng.random(size) * (high - low)
    short = rng.random(size) < 0.2
    length = np.where(
        short,
        rng.exponential(110.0, size) + 1,
        rng.lognormal(math.log(2.4 * YEAR_DAYS), 0.9, size),
    )
    return age, np.ceil(length)


def simulate(config: EnglandConfig) -> Simulation:
    """Draw a synthetic England, in named steps.

    Every step draws from the one random stream, in the order below: the order is part of
    the output (same seed, same files), so a new draw goes at the end of a step, never in
    the middle of another's.
    """
    config.check()
    reference = calibration_source(config.reference_dir)
    rng = np.random.default_rng(config.seed)
    units = current_units()
    simulated = _simulated_units(config, units)
    pools = postcode_pools(units, rng)
    providers = _Providers(reference.ofsted_providers(), units, pools, rng)
    share = _population_share(reference, units)
    children = _draw_children(
        config,
        reference,
        rng,
        units=units,
        simulated=simulated,
        share=share,
        pools=pools,
        providers=providers,
    )
    care = _draw_care_episodes(rng, children)
    placed = _draw_placements(
        rng,
        units=units,
        share=share,
        pools=pools,
        providers=providers,
        children=children,
        care=care,
    )
    ep_rec, ep_reason, ep_open = _draw_leaving(rng, config, children, care, placed)
    missing = _draw_missing(
        rng,
        config,
        simulated=simulated,
        share=share,
        children=children,
        care=care,
        placed=placed,
    )
    truth = _truth(config, missing.baseline, missing.population, simulated, units)
    return Simulation(
        config=config,
        units=units,
        simulated=simulated,
        child_id=children.child_id,
        child_unit=children.child_unit,
        sex_male=children.sex_male,
        dob=children.dob,
        ethnic=children.ethnic,
        upn=children.upn,
        mother=children.mother,
        home_post=children.home_post,
        home_e=children.home_e,
        home_n=children.home_n,
        cin=children.cin,
        ep_child=care.ep_child,
        ep_start=care.ep_start,
        ep_end=care.ep_end,
        ep_open=ep_open,
        ep_rne=care.ep_rne.astype(object),
        ep_ls=_placed_with_parents_on_an_order(care, placed),
        ep_group=placed.ep_group,
        ep_place=placed.ep_place,
        ep_provider=placed.ep_provider,
        ep_pl_post=placed.ep_pl_post,
        ep_urn=placed.ep_urn,
        ep_pl_unit=placed.ep_pl_unit,
        ep_miles=placed.ep_miles,
        ep_rec=ep_rec,
        ep_reason=ep_reason,
        mi_child=missing.mi_child,
        mi_kind=missing.mi_kind,
        mi_start=missing.mi_start,
        mi_end=missing.mi_end,
        truth=truth,
        providers=providers.kind,
    )


def _simulated_units(config: EnglandConfig, units: list[Unit]) -> list[int]:
    """The councils to simulate: all, or those named (a former council's code means its
    successors)."""
    by_dfe: dict[str, list[int]] = {}
    for unit in units:
        by_dfe.setdefault(unit.dfe_code, []).append(unit.index)
    for unit_code, (_, old) in PREDECESSORS.items():
        by_dfe.setdefault(old, []).extend(by_dfe.get(unit_code, []))
    by_dfe["837"] = by_dfe.get("839", [])
    by_dfe["836"] = by_dfe.get("839", [])
    if config.councils:
        unknown = [c for c in config.councils if c not in by_dfe]
        if unknown:
            raise ValidationError(
                f"We do not know the council code {unknown[0]}. Use three-digit DfE codes of "
                "English councils, like 356,352.",
                field="councils",
            )
        simulated = sorted({i for c in config.councils for i in by_dfe[c]})
    else:
        simulated = [u.index for u in units]
    return simulated


def _population_share(reference: Aggregates, units: list[Unit]) -> np.ndarray:
    """Each council's share of the children looked after on 31 March (5 where unknown)."""
    council_counts = reference.council_cla_31_march()
    counts = np.array([council_counts.get(u.ons_code, 5) for u in units], dtype=np.float64)
    return counts / counts.sum()


@dataclass(frozen=True)
class _Children:
    """One entry per child: the period of care, who the child is and the family home."""

    child_unit: np.ndarray
    start: np.ndarray
    end: np.ndarray
    dob: np.ndarray
    age: np.ndarray
    at_18: np.ndarray
    child_id: np.ndarray
    sex_male: np.ndarray
    ethnic: np.ndarray
    upn: np.ndarray
    mother: np.ndarray
    cin: np.ndarray
    home_post: np.ndarray
    home_e: np.ndarray
    home_n: np.ndarray


def _draw_children(
    config: EnglandConfig,
    reference: Aggregates,
    rng: np.random.Generator,
    *,
    units: list[Unit],
    simulated: list[int],
    share: np.ndarray,
    pools: PostcodePools,
    providers: _Providers,
) -> _Children:
    """Entries into care by council and year, each child's age, period of care and family
    home (never at a provider's postcode)."""
    first_entry_year = config.first_year - 19
    years = np.arange(first_entry_year, config.last_year + 1)
    rates = _entry_rates(reference.national_cla_31_march(), years, config.seed)
    n_units = len(simulated)
    expected = np.outer(share[simulated], rates) * config.scale
    entries = rng.poisson(expected)  # (units, years)
    child_unit = np.repeat(np.repeat(simulated, len(years)), entries.ravel())
    entry_year = np.repeat(np.tile(years, n_units), entries.ravel())
    n = len(child_unit)
    starts = np.array([year_start(int(y)) for y in years])
    start = starts[entry_year - first_entry_year] + rng.integers(0, 365, size=n)
    age, length = _draw_age_and_length(rng, n)
    dob = start - np.floor(age * YEAR_DAYS).astype(np.int64)
    birthday18 = np.array(
        [
            (_add_years(d, 18) - EPOCH).days
            for d in (EPOCH + dt.timedelta(days=int(x)) for x in dob)
        ],
        dtype=np.int64,
    )
    end = np.minimum(start + length.astype(np.int64), birthday18)
    at_18 = end == birthday18
    first_day = year_start(config.first_year)
    last_day = year_end(config.last_year)
    keep = (end > first_day) & (start <= last_day)
    order = np.lexsort((start, child_unit))
    order = order[keep[order]]
    child_unit, start, end, dob, age, at_18 = (
        child_unit[order],
        start[order],
        end[order],
        dob[order],
        age[order],
        at_18[order],
    )
    n = len(child_unit)
    unit_dfe = np.array([units[u].dfe_code for u in child_unit], dtype=object)
    serial = np.zeros(n, dtype=np.int64)
    for unit_index in simulated:
        mask = child_unit == unit_index
        serial[mask] = np.arange(1, mask.sum() + 1)
    child_id = np.array(
        [f"{d}{s:06d}" for d, s in zip(unit_dfe, serial, strict=True)], dtype=object
    )
    sex_male = rng.random(n) < 0.56
    ethnic_codes = np.array(list(ETHNIC_WEIGHTS), dtype=object)
    ethnic_p = np.array(list(ETHNIC_WEIGHTS.values()))
    ethnic = ethnic_codes[rng.choice(len(ethnic_codes), size=n, p=ethnic_p / ethnic_p.sum())]
    upn = _upn(rng, unit_dfe)
    mother = np.where(sex_male, "", "0").astype(object)
    cin = np.array(["N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"], dtype=object)[
        rng.choice(8, size=n, p=[0.64, 0.03, 0.03, 0.08, 0.14, 0.02, 0.005, 0.055])
    ]
    home_index = np.array([rng.integers(0, len(pools.postcode[u])) for u in child_unit])
    # No family lives at a provider's postcode: PL_POST must differ from HOME_POST (392d).
    taken = {post for table in providers.kind.values() for post in table["post"]}
    for i in range(n):
        pool = pools.postcode[child_unit[i]]
        while pool[home_index[i]] in taken:
            home_index[i] = (home_index[i] + 1) % len(pool)
    home_post = np.array(
        [pools.postcode[u][i] for u, i in zip(child_unit, home_index, strict=True)], dtype=object
    )
    home_e = np.array([pools.easting[u][i] for u, i in zip(child_unit, home_index, strict=True)])
    home_n = np.array([pools.northing[u][i] for u, i in zip(child_unit, home_index, strict=True)])

    return _Children(
        child_unit=child_unit,
        start=start,
        end=end,
        dob=dob,
        age=age,
        at_18=at_18,
        child_id=child_id,
        sex_male=sex_male,
        ethnic=ethnic,
        upn=upn,
        mother=mother,
        cin=cin,
        home_post=home_post,
        home_e=home_e,
        home_n=home_n,
    )


@dataclass(frozen=True)
class _CareEpisodes:
    """One entry per SSDA903 episode: whose it is, when, why it began, the legal status;
    ``spell`` numbers the placements (an episode that is not a move stays in its spell)."""

    legal: np.ndarray  # per child: 0 C2, 1 C1 then C2, 2 V2
    ep_child: np.ndarray
    ep_start: np.ndarray
    ep_end: np.ndarray
    next_same: np.ndarray
    placement_change: np.ndarray
    spell: np.ndarray
    adoption_starts: np.ndarray
    ep_rne: np.ndarray
    ep_ls: np.ndarray


def _draw_care_episodes(rng: np.random.Generator, children: _Children) -> _CareEpisodes:
    """Legal status, adoption and placement moves, cut into episodes at every change."""
    start, end, age, at_18 = children.start, children.end, children.age, children.at_18
    n = len(start)
    # Legal status and the end of care ----------------------------------------------------
    legal = rng.choice(3, size=n, p=[0.45, 0.25, 0.30])  # C2, C1 then C2, V2
    legal_change = np.where(legal == 1, start + rng.integers(60, 300, size=n), -1)
    adopted = (age < 4) & ~at_18 & (end - start > 120) & (rng.random(n) < 0.45)
    adoption_day = np.where(adopted, end - rng.integers(90, 360, size=n), -1)
    adoption_day = np.where(adopted & (adoption_day <= start), start + 1, adoption_day)
    legal = np.where(adopted & (legal == 2), 0, legal)  # adoption needs a care order first

    # Placement moves ---------------------------------------------------------------------
    move_rate = np.where(age >= 10, 0.75, 0.3)
    moves = np.minimum(rng.poisson(move_rate * (end - start) / YEAR_DAYS), 30)
    move_child = np.repeat(np.arange(n), moves)
    move_day = (
        start[move_child]
        + 1
        + np.floor(
            rng.random(len(move_child)) * np.maximum(end[move_child] - start[move_child] - 1, 0)
        ).astype(np.int64)
    )
    # boundary kinds as bits: 1 start, 2 move, 4 legal change
    b_child = np.concatenate(
        [np.arange(n), move_child, np.flatnonzero(legal_change >= 0), np.flatnonzero(adopted)]
    )
    b_day = np.concatenate(
        [start, move_day, legal_change[legal_change >= 0], adoption_day[adopted]]
    )
    b_bits = np.concatenate(
        [
            np.ones(n, np.int64),
            np.full(len(move_child), 2),
            np.full(int((legal_change >= 0).sum()), 4),
            np.full(int(adopted.sum()), 6),
        ]
    )
    valid = (b_day >= start[b_child]) & (b_day < end[b_child])
    b_child, b_day, b_bits = b_child[valid], b_day[valid], b_bits[valid]
    order = np.lexsort((b_day, b_child))
    b_child, b_day, b_bits = b_child[order], b_day[order], b_bits[order]
    key = b_child * 100_000 + b_day
    first = np.concatenate([[True], key[1:] != key[:-1]])
    group_id = np.cumsum(first) - 1
    bits = np.zeros(int(group_id[-1]) + 1, dtype=np.int64)
    np.bitwise_or.at(bits, group_id, b_bits)
    ep_child = b_child[first]
    ep_start = b_day[first]
    adoption_starts = np.zeros(len(ep_child), dtype=bool)
    ad_mask = adopted[ep_child] & (ep_start >= adoption_day[ep_child])
    adoption_starts[ad_mask] = True
    # A move after the adoption placement began is not a move: drop those boundaries.
    after_adoption = ad_mask & (ep_start > adoption_day[ep_child])
    keep_ep = ~after_adoption
    ep_child, ep_start, bits, adoption_starts = (
        ep_child[keep_ep],
        ep_start[keep_ep],
        bits[keep_ep],
        adoption_starts[keep_ep],
    )
    next_same = np.concatenate([ep_child[1:] == ep_child[:-1], [False]])
    ep_end = np.where(next_same, np.concatenate([ep_start[1:], [0]]), end[ep_child])
    is_first = bits & 1 == 1
    placement_change = (bits & 2 == 2) | is_first
    spell = np.cumsum(placement_change) - 1
    ep_rne = np.where(
        is_first, "S", np.where(bits & 6 == 6, "B", np.where(bits & 2 == 2, "P", "L"))
    )
    ep_ls = np.where(
        legal[ep_child] == 2,
        "V2",
        np.where((legal[ep_child] == 1) & (ep_start < legal_change[ep_child]), "C1", "C2"),
    ).astype(object)
    ep_ls[adoption_starts] = "E1"

    return _CareEpisodes(
        legal=legal,
        ep_child=ep_child,
        ep_start=ep_start,
        ep_end=ep_end,
        next_same=next_same,
        placement_change=placement_change,
        spell=spell,
        adoption_starts=adoption_starts,
        ep_rne=ep_rne,
        ep_ls=ep_ls,
    )


def _placed_with_parents_on_an_order(care: _CareEpisodes, placed: _Placed) -> np.ndarray:
    """A child placed with parents (P1) is on a care order, never accommodated under section
    20 (V2; DfE rule 378): such a child's V2 episodes become C2, all of them, so that the
    legal status does not change between episodes (rules 434 and 435)."""
    ls = care.ep_ls.copy()
    with_parents = np.unique(care.ep_child[placed.ep_place == "P1"])
    ls[np.isin(care.ep_child, with_parents) & (ls == "V2")] = "C2"
    return ls


@dataclass(frozen=True)
class _Placed:
    """Per episode: the kind of placement, its provider, postcode, URN and distance."""

    ep_group: np.ndarray
    ep_place: np.ndarray
    ep_provider: np.ndarray
    ep_pl_post: np.ndarray
    ep_urn: np.ndarray
    ep_pl_unit: np.ndarray
    ep_miles: np.ndarray


def _draw_placements(
    rng: np.random.Generator,
    *,
    units: list[Unit],
    share: np.ndarray,
    pools: PostcodePools,
    providers: _Providers,
    children: _Children,
    care: _CareEpisodes,
) -> _Placed:
    """Where each spell was: one draw per spell, by kind of placement, in or out of the
    council and near or far, with the trend to placements far from home."""
    dob, child_unit = children.dob, children.child_unit
    home_post, home_e, home_n = children.home_post, children.home_e, children.home_n
    ep_child, ep_start, ep_end = care.ep_child, care.ep_start, care.ep_end
    placement_change, adoption_starts, spell = (
        care.placement_change,
        care.adoption_starts,
        care.spell,
    )
    m = len(ep_child)

    spell_first = np.flatnonzero(placement_change)
    s_child = ep_child[spell_first]
    s_start = ep_start[spell_first]
    spell_last = np.concatenate([spell_first[1:] - 1, [m - 1]])
    s_end = ep_end[spell_last]
    s_age = (s_start - dob[s_child]) / YEAR_DAYS
    k = len(s_child)
    bounds = np.array([b[0] for b in _GROUP_BY_AGE])
    probs = np.array([b[1] for b in _GROUP_BY_AGE])[np.searchsorted(bounds, s_age, side="right")]
    s_group = _categorical(rng, probs)
    s_group[adoption_starts[spell_first]] = ADOPTION
    s_year = np.array([_collection_year(int(d)) for d in s_start])
    s_place = np.empty(k, dtype=object)
    s_provider = np.full(k, "", dtype=object)
    s_urn = np.full(k, "", dtype=object)
    s_post = np.empty(k, dtype=object)
    s_pl_unit = np.full(k, -1, dtype=np.int64)
    s_e = np.zeros(k)
    s_n = np.zeros(k)
    s_unit = child_unit[s_child]
    u = rng.random((k, 6))

    def own(idx: np.ndarray) -> None:
        """A postcode in the child's own council, never the family home."""
        for i in idx:
            pool = s_unit[i]
            size = len(pools.postcode[pool])
            child = s_child[i]
            # Of two postcodes drawn, the nearer to the family home: carers are found nearby.
            a, b = int(u[i, 5] * size), int(u[i, 4] * size)
            da = (pools.easting[pool][a] - home_e[child]) ** 2 + (
                pools.northing[pool][a] - home_n[child]
            ) ** 2
            db = (pools.easting[pool][b] - home_e[child]) ** 2 + (
                pools.northing[pool][b] - home_n[child]
            ) ** 2
            j = a if da <= db else b
            if pools.postcode[pool][j] == home_post[child]:
                j = (j + 1) % size
            s_post[i] = pools.postcode[pool][j]
            s_pl_unit[i] = pool
            s_e[i], s_n[i] = pools.easting[pool][j], pools.northing[pool][j]

    # Placements far from home became commoner: 18% of all over 20 miles in 2015 (DfE),
    # 21.6% in 2020 and 23.8% in 2024; 61% of children in homes outside their council in
    # 2018 (Hansard), 66% in 2020, 67% in 2024.
    far_scale = np.interp(s_year, [2015, 2020, 2024], [0.45, 0.9, 1.0])
    home_out = np.interp(s_year, [2018, 2020, 2024], [0.58, 0.665, _P_OUT[HOME]])
    centroid = pools.centroid
    unit_miles = (
        np.hypot(*(centroid[:, None, :] - centroid[None, :, :]).transpose(2, 0, 1))
        / METRES_PER_MILE
    )
    unit_far = unit_miles > 25
    # Far placements still favour nearer councils: weight = size x exp(-miles / 60).
    unit_weight = share[None, :] * np.exp(-unit_miles / 60.0)

    def elsewhere(idx: np.ndarray, far: np.ndarray) -> None:
        """A postcode in another council, near or far by centroid distance."""
        for i, want_far in zip(idx, far, strict=True):
            own_unit = s_unit[i]
            mask = unit_far[own_unit] if want_far else ~unit_far[own_unit]
            mask = mask.copy()
            mask[own_unit] = False
            if not mask.any():
                mask = np.ones(len(units), dtype=bool)
                mask[own_unit] = False
            w = np.where(mask, unit_weight[own_unit], 0.0)
            dest = int(np.searchsorted(np.cumsum(w), u[i, 3] * w.sum(), side="right"))
            dest = min(dest, len(units) - 1)
            j = int(u[i, 4] * len(pools.postcode[dest]))
            s_post[i] = pools.postcode[dest][j]
            s_pl_unit[i] = dest
            s_e[i], s_n[i] = pools.easting[dest][j], pools.northing[dest][j]

    def provider(idx: np.ndarray, kind: str, p_out: np.ndarray, p_far: np.ndarray) -> None:
        table = providers.kind[kind]
        for i, po, pf in zip(idx, p_out, p_far, strict=True):
            own_unit = s_unit[i]
            in_own = table["unit"] == own_unit
            if u[i, 1] >= po and in_own.any():
                mask = in_own
            else:
                far_mask = unit_far[own_unit][table["unit"]]
                mask = (far_mask if u[i, 2] < pf else ~far_mask) & ~in_own
                if not mask.any():
                    mask = ~in_own
            w = np.where(
                mask, table["places"] * np.exp(-unit_miles[own_unit][table["unit"]] / 60.0), 0.0
            )
            j = min(int(np.searchsorted(np.cumsum(w), u[i, 3] * w.sum(), side="right")), len(w) - 1)
            if i > 0 and s_child[i - 1] == s_child[i] and s_urn[i - 1] == table["urn"][j]:
                # A move to the home the child is in is no move (DfE rule 435): another one.
                others = np.flatnonzero((w > 0) & (table["urn"] != table["urn"][j]))
                if len(others):
                    j = int(others[min(int(u[i, 3] * len(others)), len(others) - 1)])
            s_post[i], s_e[i], s_n[i] = table["post"][j], table["e"][j], table["n"][j]
            s_urn[i] = table["urn"][j]
            s_pl_unit[i] = table["unit"][j]
            same = table["unit"][j] == own_unit
            sector = table["sector"][j]
            # The provider code the register's sector allows (returns.providers, rule 224).
            s_provider[i] = (
                ("PR1" if same else "PR2")
                if sector == "Local Authority"
                else "PR5"
                if sector == "Voluntary"
                else "PR3"
                if sector == "Academy"
                else "PR4"
            )

    # foster
    idx = np.flatnonzero(s_group == FOSTER)
    out = u[idx, 1] < _P_OUT[FOSTER]
    own(idx[~out])
    elsewhere(idx[out], u[idx[out], 2] < _P_FAR[FOSTER] * far_scale[idx[out]])
    kin = u[idx, 0] < 0.2
    s_place[idx] = np.where(
        kin, np.where(u[idx, 5] < 0.5, "U1", "U3"), np.where(u[idx, 5] < 0.5, "U4", "U6")
    )
    ifa = out | (u[idx, 4] < 0.3)
    ifa_table = providers.kind["IFA"]
    ifa_pick = np.minimum(
        (u[idx, 3] * len(ifa_table["urn"])).astype(int), len(ifa_table["urn"]) - 1
    )
    s_provider[idx] = np.where(
        ifa, np.where(ifa_table["sector"][ifa_pick] == "Voluntary", "PR5", "PR4"), "PR1"
    )
    s_urn[idx] = np.where(
        ifa,
        ifa_table["urn"][ifa_pick],
        np.array([_synthetic_urn(1, int(x)) for x in s_unit[idx]], dtype=object),
    )
    # children's homes (a few secure homes)
    idx = np.flatnonzero(s_group == HOME)
    secure = u[idx, 0] < 0.02
    provider(idx[~secure], "K2", home_out[idx[~secure]], _P_FAR[HOME] * far_scale[idx[~secure]])
    s_place[idx[~secure]] = "K2"
    provider(idx[secure], "K1", np.full(int(secure.sum()), 0.9), np.full(int(secure.sum()), 0.9))
    s_place[idx[secure]] = "K1"
    # supported accommodation / semi-independent living
    idx = np.flatnonzero(s_group == SUPPORTED)
    out = u[idx, 1] < _P_OUT[SUPPORTED]
    own(idx[~out])
    elsewhere(idx[out], u[idx[out], 2] < _P_FAR[SUPPORTED] * far_scale[idx[out]])
    s_place[idx] = np.where(s_year[idx] >= FIRST_SUPPORTED, "K3", "H5")
    p2 = (s_year[idx] < FIRST_SUPPORTED) & (s_end[idx] <= P2_LAST_DAY) & (u[idx, 0] < 0.2)
    s_place[idx[p2]] = "P2"
    s_provider[idx] = np.where(
        out, np.where(u[idx, 0] < 0.15, "PR5", "PR4"), np.where(u[idx, 0] < 0.3, "PR1", "PR4")
    )
    # The council's own provider (PR1), or a private (PR4) or voluntary (PR5) one it uses: a
    # provider has one sector on Ofsted's register (rule 224). Independent living (P2) is
    # not a registered setting: the DfE's 'XXXXXXX' (rule 218 wants a URN, 219 a matching one).
    kind = np.select([s_provider[idx] == "PR4", s_provider[idx] == "PR5"], [4, 5], 2)
    s_urn[idx] = np.array(
        [_synthetic_urn(int(c), int(x)) for c, x in zip(kind, s_unit[idx], strict=True)],
        dtype=object,
    )
    s_urn[idx[p2]] = "XXXXXXX"
    # placed with parents
    idx = np.flatnonzero(s_group == PARENTS)
    # At home, but not twice running: a move from home to the same home is no move (DfE
    # rule 435), so the second of two such spells is elsewhere.
    home_spell = (s_group == PARENTS) & (u[:, 1] < 0.7)
    after_home = np.concatenate([[False], home_spell[:-1] & (s_child[1:] == s_child[:-1])])
    at_home = (home_spell & ~after_home)[idx]
    s_post[idx[at_home]] = home_post[s_child[idx[at_home]]]
    s_pl_unit[idx[at_home]] = s_unit[idx[at_home]]
    s_e[idx[at_home]], s_n[idx[at_home]] = (
        home_e[s_child[idx[at_home]]],
        home_n[s_child[idx[at_home]]],
    )
    rest = idx[~at_home]
    out = u[rest, 2] < 0.5
    own(rest[~out])
    elsewhere(rest[out], u[rest[out], 4] < _P_FAR[PARENTS] * far_scale[rest[out]])
    s_place[idx] = "P1"
    s_provider[idx] = "PR0"
    # adoption: the council's own adoption service (a regional agency it hosts)
    idx = np.flatnonzero(s_group == ADOPTION)
    own(idx)
    # A6 (placement order): A5 would be a placement with the current foster carers, which
    # the DfE (rule 217) expects to start a period of care or a change of both placement and
    # legal status, and the adoption episodes here change the legal status alone.
    s_place[idx] = "A6"
    s_provider[idx] = "PR1"
    s_urn[idx] = np.array([_synthetic_urn(3, int(x)) for x in s_unit[idx]], dtype=object)
    # other: family centres for babies; residential schools, NHS, young offender institutions
    idx = np.flatnonzero(s_group == OTHER)
    baby = s_age[idx] < 1
    provider(idx[baby], "R3", np.full(int(baby.sum()), 0.5), np.full(int(baby.sum()), 0.3))
    s_place[idx[baby]] = "R3"
    older = idx[~baby]
    pick = np.where(
        s_age[older] >= 15, (u[older, 0] * 3).astype(int), (u[older, 0] * 2).astype(int)
    )
    # A residential school from 4 (DfE rule 373): younger children go to hospital instead.
    pick = np.where((pick == 0) & (s_age[older] < 4), 1, pick)
    school = older[pick == 0]
    provider(school, "S1", np.full(len(school), _P_OUT[OTHER]), np.full(len(school), _P_FAR[OTHER]))
    s_place[school] = "S1"
    health = older[pick == 1]
    elsewhere(health, u[health, 2] < 0.5)
    s_place[health] = "R2"
    s_provider[health] = "PR3"
    yoi = older[pick == 2]
    elsewhere(yoi, u[yoi, 2] < 0.7)
    s_place[yoi] = "R5"
    s_provider[yoi] = "PR3"
    s_miles = _miles(home_e[s_child], home_n[s_child], s_e, s_n)

    # Episode-level fields ------------------------------------------------------------------
    ep_group = s_group[spell]
    ep_place = s_place[spell]
    ep_provider = s_provider[spell]
    ep_pl_post = s_post[spell]
    ep_urn = s_urn[spell]
    ep_pl_unit = s_pl_unit[spell]
    ep_miles = s_miles[spell]
    return _Placed(
        ep_group=ep_group,
        ep_place=ep_place,
        ep_provider=ep_provider,
        ep_pl_post=ep_pl_post,
        ep_urn=ep_urn,
        ep_pl_unit=ep_pl_unit,
        ep_miles=ep_miles,
    )


def _draw_leaving(
    rng: np.random.Generator,
    config: EnglandConfig,
    children: _Children,
    care: _CareEpisodes,
    placed: _Placed,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How each episode ended (REC) and why a placement changed (REASON); which episodes are
    still open at the end of the last year."""
    dob, at_18, legal = children.dob, children.at_18, care.legal
    ep_child, ep_end, next_same, ep_rne = care.ep_child, care.ep_end, care.next_same, care.ep_rne
    ep_group, ep_place = placed.ep_group, placed.ep_place
    m = len(ep_child)
    last_day = year_end(config.last_year)
    ep_open = ep_end > last_day
    final = ~next_same
    leave = np.full(m, "X1", dtype=object)
    last_age = (ep_end - dob[ep_child]) / YEAR_DAYS
    r = rng.random(m)
    leave_reason = np.where(
        at_18[ep_child],
        np.where(
            ep_group == FOSTER,
            np.where(r < 0.3, "E17", "E8"),
            np.where(r < 0.4, "E5", np.where(r < 0.6, "E6", "E8")),
        ),
        np.where(
            ep_group == ADOPTION,
            np.where(r < 0.8, "E12", "E11"),
            np.where(
                legal[ep_child] == 2,
                np.where(r < 0.6, "E4A", np.where(r < 0.8, "E4B", "E13")),
                np.where(
                    (ep_group == FOSTER) & (r < 0.35) & np.isin(ep_place, ["U1", "U3", "U4", "U6"]),
                    "E45",
                    np.where(r < 0.55, "E41", np.where(r < 0.85, "E4A", "E8")),
                ),
            ),
        ),
    )
    leave[final] = leave_reason[final]
    del last_age
    reasons = np.array(
        ["CARPL", "CARPL", "CARPL", "CREQB", "CREQO", "CHILD", "LAREQ", "STAND", "CLOSE", "OTHER"],
        dtype=object,
    )
    reason = np.full(m, "", dtype=object)
    next_rne = np.concatenate([ep_rne[1:], ["S"]])
    needs = next_same & np.isin(next_rne, ["P", "B", "T", "U"])
    reason[needs] = reasons[(rng.random(int(needs.sum())) * len(reasons)).astype(int)]
    reason[needs & (next_rne == "B")] = "CARPL"

    return leave, reason, ep_open


@dataclass(frozen=True)
class _Missing:
    """One entry per missing or away incident, and the baseline rate that met the target."""

    mi_child: np.ndarray
    mi_kind: np.ndarray
    mi_start: np.ndarray
    mi_end: np.ndarray
    baseline: float
    population: float


def _draw_missing(
    rng: np.random.Generator,
    config: EnglandConfig,
    *,
    simulated: list[int],
    share: np.ndarray,
    children: _Children,
    care: _CareEpisodes,
    placed: _Placed,
) -> _Missing:
    """The planted model: incidents per day in care from age, sex, kind of placement and
    distance, scaled so the calibration year meets the national count."""
    n = len(children.dob)
    dob, sex_male = children.dob, children.sex_male
    ep_child, ep_start, ep_end = care.ep_child, care.ep_start, care.ep_end
    ep_group, ep_miles = placed.ep_group, placed.ep_miles
    frailty = rng.gamma(config.frailty_shape, 1.0 / config.frailty_shape, size=n)
    row_ep, row_start, row_days, row_year = _exposure_rows(ep_start, ep_end, config)
    row_child = ep_child[row_ep]
    row_age = np.floor((row_start - dob[row_child]) / YEAR_DAYS)
    row_ageband = _age_band(row_age)
    row_group = ep_group[row_ep]
    row_dband = _band(ep_miles[row_ep], DISTANCE_BANDS)
    factor = (
        np.array(config.age_irr)[row_ageband]
        * np.where(sex_male[row_child], 1.0, config.female_irr)
        * np.array(config.group_irr)[row_group]
        * np.array(config.distance_irr)[row_dband]
    )
    p_away = np.where(row_ageband == 3, config.away_share_16_plus, config.away_share_under_16)
    calib_year = min(max(config.calibration_year, config.first_year), config.last_year)
    in_year = row_year == calib_year
    population = share[simulated].sum() * config.scale
    expected_m = float((factor * row_days * (1 - p_away))[in_year].sum())
    baseline = config.missing_incidents_target * population / expected_m if expected_m else 0.0
    mean = baseline * factor * row_days * frailty[row_child]
    count = np.minimum(rng.poisson(mean), row_days)
    inc_row = np.repeat(np.arange(len(row_ep)), count)
    inc_u = rng.random(len(inc_row))
    inc_order = np.lexsort((inc_u, inc_row))
    inc_row, inc_u = inc_row[inc_order], inc_u[inc_order]
    offsets = np.concatenate([[0], np.cumsum(count)[:-1]])
    rank = np.arange(len(inc_row)) - np.repeat(offsets, count)
    span = row_days[inc_row] - count[inc_row] + 1
    mi_start = row_start[inc_row] + np.floor(inc_u * span).astype(np.int64) + rank
    row_last = row_start + row_days - 1
    bands = np.array([[d[0], d[1]] for d in _DURATION_DAYS])
    dprob = np.array([d[2] for d in _DURATION_DAYS])
    dpick = rng.choice(len(_DURATION_DAYS), size=len(inc_row), p=dprob / dprob.sum())
    length_days = bands[dpick, 0] + np.floor(
        rng.random(len(inc_row)) * (bands[dpick, 1] - bands[dpick, 0] + 1)
    ).astype(np.int64)
    same_row_next = np.concatenate([inc_row[1:] == inc_row[:-1], [False]])
    next_start = np.concatenate([mi_start[1:], [0]])
    limit = np.where(same_row_next, next_start - 1, row_last[inc_row])
    mi_end = np.minimum(mi_start + length_days, limit)
    away = rng.random(len(inc_row)) < p_away[inc_row]
    mi_kind = np.where(away, "A", "M").astype(object)

    return _Missing(
        mi_child=row_child[inc_row],
        mi_kind=mi_kind,
        mi_start=mi_start,
        mi_end=mi_end,
        baseline=baseline,
        population=population,
    )


def _exposure_rows(
    ep_start: np.ndarray, ep_end: np.ndarray, config: EnglandConfig
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per episode and collection year it overlaps: first day, days, year."""
    eps, firsts, days, years = [], [], [], []
    for year in range(config.first_year, config.last_year + 1):
        lo, hi = year_start(year), year_end(year) + 1
        first = np.maximum(ep_start, lo)
        last = np.minimum(ep_end, hi)
        mask = last > first
        idx = np.flatnonzero(mask)
        eps.append(idx)
        firsts.append(first[idx])
        days.append((last - first)[idx])
        years.append(np.full(len(idx), year))
    ep = np.concatenate(eps)
    first_day = np.concatenate(firsts)
    day = np.concatenate(days)
    row_year = np.concatenate(years)
    order = np.lexsort((first_day, ep))
    return ep[order], first_day[order], day[order], row_year[order]


def _truth(
    config: EnglandConfig,
    baseline: float,
    population: float,
    simulated: list[int],
    units: list[Unit],
) -> dict[str, object]:
    def coefficients(names: tuple[str, ...], values: tuple[float, ...], ref: int) -> dict:
        return {
            name: {
                "irr": value / values[ref] if values[ref] else None,
                "log": math.log(value / values[ref]) if value and values[ref] else None,
            }
            for name, value in zip(names, values, strict=True)
        }

    age_names = tuple(f"{lo}-{hi}" for lo, hi in AGE_BANDS)
    return {
        "generator": "sightline synth england",
        "model_version": 1,
        "seed": config.seed,
        "first_year": config.first_year,
        "last_year": config.last_year,
        "scale": config.scale,
        "councils": [units[i].dfe_code for i in simulated],
        "population_fraction": population,
        "model": (
            "incidents in an exposure row ~ Poisson(baseline * age * sex * placement * distance "
            "* frailty * days); frailty ~ Gamma(shape, 1/shape) per child, the same in every "
            "year; each incident is 'A' (away) with probability away_share by age band, else "
            "'M' (missing)"
        ),
        "exposure_row": (
            "one row per episode per collection year it overlaps; first day = max(DECOM, 1 April);"
            " days = min(DEC, 1 April next) - first day (DEC is the day the next episode starts "
            "or the child leaves, so it is not counted); open episodes count to 31 March"
        ),
        "covariates": {
            "age_band": "whole years of age on the row's first day (DOB from the header)",
            "sex": "SEX (1/M male, 2/F female)",
            "placement": "PLACE grouped: foster U1-U6; home K1 K2; supported H5 P2 K3; "
            "parents P1; other R1 R2 R3 R5 S1; adoption A3-A6 (no incidents: leave it out)",
            "distance_band": "PL_DISTANCE (miles, 1 dp, from HOME_POST and PL_POST on the OS "
            "grid, metres / 1609.3, half up): 0-5 means <= 5.0; 5-10 <= 10.0; 10-20 <= 20.0;"
            " 20-50 <= 50.0; over 50 > 50.0",
        },
        "baseline_per_day": baseline,
        "reference_levels": {
            "age_band": "13-15",
            "sex": "male",
            "placement": "foster",
            "distance_band": "0-5",
        },
        "age_band": coefficients(age_names, config.age_irr, 2),
        "sex": coefficients(("male", "female"), (1.0, config.female_irr), 0),
        "placement": coefficients(GROUPS, config.group_irr, 0),
        "distance_band": coefficients(DISTANCE_LABELS, config.distance_irr, 0),
        "frailty_shape": config.frailty_shape,
        "negative_binomial_alpha": 1 / config.frailty_shape,
        "away_share": {"under 16": config.away_share_under_16, "16+": config.away_share_16_plus},
        "missing_only": (
            "for M alone multiply the age factors by (1 - away_share); the sex, placement and "
            "distance ratios are the same for M, A and both"
        ),
    }


def _collection_year(day: int) -> int:
    date = EPOCH + dt.timedelta(days=day)
    return date.year + 1 if date.month >= 4 else date.year


def _add_years(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year + years)
    except ValueError:  # 29 February
        return date.replace(year=date.year + years, day=28)


def _synthetic_urn(kind: int, unit: int) -> str:
    """A 7-digit URN starting with 9 (above every real one in Ofsted's 2023 register): the
    council's fostering service (1), its supported-accommodation provider (2), the adoption
    agency it hosts (3), or the private (4) or voluntary (5) supported-accommodation provider
    it places with. The synthetic register of providers (``register.py``) lists them."""
    return f"9{kind}{unit:05d}"
