"""Test set-up shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The suite runs in test mode whatever the calling shell says.
os.environ["SIGHTLINE_MODE"] = "test"

# Every test: its logs (any level) and e-mails must not carry a child's name or date of birth.
# Tests (not the product) may read the published reference data beside the checkout.
os.environ.setdefault(
    "SIGHTLINE_REFERENCE_DIR", str(Path(__file__).resolve().parents[2] / "shared" / "reference")
)

from tests.security.pii import _pii_hooks, pii_scan  # noqa: F401


@pytest.fixture(autouse=True)
def _reference_geography(request: pytest.FixtureRequest) -> None:
    """Reference data (geography, police risk-grade lists) is loaded by migration; a
    transactional test's flush removes it. Reload it (idempotently) before any test that uses
    the database finds it missing.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        return
    transactional = marker.kwargs.get("transaction", False) or (
        len(marker.args) > 0 and marker.args[0]
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load
    from sightline.missing.models import RiskGrade, RiskGradeList
    from sightline.missing.reference import risk_grade_lists_load

    if not PoliceForce.objects.exists():
        reference_data_load()
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
