"""A council's return for a year, read from Sightline's own records.

Every placement of the council's children that was open at some time in the collection year
is one Episodes row, whether it came from an import, the web app or the API; every missing or
away episode in the year is one Missing row. Dates after the year's end are left blank, as
they would be in a return made on 31 March. UPN, MOTHER and MC_DOB are those of the return
imported last (``ReturnedChildDetails``), blank for a child no import brought; Sightline holds
no RNE, LS, CIN, REC or REASON_PLACE_CHANGE for placements recorded
in the web app or through the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from django.db.models import Q

from sightline.geography.models import Council
from sightline.missing.models import Episode
from sightline.placements.models import Placement
from sightline.returns.models import ReturnedChildDetails, ReturnImport
from sightline.returns.more_tables import more_tables_export
from sightline.returns.reader import ReturnTables
from sightline.returns.schema import COLUMNS, EPISODES, HEADER, MISSING, CollectionYear


def _date(value: dt.date | None, *, until: dt.date) -> str:
    if value is None or value > until:
        return ""
    return value.strftime("%d/%m/%Y")


def return_tables(*, council: Council, year: int) -> dict[str, pl.DataFrame]:
    """The return's tables as text columns, in the CSV column order."""
    return return_tables_and_children(council=council, year=year)[0]


def return_tables_and_children(
    *, council: Council, year: int
) -> tuple[dict[str, pl.DataFrame], list[Any]]:
    """The tables, and the ids of the children in them (for the audit of the export)."""
    period = CollectionYear(year)
    placements = (
        Placement.objects.filter(child__placing_council=council, start_date__lte=period.end)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=period.start))
        .select_related("child", "setting")
        .order_by("child__child_ref", "start_date")
    )
    episodes: list[tuple[str, ...]] = []
    children = {}
    for p in placements:
        ended = p.end_date is not None and p.end_date <= period.end
        children[p.child_id] = p.child
        episodes.append(
            (
                p.child.child_ref,
                _date(p.start_date, until=period.end),
                p.reason_new_episode,
                p.legal_status,
                p.category_of_need,
                p.place_type,
                p.place_provider,
                _date(p.end_date, until=period.end),
                p.reason_ceased if ended else "",
                p.reason_place_change if ended else "",
                p.home_postcode,
                p.setting.postcode,
                p.urn or p.setting.urn,
            )
        )
    details = {
        d.child_id: d for d in ReturnedChildDetails.objects.filter(child_id__in=list(children))
    }
    header: list[tuple[str, ...]] = []
    for child in sorted(children.values(), key=lambda c: c.child_ref):
        held = details.get(child.id)
        sex = child.sex if year >= 2025 else {"M": "1", "F": "2"}.get(child.sex, child.sex)
        header.append(
            (
                child.child_ref,
                sex,
                child.date_of_birth.strftime("%d/%m/%Y"),
                child.ethnicity,
                held.upn if held else "",
                held.mother if held else "",
                _date(held.mc_dob, until=period.end) if held else "",
            )
        )
    missing: list[tuple[str, ...]] = []
    episodes_in_year = (
        Episode.objects.filter(child_id__in=list(children), mis_start__lte=period.end)
        .filter(Q(mis_end__isnull=True) | Q(mis_end__gte=period.start))
        .select_related("child")
        .order_by("child__child_ref", "mis_start", "last_seen_at")
    )
    for e in episodes_in_year:
        missing.append(
            (
                e.child.child_ref,
                e.child.date_of_birth.strftime("%d/%m/%Y"),
                e.missing_code,
                _date(e.mis_start, until=period.end),
                _date(e.mis_end, until=period.end),
            )
        )

    def frame(table: str, rows: list[tuple[str, ...]]) -> pl.DataFrame:
        return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS[table]}, orient="row")

    tables = {
        HEADER: frame(HEADER, header),
        EPISODES: frame(EPISODES, episodes),
        MISSING: frame(MISSING, missing),
    }
    # The other nine tables, as the council's current import of the year holds them.
    tables |= more_tables_export(council_id=council.pk, year=year, children=children)
    return tables, list(children)


def previous_return(*, council: Council, year: int) -> ReturnTables | None:
    """The council's return for the year before ``year`` as Sightline holds it, when an
    import of that year brought it (the rules that compare with last year's return read it);
    None when no import of that year is held."""
    held = ReturnImport.objects.filter(council=council, year=year - 1, replaced_at__isnull=True)
    if not held.exists():
        return None
    # Blank is null, as when a return is read.
    tables = {
        name: frame.with_columns(pl.all().replace("", None))
        for name, frame in return_tables(council=council, year=year - 1).items()
    }
    return ReturnTables(
        tables=tables,
        source_format="db",
        source_name=f"Sightline's {CollectionYear(year - 1).label} return",
        sha256="",
        supplied=frozenset(tables),
    )
