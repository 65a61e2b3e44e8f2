"""Part 5: a corpus of broken returns, made from valid ones. Each gives a clear message that
names the file (and the row and field where there is one), exit status 1, never a crash and
never a partial import."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sightline.children.models import Child
from sightline.placements.models import Placement
from sightline.returns.derive import Context, prepare
from sightline.returns.reader import ReadError, read_return
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules
from tests.returns import builders

pytestmark = pytest.mark.django_db


def _valid(tmp: Path) -> Path:
    return builders.write_csv(builders.build(children=12, seed=31), tmp / "return")


def _edit(name: str, change: Callable[[str], str]) -> Callable[[Path], Path]:
    def apply(folder: Path) -> Path:
        path = folder / name
        path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
        return folder

    return apply


def _bytes(name: str, change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def apply(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(change(path.read_bytes()))
        return folder

    return apply


def _xml(change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def apply(folder: Path) -> Path:
        path = builders.write_xml(builders.build(children=5, seed=32), folder.parent / "r.xml")
        path.write_bytes(change(path.read_bytes()))
        return path

    return apply


def _copy(folder: Path, name: str, to: str) -> Path:
    (folder / to).write_bytes((folder / name).read_bytes())
    return folder


def _replace_line(n: int, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        lines = text.splitlines()
        lines[n - 1] = new
        return "\n".join(lines) + "\n"

    return change


# name: (how to break a valid return, what the message must say)
CORPUS: dict[str, tuple[Callable[[Path], Path], str]] = {
    "missing column": (
        _edit("episodes.csv", lambda t: re.sub(r",URN$", "", t.splitlines()[0]) + "\n"),
        r"episodes\.csv, row 1: .*looks most like Episodes, but it has no URN column",
    ),
    "extra column": (
        _edit("header.csv", lambda t: t.replace("MC_DOB", "MC_DOB,NICKNAME", 1)),
        r"header\.csv, row 1: .*unexpected column NICKNAME",
    ),
    "repeated column": (
        _edit("missing.csv", lambda t: t.replace("MIS_END", "MIS_START", 1)),
        r"missing\.csv, row 1: The column MIS_START appears more than once",
    ),
    "short row": (
        _edit("episodes.csv", _replace_line(3, "1001,01/05/2024,S")),
        r"episodes\.csv, row 3: The row has 3 values; the header has 13 columns",
    ),
    "long row": (
        _edit("header.csv", _replace_line(2, "1000,M,01/01/2010,WBRI,UN1,,,EXTRA")),
        r"header\.csv, row 2: The row has 8 values; the header has 7 columns",
    ),
    # As many commas in the file as it should have, but one row too long and one too short.
    "long and short rows": (
        _edit(
            "header.csv",
            lambda t: _replace_line(3, "1001,F,01/01/2011,WBRI,UN2,")(
                _replace_line(2, "1000,M,01/01/2010,WBRI,UN1,,,")(t)
            ),
        ),
        r"(?s)header\.csv, row 2: The row has 8 values.*header\.csv, row 3: The row has 6 values",
    ),
    "blank line": (
        _edit("missing.csv", lambda t: t.replace("\n", "\n\n", 2)),
        r"missing\.csv, row 2: The row is empty; expected 5 values",
    ),
    "empty file": (_edit("missing.csv", lambda t: ""), r"missing\.csv: The file is empty"),
    "utf-16": (
        _bytes("header.csv", lambda b: b.decode("utf-8").encode("utf-16")),
        r"header\.csv: The file is UTF-16 text",
    ),
    "two files with one table": (
        lambda folder: _copy(folder, "header.csv", "copy.csv"),
        r"Both copy\.csv and header\.csv hold the Header table",
    ),
    "truncated xml": (
        _xml(lambda b: b[: len(b) // 2]),
        r"r\.xml, row \d+: The XML ends before it is complete",
    ),
    "xml with a dtd": (
        _xml(
            lambda b: b.replace(b"<EXPSSDA903>", b'<!DOCTYPE x [<!ENTITY a "b">]><EXPSSDA903>', 1)
        ),
        r"r\.xml, row 2: The XML declares a DTD or entities",
    ),
    "xml wrong root": (
        _xml(lambda b: b.replace(b"EXPSSDA903", b"LAC", 2)),
        r"r\.xml, row 2: The root element is <LAC>, not <EXPSSDA903>",
    ),
    "xml unknown episode element": (
        _xml(lambda b: b.replace(b"<RNE>", b"<COLOUR>x</COLOUR><RNE>", 1)),
        r"r\.xml, row \d+: <COLOUR> is not an element of an episode",
    ),
}

# Broken values: read fine, fail rules, named by rule, file, row and field.
VALUES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "bad date": (
        _edit("episodes.csv", lambda t: t.replace("/2024,", "/20X4,", 1)),
        r"Rule 141 \(error, Episodes: DECOM\), 1 record: .*\n  episodes\.csv, row \d+, child",
    ),
    "wrong code": (
        _edit("missing.csv", _replace_line(2, "1001,01/01/2010,Z,01/05/2024,")),
        r"Rule 1006 \(error, Missing: MISSING\).*\n  missing\.csv, row 2, child 1001",
    ),
    "windows-1252 child id": (
        _bytes("episodes.csv", lambda b: b.replace(b"\n", b"\n\xa3", 1)),
        r"Rule INT03 \(error, Episodes: CHILD\).*\n  episodes\.csv, row 2, child £1",
    ),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_broken_files_give_a_clear_message_and_import_nothing(
    tmp_path: Path, sightline, case: str
) -> None:
    breaker, expected = CORPUS[case]
    path = breaker(_valid(tmp_path))
    for action in ("validate", "import"):
        result = (
            sightline(action, str(path), "--council", "356", "--year", "2025", "--quiet")
            if action == "import"
            else sightline(action, str(path), "--council", "356", "--year", "2025")
        )
        assert result.code == 1, (action, result.out, result.err)
        assert re.search(expected, result.err), result.err
        assert "Traceback" not in result.err
    assert Child.objects.count() == 0
    assert Placement.objects.count() == 0


@pytest.mark.parametrize("case", sorted(VALUES))
def test_broken_values_are_named_by_rule_file_row_and_field(
    tmp_path: Path, sightline, case: str
) -> None:
    breaker, expected = VALUES[case]
    path = breaker(_valid(tmp_path))
    result = sightline("validate", str(path), "--council", "356", "--year", "2025")
    assert result.code == 1
    assert re.search(expected, result.out), result.out
    result = sightline("import", str(path), "--council", "356", "--year", "2025", "--quiet")
    assert result.code == 1
    assert "Nothing was imported" in result.err
    assert Child.objects.count() == 0


def test_windows_1252_and_bom_are_read(tmp_path: Path) -> None:
    rows = builders.build(children=4, seed=33)
    rows.header[0]["UPN"] = "UN1é"
    cp1252 = read_return(builders.write_csv(rows, tmp_path / "a", encoding="cp1252"))
    bom = read_return(builders.write_csv(rows, tmp_path / "b", encoding="utf-8-sig"))
    assert cp1252.header["UPN"][0] == bom.header["UPN"][0] == "UN1É"
    assert cp1252.episodes.drop("_file").equals(bom.episodes.drop("_file"))


def test_values_are_trimmed_and_upper_cased_however_the_file_is_written(tmp_path: Path) -> None:
    # Clean files are read as they are; any lower case, tab or space at a value's edge sends
    # the file through trimming and upper-casing. Either way the tables are the same.
    clean = read_return(_valid(tmp_path / "clean"))
    for name, change in {
        "lower case": lambda t: t.lower(),
        "spaces after commas": lambda t: t.replace(",", ", "),
        "spaces before commas": lambda t: t.replace(",", " ,"),
        "spaces at line ends": lambda t: t.replace("\n", " \n"),
        "spaces at line starts": lambda t: t.replace("\n", "\n "),
        "tabs": lambda t: t.replace(",", "\t,"),
        "windows line ends": lambda t: t.replace("\n", "\r\n"),
    }.items():
        folder = _valid(tmp_path / name)
        for file in ("header.csv", "episodes.csv", "missing.csv"):
            _edit(file, change)(folder)
        messy = read_return(folder)
        for table, frame in clean.tables.items():
            assert messy.tables[table].equals(frame), (name, table)


def test_tables_are_recognised_by_columns_not_names(tmp_path: Path) -> None:
    rows = builders.build(children=4, seed=34)
    folder = builders.write_csv(
        rows, tmp_path / "r", names={"Header": "a.csv", "Episodes": "b.csv", "Missing": "c.csv"}
    )
    (folder / "reviews.csv").write_text("CHILD,DOB,REVIEW,REVIEW_CODE\n")
    tables = read_return(folder)
    assert tables.header.height == 4
    assert set(tables.episodes["_file"].to_list()) == {"b.csv"}
    # Reviews is one of the nine tables read since they were added: by its columns too.
    assert tables.files["Reviews"] == "reviews.csv" and "Reviews" in tables.supplied


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cut=st.integers(min_value=0, max_value=4000), junk=st.binary(max_size=8))
def test_random_damage_never_crashes(tmp_path_factory, cut: int, junk: bytes) -> None:
    """Cut any valid file anywhere and splice in junk: reading reports a problem or gives
    tables the rules can run over; nothing else escapes."""
    tmp = tmp_path_factory.mktemp("fuzz")
    rows = builders.build(children=6, seed=35)
    folder = builders.write_csv(rows, tmp / "csv")
    xml = builders.write_xml(rows, tmp / "r.xml")
    context = Context(year=CollectionYear(2025), council="E08000007")
    for path, target in (
        (folder, folder / "episodes.csv"),
        (folder, folder / "missing.csv"),
        (xml, xml),
    ):
        data = target.read_bytes()
        at = cut % (len(data) + 1)
        target.write_bytes(data[:at] + junk + data[at + len(junk) :])
        try:
            tables = read_return(path)
        except ReadError as exc:
            assert exc.problems
            assert all(p.file in {"episodes.csv", "missing.csv", "r.xml"} for p in exc.problems)
        else:
            run_rules(prepare(tables, context))
        target.write_bytes(data)
