"""Importing and exporting the other nine tables of a return (schema.MORE_TABLES).

Each record becomes a row of its model (``models.Imported*``) on the import and the child; a
re-import of the council's year deletes the earlier import's rows first. Called from inside
``services.return_import``'s transaction, after the children are written, so it is all or
nothing with the rest. The export writes them back from the council's current import of the
year: Sightline holds these tables only from returns.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from sightline.returns.derive import parse_date
from sightline.returns.models import (
    ImportedAdoption,
    ImportedCareLeaver,
    ImportedDeprivationOfLiberty,
    ImportedOutcome,
    ImportedPlacedForAdoption,
    ImportedPreviousPermanence,
    ImportedRecord,
    ImportedReview,
    ImportedSocialWorkerEpisode,
    ImportedUasc,
    ReturnImport,
)
from sightline.returns.reader import ReturnTables
from sightline.returns.schema import (
    AD1,
    COLUMNS,
    DATE_COLUMNS,
    DOLO,
    MORE_TABLES,
    OC2,
    OC3,
    PLACED_ADOPTION,
    PREV_PERM,
    REVIEWS,
    SW_EPISODES,
    UASC,
)

MODELS: dict[str, type[ImportedRecord]] = {
    UASC: ImportedUasc,
    REVIEWS: ImportedReview,
    AD1: ImportedAdoption,
    PLACED_ADOPTION: ImportedPlacedForAdoption,
    PREV_PERM: ImportedPreviousPermanence,
    OC2: ImportedOutcome,
    OC3: ImportedCareLeaver,
    SW_EPISODES: ImportedSocialWorkerEpisode,
    DOLO: ImportedDeprivationOfLiberty,
}
_BATCH = 2000
# Columns every table has that the models do not copy: the child's DOB and SEX are the Header's.
_FROM_HEADER = {"CHILD", "DOB", "SEX"}
# Held as returned: a part of DATE_PERM may be ZZ when not known.
_AS_TEXT = {"DATE_PERM"}


def _fields(table: str) -> list[str]:
    return [c for c in COLUMNS[table] if c not in _FROM_HEADER]


def _dates(table: str) -> set[str]:
    return {c for c in DATE_COLUMNS[table] if c not in _FROM_HEADER | _AS_TEXT}


def more_tables_import(
    *, tables: ReturnTables, record: ReturnImport, children: pl.DataFrame
) -> dict[str, int]:
    """Write the nine tables' records of ``tables`` for the import ``record``, first deleting
    those of the earlier imports of its council and year (which it replaces). ``children``:
    CHILD and ``child_id``. Returns the number of records written per table."""
    written = {}
    for table, model in MODELS.items():
        model._default_manager.filter(
            return_import__council_id=record.council_id, return_import__year=record.year
        ).exclude(return_import=record).delete()
        fields, dates = _fields(table), _dates(table)
        frame = (
            tables.tables[table]
            .with_columns([parse_date(c) for c in dates])
            .join(children.select("CHILD", "child_id"), on="CHILD", how="inner")
        )
        # A batch of model instances at a time, not one for every record of the table.
        for chunk in frame.iter_slices(_BATCH):
            batch = []
            for row in chunk.iter_rows(named=True):
                values = {
                    c.lower(): row[f"{c}_D"] if c in dates else (row[c] or "") for c in fields
                }
                batch.append(model(return_import=record, child_id=row["child_id"], **values))
            model._default_manager.bulk_create(batch)
        written[table] = frame.height
    return written


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return value or ""


def more_tables_export(
    *, council_id: Any, year: int, children: dict[Any, Any]
) -> dict[str, pl.DataFrame]:
    """The nine tables of the council's current import of ``year``, for the children of the
    export (``children``: id → Child), in CSV column order, as text; those with records."""
    current = (
        ReturnImport.objects.filter(council_id=council_id, year=year, replaced_at__isnull=True)
        .order_by("-imported_at")
        .values_list("id", flat=True)
        .first()
    )
    out = {}
    for table in MORE_TABLES:
        model = MODELS[table]
        rows: list[tuple[str, ...]] = []
        if current is not None:
            held = model._default_manager.filter(
                return_import_id=current, child_id__in=list(children)
            ).order_by("id")
            for item in held:
                child = children[item.child_id]
                values = {
                    "CHILD": child.child_ref,
                    "DOB": child.date_of_birth.strftime("%d/%m/%Y"),
                    "SEX": child.sex if year >= 2025 else {"M": "1", "F": "2"}.get(child.sex, ""),
                }
                values |= {c: _text(getattr(item, c.lower())) for c in _fields(table)}
                rows.append(tuple(values[c] for c in COLUMNS[table]))
        # A table with no records is left out, as a return that did not give it: an empty
        # PrevPerm file would make rule 630 ask for the records the import never had.
        if rows:
            frame = pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS[table]}, orient="row")
            out[table] = frame.sort("CHILD", maintain_order=True)
    return out
