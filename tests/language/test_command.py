"""``sightline language`` (the ``language`` management command), through the front door."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sightline.language.checker import LANGUAGE_LIST_VERSION
from sightline.language.phrases import phrase_list

ROOT = Path(__file__).resolve().parents[2]

NOTES = (
    "Return home interview, 3 March.\n"
    "She said she went to a flat in Oldham with friends.\n"
    "Staff feel she is putting herself\n"
    "at risk and is a runaway.\n"
    "\n"
    "She is working on her homework again.\n"
)


def run(*args: str, stdin: str | None = None) -> tuple[int, str]:
    """The exit status and the output of `language ARGS`."""
    out = StringIO()
    options = {"stdout": out}
    if stdin is not None:
        options["stdin"] = StringIO(stdin)
    try:
        call_command("language", *args, **options)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def notes(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text(NOTES, encoding="utf-8")
    return path


def test_check_prints_each_flag_with_its_line_and_exits_1(notes: Path):
    status, output = run("check", str(notes))
    assert status == 1
    assert output.splitlines() == [
        f'{notes}:3:19: "putting herself at risk": consider "may have been groomed, or is at '
        'risk of being exploited" (putting-themselves-at-risk)',
        f'{notes}:4:18: "runaway": consider "child who goes missing" (runaway)',
        f"2 phrases flagged in {notes} (phrase list version {LANGUAGE_LIST_VERSION}).",
    ]


def test_check_exits_0_when_nothing_is_flagged(tmp_path: Path):
    clean = tmp_path / "clean.txt"
    clean.write_text("She went missing at 21:00 and was found safe at 23:10.\n")
    status, output = run("check", str(clean))
    assert status == 0
    assert output == f"Nothing flagged in {clean} (phrase list version 1).\n"


def test_check_json(notes: Path):
    status, output = run("check", str(notes), "--json")
    assert status == 1
    result = json.loads(output)
    assert result["file"] == str(notes)
    assert result["list_version"] == "1"
    assert result["flagged"] == 2
    first = result["flags"][0]
    assert first == {
        "line": 3,
        "column": 19,
        "phrase_id": "putting-themselves-at-risk",
        "matched_text": "putting herself\nat risk",
        "start": NOTES.index("putting"),
        "end": NOTES.index("putting") + len("putting herself\nat risk"),
        "suggestion": "may have been groomed, or is at risk of being exploited",
        "reason": phrase_list("1").phrase("putting-themselves-at-risk").reason,  # type: ignore[union-attr]
        "list_version": "1",
    }


def test_check_reads_stdin():
    status, output = run("check", "-", stdin="He absconded from the home.\n")
    assert status == 1
    assert output.splitlines()[0] == (
        'stdin:1:4: "absconded": consider "went missing, or was away from placement without '
        'authorisation" (absconded)'
    )


def test_check_with_the_childs_age(tmp_path: Path):
    path = tmp_path / "note.txt"
    path.write_text("She is sexually active.")
    _, output = run("check", str(path), "--child-age", "12", "--json")
    assert json.loads(output)["flags"][0]["suggestion"] == "raped"


def test_check_a_windows_file_with_a_byte_order_mark(tmp_path: Path):
    path = tmp_path / "export.txt"
    path.write_bytes("\ufeffFirst line\r\nHe is streetwise.\r\n".encode())
    status, output = run("check", str(path))
    assert status == 1
    assert output.startswith(f'{path}:2:7: "streetwise"')


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "/no/such/file.txt"], "There is no file /no/such/file.txt."),
        (["check", "NOTES_DIR"], "NOTES_DIR is a folder, not a file."),
        (["check", "LATIN1"], "LATIN1 is not UTF-8 text. Save it as UTF-8 and try again."),
        (["check", "-", "--list-version", "7"], "There is no phrase list version 7."),
        (["list", "--list-version", "7"], "There is no phrase list version 7."),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path: Path, args: list[str], message: str):
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9".encode("latin-1"))
    replace = {"NOTES_DIR": str(tmp_path), "LATIN1": str(latin1)}
    args = [replace.get(a, a) for a in args]
    message = message.replace("NOTES_DIR", str(tmp_path)).replace("LATIN1", str(latin1))
    with pytest.raises(CommandError) as exc:
        call_command("language", *args, stdin=StringIO(""), stdout=StringIO())
    assert exc.value.returncode == 2
    assert str(exc.value).startswith(message)


def test_list_prints_every_phrase_with_the_version():
    status, output = run("list")
    phrases = phrase_list(LANGUAGE_LIST_VERSION)
    assert status == 0
    assert output.splitlines()[0] == (
        f"Sightline appropriate-language phrase list, version 1 of 26 November 2026: "
        f"{len(phrases.phrases)} phrases."
    )
    for phrase in phrases.phrases:
        assert f"\n{phrase.id}\n  Flags:      {phrase.label}" in output
    assert "  Under 13:   raped\n" in output
    assert "Sources:\n  tcs-napac-2024" in output


def test_list_json():
    _, output = run("list", "--json")
    result = json.loads(output)
    assert result["version"] == "1"
    assert {s["id"] for s in result["sources"]} >= {"tcs-napac-2024", "hmicfrs-2023"}
    by_id = {p["id"]: p for p in result["phrases"]}
    assert by_id["recruited"]["context"] == ["gang-or-criminal"]
    assert by_id["sexually-active"]["by_child_age"][0] == {
        "under": 13,
        "suggestion": "raped",
        "reason": "A child under 13 cannot consent to sexual activity in law: it is rape "
        "(Sexual Offences Act 2003, section 5).",
    }


# --- As a user runs it: the `sightline` command in its own process ----------------------------


def sightline(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sightline.cli", "language", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SIGHTLINE_MODE": "test"},
        check=False,
    )


def test_sightline_language_check_from_stdin():
    result = sightline("check", "-", stdin="Line one.\nHe is involved in CCE.\n")
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == [
        'stdin:2:7: "involved in CCE": consider "is a victim of sexual exploitation, or is a '
        'victim of criminal exploitation" (involved-in-exploitation)',
        "1 phrase flagged in stdin (phrase list version 1).",
    ]


def test_sightline_language_check_clean_text_exits_0():
    result = sightline("check", "-", stdin="He went missing and was found safe.\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Nothing flagged in stdin (phrase list version 1).\n"


def test_sightline_language_check_missing_file_exits_2():
    result = sightline("check", "/no/such/file.txt")
    assert result.returncode == 2
    assert "There is no file /no/such/file.txt." in result.stderr


def test_sightline_lists_the_language_command():
    result = subprocess.run(
        [sys.executable, "-m", "sightline.cli", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "  language " in result.stdout


def test_help_needs_no_secret_key_or_database():
    result = subprocess.run(
        [sys.executable, "-m", "sightline.cli", "language", "check", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **os.environ,
            "SIGHTLINE_MODE": "production",
            "SECRET_KEY": "",
            "DATABASE_URL": "sqlite:///:memory:",
        },
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "usage: sightline language check" in result.stdout
