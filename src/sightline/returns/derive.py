"""What the rules read besides the raw tables: parsed dates, the derived PL_LA, PL_LOCATION and
PL_DISTANCE, and neighbouring episodes. Computed once per return, as whole columns.

PL_LA is derived as the DfE does (SSDA903 guide; ``SSDA903.md`` §1.4) but through Sightline's
own geography: the placement postcode's district (LAD25, ONS Postcode Directory) gives the
upper-tier council, held in ``geography.District``. That table knows the 2023 and 2025
recodings, so a Cumberland or Barnsley postcode gives Cumberland or Barnsley, where the peer
validator's 2021 table gives nothing (and then reports rule 169).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import polars as pl

from sightline.geography.derive import (
    km_expr,
    miles_expr,
    postcode_places,
    squared_metres_expr,
)
from sightline.geography.models import Council
from sightline.returns.reader import ReturnTables
from sightline.returns.schema import (
    DATE_COLUMNS,
    EPISODES,
    HEADER,
    MISSING,
    MORE_TABLES,
    CollectionYear,
    frame_columns,
)

if TYPE_CHECKING:
    from sightline.returns.providers import Providers

_DATE_RE = r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$"

T = TypeVar("T")


@dataclass(frozen=True)
class Context:
    """The reporting council (its ONS code, the key of ``geography.Council``) and the year."""

    year: CollectionYear
    council: str | None
    council_label: str | None = None  # for messages, e.g. "Stockport (356)"
    # The ONS codes that count as the council's own area. A council abolished by a
    # reorganisation (Cumbria, 909) still reports for years before it; its area now lies in
    # its successors' codes (942, 943), which is what the postcodes resolve to.
    area_codes: frozenset[str] = frozenset()
    # Ofsted's register of providers, for the rules that check URNs against it
    # (returns/rules_providers.py, ADR 0056); None when not given: those rules are not run.
    providers: Providers | None = None

    @property
    def area(self) -> list[str]:
        codes = set(self.area_codes)
        if self.council:
            codes.add(self.council)
        return sorted(codes)


def own_area(council: Council) -> frozenset[str]:
    """The council's ONS code, later codes for the same council, and its successors'."""
    return frozenset(
        {council.ons_code, *council.alias_codes.split(), *council.successor_codes.split()}
    )


@dataclass(frozen=True)
class Frames:
    """The prepared tables. Polars frames are immutable: a rule can only read them.

    Every frame has ``_i``, the record's position in its table (what a rule returns), and
    ``<column>_D`` for each date column (null where blank or not a real dd/mm/YYYY date).
    Episodes are sorted by child and start date and also have PL_LA, PL_LOCATION,
    PL_DISTANCE, the postcodes' councils and police forces, and the previous and next episode
    of the same child.
    """

    header: pl.DataFrame
    episodes: pl.DataFrame
    missing: pl.DataFrame
    context: Context
    # The other nine tables (schema.MORE_TABLES), each with ``_i`` and its dates parsed;
    # ``supplied``: the tables the return gave (a rule about a table it did not give, or
    # that compares with one, does not run: the DfE's tool does the same).
    more: dict[str, pl.DataFrame] = field(default_factory=dict)
    supplied: frozenset[str] = frozenset()

    #: The same council's return for the year before, prepared the same way, for the rules
    #: that compare with it (the DfE's ``_last`` tables); None when not given.
    previous: Frames | None = None

    #: What ``once`` computed from these frames (they cannot change, so neither can it).
    _once: dict[Any, Any] = field(
        default_factory=dict, init=False, repr=False, compare=False, hash=False
    )

    def table(self, name: str) -> pl.DataFrame:
        """Any of the twelve tables by its name."""
        if name == HEADER:
            return self.header
        if name == EPISODES:
            return self.episodes
        if name == MISSING:
            return self.missing
        return self.more[name]


def once(func: Callable[[Frames], T]) -> Callable[[Frames], T]:
    """Compute ``func(f)`` once for each prepared return (or part of one), however many rules
    read it: several rules share the same pairs of records or the same set of children (the
    rules of two tables a pair rule reports on, OC2's children looked after for a year). What
    it returns must be small beside the frames, as it is kept with them."""

    @wraps(func)
    def shared(f: Frames) -> T:
        try:
            return f._once[func]
        except KeyError:
            value = f._once[func] = func(f)
            return value

    return shared


def uasc_status() -> pl.Expr:
    """Of a UASC record: whether it makes its child UASC. The XML's ``<UASC>`` flag, kept as
    the record's UASC column (schema.EXTRA_COLUMNS), is 1, or is not given: a CSV return has
    no flag, and a child in its uasc file is UASC (as the peer's reader also decides). A record
    whose flag is 0 (an XML giving a DUC for a child it does not call UASC: rule 303) does not
    make the child UASC, as the peer reads the Header's flag."""
    flag = pl.col("UASC")
    return flag.is_null() | (flag == "1")


def parse_date(column: str) -> pl.Expr:
    value = pl.col(column)
    return (
        pl.when(value.str.contains(_DATE_RE))
        .then(value.str.strptime(pl.Date, "%d/%m/%Y", strict=False))
        .otherwise(None)
        .alias(f"{column}_D")
    )


def _places(values: pl.Series) -> pl.DataFrame:
    """One row per distinct postcode: whether found, grid reference, council, force, PL_LA."""
    found = postcode_places(values)
    first = pl.col("district").str.slice(0, 1)
    pl_la = (
        pl.when(~pl.col("found"))
        .then(None)
        .when(first == "S")
        .then(pl.lit("SCO"))
        .when(first == "N")
        .then(pl.lit("NIR"))
        .when(first == "W")
        .then(pl.lit("WAL"))
        .when(first.is_in(["L", "M"]))
        .then(pl.lit("NUK"))
        .otherwise(pl.col("council"))
    )
    return found.select(
        "postcode",
        "found",
        "key",
        "easting",
        "northing",
        "council",
        pl.col("police_force").alias("force"),
        "irish_grid",
        pl_la.alias("pl_la"),
    )


def _with_places(episodes: pl.DataFrame, context: Context) -> pl.DataFrame:
    both = pl.concat([episodes["HOME_POST"], episodes["PL_POST"]])
    places = _places(both)
    home = places.select(
        pl.col("postcode").alias("HOME_POST"),
        pl.col("found").alias("HOME_FOUND"),
        pl.col("key").alias("HOME_KEY"),
        pl.col("easting").alias("_he"),
        pl.col("northing").alias("_hn"),
        pl.col("irish_grid").alias("_hi"),
    )
    placed = places.select(
        pl.col("postcode").alias("PL_POST"),
        pl.col("found").alias("PL_FOUND"),
        pl.col("key").alias("PL_KEY"),
        pl.col("easting").alias("_pe"),
        pl.col("northing").alias("_pn"),
        pl.col("irish_grid").alias("_pi"),
        pl.col("council").alias("PL_COUNCIL"),
        pl.col("force").alias("PL_FORCE"),
        pl.col("pl_la").alias("PL_LA"),
    )
    # Each postcode column is joined on its own and the results set beside the episodes:
    # joining the whole frame would copy every column of it, twice.
    frame = pl.concat(
        [
            episodes,
            _beside(episodes, home, "HOME_POST"),
            _beside(episodes, placed, "PL_POST"),
        ],
        how="horizontal",
    )
    # PL_DISTANCE as geography.derive derives it, the same figure as a recorded placement's.
    squared = squared_metres_expr(
        a_easting=pl.col("_he"),
        a_northing=pl.col("_hn"),
        b_easting=pl.col("_pe"),
        b_northing=pl.col("_pn"),
        a_irish_grid=pl.col("_hi"),
        b_irish_grid=pl.col("_pi"),
    )
    distance = miles_expr(squared)
    km = km_expr(squared)
    location = (
        pl.when(pl.col("PL_LA").is_null())
        .then(None)
        .when(pl.col("PL_LA").is_in(context.area))
        .then(pl.lit("IN"))
        .otherwise(pl.lit("OUT"))
    )
    return frame.with_columns(
        PL_DISTANCE=distance,
        PL_DISTANCE_KM=km,
        PL_LOCATION=location,
        HOME_FOUND=pl.col("HOME_FOUND").fill_null(False),
        PL_FOUND=pl.col("PL_FOUND").fill_null(False),
    ).drop("_he", "_hn", "_hi", "_pe", "_pn", "_pi")


def _beside(episodes: pl.DataFrame, places: pl.DataFrame, column: str) -> pl.DataFrame:
    """The places of ``column``'s postcodes, one row per episode, in the episodes' order."""
    found = episodes.select(column).join(places, on=column, how="left", maintain_order="left")
    return found.drop(column)


def prepare(
    tables: ReturnTables, context: Context, *, previous: ReturnTables | None = None
) -> Frames:
    """The frames of the return, and of the year before's when ``previous`` is given."""
    last = None
    if previous is not None:
        year_before = replace(context, year=CollectionYear(context.year.year - 1))
        last = prepare(previous, year_before)
    return replace(_prepare(tables, context), previous=last)


def _prepare(tables: ReturnTables, context: Context) -> Frames:
    def dated(frame: pl.DataFrame, table: str) -> pl.DataFrame:
        frame = frame.with_row_index("_i")
        return frame.with_columns([parse_date(c) for c in DATE_COLUMNS[table]])

    header = dated(tables.header, HEADER)
    missing = dated(tables.missing, MISSING)
    # Sorted before the places are added, so that the sort copies fewer columns.
    episodes = dated(tables.episodes, EPISODES).sort(["CHILD", "DECOM_D", "_i"], nulls_last=True)
    episodes = _with_places(episodes, context)
    # Sorted by child, so the neighbouring episode of the same child is the neighbouring row
    # when its CHILD is the same: shifts over the whole column, no grouping.
    child = pl.col("CHILD")
    first = child.is_null() | (child != child.shift(1)).fill_null(True)
    last = child.is_null() | (child != child.shift(-1)).fill_null(True)
    neighbours = [
        pl.when(~first).then(pl.col(c).shift(1)).alias(f"PREV_{c}")
        for c in ("DEC_D", "REC", "REASON_PLACE_CHANGE", "DECOM_D")
    ] + [
        pl.when(~last).then(pl.col(c).shift(-1)).alias(f"NEXT_{c}")
        for c in ("DECOM_D", "RNE", "PLACE")
    ]
    episodes = episodes.with_columns(
        neighbours, _first=first, _last=last, _has_child=child.is_not_null()
    )
    # A table the return did not give (or that Sightline's own copy of last year's return
    # holds no record of) is empty: its rules find nothing. A column beyond the CSV ones
    # (schema.EXTRA_COLUMNS, the XML's UASC flag) that a table lacks, as Sightline's own
    # copy of last year's return does, is null, as in a CSV return.
    more = {
        table: dated(
            _with_extra_columns(
                tables.tables[table]
                if table in tables.tables
                else pl.DataFrame(schema=dict.fromkeys(frame_columns(table), pl.String)),
                table,
            ),
            table,
        )
        for table in MORE_TABLES
    }
    return Frames(
        header=header,
        episodes=episodes,
        missing=missing,
        context=context,
        more=more,
        supplied=tables.supplied,
    )


def _with_extra_columns(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    absent = [c for c in frame_columns(table) if c not in frame.columns]
    return frame.with_columns(pl.lit(None, dtype=pl.String).alias(c) for c in absent)
