"""The bulk postcode lookup used for returns and analysis agrees with the single lookup."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sightline.geography import postcodes
from sightline.geography.derive import district_councils
from sightline.geography.postcodes import PostcodeError, lookup, lookup_many
from tests.geography.conftest import all_keys

KNOWN = ["SK4 2AB", "SW1A 1AA", "CA1 1AA", "S1 2HH", "CF10 1EP", "BT1 1AA", "JE2 3AB"]


def single(raw: str | None) -> dict:
    """What ``lookup`` says about one value, in ``lookup_many``'s terms."""
    if raw is None:
        return {"key": None, "found": False, "district": None, "easting": None, "northing": None}
    try:
        key = postcodes.normalise_postcode(raw)
    except PostcodeError:
        return {"key": None, "found": False, "district": None, "easting": None, "northing": None}
    try:
        entry = lookup(raw)
    except PostcodeError:
        return {"key": key, "found": False, "district": None, "easting": None, "northing": None}
    return {
        "key": key,
        "found": True,
        "district": entry.district_code,
        "easting": entry.easting,
        "northing": entry.northing,
    }


def test_keeps_input_order_and_reports_each_kind_of_value():
    values = ["sk42ab", None, "not a postcode", "ZZ1 1ZZ", " SW1A  1aa ", "JE2 3AB", ""]
    frame = lookup_many(values)
    assert frame["postcode"].to_list() == values
    assert frame.drop("postcode").to_dicts() == [single(v) for v in values]
    # Jersey is in the directory with no district grid reference: found, but no grid.
    assert frame.row(5, named=True)["found"] is True
    assert frame.row(5, named=True)["easting"] is None


def test_matches_the_single_lookup_on_real_postcodes_from_many_letters():
    rng = random.Random(7)
    sample: list[str | None] = list(KNOWN)
    keys = all_keys()
    for letter in "ABMNSWYL":
        sample.extend(rng.sample([k for k in keys if k.startswith(letter)], 40))
    frame = lookup_many(sample)
    assert frame.drop("postcode").to_dicts() == [single(v) for v in sample]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=10), st.sampled_from(KNOWN)), max_size=20))
def test_never_raises_and_agrees_with_the_single_lookup(values):
    frame = lookup_many(values)
    assert frame.height == len(values)
    assert frame.drop("postcode").to_dicts() == [single(v) for v in values]


@pytest.mark.django_db
def test_district_councils_joins_recoded_councils():
    frame = lookup_many(["CA1 1AA", "S1 2HH", "SK4 2AB"]).join(
        district_councils(), on="district", how="left", maintain_order="left"
    )
    assert frame["council_dfe_code"].to_list() == ["942", "373", "356"]
    assert frame["council_name"].to_list() == ["Cumberland", "Sheffield", "Stockport"]
    assert frame["police_force_name"].to_list()[2] == "Greater Manchester"
    assert district_councils()["district"].is_unique().all()
