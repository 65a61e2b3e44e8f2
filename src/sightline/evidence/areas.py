"""Areas the questions are asked for: England, a region, a council or a police force area."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import polars as pl

from sightline.core.errors import ValidationError
from sightline.evidence.frames import Extract


class AreaKind(enum.StrEnum):
    ENGLAND = "england"
    REGION = "region"
    COUNCIL = "council"
    POLICE_FORCE = "police"


class Perspective(enum.StrEnum):
    """Host: children living in the area (wherever they came from). Placing: children the
    area's councils are responsible for (wherever they live)."""

    HOST = "host"
    PLACING = "placing"


@dataclass(frozen=True)
class Area:
    kind: AreaKind
    code: str
    name: str

    @property
    def slug(self) -> str:
        return "england" if self.kind is AreaKind.ENGLAND else f"{self.kind}:{self.code}"


ENGLAND = Area(AreaKind.ENGLAND, "E92000001", "England")


def resolve(text: str, extract: Extract) -> Area:
    """An area from what a person types: "England", a council ("Stockport", "356",
    "E08000007"), a region ("region:North West") or a police force ("police:Kent").

    A bare name is a council first, then a region, then a police force ("Kent" is the council;
    "police:Kent" the force).
    """
    raw = text.strip()
    if not raw:
        raise ValidationError("Say which area: England, a council, a region or a police force.")
    kind: str | None = None
    name = raw
    if ":" in raw:
        prefix, _, rest = raw.partition(":")
        if prefix.strip().lower() in {k.value for k in AreaKind}:
            kind, name = prefix.strip().lower(), rest.strip()
    wanted = name.lower()
    if kind in (None, AreaKind.ENGLAND) and wanted in {"england", "e92000001"}:
        return ENGLAND
    councils = extract.councils
    forces = extract.forces
    if kind in (None, AreaKind.COUNCIL):
        hit = councils.filter(
            (pl.col("council_name").str.to_lowercase() == wanted)
            | (pl.col("council").str.to_lowercase() == wanted)
            | ((pl.col("dfe_code") == name) & (pl.col("dfe_code") != ""))
        )
        if hit.height:
            row = hit.row(0, named=True)
            return Area(AreaKind.COUNCIL, row["council"], row["council_name"])
    if kind in (None, AreaKind.REGION):
        hit = councils.filter(
            (pl.col("region_name").str.to_lowercase() == wanted)
            | (pl.col("region_code").str.to_lowercase() == wanted)
        )
        if hit.height:
            row = hit.row(0, named=True)
            return Area(AreaKind.REGION, row["region_code"], row["region_name"])
    if kind in (None, AreaKind.POLICE_FORCE):
        hit = forces.filter(
            (pl.col("police_force_name").str.to_lowercase() == wanted)
            | (pl.col("police_force").str.to_lowercase() == wanted)
        )
        if hit.height:
            row = hit.row(0, named=True)
            return Area(AreaKind.POLICE_FORCE, row["police_force"], row["police_force_name"])
    raise ValidationError(
        f'We do not know an area called "{raw[:60]}". Use England, a council (Stockport or '
        '356), "region:North West" or "police:Greater Manchester".',
        field="area",
    )


def council_codes(area: Area, extract: Extract) -> list[str] | None:
    """The councils in the area (ONS codes), or None for England (every council)."""
    c = extract.councils
    if area.kind is AreaKind.ENGLAND:
        return None
    if area.kind is AreaKind.COUNCIL:
        return [area.code]
    if area.kind is AreaKind.REGION:
        return c.filter(pl.col("region_code") == area.code)["council"].to_list()
    return c.filter(pl.col("police_force") == area.code)["council"].to_list()


def in_area(area: Area, extract: Extract, *, council: str, force: str | None = None) -> pl.Expr:
    """A filter: the row's council column (and, for a police force area, its force column)
    is in the area. A force area is the force's own column where the row has one, so a home
    counts for the force its postcode is in."""
    if area.kind is AreaKind.ENGLAND:
        return pl.lit(True)
    if area.kind is AreaKind.POLICE_FORCE and force is not None:
        return pl.col(force) == area.code
    codes = council_codes(area, extract) or []
    return pl.col(council).is_in(codes)


def choices(extract: Extract) -> list[tuple[str, list[tuple[str, str]]]]:
    """Every area, grouped, as (group label, [(slug, name)]) for a select box."""
    c = extract.councils.filter(pl.col("dfe_code") != "")
    regions = c.select("region_code", "region_name").unique().sort("region_name")
    councils = c.select("council", "council_name").unique().sort("council_name")
    forces = extract.forces.filter(pl.col("police_force").str.starts_with("E")).sort(
        "police_force_name"
    )
    return [
        ("England", [(ENGLAND.slug, "England")]),
        ("Regions", [(f"region:{r}", n) for r, n in regions.iter_rows()]),
        ("Councils", [(f"council:{k}", n) for k, n in councils.iter_rows()]),
        ("Police force areas", [(f"police:{k}", n) for k, n in forces.iter_rows()]),
    ]


def from_slug(slug: str, extract: Extract) -> Area:
    """The area a dashboard link names ("council:E08000007"); unknown slugs are an error."""
    if slug == ENGLAND.slug:
        return ENGLAND
    kind, _, code = slug.partition(":")
    if kind not in {AreaKind.REGION, AreaKind.COUNCIL, AreaKind.POLICE_FORCE} or not code:
        raise ValidationError("Choose an area from the list.", field="area")
    try:
        return resolve(f"{kind}:{code}", extract)
    except ValidationError as exc:
        raise ValidationError("Choose an area from the list.", field="area") from exc
