"""Issue 12, part 4: nothing is lost to a bad SSDA903 file. An empty return, a repeated column
or element, and a re-import not asked for are each refused, by validation and by the import
(through the command and through the service), and leave every record as it was."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sightline.children.models import Child
from sightline.missing.models import Episode
from sightline.placements.models import Placement
from sightline.returns.reader import ReadError, read_return
from sightline.returns.services import (
    ImportRejected,
    ReplaceNotConfirmed,
    return_import,
    system_user,
)
from tests import factories
from tests.returns import builders
from tests.returns.test_import_export import snapshot

pytestmark = pytest.mark.django_db

EMPTY = r"has no children: an empty return cannot replace an earlier import"


def counts() -> dict[str, int]:
    return {
        "children": Child.objects.count(),
        "placements": Placement.objects.count(),
        "missing": Episode.objects.count(),
    }


@pytest.fixture
def imported(tmp_path: Path, sightline) -> builders.ReturnRows:
    """Stockport's 2025 return, imported: the records a bad file must not touch."""
    rows = builders.build(children=12, seed=41)
    assert rows.missing, "the return should hold missing episodes to lose"
    result = sightline("import", str(builders.write_csv(rows, tmp_path / "first")), *_AT, "--quiet")
    assert result.code == 0, result.err
    assert counts()["placements"] == len(rows.episodes)
    assert counts()["missing"] == len(rows.missing)
    return rows


_AT = ("--council", "356", "--year", "2025")


def _refused_by_validate_and_import(sightline, path: Path, expected: str) -> None:
    """Both commands refuse ``path`` with ``expected`` in the message, and nothing changes
    (not even with --replace)."""
    before = snapshot()
    for args in (("validate",), ("import", "--quiet"), ("import", "--quiet", "--replace")):
        result = sightline(args[0], str(path), *_AT, *args[1:])
        assert result.code == 1, (args, result.out, result.err)
        assert re.search(expected, result.err), result.err
        assert "Traceback" not in result.err
    assert snapshot() == before


def test_an_empty_csv_return_is_refused_and_removes_nothing(
    tmp_path: Path, sightline, imported: builders.ReturnRows
) -> None:
    before = counts()
    empty = builders.write_csv(builders.ReturnRows(), tmp_path / "empty")
    _refused_by_validate_and_import(sightline, empty, rf"header\.csv: .*header\.csv {EMPTY}")
    assert counts() == before


def test_a_header_file_with_no_rows_is_refused(
    tmp_path: Path, sightline, imported: builders.ReturnRows
) -> None:
    rows = builders.ReturnRows(episodes=imported.episodes, missing=imported.missing)
    folder = builders.write_csv(rows, tmp_path / "no-children")
    _refused_by_validate_and_import(sightline, folder, rf"header\.csv {EMPTY}")


def test_an_empty_xml_return_is_refused_and_removes_nothing(
    tmp_path: Path, sightline, imported: builders.ReturnRows
) -> None:
    before = counts()
    empty = builders.write_xml(builders.ReturnRows(), tmp_path / "empty.xml")
    _refused_by_validate_and_import(sightline, empty, rf"empty\.xml: .*empty\.xml {EMPTY}")
    assert counts() == before


def test_the_service_refuses_an_empty_return(tmp_path: Path, imported: builders.ReturnRows) -> None:
    before = counts()
    for path in (
        builders.write_csv(builders.ReturnRows(), tmp_path / "empty"),
        builders.write_xml(builders.ReturnRows(), tmp_path / "empty.xml"),
    ):
        with pytest.raises(ImportRejected, match="the return is empty") as refused:
            return_import(
                actor=system_user(),
                tables=read_return(path),
                council=factories.council("356"),
                year=2025,
                replace=True,
            )
        [problem] = refused.value.problems
        assert problem.file == (path.name if path.suffix else "header.csv")
        assert re.search(EMPTY, problem.message)
    assert counts() == before


def test_a_repeated_csv_column_is_refused_whatever_its_case_or_spacing(
    tmp_path: Path, sightline, imported: builders.ReturnRows
) -> None:
    folder = builders.write_csv(imported, tmp_path / "repeated")
    header = folder / "header.csv"
    lines = header.read_text().splitlines()
    # A second SEX column, written as a person might, giving every child the other sex.
    lines[0] += ", sex "
    for n, row in enumerate(imported.header, start=1):
        lines[n] += "," + ("F" if row["SEX"] == "M" else "M")
    header.write_text("\n".join(lines) + "\n")
    sexes = dict(Child.objects.values_list("child_ref", "sex"))
    _refused_by_validate_and_import(
        sightline, folder, r"header\.csv, row 1: The column SEX appears more than once"
    )
    assert dict(Child.objects.values_list("child_ref", "sex")) == sexes
    # Quoted files are read by another path: refused the same way.
    header.write_text(header.read_text().replace("CHILD,", '"CHILD",', 1))
    with pytest.raises(ReadError, match="The column SEX appears more than once"):
        read_return(folder)


@pytest.mark.parametrize(
    ("record", "element", "value"),
    [("HEADER", "SEX", "F"), ("EPISODE", "DECOM", "01/01/2025"), ("AMISSING", "MIS_START", "")],
)
def test_a_repeated_xml_element_is_refused_naming_record_and_element(
    tmp_path: Path, sightline, imported: builders.ReturnRows, record: str, element: str, value: str
) -> None:
    path = builders.write_xml(imported, tmp_path / "repeated.xml")
    data = path.read_bytes()
    first = data.index(f"<{record}>".encode())
    at = data.index(f"<{element}>".encode(), first)
    path.write_bytes(data[:at] + f"<{element}>{value}</{element}>".encode() + data[at:])
    _refused_by_validate_and_import(
        sightline,
        path,
        rf"repeated\.xml, row \d+: <{element}> appears more than once in one <{record}>",
    )


def test_a_second_header_in_one_child_is_refused(
    tmp_path: Path, imported: builders.ReturnRows
) -> None:
    path = builders.write_xml(imported, tmp_path / "two-headers.xml")
    text = path.read_text()
    start, end = text.index("<HEADER>"), text.index("</HEADER>") + len("</HEADER>")
    path.write_text(text[:end] + text[start:end] + text[end:])
    with pytest.raises(ReadError, match=r"<HEADER> appears more than once in one <CHILD>"):
        read_return(path)


def _without_child(rows: builders.ReturnRows, child: str) -> builders.ReturnRows:
    return builders.ReturnRows(
        header=[h for h in rows.header if h["CHILD"] != child],
        episodes=[e for e in rows.episodes if e["CHILD"] != child],
        missing=[m for m in rows.missing if m["CHILD"] != child],
    )


def test_a_reimport_needs_replace_and_says_what_it_removes(
    tmp_path: Path, sightline, imported: builders.ReturnRows
) -> None:
    gone = next(m["CHILD"] for m in imported.missing)
    placements = sum(e["CHILD"] == gone for e in imported.episodes)
    missing = sum(m["CHILD"] == gone for m in imported.missing)
    folder = builders.write_csv(_without_child(imported, gone), tmp_path / "second")
    before = snapshot()
    result = sightline("import", str(folder), *_AT, "--quiet")
    assert result.code == 1, result.out
    assert "Sightline already holds Stockport's 2024/25 return" in result.err, result.err
    assert "Nothing was imported" in result.err
    assert "  children: 1 (they stay in Sightline" in result.err
    assert f"  placements: {placements}\n" in result.err
    assert f"  missing and away episodes: {missing}\n" in result.err
    assert "run the same command again with --replace" in result.err
    assert snapshot() == before
    assert result.out == ""

    result = sightline("import", str(folder), *_AT, "--quiet", "--replace")
    assert result.code == 0, result.err
    assert counts() == {
        "children": len(imported.header),  # children stay
        "placements": len(imported.episodes) - placements,
        "missing": len(imported.missing) - missing,
    }


def test_the_service_needs_replace_to_replace_an_earlier_import(
    tmp_path: Path, imported: builders.ReturnRows
) -> None:
    same = read_return(builders.write_csv(imported, tmp_path / "same"))
    stockport = factories.council("356")
    before = snapshot()
    with pytest.raises(ReplaceNotConfirmed) as refused:
        return_import(actor=system_user(), tables=same, council=stockport, year=2025)
    # The same return again removes nothing, but still replaces the earlier import.
    replacement = refused.value.replacement
    assert (replacement.children, replacement.placements, replacement.missing_episodes) == (
        0,
        0,
        0,
    )
    assert replacement.earlier.source_name.endswith("first")
    assert snapshot() == before
    record, _ = return_import(
        actor=system_user(), tables=same, council=stockport, year=2025, replace=True
    )
    assert record.placements_replaced == len(imported.episodes)
    assert snapshot() == before


def test_a_first_import_needs_no_replace(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=3, seed=42)
    result = sightline("import", str(builders.write_csv(rows, tmp_path / "r")), *_AT, "--quiet")
    assert result.code == 0, result.err
