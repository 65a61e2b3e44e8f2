"""Simulated extracts with a planted distance effect, for testing Q3 and for the benchmark.

Each child has placements in one collection year; missing incidents are drawn from a Poisson
distribution with rate base × IRR(distance band) × effect(age band) × effect(sex) ×
effect(placement type) × days. The model should recover the planted incidence-rate ratios.
Everything is synthetic: the "children" are row numbers.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from sightline.evidence import frames as F

PLANTED_IRR = {
    "0 to 5 miles": 1.0,
    "5 to 10 miles": 1.15,
    "10 to 20 miles": 1.3,
    "20 to 50 miles": 1.6,
    "Over 50 miles": 2.0,
}
BAND_MILES = ((0.5, 5.0), (5.1, 10.0), (10.1, 20.0), (20.1, 50.0), (50.1, 250.0))
AGE_EFFECT = {8: 0.3, 11: 0.7, 14: 1.4, 16: 1.0}  # age at start -> effect
SEX_EFFECT = {"F": 1.0, "M": 0.8}
TYPE_EFFECT = {"U4": 0.4, "K2": 1.0, "K3": 1.3}
BASE_RATE = 0.004  # incidents per placement-day at the reference levels


def planted_extract(
    *,
    children: int,
    seed: int = 1,
    year: int = 2024,
    councils: pl.DataFrame | None = None,
    forces: pl.DataFrame | None = None,
    irr: dict[str, float] | None = None,
    overdispersion: float = 0.0,
) -> F.Extract:
    """One placement per child within the collection year ``year``. With ``overdispersion``
    > 0 each child's rate is multiplied by a gamma frailty of that variance (children who go
    missing often), which the model's quasi-Poisson intervals must absorb."""
    irr = irr or PLANTED_IRR
    rng = np.random.default_rng(seed)
    n = children
    band = rng.integers(0, 5, n)
    lo = np.array([b[0] for b in BAND_MILES])[band]
    hi = np.array([b[1] for b in BAND_MILES])[band]
    miles = np.round(rng.uniform(lo, hi), 1)
    ages = np.array(list(AGE_EFFECT))[rng.integers(0, len(AGE_EFFECT), n)]
    sexes = np.array(list(SEX_EFFECT))[rng.integers(0, 2, n)]
    types = np.array(list(TYPE_EFFECT))[rng.integers(0, len(TYPE_EFFECT), n)]
    first = dt.date(year - 1, 4, 1)
    offset = rng.integers(0, 200, n)
    length = rng.integers(30, 165, n)
    epoch = np.datetime64(first, "D")
    starts = epoch + offset.astype("timedelta64[D]")
    ends = starts + length.astype("timedelta64[D]")
    bands = list(irr)
    rate = (
        BASE_RATE
        * np.array([irr[bands[b]] for b in band])
        * np.array([AGE_EFFECT[a] for a in ages])
        * np.array([SEX_EFFECT[s] for s in sexes])
        * np.array([TYPE_EFFECT[t] for t in types])
    )
    if overdispersion > 0:
        shape = 1 / overdispersion
        rate = rate * rng.gamma(shape, 1 / shape, n)
    counts = rng.poisson(rate * length)
    # Birth month: the month after the start's month, ``age + 1`` years earlier, so the child
    # is ``age`` in whole years on the start day.
    start_months = starts.astype("datetime64[M]")
    births = (start_months - ((ages + 1) * 12 - 1).astype("timedelta64[M]")).astype("datetime64[D]")
    ids = [f"sim{i}" for i in range(n)]
    spells = F.conform(
        pl.DataFrame(
            {
                "spell_id": ids,
                "child_key": ids,
                "placing_council": "E08000007",
                "birth_month": births,
                "sex": sexes,
                "start": starts,
                "end": ends,
                "place_type": types,
                "provider": "PR4",
                "host_council": "E08000007",
                "host_police_force": "E23000005",
                "distance_miles": miles,
                "out_of_area": miles > 10,
                "setting_key": ids,
                "new_placement": True,
            }
        ),
        "spells",
    )
    child = np.repeat(np.arange(n), counts)
    day = (rng.random(len(child)) * length[child]).astype(int)
    mstart = starts[child] + day.astype("timedelta64[D]")
    missing = F.conform(
        pl.DataFrame(
            {
                "episode_id": [f"e{i}" for i in range(len(child))],
                "child_key": [ids[c] for c in child],
                "placing_council": "E08000007",
                "kind": "M",
                "start": mstart,
                "end": mstart,
                "spell_id": [ids[c] for c in child],
                "host_council": "E08000007",
                "host_police_force": "E23000005",
            }
        ),
        "missing",
    )
    return F.Extract(
        spells=spells,
        missing=missing,
        homes=F.empty("homes"),
        notices=F.empty("notices"),
        councils=councils
        if councils is not None
        else pl.DataFrame(
            [
                (
                    "E08000007",
                    "356",
                    "Stockport",
                    "E12000002",
                    "North West",
                    "E23000005",
                    "Greater Manchester",
                )
            ],
            schema=F.COUNCILS,
            orient="row",
        ),
        forces=forces
        if forces is not None
        else pl.DataFrame([("E23000005", "Greater Manchester")], schema=F.FORCES, orient="row"),
        as_of=dt.date(year, 3, 31),
        source="simulated data with a planted distance effect",
    )


def national_extract(
    *,
    councils: pl.DataFrame,
    forces: pl.DataFrame,
    episodes: int,
    year_from: int,
    year_to: int,
    seed: int = 2026,
    missing_per_episode: float = 0.75,
    irr: dict[str, float] | None = None,
) -> F.Extract:
    """A national-scale extract for the benchmark: ``episodes`` placements over the years,
    about ``missing_per_episode`` missing incidents each (plus away incidents, a fifth as
    many), with the planted distance effect. Vectorised: a million rows in seconds."""
    irr = irr or PLANTED_IRR
    rng = np.random.default_rng(seed)
    english = councils.filter(pl.col("dfe_code") != "")
    codes = english["council"].to_numpy()
    force_of = dict(zip(english["council"], english["police_force"], strict=True))
    n = episodes
    n_children = max(n // 4, 1)
    child = rng.integers(0, n_children, n)
    child_council = rng.integers(0, len(codes), n_children)
    placing = codes[child_council[child]]
    band = rng.choice(5, n, p=[0.3, 0.15, 0.2, 0.2, 0.15])
    lo = np.array([b[0] for b in BAND_MILES])[band]
    hi = np.array([b[1] for b in BAND_MILES])[band]
    miles = np.round(rng.uniform(lo, hi), 1)
    same = (band == 0) & (rng.random(n) < 0.8)
    host = np.where(same, placing, codes[rng.integers(0, len(codes), n)])
    first = np.datetime64(dt.date(year_from - 1, 4, 1), "D")
    last = np.datetime64(dt.date(year_to, 3, 31), "D")
    span = int((last - first).astype(int))
    starts = first + rng.integers(0, span, n).astype("timedelta64[D]")
    length = np.maximum(1, rng.exponential(250, n).astype(int))
    ends = starts + length.astype("timedelta64[D]")
    is_open = ends > last
    stop = np.where(is_open, last + np.timedelta64(1, "D"), ends)
    days = (stop - starts).astype(int)
    child_age = rng.integers(0, 17, n_children)
    ages = np.minimum(17, child_age[child] + (starts - first).astype(int) // 365 // 3)
    birth = (
        starts.astype("datetime64[M]") - ((ages + 1) * 12 - 1).astype("timedelta64[M]")
    ).astype("datetime64[D]")
    sexes = np.array(["F", "M"])[rng.integers(0, 2, n_children)][child]
    types = np.array(["U4", "U6", "K2", "K3"])[rng.choice(4, n, p=[0.5, 0.2, 0.2, 0.1])]
    age_effect = np.select([ages < 10, ages < 13, ages < 16], [0.2, 0.7, 1.4], 1.0)
    weight = (
        np.array([irr[b] for b in irr])[band]
        * age_effect
        * np.where(sexes == "M", 0.8, 1.0)
        * np.select([types == "K2", types == "K3"], [2.0, 2.5], 0.6)
    )
    base = missing_per_episode * n / float((weight * days).sum())
    counts = rng.poisson(base * weight * days)
    away = rng.poisson(0.2 * base * weight * days)
    ids = np.char.add("e", np.arange(n).astype(str))
    keys = np.char.add("k", child.astype(str))
    spells = F.conform(
        pl.DataFrame(
            {
                "spell_id": ids,
                "child_key": keys,
                "placing_council": placing,
                "birth_month": birth,
                "sex": sexes,
                "start": starts,
                "end": pl.Series(np.where(is_open, np.datetime64("NaT"), ends)),
                "place_type": types,
                "provider": "PR4",
                "host_council": host,
                "host_police_force": [force_of[h] for h in host],
                "distance_miles": miles,
                "out_of_area": host != placing,
                "setting_key": np.char.add("s", rng.integers(0, 20_000, n).astype(str)),
                "new_placement": True,
            }
        ),
        "spells",
    )
    per = np.concatenate([counts, away])
    owner = np.concatenate([np.arange(n), np.arange(n)])
    kind = np.concatenate([np.full(n, "M"), np.full(n, "A")])
    which = np.repeat(owner, per)
    when = starts[which] + (rng.random(len(which)) * days[which]).astype("timedelta64[D]")
    missing = F.conform(
        pl.DataFrame(
            {
                "episode_id": np.char.add("m", np.arange(len(which)).astype(str)),
                "child_key": keys[which],
                "placing_council": placing[which],
                "kind": np.repeat(kind, per),
                "start": when,
                "end": when,
                "spell_id": ids[which],
                "host_council": host[which],
                "host_police_force": spells["host_police_force"].to_numpy()[which],
            }
        ),
        "missing",
    )
    homes_n = 4_000
    home_council = codes[rng.integers(0, len(codes), homes_n)]
    homes = F.conform(
        pl.DataFrame(
            {
                "setting_key": np.char.add("h", np.arange(homes_n).astype(str)),
                "council": home_council,
                "police_force": [force_of[c] for c in home_council],
                "sector": np.where(rng.random(homes_n) < 0.84, "private", "council"),
                "registered_places": rng.integers(1, 7, homes_n),
                "place_type": "K2",
            }
        ),
        "homes",
    )
    return F.Extract(
        spells=spells,
        missing=missing,
        homes=homes,
        notices=F.empty("notices"),
        councils=councils,
        forces=forces,
        as_of=dt.date(year_to, 3, 31),
        source="simulated national data (benchmark)",
    )
