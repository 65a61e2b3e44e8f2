"""Record what the peer validator finds with Ofsted's register of providers (ADR 0056).

    PYTHONPATH=src:. python tools/peer_agreement_providers.py --peer-python PEER_VENV/bin/python

1. Writes the fixture, ``tests/returns/agreement_providers/``: a small synthetic 2025/26
   return (``356/2026/``, built by ``tests/returns/builders.py``) and a synthetic register of
   its providers (``providers.csv``, Ofsted's provider-level columns, synthetic URNs), with
   every fault of ``tests/returns/builders_providers.FAULTS`` planted, each on its own child.
2. Runs the peer, ``csc-validator-be-903``, offline on the return with the eight rules that
   read the register, giving it the register as its ``provider_info`` (the table it builds
   from Ofsted's spreadsheets), derived the way Sightline reads it (``returns/providers.py``:
   placement and provider codes, postcode, council), and writes every failing record it
   reports to ``tests/returns/agreement_providers/peer_findings.json``.

``tests/returns/test_agreement_providers.py`` compares Sightline's findings with that file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "tests" / "returns" / "agreement_providers"
FIXTURE = HERE / "356" / "2026"
REGISTER = HERE / "providers.csv"
FINDINGS = HERE / "peer_findings.json"
YEAR, COUNCIL_ONS = 2026, "E08000007"
CODES = ("1008", "219", "221", "224", "227", "228", "229", "241")

_RUNNER = r"""
import json, sys, logging
from pathlib import Path
import importlib, importlib.metadata as m
import pandas as pd
logging.disable(logging.CRITICAL)
from lac_validator.lac_validator import LacValidator, create_issue_df
from lac_validator.report import Report
from lac_validator.utils import process_uploaded_files
folder, year, council, codes, providers, out = sys.argv[1:7]
year = int(year)
registry = importlib.import_module(f"lac_validator.rules.lac{year - 1}_{str(year)[2:]}").registry
wanted = sorted(c for c in codes.split(",") if c in registry)
info = pd.DataFrame(json.loads(Path(providers).read_text()))
info["REG_END"] = pd.to_datetime(info["REG_END"], format="%d/%m/%Y", errors="coerce")
files = process_uploaded_files({"This year": [str(p) for p in sorted(Path(folder).glob("*.csv"))]})
validator = LacValidator(
    metadata={"collectionYear": str(year), "localAuthority": council, "provider_info": info},
    files=files, registry=registry, selected_rules=wanted)
report = Report(validator.ds_results, registry)
counts = report.error_report
issues = create_issue_df(report.report, counts) if int(counts["Count"].sum()) else None
found = []
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


def write_fixture() -> list[dict[str, object]]:
    """Write the return and the register; the register as the peer's ``provider_info``."""
    sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SIGHTLINE_MODE", "test")
    import django

    django.setup()
    from sightline.returns.providers import PLACES_BY_PROVISION, PROVIDERS_BY_SECTOR
    from tests.returns import builders
    from tests.returns.builders_providers import (
        COUNCIL_NAMES,
        FAULTS,
        first,
        register_for,
        write_register,
    )

    rows = builders.build(children=30, year=YEAR, seed=56)
    register = register_for(rows.episodes)
    taken: set[str] = set()
    for plant in FAULTS:
        plant(rows, register, taken)
    # No fault: supported accommodation in another council, where the provider is (the
    # peer's 241 compares PL_LA with the reporting council and reports it).
    episode, provider = first(
        rows, register, lambda e: e["PLACE_PROVIDER"] == "PR4" and e["PL_POST"][:2] != "SK", taken
    )
    episode["PLACE"] = "K3"
    provider["Provision type"] = "Supported accommodation"
    for old in FIXTURE.glob("*.csv"):
        old.unlink()
    builders.write_csv(rows, FIXTURE)
    write_register(register, REGISTER)
    councils = {name: code for code, name in COUNCIL_NAMES.items()}
    return [
        {
            "URN": p["URN"],
            "PLACE_CODES": ",".join(PLACES_BY_PROVISION[p["Provision type"].lower()]),
            "PROVIDER_CODES": ",".join(PROVIDERS_BY_SECTOR[p["Sector"].lower()]),
            "REG_END": p["Deregistration date"] or None,
            "POSTCODE": p["Postcode"].replace(" ", "").upper() or None,
            "LA_CODE_INFERRED": councils[p["Local authority"]],
        }
        for p in register
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-python", required=True, help="the peer venv's python")
    args = parser.parse_args()
    info = write_fixture()
    with tempfile.TemporaryDirectory() as work:
        runner = Path(work) / "runner.py"
        runner.write_text(_RUNNER)
        providers = Path(work) / "providers.json"
        providers.write_text(json.dumps(info))
        out = Path(work) / "out.json"
        done = subprocess.run(  # noqa: S603  (the operator names the peer python)
            [args.peer_python, str(runner), str(FIXTURE), str(YEAR), COUNCIL_ONS,
             ",".join(CODES), str(providers), str(out)],
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
