"""Run Sightline's validator on one return through its module API, with a choice of rules.

``sightline returns validate`` always runs every rule; to compare with the peer on the rules
both implement, the benchmark starts this module in a fresh process instead
(``python -m benchmarks.returns.sightline_runner FOLDER --year Y --council 356 --rules ...``),
which does what the command does, through the same functions, with only the chosen rules:
read the files (``reader.read_return``), prepare the frames (``derive.prepare``: dates,
postcodes, PL_LA, PL_LOCATION, PL_DISTANCE, neighbouring episodes), run the rules
(``validation.run_rules``) and write the list of every failing record as CSV
(``validation.as_csv``; to a file, as the peer's list is built but not printed).

It writes a JSON summary with the time of each phase and how many records fail each rule. It
needs Django set up against a migrated database (``derive`` reads the districts' councils
from it): the benchmark passes ``DATABASE_URL`` of one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.returns.sightline_runner")
    parser.add_argument(
        "folder", nargs="?", help="a folder with header.csv, episodes.csv, missing.csv"
    )
    parser.add_argument("--year", type=int, help="collection year, e.g. 2025")
    parser.add_argument("--council", help="the reporting council's DfE code, e.g. 356")
    parser.add_argument("--rules", default="", help="comma-separated rule codes (all)")
    parser.add_argument("--out", help="JSON summary to write")
    parser.add_argument(
        "--info",
        action="store_true",
        help="print, as JSON, every rule code and the council's codes and name, and stop",
    )
    args = parser.parse_args(argv)
    if not args.council or not (args.info or (args.folder and args.year and args.out)):
        parser.error("give FOLDER, --year, --council and --out (or --info and --council)")

    phases: dict[str, float] = {}
    mark = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        phases[name] = round(now - mark, 3)
        mark = now

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # As `sightline returns` does (its module says why): one OpenBLAS thread.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import django

    django.setup()
    from sightline.geography.selectors import council_by_code
    from sightline.returns.derive import Context, prepare
    from sightline.returns.reader import read_return
    from sightline.returns.rules import RULES
    from sightline.returns.schema import CollectionYear
    from sightline.returns.validation import Report, as_csv, run_rules

    phase("import")
    council = council_by_code(code=args.council)
    if args.info:
        info = {
            "rules": sorted({r.code for r in RULES}),
            "council": {"dfe": council.dfe_code, "ons": council.ons_code, "name": council.name},
        }
        print(json.dumps(info))
        return 0
    codes = [code for code in args.rules.split(",") if code]
    known = {r.code for r in RULES}
    unknown = sorted(set(codes) - known)
    if unknown:
        print(f"Sightline has no rules {', '.join(unknown)}.", file=sys.stderr)
        return 2
    rules = [r for r in RULES if r.code in codes] if codes else list(RULES)

    tables = read_return(Path(args.folder))
    phase("read")
    context = Context(year=CollectionYear(args.year), council=council.ons_code)
    frames = prepare(tables, context)
    phase("prepare")
    results = run_rules(frames, rules)
    phase("rules")
    report = Report(
        results=results,
        source_name=tables.source_name,
        context=context,
        records={table: frame.height for table, frame in tables.tables.items()},
        rules_run=len(rules),
    )
    listing = as_csv(report)
    Path(args.out).with_suffix(".csv").write_text(listing)
    phase("list of failing records")
    failing = Counter(results["rule"].to_list())
    summary = {
        "phases_s": phases,
        "records": report.records,
        "rules_selected": len(rules),
        "rules_run": sorted({r.code for r in rules}),
        "failing_records": dict(sorted(failing.items())),
        "issue_rows": results.height,
    }
    Path(args.out).write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
