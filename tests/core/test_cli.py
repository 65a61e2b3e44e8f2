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


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """``sightline demo --no-serve`` run once on a fresh machine: its folder and its run."""
    var = tmp_path_factory.mktemp("fresh") / "var"
    return var, run_on_a_fresh_machine(var, "demo", "--no-serve", timeout=600)


def test_demo_without_serving_loads_the_data_and_builds_the_evidence_extract(demo):
    """The README's first command on a fresh machine, up to serving: migrate, load the demo
    with its missing history, build the extract the Evidence pages read, print sign-ins."""
    var, result = demo
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


def test_returns_validate_registers_nothing_and_finds_what_the_whole_app_finds(demo):
    """``sightline returns validate`` starts without the registries of pages and the worker
    (``SIGHTLINE_REGISTRIES``, set by the command line for it alone), and reports exactly what
    it reports with them, on a return of every table with faults."""
    var, loaded = demo
    assert loaded.returncode == 0, loaded.stderr
    folder = ROOT / "tests" / "returns" / "agreement_tables" / "356" / "2025"
    args = ("returns", "validate", str(folder), "--council", "356", "--year", "2025")
    light = run_on_a_fresh_machine(var, *args, "--format", "csv", timeout=120)
    whole = subprocess.run(
        [*SIGHTLINE, *args, "--format", "csv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "SIGHTLINE_MODE": "demo",
            "SIGHTLINE_VAR_DIR": str(var),
            "SIGHTLINE_REGISTRIES": "on",
        },
        check=False,
    )
    assert light.returncode == whole.returncode == 1, (light.stderr, whole.stderr)
    assert light.stdout == whole.stdout
    assert len(light.stdout.splitlines()) > 20  # a return with faults: rows to compare
    probe = (
        "import django, sys; django.setup(); "
        "from sightline.core import registry; "
        "print(len(registry.periodic_jobs()), 'sightline.notifications.channels' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"SIGHTLINE_MODE": "demo", "SIGHTLINE_VAR_DIR": str(var)}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings"}
    counts = {}
    for registries in ("on", "off"):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "SIGHTLINE_REGISTRIES": registries},
            check=True,
        )
        counts[registries] = done.stdout.split()
    assert counts["off"] == ["0", "False"]
    assert int(counts["on"][0]) > 10 and counts["on"][1] == "True"


def test_returns_commands_run_polars_on_one_thread_and_arena_unless_told_otherwise(monkeypatch):
    """Set before polars loads (``sightline.cli``); a value the user set is kept."""
    from sightline import cli

    monkeypatch.delenv("POLARS_MAX_THREADS", raising=False)
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:4")
    cli._returns_runtime()
    assert os.environ["POLARS_MAX_THREADS"] == "1"
    assert os.environ["_RJEM_MALLOC_CONF"] == "narenas:4"
    # What a process that imported polars passes on to the commands it starts.
    monkeypatch.setenv("_RJEM_MALLOC_CONF", "dirty_decay_ms:500,muzzy_decay_ms:1000")
    cli._returns_runtime()
    assert os.environ["_RJEM_MALLOC_CONF"] == "dirty_decay_ms:500,muzzy_decay_ms:1000,narenas:1"
    # The variable is the one polars reads: its pool then has one thread.
    probe = "import polars; print(polars.thread_pool_size())"
    one = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "POLARS_MAX_THREADS": "1"},
    )
    assert one.stdout.strip() == "1"
