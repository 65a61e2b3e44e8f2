"""README step 10, run as written (on a small scale) in an empty folder with no published files
at hand: a synthetic England, validate a return, import it, and the two reports."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from django.core.management import call_command

README = Path(__file__).resolve().parents[2] / "README.md"
PROGRAM = ".venv/bin/sightline"


def step_10_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    step = text[text.index("\n10. ") : text.index("\nFrom the command line")]
    return [
        shlex.split(line.strip())[1:]
        for line in step.splitlines()
        if line.strip().startswith(PROGRAM + " ")
    ]


def smaller(args: list[str]) -> list[str]:
    """The same command on one council at a fifth of its size, from 2024: quick enough for a
    test. Nothing else changes."""
    args = ["2024" if a == "2015" else a for a in args]
    if args[:2] == ["synth", "england"]:
        args += ["--councils", "356", "--scale", "0.2"]
    return args


def test_step_10_names_the_commands_a_new_user_runs() -> None:
    commands = step_10_commands()
    assert [c[:2] for c in commands] == [
        ["synth", "england"],
        ["returns", "validate"],
        ["returns", "import"],
        ["report", "inquiry"],
        ["report", "inquiry"],
    ]
    assert not any("--reference" in c for c in commands)


@pytest.mark.django_db
def test_step_10_runs_start_to_finish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load

    if not PoliceForce.objects.exists():
        reference_data_load()
    monkeypatch.delenv("SIGHTLINE_REFERENCE_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    for args in step_10_commands():
        call_command(*smaller(args))  # a failing command raises (validate: SystemExit)
    out = capsys.readouterr().out
    assert "0 errors" in out
    # The world's register is given: the eight rules that check URNs against it are run.
    assert "Not run" not in out
    assert "URNs checked against Ofsted's register of providers providers.csv" in out
    assert "Imported Stockport's 2024/25 return" in out
    for name in ("report.html", "imported.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        assert "Children missing from care: Stockport" in html
    assert "as it stood on 31 March 2025" in (tmp_path / "report.html").read_text()
