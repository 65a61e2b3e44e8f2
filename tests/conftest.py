"""Test set-up shared by the whole suite."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
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
            # A test database need not survive a crash: a commit does not wait for the disk.
            cursor.execute("SET synchronous_commit = off")


from django.db.backends.signals import connection_created  # noqa: E402

connection_created.connect(_allow_the_flush_to_empty_the_audit)

#: CI runs the suite twice at once, on PostgreSQL and on SQLite (``.ci/run``), and names each
#: run here. Locally (unset) every test runs.
CI_LEG = os.environ.get("SIGHTLINE_CI_LEG", "")
LEGS = ("postgresql", "sqlite")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``one_leg(LEG)`` gives the same answer whichever database the suite
    runs on (it starts its own SQLite database, or checks markup or files that no database
    changes), so CI runs it in that leg only rather than twice. Every other test runs in both.
    """
    for item in items:
        marker = item.get_closest_marker("one_leg")
        if marker is None:
            continue
        (leg,) = marker.args
        assert leg in LEGS, f"{item.nodeid}: one_leg({leg!r}) names no leg of CI"
        if CI_LEG in LEGS and leg != CI_LEG:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"runs in CI's {leg} run only: its outcome does not depend on "
                    "the suite's database (tests/conftest.py)"
                )
            )


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
    if not transactional:
        # The test's transaction never commits, so nothing would run on commit: seal audit
        # rows in the transaction that writes them (ADR 21). Transactional tests seal on
        # commit, as production does.
        request.getfixturevalue("settings").SIGHTLINE_AUDIT_SEAL = "in-transaction"
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load
    from sightline.missing.models import RiskGrade, RiskGradeList
    from sightline.missing.reference import risk_grade_lists_load

    if not PoliceForce.objects.exists():
        reference_data_load()
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)


REPO = Path(__file__).resolve().parents[1]


def seal_shared_world() -> None:
    """Seal the audit rows a module's shared world wrote, once, at the end of building it.

    A shared world is built in a transaction rolled back when its module ends, so nothing
    seals its rows; and each test seals in its own transaction (``SIGHTLINE_AUDIT_SEAL`` is
    ``in-transaction`` in tests), which seals every row waiting, then rolls back. Left
    unsealed, the world's hundreds of rows were sealed again by every audited look of every
    test: about two thirds of the authorisation matrix's time."""
    from sightline.audit.services import audit_seal

    audit_seal()


def migrate_database(url: str) -> None:
    """``manage.py migrate`` on the database at ``url``, in a process of its own (test mode,
    none of the calling shell's database settings), as a new deployment's database is."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}
    env.update(
        SIGHTLINE_MODE="test",
        DATABASE_URL=url,
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()[-3000:]


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database file migrated once a run, as ``manage.py migrate`` migrates a
    new one (the reference data its migrations load included). A test that needs a fresh,
    migrated SQLite database of its own (a worker, a second deployment, the demo) copies it
    with ``copy_migrated_sqlite`` rather than migrating again: 20-40 s each time."""
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
    migrate_database(f"sqlite:///{path}")
    return path


def copy_migrated_sqlite(template: Path, destination: Path) -> Path:
    """A copy of ``migrated_sqlite`` at ``destination``, made with SQLite's backup (whole and
    consistent whatever journal the template used)."""
    with (
        closing(sqlite3.connect(template)) as source,
        closing(sqlite3.connect(destination)) as target,
    ):
        source.backup(target)
    return destination
