"""``SIGHTLINE_AUDIT_SEAL=worker`` (ADR 21, amended): a web request only inserts its audit
rows; a real ``sightline worker`` process seals them, and the chain verifies.

PostgreSQL only: the worker is another process on the same database (an in-memory SQLite
database cannot be shared with it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.selectors import audit_verify
from sightline.audit.verbs import AuditVerb
from tests.factories import signed_in
from tests.missing.conftest import make_world

REPO = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: the worker is another process on the test's database.",
    ),
    pytest.mark.django_db(transaction=True),
]


def _database_url() -> str:
    s = connection.settings_dict
    user, password = quote(s.get("USER") or ""), quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{s.get('HOST') or 'localhost'}:{s.get('PORT') or 5432}/{s['NAME']}"


def test_rows_a_web_request_wrote_are_sealed_by_the_worker_process(settings):
    settings.SIGHTLINE_AUDIT_SEAL = "worker"
    world = make_world()
    response = signed_in(world.social_worker).get(reverse("child_detail", args=[world.child.id]))
    assert response.status_code == 200

    # The request committed its look unsealed: no seal ran in the web process.
    look = AuditEvent.objects.filter(
        verb=str(AuditVerb.CHILD_VIEWED), child_id=world.child.id
    ).get()
    assert look.seq is None and look.hash is None
    waiting = AuditEvent.objects.filter(seq__isnull=True).count()
    assert waiting >= 1
    assert audit_verify().unsealed == waiting

    # The worker (its own process, its own connection) seals every row waiting.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "EMAIL_", "NOTIFY_", "SIGHTLINE_"))
    }
    env.update(
        DATABASE_URL=_database_url(),
        SIGHTLINE_MODE="test",
        SIGHTLINE_AUDIT_SEAL="worker",
        EMAIL_URL="smtp://127.0.0.1:1",
        PYTHONPATH=os.pathsep.join([str(REPO / "src"), str(REPO)]),
    )
    subprocess.run(
        [sys.executable, "-m", "sightline.cli", "worker", "--batch"],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )

    look.refresh_from_db()
    assert look.seq is not None and look.hash
    assert not AuditEvent.objects.filter(seq__isnull=True).exists()
    result = audit_verify()
    assert result.intact, result
    assert result.unsealed == 0
