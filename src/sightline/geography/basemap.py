"""The offline base map: England and Wales's councils on a 1 km grid, drawn from postcodes.

No registry package ships UK boundaries, and many council networks (and the demo and the
tests) cannot fetch map tiles. The postcode directory Sightline already reads holds a grid
reference and a district for every postcode: every 1 km square of the British National Grid
that holds a postcode is land, and the district most of its postcodes lie in names its
council. That draws council areas well enough for a regional or national picture.

The result is shipped as two static files (``static/geography/``), written once by
``sightline geography basemap`` and read by the browser:

- ``england-wales-councils.png``: one pixel per square, north at the top; a palette image
  whose colour index is the council (0 is a square with no postcode: sea, or empty moor);
- ``england-wales-councils.json``: where the image lies on the grid, and the council of
  each colour index with its name and a label point.

The palette gives neighbouring councils different colours (a greedy colouring of the
councils that share an edge). Nothing reads the postcode directory at run time to draw a map.
"""

from __future__ import annotations

import csv
import functools
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sightline.geography import postcodes

DATA_DIR = Path(__file__).resolve().parent / "data"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "geography"
IMAGE_NAME = "england-wales-councils.png"
INDEX_NAME = "england-wales-councils.json"

CELL_METRES = 1000
# The grid's extent in whole squares: every English and Welsh postcode lies inside
# (the Isles of Scilly reach west to easting 83 km, Berwick north to northing 658 km).
WEST, SOUTH, EAST, NORTH = 0, 0, 660_000, 670_000

# A square with no postcode becomes land when this many of its eight neighbours are.
FILL_NEIGHBOURS = 5

# Soft fills that keep the map's points and GOV.UK focus colours readable on top.
FILLS = ("#cfe0bd", "#e6d9b8", "#c2d8e3", "#e6cdd5", "#d3cfe6", "#dde0b5", "#c6e0d4")

ATTRIBUTION = (
    "Council areas derived from the ONS Postcode Directory (November 2025). "
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0. "
    "Contains OS data © Crown copyright and database right 2025. "
    "Contains Royal Mail data © Royal Mail copyright and database right 2025. "
    "Contains GeoPlace data © Local Government Information House Limited copyright and "
    "database right 2025."
)


@dataclass(frozen=True)
class BaseMap:
    """A council index per square: ``cells[row][column]`` is 0 (no postcode) or one plus
    the position of the square's council in ``councils``; row 0 is the northernmost."""

    cell_metres: int
    west: int
    south: int
    width: int
    height: int
    councils: list[dict[str, Any]]  # code, name, label [easting, northing], squares
    cells: list[bytes]

    def council_at(self, easting: int, northing: int) -> str | None:
        """The ONS code of the council drawn at a grid reference, or None (no postcode)."""
        column = (easting - self.west) // self.cell_metres
        row = self.height - 1 - (northing - self.south) // self.cell_metres
        if not (0 <= column < self.width and 0 <= row < self.height):
            return None
        index = self.cells[row][column]
        return self.councils[index - 1]["code"] if index else None


def _reference() -> tuple[dict[str, str], dict[str, str]]:
    """District code -> council code, and council code -> name, from the shipped CSVs."""
    with (DATA_DIR / "districts.csv").open(newline="", encoding="utf-8") as handle:
        district_council = {row["code"]: row["council_ons_code"] for row in csv.DictReader(handle)}
    with (DATA_DIR / "councils.csv").open(newline="", encoding="utf-8") as handle:
        names = {row["ons_code"]: row["name"] for row in csv.DictReader(handle)}
    return district_council, names


def basemap_derive(*, cell_metres: int = CELL_METRES) -> BaseMap:
    """Derive the base map from the installed postcode directory (a few seconds; about
    100 MB while it runs). Each square takes the council most of its postcodes lie in."""
    import numpy as np

    district_council, names = _reference()
    codes, districts, eastings, northings = postcodes.grid_references()
    councils = sorted({district_council[c] for c in codes if c in district_council})
    if len(councils) > 255:
        raise ValueError("more councils than a palette image holds")
    council_of_district = np.array(
        [councils.index(district_council[c]) + 1 if c in district_council else 0 for c in codes],
        dtype=np.int64,
    )
    council = council_of_district[districts]
    width = (EAST - WEST) // cell_metres
    height = (NORTH - SOUTH) // cell_metres
    column = (eastings.astype(np.int64) - WEST) // cell_metres
    row = height - 1 - (northings.astype(np.int64) - SOUTH) // cell_metres
    keep = (council > 0) & (column >= 0) & (column < width) & (row >= 0) & (row < height)
    square = row[keep] * width + column[keep]
    pairs, counts = np.unique(square * 256 + council[keep], return_counts=True)
    pair_square, pair_council = pairs // 256, pairs % 256
    # The most postcodes wins; a tie goes to the lower council index (stable, repeatable).
    order = np.lexsort((pair_council, -counts, pair_square))
    pair_square, pair_council = pair_square[order], pair_council[order]
    first = np.concatenate(([True], pair_square[1:] != pair_square[:-1]))
    grid = np.zeros(width * height, dtype=np.uint8)
    grid[pair_square[first]] = pair_council[first].astype(np.uint8)
    grid = _fill_holes(grid.reshape(height, width))

    entries: list[dict[str, Any]] = []
    for index, code in enumerate(councils, start=1):
        rows, columns = np.nonzero(grid == index)
        if len(rows):
            # The council's own square nearest the middle of its squares: inside the area
            # even for a crescent-shaped council.
            middle_row, middle_column = rows.mean(), columns.mean()
            nearest = int(np.argmin((rows - middle_row) ** 2 + (columns - middle_column) ** 2))
            label = [
                WEST + int(columns[nearest]) * cell_metres + cell_metres // 2,
                SOUTH + (height - 1 - int(rows[nearest])) * cell_metres + cell_metres // 2,
            ]
        else:
            label = None
        entries.append({"code": code, "name": names[code], "label": label, "squares": len(rows)})
    return BaseMap(
        cell_metres=cell_metres,
        west=WEST,
        south=SOUTH,
        width=width,
        height=height,
        councils=entries,
        cells=[bytes(r) for r in grid.tolist()],
    )


def _fill_holes(grid: Any) -> Any:
    """Give a square with no postcode the council of most of its eight neighbours when at
    least ``FILL_NEIGHBOURS`` of them are land, until nothing changes: fields and woods
    between villages become land, while the sea beside a straight coast (three land
    neighbours) and the middle of a wide moor stay empty."""
    import numpy as np

    height, width = grid.shape
    for _ in range(50):
        padded = np.pad(grid, 1)
        around = np.stack(
            [
                padded[1 + dr : 1 + dr + height, 1 + dc : 1 + dc + width]
                for dr in (-1, 0, 1)
                for dc in (-1, 0, 1)
                if dr or dc
            ]
        )
        land = (around > 0).sum(axis=0)
        candidates = (grid == 0) & (land >= FILL_NEIGHBOURS)
        if not candidates.any():
            break
        rows, columns = np.nonzero(candidates)
        filled = grid.copy()
        for r, c in zip(rows.tolist(), columns.tolist(), strict=True):
            values = around[:, r, c]
            values = values[values > 0]
            counts = np.bincount(values)
            filled[r, c] = int(np.argmax(counts))  # the lowest index among the most common
        grid = filled
    return grid


def _colours(basemap: BaseMap) -> list[int]:
    """A fill for each council (an index into FILLS) such that councils sharing an edge
    differ, where the fills allow: greedy, most neighbours first."""
    neighbours: dict[int, set[int]] = {i: set() for i in range(1, len(basemap.councils) + 1)}
    for r, line in enumerate(basemap.cells):
        below = basemap.cells[r + 1] if r + 1 < basemap.height else None
        for c, here in enumerate(line):
            if not here:
                continue
            for there in (line[c + 1] if c + 1 < basemap.width else 0, below[c] if below else 0):
                if there and there != here:
                    neighbours[here].add(there)
                    neighbours[there].add(here)
    colour: dict[int, int] = {}
    for index in sorted(neighbours, key=lambda i: (-len(neighbours[i]), i)):
        taken = {colour[n] for n in neighbours[index] if n in colour}
        free = [f for f in range(len(FILLS)) if f not in taken]
        colour[index] = free[0] if free else index % len(FILLS)
    return [colour[i] for i in range(1, len(basemap.councils) + 1)]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bytes(basemap: BaseMap) -> bytes:
    """The map as an 8-bit palette PNG: index 0 transparent, each council its fill."""
    palette = bytearray(b"\xff\xff\xff")
    for fill in _colours(basemap):
        palette += bytes.fromhex(FILLS[fill][1:])
    transparency = b"\x00" + b"\xff" * len(basemap.councils)
    raw = b"".join(b"\x00" + line for line in basemap.cells)  # filter type 0 on every row
    header = struct.pack(">IIBBBBB", basemap.width, basemap.height, 8, 3, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"PLTE", bytes(palette))
        + _chunk(b"tRNS", transparency)
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )


def index_json(basemap: BaseMap) -> dict[str, Any]:
    return {
        "image": IMAGE_NAME,
        "cell_metres": basemap.cell_metres,
        "west": basemap.west,
        "south": basemap.south,
        "width": basemap.width,
        "height": basemap.height,
        "crs": "EPSG:27700",
        "attribution": ATTRIBUTION,
        "councils": basemap.councils,
    }


def basemap_write(basemap: BaseMap, folder: Path = STATIC_DIR) -> list[Path]:
    """Write the image and its index into ``folder``; returns the two paths."""
    folder.mkdir(parents=True, exist_ok=True)
    image, index = folder / IMAGE_NAME, folder / INDEX_NAME
    image.write_bytes(png_bytes(basemap))
    index.write_text(
        json.dumps(index_json(basemap), ensure_ascii=False, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    return [image, index]


def basemap_read(folder: Path = STATIC_DIR) -> BaseMap:
    """Read the shipped base map back (the tests check it; nothing else needs to)."""
    meta = json.loads((folder / INDEX_NAME).read_text(encoding="utf-8"))
    data = (folder / IMAGE_NAME).read_bytes()
    position, idat = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            idat += data[position + 8 : position + 8 + length]
        position += 12 + length
    raw = zlib.decompress(idat)
    width, height = meta["width"], meta["height"]
    stride = width + 1
    cells = []
    for r in range(height):
        line = raw[r * stride : (r + 1) * stride]
        if line[0] != 0:
            raise ValueError("the base map image uses a PNG filter this reader does not know")
        cells.append(bytes(line[1:]))
    return BaseMap(
        cell_metres=meta["cell_metres"],
        west=meta["west"],
        south=meta["south"],
        width=width,
        height=height,
        councils=meta["councils"],
        cells=cells,
    )


@functools.cache
def _adjoining() -> dict[str, frozenset[str]]:
    """Council code -> the councils whose squares touch its squares on the shipped base map
    (sharing an edge or a corner), read once per process."""
    basemap = basemap_read()
    codes = [c["code"] for c in basemap.councils]
    pairs: dict[str, set[str]] = {code: set() for code in codes}
    for r, line in enumerate(basemap.cells):
        below = basemap.cells[r + 1] if r + 1 < basemap.height else b""
        for c, here in enumerate(line):
            if not here:
                continue
            around = [line[c + 1] if c + 1 < basemap.width else 0]
            if below:
                around += [below[c - 1] if c else 0, below[c]]
                around.append(below[c + 1] if c + 1 < basemap.width else 0)
            for there in around:
                if there and there != here:
                    pairs[codes[here - 1]].add(codes[there - 1])
                    pairs[codes[there - 1]].add(codes[here - 1])
    return {code: frozenset(others) for code, others in pairs.items()}


def councils_adjoining(code: str) -> frozenset[str]:
    """The ONS codes of the councils that adjoin a council: their areas touch on the shipped
    base map (1 km squares drawn from the postcode directory, sharing an edge or a corner).

    Councils that face each other only across wide water (the Severn, the Humber) do not
    touch on a 1 km grid and are not adjoining here; the matching check (ADR 51) reads
    "adjoining" this way so that the same two councils always get the same answer."""
    return _adjoining().get(code, frozenset())
