"""Write a simulation as SSDA903 CSV returns: DIR/<dfe_code>/<year>/{header,episodes,missing}.csv
and the other nine tables (``more_tables``: reviews.csv, sw_episodes.csv...), with the world's
register of Ofsted providers, DIR/providers.csv (``register.py``).

Each year's files hold what the real return holds: every child looked after at any time in
the year, their episodes open at any time in the year (DEC, REC and REASON_PLACE_CHANGE blank
while an episode is still open at 31 March), and missing periods starting in the year.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from sightline.core.errors import ValidationError
from sightline.returns.reader import read_return
from sightline.returns.schema import COLUMNS, FILE_NAMES, HEADER
from sightline.returns.writer import write_xml
from sightline.synth.england.faults import FAULTS_FILE, PlantedFault, plant, write_faults
from sightline.synth.england.geo import reporting_codes
from sightline.synth.england.model import Simulation, year_end, year_start
from sightline.synth.england.more_tables import more_tables, unaccompanied
from sightline.synth.england.register import REGISTER_FILE, write_register

__all__ = ["EPISODE_COLUMNS", "HEADER_COLUMNS", "MISSING_COLUMNS", "write_returns"]

HEADER_COLUMNS = ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"]
EPISODE_COLUMNS = [
    "CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
    "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN",
]  # fmt: skip
MISSING_COLUMNS = ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"]
TRUTH_FILE = "truth.json"
_TABLE_OF_FILE = {file: table for table, file in FILE_NAMES.items()}


def _dates(days: pl.Expr) -> pl.Expr:
    return days.cast(pl.Int32).cast(pl.Date).dt.strftime("%d/%m/%Y")


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and any(out.iterdir()):
        ours = [
            p
            for p in out.iterdir()
            if p.name in (TRUTH_FILE, FAULTS_FILE, REGISTER_FILE)
            or (p.is_dir() and len(p.name) == 3 and p.name.isdigit())
        ]
        if not force or len(ours) != len(list(out.iterdir())):
            raise ValidationError(
                f"{out} is not empty. Choose an empty folder, or add --force to replace an "
                "earlier synthetic England there (only its council folders, truth.json, "
                "faults.json and providers.csv).",
                field="out",
            )
        for path in ours:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def write_returns(
    sim: Simulation, out: Path, *, force: bool = False, faults: int = 0
) -> dict[str, int]:
    """Write every council's return for every year; return counts of rows written.
    ``faults``: plant that many known faults in each return (``faults.py``)."""
    _prepare(out, force)
    planted: list[PlantedFault] = []
    unit_codes = np.array([sim.units[u].dfe_code for u in sim.child_unit], dtype=object)
    outward = np.array([p.split(" ")[0] for p in sim.home_post], dtype=object)
    children = pl.DataFrame(
        {
            "child": np.arange(len(sim.child_id)),
            "CHILD": sim.child_id.tolist(),
            "male": sim.sex_male,
            "dob": sim.dob,
            "ETHNIC": sim.ethnic.tolist(),
            "UPN": sim.upn.tolist(),
            "MOTHER": sim.mother.tolist(),
            "CIN": sim.cin.tolist(),
            "HOME_POST": sim.home_post.tolist(),
        }
    )
    episodes = pl.DataFrame(
        {
            "child": sim.ep_child,
            "start": sim.ep_start,
            "end": sim.ep_end,
            "RNE": sim.ep_rne.tolist(),
            "LS": sim.ep_ls.tolist(),
            "place": sim.ep_place.tolist(),
            "PLACE_PROVIDER": sim.ep_provider.tolist(),
            "PL_POST": sim.ep_pl_post.tolist(),
            "URN": sim.ep_urn.tolist(),
            "rec": sim.ep_rec.tolist(),
            "reason": sim.ep_reason.tolist(),
        }
    )
    # Each child's period of care began with their first episode; a child to be adopted was
    # placed on a placement order (E1) on the first day of their first E1 episode.
    periods = episodes.group_by("child").agg(
        care_start=pl.col("start").min(),
        order_start=pl.col("start").filter(pl.col("LS") == "E1").min(),
    )
    children = children.join(periods, on="child", how="left").sort("child")
    missing = pl.DataFrame(
        {
            "child": sim.mi_child,
            "MISSING": sim.mi_kind.tolist(),
            "mis_start": sim.mi_start,
            "mis_end": sim.mi_end,
        }
    )
    counts = {"returns": 0, "header_rows": 0, "episode_rows": 0, "missing_rows": 0}
    # Each council's return of the year before, as written, for the faults whose rule
    # compares the two years (kept only with --faults).
    last_year: dict[str, dict[str, pl.DataFrame]] = {}
    for year in range(sim.config.first_year, sim.config.last_year + 1):
        lo, hi = year_start(year), year_end(year)
        council = reporting_codes(unit_codes, year, outward)
        kids = children.with_columns(council=pl.Series(council.tolist(), dtype=pl.String))
        eps = (
            episodes.filter((pl.col("start") <= hi) & (pl.col("end") >= lo))
            .join(kids, on="child", how="left")
            .with_columns(closed=pl.col("end") <= hi)
            .with_columns(
                DECOM=_dates(pl.col("start")),
                DEC=pl.when(pl.col("closed")).then(_dates(pl.col("end"))).otherwise(pl.lit("")),
                REC=pl.when(pl.col("closed")).then(pl.col("rec")).otherwise(pl.lit("")),
                REASON_PLACE_CHANGE=pl.when(pl.col("closed"))
                .then(pl.col("reason"))
                .otherwise(pl.lit("")),
                PLACE=_place_for_year(year),
            )
            .sort("CHILD", "start")
        )
        heads = (
            kids.join(eps.select("child").unique(), on="child", how="semi")
            .with_columns(
                SEX=pl.when(pl.col("male"))
                .then(pl.lit("1" if year <= 2024 else "M"))
                .otherwise(pl.lit("2" if year <= 2024 else "F")),
                DOB=_dates(pl.col("dob")),
                MC_DOB=pl.lit(""),
            )
            .sort("CHILD")
        )
        miss = (
            missing.filter(pl.col("mis_start").is_between(lo, hi))
            .join(kids, on="child", how="left")
            .with_columns(
                DOB=_dates(pl.col("dob")),
                MIS_START=_dates(pl.col("mis_start")),
                MIS_END=_dates(pl.col("mis_end")),
            )
            .sort("CHILD", "mis_start")
        )
        more = more_tables(heads, eps, year=year, lo=lo, hi=hi, seed=sim.config.seed)
        # An unaccompanied child's home postcode is not returned (rule 406).
        uasc = heads.filter(unaccompanied(sim.config.seed)).get_column("child").implode()
        eps = eps.with_columns(
            HOME_POST=pl.when(pl.col("child").is_in(uasc)).then(None).otherwise("HOME_POST")
        )
        this_year: dict[str, dict[str, pl.DataFrame]] = {}
        for code in sorted(set(heads["council"].to_list())):
            folder = out / code / str(year)
            folder.mkdir(parents=True, exist_ok=True)
            mine = pl.col("council") == code
            h = heads.filter(mine).select(HEADER_COLUMNS)
            e = eps.filter(mine).select(EPISODE_COLUMNS)
            m = miss.filter(mine).select(MISSING_COLUMNS)
            others = {
                FILE_NAMES[table]: frame.filter(mine).drop("council")
                for table, frame in more.items()
            }
            tables, faulty = plant(
                {"header.csv": h, "episodes.csv": e, "missing.csv": m, **others},
                count=faults,
                seed=sim.config.seed,
                council=code,
                year=year,
                previous=last_year.get(code),
            )
            # The CSV columns only: a fault only XML can carry sets a column they have not.
            for name, table in tables.items():
                _blank(table.select(COLUMNS[_TABLE_OF_FILE[name]])).write_csv(folder / name)
            if any(p.xml for p in faulty):
                faulty = _write_xml(tables, out / code / f"{year}.xml", faulty)
            planted.extend(faulty)
            counts["returns"] += 1
            counts["header_rows"] += h.height
            counts["episode_rows"] += e.height
            counts["missing_rows"] += m.height
            if faults:
                this_year[code] = tables
        last_year = this_year
    counts["providers"] = write_register(sim, out)
    truth = dict(sim.truth)
    truth["written"] = counts
    if faults:
        truth["faults_per_return"] = faults
        counts["faults"] = len(planted)
        write_faults(out, planted)
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=2, sort_keys=True) + "\n")
    return counts


def _write_xml(
    tables: dict[str, pl.DataFrame], path: Path, faulty: list[PlantedFault]
) -> list[PlantedFault]:
    """The return (tables by file name) as the DfE's XML, for the faults only XML can carry,
    each given the line of its child's <HEADER> as its row (the row the validator reports a
    record of the header, and of UASC, AD1 and OC3, at)."""
    write_xml({_TABLE_OF_FILE[name]: _blank(t) for name, t in tables.items()}, path)
    # The rows as the validator reads them: the reader's own line of each child's <HEADER>.
    header = read_return(path).tables[HEADER].unique("CHILD", keep="first")
    lines = dict(zip(header.get_column("CHILD"), header.get_column("_row"), strict=True))
    return [replace(p, row=lines[p.child]) if p.xml else p for p in faulty]


def _blank(frame: pl.DataFrame) -> pl.DataFrame:
    """Empty strings as nulls, so that a blank field is written as nothing at all."""
    return frame.with_columns(pl.all().replace("", None))


def _place_for_year(year: int) -> pl.Expr:
    """PLACE as the year's code list has it: from 2025-26 an open H5 episode is reported as
    K3 and Z1 as Z11 (the DfE allows these recodings across the year boundary)."""
    place = pl.col("place")
    if year >= 2026:
        return place.replace({"H5": "K3", "Z1": "Z11"})
    return place
