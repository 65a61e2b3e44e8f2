"""Places, distances, council codes and postcode samples, read through the selectors."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from sightline.core.errors import ValidationError
from sightline.geography.postcodes import PostcodeError
from sightline.geography.selectors import (
    council_by_code,
    distance_between,
    postcode_place,
    sample_postcodes,
)

pytestmark = pytest.mark.django_db


def test_stockport_postcode_resolves_to_council_and_force():
    place = postcode_place(postcode="sk4 2ab")
    assert place.postcode == "SK4 2AB"
    assert place.district is not None and place.district.code == "E08000007"
    assert place.council is not None
    assert (place.council.name, place.council.ons_code, place.council.dfe_code) == (
        "Stockport",
        "E08000007",
        "356",
    )
    assert place.police_force is not None and place.police_force.code == "E23000005"
    assert (place.easting, place.northing) == (387598, 390731)
    assert place.in_england_or_wales


@pytest.mark.parametrize(
    ("postcode", "district", "council", "dfe_code", "force"),
    [
        ("CA3 8QG", "E06000063", "Cumberland", "942", "E23000002"),
        ("LA9 4DL", "E06000064", "Westmorland and Furness", "943", "E23000002"),
        ("DL7 8AD", "E06000065", "North Yorkshire", "815", "E23000009"),
        ("TA1 1HE", "E06000066", "Somerset", "933", "E23000036"),
        # Recoded in May 2025: the directory's new code maps to the council's DfE identity.
        ("S70 2TA", "E08000038", "E08000016", "370", "E23000011"),
        ("S1 2HH", "E08000039", "E08000019", "373", "E23000011"),
    ],
)
def test_postcodes_in_recoded_councils_resolve(postcode, district, council, dfe_code, force):
    place = postcode_place(postcode=postcode)
    assert place.district is not None and place.district.code == district
    assert place.council is not None
    assert council in (place.council.name, place.council.ons_code)
    assert place.council.dfe_code == dfe_code
    assert place.council.is_current
    assert place.police_force is not None and place.police_force.code == force


def test_welsh_postcode_resolves_to_welsh_council_and_force():
    place = postcode_place(postcode="CF10 1EP")
    assert place.council is not None and place.police_force is not None
    assert (place.council.name, place.council.country, place.council.dfe_code) == (
        "Cardiff",
        "W",
        "",
    )
    assert (place.police_force.name, place.police_force.code) == ("South Wales", "W15000003")
    assert place.in_england_or_wales


@pytest.mark.parametrize(
    ("postcode", "district_code"),
    [
        ("EH1 1YZ", "S12000036"),
        ("BT1 5GS", "N09000003"),
        ("JE2 3AB", "L99999999"),
        ("AB11 3AG", None),
    ],
)
def test_postcodes_outside_england_and_wales_have_no_council(postcode, district_code):
    place = postcode_place(postcode=postcode)
    assert (place.district, place.council, place.police_force) == (None, None, None)
    assert not place.in_england_or_wales
    assert place.district_code == district_code


def test_malformed_and_unknown_postcodes_raise_friendly_errors():
    with pytest.raises(PostcodeError, match=r'"XYZ" is not a postcode\.'):
        postcode_place(postcode="XYZ")
    with pytest.raises(PostcodeError, match=r'cannot find the postcode "ZZ9 9ZZ"'):
        postcode_place(postcode="ZZ9 9ZZ")


def test_distance_matches_the_dfe_derivation():
    stockport = postcode_place(postcode="SK4 2AB")
    westminster = postcode_place(postcode="SW1A 1AA")
    distance = distance_between(a=stockport, b=westminster)
    assert distance.miles == Decimal("157.9")
    assert distance.km == Decimal("254.1")
    assert distance.metres == pytest.approx(254120.6, abs=0.1)
    # SSDA903 PL_DISTANCE: metres / 1000 / 1.6093, one decimal place.
    assert round(distance.metres / 1000 / 1.6093, 1) == 157.9
    assert distance_between(a=westminster, b=stockport) == distance
    assert distance_between(a=stockport, b=stockport).miles == Decimal("0.0")


def test_distance_needs_a_grid_reference_on_one_grid():
    stockport = postcode_place(postcode="SK4 2AB")
    with pytest.raises(PostcodeError, match='no grid reference for "JE2 3AB"'):
        distance_between(a=stockport, b=postcode_place(postcode="JE2 3AB"))
    with pytest.raises(PostcodeError, match="Northern Ireland"):
        distance_between(a=stockport, b=postcode_place(postcode="BT1 5GS"))
    # Scotland is on the same grid as England and Wales.
    assert distance_between(a=stockport, b=postcode_place(postcode="EH1 1YZ")).miles > 150


@pytest.mark.parametrize(
    ("code", "ons_code"),
    [
        ("356", "E08000007"),
        (" e08000007 ", "E08000007"),
        ("370", "E08000016"),
        ("E08000038", "E08000016"),
        ("E08000039", "E08000019"),
        ("815", "E06000065"),  # re-used: the current North Yorkshire, not the old county
        ("933", "E06000066"),
        ("E10000023", "E10000023"),  # the old county, by its own ONS code
        ("909", "E10000006"),  # Cumbria: abolished, still found for old returns
        ("W06000015", "W06000015"),
    ],
)
def test_council_by_code(code, ons_code):
    assert council_by_code(code=code).ons_code == ons_code


@pytest.mark.parametrize("code", ["999", "E99999999", "Stockport", "", "E0800003"])
def test_council_by_code_unknown(code):
    with pytest.raises(ValidationError, match="We do not know a council with the code") as caught:
        council_by_code(code=code)
    assert caught.value.field == "council"


def test_sample_postcodes_is_reproducible_and_in_the_council():
    barnsley = council_by_code(code="370")
    first = sample_postcodes(council=barnsley, k=5, rng=random.Random(42))
    again = sample_postcodes(council=barnsley, k=5, rng=random.Random(42))
    assert first == again
    assert len(set(first)) == 5
    for postcode in first:
        place = postcode_place(postcode=postcode)
        assert place.council == barnsley


def test_sample_postcodes_refuses_abolished_councils_and_too_many():
    with pytest.raises(ValidationError, match="no districts of its own"):
        sample_postcodes(council=council_by_code(code="909"), k=1, rng=random.Random(1))
    with pytest.raises(ValidationError, match="Choose between 0 and"):
        sample_postcodes(council=council_by_code(code="201"), k=10**6, rng=random.Random(1))
