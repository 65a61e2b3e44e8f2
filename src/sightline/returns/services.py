"""Importing a council's SSDA903 return for a year into Sightline's own records.

All or nothing: the return is validated first and any error stops the import before anything
is written; the writes run in one transaction. An empty return (no children) is refused: it
would replace the earlier import with nothing. Re-importing the same council and year
replaces the placements and missing episodes the earlier import wrote (children are updated,
never deleted: access records point at them), but only when the caller says so
(``replace=True``): otherwise the import stops, saying what replacing would remove, since a
wrong file (last year's, or another council's) would otherwise silently delete records.

Placements are derived as ``placements.services.placement_record`` derives them (host council
and police force from the placement postcode's district, straight-line distance from the home
postcode, out of area when the host is not the placing council), but for whole columns at once
(``returns.derive``) and without notices: the law asked for those at the time.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from sightline.audit.lists import audit_reads
from sightline.audit.services import AuditEntry, audit_append_many
from sightline.audit.verbs import AuditVerb
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now
from sightline.geography.models import Council
from sightline.missing.models import SSDA903_MISSING_CODE, Episode, EpisodeKind
from sightline.organisations.models import User
from sightline.placements.models import PLACE_CODES, Placement, Sector, Setting
from sightline.returns.chunked import validate_parts
from sightline.returns.derive import Context, Frames, own_area, prepare
from sightline.returns.models import (
    ImportedMissingEpisode,
    ImportedPlacement,
    ReturnedChildDetails,
    ReturnExport,
    ReturnImport,
)
from sightline.returns.more_tables import more_tables_import
from sightline.returns.providers import Providers
from sightline.returns.reader import (
    Problem,
    ReadError,
    ReturnTables,
    refuse_empty,
    refuse_empty_counts,
)
from sightline.returns.schema import EPISODES, HEADER, MISSING, CollectionYear
from sightline.returns.selectors import return_tables_and_children
from sightline.returns.stream import Parts
from sightline.returns.validation import Report, rules_counted, run_rules
from sightline.returns.writer import write_csv, write_xml

logger = logging.getLogger(__name__)

SYSTEM_USERNAME = "sightline-returns"
_BATCH = 2000
_SECTOR_BY_PROVIDER = {
    "PR1": Sector.COUNCIL,
    "PR2": Sector.COUNCIL,
    "PR3": Sector.HEALTH,
    "PR4": Sector.PRIVATE,
    "PR5": Sector.VOLUNTARY,
}
_KIND_BY_CODE = {code: kind for kind, code in SSDA903_MISSING_CODE.items()}
_SEX_BEFORE_2025 = {"1": "M", "2": "F"}
_EXPORT_ACTION = "export SSDA903 return"

Progress = Callable[[str, int], Any]


class ImportRejected(ValidationError):
    """The return has errors: nothing was written. ``report`` or ``problems`` say which."""

    def __init__(
        self, message: str, *, report: Report | None = None, problems: list[Problem] | None = None
    ) -> None:
        super().__init__(message, field=None, record=None)
        self.report = report
        self.problems = problems or []


@dataclass(frozen=True)
class Replacement:
    """What importing a return over the earlier import of its council and year removes: the
    children, placements and missing episodes the earlier import holds and the return does
    not. (The children themselves stay; the earlier import's records of them go.)"""

    earlier: ReturnImport
    children: int
    placements: int
    missing_episodes: int

    def lines(self) -> list[str]:
        return [
            f"  children: {self.children} (they stay in Sightline; the earlier import's "
            "placements and missing episodes of them go)",
            f"  placements: {self.placements}",
            f"  missing and away episodes: {self.missing_episodes}",
        ]


class ReplaceNotConfirmed(ImportRejected):
    """The council's year has an earlier import, and the caller did not say to replace it:
    nothing was written. ``replacement`` says what replacing it would remove."""

    def __init__(self, message: str, *, replacement: Replacement) -> None:
        super().__init__(message)
        self.replacement = replacement


def system_user() -> User:
    """The account imports and exports run as when no user is named: it cannot sign in."""
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_active": False, "first_name": "SSDA903", "last_name": "returns"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=LONDON)


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.1"))


def _missing_placements(frames: Frames) -> pl.DataFrame:
    """Each missing row with the episode it started in (the later one on a changeover day)."""
    eps = frames.episodes.select("CHILD", pl.col("_i").alias("_ep"), "DECOM_D", "DEC_D")
    mis = frames.missing.select("_i", "_file", "_row", "CHILD", "MIS_START_D")
    joined = mis.join(eps, on="CHILD", how="left").filter(
        (pl.col("DECOM_D") <= pl.col("MIS_START_D"))
        & (pl.col("DEC_D").is_null() | (pl.col("MIS_START_D") <= pl.col("DEC_D")))
    )
    chosen = joined.sort("DECOM_D").group_by("_i").agg(pl.col("_ep").last())
    return mis.join(chosen, on="_i", how="left")


def return_import(
    *,
    actor: User,
    tables: ReturnTables,
    council: Council,
    year: int,
    replace: bool = False,
    progress: Progress | None = None,
    previous: ReturnTables | None = None,
    providers: Providers | None = None,
) -> tuple[ReturnImport, Report]:
    """Validate, then load the return. Raises ImportRejected (nothing written) on any error,
    and ReplaceNotConfirmed (nothing written) if the council's year has an earlier import and
    ``replace`` is false."""
    step = progress or (lambda _label, _n: None)
    try:
        refuse_empty(tables)
    except ReadError as exc:
        raise ImportRejected(
            f"{tables.source_name}: the return is empty. Nothing was imported.",
            problems=exc.problems,
        ) from exc
    context = _context(council, year, providers)
    absent = [t for t in (HEADER, EPISODES) if t not in tables.supplied]
    if absent:
        raise ImportRejected(
            f"{tables.source_name}: the return has no {' or '.join(absent)} table. An import "
            "needs at least Header and Episodes.",
            problems=[Problem(tables.source_name, f"No {t} table.") for t in absent],
        )
    frames = prepare(tables, context, previous=previous)
    step("Checked the postcodes", 0)
    rules_run, skipped = rules_counted(context)
    report = Report(
        results=run_rules(frames),
        source_name=tables.source_name,
        context=context,
        records={t: f.height for t, f in tables.tables.items()},
        rules_run=rules_run,
        not_run=skipped,
    )
    step("Checked the rules", 0)
    if report.has_errors:
        raise ImportRejected(
            f"{tables.source_name}: the return has {report.errors} errors. Nothing was imported.",
            report=report,
        )
    # What Sightline cannot hold (a URN longer than 8, a placement outside England and
    # Wales, a missing period on a day with no episode, a MOTHER code) are rules SL02 to
    # SL06, so a return that validates imports: the report above has refused them.
    missing_at = _missing_placements(frames)
    # The writes need a few columns of the prepared frames: the rest (every derived column
    # the rules read) is let go before they start, so that the two do not add up.
    load = _Load.of(frames, missing_at)
    del frames, missing_at
    with _refused_on_conflict(tables.source_name, council, year), transaction.atomic():
        _confirm_replacement(tables=tables, load=load, council=council, year=year, replace=replace)
        return_import_row = _write(
            actor=actor, tables=tables, load=load, council=council, year=year, step=step
        )
    _log_import(return_import_row, council, year)
    return return_import_row, report


def _context(council: Council, year: int, providers: Providers | None = None) -> Context:
    return Context(
        year=CollectionYear(year),
        council=council.ons_code,
        council_label=f"{council.name} ({council.dfe_code or council.ons_code})",
        area_codes=own_area(council),
        providers=providers,
    )


@contextmanager
def _refused_on_conflict(source_name: str, council: Council, year: int) -> Iterator[None]:
    """The database's refusals of the writes, as ImportRejected (nothing was written)."""
    try:
        yield
    except ProtectedError as exc:
        raise ImportRejected(
            f"{source_name}: records Sightline holds refer to placements of the earlier "
            f"import of {council.name}'s {year} return that this return no longer holds (for "
            "example a missing episode recorded in the web app, or in another year's return). "
            "Nothing was imported.",
            problems=[Problem(source_name, str(exc.args[0])[:300])],
        ) from exc
    except IntegrityError as exc:
        raise ImportRejected(
            f"{source_name}: the return conflicts with records Sightline already holds "
            "(for example a child with a missing episode open in the web app and another open "
            "in the return). Nothing was imported.",
            problems=[Problem(source_name, str(exc)[:300])],
        ) from exc


def _log_import(record: ReturnImport, council: Council, year: int) -> None:
    transaction.on_commit(
        lambda: logger.info(
            "return imported id=%s council=%s year=%s", record.id, council.dfe_code, year
        )
    )


def return_import_parts(
    *,
    actor: User,
    parts: Parts,
    council: Council,
    year: int,
    replace: bool = False,
    progress: Progress | None = None,
    previous: Parts | None = None,
    providers: Providers | None = None,
) -> tuple[ReturnImport, Report]:
    """``return_import`` for a return read in parts (``stream.spill``), in bounded memory.

    The rules run part by part (``chunked.validate_parts``), each part's rows to write kept on
    disk; then, only if no rule found an error, the parts are written one after another in one
    transaction, so a return that fails (a rule, or the database refusing a write) leaves the
    database as it was. What needs the whole return reads a few columns of it: what replacing
    the earlier import removes (children, and placements and missing episodes by child and
    start date), and the settings (which episode of a URN or postcode comes first). The
    records written are those ``return_import`` writes from the same file.
    """
    step = progress or (lambda _label, _n: None)
    try:
        refuse_empty_counts(
            records=parts.records,
            supplied=parts.supplied,
            files=parts.files,
            source_name=parts.source_name,
            source_format=parts.source_format,
        )
    except ReadError as exc:
        raise ImportRejected(
            f"{parts.source_name}: the return is empty. Nothing was imported.",
            problems=exc.problems,
        ) from exc
    absent = [t for t in (HEADER, EPISODES) if t not in parts.supplied]
    if absent:
        raise ImportRejected(
            f"{parts.source_name}: the return has no {' or '.join(absent)} table. An import "
            "needs at least Header and Episodes.",
            problems=[Problem(parts.source_name, f"No {t} table.") for t in absent],
        )
    folder = Path(tempfile.mkdtemp(prefix="sightline-import-", dir=parts.folder))
    try:

        def keep(part: int, _tables: ReturnTables, frames: Frames) -> None:
            load = _Load.of(frames, _missing_placements(frames))
            load.header.write_parquet(folder / f"{part}-header.parquet")
            load.episodes.with_columns(_row=frames.episodes["_row"]).write_parquet(
                folder / f"{part}-episodes.parquet"
            )
            load.missing.write_parquet(folder / f"{part}-missing.parquet")

        context = _context(council, year, providers)
        report = validate_parts(parts, context=context, previous=previous, done=keep)
        step("Checked the rules", 0)
        if report.has_errors:
            raise ImportRejected(
                f"{parts.source_name}: the return has {report.errors} errors. Nothing was "
                "imported.",
                report=report,
            )
        with _refused_on_conflict(parts.source_name, council, year), transaction.atomic():
            _confirm_replacement(
                tables=parts,
                load=_keys_of_parts(folder, parts.count),
                council=council,
                year=year,
                replace=replace,
            )
            record, earlier_placements, replaced_missing = _write_begin(
                actor=actor, source=parts, council=council, year=year
            )
            settings, settings_created = _settings_of_parts(folder, parts.count)
            step("Settings", 0)
            written = _Written(settings_created=settings_created)
            for part in range(parts.count):
                written.add(
                    _write_part(
                        tables=parts.tables(part),
                        load=_load_of_part(folder, part),
                        settings=settings[part],
                        council=council,
                        actor=actor,
                        record=record,
                        step=step,
                    )
                )
            _write_end(
                record=record,
                written=written,
                earlier_placements=earlier_placements,
                replaced_missing=replaced_missing,
                actor=actor,
                council=council,
                year=year,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _log_import(record, council, year)
    return record, report


def _load_of_part(folder: Path, part: int) -> _Load:
    return _Load(
        header=pl.read_parquet(folder / f"{part}-header.parquet"),
        episodes=pl.read_parquet(folder / f"{part}-episodes.parquet").drop("_row"),
        missing=pl.read_parquet(folder / f"{part}-missing.parquet"),
    )


def _keys_of_parts(folder: Path, count: int) -> _Load:
    """The keys ``_replacement`` compares, of every part: children, and placements and
    missing episodes by child and start date."""

    def read(name: str, columns: list[str]) -> pl.DataFrame:
        return pl.concat(
            [pl.read_parquet(folder / f"{p}-{name}.parquet", columns=columns) for p in range(count)]
        )

    return _Load(
        header=read("header", ["CHILD"]),
        episodes=read("episodes", ["CHILD", "DECOM_D"]),
        missing=read("missing", ["CHILD", "MIS_START_D"]),
    )


_SETTING_COLUMNS = ["_URN", "PL_KEY", "_PLACE", "PLACE_PROVIDER", "PL_COUNCIL", "PL_FORCE"]


def _settings_of_parts(folder: Path, count: int) -> tuple[list[pl.Series], int]:
    """``_settings`` over the episodes of every part at once (the columns it reads), in the
    order ``prepare`` gives the whole return's, so that each URN's and postcode's setting is
    made from the same episode; each part's episodes' settings, in the part's order."""
    rows = pl.concat(
        [
            pl.read_parquet(
                folder / f"{p}-episodes.parquet",
                columns=[*_SETTING_COLUMNS, "CHILD", "DECOM_D", "_row"],
            ).with_columns(_part=pl.lit(p, pl.Int32), _pos=pl.int_range(pl.len(), dtype=pl.Int64))
            for p in range(count)
        ]
    ).sort(["CHILD", "DECOM_D", "_row"], nulls_last=True)
    settings, created = _settings(rows.select(_SETTING_COLUMNS))
    placed = rows.select("_part", "_pos").with_columns(settings)
    del rows
    by_part = placed.sort("_pos").partition_by("_part", as_dict=True, include_key=False)
    empty = pl.Series(settings.name, [], settings.dtype)
    return [
        by_part[(p,)]["setting_id"] if (p,) in by_part else empty for p in range(count)
    ], created


_EPISODE_COLUMNS = (
    "_i", "CHILD", "DECOM_D", "DEC_D", "PLACE", "PLACE_PROVIDER", "HOME_KEY", "URN", "PL_KEY",
    "PL_COUNCIL", "PL_FORCE", "PL_DISTANCE", "PL_DISTANCE_KM", "RNE", "LS", "CIN", "REC",
    "REASON_PLACE_CHANGE",
)  # fmt: skip


class _Load(NamedTuple):
    """What the writes read of the prepared return, and nothing else.

    The prepared frames hold every derived column the rules read; once the return has passed,
    only these are kept, so that the frames' memory is free for the writes.
    """

    header: pl.DataFrame  # one row per child: CHILD, SEX, DOB_D, ETHNIC, UPN, MOTHER, MC_DOB_D
    episodes: pl.DataFrame  # the episode columns a placement is made of
    missing: pl.DataFrame  # each missing row with the episode row it started in (_ep)

    @classmethod
    def of(cls, frames: Frames, missing_at: pl.DataFrame) -> _Load:
        return cls(
            header=frames.header.unique("CHILD", keep="first", maintain_order=True).select(
                "CHILD", "SEX", "DOB_D", "ETHNIC", "UPN", "MOTHER", "MC_DOB_D"
            ),
            episodes=frames.episodes.select(
                *_EPISODE_COLUMNS,
                # The keys of the settings (``_settings``).
                pl.col("URN").fill_null("").replace("XXXXXXX", "").alias("_URN"),
                pl.col("PLACE").fill_null("").alias("_PLACE"),
            ),
            missing=_beside(
                missing_at.select("_i", "CHILD", "MIS_START_D", "_ep"),
                frames.missing.select("_i", "MISSING", "MIS_END_D"),
                ["_i"],
            ),
        )


def _text(value: Any) -> Any:
    """A database value as a frame holds it: ids as text."""
    return str(value) if isinstance(value, uuid.UUID) else value


def _frame(rows: Iterable[tuple[Any, ...]], schema: dict[str, Any]) -> pl.DataFrame:
    """Rows of a query as a frame, built a batch at a time: never a Python object per row of
    the whole result."""
    parts = [pl.DataFrame(schema=schema)]
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(_text(v) for v in row))
        if len(batch) == _BATCH:
            parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
            batch = []
    if batch:
        parts.append(pl.DataFrame(batch, schema=schema, orient="row"))
    return pl.concat(parts, rechunk=True)


def _beside(
    frame: pl.DataFrame, other: pl.DataFrame, on: list[str], *, nulls_equal: bool = False
) -> pl.DataFrame:
    """``frame`` with ``other``'s columns for each of its rows (``other`` has at most one row
    per key): the keys alone are joined and the result set beside ``frame``, since joining
    the whole frame would copy every column of it."""
    if other.height == 0:  # a first import: Sightline holds nothing to match
        return frame.with_columns(
            pl.lit(None, dtype).alias(name)
            for name, dtype in other.schema.items()
            if name not in on
        )
    found = frame.select(on).join(
        other, on=on, how="left", maintain_order="left", nulls_equal=nulls_equal
    )
    return frame.hstack(found.drop(on))


def _chunks(values: pl.Series) -> Iterator[list[Any]]:
    """The values in lists of at most _BATCH, for ``__in`` lookups of bounded size."""
    for start in range(0, values.len(), _BATCH):
        yield values.slice(start, _BATCH).to_list()


def _confirm_replacement(
    *, tables: ReturnTables | Parts, load: _Load, council: Council, year: int, replace: bool
) -> None:
    """Raise ReplaceNotConfirmed if the council's year has an earlier import and ``replace``
    is false, with what replacing it would remove (``_write`` removes exactly that)."""
    if replace:
        return
    replacement = _replacement(council=council, year=year, load=load)
    if replacement is None:
        return
    at = replacement.earlier.imported_at.astimezone(LONDON)
    raise ReplaceNotConfirmed(
        f"{tables.source_name}: Sightline already holds {council.name}'s "
        f"{CollectionYear(year).label} return, imported from "
        f"{replacement.earlier.source_name} on {at.day} {at:%B %Y} at {at:%H:%M}. Importing "
        "this return would replace it, removing what the earlier import holds and this "
        "return does not. Nothing was imported.",
        replacement=replacement,
    )


def _replacement(*, council: Council, year: int, load: _Load) -> Replacement | None:
    """What replacing the earlier import of the council's year with ``load`` removes, or None
    if there is no earlier import. Placements are matched as ``_placements`` matches them (by
    child and start date), missing episodes by child and start date."""
    earlier = list(
        ReturnImport.objects.filter(council=council, year=year, replaced_at__isnull=True)
    )
    if not earlier:
        return None
    placements = _frame(
        ImportedPlacement.objects.filter(return_import__in=earlier)
        .values_list("placement__child__child_ref", "placement__start_date")
        .iterator(chunk_size=_BATCH),
        {"CHILD": pl.String, "DECOM_D": pl.Date},
    )
    missing = _frame(
        ImportedMissingEpisode.objects.filter(return_import__in=earlier)
        .values_list("episode__child__child_ref", "episode__mis_start")
        .iterator(chunk_size=_BATCH),
        {"CHILD": pl.String, "MIS_START_D": pl.Date},
    )
    placements_gone = placements.join(
        load.episodes.select("CHILD", "DECOM_D"), on=["CHILD", "DECOM_D"], how="anti"
    )
    missing_gone = missing.join(
        load.missing.select("CHILD", "MIS_START_D"), on=["CHILD", "MIS_START_D"], how="anti"
    )
    children = pl.concat([placements.select("CHILD"), missing.select("CHILD")]).unique()
    children_gone = children.join(load.header.select("CHILD"), on="CHILD", how="anti")
    return Replacement(
        earlier=max(earlier, key=lambda e: e.imported_at),
        children=children_gone.height,
        placements=placements_gone.height,
        missing_episodes=missing_gone.height,
    )


def _earlier_imports(council: Council, year: int, at: dt.datetime) -> tuple[pl.DataFrame, int]:
    """Delete the missing episodes the earlier import of this council and year wrote, and mark
    it replaced. Returns the ids of its placements (reused or deleted by ``_write``)."""
    earlier = list(
        ReturnImport.objects.filter(council=council, year=year, replaced_at__isnull=True)
    )
    mis_links = ImportedMissingEpisode.objects.filter(return_import__in=earlier)
    episode_ids = list(mis_links.values_list("episode_id", flat=True))
    mis_links.delete()
    Episode.objects.filter(id__in=episode_ids).delete()
    placement_ids = _frame(
        ImportedPlacement.objects.filter(return_import__in=earlier)
        .values_list("placement_id")
        .iterator(chunk_size=_BATCH),
        {"placement_id": pl.String},
    )
    ReturnImport.objects.filter(id__in=[e.id for e in earlier]).update(replaced_at=at)
    return placement_ids, len(episode_ids)


def _write(
    *,
    actor: User,
    tables: ReturnTables,
    load: _Load,
    council: Council,
    year: int,
    step: Progress,
) -> ReturnImport:
    record, earlier_placements, replaced_missing = _write_begin(
        actor=actor, source=tables, council=council, year=year
    )
    settings, settings_created = _settings(load.episodes)
    step("Settings", 0)
    written = _write_part(
        tables=tables,
        load=load,
        settings=settings,
        council=council,
        actor=actor,
        record=record,
        step=step,
    )
    written.settings_created = settings_created
    _write_end(
        record=record,
        written=written,
        earlier_placements=earlier_placements,
        replaced_missing=replaced_missing,
        actor=actor,
        council=council,
        year=year,
    )
    return record


@dataclass
class _Written:
    """What the writes of a return (or of each of its parts, added up) did."""

    created: int = 0
    updated: int = 0
    placements: int = 0
    already: int = 0
    missing: int = 0
    settings_created: int = 0
    child_ids: list[pl.Series] | None = None
    placement_ids: list[pl.Series] | None = None

    def add(self, other: _Written) -> None:
        self.created += other.created
        self.updated += other.updated
        self.placements += other.placements
        self.already += other.already
        self.missing += other.missing
        self.child_ids = (self.child_ids or []) + (other.child_ids or [])
        self.placement_ids = (self.placement_ids or []) + (other.placement_ids or [])


def _write_begin(
    *, actor: User, source: ReturnTables | Parts, council: Council, year: int
) -> tuple[ReturnImport, pl.DataFrame, int]:
    """Mark the earlier import replaced (deleting its missing episodes) and create this one's
    record; the earlier import's placement ids and how many missing episodes it had."""
    at = now()
    earlier_placements, replaced_missing = _earlier_imports(council, year, at)
    record = ReturnImport.objects.create(
        council=council,
        year=year,
        source_name=source.source_name[:300],
        source_format=source.source_format,
        source_sha256=source.sha256,
        imported_at=at,
        imported_by=actor,
    )
    return record, earlier_placements, replaced_missing


def _write_part(
    *,
    tables: ReturnTables,
    load: _Load,
    settings: pl.Series,
    council: Council,
    actor: User,
    record: ReturnImport,
    step: Progress,
) -> _Written:
    """Write the children, the other tables, placements and missing episodes of ``load`` (the
    whole return, or the children of one part of it): ``settings`` is each episode row's
    setting."""
    created, updated, children = _upsert_children(load.header, council, record.year)
    _child_details(load.header, children, record)
    step("Children", children.height)
    more_tables_import(tables=tables, record=record, children=children)
    episodes = _beside(load.episodes, children, ["CHILD"]).with_columns(settings)
    placed, already = _placements(episodes, council, actor, record, step)
    del episodes
    written = _missing_episodes(load.missing, council, children, placed, actor, record)
    step("Missing episodes", written)
    return _Written(
        created=created,
        updated=updated,
        placements=placed.height - already,
        already=already,
        missing=written,
        child_ids=[children["child_id"]],
        placement_ids=[placed["placement_id"]],
    )


def _write_end(
    *,
    record: ReturnImport,
    written: _Written,
    earlier_placements: pl.DataFrame,
    replaced_missing: int,
    actor: User,
    council: Council,
    year: int,
) -> None:
    """Delete the earlier import's placements this return no longer holds, save the counts,
    and audit the change for each child."""
    placed = pl.concat(written.placement_ids or [pl.Series("placement_id", [], pl.String)])
    gone = earlier_placements.join(placed.to_frame("placement_id"), on="placement_id", how="anti")[
        "placement_id"
    ]
    del placed
    for ids in _chunks(gone):
        ImportedPlacement.objects.filter(placement_id__in=ids).delete()
        Placement.objects.filter(id__in=ids).delete()
    record.children_created = written.created
    record.children_updated = written.updated
    record.placements = written.placements
    record.placements_already_recorded = written.already
    record.missing_episodes = written.missing
    record.settings_created = written.settings_created
    record.placements_replaced = earlier_placements.height
    record.missing_episodes_replaced = replaced_missing
    record.save()
    # The change, in the same transaction: one event for each child of the return (its
    # record, placements and episodes are the return's now), sealed under one lock of the
    # chain head, so that each child's audit lists the import.
    code = council.dfe_code or council.ons_code
    audit_append_many(
        actor=actor,
        verb=AuditVerb.IMPORT_CHANGED_CHILD,
        entries=(
            AuditEntry(obj=record, child=child_id, payload={"year": year, "council": code})
            for ids in written.child_ids or []
            for child_id in ids
        ),
        purpose=f"SSDA903 return of {code} for {year}",
    )


def _upsert_children(
    header: pl.DataFrame, council: Council, year: int
) -> tuple[int, int, pl.DataFrame]:
    """Create or update each child of the return; the id of each by CHILD (``child_id``)."""
    sex = pl.col("SEX") if year >= 2025 else pl.col("SEX").replace(_SEX_BEFORE_2025)
    wanted = header.select("CHILD", sex, "DOB_D", pl.col("ETHNIC").fill_null(""))
    held = _frame(
        Child.objects.filter(placing_council=council)
        .values_list("child_ref", "id", "date_of_birth", "sex", "ethnicity")
        .iterator(chunk_size=_BATCH),
        {
            "CHILD": pl.String,
            "child_id": pl.String,
            "_dob": pl.Date,
            "_sex": pl.String,
            "_ethnic": pl.String,
        },
    )
    rows = _beside(wanted, held, ["CHILD"])
    known = pl.col("child_id").is_not_null()
    changed = rows.filter(
        known
        & (
            pl.col("_dob").ne_missing(pl.col("DOB_D"))
            | pl.col("_sex").ne_missing(pl.col("SEX"))
            | pl.col("_ethnic").ne_missing(pl.col("ETHNIC"))
        )
    )
    for chunk in changed.iter_slices(_BATCH):
        Child.objects.bulk_update(
            [
                Child(
                    id=row["child_id"],
                    date_of_birth=row["DOB_D"],
                    sex=row["SEX"],
                    ethnicity=row["ETHNIC"],
                )
                for row in chunk.iter_rows(named=True)
            ],
            ["date_of_birth", "sex", "ethnicity"],
        )
    ids = [rows.filter(known).select("CHILD", "child_id")]
    # New children are written a batch at a time, keeping only their ids: a national return
    # has 80,000 of them.
    for chunk in rows.filter(~known).iter_slices(_BATCH):
        batch = [
            Child(
                placing_council=council,
                child_ref=row["CHILD"],
                first_name="",
                last_name="",
                date_of_birth=row["DOB_D"],
                sex=row["SEX"],
                ethnicity=row["ETHNIC"],
            )
            for row in chunk.iter_rows(named=True)
        ]
        Child.objects.bulk_create(batch)
        ids.append(
            pl.DataFrame(
                {"CHILD": [c.child_ref for c in batch], "child_id": [str(c.id) for c in batch]},
                schema={"CHILD": pl.String, "child_id": pl.String},
            )
        )
    created = rows.height - ids[0].height
    return created, changed.height, pl.concat(ids, rechunk=True)


def _child_details(header: pl.DataFrame, children: pl.DataFrame, record: ReturnImport) -> None:
    """Keep UPN, MOTHER and MC_DOB of each child as this return gives them."""
    rows = _beside(header.select("CHILD", "UPN", "MOTHER", "MC_DOB_D"), children, ["CHILD"])
    for chunk in rows.iter_slices(_BATCH):
        ids = chunk["child_id"].to_list()
        ReturnedChildDetails.objects.filter(child_id__in=ids).delete()
        ReturnedChildDetails.objects.bulk_create(
            [
                ReturnedChildDetails(
                    child_id=row["child_id"],
                    return_import=record,
                    upn=row["UPN"] or "",
                    mother=row["MOTHER"] or "",
                    mc_dob=row["MC_DOB_D"],
                )
                for row in chunk.iter_rows(named=True)
            ]
        )


def _settings(episodes: pl.DataFrame) -> tuple[pl.Series, int]:
    """The setting of each episode row (``setting_id``, in the rows' order), reused where
    Sightline has one; and how many settings it created.

    A URN's setting is the one Sightline holds with that URN, or a new one at the postcode
    of the URN's first episode. An episode at another postcode than its URN's setting, or
    with no URN, is placed in the setting derived from the return for its postcode and
    placement type (one per pair), reused or new.
    """
    rows = episodes.select(
        "_URN",
        "PL_KEY",
        "_PLACE",
        pl.col("PLACE_PROVIDER")
        .fill_null("")
        .replace_strict(_SECTOR_BY_PROVIDER, default="", return_dtype=pl.String)
        .alias("_sector"),
        "PL_COUNCIL",
        "PL_FORCE",
    )
    created = 0
    # Settings with the URNs of the return: Sightline's, then new ones.
    first = rows.filter(pl.col("_URN") != "").unique("_URN", keep="first", maintain_order=True)
    schema = {"_URN": pl.String, "setting_id": pl.String, "_postcode": pl.String}
    urn_settings = [
        _frame(
            (
                row
                for urns in _chunks(first["_URN"])
                for row in Setting.objects.filter(urn__in=urns).values_list("urn", "id", "postcode")
            ),
            schema,
        )
    ]
    new = first.join(urn_settings[0], on="_URN", how="anti", maintain_order="left")
    del first
    for batch in _settings_create(new, with_urn=True):
        created += len(batch)
        urn_settings.append(
            pl.DataFrame(
                [(s.urn, str(s.id), s.postcode) for s in batch], schema=schema, orient="row"
            )
        )
    del new
    rows = _beside(rows, pl.concat(urn_settings), ["_URN"])
    rows = rows.with_columns(
        _at_urn=pl.col("setting_id").is_not_null()
        & pl.col("_postcode").eq_missing(pl.col("PL_KEY"))
    )
    # The rest: the setting derived from the return for the postcode and placement type.
    rest = (
        rows.select("PL_KEY", "_PLACE", "_sector", "PL_COUNCIL", "PL_FORCE", "_at_urn")
        .filter(~pl.col("_at_urn"))
        .unique(["PL_KEY", "_PLACE"], keep="first", maintain_order=True)
        .drop("_at_urn")
    )
    rows = rows.select("PL_KEY", "_PLACE", "setting_id", "_at_urn")
    schema = {"PL_KEY": pl.String, "_PLACE": pl.String, "setting_id": pl.String}
    derived = [
        _frame(
            (
                row
                for postcodes in _chunks(rest["PL_KEY"].drop_nulls().unique(maintain_order=True))
                for row in Setting.objects.filter(
                    from_return=True, urn="", postcode__in=postcodes
                ).values_list("postcode", "place_type", "id")
            ),
            schema,
        ).unique(["PL_KEY", "_PLACE"], keep="last", maintain_order=True)
    ]
    new = (
        rest.join(
            derived[0], on=["PL_KEY", "_PLACE"], how="anti", maintain_order="left", nulls_equal=True
        )
        if derived[0].height
        else rest
    )
    del rest
    for batch in _settings_create(new, with_urn=False):
        created += len(batch)
        derived.append(
            pl.DataFrame(
                [(s.postcode, s.place_type, str(s.id)) for s in batch], schema=schema, orient="row"
            )
        )
    del new
    rows = _beside(
        rows,
        pl.concat(derived).rename({"setting_id": "_derived"}),
        ["PL_KEY", "_PLACE"],
        nulls_equal=True,
    )
    return (
        rows.select(
            pl.when("_at_urn").then("setting_id").otherwise("_derived").alias("setting_id")
        ).to_series(),
        created,
    )


def _settings_create(new: pl.DataFrame, *, with_urn: bool) -> Iterator[list[Setting]]:
    """Create a setting for each row, a batch at a time, yielding each batch once written: a
    URN's setting is named by its URN, any other by its placement type and postcode."""
    for chunk in new.iter_slices(_BATCH):
        batch = [
            Setting(
                urn=row["_URN"] if with_urn else "",
                name=(
                    f"Ofsted URN {row['_URN']}"
                    if with_urn
                    else f"{_place_kind(row['_PLACE'])} at {row['PL_KEY']}"
                ),
                sector=row["_sector"],
                postcode=row["PL_KEY"],
                council_id=row["PL_COUNCIL"],
                police_force_id=row["PL_FORCE"],
                place_type=row["_PLACE"],
                from_return=True,
            )
            for row in chunk.iter_rows(named=True)
        ]
        Setting.objects.bulk_create(batch)
        yield batch


def _place_kind(code: str) -> str:
    return PLACE_CODES.get(code, f"Placement type {code}")


# What a placement is made of, compared with a placement an earlier import wrote.
_COMPARED = (
    "setting_id", "end_date", "place_type", "place_provider", "home_postcode",
    "host_council_id", "host_police_force_id", "distance_miles", "distance_km", "out_of_area",
    "reason_new_episode", "legal_status", "category_of_need", "reason_ceased",
    "reason_place_change", "urn",
)  # fmt: skip
_PLACED = {
    "_i": pl.UInt32,
    "placement_id": pl.String,
    "setting_id": pl.String,
    "host_council_id": pl.String,
    "host_police_force_id": pl.String,
}


def _placements(
    episodes: pl.DataFrame,
    council: Council,
    actor: User,
    record: ReturnImport,
    step: Progress,
) -> tuple[pl.DataFrame, int]:
    """One placement per episode row: for each row (``_i``), the placement's id and what the
    missing episodes need of it; and how many Sightline already held.

    The rows are read and written a batch at a time: a national return has over 100,000
    episodes, and holding a model instance (or a dict) for each took most of the import's
    memory.
    """
    held = _frame(
        Placement.objects.filter(child__placing_council=council)
        .values_list(
            "child_id", "start_date", "id", "setting_id", "host_council_id",
            "host_police_force_id", "return_link__id", "return_link__return_import__year",
        )
        .iterator(chunk_size=_BATCH),
        {
            "child_id": pl.String, "DECOM_D": pl.Date, "_held": pl.String,
            "_held_setting": pl.String, "_held_council": pl.String, "_held_force": pl.String,
            "_link": pl.Int64, "_link_year": pl.Int64,
        },
    ).unique(["child_id", "DECOM_D"], keep="last", maintain_order=True)  # fmt: skip
    rows = _beside(episodes, held, ["child_id", "DECOM_D"])
    del held
    placed: list[pl.DataFrame] = [pl.DataFrame(schema=_PLACED)]
    already = 0
    for chunk in rows.iter_slices(_BATCH):
        new: list[Placement] = []
        kept: list[tuple[Any, dict[str, Any]]] = []
        ids: list[tuple[Any, ...]] = []
        for row in chunk.iter_rows(named=True):
            fields = {
                "setting_id": row["setting_id"],
                "end_date": row["DEC_D"],
                "place_type": row["PLACE"] or "",
                "place_provider": row["PLACE_PROVIDER"] or "",
                "home_postcode": row["HOME_KEY"] or "",
                "host_council_id": row["PL_COUNCIL"],
                "host_police_force_id": row["PL_FORCE"],
                "distance_miles": _decimal(row["PL_DISTANCE"]),
                "distance_km": _decimal(row["PL_DISTANCE_KM"]),
                "out_of_area": row["PL_COUNCIL"] != council.ons_code,
                "reason_new_episode": row["RNE"] or "",
                "legal_status": row["LS"] or "",
                "category_of_need": row["CIN"] or "",
                "reason_ceased": row["REC"] or "",
                "reason_place_change": row["REASON_PLACE_CHANGE"] or "",
                "urn": row["URN"] or "",
            }
            if row["_held"] is not None:
                if row["_link"] is None or (row["_link_year"] or 0) > record.year:
                    # Recorded in the web app or through the API: Sightline's own record
                    # stands. Or written by the import of a later year's return, which knows
                    # more of the episode (its end, say): that stands too, and the placement
                    # stays dated by that return.
                    already += row["_link"] is None
                    ids.append(
                        (
                            row["_i"],
                            row["_held"],
                            row["_held_setting"],
                            row["_held_council"],
                            row["_held_force"],
                        )
                    )
                    continue
                # Written by an earlier import of this year, or of another year (an episode
                # spanning both): kept, with this return's values.
                kept.append((row["_held"], fields))
                ids.append(
                    (
                        row["_i"],
                        row["_held"],
                        fields["setting_id"],
                        fields["host_council_id"],
                        fields["host_police_force_id"],
                    )
                )
                continue
            placement = Placement(
                child_id=row["child_id"], start_date=row["DECOM_D"], recorded_by=actor, **fields
            )
            new.append(placement)
            ids.append(
                (
                    row["_i"],
                    str(placement.id),
                    fields["setting_id"],
                    fields["host_council_id"],
                    fields["host_police_force_id"],
                )
            )
        if new:
            Placement.objects.bulk_create(new)
            ImportedPlacement.objects.bulk_create(
                [ImportedPlacement(return_import=record, placement_id=p.id) for p in new]
            )
        if kept:
            _update_placements(kept, record)
        placed.append(pl.DataFrame(ids, schema=_PLACED, orient="row"))
        step("Placements", chunk.height)
    return pl.concat(placed, rechunk=True), already


def _update_placements(kept: list[tuple[Any, dict[str, Any]]], record: ReturnImport) -> None:
    """Give placements an earlier import wrote this return's values, and link them to this
    import. Only what changed is written (a re-import of the same return changes nothing)."""
    ids = [placement_id for placement_id, _ in kept]
    stored = {
        str(values["id"]): values
        for values in Placement.objects.filter(id__in=ids).values("id", *_COMPARED)
    }
    for placement_id, fields in kept:
        before = stored[placement_id]
        changed = {name: value for name, value in fields.items() if _text(before[name]) != value}
        if changed:
            before.update(changed)
            Placement.objects.filter(id=placement_id).update(**changed, updated_at=now())
    ImportedPlacement.objects.filter(placement_id__in=ids).update(return_import=record)


def _missing_episodes(
    missing: pl.DataFrame,
    council: Council,
    children: pl.DataFrame,
    placed: pl.DataFrame,
    actor: User,
    record: ReturnImport,
) -> int:
    """Write each missing row as a missing episode of the placement it started in, a batch at
    a time; how many it wrote."""
    rows = _beside(_beside(missing, children, ["CHILD"]), placed.rename({"_i": "_ep"}), ["_ep"])
    written = 0
    for chunk in rows.iter_slices(_BATCH):
        batch: list[Episode] = []
        for row in chunk.iter_rows(named=True):
            start = row["MIS_START_D"]
            end = row["MIS_END_D"]
            seen = _midnight(start)
            returned = _midnight(end) if end is not None else None
            batch.append(
                Episode(
                    child_id=row["child_id"],
                    kind=_KIND_BY_CODE.get(row["MISSING"], EpisodeKind.MISSING),
                    missing_code=row["MISSING"],
                    placement_id=row["placement_id"],
                    setting_id=row["setting_id"],
                    placing_council=council,
                    host_council_id=row["host_council_id"],
                    host_police_force_id=row["host_police_force_id"],
                    last_seen_at=seen,
                    last_seen_place="",
                    reported_to_police=False,
                    police_alerted=False,
                    reported_at=seen,
                    reported_by=actor,
                    reported_by_organisation=actor.organisation,
                    mis_start=start,
                    returned_at=returned,
                    mis_end=end,
                    closed_at=returned,
                    closed_by=actor if returned else None,
                )
            )
        Episode.objects.bulk_create(batch)
        ImportedMissingEpisode.objects.bulk_create(
            [ImportedMissingEpisode(return_import=record, episode_id=e.id) for e in batch]
        )
        written += len(batch)
    return written


def return_export(
    *, actor: User, council: Council, year: int, out: Path, output_format: str
) -> tuple[ReturnExport, list[Path]]:
    """Write the council's return for the year from Sightline's records, and record who did."""
    tables, child_ids = return_tables_and_children(council=council, year=year)
    written = [write_xml(tables, out)] if output_format == "xml" else write_csv(tables, out)
    # Each child in the file is a read of its information: one event naming them all.
    audit_reads(
        user=actor,
        child_ids=child_ids,
        action=_EXPORT_ACTION,
        purpose=f"SSDA903 return of {council.dfe_code or council.ons_code} for {year}",
    )
    record = ReturnExport.objects.create(
        council=council,
        year=year,
        output_format=output_format,
        exported_at=now(),
        exported_by=actor,
        children=tables[HEADER].height,
        episodes=tables[EPISODES].height,
        missing_episodes=tables[MISSING].height,
    )
    logger.info("return exported id=%s council=%s year=%s", record.id, council.dfe_code, year)
    return record, written
