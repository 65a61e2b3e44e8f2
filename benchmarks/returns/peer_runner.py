"""Run the peer validator, ``csc-validator-be-903`` (``lac_validator``), on one return.

This file runs in the peer's own virtual environment (pandas below 2), never in Sightline's:
it imports nothing from Sightline or from the benchmark. The benchmark starts it as
``<peer python> peer_runner.py validate ...`` in a fresh process and measures that process.

``validate`` does what the peer's back end does with an upload: read the CSV files
(``read_from_text``, which recognises each table by its columns), build the data store
(``LacValidator``: postcodes, PL_LA, PL_LOCATION, PL_DISTANCE), run the rules of the year's
rule set (all, or only ``--rules``), then build the report (``Report``) and the list of every
failing record (``create_issue_df``), as Sightline's ``returns validate`` lists every failing
record. It writes a JSON summary: the time of each phase, the rules run, skipped and failed,
and how many records fail each rule.

``rules`` prints the year's rule codes, one a line.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time
from pathlib import Path


def _registry(year: int) -> dict:
    ruleset = f"lac{year - 1}_{str(year)[2:]}"
    return importlib.import_module(f"lac_validator.rules.{ruleset}").registry


def _validate(args: argparse.Namespace) -> int:
    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 3)
        mark = now

    from lac_validator.lac_validator import LacValidator, create_issue_df
    from lac_validator.report import Report
    from lac_validator.utils import process_uploaded_files

    registry = _registry(args.year)
    phase("import")
    selected = None
    if args.rules:
        selected = [code for code in args.rules.split(",") if code]
        unknown = sorted(set(selected) - set(registry))
        if unknown:
            print(f"The peer has no rules {', '.join(unknown)}.", file=sys.stderr)
            return 2
    folder = Path(args.folder)
    # Every CSV file of the return (all twelve tables): the peer recognises each by its columns.
    files = process_uploaded_files({"This year": [str(p) for p in sorted(folder.glob("*.csv"))]})
    metadata = {"collectionYear": str(args.year), "localAuthority": args.council}
    validator = LacValidator(
        metadata=metadata, files=files, registry=registry, selected_rules=selected
    )
    phase("read, data store and rules")
    report = Report(validator.ds_results, registry)
    counts = report.error_report
    phase("report")
    issues = create_issue_df(report.report, counts) if int(counts["Count"].sum()) else None
    phase("list of failing records")
    summary = {
        "phases_s": phases,
        "records": {
            table: len(frame)
            for table, frame in validator.dfs.items()
            if not table.endswith("_last")
        },
        "rules_selected": len(selected) if selected else len(registry),
        "rules_run": sorted(validator.dones),
        "rules_skipped": sorted(validator.skips),
        "rules_failed": sorted(validator.fails),
        "failing_records": {
            str(row.Code): int(row.Count) for row in counts.itertuples() if int(row.Count) > 0
        },
        "issue_rows": 0 if issues is None else len(issues),
    }
    Path(args.out).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="peer_runner.py")
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate")
    validate.add_argument("folder", help="a folder of the return's CSV files")
    validate.add_argument("--year", type=int, required=True, help="collection year, e.g. 2025")
    validate.add_argument("--council", required=True, help="ONS code, e.g. E08000007")
    validate.add_argument("--rules", default="", help="comma-separated rule codes (all)")
    validate.add_argument("--out", required=True, help="JSON summary to write")
    listing = commands.add_parser("rules")
    listing.add_argument("--year", type=int, required=True)
    args = parser.parse_args(argv)
    if args.command == "rules":
        logging.disable(logging.CRITICAL)
        for code in sorted(_registry(args.year)):
            print(code)
        return 0
    return _validate(args)


if __name__ == "__main__":
    sys.exit(main())
