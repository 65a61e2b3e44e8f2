"""Finding the SSDA903 returns in a folder, in whatever layout they were saved.

The SSDA903 tables do not name the council or the collection year (the Header holds a child's
CHILD, SEX, DOB...; the council and year are those of the upload), so each return's council
and year come from either

- a manifest, ``manifest.csv`` at the top of the folder, with the columns ``path`` (a folder of
  CSV files or one XML or CSV file, relative to the manifest), ``council`` (the DfE three-digit
  code) and ``year`` (the collection year by its end: 2025 is 2024/25); or, without one,
- the names on the way to each return: one known DfE code (three digits standing alone, as in
  ``356/2025``, ``stockport_356`` or ``356-2024-25``) and one year (``2025``, or ``2024-25``
  and ``2024_25`` for 2024/25).

A return is a folder holding CSV files (its tables) or an XML file. Anything unclear (no code,
two codes, no year, the same council and year twice) is refused with the path and the way out.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from sightline.core.errors import ValidationError

__all__ = ["MANIFEST", "FoundReturn", "council_and_year_of", "find_returns"]

MANIFEST = "manifest.csv"
_CODE = re.compile(r"(?<![0-9])([0-9]{3})(?![0-9])")
_YEAR = re.compile(r"(?<![0-9])(20[0-9]{2})(?:[-_]([0-9]{2}))?(?![0-9])")


@dataclass(frozen=True)
class FoundReturn:
    council: str  # DfE three-digit code
    year: int  # collection year by its end
    path: Path  # a folder of CSV files, or one file


def find_returns(directory: Path, councils: set[str]) -> list[FoundReturn]:
    """Every return under ``directory``, by council and year. ``councils``: the DfE codes
    Sightline knows."""
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a folder of returns.", field="returns")
    manifest = directory / MANIFEST
    found = _from_manifest(manifest, councils) if manifest.is_file() else _by_names(directory)
    if not found:
        raise ValidationError(
            f"{directory} holds no returns: expected folders of SSDA903 CSV files (or XML "
            f"files) named by council and year, like 356/2025/episodes.csv, or a {MANIFEST}.",
            field="returns",
        )
    seen: dict[tuple[str, int], Path] = {}
    for item in found:
        if item.council not in councils:
            raise ValidationError(
                f"We do not know a council with the DfE code {item.council}.",
                record=str(item.path),
                field="council",
            )
        earlier = seen.setdefault((item.council, item.year), item.path)
        if earlier != item.path:
            raise ValidationError(
                f"{earlier} and {item.path} are both council {item.council}'s return for "
                f"{item.year}: keep one, or say which is which in {MANIFEST}.",
                record=str(item.path),
                field="returns",
            )
    return sorted(found, key=lambda r: (r.council, r.year, str(r.path)))


def _from_manifest(manifest: Path, councils: set[str]) -> list[FoundReturn]:
    with manifest.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        absent = {"path", "council", "year"} - set(reader.fieldnames or [])
        if absent:
            raise ValidationError(
                f"{manifest} has no column {', '.join(sorted(absent))}: give path, council "
                "and year for each return.",
                record=str(manifest),
                field="manifest",
            )
        found = []
        for number, row in enumerate(reader, start=2):
            path = manifest.parent / (row["path"] or "").strip()
            year = (row["year"] or "").strip()
            where = f"{manifest}, row {number}"
            if not (row["path"] or "").strip() or not path.exists():
                raise ValidationError(
                    f'{where}: there is no return at "{row["path"]}".',
                    record=str(manifest),
                    field="path",
                )
            if not (year.isdigit() and 2000 <= int(year) <= 2100):
                raise ValidationError(
                    f'{where}: year is "{year}", not a collection year like 2025 (for 2024/25).',
                    record=str(manifest),
                    field="year",
                )
            found.append(FoundReturn((row["council"] or "").strip(), int(year), path))
    return found


def _by_names(directory: Path) -> list[FoundReturn]:
    found = []
    for folder in sorted([directory, *(p for p in directory.rglob("*") if p.is_dir())]):
        files = sorted(p for p in folder.iterdir() if p.is_file())
        if any(p.suffix.lower() == ".csv" for p in files) and folder != directory:
            found.append(_named(directory, folder))
        found.extend(_named(directory, p) for p in files if p.suffix.lower() == ".xml")
    return found


def _named(directory: Path, path: Path) -> FoundReturn:
    relative = path.relative_to(directory)
    names = [*relative.parent.parts, relative.stem if path.is_file() else relative.name]
    codes = sorted({m for name in names for m in _CODE.findall(name)})
    years = sorted(
        {_year(first, second) for name in names for first, second in _YEAR.findall(name)}
    )
    if len(codes) != 1 or len(years) != 1:
        what = "council (a DfE code like 356)" if len(codes) != 1 else "collection year"
        raise ValidationError(
            f"We cannot tell the {what} of the return {relative} from its name: name its "
            f"folders like 356/2025, or list each return's path, council and year in "
            f"{directory / MANIFEST}.",
            record=str(path),
            field="returns",
        )
    return FoundReturn(codes[0], years[0], path)


def _year(first: str, second: str) -> int:
    """2025 for "2025"; 2025 for "2024-25" or "2024_25" (the year a collection ends)."""
    start = int(first)
    if second and int(second) == (start + 1) % 100:
        return start + 1
    return start


def council_and_year_of(path: Path) -> tuple[str | None, int | None]:
    """The council (DfE code) and collection year of the one return at ``path``, as
    ``find_returns`` would find them: from a ``manifest.csv`` in a folder above it that lists
    it, or else from the names nearest the return (``356/2025``, ``stockport_356/2024-25``,
    ``356-2024-25.xml``). Either is None where that cannot tell."""
    resolved = path.resolve()
    for folder in list(resolved.parents)[:4]:
        manifest = folder / MANIFEST
        if not manifest.is_file():
            continue
        try:
            listed = _from_manifest(manifest, set())
        except ValidationError:
            break
        for item in listed:
            if item.path.resolve() == resolved:
                return item.council or None, item.year
        break
    names = [
        resolved.stem if resolved.is_file() else resolved.name,
        *(p.name for p in resolved.parents),
    ]
    # The nearest names first: one folder, then two, then three; the first depth that names
    # exactly one code and one year (a deeper one would read the path's unrelated folders).
    for depth in (1, 2, 3):
        near = names[:depth]
        codes = {m for name in near for m in _CODE.findall(name)}
        years = {_year(a, b) for name in near for a, b in _YEAR.findall(name)}
        if len(codes) > 1 or len(years) > 1:
            return None, None
        if len(codes) == 1 and len(years) == 1:
            return codes.pop(), years.pop()
    return None, None
