"""Showing a table: small-number suppression, number formats, CSV and Parquet.

Suppression follows official-statistics practice: a count of 1 to 4 (incidents, children,
homes) is shown as "c" and so is any rate, share or index worked out from it, so a small
number cannot be read back from a percentage. Zero is shown (nobody can be identified from
none). Placement-days are not counts of people and are shown as they are. Suppression applies
to everything shown or downloaded from a dashboard or report; the raw frames used in tests
and the pseudonymous extract itself are not suppressed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import polars as pl

from sightline.evidence.questions import Kind, Table

THRESHOLD = 5
SUPPRESSED = "c"
NOTE = (
    'Counts from 1 to 4, and the rates and shares worked out from them, are shown as "c" '
    "(suppressed) so that no child can be identified."
)


def _small(value: Any) -> bool:
    return value is not None and 0 < value < THRESHOLD


def suppressed_rows(table: Table) -> list[dict[str, Any]]:
    """The table's rows with small counts, and what is worked out from them, replaced by "c"."""
    rows = table.frame.to_dicts()
    out = []
    for row in rows:
        shown = dict(row)
        for col in table.columns:
            small_count = col.kind is Kind.COUNT and _small(row.get(col.key))
            from_small = any(_small(row.get(k)) for k in col.suppress_with)
            if small_count or from_small:
                shown[col.key] = SUPPRESSED
        out.append(shown)
    return out


def cell(value: Any, kind: Kind) -> str:
    """A value as it is shown on a page: thousands separated, rates to 2 places."""
    if value is None:
        return ""
    if value == SUPPRESSED:
        return SUPPRESSED
    if kind in (Kind.COUNT, Kind.DAYS):
        return f"{int(value):,}"
    if kind is Kind.PERCENT or kind is Kind.INDEX:
        return f"{value:.1f}"
    if kind in (Kind.RATE, Kind.RATIO):
        return f"{value:.2f}"
    return str(value)


def _raw(value: Any, kind: Kind) -> str:
    if value is None:
        return ""
    if value == SUPPRESSED:
        return SUPPRESSED
    if kind in (Kind.RATE, Kind.RATIO):
        return f"{value:.4f}"
    if kind in (Kind.PERCENT, Kind.INDEX):
        return f"{value:.2f}"
    return str(value)


def page_rows(table: Table) -> list[list[str]]:
    return [[cell(row.get(c.key), c.kind) for c in table.columns] for row in suppressed_rows(table)]


def csv_text(table: Table) -> str:
    """The table as CSV, suppressed, with headings as on the page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.heading for c in table.columns])
    for row in suppressed_rows(table):
        writer.writerow([_raw(row.get(c.key), c.kind) for c in table.columns])
    return buffer.getvalue()


def suppressed_frame(table: Table) -> pl.DataFrame:
    """The table as a frame of strings, suppressed (for Parquet files that leave the report)."""
    rows = suppressed_rows(table)
    return pl.DataFrame(
        {c.key: [_raw(r.get(c.key), c.kind) for r in rows] for c in table.columns},
        schema=dict.fromkeys((c.key for c in table.columns), pl.String),
    )


def write_tables(tables: list[Table], directory: Path, *, parquet: bool) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for table in tables:
        path = directory / f"{table.slug}.csv"
        path.write_text(csv_text(table))
        written.append(path)
        if parquet:
            ppath = directory / f"{table.slug}.parquet"
            suppressed_frame(table).write_parquet(ppath)
            written.append(ppath)
    return written
