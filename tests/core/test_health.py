import datetime as dt
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from sightline.audit.services import audit_append, audit_seal
from sightline.audit.verbs import AuditVerb
from sightline.core.timeutil import now

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "audit": "ok"}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_warns_when_an_audit_row_waits_too_long_for_its_seal(client, settings):
    # With the seal left to the worker and no worker sealing, a row written two minutes ago
    # is still unsealed: the health check says so, and the web process stays healthy (200).
    settings.SIGHTLINE_AUDIT_SEAL = "worker"
    settings.SIGHTLINE_AUDIT_SEAL_LATE_SECONDS = 60
    child = uuid.uuid4()
    fresh = audit_append(
        actor=None, verb=AuditVerb.AUDIT_VIEWED, obj=child, child=child, payload={"via": "test"}
    )
    assert fresh.seq is None
    assert client.get("/healthz").json()["audit"] == "ok"
    audit_append(
        actor=None,
        verb=AuditVerb.AUDIT_VIEWED,
        obj=child,
        child=child,
        payload={"via": "test"},
        at=now() - dt.timedelta(minutes=2),
    )
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "audit": "late"}
    audit_seal()
    assert client.get("/healthz").json()["audit"] == "ok"


def test_healthz_503_when_the_database_is_unreachable():
    # A real app process whose database server does not exist (nothing listens on port 1).
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SIGHTLINE_MODE": "test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere",
        "LOG_LEVEL": "CRITICAL",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"status": 503, "body": {"status": "unavailable", "database": "unreachable"}}
