"""A return of about 200 MB of XML, for issue 16's bounded-memory import.

The synthetic England's largest single-year return (every council's 2025/26 returns together,
117,614 children) is 148 MB as XML. This writes that return plus a copy of a share of its
children (``--share``, 0.4 by default: about 203 MB) with new CHILD ids ("9" + the id) and
UPNs (the council's digits replaced by 999, which is no council's), then validates it with
``sightline returns validate`` and writes it again without the children whose records fail a
rule (as one council's return, the others' own-provision placements fail 1015; a few fail rules
on children placed by different councils brought together), so that ``sightline returns
import`` accepts it::

    .venv/bin/python -m benchmarks.returns --sizes 1000 --no-peer --no-import  # the England
    .venv/bin/python -m benchmarks.returns.large --out var/bench/large.xml
    /usr/bin/time -v .venv/bin/sightline returns import var/bench/large.xml \\
        --council 356 --year 2026 --quiet

Run it with ``DATABASE_URL`` and ``SIGHTLINE_MODE=demo`` set to a migrated database
(``sightline migrate``), which ``returns validate`` reads the council from.
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl

from benchmarks.returns.dataset import england_folder, national_tables
from benchmarks.returns.run import _sightline

YEAR = 2026


def _with_copies(tables: dict[str, pl.DataFrame], share: float) -> dict[str, pl.DataFrame]:
    header = tables["Header"]
    chosen = header.sample(fraction=share, seed=903)["CHILD"]
    out = {}
    for table, frame in tables.items():
        copy = frame.filter(pl.col("CHILD").is_in(chosen)).with_columns(CHILD="9" + pl.col("CHILD"))
        if table == "Header":
            copy = copy.with_columns(
                UPN=pl.when(pl.col("UPN").str.contains(r"^[A-Z][0-9]{12}$"))
                .then(pl.col("UPN").str.slice(0, 1) + "999" + pl.col("UPN").str.slice(4))
                .otherwise(pl.col("UPN"))
            )
        out[table] = pl.concat([frame, copy])
    if out["Header"]["CHILD"].str.len_chars().max() > 10:  # type: ignore[operator]
        raise SystemExit("A CHILD id would be longer than the 10 characters a return allows.")
    return out


def _failing_children(path: Path, council: str) -> set[str]:
    with tempfile.TemporaryDirectory() as folder:
        results = Path(folder) / "results.csv"
        cmd = [
            *_sightline(),
            *("returns", "validate", str(path), "--council", council, "--year", str(YEAR)),
            *("--format", "csv", "--output", str(results)),
        ]
        done = subprocess.run(cmd, check=False)
        if done.returncode not in (0, 1):
            raise SystemExit(f"returns validate failed with status {done.returncode}")
        with results.open(newline="") as handle:
            return {row["child"] for row in csv.DictReader(handle) if row["child"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work-dir", type=Path, default=Path("var/bench"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--share", type=float, default=0.4)
    parser.add_argument("--council", default="356")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    from sightline.returns.writer import write_xml

    england = england_folder(args.work_dir / "returns", seed=args.seed, year=YEAR, scale=1.0)
    tables = _with_copies(
        {t: f.drop("_council") for t, f in national_tables(england, YEAR).items()}, args.share
    )
    write_xml(tables, args.out)
    failing = _failing_children(args.out, args.council)
    clean = {t: f.filter(~pl.col("CHILD").is_in(sorted(failing))) for t, f in tables.items()}
    write_xml(clean, args.out)
    size = args.out.stat().st_size / 1e6
    print(
        f"{args.out}: {size:.1f} MB, {clean['Header'].height} children "
        f"({len(failing)} left out for failing a rule)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
