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


def _allow_the_flush_to_empty_the_audit(sender, connection, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """pytest-django empties the tables between transactional tests with TRUNCATE, which the
    audit's statement trigger refuses (audit migration 0004). The trigger lets it through
    for a session that sets this, on a database named test_..., to the table's owner or a
    superuser (who could drop the trigger anyway); tests of the refusal unset it."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET sightline.audit_truncate = 'allow-in-tests'")


from django.db.backends.signals import connection_created  # noqa: E402

connection_created.connect(_allow_the_flush_to_empty_the_audit)


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
