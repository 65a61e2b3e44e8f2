"""One derivation, two forms: for one placement (``selectors.postcode_place`` and
``distance_between``) and for frames (``derive.postcode_places`` and the Polars expressions
that returns, evidence and synth use) give the same host council, police force and miles."""

from __future__ import annotations

import math
import random
from decimal import Decimal

import polars as pl
import pytest

from sightline.geography import derive
from sightline.geography.postcodes import PostcodeError
from sightline.geography.selectors import PostcodePlace, distance_between, postcode_place
from tests.geography.conftest import all_keys

pytestmark = pytest.mark.django_db

# England (metropolitan, recoded 2023 and 2025, London), Wales, Scotland, Northern Ireland
# (Irish Grid) and Jersey (no grid reference).
KNOWN = [
    "SK4 2AB",
    "SW1A 1AA",
    "M1 1AE",
    "CA3 8QG",
    "S70 2TA",
    "CF10 1EP",
    "EH1 1YZ",
    "BT1 5GS",
    "JE2 3AB",
]


def frame_miles(pairs: list[tuple[str, str]]) -> pl.DataFrame:
    """Each pair's miles and km, and its placement's council and force, the frame way."""
    frame = pl.DataFrame(pairs, schema={"a": pl.String, "b": pl.String}, orient="row")
    places = derive.postcode_places(pl.concat([frame["a"], frame["b"]]))
    a = places.select(a="postcode", a_e="easting", a_n="northing", a_i="irish_grid")
    b = places.select(
        b="postcode",
        b_e="easting",
        b_n="northing",
        b_i="irish_grid",
        council="council",
        force="police_force",
    )
    frame = frame.join(a, on="a", how="left", maintain_order="left").join(
        b, on="b", how="left", maintain_order="left"
    )
    squared = derive.squared_metres_expr(
        a_easting=pl.col("a_e"),
        a_northing=pl.col("a_n"),
        b_easting=pl.col("b_e"),
        b_northing=pl.col("b_n"),
        a_irish_grid=pl.col("a_i"),
        b_irish_grid=pl.col("b_i"),
    )
    return frame.with_columns(miles=derive.miles_expr(squared), km=derive.km_expr(squared))


def scalar(a: PostcodePlace, b: PostcodePlace) -> tuple[float | None, float | None]:
    try:
        distance = distance_between(a=a, b=b)
    except PostcodeError:
        return None, None
    return float(distance.miles), float(distance.km)


def test_scalar_and_frame_agree_on_a_sample_of_postcodes():
    rng = random.Random(20261206)
    keys = all_keys()
    sample = KNOWN + [" ".join(k.split()) for k in rng.sample(keys, 120)]
    places = {}
    for postcode in sample:
        try:
            places[postcode] = postcode_place(postcode=postcode)
        except PostcodeError:  # a terminated postcode the directory still lists
            continue
    known = list(places)
    pairs = [(a, b) for a in KNOWN for b in KNOWN]
    pairs += [(rng.choice(known), rng.choice(known)) for _ in range(300)]
    frame = frame_miles(pairs)
    assert frame.height == len(pairs)
    compared = 0
    for row in frame.iter_rows(named=True):
        a, b = places[row["a"]], places[row["b"]]
        assert (row["miles"], row["km"]) == scalar(a, b), (row["a"], row["b"])
        assert row["council"] == (b.council.ons_code if b.council else None), row["b"]
        assert row["force"] == (b.police_force.code if b.police_force else None), row["b"]
        compared += row["miles"] is not None
    assert compared > 300  # most pairs have a distance: the check is not vacuous
    known_rows = frame.filter(pl.col("a") == "SK4 2AB")
    miles = dict(zip(known_rows["b"], known_rows["miles"], strict=True))
    assert (miles["SW1A 1AA"], miles["M1 1AE"], miles["SK4 2AB"]) == (157.9, 5.2, 0.0)
    assert miles["BT1 5GS"] is None and miles["JE2 3AB"] is None  # Irish Grid, no grid
    assert miles["EH1 1YZ"] > 150  # Scotland is on the British grid


def place_at(easting: int, northing: int) -> PostcodePlace:
    return PostcodePlace(
        postcode="TEST",
        district=None,
        council=None,
        police_force=None,
        easting=easting,
        northing=northing,
        in_england_or_wales=False,
        district_code="E08000007",
    )


@pytest.mark.parametrize(
    ("dx", "dy", "miles", "km"),
    [
        # 173.2499999999993 miles: 10^-12 below the half, so 173.2.
        (75781, 268315, "173.2", "278.8"),
        # 15.149999999986939 miles: 15.1; and 8.65000000004408 miles: 8.7.
        (7179, 23300, "15.1", "24.4"),
        (9290, 10367, "8.7", "13.9"),
        # 50 m is exactly 0.05 km: half up, 0.1 km.
        (30, 40, "0.0", "0.1"),
    ],
)
def test_scalar_and_frame_agree_beside_a_half_tenth(dx, dy, miles, km):
    home, placed = place_at(400000, 300000), place_at(400000 + dx, 300000 + dy)
    distance = distance_between(a=home, b=placed)
    assert (distance.miles, distance.km) == (Decimal(miles), Decimal(km))
    assert distance.metres == math.sqrt(dx * dx + dy * dy)
    frame = pl.DataFrame(
        {"he": [home.easting], "hn": [home.northing], "pe": [dx + 400000], "pn": [dy + 300000]}
    )
    squared = derive.squared_metres_expr(
        a_easting=pl.col("he"),
        a_northing=pl.col("hn"),
        b_easting=pl.col("pe"),
        b_northing=pl.col("pn"),
    )
    row = frame.select(miles=derive.miles_expr(squared), km=derive.km_expr(squared)).row(0)
    assert row == (float(miles), float(km))


def test_rounding_is_decided_exactly_not_in_floating_point():
    # 912407068656 m² is 593.55 miles to the nearest float, and a hair under it in fact (the
    # squared half-tenth is 912407068656.000225): floor(x * 10 + 0.5) and Polars' round(1),
    # two of the three rules this derivation replaced, said 593.6. Likewise 656.05 miles.
    squared = 912407068656
    assert derive.miles(squared) == Decimal("593.5")
    frame = pl.DataFrame({"squared": [squared, 1114674079525]})
    assert frame.select(derive.miles_expr(pl.col("squared")))["squared"].to_list() == [
        593.5,
        656.0,
    ]
    assert derive.miles(1114674079525) == Decimal("656.0")
