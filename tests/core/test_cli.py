"""The `sightline` command, run as a user runs it: a separate process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIGHTLINE = [sys.executable, "-m", "sightline.cli"]

# Each command runs on a database of its own (or none), whatever the suite's is.
pytestmark = pytest.mark.one_leg("sqlite")


def run(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SIGHTLINE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        check=False,
    )


def run_on_a_fresh_machine(var: Path, *args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    """The command in demo mode on the embedded database in ``var``, whatever database the
    test run itself uses."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        [*SIGHTLINE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**env, "SIGHTLINE_MODE": "demo", "SIGHTLINE_VAR_DIR": str(var)},
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


def test_migrate_creates_the_embedded_database_in_a_new_folder(tmp_path):
    """`sightline migrate` on a fresh machine, before anything made the var folder."""
    var = tmp_path / "new" / "var"
    result = run_on_a_fresh_machine(var, "migrate", "-v0", timeout=300)
    assert result.returncode == 0, result.stderr
    assert (var / "sightline.sqlite3").exists()


def test_demo_without_serving_loads_the_data_and_builds_the_evidence_extract(tmp_path):
    """The README's first command on a fresh machine, up to serving: migrate, load the demo
    with its missing history, build the extract the Evidence pages read, print sign-ins."""
    var = tmp_path / "var"
    result = run_on_a_fresh_machine(var, "demo", "--no-serve", timeout=600)
    assert result.returncode == 0, result.stderr
    # The screen ends with the sign-ins and the password; the rest is in the log file.
    assert result.stdout.rstrip().endswith("Password for every account: sightline-demo-only")
    assert "coordinator.stockport" in result.stdout
    assert str(var / "demo.log") in result.stdout
    log = (var / "demo.log").read_text()
    assert "missing and" in log and "return home interviews" in log
    assert "An exploitation network" in log  # where to look, as the load's summary says
    assert "Built the evidence extract" in log
    assert "Calibration" not in result.stdout
    assert (var / "sightline.sqlite3").exists()
    assert (var / "evidence" / "extract.json").exists()
