"""The offline base map: small, every English and Welsh council on it, where the postcode
directory puts it, and what `sightline geography basemap` would write today."""

from __future__ import annotations

import csv
import json

import pytest
from django.core.management import call_command

from sightline.geography import basemap, postcodes

CURRENT = {
    row["ons_code"]: row["name"]
    for row in csv.DictReader(
        (basemap.DATA_DIR / "councils.csv").open(newline="", encoding="utf-8")
    )
    if row["is_current"] == "true"
}


@pytest.fixture(scope="module")
def shipped() -> basemap.BaseMap:
    return basemap.basemap_read()


def test_the_shipped_files_are_small():
    image = basemap.STATIC_DIR / basemap.IMAGE_NAME
    index = basemap.STATIC_DIR / basemap.INDEX_NAME
    assert image.stat().st_size + index.stat().st_size < 300_000
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_every_current_english_and_welsh_council_is_drawn(shipped: basemap.BaseMap):
    drawn = {c["code"]: c for c in shipped.councils if c["squares"] > 0}
    assert set(drawn) == set(CURRENT) and len(CURRENT) == 175
    assert {code: c["name"] for code, c in drawn.items()} == CURRENT
    # Each council's label point lies inside its own area.
    for code, council in drawn.items():
        assert shipped.council_at(*council["label"]) == code, council["name"]
    # Every square's colour index names a council.
    assert max(max(line) for line in shipped.cells) == len(shipped.councils)


@pytest.mark.parametrize(
    ("postcode", "council"),
    [
        ("SK4 2AB", "E08000007"),  # Stockport
        ("SW1A 1AA", "E09000033"),  # Westminster
        ("CF10 1EP", "W06000015"),  # Cardiff
        ("TR21 0LW", "E06000053"),  # Isles of Scilly
        ("LL65 1DQ", "W06000001"),  # Isle of Anglesey
        ("CA1 1RR", "E06000063"),  # Cumberland
        ("TD15 1AA", "E06000057"),  # Northumberland (Berwick-upon-Tweed)
    ],
)
def test_a_place_is_drawn_in_its_council(shipped: basemap.BaseMap, postcode, council):
    entry = postcodes.lookup(postcode)
    assert entry.easting is not None and entry.northing is not None
    assert shipped.council_at(entry.easting, entry.northing) == council


def test_the_sea_and_scotland_are_not_drawn(shipped: basemap.BaseMap):
    assert shipped.council_at(400_000, 50_000) is None  # the English Channel
    assert shipped.council_at(200_000, 300_000) is None  # the Irish Sea
    # Dumfries and Galloway, inside the grid but in Scotland.
    for postcode in postcodes.postcodes_in_districts({"S12000006"})[::500]:
        entry = postcodes.lookup(postcode)
        assert shipped.council_at(entry.easting, entry.northing) is None, postcode  # type: ignore[arg-type]


def test_the_index_carries_the_attribution():
    index = json.loads((basemap.STATIC_DIR / basemap.INDEX_NAME).read_text(encoding="utf-8"))
    assert index["crs"] == "EPSG:27700"
    assert "Open Government Licence" in index["attribution"]
    assert "© Crown copyright" in index["attribution"]


def test_the_command_finds_the_shipped_map_up_to_date(capsys):
    """Derived afresh from the installed directory, the map is byte for byte what ships."""
    call_command("geography", "basemap", "--check")
    assert "up to date" in capsys.readouterr().out


def test_the_command_writes_a_map_that_reads_back(tmp_path):
    derived = basemap.basemap_derive()
    basemap.basemap_write(derived, tmp_path)
    again = basemap.basemap_read(tmp_path)
    assert again.cells == derived.cells and again.councils == derived.councils
