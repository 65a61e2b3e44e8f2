"""Record the peer validator's findings on the agreement fixtures, for
``tests/returns/test_peer_agreement.py`` (which needs no peer: it reads what this writes).

The peer, ``csc-validator-be-903`` (``lac_validator``), lives in its own virtual environment
(pandas below 2), never in Sightline's::

    python3.11 -m venv /tmp/peer-venv && /tmp/peer-venv/bin/pip install csc-validator-be-903==0.1.17
    /tmp/peer-venv/bin/python tools/peer_agreement.py

Each fixture is a folder of ``tests/returns/agreement/`` named ``<dfe code>-<year>`` (the
collection year by its end), holding header.csv, episodes.csv and missing.csv, and perhaps
``previous/`` with last year's. The peer runs every rule of the year's set on it; what each
rule finds (table and spreadsheet row, the header line being row 1) goes to
``tests/returns/agreement/peer_findings.json`` with the peer's version. This file imports
nothing from Sightline, so that it runs in the peer's environment.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import sys
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / "tests" / "returns" / "agreement"
FILES = ("header.csv", "episodes.csv", "missing.csv")
#: The ONS code the peer takes as the reporting council, by DfE code.
COUNCILS = {"356": "E08000007"}


def findings(folder: Path, year: int, council: str) -> dict[str, list[list[object]]]:
    from lac_validator.lac_validator import LacValidator
    from lac_validator.utils import process_uploaded_files

    registry = importlib.import_module(
        f"lac_validator.rules.lac{year - 1}_{str(year)[2:]}"
    ).registry
    uploads = {"This year": [str(folder / name) for name in FILES]}
    previous = folder / "previous"
    if previous.is_dir():
        uploads["Prev year"] = [str(previous / name) for name in FILES]
    files = process_uploaded_files(uploads)
    validator = LacValidator(
        metadata={"collectionYear": str(year), "localAuthority": council},
        files=files,
        registry=registry,
    )
    found: dict[str, list[list[object]]] = {}
    for table in ("Header", "Episodes", "Missing"):
        frame = validator.ds_results.get(table)
        if frame is None:
            continue
        for column in (c for c in frame.columns if str(c).startswith("ERR_")):
            rows = [int(i) + 2 for i in frame.index[frame[column].fillna(False).astype(bool)]]
            if rows:
                found.setdefault(column[4:], []).extend([table, row] for row in sorted(rows))
    return {
        "rules_run": sorted(validator.dones),
        "rules_failed_to_run": sorted(validator.fails),
        "findings": dict(sorted(found.items())),
    }


def main() -> int:
    logging.disable(logging.CRITICAL)
    result = {
        "peer": "csc-validator-be-903",
        "peer_version": importlib.metadata.version("csc-validator-be-903"),
        "fixtures": {},
    }
    for folder in sorted(p for p in FOLDER.iterdir() if p.is_dir()):
        code, year = folder.name.split("-")
        result["fixtures"][folder.name] = findings(folder, int(year), COUNCILS[code])
    out = FOLDER / "peer_findings.json"
    out.write_text(json.dumps(result, indent=1) + "\n")
    print(f"Wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
