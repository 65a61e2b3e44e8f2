"""Fixtures for the geography tests: the public ONS and DfE files beside the repository."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from sightline.geography import postcodes

# tests/geography/conftest.py -> repository root -> ../shared/reference
REFERENCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "reference"


def read_reference(name: str) -> list[dict[str, str]]:
    """Rows of a reference CSV, or skip the test if the reference folder is not there."""
    path = REFERENCE_DIR / name
    if not path.exists():
        pytest.skip(
            f"{path} is absent: the council and district tables are checked against the "
            "public ONS and DfE files in shared/reference, which sit beside the repository "
            "on the project's machines but are not shipped with it."
        )
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def all_keys() -> list[str]:
    """Every key in the mapped postcode directory, in ONSPD form ("S1  1AA", "SW1A1AA")."""
    packed = postcodes._get().keys.astype(">u8").tobytes()
    return [packed[i : i + 7].decode("ascii") for i in range(0, len(packed), 8)]
