"""Ofsted's register of social care providers, the input of the eight DfE rules that check an
episode's URN against it (1008, 219, 221, 224, 227, 228, 229, 241; ADR 0056).

The register is read from the CSV Ofsted publishes with its official statistics, "Children's
social care providers: provider level data" (one row per provider: URN, Provision type,
Registration date, Registration status, Postcode, Local authority, Sector...). A register
that also lists closed providers may add a "Deregistration date" (or "Closed date") column:
without one, 227 and 228 have no end of registration to compare with and find nothing.

What the rules need is derived from it here, once, as data:

- the placement types (PLACE) a provider may take, from its ``Provision type``
  (``PLACES_BY_PROVISION``);
- the provider codes (PLACE_PROVIDER) it may be recorded with, from its ``Sector``
  (``PROVIDERS_BY_SECTOR``; a council's own home is PR1 to that council, PR2 to others);
- its postcode (Ofsted withholds children's homes' postcodes as "REDACTED": 221 then has
  nothing to compare and finds nothing);
- its council, the ONS code of the ``Local authority`` it names (``geography.Council``).

A row Sightline cannot read (no URN, an unknown provision type, sector or council, a date that
is not a date) is refused, with the file, row and field, as a return's rows are.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sightline.geography.models import Council
from sightline.returns.reader import Problem, ReadError

#: The placement types each provision type may be recorded with (SSDA903 PLACE codes).
PLACES_BY_PROVISION: dict[str, tuple[str, ...]] = {
    "children's home": ("K2",),
    "secure children's home": ("K1",),
    "residential special school (registered as a children's home)": ("K2", "S1"),
    "residential special school": ("S1",),
    "boarding school": ("S1",),
    "further education college with residential accommodation": ("S1",),
    "residential family centre": ("R3",),
    "independent fostering agency": ("U1", "U2", "U3", "U4", "U5", "U6"),
    "voluntary adoption agency": ("A3", "A4", "A5", "A6"),
    "adoption support agency": (),
    "residential holiday scheme for disabled children": (),
    "secure training centre": ("R5",),
    # Registered from April 2024 (K3; H5 in 2023/24 returns, which K3 replaced).
    "supported accommodation": ("K3", "H5"),
}

#: The placement provider codes each sector may be recorded with.
PROVIDERS_BY_SECTOR: dict[str, tuple[str, ...]] = {
    "local authority": ("PR1", "PR2"),
    "health authority": ("PR3",),
    "academy": ("PR3",),
    "private": ("PR4",),
    "voluntary": ("PR5",),
}

_REQUIRED = ("URN", "Provision type", "Sector", "Local authority", "Postcode")
_ENDS = ("Deregistration date", "Closed date")
_WITHHELD = {"", "REDACTED"}
_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")

#: The columns of ``Providers.frame``: one row per URN.
SCHEMA: dict[str, pl.DataType] = {
    "URN": pl.String(),
    "P_PLACES": pl.List(pl.String),
    "P_PROVIDERS": pl.List(pl.String),
    "P_POSTCODES": pl.List(pl.String),
    "P_LAS": pl.List(pl.String),
    "P_REG_END": pl.Date(),
}


@dataclass(frozen=True, eq=False)
class Providers:
    """The register as the rules read it, with where it came from (for the report)."""

    frame: pl.DataFrame
    source_name: str

    @property
    def count(self) -> int:
        return self.frame.height


def _key(name: str) -> str:
    """A council's name as Ofsted and the ONS spell it, compared without case, punctuation,
    "City of"/"County of", a leading "County" (Ofsted's "Durham") and "&"/"and"."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"\b(city|county) of\b", " ", text)
    text = re.sub(r"^\s*county\s+", "", text)
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def _councils() -> dict[str, str]:
    """Council names (keyed by ``_key``) to ONS codes, current councils winning."""
    found: dict[str, str] = {}
    for code, name in Council.objects.order_by("is_current").values_list("ons_code", "name"):
        found[_key(name)] = code
    return found


def _postcode(value: str) -> str | None:
    text = value.strip().upper()
    return None if text in _WITHHELD else text.replace(" ", "")


def read_providers(path: Path) -> Providers:
    """Read Ofsted's provider-level CSV at ``path``. Raises ``ReadError`` naming every row and
    field Sightline cannot read."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ReadError(
            [Problem(name, f"Sightline could not open the file ({exc.strerror}).")]
        ) from exc
    except UnicodeDecodeError as exc:
        raise ReadError(
            [Problem(name, "The file is not UTF-8 text. Save it as CSV (UTF-8).")]
        ) from exc
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in _REQUIRED if c not in columns]
    if missing:
        raise ReadError(
            [
                Problem(
                    name,
                    "This is not Ofsted's provider-level list: it has no "
                    f"{', '.join(missing)} column{'s' if len(missing) > 1 else ''}.",
                )
            ]
        )
    reader.fieldnames = columns
    end_column = next((c for c in _ENDS if c in columns), None)
    councils = _councils()
    rows: list[dict[str, object]] = []
    problems: list[Problem] = []
    for number, raw in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        urn = row["URN"].upper()
        if not urn or len(urn) > 8:
            problems.append(Problem(name, "The URN is blank or longer than 8.", number, "URN"))
            continue
        provision = row["Provision type"].lower()
        if provision not in PLACES_BY_PROVISION:
            problems.append(
                Problem(
                    name,
                    "The provision type is not one Sightline knows "
                    f"({', '.join(sorted(PLACES_BY_PROVISION))}).",
                    number,
                    "Provision type",
                )
            )
            continue
        sector = row["Sector"].lower()
        if sector not in PROVIDERS_BY_SECTOR:
            problems.append(
                Problem(
                    name,
                    f"The sector is not one of {', '.join(sorted(PROVIDERS_BY_SECTOR))}.",
                    number,
                    "Sector",
                )
            )
            continue
        council = councils.get(_key(row["Local authority"]))
        if council is None:
            problems.append(
                Problem(
                    name,
                    "The local authority is not a council Sightline knows.",
                    number,
                    "Local authority",
                )
            )
            continue
        ended: dt.date | None = None
        if end_column and row.get(end_column):
            value = row[end_column]
            try:
                if not _DATE.match(value):
                    raise ValueError(value)
                day, month, year = (int(part) for part in value.split("/"))
                ended = dt.date(year, month, day)
            except ValueError:
                problems.append(
                    Problem(name, "The date is not a dd/mm/yyyy date.", number, end_column)
                )
                continue
        rows.append(
            {
                "URN": urn,
                "place": list(PLACES_BY_PROVISION[provision]),
                "provider": list(PROVIDERS_BY_SECTOR[sector]),
                "postcode": _postcode(row["Postcode"]),
                "la": council,
                "ended": ended,
                "open": ended is None,
            }
        )
        if len(problems) >= 100:
            break
    if problems:
        raise ReadError(problems)
    if not rows:
        raise ReadError([Problem(name, "The file lists no providers.")])
    frame = pl.DataFrame(
        rows,
        schema={
            "URN": pl.String,
            "place": pl.List(pl.String),
            "provider": pl.List(pl.String),
            "postcode": pl.String,
            "la": pl.String,
            "ended": pl.Date,
            "open": pl.Boolean,
        },
    )
    # A provider listed more than once (premises in several councils) is one URN with all
    # its places, codes, postcodes and councils; still registered if any row is open.
    by_urn = frame.group_by("URN", maintain_order=True).agg(
        P_PLACES=pl.col("place").explode().unique().sort(),
        P_PROVIDERS=pl.col("provider").explode().unique().sort(),
        P_POSTCODES=pl.col("postcode").drop_nulls().unique().sort(),
        P_LAS=pl.col("la").unique().sort(),
        P_REG_END=pl.when(pl.col("open").any()).then(None).otherwise(pl.col("ended").max()),
    )
    return Providers(frame=by_urn.select(list(SCHEMA)).cast(pl.Schema(SCHEMA)), source_name=name)
