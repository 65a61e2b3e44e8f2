"""The peer validator, ``csc-validator-be-903``, in a virtual environment of its own.

It pins pandas below 2 and numpy below 1.25, which Sightline's environment cannot hold, so it
is installed with ``python3 -m venv`` and ``pip`` into a folder of the benchmark's work folder
(``var/bench/peer-venv`` by default), never into Sightline's ``.venv`` or its lock file. The
benchmark creates it on first use and reuses it after; it checks the installed version.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

PACKAGE = "csc-validator-be-903"
VERSION = "0.1.17"
RUNNER = Path(__file__).with_name("peer_runner.py")


class PeerError(RuntimeError):
    pass


def _python(venv: Path) -> Path:
    return venv / "bin" / "python"


def installed_version(venv: Path) -> str | None:
    python = _python(venv)
    if not python.exists():
        return None
    found = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({PACKAGE!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() if found.returncode == 0 else None


def ensure(venv: Path, *, base_python: str, say: Callable[[str], None] = print) -> Path:
    """The peer's Python, installing the peer first if it is not there. Returns the path."""
    if installed_version(venv) == VERSION:
        return _python(venv)
    python = shutil.which(base_python) or base_python
    say(f"installing {PACKAGE}=={VERSION} into {venv} (with {python}) ...")
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    steps = [
        [python, "-m", "venv", str(venv)],
        [
            str(_python(venv)),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{PACKAGE}=={VERSION}",
        ],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise PeerError(
                f"Could not install the peer validator: {' '.join(step)} exited with status "
                f"{done.returncode}.\n{done.stderr[-2000:]}\nIt needs a Python the peer "
                "supports (pandas 1.5 has wheels up to Python 3.11): choose it with "
                "--peer-python."
            )
    if installed_version(venv) != VERSION:
        raise PeerError(f"{PACKAGE}=={VERSION} did not install into {venv}.")
    return _python(venv)


def rule_codes(python: Path, year: int) -> list[str]:
    """The codes of the peer's rules for the collection year (its rule set ``lacYYYY_YY``)."""
    done = subprocess.run(
        [str(python), str(RUNNER), "rules", "--year", str(year)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise PeerError(f"The peer could not list its rules for {year}:\n{done.stderr[-2000:]}")
    return done.stdout.split()


def command(
    python: Path, folder: Path, *, year: int, council_ons: str, rules: list[str], out: Path
) -> list[str]:
    cmd = [str(python), str(RUNNER), "validate", str(folder), "--year", str(year)]
    cmd += ["--council", council_ons, "--out", str(out)]
    if rules:
        cmd += ["--rules", ",".join(rules)]
    return cmd


def base_python_default() -> str:
    """``python3.11`` where there is one (the newest the peer's pandas has wheels for)."""
    return "python3.11" if shutil.which("python3.11") else sys.executable
