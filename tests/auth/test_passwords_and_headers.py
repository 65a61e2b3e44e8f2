"""Passwords per NCSC guidance; security headers; `check --deploy` with production settings."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from sightline.organisations.models import User
from tests import factories
from tests.auth.conftest import Scene

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short pass", "too short"),
        ("password1234", "too common"),
        ("samantha.tester", "too similar"),
    ],
)
def test_weak_passwords_are_refused(password, why):
    user = User(username="samantha.tester", first_name="Samantha", last_name="Tester")
    with pytest.raises(ValidationError) as raised:
        validate_password(password, user)
    assert why in " ".join(raised.value.messages).lower()


@pytest.mark.parametrize(
    "password",
    ["correct horse battery staple", "all lower case and long", "123456789012ab"],
)
def test_no_composition_rules_only_length(password):
    # NCSC: length, and no rules about capitals, digits or symbols.
    validate_password(password, User(username="x"))


def test_argon2_outside_the_test_suite():
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings;"
            "print(settings.PASSWORD_HASHERS[0])",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("SIGHTLINE_")},
            "SIGHTLINE_MODE": "demo",
            "DJANGO_SETTINGS_MODULE": "config.settings",
        },
    )
    assert out.stdout.strip() == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.mark.django_db
def test_security_headers(scene: Scene):
    for response in (
        Client().get(reverse("login")),
        factories.signed_in(scene.sam).get(reverse("child_detail", args=[scene.ada.id])),
    ):
        csp = response["Content-Security-Policy"]
        assert "default-src 'self'" in csp
        assert "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "object-src 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert response["X-Frame-Options"] == "DENY"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_have_no_inline_scripts(scene: Scene):
    """Scripts come from files on this site only, which is what the policy allows."""
    client = factories.signed_in(scene.sam)
    for url in (reverse("home"), reverse("child_detail", args=[scene.ada.id])):
        html = client.get(url).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, url
        assert all("src=" in tag for tag in scripts), scripts
        assert not re.search(r"\son[a-z]+=", html), url  # no inline event handlers


def _production_env() -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DATABASE_", "SIGHTLINE_", "SESSION_", "SECURE_"))
    }
    return {
        **clean,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SIGHTLINE_MODE": "production",
        "SECRET_KEY": "production-like-" + os.urandom(32).hex(),
        "DATABASE_URL": "postgres://sightline@127.0.0.1:5432/sightline",
        "SIGHTLINE_AUDIT_KEY": os.urandom(32).hex(),
        "SIGHTLINE_BASE_URL": "https://sightline.example.org",
        "ALLOWED_HOSTS": "sightline.example.org",
    }


def test_check_deploy_is_clean_with_production_settings():
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_production_env(),
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "System check identified no issues" in out.stdout


def test_production_cookies_and_hsts():
    code = (
        "import json, django; django.setup(); from django.conf import settings as s;"
        "print(json.dumps([s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS,"
        " s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env=_production_env(),
    )
    assert out.stdout.strip() == "[true, true, 31536000, true, true]"
