"""The inquiry's questions, each answered from the extract's frames with Polars.

Every question returns ``Table`` objects: a plain frame of figures and the columns to show.
Counts here are exact; small-number suppression happens when a table is shown or written
(``present.py``), never here. ``docs/evidence.md`` defines every figure.

Years are collection years of the SSDA903 return, named by the year they end: 2025 is
1 April 2024 to 31 March 2025. Missing (M) and away (A) are counted in separate columns and
never added together.
"""

from __future__ import annotations

import datetime as dt
import enum
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from sightline.evidence.areas import Area, AreaKind, Perspective, in_area
from sightline.evidence.frames import Extract


class Kind(enum.StrEnum):
    TEXT = "text"
    COUNT = "count"  # a count of incidents, children, homes: suppressed when small
    DAYS = "days"  # a count of placement-days: not suppressed (not a count of people)
    RATE = "rate"
    PERCENT = "percent"
    RATIO = "ratio"
    INDEX = "index"


@dataclass(frozen=True)
class Col:
    key: str
    heading: str
    kind: Kind = Kind.TEXT
    # A rate, share or index is suppressed when the count it is worked out from is.
    suppress_with: tuple[str, ...] = ()


@dataclass
class Table:
    slug: str
    title: str
    columns: tuple[Col, ...]
    frame: pl.DataFrame
    note: str = ""
    chart: dict[str, str] = field(default_factory=dict)  # how to draw it (charts.py)


@dataclass(frozen=True)
class Query:
    area: Area
    year_from: int
    year_to: int
    perspective: Perspective = Perspective.HOST
    baseline: int | None = None  # index year (100); the first year when not given

    @property
    def base_year(self) -> int:
        return self.baseline if self.baseline is not None else self.year_from


DISTANCE_BANDS = (
    "0 to 5 miles",
    "5 to 10 miles",
    "10 to 20 miles",
    "20 to 50 miles",
    "Over 50 miles",
)
AGE_BANDS = ("Under 10", "10 to 12", "13 to 15", "16 and over")
NOT_KNOWN = "Not known"


def collection_year(date: pl.Expr) -> pl.Expr:
    """The collection year a date falls in: 1 April 2024 to 31 March 2025 is 2025."""
    return date.dt.year() + (date.dt.month() >= 4).cast(pl.Int32)


def year_start(year: int) -> dt.date:
    return dt.date(year - 1, 4, 1)


LOCALITIES = ("In own council area", "Out of area")
# Bands are Enums: small integers underneath, sorted in band order, shown as their labels.
DISTANCE_ENUM = pl.Enum([*DISTANCE_BANDS, NOT_KNOWN])
AGE_ENUM = pl.Enum([*AGE_BANDS, NOT_KNOWN])
LOCALITY_ENUM = pl.Enum([*LOCALITIES, NOT_KNOWN])


# Placement types are adjusted for in groups in Q3 (model.py).
PLACE_GROUPS = {
    **{f"U{i}": "Foster care" for i in range(1, 7)},
    "K1": "Children's home",
    "K2": "Children's home",
    "H5": "Supported accommodation",
    "P2": "Supported accommodation",
    "K3": "Supported accommodation",
    "P1": "With parents",
    **{f"A{i}": "Placed for adoption" for i in range(3, 7)},
}
OTHER_GROUP = "Other"
PLACE_GROUP_ENUM = pl.Enum(
    [
        "Foster care",
        "Children's home",
        "Supported accommodation",
        "With parents",
        "Placed for adoption",
        OTHER_GROUP,
    ]
)


def place_group(place_type: pl.Expr) -> pl.Expr:
    return place_type.replace_strict(
        PLACE_GROUPS, default=OTHER_GROUP, return_dtype=PLACE_GROUP_ENUM
    )


def _banded(code: pl.Expr, labels: tuple[str, ...], enum: pl.Enum) -> pl.Expr:
    """The band of each code (0, 1, ... for the labels, one more for not known), taken from
    the list of bands by position (several times quicker than a lookup of each value)."""
    return pl.lit(pl.Series([*labels, NOT_KNOWN], dtype=enum)).gather(code.cast(pl.UInt32))


def distance_band(miles: pl.Expr) -> pl.Expr:
    """0 to 5 miles means up to and including 5.0; 5 to 10 means over 5 up to 10; and so on."""
    code = sum((miles > edge).cast(pl.UInt8) for edge in (5, 10, 20, 50))
    return _banded(
        pl.when(miles.is_null()).then(len(DISTANCE_BANDS)).otherwise(code),
        DISTANCE_BANDS,
        DISTANCE_ENUM,
    )


def age_band(age: pl.Expr) -> pl.Expr:
    code = sum((age >= edge).cast(pl.UInt8) for edge in (10, 13, 16))
    return _banded(pl.when(age.is_null()).then(len(AGE_BANDS)).otherwise(code), AGE_BANDS, AGE_ENUM)


def _age_on(birth_month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Whole years from the month of birth to ``day`` (the birthday taken as the 1st)."""
    months = (day.dt.year() - birth_month.dt.year()) * 12 + day.dt.month() - birth_month.dt.month()
    return months // 12


def _locality(out_of_area: pl.Expr) -> pl.Expr:
    return _banded(
        pl.when(out_of_area.is_null()).then(2).otherwise(out_of_area.cast(pl.UInt8)),
        LOCALITIES,
        LOCALITY_ENUM,
    )


def child_id(key: pl.Expr) -> pl.Expr:
    """A 64-bit hash of the pseudonymous key, for counting distinct children quickly (two of
    a million keys share a hash with probability about 3 in 100 million)."""
    return key.hash(seed=903)


# --- Shared building blocks ----------------------------------------------------------------------


# Tables worked out once per extract are worked out by one thread at a time (the report
# answers some questions side by side: inquiry.run).
_LOCKS = {
    name: threading.Lock() for name in ("placement_years", "spells", "incidents", "placements")
}


def spell_filter(q: Query, extract: Extract) -> pl.Expr:
    if q.perspective is Perspective.PLACING:
        return in_area(q.area, extract, council="placing_council")
    return in_area(q.area, extract, council="host_council", force="host_police_force")


def spell_mask(q: Query, extract: Extract) -> pl.Series | None:
    """Which rows of ``prepared_spells`` are in the query's area (None: every one)."""
    if q.area.kind is AreaKind.ENGLAND:
        return None
    return prepared_spells(extract).select(spell_filter(q, extract)).to_series().fill_null(False)


def _rows_in(frame: pl.DataFrame, mask: pl.Series | None) -> pl.Series | bool:
    """A filter for a frame with a ``row`` column: the rows whose spell is in ``mask``."""
    if mask is None:
        return True
    return pl.Series(mask.to_numpy()[frame["row"].to_numpy()])


def placement_years(extract: Extract) -> pl.DataFrame:
    """Every placement-year of the extract (all areas, all years), worked out once per loaded
    extract and kept with it: the dashboards filter it instead of cutting years again."""
    table = extract.derived.get("placement_years")
    if table is None:
        with _LOCKS["placement_years"]:
            table = extract.derived.get("placement_years")
            if table is None:
                starts = extract.spells["start"].drop_nulls()
                if starts.is_empty():
                    first_year = last_year = collection_year_of(extract.as_of)
                else:
                    first_year = collection_year_of(starts.min())  # type: ignore[arg-type]
                    last_year = collection_year_of(extract.as_of)
                table = _cut(first_year, last_year, extract, pl.lit(True))
                extract.derived["placement_years"] = table
    return table


def collection_year_of(day: dt.date) -> int:
    return day.year + (1 if day.month >= 4 else 0)


def segments(q: Query, extract: Extract) -> pl.DataFrame:
    """Each placement cut into collection years within the query's range, with its days (end
    day not counted: a placement from 1 to 31 January has 30 days; open placements run to the
    day after ``as_of``), its bands, and its missing and away incidents in that year. ``row``
    is the placement's row in ``prepared_spells`` (and in ``extract.spells``)."""
    table = extract.derived.get("placement_years")
    if table is not None:
        keep = _rows_in(table, spell_mask(q, extract))
        return table.filter(pl.col("year").is_between(q.year_from, q.year_to) & keep)
    return _cut(q.year_from, q.year_to, extract, spell_filter(q, extract))


def _enum_of(column: pl.Expr, values: pl.Series) -> pl.Expr:
    """A string column as an Enum of the values it holds (sorted): a small code per row, so
    that taking it for every placement-year copies a byte or two, not a string."""
    return column.cast(pl.Enum(sorted(values.drop_nulls().unique().to_list())))


def prepared_spells(extract: Extract) -> pl.DataFrame:
    """The spells with what all their placement-years share, worked out once per extract:
    a row number (``row``), the child as a small number (``child_n``: 0, 1, 2, ... for
    counting with NumPy), bands and groups as Enums, and the months of birth and of the
    start counted from year 0 (for ages)."""
    table = extract.derived.get("spells")
    if table is None:
        with _LOCKS["spells"]:
            table = extract.derived.get("spells")
            if table is None:
                spells = extract.spells
                order, child_n = _by_child(spells)
                sex = pl.col("sex").fill_null("U")
                place_type = spells["place_type"].cast(
                    pl.Enum(sorted(spells["place_type"].drop_nulls().unique().to_list()))
                )
                # Each type's group, taken by the type's code: no string is looked up per row.
                groups = pl.Series(
                    [PLACE_GROUPS.get(t, OTHER_GROUP) for t in place_type.dtype.categories]  # type: ignore[attr-defined]
                    + [OTHER_GROUP],
                    dtype=PLACE_GROUP_ENUM,
                )
                type_code = place_type.to_physical().fill_null(len(groups) - 1)
                table = spells.select(
                    pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
                    "spell_id",
                    pl.Series("child_n", child_n.astype(np.uint32)),
                    "placing_council",
                    "host_council",
                    "host_police_force",
                    "start",
                    "end",
                    pl.col("new_placement").fill_null(False),
                    place_type.alias("place_type"),
                    groups.gather(type_code).alias("place_group"),
                    distance_band(pl.col("distance_miles")).alias("distance_band"),
                    _locality(pl.col("out_of_area")).alias("locality"),
                    _enum_of(sex, spells.select(sex).to_series()).alias("sex"),
                    _months(spells["birth_month"]).alias("birth_ym"),
                    _months(spells["start"]).alias("start_ym"),
                )
                extract.derived["by_child"] = pl.DataFrame(
                    {"row": pl.Series(order.astype(np.uint32))}
                )
                extract.derived["spells"] = table
    return table


def _months(dates: pl.Series) -> pl.Series:
    """Each date as year × 12 + month - 1, so that whole months between two dates are a
    subtraction. Looked up in a table of the days from the first date to the last (a few
    thousand), not worked out from the calendar for every row."""
    days = dates.to_physical()
    if days.null_count() == days.len():
        return pl.Series(dates.name, [None] * days.len(), dtype=pl.Int32)
    low, high = int(days.min()), int(days.max())  # type: ignore[arg-type]
    table = np.arange(low, high + 1).astype("datetime64[D]").astype("datetime64[M]")
    table = table.astype(np.int64) + 1970 * 12
    found = pl.Series(dates.name, table[days.fill_null(low).to_numpy() - low].astype(np.int32))
    return found if not days.null_count() else found.set(days.is_null(), None)


def collection_years(dates: pl.Series) -> pl.Series:
    """``collection_year`` of every date of a column, from its month (``_months``: a table
    lookup, several times quicker than working out each date's year and month). With
    months counted from January of year 0, adding 9 carries April to December into the
    next year: (year × 12 + month − 1 + 9) // 12."""
    return (_months(dates) + 9) // 12


def _by_child(spells: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The spells' rows in order of child and start (rows of the same child and start in
    their own order), and each spell's child numbered 0, 1, 2, ... in that order. One sort
    by the child's hash numbers the children; then one sort of (number, start, row) packed
    in one integer, which is already almost in order."""
    hashes = spells.select(child_id(pl.col("child_key"))).to_series().to_numpy()
    rows = len(hashes)
    by_hash = np.argsort(hashes)
    sorted_hashes = hashes[by_hash]
    first = np.ones(rows, dtype=bool)
    first[1:] = sorted_hashes[1:] != sorted_hashes[:-1]
    number = np.cumsum(first) - 1
    start = spells["start"].to_physical().fill_null(0).to_numpy().astype(np.int64)[by_hash]
    start -= start.min() if rows else 0
    row_bits = max(rows - 1, 1).bit_length()
    start_bits = max(int(start.max()) if rows else 1, 1).bit_length()
    if 2 * row_bits + start_bits <= 62:
        key = (number << (start_bits + row_bits)) | (start << row_bits) | by_hash
        order = by_hash[np.argsort(key)]
    else:  # too many rows to pack (billions): three stable passes
        order = by_hash[np.lexsort((by_hash, start, number))]
    child_n = np.empty(rows, dtype=np.int64)
    child_n[by_hash] = number
    return order, child_n


def spell_incidents(extract: Extract) -> pl.DataFrame:
    """Each missing or away incident that names a placement of the extract, with the
    placement's row (in ``extract.spells`` and ``prepared_spells``) and the incident's
    collection year, worked out once per extract: the one join of incidents to placements on
    the (string) spell id. Everything after it works on row numbers."""
    table = extract.derived.get("incidents")
    if table is None:
        with _LOCKS["incidents"]:
            table = extract.derived.get("incidents")
            if table is None:
                table = _join_incidents(extract, _spell_key())
                # Joined on a 64-bit hash of the spell id (several times quicker than on the
                # string). A different spell id with the same hash would be joined to the
                # wrong placement; a second, independent hash of each pair must agree too,
                # or the join is done again on the strings themselves.
                check = extract.spells.select(pl.col("spell_id").hash(_SPELL_SEED + 1))
                if not (table["check"] == check.to_series().gather(table["row"])).all():
                    table = _join_incidents(extract, pl.col("spell_id"))
                table = table.drop("check")
                extract.derived["incidents"] = table
    return table


_SPELL_SEED = 9031


def _spell_key() -> pl.Expr:
    """What incidents are first joined to placements on: a 64-bit hash of the spell id."""
    return pl.col("spell_id").hash(_SPELL_SEED)


def _join_incidents(extract: Extract, key: pl.Expr) -> pl.DataFrame:
    rows = extract.spells.lazy().select(
        key.alias("key"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("row")
    )
    missing = extract.missing
    year = collection_years(missing["start"])
    return (
        missing.lazy()
        .with_columns(year=year)
        .filter(pl.col("spell_id").is_not_null())
        .select(
            key.alias("key"),
            "year",
            check=pl.col("spell_id").hash(_SPELL_SEED + 1),
            is_missing=pl.col("kind") == "M",
            is_away=pl.col("kind") == "A",
            found_outside=pl.col("found_outside_force").fill_null(False),
            found_known=pl.col("found_outside_force").is_not_null(),
        )
        .join(rows, on="key", how="inner")
        .drop("key")
        .collect()
    )


SEGMENT_COLUMNS = (
    "child_n",
    "distance_band",
    "locality",
    "sex",
    "place_type",
    "place_group",
)


def _cut(year_from: int, year_to: int, extract: Extract, keep: pl.Expr) -> pl.DataFrame:
    """The placement-years, with NumPy: placement k of those chosen has a row for each of
    the n[k] collection years from y0[k], its rows one after another, so the placement and
    year of every row, its days and its age follow from counts and offsets, and an
    incident's row is offset[k] + (year - y0[k]) with no join."""
    first, last = year_start(year_from), year_start(year_to + 1)
    open_end = extract.as_of + dt.timedelta(days=1)
    spells = prepared_spells(extract)
    chosen = (
        spells.lazy()
        .filter(keep)
        .select(
            "row",
            "start",
            "birth_ym",
            "start_ym",
            *SEGMENT_COLUMNS,
            stop=pl.col("end").fill_null(open_end),
        )
        .filter((pl.col("start") < last) & (pl.col("stop") > first))
        .collect()
    )
    # 1 April of each year from year_from - 1 to year_to, as days since 1970.
    april = np.array(
        [(dt.date(y, 4, 1) - dt.date(1970, 1, 1)).days for y in range(year_from - 1, year_to + 1)],
        dtype=np.int64,
    )
    # Each placement's first collection year in the range and how many it has there: the
    # years of its first and last day in the range, looked up in a table of the year of
    # every day from april[0] to the day before april[-1] (the placements chosen have
    # their first and last day in the range between them). A placement with no days in the
    # range has none.
    year_of_day = np.repeat(np.arange(year_from, year_to + 1), np.diff(april))
    start_day = chosen["start"].to_physical().to_numpy().astype(np.int64)
    stop_day = chosen["stop"].to_physical().to_numpy().astype(np.int64)
    y0 = year_of_day[np.maximum(start_day, april[0]) - april[0]]
    y1 = year_of_day[np.minimum(stop_day, april[-1]) - 1 - april[0]]
    n = np.maximum(y1 + 1 - y0, 0)
    k = np.repeat(np.arange(chosen.height, dtype=np.int64), n)
    offset = np.cumsum(n) - n
    year = y0[k] + np.arange(len(k)) - offset[k]
    start = start_day[k]
    stop = stop_day[k]
    year_begins = april[year - year_from]
    seg_start = np.maximum(start, year_begins)
    days = np.minimum(stop, april[year - year_from + 1]) - seg_start
    # Age at the start of the placement-year, in whole years from the month of birth.
    month = np.where(
        start >= year_begins,
        chosen["start_ym"].to_numpy().astype(np.int64)[k],
        (year - 1) * 12 + 3,
    )
    birth = chosen["birth_ym"]
    age = (month - birth.fill_null(0).to_numpy().astype(np.int64)[k]) // 12
    age_code = (age >= 10).astype(np.uint32) + (age >= 13) + (age >= 16)
    age_code[birth.is_null().to_numpy()[k]] = len(AGE_BANDS)
    incidents = spell_incidents(extract)
    k_of_row = np.full(spells.height, -1, dtype=np.int64)
    k_of_row[chosen["row"].to_numpy()] = np.arange(chosen.height)
    at = k_of_row[incidents["row"].to_numpy()]
    incident_year = incidents["year"].to_numpy().astype(np.int64)
    # The incidents in a chosen placement and one of its years, and their placement-year.
    taken = np.flatnonzero(at >= 0)
    at, incident_year = at[taken], incident_year[taken]
    first_year = y0[at]
    inside = np.flatnonzero((incident_year >= first_year) & (incident_year < first_year + n[at]))
    taken, at = taken[inside], at[inside]
    position = offset[at] + incident_year[inside] - first_year[inside]
    counts = {
        name: np.bincount(position[incidents[flag].to_numpy()[taken]], minlength=len(k)).astype(
            np.int64
        )
        for name, flag in (("missing", "is_missing"), ("away", "is_away"))
    }
    take = pl.Series(k.astype(np.uint32))
    attributes = chosen.select(SEGMENT_COLUMNS)[take]
    seg = pl.DataFrame(
        {
            "row": chosen["row"].gather(take),
            "year": pl.Series(year.astype(np.int32)),
            "days": pl.Series(days),
            "missing": counts["missing"],
            "away": counts["away"],
            "age_band": pl.Series([*AGE_BANDS, NOT_KNOWN], dtype=AGE_ENUM).gather(age_code),
        }
    ).hstack(attributes)
    return seg if (days > 0).all() else seg.filter(pl.col("days") > 0)


def _council_names(extract: Extract) -> pl.DataFrame:
    return extract.councils.select("council", "council_name")


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(100 * pl.col(part) / pl.col(whole))


# --- Q1 Out-of-area share ------------------------------------------------------------------------


def q1_out_of_area(q: Query, extract: Extract) -> list[Table]:
    """Of missing incidents from settings in the area, how many involve children placed by
    other councils (placing council is not the council the home is in)."""
    # One pass over the incidents, by year and placing council; the figures by year are
    # sums of those.
    is_m, is_a = pl.col("kind") == "M", pl.col("kind") == "A"
    other = pl.col("placing_council") != pl.col("host_council")
    per_council = (
        extract.missing.lazy()
        .with_columns(year=collection_years(extract.missing["start"]))
        .filter(
            pl.col("year").is_between(q.year_from, q.year_to)
            & in_area(q.area, extract, council="host_council", force="host_police_force")
            & pl.col("host_council").is_not_null()
        )
        .group_by("year", "placing_council")
        .agg(
            missing=is_m.sum(),
            missing_other=(is_m & other).sum(),
            away=is_a.sum(),
            away_other=(is_a & other).sum(),
        )
        .collect()
    )
    by_year = (
        per_council.group_by("year")
        .agg(pl.col("missing", "missing_other", "away", "away_other").sum())
        .pipe(_all_years, q)
        .with_columns(
            missing_share=_share("missing_other", "missing"),
            away_share=_share("away_other", "away"),
        )
        .sort("year")
    )
    by_council = (
        per_council.join(
            _council_names(extract), left_on="placing_council", right_on="council", how="left"
        )
        .with_columns(
            placed_by=pl.col("council_name").fill_null(pl.col("placing_council")),
        )
        .sort(["year", "missing", "placed_by"], descending=[False, True, False])
        .select("year", "placed_by", "missing", "away")
    )
    return [
        Table(
            slug="q1-share-by-year",
            title="Missing incidents from homes in the area involving children placed by other "
            "councils",
            columns=(
                Col("year", "Year"),
                Col("missing", "Missing incidents", Kind.COUNT),
                Col("missing_other", "Of which, children placed by other councils", Kind.COUNT),
                Col(
                    "missing_share",
                    "Share placed by other councils (%)",
                    Kind.PERCENT,
                    ("missing_other", "missing"),
                ),
                Col("away", "Away incidents", Kind.COUNT),
                Col("away_other", "Of which, children placed by other councils", Kind.COUNT),
                Col(
                    "away_share",
                    "Share placed by other councils (%)",
                    Kind.PERCENT,
                    ("away_other", "away"),
                ),
            ),
            frame=by_year,
            note="Incidents are counted where the child lived when the incident started. "
            "Missing and away are counted separately.",
            chart={
                "type": "line",
                "x": "year",
                "y": "missing_share",
                "label": "Share of missing incidents (%)",
            },
        ),
        Table(
            slug="q1-by-placing-council",
            title="Missing and away incidents from homes in the area, by placing council",
            columns=(
                Col("year", "Year"),
                Col("placed_by", "Placing council"),
                Col("missing", "Missing incidents", Kind.COUNT),
                Col("away", "Away incidents", Kind.COUNT),
            ),
            frame=by_council,
        ),
    ]


def _all_years(frame: pl.DataFrame, q: Query) -> pl.DataFrame:
    """One row for every year in the range, zero where nothing happened."""
    years = pl.DataFrame(
        {"year": list(range(q.year_from, q.year_to + 1))}, schema={"year": pl.Int32}
    )
    frame = frame.with_columns(pl.col("year").cast(pl.Int32))
    value_cols = [c for c in frame.columns if c != "year"]
    return years.join(frame, on="year", how="left").with_columns(pl.col(value_cols).fill_null(0))


# --- Q2 Rates and trends -------------------------------------------------------------------------

DIMENSIONS = {
    "locality": "In or out of area",
    "distance_band": "Distance from home",
    "place_type": "Placement type",
    "age_band": "Age",
    "sex": "Sex",
}

_RATE_COLUMNS = (
    Col("days", "Placement-days", Kind.DAYS),
    Col("missing", "Missing incidents", Kind.COUNT),
    Col("missing_rate", "Missing incidents per 1,000 placement-days", Kind.RATE, ("missing",)),
    Col("away", "Away incidents", Kind.COUNT),
    Col("away_rate", "Away incidents per 1,000 placement-days", Kind.RATE, ("away",)),
    Col("children", "Children", Kind.COUNT),
    Col("children_missing", "Children who went missing", Kind.COUNT),
    Col(
        "children_missing_rate",
        "Children who went missing per 100 children",
        Kind.RATE,
        ("children_missing", "children"),
    ),
)


def codes(column: pl.Series) -> tuple[np.ndarray, pl.Series]:
    """Integer codes 0, 1, 2, ... of a column and the value each stands for, in order (an
    Enum's own codes; years from the first; other values sorted)."""
    if isinstance(column.dtype, pl.Enum):
        names = pl.Series(column.name, column.dtype.categories, dtype=column.dtype)
        return column.to_physical().to_numpy().astype(np.int64), names
    if column.dtype.is_integer() and column.len() and column.null_count() == 0:
        low, high = int(column.min()), int(column.max())  # type: ignore[arg-type]
        names = pl.Series(column.name, range(low, high + 1), dtype=column.dtype)
        return column.to_numpy().astype(np.int64) - low, names
    names = column.unique().sort()
    mapping = {v: i for i, v in enumerate(names.to_list())}
    return column.replace_strict(mapping, return_dtype=pl.Int64).to_numpy(), names


# Columns of a set of placement-years as NumPy arrays, worked out once for Q2 and Q3 alike
# (they read the same columns) and dropped with the placement-years.
_ARRAYS: dict[int, dict[tuple[str, str], tuple[np.ndarray, pl.Series | None]]] = {}


def _kept(seg: pl.DataFrame) -> dict[tuple[str, str], tuple[np.ndarray, pl.Series | None]]:
    key = id(seg)
    found = _ARRAYS.get(key)
    if found is None:
        found = _ARRAYS[key] = {}
        weakref.finalize(seg, _ARRAYS.pop, key, None)
    return found


def column_codes(seg: pl.DataFrame, column: str) -> tuple[np.ndarray, pl.Series]:
    """``codes(seg[column])``, worked out once per set of placement-years."""
    kept = _kept(seg)
    hit = kept.get(("codes", column))
    if hit is None:
        hit = kept[("codes", column)] = codes(seg[column])
        hit[0].flags.writeable = False
    assert hit[1] is not None
    return hit[0], hit[1]


def column_array(seg: pl.DataFrame, column: str, dtype: type) -> np.ndarray:
    """``seg[column]`` as a NumPy array of ``dtype`` (not to be written to), worked out
    once per set of placement-years."""
    kept = _kept(seg)
    hit = kept.get((dtype.__name__, column))
    if hit is None:
        array: np.ndarray = seg[column].to_numpy().astype(dtype)
        array.flags.writeable = False
        hit = kept[(dtype.__name__, column)] = (array, None)
    return hit[0]


def _children(seg: pl.DataFrame) -> np.ndarray:
    """Each placement-year's child as a small integer (``child_n`` from the extract)."""
    return column_array(seg, "child_n", np.int64)


def _distinct(
    level: np.ndarray,
    child: np.ndarray,
    levels: int,
    children: int | None = None,
    table: np.ndarray | None = None,
) -> np.ndarray:
    """How many different children each level has: a table of levels by children marked
    where a child was seen, counted by level (one pass, no sorting). ``children``: one more
    than the largest child number, if known; ``table``: an array of at least levels ×
    children booleans to use for the table (cleared here), so that counting for several
    groupings does not ask the system for fresh memory each time."""
    if not len(child):
        return np.zeros(levels, dtype=np.int64)
    children = int(child.max()) + 1 if children is None else children
    if levels * children <= 100_000_000:
        if table is not None and len(table) >= levels * children:
            seen = table[: levels * children]
            seen.fill(False)
        else:
            seen = np.zeros(levels * children, dtype=bool)
        seen[level * children + child] = True
        return np.count_nonzero(seen.reshape(levels, children), axis=1)
    pairs = np.unique(level * children + child)
    return np.bincount(pairs // children, minlength=levels)


def _arrays(seg: pl.DataFrame) -> dict[str, np.ndarray]:
    missing = column_array(seg, "missing", np.float64)
    return {
        "child": _children(seg),
        "went": missing > 0,
        "days": column_array(seg, "days", np.float64),
        "missing": missing,
        "away": column_array(seg, "away", np.float64),
    }


def _rates_by(seg: pl.DataFrame, keys: list[str]) -> dict[str, pl.DataFrame]:
    """Placement-days, incidents and children by the values of each of ``keys`` in turn,
    with NumPy. The sums come from one ``bincount`` per measure over every combination of
    the keys' values (a few thousand), added up along each key; children are counted once
    for each (child, value) they have."""
    arrays = _arrays(seg)
    found = {k: column_codes(seg, k) for k in keys}
    sizes = [len(found[k][1]) for k in keys]
    combined = np.zeros(seg.height, dtype=np.int64)
    for k, size in zip(keys, sizes, strict=True):
        combined = combined * size + found[k][0]
    cells = int(np.prod(sizes))
    cube = {
        measure: np.bincount(combined, weights=arrays.get(measure), minlength=cells).reshape(sizes)
        for measure in ("rows", "days", "missing", "away")
    }
    child, went = arrays["child"], np.flatnonzero(arrays["went"])
    child_went = child[went]
    children = int(child.max()) + 1 if len(child) else 0
    table = np.empty(max(sizes, default=0) * children, dtype=bool)
    answers = {}
    for axis, key in enumerate(keys):
        others = tuple(i for i in range(len(keys)) if i != axis)
        level, names = found[key]
        total = {m: cube[m].sum(axis=others) for m in cube}
        frame = pl.DataFrame(
            {
                key: names,
                "days": total["days"].round().astype(np.int64),
                "missing": total["missing"].round().astype(np.int64),
                "away": total["away"].round().astype(np.int64),
                "children": _distinct(level, child, len(names), children, table),
                "children_missing": _distinct(level[went], child_went, len(names), children, table),
            }
        ).filter(pl.Series(total["rows"] > 0))
        answers[key] = frame.with_columns(
            missing_rate=pl.when(pl.col("days") > 0).then(
                1000 * pl.col("missing") / pl.col("days")
            ),
            away_rate=pl.when(pl.col("days") > 0).then(1000 * pl.col("away") / pl.col("days")),
            children_missing_rate=_share("children_missing", "children"),
        )
    return answers


def _order(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Bands in band order (Enums sort by their order), anything else alphabetically (sex:
    F, M, U)."""
    return frame.sort(key)


SEX_LABELS = {"F": "Female", "M": "Male", "U": "Not known"}


def q2_rates(q: Query, extract: Extract, seg: pl.DataFrame | None = None) -> list[Table]:
    seg = segments(q, extract) if seg is None else seg
    rates = _rates_by(seg, ["year", *DIMENSIONS])
    trend = rates["year"]
    trend = _all_years(
        trend.select("year", "days", "missing", "away", "children", "children_missing"), q
    )
    trend = trend.with_columns(
        missing_rate=pl.when(pl.col("days") > 0).then(1000 * pl.col("missing") / pl.col("days")),
        away_rate=pl.when(pl.col("days") > 0).then(1000 * pl.col("away") / pl.col("days")),
        children_missing_rate=_share("children_missing", "children"),
    )
    base = trend.filter(pl.col("year") == q.base_year)
    base_rate = base["missing_rate"][0] if base.height else None
    trend = trend.with_columns(
        missing_index=(100 * pl.col("missing_rate") / base_rate)
        if base_rate
        else pl.lit(None, dtype=pl.Float64)
    ).sort("year")
    tables = [
        Table(
            slug="q2-trend",
            title=f"Missing incidents per 1,000 placement-days by year "
            f"(index: {q.base_year} = 100)",
            columns=(
                Col("year", "Year"),
                *_RATE_COLUMNS,
                Col(
                    "missing_index",
                    f"Missing rate index ({q.base_year} = 100)",
                    Kind.INDEX,
                    ("missing",),
                ),
            ),
            frame=trend,
            chart={
                "type": "line",
                "x": "year",
                "y": "missing_rate",
                "label": "Missing incidents per 1,000 placement-days",
            },
        )
    ]
    by_dimension = [rates[key] for key in DIMENSIONS]
    for (key, label), frame in zip(DIMENSIONS.items(), by_dimension, strict=True):
        frame = _order(frame, key)
        if key == "sex":
            frame = frame.with_columns(
                pl.col("sex").cast(pl.String).replace_strict(SEX_LABELS, default=NOT_KNOWN)
            )
        elif key == "place_type":
            frame = frame.with_columns(pl.col(key).cast(pl.String))
        tables.append(
            Table(
                slug=f"q2-by-{key.replace('_', '-')}",
                title=f"Missing rates by {label.lower()}, {q.year_from} to {q.year_to}",
                columns=(Col(key, label), *_RATE_COLUMNS),
                frame=frame.select(key, *[c.key for c in _RATE_COLUMNS]),
                chart={
                    "type": "bar",
                    "x": key,
                    "y": "missing_rate",
                    "label": "Missing incidents per 1,000 placement-days",
                },
            )
        )
    return tables


# --- Q4 Where the homes are ----------------------------------------------------------------------

CHILDRENS_HOME_TYPES = ("K1", "K2")


def q4_homes(q: Query, extract: Extract) -> list[Table]:
    """Children's homes and places by region against children in care by region (placing
    council's region, on 31 March of the last year, or the extract date if earlier)."""
    regions = extract.councils.select("council", "region_code", "region_name")
    homes = (
        extract.homes.filter(pl.col("place_type").is_in(CHILDRENS_HOME_TYPES))
        .join(regions, on="council", how="left")
        .group_by("region_name")
        .agg(
            homes=pl.len(),
            places=pl.when(pl.col("registered_places").is_not_null().any()).then(
                pl.col("registered_places").sum()
            ),
            private=(pl.col("sector") == "private").sum(),
        )
    )
    day = min(dt.date(q.year_to, 3, 31), extract.as_of)
    in_care = (
        extract.spells.filter(
            (pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") > day))
        )
        .join(regions, left_on="placing_council", right_on="council", how="left")
        .group_by("region_name")
        .agg(children=child_id(pl.col("child_key")).n_unique())
    )
    frame = (
        homes.join(in_care, on="region_name", how="full", coalesce=True)
        .with_columns(pl.col("homes", "private", "children").fill_null(0))
        .filter(pl.col("region_name").is_not_null())
        .with_columns(
            private_share=_share("private", "homes"),
            homes_share=100 * pl.col("homes") / pl.col("homes").sum(),
            children_share=100 * pl.col("children") / pl.col("children").sum(),
        )
        .sort("region_name")
    )
    return [
        Table(
            slug="q4-homes-by-region",
            title=f"Children's homes and children in care by region, {day:%-d %B %Y}",
            columns=(
                Col("region_name", "Region"),
                Col("homes", "Children's homes", Kind.COUNT),
                Col("places", "Registered places", Kind.COUNT),
                Col("private", "Privately run homes", Kind.COUNT),
                Col("private_share", "Privately run (%)", Kind.PERCENT, ("private", "homes")),
                Col("homes_share", "Share of England's homes (%)", Kind.PERCENT, ("homes",)),
                Col("children", "Children in care (placing council's region)", Kind.COUNT),
                Col(
                    "children_share",
                    "Share of England's children in care (%)",
                    Kind.PERCENT,
                    ("children",),
                ),
            ),
            frame=frame,
            note=f"Children in care on {day:%-d %B %Y}. Homes are settings of type K1 or K2 "
            "(secure and other children's homes). Returns do not hold registered places: "
            "they are shown only for homes recorded in Sightline.",
            chart={
                "type": "pair",
                "x": "region_name",
                "y": "homes_share",
                "y2": "children_share",
                "label": "Share of England (%)",
            },
        )
    ]


# --- Q5 Notices ----------------------------------------------------------------------------------


def q5_notices(q: Query, extract: Extract) -> list[Table]:
    """Placement notices (placing council → host council) and the home's admission notices,
    from live records: sent on time, time to acknowledgement, and whether the host council
    learned late (as on the Compliance page: either notice missing, or the home's first)."""
    n = extract.notices.with_columns(year=collection_year(pl.col("created_at").dt.date())).filter(
        pl.col("year").is_between(q.year_from, q.year_to)
    )
    placing = n.filter(pl.col("kind") == "placement")
    admission = (
        n.filter(pl.col("kind") == "admission")
        .group_by("placement_id")
        .agg(admission_at=pl.col("created_at").min())
    )
    per = (
        n.select("placement_id", "placing_council", "host_council")
        .unique("placement_id")
        .join(
            placing.select(
                "placement_id",
                on_time=pl.col("created_at") <= pl.col("due_at"),
                sent_at=pl.col("created_at"),
                ack_hours=(pl.col("acknowledged_at") - pl.col("created_at")).dt.total_minutes()
                / 60,
            ),
            on="placement_id",
            how="left",
        )
        .join(admission, on="placement_id", how="left")
        .with_columns(
            has_placing=pl.col("sent_at").is_not_null(),
            late=pl.col("sent_at").is_null()
            | pl.col("admission_at").is_null()
            | (pl.col("admission_at") < pl.col("sent_at")),
        )
    )
    tables = []
    for side, label in (("placing_council", "Placing council"), ("host_council", "Host council")):
        mine = per.filter(in_area(q.area, extract, council=side))
        frame = (
            mine.group_by(side)
            .agg(
                placements=pl.len(),
                placing_notices=pl.col("has_placing").sum(),
                on_time=pl.col("on_time").fill_null(False).sum(),
                acknowledged=pl.col("ack_hours").is_not_null().sum(),
                median_ack_hours=pl.col("ack_hours").median(),
                learned_late=pl.col("late").sum(),
            )
            .with_columns(
                on_time_share=_share("on_time", "placing_notices"),
                learned_late_share=_share("learned_late", "placements"),
            )
            .join(_council_names(extract), left_on=side, right_on="council", how="left")
            .sort("council_name")
            .select(
                "council_name",
                "placements",
                "placing_notices",
                "on_time",
                "on_time_share",
                "acknowledged",
                "median_ack_hours",
                "learned_late",
                "learned_late_share",
            )
        )
        tables.append(
            Table(
                slug=f"q5-notices-by-{side.split('_')[0]}",
                title=f"Placement notices by {label.lower()}",
                columns=(
                    Col("council_name", label),
                    Col("placements", "Out-of-area placements with a notice", Kind.COUNT),
                    Col("placing_notices", "Placement notices sent", Kind.COUNT),
                    Col("on_time", "Sent on time", Kind.COUNT),
                    Col(
                        "on_time_share",
                        "Sent on time (%)",
                        Kind.PERCENT,
                        ("on_time", "placing_notices"),
                    ),
                    Col("acknowledged", "Acknowledged", Kind.COUNT),
                    Col(
                        "median_ack_hours",
                        "Median hours to acknowledgement",
                        Kind.RATE,
                        ("acknowledged",),
                    ),
                    Col("learned_late", "Host council learned late", Kind.COUNT),
                    Col(
                        "learned_late_share",
                        "Learned late (%)",
                        Kind.PERCENT,
                        ("learned_late", "placements"),
                    ),
                ),
                frame=frame,
                note="Live records only: returns carry no notices. Counts placements with at "
                "least one placement or admission notice to the host council, by the year "
                "the first notice was sent.",
            )
        )
    return tables


# --- Q6 Return interviews ------------------------------------------------------------------------


def q6_interviews(q: Query, extract: Extract) -> list[Table]:
    m = (
        extract.missing.filter(pl.col("returned_at").is_not_null())
        .with_columns(year=collection_year(pl.col("start")))
        .filter(pl.col("year").is_between(q.year_from, q.year_to))
    )
    m = m.with_columns(
        within_72=(pl.col("interview_offered_at") - pl.col("returned_at")) <= pl.duration(hours=72),
    )
    tables = []
    for side, label in (("placing_council", "Placing council"), ("host_council", "Host council")):
        frame = (
            m.filter(in_area(q.area, extract, council=side))
            .group_by(side)
            .agg(
                returns=pl.len(),
                offered_72=pl.col("within_72").fill_null(False).sum(),
                completed=pl.col("interview_completed_at").is_not_null().sum(),
                declined=pl.col("interview_declined_at").is_not_null().sum(),
            )
            .with_columns(
                offered_72_share=_share("offered_72", "returns"),
                completed_share=_share("completed", "returns"),
                declined_share=_share("declined", "returns"),
            )
            .join(_council_names(extract), left_on=side, right_on="council", how="left")
            .sort("council_name")
            .select(
                "council_name",
                "returns",
                "offered_72",
                "offered_72_share",
                "completed",
                "completed_share",
                "declined",
                "declined_share",
            )
        )
        tables.append(
            Table(
                slug=f"q6-interviews-by-{side.split('_')[0]}",
                title=f"Return home interviews by {label.lower()}",
                columns=(
                    Col("council_name", label),
                    Col("returns", "Missing and away episodes ended", Kind.COUNT),
                    Col("offered_72", "Interview offered within 72 hours", Kind.COUNT),
                    Col(
                        "offered_72_share",
                        "Offered within 72 hours (%)",
                        Kind.PERCENT,
                        ("offered_72", "returns"),
                    ),
                    Col("completed", "Interview completed", Kind.COUNT),
                    Col("completed_share", "Completed (%)", Kind.PERCENT, ("completed", "returns")),
                    Col("declined", "Interview declined", Kind.COUNT),
                    Col("declined_share", "Declined (%)", Kind.PERCENT, ("declined", "returns")),
                ),
                frame=frame,
                note="Live records only: returns carry no interviews. Each ended episode "
                "counts once, with the first interview that covers it.",
            )
        )
    return tables


# --- Q7 After a placement starts -----------------------------------------------------------------


def placements_with_incidents(extract: Extract) -> pl.DataFrame:
    """Every new placement with the start of the child's next one and the incidents during
    it, worked out once per extract and kept with it.

    A 903 episode for a change of legal status only continues the placement before it: each
    spell belongs to the latest new placement of the same child at or before it, and its
    incidents count with that placement."""
    table = extract.derived.get("placements")
    if table is not None:
        return table
    with _LOCKS["placements"]:
        table = extract.derived.get("placements")
        if table is not None:
            return table
        spells = prepared_spells(extract)
        # Spells in order of child and start (worked out with the children's numbers).
        order = extract.derived["by_child"]["row"].to_numpy().astype(np.int64)
        child = spells["child_n"].to_numpy()
        child, new = child[order], spells["new_placement"].to_numpy()[order]
        first_of_child = np.ones(len(order), dtype=bool)
        first_of_child[1:] = child[1:] != child[:-1]
        begins = new | first_of_child
        # Each spell's placement: the latest spell at or before it that began one.
        latest = np.maximum.accumulate(np.where(begins, np.arange(len(order)), 0))
        placement_of = np.empty(len(order), dtype=np.int64)
        placement_of[order] = order[latest]
        incidents = spell_incidents(extract)
        owner = placement_of[incidents["row"].to_numpy()]

        # The placements (spells that begin one), in order of child and start, and the next
        # placement of the same child (the one after, when it is the same child's).
        starts = order[begins]
        same_child = np.zeros(len(starts), dtype=bool)
        same_child[:-1] = child[begins][1:] == child[begins][:-1]
        following = np.zeros(len(starts), dtype=np.int64)
        following[:-1] = starts[1:]

        def during(flag: str) -> np.ndarray:
            hit = incidents[flag].to_numpy()
            return np.bincount(owner[hit], minlength=len(order))[starts].astype(np.int64)

        take = pl.Series(starts.astype(np.uint32))
        start = spells["start"].rechunk()  # one piece (not one per row group): quicker to take
        table = pl.DataFrame(
            {
                "row": take,
                "start": start.gather(take),
                "next_start": start.gather(pl.Series(following.astype(np.uint32))),
                "missing": during("is_missing"),
                "away": during("is_away"),
                "found_outside": during("found_outside"),
                "found_known": during("found_known"),
            }
        ).select(
            "row",
            "start",
            pl.when(pl.Series(same_child)).then(pl.col("next_start")).alias("next_start"),
            ((spells["start_ym"].gather(take) + 9) // 12).alias("year"),
            "missing",
            "away",
            "found_outside",
            "found_known",
        )
        extract.derived["placements"] = table
    return table


def q7_after_start(q: Query, extract: Extract) -> list[Table]:
    """Placements that started in the range in the area (new placements, not changes of
    legal status): missing and away incidents during them, incidents found outside the home's
    police force area, and moves to another placement within 12 months of the start."""
    table = placements_with_incidents(extract)
    started = table.lazy().filter(
        pl.col("year").is_between(q.year_from, q.year_to) & _rows_in(table, spell_mask(q, extract))
    )
    year_after = pl.col("start") + pl.duration(days=365)
    frame = (
        started.with_columns(
            followed=year_after <= pl.lit(extract.as_of),
            moved=pl.col("next_start").is_not_null() & (pl.col("next_start") <= year_after),
        )
        .group_by("year")
        .agg(
            placements=pl.len(),
            with_missing=(pl.col("missing") > 0).sum(),
            missing=pl.col("missing").sum(),
            away=pl.col("away").sum(),
            found_known=pl.col("found_known").sum(),
            found_outside=pl.col("found_outside").sum(),
            followed=pl.col("followed").sum(),
            moved=(pl.col("moved") & pl.col("followed")).sum(),
        )
        .collect()
        .pipe(_all_years, q)
        .with_columns(
            with_missing_share=_share("with_missing", "placements"),
            moved_share=_share("moved", "followed"),
        )
        .sort("year")
        .select(
            "year",
            "placements",
            "with_missing",
            "with_missing_share",
            "missing",
            "away",
            "found_known",
            "found_outside",
            "followed",
            "moved",
            "moved_share",
        )
    )
    return [
        Table(
            slug="q7-after-start",
            title="After a placement starts: missing episodes, where children were found, and "
            "moves",
            columns=(
                Col("year", "Year placement started"),
                Col("placements", "Placements started", Kind.COUNT),
                Col("with_missing", "With a missing incident during the placement", Kind.COUNT),
                Col(
                    "with_missing_share",
                    "With a missing incident (%)",
                    Kind.PERCENT,
                    ("with_missing", "placements"),
                ),
                Col("missing", "Missing incidents during the placement", Kind.COUNT),
                Col("away", "Away incidents during the placement", Kind.COUNT),
                Col("found_known", "Incidents with where found recorded", Kind.COUNT),
                Col("found_outside", "Found outside the home's police force area", Kind.COUNT),
                Col(
                    "followed",
                    "Placements started at least 12 months before the data ends",
                    Kind.COUNT,
                ),
                Col("moved", "Of those, moved within 12 months", Kind.COUNT),
                Col(
                    "moved_share", "Moved within 12 months (%)", Kind.PERCENT, ("moved", "followed")
                ),
            ),
            frame=frame,
            note="Where a child was found is in live records only. A move is the start of the "
            "child's next placement (not a change of legal status only).",
        )
    ]


# --- Continuity (issue 17) ---------------------------------------------------------------------

CONTINUITY_BANDS = ("1", "2", "3 or more")


def q7_continuity(q: Query, extract: Extract) -> list[Table]:
    """Children in care in the area on the last day, by how many placements they lived in
    during the 12 months before it (new placements, not changes of legal status): the record's
    continuity figure (``family.selectors.continuity_for_child``) for the area as a whole.
    Read from the spells, so the same from the database and from SSDA903 returns."""
    day = min(dt.date(q.year_to, 3, 31), extract.as_of)
    since = day - dt.timedelta(days=365)
    spells = extract.spells
    current = (pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") > day))
    children = (
        spells.filter(current & spell_filter(q, extract) & pl.col("child_key").is_not_null())
        .select("child_key")
        .unique()
    )
    counts = (
        spells.filter(
            pl.col("new_placement").fill_null(True)
            & (pl.col("start") <= day)
            & (pl.col("end").is_null() | (pl.col("end") > since))
        )
        .group_by("child_key")
        .agg(placements=pl.len())
    )
    banded = children.join(counts, on="child_key", how="left").with_columns(
        band=pl.when(pl.col("placements").fill_null(1) >= 3)
        .then(pl.lit(CONTINUITY_BANDS[2]))
        .otherwise(pl.col("placements").fill_null(1).clip(1, 2).cast(pl.String))
    )
    frame = (
        pl.DataFrame({"band": list(CONTINUITY_BANDS)})
        .join(banded.group_by("band").agg(children=pl.len()), on="band", how="left")
        .with_columns(pl.col("children").fill_null(0))
        .with_columns(share=100 * pl.col("children") / pl.col("children").sum())
    )
    return [
        Table(
            slug="q7-continuity",
            title=f"Children in care on {day:%-d %B %Y} by placements in the 12 months before",
            columns=(
                Col("band", "Placements in 12 months"),
                Col("children", "Children", Kind.COUNT),
                Col("share", "Share (%)", Kind.PERCENT, ("children",)),
            ),
            frame=frame,
            note="A change of legal status alone is not a new placement.",
        ),
        _social_worker_continuity(extract, children=children, since=since, day=day),
    ]


_FOLLOWED = ("placements", "missing", "children_missing", "screenings")


def q7_decisions(q: Query, extract: Extract) -> list[Table]:
    """Decisions after the matching check before a placement (ADR 51), in the area and range:
    how many went ahead, how often a warning was overridden, and what followed each placement
    that went ahead in the ``DECISION_WINDOW_DAYS`` after it started: missing incidents and
    exploitation screenings at moderate or above. Live records only (a return has none)."""
    from sightline.evidence.frames import DECISION_WINDOW_DAYS

    council = "placing_council" if q.perspective is Perspective.PLACING else "host_council"
    decisions = extract.decisions.filter(
        in_area(q.area, extract, council=council)
        & collection_year(pl.col("decided_on")).is_between(q.year_from, q.year_to)
    )
    spells = extract.spells.select("spell_id", "start")
    incidents = (
        extract.missing.filter(pl.col("kind") == "M")
        .select("spell_id", pl.col("start").alias("went_missing"))
        .join(spells, on="spell_id")
        .filter(
            (pl.col("went_missing") >= pl.col("start"))
            & (pl.col("went_missing") <= pl.col("start") + pl.duration(days=DECISION_WINDOW_DAYS))
        )
        .group_by("spell_id")
        .agg(missing_after=pl.len())
    )
    went_ahead = (
        decisions.filter(pl.col("proceed"))
        .join(incidents, on="spell_id", how="left")
        .with_columns(
            pl.col("missing_after").fill_null(0),
            group=pl.when(pl.col("overridden"))
            .then(pl.lit("Went ahead despite a warning"))
            .otherwise(pl.lit("Went ahead with no warning")),
        )
    )
    groups = ("Went ahead despite a warning", "Went ahead with no warning")
    followed = (
        pl.DataFrame({"group": list(groups)})
        .join(
            went_ahead.group_by("group").agg(
                placements=pl.len(),
                missing=pl.col("missing_after").sum(),
                children_missing=(pl.col("missing_after") > 0).sum(),
                screenings=pl.col("screenings_after").sum(),
            ),
            on="group",
            how="left",
        )
        .with_columns(
            pl.col(c).fill_null(0)
            for c in ("placements", "missing", "children_missing", "screenings")
        )
        .with_columns(
            missing_rate=pl.when(pl.col("placements") > 0).then(
                pl.col("missing") / pl.col("placements")
            )
        )
    )
    with_warning = decisions.filter(pl.col("warnings") > 0)
    summary = pl.DataFrame(
        {
            "decisions": [decisions.height],
            "went_ahead": [decisions.filter(pl.col("proceed")).height],
            "did_not": [decisions.filter(~pl.col("proceed")).height],
            "with_warning": [with_warning.height],
            "overridden": [with_warning.filter(pl.col("overridden")).height],
            "distant": [decisions.filter(pl.col("distant") & pl.col("proceed")).height],
        }
    ).with_columns(
        overridden_share=pl.when(pl.col("with_warning") > 0).then(
            100 * pl.col("overridden") / pl.col("with_warning")
        )
    )
    return [
        Table(
            slug="q7-matching-decisions",
            title="Decisions after the matching check before a placement",
            columns=(
                Col("decisions", "Decisions", Kind.COUNT),
                Col("went_ahead", "Went ahead", Kind.COUNT),
                Col("did_not", "Did not go ahead", Kind.COUNT),
                Col("with_warning", "With a warning", Kind.COUNT),
                Col("overridden", "Warning overridden", Kind.COUNT),
                Col(
                    "overridden_share",
                    "Overridden (% of those warned)",
                    Kind.PERCENT,
                    ("overridden",),
                ),
                Col("distant", "Distant placements approved", Kind.COUNT),
            ),
            frame=summary,
            note="Live records only: an SSDA903 return holds no decisions. A warning is a child "
            "assessed at moderate or significant risk of exploitation living at the home, or a "
            "hotspot of found locations near it (ADR 51).",
        ),
        Table(
            slug="q7-after-override",
            title=f"What followed in the {DECISION_WINDOW_DAYS} days after placements went ahead",
            columns=(
                Col("group", "Placements"),
                Col("placements", "Placements", Kind.COUNT),
                Col("missing", "Missing incidents", Kind.COUNT),
                Col("missing_rate", "Missing incidents per placement", Kind.RATIO, ("missing",)),
                Col("children_missing", "Placements with a child missing", Kind.COUNT),
                Col("screenings", "Screenings at moderate or above", Kind.COUNT),
            ),
            frame=followed.select(
                "group", "placements", "missing", "missing_rate", "children_missing", "screenings"
            ),
            note="Missing incidents from the placement's start; screenings of the child from "
            "the decision. Small numbers are suppressed.",
        ),
    ]


SOCIAL_WORKER_BANDS = ("None recorded", "1", "2", "3 or more")


def _social_worker_continuity(
    extract: Extract, *, children: pl.DataFrame, since: dt.date, day: dt.date
) -> Table:
    """The same children by how many social workers they had in the 12 months: the 903's
    SWEpisodes and, from the database, the worker allocated in each placement, combined as
    the child's record combines them (``family.selectors.combined_worker_periods``)."""
    workers = (
        extract.social_workers.filter(
            (pl.col("start") <= day) & (pl.col("end").is_null() | (pl.col("end") >= since))
        )
        .group_by("child_key")
        .agg(workers=pl.col("worker_key").n_unique())
    )
    banded = children.join(workers, on="child_key", how="left").with_columns(
        band=pl.when(pl.col("workers").is_null())
        .then(pl.lit(SOCIAL_WORKER_BANDS[0]))
        .when(pl.col("workers") >= 3)
        .then(pl.lit(SOCIAL_WORKER_BANDS[3]))
        .otherwise(pl.col("workers").cast(pl.String))
    )
    frame = (
        pl.DataFrame({"band": list(SOCIAL_WORKER_BANDS)})
        .join(banded.group_by("band").agg(children=pl.len()), on="band", how="left")
        .with_columns(pl.col("children").fill_null(0))
        .with_columns(share=100 * pl.col("children") / pl.col("children").sum())
    )
    return Table(
        slug="q7-social-workers",
        title=f"Children in care on {day:%-d %B %Y} by social workers in the 12 months before",
        columns=(
            Col("band", "Social workers in 12 months"),
            Col("children", "Children", Kind.COUNT),
            Col("share", "Share (%)", Kind.PERCENT, ("children",)),
        ),
        frame=frame,
        note="From the SSDA903 SWEpisodes (collected from 2023–24) and, in Sightline's own "
        "records, the social worker allocated in each placement; where both cover the same "
        "days the return counts. None recorded: neither source names a social worker.",
    )
