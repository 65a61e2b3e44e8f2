"""The `sightline` command, run as a user runs it: a separate process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIGHTLINE = [sys.executable, "-m", "sightline.cli"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SIGHTLINE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def test_top_level_help_lists_the_commands():
    result = run("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "migrate", "geography"):
        assert command in result.stdout


@pytest.mark.parametrize(
    "command", ["demo", "serve", "worker", "migrate", "geography", "demo_data"]
)
def test_every_command_has_help(command):
    # --help works without a secret key or a database, even in production mode.
    env = {"SIGHTLINE_MODE": "production", "SECRET_KEY": "", "DATABASE_URL": "sqlite:///:memory:"}
    result = run(command, "--help", env=env)
    assert result.returncode == 0, result.stderr
    assert "usage: sightline " + command in result.stdout


def test_production_without_a_secret_key_is_refused():
    env = {"SIGHTLINE_MODE": "production", "SECRET_KEY": "", "DATABASE_URL": "sqlite:///:memory:"}
    result = run("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
