"""The postcode directory reader: normalising, looking up, listing by district."""

from __future__ import annotations

import threading

import pytest

from sightline.core.errors import ValidationError
from sightline.geography import postcodes
from sightline.geography.postcodes import (
    DirectoryEntry,
    PostcodeError,
    lookup,
    normalise_postcode,
    postcodes_in_districts,
)
from tests.geography.conftest import all_keys


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("sk42ab", "SK4 2AB"),
        (" SK4 2AB ", "SK4 2AB"),
        ("sk4  2ab", "SK4 2AB"),
        ("Sk4\t2aB\n", "SK4 2AB"),
        ("s11aa", "S1 1AA"),
        ("SW1A1AA", "SW1A 1AA"),
        ("cf10 1ep", "CF10 1EP"),
        ("M1 1AE", "M1 1AE"),
        # Odd postcodes the directory holds: Girobank, and Newport before 1984.
        ("gir0aa", "GIR 0AA"),
        ("NPT 0AD", "NPT 0AD"),
    ],
)
def test_normalise_accepts_any_case_and_spacing(raw, expected):
    assert normalise_postcode(raw) == expected


@pytest.mark.parametrize(
    "raw", ["XYZ", "SK4-2AB", "12345", "SK4 2A", "SK4 2ABC", "S 1AA", "SK4 AAB"]
)
def test_malformed_postcodes_are_named_in_the_message(raw):
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode(raw)
    assert (
        caught.value.message == f'Enter a real postcode, like SK4 2AB. "{raw}" is not a postcode.'
    )
    assert caught.value.field == "postcode"
    assert isinstance(caught.value, ValidationError)


def test_blank_postcode_asks_for_one():
    with pytest.raises(PostcodeError, match=r"^postcode: Enter a postcode, like SK4 2AB\.$"):
        normalise_postcode("   ")


def test_a_very_long_value_is_shortened_in_the_message():
    with pytest.raises(PostcodeError) as caught:
        normalise_postcode("x" * 500)
    assert caught.value.message.endswith('"xxxxxxxxxxxxxxxxxxxx…" is not a postcode.')


@pytest.mark.parametrize("raw", ["ZZ9 9ZZ", "zz99zz"])
def test_unknown_postcode_says_which_directory_was_searched(raw):
    with pytest.raises(PostcodeError) as caught:
        lookup(raw)
    assert caught.value.message == (
        'We cannot find the postcode "ZZ9 9ZZ" in the ONS Postcode Directory (November 2025). '
        "Check it and try again."
    )


def test_postcode_in_a_letter_with_no_postcodes_is_unknown():
    with pytest.raises(PostcodeError, match='"Q1 1AA"'):
        lookup("Q1 1AA")


def test_lookup_gives_district_and_grid_reference():
    assert lookup("sk4 2ab") == DirectoryEntry("SK4 2AB", "E08000007", 387598, 390731)
    # Seven-character postcodes have no space in the directory's own key.
    assert lookup("SW1A1AA") == DirectoryEntry("SW1A 1AA", "E09000033", 529090, 179645)
    # Five-character ones have two.
    assert lookup("S1 1AA").district_code == "E08000039"


def test_every_kind_of_postcode_in_the_directory_is_accepted():
    # Checks every key in the directory fits the pattern normalise_postcode accepts.
    keys = all_keys()
    assert len(keys) == 2_720_556
    odd = [p for p in keys if not postcodes._POSTCODE_RE.fullmatch(p.replace(" ", ""))]
    assert odd == []
    assert lookup("NPT 0AD").district_code == "W06000022"


def test_channel_islands_and_isle_of_man_have_no_grid_reference():
    assert lookup("JE2 3AB") == DirectoryEntry("JE2 3AB", "L99999999", None, None)
    assert lookup("IM1 1AA") == DirectoryEntry("IM1 1AA", "M99999999", None, None)


def test_postcode_with_no_district_in_the_directory():
    entry = lookup("AB11 3AG")
    assert entry == DirectoryEntry("AB11 3AG", None, None, None)


def test_postcodes_in_districts_lists_sorted_real_postcodes():
    found = postcodes_in_districts({"E06000063"})  # Cumberland
    assert found == sorted(found)
    assert len(found) > 5000
    assert "CA3 8QG" in found
    assert all(lookup(p).district_code == "E06000063" for p in found[:: len(found) // 50])
    assert postcodes_in_districts({"NOT-A-CODE"}) == []


def test_concurrent_first_lookups_map_the_directory_once():
    postcodes.cache_clear()
    results: list[DirectoryEntry] = []
    tables = []

    def worker():
        results.append(lookup("SK4 2AB"))
        tables.append(postcodes._directory)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and len(set(results)) == 1
    assert len({id(table) for table in tables}) == 1
