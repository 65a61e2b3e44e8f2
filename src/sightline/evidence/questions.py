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
from dataclasses import dataclass, field

import polars as pl

from sightline.evidence.areas import Area, Perspective, in_area
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


def _banded(code: pl.Expr, labels: tuple[str, ...], enum: pl.Enum) -> pl.Expr:
    return code.cast(pl.UInt8).replace_strict(
        dict(enumerate([*labels, NOT_KNOWN])), return_dtype=enum
    )


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


def spell_filter(q: Query, extract: Extract) -> pl.Expr:
    if q.perspective is Perspective.PLACING:
        return in_area(q.area, extract, council="placing_council")
    return in_area(q.area, extract, council="host_council", force="host_police_force")


def placement_years(extract: Extract) -> pl.DataFrame:
    """Every placement-year of the extract (all areas, all years), worked out once per loaded
    extract and kept with it: the dashboards filter it instead of cutting years again."""
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
    day after ``as_of``), its bands, and its missing and away incidents in that year."""
    table = extract.derived.get("placement_years")
    if table is not None:
        return table.filter(
            pl.col("year").is_between(q.year_from, q.year_to) & spell_filter(q, extract)
        )
    return _cut(q.year_from, q.year_to, extract, spell_filter(q, extract))


def _cut(year_from: int, year_to: int, extract: Extract, keep: pl.Expr) -> pl.DataFrame:
    first, last = year_start(year_from), year_start(year_to + 1)
    open_end = extract.as_of + dt.timedelta(days=1)
    spells = extract.spells.lazy().filter(keep).with_columns(stop=pl.col("end").fill_null(open_end))
    spells = spells.filter((pl.col("start") < last) & (pl.col("stop") > first))
    years = pl.int_ranges(
        collection_year(pl.max_horizontal(pl.col("start"), pl.lit(first))),
        collection_year(pl.min_horizontal(pl.col("stop"), pl.lit(last)) - pl.duration(days=1)) + 1,
    )
    seg = (
        spells.with_columns(year=years)
        .explode("year")
        .with_columns(
            seg_start=pl.max_horizontal(pl.col("start"), pl.date(pl.col("year") - 1, 4, 1)),
            seg_stop=pl.min_horizontal(pl.col("stop"), pl.date(pl.col("year"), 4, 1)),
        )
        .with_columns(days=(pl.col("seg_stop") - pl.col("seg_start")).dt.total_days())
        .filter(pl.col("days") > 0)
        .with_columns(
            age_band=age_band(_age_on(pl.col("birth_month"), pl.col("seg_start"))),
            distance_band=distance_band(pl.col("distance_miles")),
            locality=_locality(pl.col("out_of_area")),
            sex=pl.col("sex").fill_null("U"),
        )
    )
    counts = (
        extract.missing.lazy()
        .filter(pl.col("spell_id").is_not_null())
        .with_columns(year=collection_year(pl.col("start")))
        .group_by("spell_id", "year")
        .agg(
            missing=(pl.col("kind") == "M").sum().cast(pl.Int64),
            away=(pl.col("kind") == "A").sum().cast(pl.Int64),
        )
    )
    return (
        seg.join(counts, on=["spell_id", "year"], how="left")
        .with_columns(pl.col("missing", "away").fill_null(0))
        .select(
            "spell_id",
            "child_key",
            child_id(pl.col("child_key")).alias("child"),
            "placing_council",
            "host_council",
            "host_police_force",
            "year",
            "days",
            "missing",
            "away",
            "age_band",
            "distance_band",
            "locality",
            "sex",
            "place_type",
        )
        .collect()
    )


def _council_names(extract: Extract) -> pl.DataFrame:
    return extract.councils.select("council", "council_name")


def _share(part: str, whole: str) -> pl.Expr:
    return pl.when(pl.col(whole) > 0).then(100 * pl.col(part) / pl.col(whole))


# --- Q1 Out-of-area share ------------------------------------------------------------------------


def q1_out_of_area(q: Query, extract: Extract) -> list[Table]:
    """Of missing incidents from settings in the area, how many involve children placed by
    other councils (placing council is not the council the home is in)."""
    episodes = (
        extract.missing.with_columns(year=collection_year(pl.col("start")))
        .filter(pl.col("year").is_between(q.year_from, q.year_to))
        .filter(in_area(q.area, extract, council="host_council", force="host_police_force"))
        .filter(pl.col("host_council").is_not_null())
        .with_columns(other=pl.col("placing_council") != pl.col("host_council"))
    )
    by_year = (
        episodes.group_by("year")
        .agg(
            missing=(pl.col("kind") == "M").sum(),
            missing_other=((pl.col("kind") == "M") & pl.col("other")).sum(),
            away=(pl.col("kind") == "A").sum(),
            away_other=((pl.col("kind") == "A") & pl.col("other")).sum(),
        )
        .pipe(_all_years, q)
        .with_columns(
            missing_share=_share("missing_other", "missing"),
            away_share=_share("away_other", "away"),
        )
        .sort("year")
    )
    by_council = (
        episodes.group_by("year", "placing_council")
        .agg(
            missing=(pl.col("kind") == "M").sum(),
            away=(pl.col("kind") == "A").sum(),
        )
        .join(_council_names(extract), left_on="placing_council", right_on="council", how="left")
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


def _rates(seg: pl.DataFrame | pl.LazyFrame, by: list[str]) -> pl.LazyFrame:
    return (
        seg.lazy()
        .group_by(by)
        .agg(
            days=pl.col("days").sum(),
            missing=pl.col("missing").sum(),
            away=pl.col("away").sum(),
            children=pl.col("child").n_unique(),
            children_missing=pl.col("child").filter(pl.col("missing") > 0).n_unique(),
        )
        .with_columns(
            missing_rate=pl.when(pl.col("days") > 0).then(
                1000 * pl.col("missing") / pl.col("days")
            ),
            away_rate=pl.when(pl.col("days") > 0).then(1000 * pl.col("away") / pl.col("days")),
            children_missing_rate=_share("children_missing", "children"),
        )
    )


def _order(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    """Bands in band order (Enums sort by their order), anything else alphabetically (sex:
    F, M, U)."""
    return frame.sort(key)


SEX_LABELS = {"F": "Female", "M": "Male", "U": "Not known"}


def q2_rates(q: Query, extract: Extract, seg: pl.DataFrame | None = None) -> list[Table]:
    seg = segments(q, extract) if seg is None else seg
    trend = _rates(seg, ["year"]).collect()
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
    by_dimension = pl.collect_all([_rates(seg, [key]) for key in DIMENSIONS])
    for (key, label), frame in zip(DIMENSIONS.items(), by_dimension, strict=True):
        frame = _order(frame, key)
        if key == "sex":
            frame = frame.with_columns(pl.col("sex").replace_strict(SEX_LABELS, default=NOT_KNOWN))
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
        .agg(children=pl.col("child_key").n_unique())
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
    ordered = (
        extract.spells.lazy()
        .with_columns(child=child_id(pl.col("child_key")))
        .sort("child", "start")
        .with_columns(
            placement=pl.when(
                pl.col("new_placement") | (pl.col("child") != pl.col("child").shift(1))
            )
            .then(pl.col("spell_id"))
            .forward_fill()
        )
    )
    placements = ordered.filter(
        pl.col("new_placement") | (pl.col("placement") == pl.col("spell_id"))
    ).with_columns(
        next_start=pl.when(pl.col("child").shift(-1) == pl.col("child")).then(
            pl.col("start").shift(-1)
        ),
        year=collection_year(pl.col("start")),
    )
    during = (
        extract.missing.lazy()
        .join(ordered.select("spell_id", "placement"), on="spell_id")
        .group_by(spell_id="placement")
        .agg(
            missing=(pl.col("kind") == "M").sum(),
            away=(pl.col("kind") == "A").sum(),
            found_outside=pl.col("found_outside_force").fill_null(False).sum(),
            found_known=pl.col("found_outside_force").is_not_null().sum(),
        )
    )
    table = (
        placements.join(during, on="spell_id", how="left")
        .with_columns(pl.col("missing", "away", "found_outside", "found_known").fill_null(0))
        .select(
            "spell_id",
            "start",
            "next_start",
            "year",
            "placing_council",
            "host_council",
            "host_police_force",
            "missing",
            "away",
            "found_outside",
            "found_known",
        )
        .collect()
    )
    extract.derived["placements"] = table
    return table


def q7_after_start(q: Query, extract: Extract) -> list[Table]:
    """Placements that started in the range in the area (new placements, not changes of
    legal status): missing and away incidents during them, incidents found outside the home's
    police force area, and moves to another placement within 12 months of the start."""
    started = (
        placements_with_incidents(extract)
        .lazy()
        .filter(pl.col("year").is_between(q.year_from, q.year_to))
        .filter(spell_filter(q, extract))
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
