"""Record what the peer validator finds in the agreement fixture of the nine tables.

    PYTHONPATH=src:. python tools/peer_agreement_tables.py --peer-python /tmp/peer-venv/bin/python

1. Writes the fixture, ``tests/returns/agreement_tables/356/2025/`` (twelve CSV files): a small
   synthetic return built by ``tests/returns/builders*.py`` with one planted fault for each of
   a list of the nine tables' rules (``FAULTS``), each on its own record.
2. Runs the peer, ``csc-validator-be-903`` (in its own virtual environment: it pins pandas
   below 2; see benchmarks/returns/peer.py), offline on those files with the rules Sightline
   implements for the nine tables, and writes every failing record it reports (rule, table,
   row as Sightline numbers rows, child) with the peer's version to
   ``tests/returns/agreement_tables/peer_findings.json``.

``tests/returns/test_agreement.py`` compares Sightline's findings with that file and pins each
difference with its reason. Run this again after changing the fixture or the peer's version.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "returns" / "agreement_tables" / "356" / "2025"
FINDINGS = ROOT / "tests" / "returns" / "agreement_tables" / "peer_findings.json"
YEAR, COUNCIL_ONS = 2025, "E08000007"

#: (table, record, change): each on its own record of a valid return.
FAULTS: tuple[tuple[str, int, dict[str, str]], ...] = (
    ("UASC", 0, {"DUC": "31/02/2025"}),  # 104
    ("Reviews", 0, {"REVIEW_CODE": "PN9"}),  # 167
    ("Reviews", 1, {"REVIEW": "2024-05-01"}),  # 166
    ("Reviews", 2, {"DOB": "01/01/2001"}),  # INT17
    ("Reviews", 3, {"CHILD": "9999"}),  # INT08
    ("AD1", 0, {"LS_ADOPTR": "L11", "SEX_ADOPTR": "MM"}),  # 520
    ("AD1", 1, {"DATE_INT": "01/02/2024", "DATE_MATCH": "15/01/2024"}),  # 333 (dates)
    ("AD1", 2, {"FOSTER_CARE": "7"}),  # 114
    ("PlacedAdoption", 0, {"DATE_PLACED_CEASED": "01/06/2024"}),  # 119
    ("PlacedAdoption", 1, {"REASON_PLACED_CEASED": "RD9", "DATE_PLACED_CEASED": "01/06/2024"}),
    ("PrevPerm", 0, {"PREV_PERM": "P9", "LA_PERM": "356", "DATE_PERM": "01/01/2015"}),  # 631
    ("PrevPerm", 1, {"PREV_PERM": "P1", "LA_PERM": "000", "DATE_PERM": "01/01/2015"}),  # 633
    ("OC2", 0, {"SDQ_SCORE": "41"}),  # 180
    ("OC2", 1, {"TEETH_CHECK": "2"}),  # 181
    ("OC2", 2, {"SUBSTANCE_MISUSE": "1"}),  # 192, 159
    ("OC3", 0, {"IN_TOUCH": "NOPE"}),  # 131
    ("OC3", 1, {"ACTIV": "0"}),  # 345
    ("SWEpisodes", 0, {"SW_ID": "AB12"}),  # SW02STG1
    ("SWEpisodes", 1, {"SW_REASON": "BORED"}),  # SW13STG1
    ("SWEpisodes", 2, {"SW_DECOM": "32/01/2024"}),  # SW04STG1 (and SW01a/b)
    ("PlacedAdoption", 2, {"DATE_PLACED": "02/05/2024"}),  # 523 (with AD1)
    ("OC3", 2, {"ACCOM": "T2"}),  # a third care leaver, for 215 below
    ("OC2", 3, {"HEALTH_CHECK": "1"}),  # 215: OC2 items for a care leaver (see write_fixture)
    ("OC3", 1, {"ACCOM": "T"}),  # 347: a foyer under 18
    ("PrevPerm", 2, {"DATE_PERM": "ZZ/13/2015"}),  # 632: not a date
    ("OC2", 4, {"SDQ_SCORE": "", "SDQ_REASON": "SDQ1"}),  # 157
    ("AD1", 0, {"NB_ADOPTR": ""}),  # 601: adopted, adoption items incomplete
    ("SWEpisodes", 3, {"SW_DEC": "28/03/2025"}),  # SW11bSTG2: ended days before 31 March
)

_RUNNER = r"""
import json, sys, logging
from pathlib import Path
import importlib.metadata as m
logging.disable(logging.CRITICAL)
from lac_validator.lac_validator import LacValidator, create_issue_df
from lac_validator.report import Report
from lac_validator.utils import process_uploaded_files
import importlib
folder, year, council, codes, out = sys.argv[1:6]
year = int(year)
registry = importlib.import_module(f"lac_validator.rules.lac{year - 1}_{str(year)[2:]}").registry
wanted = sorted(c for c in codes.split(",") if c in registry)
files = process_uploaded_files({"This year": [str(p) for p in sorted(Path(folder).glob("*.csv"))]})
validator = LacValidator(metadata={"collectionYear": str(year), "localAuthority": council},
                         files=files, registry=registry, selected_rules=wanted)
report = Report(validator.ds_results, registry)
counts = report.error_report
issues = create_issue_df(report.report, counts) if int(counts["Count"].sum()) else None
found = []  # one per record: the peer lists a record once per field it names
if issues is not None:
    for row in issues.to_dict("records"):
        found.append({"rule": str(row["rule_code"]), "table": str(row["tables_affected"]),
                      "row": int(row["row_id"]) + 2, "child": str(row["child_id"])})
Path(out).write_text(json.dumps({
    "peer": "csc-validator-be-903", "version": m.version("csc-validator-be-903"),
    "year": year, "council": council, "rules_run": sorted(validator.dones),
    "rules_failed_to_run": sorted(validator.fails), "rules_asked": wanted,
    "findings": sorted({json.dumps(f, sort_keys=True): f for f in found}.values(),
                       key=lambda f: (f["rule"], f["table"], f["row"])),
}, indent=1) + "\n")
"""


def write_fixture() -> None:
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    from tests.returns import builders, builders_more

    rows = builders.build(children=24, year=YEAR, seed=904)
    more = builders_more.build_more(rows, year=YEAR)
    # More records in the small tables, so that each fault has its own: copies of the one
    # the builder makes, each set of tables for children of its own (AD1 and PlacedAdoption
    # together, as a child's adoption is in both).
    children = [h for h in rows.header if any(e["CHILD"] == h["CHILD"] for e in rows.episodes)]
    taken = {r["CHILD"] for t in ("UASC", "AD1", "OC2", "OC3") for r in more[t]}
    free = [h for h in children if h["CHILD"] not in taken]
    for tables, count in ((("AD1", "PlacedAdoption"), 2), (("OC2",), 2), (("OC3",), 2)):
        chosen, free = free[:count], free[count:]
        for header in chosen:
            for table in tables:
                copy = dict(more[table][0], CHILD=header["CHILD"], DOB=header["DOB"])
                more[table].append(copy)
    # 215 and 134: an OC2 and an AD1 record for the third care leaver.
    leaver = more["OC3"][2]
    more["OC2"].append(dict(more["OC2"][0], CHILD=leaver["CHILD"], DOB=leaver["DOB"]))
    more["AD1"].append(dict(more["AD1"][0], CHILD=leaver["CHILD"], DOB=leaver["DOB"]))
    for table, record, change in FAULTS:
        more[table][record].update(change)
    # Records beside those the builder makes: a second decision to place the child of
    # PlacedAdoption's third record, the first still open (583, 579); a Header child with no
    # episode or care leaver data (EPI); a home postcode for the UASC child (406).
    more["PlacedAdoption"].append(dict(more["PlacedAdoption"][2], DATE_PLACED="01/09/2024"))
    rows.header.append(dict(rows.header[-1], CHILD="9990", UPN="Z999999999999"))
    uasc = more["UASC"][0]["CHILD"]
    home = next(e["HOME_POST"] for e in rows.episodes if e["HOME_POST"])
    next(e for e in rows.episodes if e["CHILD"] == uasc)["HOME_POST"] = home
    for old in FIXTURE.glob("*.csv"):
        old.unlink()
    builders_more.write_csv(rows, more, FIXTURE)


def codes() -> list[str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SIGHTLINE_MODE", "test")
    import django

    django.setup()
    import sightline.returns.rules  # noqa: F401  (registers every rule)
    from sightline.returns.rules_common import YEARS

    return sorted({code for code, _table in YEARS if not code.startswith("SL")})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", required=True, help="the peer venv's python")
    args = parser.parse_args()
    write_fixture()
    with tempfile.TemporaryDirectory() as work:
        runner = Path(work) / "runner.py"
        runner.write_text(_RUNNER)
        out = Path(work) / "out.json"
        done = subprocess.run(  # noqa: S603  (the operator names the peer python)
            [args.peer_python, str(runner), str(FIXTURE), str(YEAR), COUNCIL_ONS,
             ",".join(codes()), str(out)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        FINDINGS.write_text(out.read_text())
    print(f"wrote {FINDINGS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
