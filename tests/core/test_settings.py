"""Settings come from the environment; checked in a fresh process as a deployment would."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each check runs in a fresh process with only the environment it sets (the suite's database
# is not among it).
pytestmark = pytest.mark.one_leg("sqlite")

# A safe production environment: each test below spoils one part of it.
PRODUCTION = {
    "SIGHTLINE_MODE": "production",
    "SECRET_KEY": "production-like-" + "k3Y-" * 12,
    "DATABASE_URL": "postgres://app@db.example:5432/sightline",
    "SIGHTLINE_AUDIT_KEY": "0123456789abcdef" * 4,
    "SIGHTLINE_BASE_URL": "https://sightline.example.gov.uk",
}


def settings_in(env: dict[str, str], *names: str) -> dict:
    out = settings_run(env, *names)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def settings_run(env: dict[str, str], *names: str) -> subprocess.CompletedProcess[str]:
    """The settings loaded in a fresh process with only ``env`` of Sightline's variables."""
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        f"print(json.dumps({{n: getattr(settings, n) for n in {list(names)!r}}}, default=str))"
    )
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DATABASE_", "SIGHTLINE_", "SESSION_"))
        and k not in {"SECRET_KEY", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
    )


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


def test_database_url_selects_postgresql():
    s = settings_in(
        {**PRODUCTION, "DATABASE_URL": "postgres://app@db.example:5432/sightline"}, "DATABASES"
    )
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


# --- The mode is chosen, never guessed; production refuses to start unsafe ------------------


def test_a_safe_production_environment_starts():
    s = settings_in(PRODUCTION, "MODE", "DEBUG", "SIGHTLINE_AUDIT_KEY", "SIGHTLINE_BASE_URL")
    assert s == {
        "MODE": "production",
        "DEBUG": False,
        "SIGHTLINE_AUDIT_KEY": PRODUCTION["SIGHTLINE_AUDIT_KEY"],
        "SIGHTLINE_BASE_URL": "https://sightline.example.gov.uk",
    }


def test_without_sightline_mode_the_mode_is_production_even_without_a_database_url():
    """A server started with a forgotten setting refuses to start: it never falls back to the
    demo and its published key."""
    without_mode = {k: v for k, v in PRODUCTION.items() if k != "SIGHTLINE_MODE"}
    assert settings_in(without_mode, "MODE") == {"MODE": "production"}
    out = settings_run({}, "MODE")
    assert out.returncode != 0
    assert "Sightline is in production mode" in out.stderr
    assert "To run the demo instead, set SIGHTLINE_MODE=demo" in out.stderr


def test_nothing_set_names_every_missing_setting_at_once():
    out = settings_run({"SIGHTLINE_MODE": "production"}, "MODE")
    assert out.returncode != 0
    for message in (
        "SECRET_KEY is not set",
        "DATABASE_URL is not set",
        "SIGHTLINE_AUDIT_KEY is not set",
        "SIGHTLINE_BASE_URL is not set",
    ):
        assert message in out.stderr, message


@pytest.mark.parametrize(
    ("unsafe", "message"),
    [
        ({"SECRET_KEY": "k3Y-" * 12}, "SECRET_KEY is too short or too simple"),
        ({"SECRET_KEY": "ab" * 40}, "SECRET_KEY is too short or too simple"),
        (
            {"SECRET_KEY": "insecure-demo-only-key-never-use-in-production-0123456789abcdef"},
            "SECRET_KEY starts with the published insecure prefix",
        ),
        (
            {"SECRET_KEY": "django-insecure-" + "k3Y-" * 12},
            "SECRET_KEY starts with the published insecure prefix",
        ),
        ({"DEBUG": "1"}, "DEBUG must be off in production"),
        ({"DATABASE_URL": "sqlite:///var/sightline.sqlite3"}, "DATABASE_URL is SQLite"),
        ({"SIGHTLINE_AUDIT_KEY": "0123456789abcdef" * 3}, "SIGHTLINE_AUDIT_KEY is too short"),
        ({"SIGHTLINE_AUDIT_KEY": "a" * 80}, "SIGHTLINE_AUDIT_KEY is too short or too simple"),
        (
            {
                "SIGHTLINE_AUDIT_KEY": "insecure-demo-only-audit-key-never-use-in-production-"
                + "0123456789"
            },
            "SIGHTLINE_AUDIT_KEY starts with the published insecure prefix",
        ),
        ({"SIGHTLINE_AUDIT_OLD_KEYS": "bad id!:secret"}, "SIGHTLINE_AUDIT_OLD_KEYS: each entry"),
        ({"SIGHTLINE_AUDIT_KEY_ID": "no spaces"}, "SIGHTLINE_AUDIT_KEY_ID: up to 32"),
        ({"SESSION_IDLE_MINUTES": "0"}, "SESSION_IDLE_MINUTES and SESSION_ABSOLUTE_HOURS"),
    ],
)
def test_each_unsafe_production_setting_is_named(unsafe, message):
    out = settings_run({**PRODUCTION, **unsafe}, "MODE")
    assert out.returncode != 0
    assert "ImproperlyConfigured" in out.stderr
    assert message in out.stderr


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATABASE_URL", "SIGHTLINE_AUDIT_KEY"])
def test_each_missing_production_setting_is_named(name):
    env = {k: v for k, v in PRODUCTION.items() if k != name}
    out = settings_run(env, "MODE")
    assert out.returncode != 0
    assert f"{name} is not set" in out.stderr


def test_two_unsafe_settings_are_both_named():
    out = settings_run({**PRODUCTION, "DEBUG": "1", "SECRET_KEY": "short"}, "MODE")
    assert "DEBUG must be off" in out.stderr
    assert "SECRET_KEY is too short" in out.stderr


def test_demo_and_test_modes_start_without_production_settings():
    for mode in ("demo", "test"):
        s = settings_in({"SIGHTLINE_MODE": mode, "DEBUG": "1"}, "MODE", "SECRET_KEY")
        assert s["MODE"] == mode
        assert s["SECRET_KEY"].startswith("insecure-")


def _sightline(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("EMAIL_", "DATABASE_", "SIGHTLINE_", "SESSION_"))
        and k not in {"SECRET_KEY", "DEBUG"}
    }
    return subprocess.run(
        [sys.executable, "-m", "sightline.cli", *args],
        cwd=ROOT,
        input="He went missing and was found safe.\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, **env},
        check=False,
    )


def test_the_sightline_command_on_a_fresh_clone_runs_the_demo_and_says_so(tmp_path):
    """The README's commands work on the embedded database with nothing set."""
    (tmp_path / "sightline.sqlite3").touch()  # an existing embedded database: no migration
    out = _sightline("language", "check", "-", env={"SIGHTLINE_VAR_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout == "Nothing flagged in stdin (phrase list version 1).\n"
    assert out.stderr.count("runs in demo mode on the embedded database") == 1
    assert "Production deployments set SIGHTLINE_MODE=production" in out.stderr


def test_the_sightline_command_never_serves_the_demo_by_default(tmp_path):
    out = _sightline("worker", env={"SIGHTLINE_VAR_DIR": str(tmp_path)})
    assert out.returncode != 0
    assert "Sightline is in production mode" in out.stderr
    assert "runs in demo mode" not in out.stderr
