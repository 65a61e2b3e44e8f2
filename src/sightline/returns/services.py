"""Importing a council's SSDA903 return for a year into Sightline's own records.

All or nothing: the return is validated first and any error stops the import before anything
is written; the writes run in one transaction. Re-importing the same council and year
replaces the placements and missing episodes the earlier import wrote (children are updated,
never deleted: access records point at them).

Placements are derived as ``placements.services.placement_record`` derives them (host council
and police force from the placement postcode's district, straight-line distance from the home
postcode, out of area when the host is not the placing council), but for whole columns at once
(``returns.derive``) and without notices: the law asked for those at the time.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import polars as pl
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from sightline.access.audit import audit_append, audit_reads
from sightline.access.models import AuditKind
from sightline.children.models import Child
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now
from sightline.geography.models import Council
from sightline.missing.models import SSDA903_MISSING_CODE, Episode, EpisodeKind
from sightline.notifications.deadlines import LONDON
from sightline.organisations.models import User
from sightline.placements.models import PLACE_CODES, Placement, Sector, Setting
from sightline.returns.derive import Context, Frames, own_area, prepare
from sightline.returns.models import (
    ImportedMissingEpisode,
    ImportedPlacement,
    ReturnExport,
    ReturnImport,
)
from sightline.returns.reader import Problem, ReturnTables
from sightline.returns.rules import RULES
from sightline.returns.schema import EPISODES, HEADER, MISSING, CollectionYear
from sightline.returns.selectors import return_tables_and_children
from sightline.returns.validation import Report, run_rules
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
_IMPORT_ACTION = "import SSDA903 return"
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
class ImportCounts:
    children_created: int
    children_updated: int
    placements: int
    placements_already_recorded: int
    missing_episodes: int
    settings_created: int
    replaced_placements: int
    replaced_missing_episodes: int


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


def _import_problems(frames: Frames) -> list[Problem]:
    """What Sightline's records cannot hold, though the DfE rules allow it."""
    problems: list[Problem] = []
    eps = frames.episodes
    outside = eps.filter(pl.col("PL_COUNCIL").is_null() & pl.col("PL_FOUND"))
    for row in outside.head(20).iter_rows(named=True):
        problems.append(
            Problem(
                row["_file"],
                f"The placement postcode {row['PL_KEY']} is outside England and Wales. "
                "Sightline can only hold placements in England and Wales.",
                row=row["_row"],
                field="PL_POST",
            )
        )
    long_urn = eps.filter(pl.col("URN").str.len_chars() > 8)
    for row in long_urn.head(20).iter_rows(named=True):
        problems.append(
            Problem(
                row["_file"],
                "The URN is longer than 8 characters. An Ofsted URN has at most 8.",
                row=row["_row"],
                field="URN",
            )
        )
    blank = eps.filter(pl.col("PL_POST").is_null())
    for row in blank.head(20).iter_rows(named=True):
        problems.append(
            Problem(
                row["_file"],
                "The placement postcode is blank. Sightline needs it to know where the child "
                "lived.",
                row=row["_row"],
                field="PL_POST",
            )
        )
    return problems


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
    progress: Progress | None = None,
) -> tuple[ReturnImport, Report]:
    """Validate, then load the return. Raises ImportRejected (nothing written) on any error."""
    step = progress or (lambda _label, _n: None)
    context = Context(
        year=CollectionYear(year),
        council=council.ons_code,
        council_label=f"{council.name} ({council.dfe_code or council.ons_code})",
        area_codes=own_area(council),
    )
    absent = [t for t in (HEADER, EPISODES) if t not in tables.supplied]
    if absent:
        raise ImportRejected(
            f"{tables.source_name}: the return has no {' or '.join(absent)} table. An import "
            "needs at least Header and Episodes.",
            problems=[Problem(tables.source_name, f"No {t} table.") for t in absent],
        )
    frames = prepare(tables, context)
    step("Checked the postcodes", 0)
    report = Report(
        results=run_rules(frames),
        source_name=tables.source_name,
        context=context,
        records={t: f.height for t, f in tables.tables.items()},
        rules_run=len(RULES),
    )
    step("Checked the rules", 0)
    if report.has_errors:
        raise ImportRejected(
            f"{tables.source_name}: the return has {report.errors} errors. Nothing was imported.",
            report=report,
        )
    problems = _import_problems(frames)
    missing_at = _missing_placements(frames)
    for row in missing_at.filter(pl.col("_ep").is_null()).head(20).iter_rows(named=True):
        problems.append(
            Problem(
                row["_file"],
                "The child has no episode on the date this period started, so Sightline cannot "
                "tell which placement the child was missing from.",
                row=row["_row"],
                field="MIS_START",
            )
        )
    if problems:
        raise ImportRejected(
            f"{tables.source_name}: Sightline cannot hold {len(problems)} records. Nothing was "
            "imported.",
            problems=problems,
        )
    try:
        with transaction.atomic():
            return_import_row = _write(
                actor=actor,
                tables=tables,
                frames=frames,
                missing_at=missing_at,
                council=council,
                year=year,
                step=step,
            )
    except ProtectedError as exc:
        raise ImportRejected(
            f"{tables.source_name}: records Sightline holds refer to placements of the earlier "
            f"import of {council.name}'s {year} return that this return no longer holds (for "
            "example a missing episode recorded in the web app, or in another year's return). "
            "Nothing was imported.",
            problems=[Problem(tables.source_name, str(exc.args[0])[:300])],
        ) from exc
    except IntegrityError as exc:
        raise ImportRejected(
            f"{tables.source_name}: the return conflicts with records Sightline already holds "
            "(for example a child with a missing episode open in the web app and another open "
            "in the return). Nothing was imported.",
            problems=[Problem(tables.source_name, str(exc)[:300])],
        ) from exc
    transaction.on_commit(
        lambda: logger.info(
            "return imported id=%s council=%s year=%s", return_import_row.id, council.dfe_code, year
        )
    )
    return return_import_row, report


def _earlier_imports(council: Council, year: int, at: dt.datetime) -> tuple[set[Any], int]:
    """Delete the missing episodes the earlier import of this council and year wrote, and mark
    it replaced. Returns the ids of its placements (reused or deleted by ``_placements``)."""
    earlier = list(
        ReturnImport.objects.filter(council=council, year=year, replaced_at__isnull=True)
    )
    mis_links = ImportedMissingEpisode.objects.filter(return_import__in=earlier)
    episode_ids = list(mis_links.values_list("episode_id", flat=True))
    mis_links.delete()
    Episode.objects.filter(id__in=episode_ids).delete()
    placement_ids = set(
        ImportedPlacement.objects.filter(return_import__in=earlier).values_list(
            "placement_id", flat=True
        )
    )
    ReturnImport.objects.filter(id__in=[e.id for e in earlier]).update(replaced_at=at)
    return placement_ids, len(episode_ids)


def _write(
    *,
    actor: User,
    tables: ReturnTables,
    frames: Frames,
    missing_at: pl.DataFrame,
    council: Council,
    year: int,
    step: Progress,
) -> ReturnImport:
    at = now()
    earlier_placements, replaced_missing = _earlier_imports(council, year, at)
    record = ReturnImport.objects.create(
        council=council,
        year=year,
        source_name=tables.source_name[:300],
        source_format=tables.source_format,
        source_sha256=tables.sha256,
        imported_at=at,
        imported_by=actor,
    )
    created, updated, children = _upsert_children(frames, council, year)
    step("Children", len(children))
    settings, settings_created = _settings(frames)
    step("Settings", 0)
    placements, already = _placements(frames, council, children, settings, actor, record, step)
    # The earlier import's placements that this return no longer holds.
    kept = {p.id for p in placements.values()}
    gone = earlier_placements - kept
    ImportedPlacement.objects.filter(placement_id__in=gone).delete()
    Placement.objects.filter(id__in=gone).delete()
    episodes = _missing_episodes(frames, missing_at, council, children, placements, actor, record)
    step("Missing episodes", episodes)
    record.children_created = created
    record.children_updated = updated
    record.placements = len(placements) - already
    record.placements_already_recorded = already
    record.missing_episodes = episodes
    record.settings_created = settings_created
    record.placements_replaced = len(earlier_placements)
    record.missing_episodes_replaced = replaced_missing
    record.save()
    # The change, in the same transaction: one event for the import (the ReturnImport row
    # and its links say which children, placements and episodes it wrote).
    audit_append(
        kind=AuditKind.WRITE,
        action=_IMPORT_ACTION,
        user=actor,
        child_id=None,
        purpose=f"SSDA903 return of {council.dfe_code or council.ons_code} for {year}",
        object_type="ReturnImport",
        object_id=record.id,
    )
    return record


def _upsert_children(
    frames: Frames, council: Council, year: int
) -> tuple[int, int, dict[str, Any]]:
    """Create or update each child of the return; the id of each by CHILD."""
    header = frames.header.unique("CHILD", keep="first")
    existing = {
        c.child_ref: c
        for c in Child.objects.filter(
            placing_council=council, child_ref__in=header["CHILD"].to_list()
        )
    }
    ids = {ref: child.id for ref, child in existing.items()}
    created = 0
    new: list[Child] = []
    changed: list[Child] = []
    for row in header.select("CHILD", "SEX", "DOB_D", "ETHNIC").iter_rows(named=True):
        sex = row["SEX"] if year >= 2025 else _SEX_BEFORE_2025.get(row["SEX"], row["SEX"])
        child = existing.get(row["CHILD"])
        if child is None:
            if len(new) == _BATCH:
                created += _create_children(new, ids)
            new.append(
                Child(
                    placing_council=council,
                    child_ref=row["CHILD"],
                    first_name="",
                    last_name="",
                    date_of_birth=row["DOB_D"],
                    sex=sex,
                    ethnicity=row["ETHNIC"] or "",
                )
            )
        elif (child.date_of_birth, child.sex, child.ethnicity) != (
            row["DOB_D"],
            sex,
            row["ETHNIC"] or "",
        ):
            child.date_of_birth, child.sex, child.ethnicity = row["DOB_D"], sex, row["ETHNIC"] or ""
            changed.append(child)
    created += _create_children(new, ids)
    Child.objects.bulk_update(changed, ["date_of_birth", "sex", "ethnicity"], batch_size=_BATCH)
    return created, len(changed), ids


def _create_children(batch: list[Child], ids: dict[str, Any]) -> int:
    """Write a batch of new children and keep only their ids, so that a national return does
    not hold 80,000 model instances at once. Empties the batch; returns how many it wrote."""
    Child.objects.bulk_create(batch)
    ids.update((child.child_ref, child.id) for child in batch)
    written = len(batch)
    batch.clear()
    return written


def _settings(frames: Frames) -> tuple[dict[tuple[str, str, str], Setting], int]:
    """The setting of each (URN, postcode, placement type): reused where Sightline has one."""
    wanted = (
        frames.episodes.select(
            pl.col("URN").fill_null("").replace("XXXXXXX", ""),
            pl.col("PL_KEY"),
            pl.col("PLACE").fill_null(""),
            "PLACE_PROVIDER",
            "PL_COUNCIL",
            "PL_FORCE",
        )
        .unique(["URN", "PL_KEY", "PLACE"], keep="first")
        .iter_rows(named=True)
    )
    rows = list(wanted)
    urns = {r["URN"] for r in rows if r["URN"]}
    by_urn = {s.urn: s for s in Setting.objects.filter(urn__in=urns)}
    postcodes = {r["PL_KEY"] for r in rows}
    derived = {
        (s.postcode, s.place_type): s
        for s in Setting.objects.filter(from_return=True, urn="", postcode__in=postcodes)
    }
    result: dict[tuple[str, str, str], Setting] = {}
    new: list[Setting] = []
    for r in rows:
        key = (r["URN"], r["PL_KEY"], r["PLACE"])
        urn_setting = by_urn.get(r["URN"]) if r["URN"] else None
        if urn_setting is not None and urn_setting.postcode == r["PL_KEY"]:
            result[key] = urn_setting
            continue
        sector = _SECTOR_BY_PROVIDER.get(r["PLACE_PROVIDER"] or "", "")
        if r["URN"] and urn_setting is None:
            setting = Setting(
                urn=r["URN"],
                name=f"Ofsted URN {r['URN']}",
                sector=sector,
                postcode=r["PL_KEY"],
                council_id=r["PL_COUNCIL"],
                police_force_id=r["PL_FORCE"],
                place_type=r["PLACE"],
                from_return=True,
            )
            by_urn[r["URN"]] = setting
            new.append(setting)
            result[key] = setting
            continue
        place_key = (r["PL_KEY"], r["PLACE"])
        derived_setting = derived.get(place_key)
        if derived_setting is None:
            kind = PLACE_CODES.get(r["PLACE"], f"Placement type {r['PLACE']}")
            derived_setting = Setting(
                name=f"{kind} at {r['PL_KEY']}",
                sector=sector,
                postcode=r["PL_KEY"],
                council_id=r["PL_COUNCIL"],
                police_force_id=r["PL_FORCE"],
                place_type=r["PLACE"],
                from_return=True,
            )
            derived[place_key] = derived_setting
            new.append(derived_setting)
        result[key] = derived_setting
    Setting.objects.bulk_create(new, batch_size=_BATCH)
    return result, len(new)


class _Placed(NamedTuple):
    """What the missing episodes need of an episode row's placement."""

    id: Any
    setting_id: Any
    host_council_id: Any
    host_police_force_id: Any

    @classmethod
    def of(cls, placement: Placement) -> _Placed:
        return cls(
            placement.id,
            placement.setting_id,
            placement.host_council_id,
            placement.host_police_force_id,
        )


def _placements(
    frames: Frames,
    council: Council,
    children: dict[str, Any],
    settings: dict[tuple[str, str, str], Setting],
    actor: User,
    record: ReturnImport,
    step: Progress,
) -> tuple[dict[int, _Placed], int]:
    """One placement per episode row, keyed by the row's position.

    New placements are written in batches, and only what the missing episodes need of each
    is kept: a national return has over 100,000 episodes, and holding a model instance for
    each (with its link) took most of the import's memory.
    """
    eps = frames.episodes
    held = {
        (p.child_id, p.start_date): p
        for p in Placement.objects.filter(child_id__in=list(children.values())).select_related(
            "return_link"
        )
    }
    result: dict[int, _Placed] = {}
    new: list[Placement] = []
    moved: list[Any] = []
    updates: list[tuple[Any, dict[str, Any]]] = []
    already = 0
    columns = (
        "_i", "CHILD", "DECOM_D", "DEC_D", "PLACE", "PLACE_PROVIDER", "HOME_KEY", "URN",
        "PL_KEY", "PL_COUNCIL", "PL_FORCE", "PL_DISTANCE", "PL_DISTANCE_KM", "RNE", "LS",
        "CIN", "REC", "REASON_PLACE_CHANGE",
    )  # fmt: skip
    for row in eps.select(columns).iter_rows(named=True):
        child_id = children[row["CHILD"]]
        setting = settings[
            (
                "" if row["URN"] in (None, "XXXXXXX") else row["URN"],
                row["PL_KEY"],
                row["PLACE"] or "",
            )
        ]
        fields = {
            "setting": setting,
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
        existing = held.get((child_id, row["DECOM_D"]))
        if existing is not None:
            link = getattr(existing, "return_link", None)
            if link is None:
                # Recorded in the web app or through the API: Sightline's own record stands.
                already += 1
                result[row["_i"]] = _Placed.of(existing)
                continue
            # Written by an earlier import of this year, or of another year (an episode
            # spanning both): kept, with this return's values.
            changed = {
                name: value for name, value in fields.items() if getattr(existing, name) != value
            }
            for name, value in changed.items():
                setattr(existing, name, value)
            if changed:
                updates.append((existing.id, changed))
            moved.append(existing.id)
            result[row["_i"]] = _Placed.of(existing)
            continue
        placement = Placement(
            child_id=child_id, start_date=row["DECOM_D"], recorded_by=actor, **fields
        )
        new.append(placement)
        result[row["_i"]] = _Placed.of(placement)
        if len(new) == _BATCH:
            _create_placements(new, record, step)
    _create_placements(new, record, step)
    step("Placements", len(moved) + already)
    # Only what changed is written (a re-import of the same return changes nothing).
    for placement_id, changed in updates:
        Placement.objects.filter(id=placement_id).update(**changed, updated_at=now())
    if moved:
        ImportedPlacement.objects.filter(placement_id__in=moved).update(return_import=record)
    return result, already


def _create_placements(batch: list[Placement], record: ReturnImport, step: Progress) -> None:
    """Write a batch of new placements and their links to the import; empty the batch."""
    if not batch:
        return
    Placement.objects.bulk_create(batch)
    ImportedPlacement.objects.bulk_create(
        [ImportedPlacement(return_import=record, placement_id=p.id) for p in batch]
    )
    step("Placements", len(batch))
    batch.clear()


def _missing_episodes(
    frames: Frames,
    missing_at: pl.DataFrame,
    council: Council,
    children: dict[str, Any],
    placements: dict[int, _Placed],
    actor: User,
    record: ReturnImport,
) -> int:
    rows = missing_at.join(frames.missing.select("_i", "MISSING", "MIS_END_D"), on="_i", how="left")
    new: list[Episode] = []
    written = 0
    for row in rows.iter_rows(named=True):
        if len(new) == _BATCH:
            written += _create_missing_episodes(new, record)
        placement = placements[row["_ep"]]
        start = row["MIS_START_D"]
        end = row["MIS_END_D"]
        seen = _midnight(start)
        returned = _midnight(end) if end is not None else None
        new.append(
            Episode(
                child_id=children[row["CHILD"]],
                kind=_KIND_BY_CODE.get(row["MISSING"], EpisodeKind.MISSING),
                missing_code=row["MISSING"],
                placement_id=placement.id,
                setting_id=placement.setting_id,
                placing_council=council,
                host_council_id=placement.host_council_id,
                host_police_force_id=placement.host_police_force_id,
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
    return written + _create_missing_episodes(new, record)


def _create_missing_episodes(batch: list[Episode], record: ReturnImport) -> int:
    """Write a batch of missing episodes and their links; empty it; how many it wrote."""
    if not batch:
        return 0
    Episode.objects.bulk_create(batch)
    ImportedMissingEpisode.objects.bulk_create(
        [ImportedMissingEpisode(return_import=record, episode_id=e.id) for e in batch]
    )
    written = len(batch)
    batch.clear()
    return written


def return_export(
    *, actor: User, council: Council, year: int, out: Path, output_format: str
) -> tuple[ReturnExport, list[Path]]:
    """Write the council's return for the year from Sightline's records, and record who did."""
    tables, child_ids = return_tables_and_children(council=council, year=year)
    written = [write_xml(tables, out)] if output_format == "xml" else write_csv(tables, out)
    # Each child in the file is a read of that child's information: one audit event each.
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
