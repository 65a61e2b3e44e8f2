"""Idle and absolute timeouts; a disabled user's sessions end at once."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.urls import reverse

from tests import factories
from tests.auth.conftest import Scene

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def timeouts(settings):
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_ABSOLUTE_HOURS = 12


def test_idle_for_30_minutes_signs_out(scene: Scene, timeouts):
    with time_machine.travel(START, tick=False) as frozen:
        client = factories.signed_in(scene.sam)
        assert client.get(reverse("home")).status_code == 200
        frozen.move_to(START + dt.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200
        frozen.move_to(START + dt.timedelta(minutes=29 + 30))
        child = reverse("child_detail", args=[scene.ada.id])
        response = client.get(child)
        assert response.status_code == 302
        assert response.url == f"{reverse('login')}?next={child.replace('/', '%2F')}"
        assert "_auth_user_id" not in client.session
        page = client.get(response.url).content.decode()
        assert "You were signed out because you had not used Sightline for 30 minutes" in page


def test_12_hours_after_signing_in_signs_out_however_busy(scene: Scene, timeouts):
    with time_machine.travel(START, tick=False) as frozen:
        client = factories.signed_in(scene.sam)
        for minutes in range(20, 12 * 60, 20):  # every 20 minutes until 11:40 in
            at = START + dt.timedelta(minutes=minutes)
            frozen.move_to(at)
            assert client.get(reverse("home")).status_code == 200, at
        frozen.move_to(START + dt.timedelta(hours=12))
        response = client.get(reverse("home"))
        assert response.url == reverse("login")
        page = client.get(response.url).content.decode()
        assert "You were signed out because you signed in more than 12 hours ago" in page


def test_disabling_a_user_ends_their_sessions_at_once(scene: Scene):
    client = factories.signed_in(scene.sam)
    other = factories.signed_in(scene.sam)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 2
    scene.sam.is_active = False
    scene.sam.save(update_fields=["is_active"])
    assert client.get(reverse("home")).url.startswith(reverse("login"))
    assert other.get(reverse("child_detail", args=[scene.ada.id])).status_code == 302
    # Both sessions are gone from the store, not only refused.
    remaining = [s.get_decoded() for s in Session.objects.all()]
    assert not any("_auth_user_id" in data for data in remaining)


def test_disabling_through_the_people_page(scene: Scene):
    """An administrator deactivates someone on Sightline's own page (not the Django admin):
    their sessions end at once, and the change is on the audit chain."""
    from sightline.audit.models import AuditEvent
    from sightline.audit.verbs import AuditVerb
    from sightline.organisations.models import Role

    admin = factories.user(scene.sam.organisation, Role.ADMINISTRATOR, username="root")
    victim = factories.signed_in(scene.sam)
    assert victim.get(reverse("home")).status_code == 200
    console = factories.signed_in(admin)
    page = reverse("person_status", args=[scene.sam.pk])
    assert "Deactivate" in console.get(page).content.decode()
    saved = console.post(page, {"active": "no"})
    assert saved.status_code == 302 and saved.url == reverse("person_detail", args=[scene.sam.pk])
    scene.sam.refresh_from_db()
    assert not scene.sam.is_active
    assert victim.get(reverse("home")).url.startswith(reverse("login"))
    row = AuditEvent.objects.get(verb=AuditVerb.PERSON_STATUS_CHANGED)
    assert (row.user_id, row.object_id, row.payload) == (
        admin.pk,
        str(scene.sam.pk),
        {"old_active": True, "new_active": False},
    )


def _settings_in(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DATABASE_", "SIGHTLINE_", "SESSION_"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )


def test_defaults_and_environment():
    out = _settings_in({"SIGHTLINE_MODE": "demo"}, "SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS")
    assert json.loads(out.stdout) == {"SESSION_IDLE_MINUTES": 30, "SESSION_ABSOLUTE_HOURS": 12}
    out = _settings_in(
        {"SIGHTLINE_MODE": "demo", "SESSION_IDLE_MINUTES": "15", "SESSION_ABSOLUTE_HOURS": "8"},
        "SESSION_IDLE_MINUTES",
        "SESSION_ABSOLUTE_HOURS",
        "SESSION_COOKIE_AGE",
    )
    assert json.loads(out.stdout) == {
        "SESSION_IDLE_MINUTES": 15,
        "SESSION_ABSOLUTE_HOURS": 8,
        "SESSION_COOKIE_AGE": 8 * 3600,
    }


def test_production_refuses_to_turn_the_timeouts_off():
    out = _settings_in(
        {
            "SIGHTLINE_MODE": "production",
            "SECRET_KEY": "k" * 60,
            "DATABASE_URL": "postgres://app@db.example/sightline",
            "SESSION_IDLE_MINUTES": "0",
        },
        "MODE",
    )
    assert out.returncode != 0
    assert "SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS must be more than 0" in out.stderr
