"""The analytical extract: a handful of Polars frames with fixed schemas.

Two sources produce the same frames (``sources.py``): Sightline's database (live records and
imported returns) and a directory of SSDA903 returns read straight into Polars. Every question
(``questions.py``) reads only these frames, so a figure means the same whichever source it
came from.

Children appear only by a pseudonymous key: an HMAC of the placing council's DfE code and the
903 CHILD id, keyed by a salt derived from ``SECRET_KEY``. The same child gets the same key
from both sources; the key cannot be turned back into the CHILD id without the secret. Dates
of birth are cut to the month (enough for an age band); names never enter the extract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
from django.conf import settings

from sightline.core.errors import ValidationError

Schema = dict[str, pl.DataType | type[pl.DataType]]

SPELLS: Schema = {
    "spell_id": pl.String,
    "child_key": pl.String,
    "placing_council": pl.String,  # ONS code of the placing (responsible) council
    "birth_month": pl.Date,  # first day of the month of birth
    "sex": pl.String,  # M, F or U
    "start": pl.Date,
    "end": pl.Date,  # null while the placement is open
    "place_type": pl.String,  # 903 PLACE
    "provider": pl.String,  # 903 PLACE_PROVIDER
    "host_council": pl.String,  # ONS code; null when the placement postcode is unknown
    "host_police_force": pl.String,
    "distance_miles": pl.Float64,  # null when either postcode is unknown
    "out_of_area": pl.Boolean,  # host council is not the placing council
    "setting_key": pl.String,
    "new_placement": pl.Boolean,  # False: a 903 episode for a change of legal status only
}

MISSING: Schema = {
    "episode_id": pl.String,
    "child_key": pl.String,
    "placing_council": pl.String,
    "kind": pl.String,  # M (missing) or A (away from placement without authorisation)
    "start": pl.Date,
    "end": pl.Date,
    "spell_id": pl.String,  # the placement the child was in; null if none matches
    "host_council": pl.String,
    "host_police_force": pl.String,
    "found_outside_force": pl.Boolean,  # live records only
    "returned_at": pl.Datetime("us", "UTC"),
    "interview_offered_at": pl.Datetime("us", "UTC"),
    "interview_completed_at": pl.Datetime("us", "UTC"),
    "interview_declined_at": pl.Datetime("us", "UTC"),
}

HOMES: Schema = {
    "setting_key": pl.String,
    "council": pl.String,
    "police_force": pl.String,
    "sector": pl.String,  # private, council, voluntary, health
    "registered_places": pl.Int64,  # null when the source does not say
    "place_type": pl.String,
}

NOTICES: Schema = {
    "placement_id": pl.String,
    "kind": pl.String,  # placement or admission
    "placing_council": pl.String,
    "host_council": pl.String,
    "due_at": pl.Datetime("us", "UTC"),
    "created_at": pl.Datetime("us", "UTC"),
    "ack_due_at": pl.Datetime("us", "UTC"),
    "acknowledged_at": pl.Datetime("us", "UTC"),
}

COUNCILS: Schema = {
    "council": pl.String,
    "dfe_code": pl.String,
    "council_name": pl.String,
    "region_code": pl.String,
    "region_name": pl.String,
    "police_force": pl.String,
    "police_force_name": pl.String,
}

FORCES: Schema = {"police_force": pl.String, "police_force_name": pl.String}

# Decisions after the matching check before a placement (ADR 51): live records only (an
# SSDA903 return has none). ``spell_id`` is the placement that went ahead (null if it did
# not); ``screenings_after`` counts the child's exploitation screenings in the
# ``DECISION_WINDOW_DAYS`` after the decision, moderate or significant.
DECISIONS: Schema = {
    "spell_id": pl.String,
    "placing_council": pl.String,
    "host_council": pl.String,
    "decided_on": pl.Date,
    "proceed": pl.Boolean,
    "warnings": pl.Int64,
    "overridden": pl.Boolean,
    "distant": pl.Boolean,
    "screenings_after": pl.Int64,
}
DECISION_WINDOW_DAYS = 90
# A social worker of the child from ``start`` to ``end`` (issue 17's continuity): the 903's
# SWEpisodes, and in the database the worker allocated in each placement, combined as the
# child's record combines them (``family.selectors.combined_worker_periods``, ADR 52). The
# worker appears only by a pseudonymous key, as children do.
SOCIAL_WORKERS: Schema = {
    "child_key": pl.String,
    "placing_council": pl.String,
    "worker_key": pl.String,
    "start": pl.Date,
    "end": pl.Date,  # null while the worker is still allocated
}

SCHEMAS: dict[str, Schema] = {
    "spells": SPELLS,
    "missing": MISSING,
    "homes": HOMES,
    "notices": NOTICES,
    "councils": COUNCILS,
    "forces": FORCES,
    "social_workers": SOCIAL_WORKERS,
}


@dataclass
class Extract:
    """The frames, when they were taken (``as_of``: open placements run to this day) and
    what they came from. ``notes`` are data-quality notes shown with every report."""

    spells: pl.DataFrame
    missing: pl.DataFrame
    homes: pl.DataFrame
    notices: pl.DataFrame
    councils: pl.DataFrame
    forces: pl.DataFrame
    as_of: dt.date
    source: str
    notes: list[str] = field(default_factory=list)
    # Not one of SCHEMAS' frames (not written with an extract): live records only.
    decisions: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=DECISIONS))
    social_workers: pl.DataFrame = field(default_factory=lambda: empty("social_workers"))
    # Derived tables worked out once per loaded extract (questions.prepared_spells,
    # spell_incidents, placement_years, placements_with_incidents).
    derived: dict[str, pl.DataFrame] = field(default_factory=dict, repr=False, compare=False)

    def frames(self) -> dict[str, pl.DataFrame]:
        return {name: getattr(self, name) for name in SCHEMAS}


def conform(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """The frame with exactly the schema's columns, in order and of the schema's types."""
    schema = SCHEMAS[name]
    missing = [c for c in schema if c not in frame.columns]
    frame = frame.with_columns(pl.lit(None).alias(c) for c in missing)
    return frame.select(pl.col(c).cast(t) for c, t in schema.items())


def empty(name: str) -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMAS[name])


def _salt() -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"sightline.evidence.pseudonym", hashlib.sha256
    ).digest()


def pseudonym_expr(council_dfe: pl.Expr, child_ref: pl.Expr) -> pl.Expr:
    """The pseudonymous key of a child: HMAC-SHA256 of "<DfE code>:<CHILD>", 16 hex digits."""
    salt = _salt()

    def one(value: str | None) -> str | None:
        if value is None:
            return None
        return hmac.new(salt, value.encode(), hashlib.sha256).hexdigest()[:16]

    return pl.concat_str([council_dfe, pl.lit(":"), child_ref]).map_elements(
        one, return_dtype=pl.String
    )


def pseudonym(council_dfe: str, child_ref: str) -> str:
    return hmac.new(_salt(), f"{council_dfe}:{child_ref}".encode(), hashlib.sha256).hexdigest()[:16]


# --- Saving and loading ----------------------------------------------------------------------

META = "extract.json"


def save(extract: Extract, directory: Path) -> list[Path]:
    """Write each frame as ``<name>.parquet`` and the metadata as ``extract.json``. Files are
    written under a temporary name and renamed, so a reader never sees half an extract."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in extract.frames().items():
        path = directory / f"{name}.parquet"
        tmp = directory / f".{name}.parquet.tmp"
        frame.write_parquet(tmp)
        tmp.replace(path)
        written.append(path)
    meta = {"as_of": extract.as_of.isoformat(), "source": extract.source, "notes": extract.notes}
    tmp = directory / f".{META}.tmp"
    tmp.write_text(json.dumps(meta, indent=2))
    tmp.replace(directory / META)
    written.append(directory / META)
    return written


# Columns no question reads (identifiers of rows and of settings, the end of a missing
# episode): ``load(..., used_only=True)`` leaves them in the files, for the report and the
# dashboards, which then read about a third less.
UNUSED: dict[str, tuple[str, ...]] = {
    "spells": ("provider", "setting_key"),
    "missing": ("episode_id", "child_key", "end"),
}


def load(directory: Path, *, used_only: bool = False) -> Extract:
    """The extract saved in ``directory``. With ``used_only`` the columns no question reads
    (``UNUSED``) are not read at all (the frames then lack them)."""
    meta_path = directory / META
    if not meta_path.exists():
        raise ValidationError(
            f"There is no evidence extract in {directory}. "
            "Run 'sightline evidence extract' to build one.",
            field="extract",
        )
    meta = json.loads(meta_path.read_text())
    frames = {}
    for name in SCHEMAS:
        path = directory / f"{name}.parquet"
        skip = UNUSED.get(name, ()) if used_only else ()
        if not path.exists():
            frame = empty(name)
        elif not skip:
            frame = conform(pl.read_parquet(path), name)
        else:
            wanted = [c for c in SCHEMAS[name] if c not in skip]
            stored = pl.read_parquet_schema(path)
            frame = (
                pl.scan_parquet(path)
                .select(
                    (pl.col(c) if c in stored else pl.lit(None)).cast(SCHEMAS[name][c]).alias(c)
                    for c in wanted
                )
                .collect()
            )
        frames[name] = frame
    return Extract(
        spells=frames["spells"],
        missing=frames["missing"],
        homes=frames["homes"],
        notices=frames["notices"],
        councils=frames["councils"],
        forces=frames["forces"],
        social_workers=frames["social_workers"],
        as_of=dt.date.fromisoformat(meta["as_of"]),
        source=meta["source"],
        notes=list(meta.get("notes", [])),
    )


def extract_dir() -> Path:
    """Where the web app reads the cached extract: ``SIGHTLINE_EVIDENCE_DIR`` or
    ``var/evidence``."""
    configured = getattr(settings, "SIGHTLINE_EVIDENCE_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "evidence"


_cache: dict[Path, tuple[float, Extract]] = {}


def load_cached(directory: Path | None = None) -> Extract:
    """The extract in ``directory``, read once per process and again when it is rebuilt."""
    directory = directory or extract_dir()
    meta = directory / META
    stamp = meta.stat().st_mtime if meta.exists() else -1.0
    hit = _cache.get(directory)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    extract = load(directory, used_only=True)
    from sightline.evidence.questions import placement_years, placements_with_incidents

    # Worked out once per loaded extract, so that a filter change only filters and counts.
    placement_years(extract)
    placements_with_incidents(extract)
    _cache[directory] = (stamp, extract)
    return extract
