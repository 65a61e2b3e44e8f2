"""The two sources of the extract: Sightline's database, and a directory of SSDA903 returns.

Both produce the frames in ``frames.py``. The database holds live records and every return
imported with ``sightline returns import``; the directory reader is for national scale (ten
years of England) without loading the returns into the database first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from pathlib import Path
from typing import Any

import polars as pl
from django.db.models import F as DbF
from django.db.models import OuterRef, Subquery

from sightline.core.errors import ValidationError
from sightline.core.timeutil import today
from sightline.evidence import frames as F
from sightline.geography.derive import miles_expr, postcode_places, squared_metres_expr
from sightline.geography.models import Council, PoliceForce
from sightline.returns.layout import find_returns
from sightline.returns.reader import ReadError, ReturnTables, read_return
from sightline.returns.schema import COLUMNS, EPISODES, HEADER, MISSING, SW_EPISODES


def councils_frame() -> pl.DataFrame:
    rows = Council.objects.values_list(
        "ons_code",
        "dfe_code",
        "name",
        "region_code",
        "region_name",
        "police_force__code",
        "police_force__name",
    ).order_by("ons_code")
    return pl.DataFrame(list(rows), schema=F.COUNCILS, orient="row")


def forces_frame() -> pl.DataFrame:
    rows = PoliceForce.objects.values_list("code", "name").order_by("code")
    return pl.DataFrame(list(rows), schema=F.FORCES, orient="row")


def _pseudonymise(frame: pl.DataFrame, dfe: str, ref: str) -> pl.DataFrame:
    """Add ``child_key``, hashing each distinct (council, CHILD) pair once."""
    pairs = frame.select(dfe, ref).unique()
    salt = F._salt()
    keys = [
        hmac.new(salt, f"{d}:{r}".encode(), hashlib.sha256).hexdigest()[:16]
        for d, r in pairs.iter_rows()
    ]
    pairs = pairs.with_columns(child_key=pl.Series(keys, dtype=pl.String))
    return frame.join(pairs, on=[dfe, ref], how="left", nulls_equal=True)


# --- From the database -------------------------------------------------------------------------


def from_database(*, as_of: dt.date | None = None) -> F.Extract:
    """Everything in the database: placements, episodes, homes and notices. Reads only."""
    from sightline.missing.models import Episode, ReturnInterview
    from sightline.notifications.models import Notice
    from sightline.organisations.models import OrganisationKind
    from sightline.placements.models import Placement, Setting
    from sightline.placements.notices import SUBJECT_TYPE, PlacementNoticeKind

    if as_of is None:
        as_of = _database_as_of()
    councils = councils_frame()
    spell_rows = Placement.objects.values_list(
        "id",
        "child__placing_council__dfe_code",
        "child__child_ref",
        "child__placing_council_id",
        "child__date_of_birth",
        "child__sex",
        "start_date",
        "end_date",
        "place_type",
        "place_provider",
        "host_council_id",
        "host_police_force_id",
        "distance_miles",
        "out_of_area",
        "setting_id",
        "return_link__return_import__year",
        "reason_new_episode",
    )
    spells = pl.DataFrame(
        [
            (
                str(p),
                dfe,
                ref,
                placing,
                dob.replace(day=1),
                sex,
                start,
                _imported_end(end, return_year),
                place,
                provider,
                host,
                force,
                None if miles is None else float(miles),
                ooa,
                str(setting),
                not rne or rne in NEW_PLACEMENT_RNE,
            )
            for (
                p,
                dfe,
                ref,
                placing,
                dob,
                sex,
                start,
                end,
                place,
                provider,
                host,
                force,
                miles,
                ooa,
                setting,
                return_year,
                rne,
            ) in spell_rows
        ],
        schema={
            "spell_id": pl.String,
            "dfe": pl.String,
            "ref": pl.String,
            "placing_council": pl.String,
            "birth_month": pl.Date,
            "sex": pl.String,
            "start": pl.Date,
            "end": pl.Date,
            "place_type": pl.String,
            "provider": pl.String,
            "host_council": pl.String,
            "host_police_force": pl.String,
            "distance_miles": pl.Float64,
            "out_of_area": pl.Boolean,
            "setting_key": pl.String,
            # An imported 903 episode for a change of legal status only (RNE L) is not a new
            # placement, as when the return is read directly; a record made in Sightline is.
            "new_placement": pl.Boolean,
        },
        orient="row",
    )
    spells = _pseudonymise(spells, "dfe", "ref")
    spells = F.conform(spells, "spells")

    # The first interview that covers each episode (one interview may cover several).
    interview_of: dict[str, tuple[dt.datetime | None, dt.datetime | None, dt.datetime | None]] = {}
    links = ReturnInterview.episodes.through.objects.values_list(
        "episode_id",
        "returninterview__created_at",
        "returninterview__offered_at",
        "returninterview__completed_at",
        "returninterview__declined_at",
    ).order_by("returninterview__created_at")
    for episode_id, _created, offered, completed, declined in links:
        interview_of.setdefault(str(episode_id), (offered, completed, declined))
    episode_rows = Episode.objects.values_list(
        "id",
        "child__placing_council__dfe_code",
        "child__child_ref",
        "placing_council_id",
        "missing_code",
        "mis_start",
        "mis_end",
        "placement_id",
        "host_council_id",
        "host_police_force_id",
        "found_in_other_force_area",
        "returned_at",
    )
    missing = pl.DataFrame(
        [
            (
                str(e),
                dfe,
                ref,
                placing,
                code,
                start,
                end,
                str(p),
                host,
                force,
                other,
                back,
                *interview_of.get(str(e), (None, None, None)),
            )
            for (e, dfe, ref, placing, code, start, end, p, host, force, other, back) in (
                episode_rows
            )
        ],
        schema={
            "episode_id": pl.String,
            "dfe": pl.String,
            "ref": pl.String,
            "placing_council": pl.String,
            "kind": pl.String,
            "start": pl.Date,
            "end": pl.Date,
            "spell_id": pl.String,
            "host_council": pl.String,
            "host_police_force": pl.String,
            "found_outside_force": pl.Boolean,
            "returned_at": pl.Datetime("us", "UTC"),
            "interview_offered_at": pl.Datetime("us", "UTC"),
            "interview_completed_at": pl.Datetime("us", "UTC"),
            "interview_declined_at": pl.Datetime("us", "UTC"),
        },
        orient="row",
    )
    missing = F.conform(_pseudonymise(missing, "dfe", "ref"), "missing")

    homes = pl.DataFrame(
        [
            (str(s), council, force, sector, places, place)
            for (s, council, force, sector, places, place) in Setting.objects.values_list(
                "id",
                "council_id",
                "police_force_id",
                "sector",
                "registered_places",
                "place_type",
            )
        ],
        schema=F.HOMES,
        orient="row",
    )

    host_council = Placement.objects.filter(pk=OuterRef("subject_id")).values("host_council_id")
    notice_rows = (
        Notice.objects.filter(
            kind__in=[PlacementNoticeKind.PLACEMENT, PlacementNoticeKind.ADMISSION],
            subject_type=SUBJECT_TYPE,
            recipient__kind=OrganisationKind.COUNCIL,
        )
        .annotate(host_council_id=Subquery(host_council[:1]))
        .filter(recipient__council_id=DbF("host_council_id"))
    ).values_list(
        "subject_id",
        "kind",
        "child__placing_council_id",
        "host_council_id",
        "due_at",
        "created_at",
        "ack_due_at",
        "acknowledged_at",
    )
    notices = pl.DataFrame(
        [(str(p), *rest) for (p, *rest) in notice_rows], schema=F.NOTICES, orient="row"
    )
    return F.Extract(
        spells=spells,
        missing=missing,
        homes=homes,
        notices=notices,
        councils=councils,
        forces=forces_frame(),
        social_workers=_social_workers_from_database(),
        as_of=as_of,
        source="Sightline database (live records and imported returns)",
        notes=[],
        decisions=_decisions_frame(),
    )


def _decisions_frame() -> pl.DataFrame:
    """The decisions after the matching check, with the screenings at moderate or above that
    followed each within the window (ADR 51). Reads only."""
    from sightline.exploitation.models import Grade, PlacementDecision, Screening

    window = dt.timedelta(days=F.DECISION_WINDOW_DAYS)
    screened: dict[Any, list[dt.datetime]] = {}
    for child_id, at in Screening.objects.filter(
        grade__in=[Grade.MODERATE, Grade.SIGNIFICANT]
    ).values_list("child_id", "recorded_at"):
        screened.setdefault(child_id, []).append(at)
    rows = []
    for d in PlacementDecision.objects.values_list(
        "placement_id",
        "child_id",
        "child__placing_council_id",
        "setting__council_id",
        "recorded_at",
        "proceed",
        "warnings",
        "overridden",
        "distant",
    ):
        placement, child, placing, host, at, proceed, warnings, overridden, distant = d
        after = sum(1 for s in screened.get(child, []) if at < s <= at + window)
        rows.append(
            (
                str(placement) if placement else None,
                placing,
                host,
                at.date(),
                proceed,
                warnings,
                overridden,
                distant,
                after,
            )
        )
    return pl.DataFrame(rows, schema=F.DECISIONS, orient="row")


def _social_workers_from_database() -> pl.DataFrame:
    """Each child's social workers: the worker allocated in each placement and the imported
    SWEpisodes, combined per child as the child's record combines them (ADR 52)."""
    from sightline.family.selectors import ReturnedWorkers, WorkerPeriod, combined_worker_periods
    from sightline.placements.models import Contact, ContactRole
    from sightline.returns.models import ImportedSocialWorkerEpisode

    who: dict[Any, tuple[str, str, str]] = {}
    record: dict[Any, list[WorkerPeriod]] = {}
    for child, dfe, ref, placing, name, start, end in Contact.objects.filter(
        role=ContactRole.SOCIAL_WORKER, placement__isnull=False
    ).values_list(
        "placement__child_id",
        "placement__child__placing_council__dfe_code",
        "placement__child__child_ref",
        "placement__child__placing_council_id",
        "name",
        "placement__start_date",
        "placement__end_date",
    ):
        who[child] = (dfe, ref, placing)
        record.setdefault(child, []).append(
            WorkerPeriod(" ".join(name.casefold().split()), start, end)
        )
    returned: dict[Any, list[WorkerPeriod]] = {}
    covered: dict[Any, dt.date] = {}
    for child, dfe, ref, placing, sw_id, sw_start, sw_end, year in (
        ImportedSocialWorkerEpisode.objects.exclude(sw_id="")
        .exclude(sw_decom__isnull=True)
        .values_list(
            "child_id",
            "child__placing_council__dfe_code",
            "child__child_ref",
            "child__placing_council_id",
            "sw_id",
            "sw_decom",
            "sw_dec",
            "return_import__year",
        )
    ):
        if sw_start is None:
            continue
        who[child] = (dfe, ref, placing)
        returned.setdefault(child, []).append(
            WorkerPeriod(f"903:{sw_id.strip().casefold()}", sw_start, sw_end)
        )
        covered[child] = max(covered.get(child, dt.date.min), dt.date(year, 3, 31))
    rows = []
    for child, (dfe, ref, placing) in who.items():
        periods = combined_worker_periods(
            record=record.get(child, []),
            returned=ReturnedWorkers(
                periods=tuple(returned.get(child, ())), covered_until=covered.get(child)
            ),
        )
        rows += [
            (dfe, ref, placing, F.pseudonym(dfe or "", f"sw:{p.worker}"), p.start, p.end)
            for p in periods
        ]
    frame = pl.DataFrame(
        rows,
        schema={
            "dfe": pl.String,
            "ref": pl.String,
            "placing_council": pl.String,
            "worker_key": pl.String,
            "start": pl.Date,
            "end": pl.Date,
        },
        orient="row",
    )
    return F.conform(_pseudonymise(frame, "dfe", "ref"), "social_workers")


def _imported_end(end: dt.date | None, return_year: int | None) -> dt.date | None:
    """A placement an SSDA903 import wrote, still open at the end of its return's collection
    year, is known to be open on that 31 March and no later: it ends the next day (the end
    day is not counted), as when the return is read directly with ``--returns``. A later
    return that holds the same episode gives it that return's end and year."""
    if end is None and return_year is not None:
        return dt.date(return_year, 4, 1)
    return end


def _database_as_of() -> dt.date:
    """The day the database's records run to: today when it holds any record made in
    Sightline itself (the web app, the API, the demo); when every placement and missing
    episode came from imported SSDA903 returns, the last 31 March those returns cover, so
    that later years show no data rather than empty placement-days."""
    from sightline.missing.models import Episode
    from sightline.placements.models import Placement
    from sightline.returns.models import ReturnImport

    live = (
        Placement.objects.filter(return_link__isnull=True).exists()
        or Episode.objects.filter(return_link__isnull=True).exists()
    )
    if not live:
        last = (
            ReturnImport.objects.filter(replaced_at__isnull=True)
            .order_by("-year")
            .values_list("year", flat=True)
            .first()
        )
        if last is not None:
            return min(dt.date(last, 3, 31), today())
    return today()


# --- From a directory of SSDA903 returns -------------------------------------------------------

SEX_CODES = {"1": "M", "2": "F", "M": "M", "F": "F", "U": "U"}
# RNE codes that start a new placement (not a change of legal status only).
NEW_PLACEMENT_RNE = ("S", "P", "T", "B", "U")
_PROVIDER_SECTOR = {
    "PR1": "council",
    "PR2": "council",
    "PR3": "health",
    "PR4": "private",
    "PR5": "voluntary",
}


# The columns of each table that the extract uses.
_USED = {
    HEADER: ["CHILD", "SEX", "DOB"],
    EPISODES: [
        "CHILD",
        "DECOM",
        "RNE",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "HOME_POST",
        "PL_POST",
        "URN",
    ],
    MISSING: ["CHILD", "MISSING", "MIS_START", "MIS_END"],
}


def _read_folder(folder: Path) -> ReturnTables:
    """One council's return for one year, read by the returns reader: the same checks of
    encoding, columns and row widths as ``sightline returns import``. Header and Episodes
    must be there; Missing may not be."""
    try:
        tables = read_return(folder)
    except ReadError as exc:
        raise ValidationError(
            f"We cannot read the return in {folder}:\n{exc}", record=str(folder)
        ) from exc
    for table in (HEADER, EPISODES):
        if table not in tables.supplied:
            raise ValidationError(
                f"{folder} has no {table} file: a CSV file with the columns "
                f"{', '.join(COLUMNS[table])}.",
                record=str(folder),
                field=table,
            )
    return tables


def _where(path: Path, name: str) -> Path:
    """The file a row came from: the return itself, or a file in its folder."""
    return path if path.is_file() else path / name


def _used(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """The columns the extract uses, and the file and row for messages."""
    return frame.select(*_USED[table], "_file", "_row")


def _dates(
    frame: pl.DataFrame, folder: Path, columns: list[str], required: set[str]
) -> pl.DataFrame:
    """``frame`` with ``columns`` parsed as dd/mm/YYYY dates. A value that is not a date, or a
    required one that is blank, stops the extract with the file, row and field."""
    parsed = frame.with_columns(
        pl.col(c).str.strptime(pl.Date, "%d/%m/%Y", strict=False).alias(c) for c in columns
    )
    for c in columns:
        bad = frame[c].is_not_null() & parsed[c].is_null()
        if c in required:
            bad = bad | frame[c].is_null()
        if bad.any():
            i = int(bad.arg_max() or 0)
            path = _where(folder, frame["_file"][i])
            raise ValidationError(
                f'{path}, row {frame["_row"][i]}: {c} is "{frame[c][i] or ""}", not a date like '
                "31/03/2025.",
                record=str(path),
                field=c,
            )
    return parsed


def returns_layout(directory: Path) -> list[tuple[str, int, Path]]:
    """The returns under ``directory``, in any layout (``returns.layout``): (DfE code,
    collection year, folder or file), in order."""
    known = set(Council.objects.exclude(dfe_code="").values_list("dfe_code", flat=True))
    return [(r.council, r.year, r.path) for r in find_returns(directory, known)]


def from_returns(directory: Path) -> F.Extract:
    """Read every return under ``directory`` (``<dfe_code>/<year>/`` folders of Header,
    Episodes and Missing CSV files, any other layout whose names give council and year, or
    the returns a ``manifest.csv`` lists; see ``returns.layout``) through the returns
    reader, so that the extract accepts only what ``sightline returns import`` would read.

    An episode or missing episode reported in several years' returns (open at 31 March) is
    kept once, from the latest return. The host council, police force and distance come from
    the postcodes through ``geography.derive``, as the DfE derives PL_LA and PL_DISTANCE.
    """
    layout = returns_layout(directory)
    headers, episodes, missings, workers = [], [], [], []
    for dfe, year, folder in layout:
        tables = _read_folder(folder)
        where = {"dfe": pl.lit(dfe), "year": pl.lit(year)}
        head = _dates(_used(HEADER, tables.header), folder, ["DOB"], {"DOB"})
        headers.append(head.drop("_file", "_row").with_columns(**where))
        eps = _dates(_used(EPISODES, tables.episodes), folder, ["DECOM", "DEC"], {"DECOM"})
        episodes.append(eps.drop("_file", "_row").with_columns(**where))
        if MISSING in tables.supplied:
            mis = _used(MISSING, tables.missing)
            mis = _dates(mis, folder, ["MIS_START", "MIS_END"], {"MIS_START"})
            bad = ~mis["MISSING"].is_in(["M", "A"]).fill_null(False)
            if bad.any():
                i = int(bad.arg_max() or 0)
                path = _where(folder, mis["_file"][i])
                raise ValidationError(
                    f'{path}, row {mis["_row"][i]}: MISSING is "{mis["MISSING"][i] or ""}"; '
                    "it must be M (missing) or A (away).",
                    record=str(path),
                    field="MISSING",
                )
            missings.append(mis.drop("_file", "_row").with_columns(**where))
        if SW_EPISODES in tables.supplied:
            sw = tables.tables[SW_EPISODES].select(
                "CHILD", "SW_ID", "SW_DECOM", "SW_DEC", "_file", "_row"
            )
            sw = _dates(sw, folder, ["SW_DECOM", "SW_DEC"], set())
            workers.append(sw.drop("_file", "_row").with_columns(**where))
    as_of = dt.date(max(y for _, y, _ in layout), 3, 31)
    return build_from_tables(
        header=pl.concat(headers),
        episodes=pl.concat(episodes),
        missing=pl.concat(missings) if missings else None,
        social_workers=pl.concat(workers) if workers else None,
        as_of=as_of,
        source=f"SSDA903 returns in {directory}",
    )


def build_from_tables(
    *,
    header: pl.DataFrame,
    episodes: pl.DataFrame,
    missing: pl.DataFrame | None,
    as_of: dt.date,
    source: str,
    social_workers: pl.DataFrame | None = None,
) -> F.Extract:
    """The extract from 903 tables stacked over councils and years (columns ``dfe`` and
    ``year`` added to each table), dates already parsed. ``social_workers``: SWEpisodes
    (CHILD, SW_ID, SW_DECOM, SW_DEC), when the returns gave them."""
    councils = councils_frame()
    dfe_to_ons = (
        councils.filter(pl.col("dfe_code") != "")
        .join(
            pl.DataFrame(
                list(Council.objects.values_list("ons_code", "is_current")),
                schema={"council": pl.String, "is_current": pl.Boolean},
                orient="row",
            ),
            on="council",
        )
        .sort("is_current", descending=True)
        .unique("dfe_code", keep="first")
        .select(dfe="dfe_code", placing_council="council")
    )
    unknown = set(episodes["dfe"].unique().to_list()) - set(dfe_to_ons["dfe"].to_list())
    if unknown:
        raise ValidationError(
            f"We do not know a council with the DfE code {sorted(unknown)[0]}.",
            field="council",
        )
    notes: list[str] = []
    people = (
        header.sort("year")
        .unique(["dfe", "CHILD"], keep="last")
        .select(
            "dfe",
            "CHILD",
            sex=pl.col("SEX").replace_strict(SEX_CODES, default="U"),
            birth_month=pl.col("DOB").dt.truncate("1mo"),
        )
    )
    eps = (
        episodes.sort("year")
        .unique(["dfe", "CHILD", "DECOM"], keep="last")
        .join(people, on=["dfe", "CHILD"], how="left")
        .join(dfe_to_ons, on="dfe", how="left")
    )
    # Host council, force and distance as geography.derive derives them for any placement.
    places = postcode_places(pl.concat([eps["HOME_POST"], eps["PL_POST"]]))
    home = places.select(
        HOME_POST="postcode",
        home_e="easting",
        home_n="northing",
        home_i="irish_grid",
        home_council="council",
    )
    placed = places.select(
        PL_POST="postcode",
        host_council="council",
        host_police_force="police_force",
        pl_e="easting",
        pl_n="northing",
        pl_i="irish_grid",
    )
    eps = eps.join(home, on="HOME_POST", how="left").join(placed, on="PL_POST", how="left")
    squared = squared_metres_expr(
        a_easting=pl.col("home_e"),
        a_northing=pl.col("home_n"),
        b_easting=pl.col("pl_e"),
        b_northing=pl.col("pl_n"),
        a_irish_grid=pl.col("home_i"),
        b_irish_grid=pl.col("pl_i"),
    )
    eps = eps.sort("dfe", "CHILD", "DECOM").with_columns(
        spell_id=pl.concat_str(
            [pl.col("dfe"), pl.col("CHILD"), pl.col("DECOM").dt.strftime("%Y%m%d")], separator=":"
        ),
        distance_miles=miles_expr(squared),
        out_of_area=pl.when(pl.col("host_council").is_not_null()).then(
            pl.col("host_council") != pl.col("placing_council")
        ),
        setting_key=pl.coalesce(
            pl.when(pl.col("URN").is_not_null() & (pl.col("URN") != "")).then(
                pl.lit("URN:") + pl.col("URN")
            ),
            pl.lit("POST:") + pl.col("PL_POST").fill_null("") + pl.lit(":") + pl.col("PLACE"),
        ),
        new_placement=pl.col("RNE").is_in(NEW_PLACEMENT_RNE),
    )
    no_host = eps["host_council"].null_count()
    if no_host:
        notes.append(
            f"{no_host:,} placement episodes have a placement postcode we could not find in "
            "the ONS Postcode Directory: they count towards England but no area."
        )
    no_distance = eps["distance_miles"].null_count()
    if no_distance:
        notes.append(
            f"{no_distance:,} placement episodes have no distance (a postcode missing or not "
            "found): they are left out of the distance bands."
        )
    eps = _pseudonymise(eps, "dfe", "CHILD")
    spells = F.conform(
        eps.rename(
            {"DECOM": "start", "DEC": "end", "PLACE": "place_type", "PLACE_PROVIDER": "provider"}
        ),
        "spells",
    )
    # Homes: each setting seen in the returns, in the council of its postcode. The return does
    # not hold registered places.
    homes = F.conform(
        eps.filter(pl.col("host_council").is_not_null())
        .sort("DECOM")
        .unique("setting_key", keep="last")
        .with_columns(
            council=pl.col("host_council"),
            police_force=pl.col("host_police_force"),
            sector=pl.col("PLACE_PROVIDER").replace_strict(_PROVIDER_SECTOR, default=None),
            place_type=pl.col("PLACE"),
        ),
        "homes",
    )
    if missing is None or missing.is_empty():
        mis = F.empty("missing")
    else:
        mis = (
            missing.sort("year")
            .unique(["dfe", "CHILD", "MIS_START", "MISSING"], keep="last")
            .join(dfe_to_ons, on="dfe", how="left")
        )
        mis = _pseudonymise(mis, "dfe", "CHILD").with_columns(
            episode_id=pl.concat_str(
                [
                    pl.col("dfe"),
                    pl.col("CHILD"),
                    pl.col("MIS_START").dt.strftime("%Y%m%d"),
                    pl.col("MISSING"),
                ],
                separator=":",
            )
        )
        mis = link_to_spells(
            mis.rename({"MISSING": "kind", "MIS_START": "start", "MIS_END": "end"}),
            spells,
            as_of=as_of,
        )
        unlinked = mis["spell_id"].null_count()
        if unlinked:
            notes.append(
                f"{unlinked:,} missing or away episodes start on a day the child had no "
                "placement in the returns: they count towards England but no area or band."
            )
        mis = F.conform(mis, "missing")
    if social_workers is None or social_workers.is_empty():
        workers = F.empty("social_workers")
    else:
        # An episode in several years' returns (open at 31 March) is kept once, from the
        # latest; the worker keyed as the database keys an imported SW_ID.
        sw = (
            social_workers.filter(
                pl.col("SW_ID").is_not_null()
                & (pl.col("SW_ID") != "")
                & pl.col("SW_DECOM").is_not_null()
            )
            .sort("year")
            .unique(["dfe", "CHILD", "SW_ID", "SW_DECOM"], keep="last")
            .join(dfe_to_ons, on="dfe", how="left")
            .with_columns(
                sw_ref=pl.lit("sw:903:") + pl.col("SW_ID").str.strip_chars().str.to_lowercase()
            )
        )
        # Each distinct (council, worker) hashed once, as children are.
        keys = _pseudonymise(sw.select("dfe", "sw_ref").unique(), "dfe", "sw_ref")
        sw = sw.join(keys.rename({"child_key": "worker_key"}), on=["dfe", "sw_ref"], how="left")
        workers = F.conform(
            _pseudonymise(sw, "dfe", "CHILD").rename({"SW_DECOM": "start", "SW_DEC": "end"}),
            "social_workers",
        )
    return F.Extract(
        spells=spells,
        missing=mis,
        homes=homes,
        notices=F.empty("notices"),
        councils=councils,
        forces=forces_frame(),
        social_workers=workers,
        as_of=as_of,
        source=source,
        notes=notes,
    )


def link_to_spells(missing: pl.DataFrame, spells: pl.DataFrame, *, as_of: dt.date) -> pl.DataFrame:
    """Each episode with the placement the child was in on the day it started: the latest
    spell starting on or before that day and not ended before it. Adds spell_id, the placing
    council, host council and host force from that spell."""
    spell_cols = spells.select(
        "child_key",
        "spell_id",
        "host_council",
        "host_police_force",
        spell_start="start",
        spell_end=pl.col("end").fill_null(as_of),
    ).sort("spell_start")
    linked = (
        missing.drop("spell_id", "host_council", "host_police_force", strict=False)
        .sort("start")
        .join_asof(
            spell_cols,
            left_on="start",
            right_on="spell_start",
            by="child_key",
            strategy="backward",
            check_sortedness=False,  # sorted by start overall, so within each child too
        )
    )
    inside = pl.col("spell_end") >= pl.col("start")
    return linked.with_columns(
        pl.when(inside).then(pl.col(c)).alias(c)
        for c in ("spell_id", "host_council", "host_police_force")
    ).drop("spell_start", "spell_end")
