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
        {
            "DATABASE_URL": "postgres://app@db.example:5432/sightline",
            "SECRET_KEY": "x" * 50,
            "SIGHTLINE_BASE_URL": "https://sightline.example.gov.uk",
        },
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


def test_links_in_messages_follow_the_port_and_host_served():
    """``sightline serve`` and ``sightline demo`` listen on PORT and HOST; the worker, which
    writes the e-mails, reads the same variables, so the links open what is served."""
    assert settings_in({"SIGHTLINE_MODE": "demo"}, "SIGHTLINE_BASE_URL") == {
        "SIGHTLINE_BASE_URL": "http://127.0.0.1:8000"
    }
    for env, expected in (
        ({"PORT": "8123"}, "http://127.0.0.1:8123"),
        ({"PORT": "8123", "HOST": "0.0.0.0"}, "http://127.0.0.1:8123"),
        ({"PORT": "9001", "HOST": "sightline.local"}, "http://sightline.local:9001"),
        ({"PORT": "8123", "SIGHTLINE_BASE_URL": "https://demo.example/"}, "https://demo.example"),
    ):
        s = settings_in({"SIGHTLINE_MODE": "demo", **env}, "SIGHTLINE_BASE_URL")
        assert s["SIGHTLINE_BASE_URL"] == expected, env


def test_an_e_mail_link_uses_the_configured_port():
    """The link every e-mail, Notify message and webhook carries, built in a fresh process
    as the worker builds it."""
    code = (
        "import django, uuid; django.setup();"
        "from sightline.notifications.content import notice_link;"
        "from sightline.notifications.models import Notice;"
        "print(notice_link(Notice(id=uuid.UUID(int=7))))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SIGHTLINE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SIGHTLINE_MODE": "demo",
            "PORT": "8123",
        },
    )
    assert out.stdout.strip() == (
        "http://127.0.0.1:8123/notices/00000000-0000-0000-0000-000000000007/"
    )


def test_production_requires_the_public_address():
    code = "import django; django.setup()"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "SIGHTLINE_"))}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={
            **clean,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SIGHTLINE_MODE": "production",
            "SECRET_KEY": "x" * 50,
            "DATABASE_URL": "postgres://app@db.example:5432/sightline",
            "PORT": "8123",
        },
    )
    assert out.returncode != 0
    assert "SIGHTLINE_BASE_URL is not set" in out.stderr
