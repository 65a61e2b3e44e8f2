"""Settings come from the environment; checked in a fresh process as a deployment would."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_in(env: dict[str, str], *names: str) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DATABASE_", "SIGHTLINE_"))
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )
    return json.loads(out.stdout)


def test_email_url_configures_smtp():
    s = settings_in(
        {"SIGHTLINE_MODE": "demo", "EMAIL_URL": "smtp+tls://mailer:s%40cret@relay.example:587"},
        "EMAIL_BACKEND",
        "EMAIL_HOST",
        "EMAIL_PORT",
        "EMAIL_HOST_USER",
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
    )
    assert s == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "relay.example",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "mailer",
        "EMAIL_HOST_PASSWORD": "s@cret",
        "EMAIL_USE_TLS": True,
    }


def test_demo_without_email_settings_prints_mail_to_the_console():
    s = settings_in({"SIGHTLINE_MODE": "demo"}, "EMAIL_BACKEND")
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_database_url_selects_postgresql_and_production_mode():
    s = settings_in(
        {"DATABASE_URL": "postgres://app@db.example:5432/sightline", "SECRET_KEY": "x" * 50},
        "MODE",
        "DATABASES",
    )
    assert s["MODE"] == "production"
    assert "postgresql" in s["DATABASES"]["default"]["ENGINE"]


def test_the_embedded_default_is_sqlite_under_var():
    s = settings_in({"SIGHTLINE_MODE": "demo"}, "DATABASES")
    db = s["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert str(db["NAME"]).endswith("var/sightline.sqlite3")


def test_the_evidence_extract_folder_comes_from_the_environment(tmp_path):
    shared = str(tmp_path / "shared-evidence")
    code = (
        "import django; django.setup(); from sightline.evidence.frames import extract_dir;"
        "print(extract_dir())"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SIGHTLINE_"))}

    def extract_dir(env: dict[str, str]) -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={
                **clean,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "SIGHTLINE_MODE": "demo",
                **env,
            },
        ).stdout.strip()

    assert extract_dir({"SIGHTLINE_EVIDENCE_DIR": shared}) == shared
    assert extract_dir({"SIGHTLINE_VAR_DIR": str(tmp_path / "var")}) == str(
        tmp_path / "var" / "evidence"
    )
