"""The files measured: one national-scale return per size, cut from a synthetic England.

``sightline synth england`` writes every council's return for a year as
``DIR/<dfe_code>/<year>/<table>.csv``, all twelve tables. A return of N children is made from
those of every council for one year, concatenated: the children (Header rows) are put in a
fixed random order (``--seed``) and the first N kept, with all their episodes and missing
periods and every record of the other nine tables. So every child keeps its whole,
consistent record; the return of 1,000 children is part of the one of 10,000, which is part
of the one of 80,000; and the same seed gives the same files. Values are copied as written
(read and written back as text, nothing parsed), with one exception, below.

**One reporting council.** A return is one council's, and the rules read it so: rule 1015
says that a placement in the council's own provision (PLACE_PROVIDER ``PR1``) must be in the
council's own area. The national return is reported as if by one council (``--council``,
Stockport by default). Seen from that council, a placement another council made in its own
provision is another council's provision, ``PR2``; so ``PR1`` becomes ``PR2`` on the episodes
of every child from another council's return. Nothing else changes. Without it the return
fails rule 1015 on hundreds of episodes, and Sightline's import (which refuses a return with
errors, as it should) would import nothing.

The synthetic England is generated once per seed, year and scale and kept under the work
folder, with the returns cut from it, so a second run measures the same files without
generating them again.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

# Every table of the return, by the file ``sightline synth england`` writes it to.
FILES = {
    "Header": "header.csv",
    "Episodes": "episodes.csv",
    "Missing": "missing.csv",
    "UASC": "uasc.csv",
    "Reviews": "reviews.csv",
    "AD1": "ad1.csv",
    "PlacedAdoption": "placed_adoption.csv",
    "PrevPerm": "prev_perm.csv",
    "OC2": "oc2.csv",
    "OC3": "oc3.csv",
    "SWEpisodes": "sw_episodes.csv",
    "DoLo": "dolo.csv",
}


class DatasetError(RuntimeError):
    pass


@dataclass(frozen=True)
class Return:
    """One return to measure: a folder with the twelve CSV files."""

    children: int
    folder: Path
    records: dict[str, int]
    bytes: int
    sha256: str
    recoded: int  # episodes whose PLACE_PROVIDER PR1 became PR2


def england_folder(work: Path, *, seed: int, year: int, scale: float) -> Path:
    return work / f"england-seed{seed}-{year}-scale{scale:g}"


def council_folders(england: Path, year: int) -> list[Path]:
    """Every council's folder for ``year`` (``<dfe_code>/<year>``), in code order."""
    return sorted(p for p in england.glob(f"[0-9][0-9][0-9]/{year}") if p.is_dir())


def _read(path: Path) -> pl.DataFrame:
    # Every value as text, exactly as written (an empty value is read as null, written as empty).
    return pl.read_csv(path, infer_schema=False)


def national_tables(england: Path, year: int) -> dict[str, pl.DataFrame]:
    """Every council's twelve tables for ``year``, one after another."""
    folders = council_folders(england, year)
    if not folders:
        raise DatasetError(
            f"{england} holds no council returns for {year}: expected folders like "
            f"{england}/356/{year} with header.csv, episodes.csv, missing.csv and the rest."
        )
    tables: dict[str, pl.DataFrame] = {}
    for table, name in FILES.items():
        parts = []
        for folder in folders:
            path = folder / name
            if not path.is_file():
                raise DatasetError(f"{path} is missing: every council folder needs {name}.")
            parts.append(_read(path).with_columns(_council=pl.lit(folder.parent.name)))
        tables[table] = pl.concat(parts, how="vertical")
    header = tables["Header"]
    repeated = header.filter(pl.col("CHILD").is_duplicated())["CHILD"].unique()
    if repeated.len():
        raise DatasetError(
            f"{repeated.len()} CHILD ids appear in the Header of more than one council "
            f"for {year} (for example {repeated[0]}); the generator's ids are expected to be "
            "unique across England."
        )
    return tables


def cut(
    tables: dict[str, pl.DataFrame], *, children: int, seed: int, council: str, out: Path
) -> Return:
    """Write the return of the first ``children`` children in the seed's order to ``out``,
    as the return of ``council`` (a DfE code)."""
    header = tables["Header"]
    if children > header.height:
        raise DatasetError(
            f"The synthetic England has {header.height} children in the year's returns, fewer "
            f"than the {children} asked for: raise --scale (at most 1) or ask for fewer."
        )
    order = header.select("CHILD").sample(fraction=1.0, shuffle=True, seed=seed)
    chosen = order.head(children)
    tmp = out.with_name(out.name + ".partial")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    records = {}
    recoded = 0
    digest = hashlib.sha256()
    size = 0
    for table, name in FILES.items():
        frame = tables[table].join(chosen, on="CHILD", how="semi")
        if table == "Episodes":
            recode = (pl.col("_council") != council) & (pl.col("PLACE_PROVIDER") == "PR1")
            recoded = int(frame.select(recode.sum()).item())
            frame = frame.with_columns(
                PLACE_PROVIDER=pl.when(recode)
                .then(pl.lit("PR2"))
                .otherwise(pl.col("PLACE_PROVIDER"))
            )
        frame.drop("_council").write_csv(tmp / name)
        data = (tmp / name).read_bytes()
        digest.update(data)
        size += len(data)
        records[table] = frame.height
    recorded = {"records": records, "council": council, "seed": seed, "recoded": recoded}
    (tmp / "records.json").write_text(json.dumps(recorded, indent=1) + "\n")
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return Return(children, out, records, size, digest.hexdigest(), recoded)


def load(out: Path, *, children: int, seed: int, council: str) -> Return | None:
    """The return cut in an earlier run with the same options, if it is complete."""
    marker = out / "records.json"
    if not marker.is_file():
        return None
    recorded = json.loads(marker.read_text())
    records = recorded.get("records", {})
    if (records.get("Header"), recorded.get("seed"), recorded.get("council")) != (
        children,
        seed,
        council,
    ):
        return None
    if not all((out / name).is_file() for name in FILES.values()):
        return None  # cut before the benchmark read every table
    digest = hashlib.sha256()
    size = 0
    for name in FILES.values():
        data = (out / name).read_bytes()
        digest.update(data)
        size += len(data)
    return Return(children, out, records, size, digest.hexdigest(), recorded.get("recoded", 0))
