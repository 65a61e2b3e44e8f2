"""Finding returns in a folder of any layout: council and year from the names, or a manifest."""

from __future__ import annotations

from pathlib import Path

import pytest

from sightline.core.errors import ValidationError
from sightline.returns.layout import MANIFEST, FoundReturn, find_returns

KNOWN = {"356", "352", "942"}


def _return(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "episodes.csv").write_text("CHILD,DECOM\n")
    return folder


def test_the_synth_layout_and_others_named_by_code_and_year(tmp_path: Path) -> None:
    a = _return(tmp_path / "356" / "2025")
    b = _return(tmp_path / "manchester_352" / "returns 2023-24")
    c = _return(tmp_path / "cumberland-942-2024_25")
    xml = tmp_path / "xml" / "356_2024.xml"
    xml.parent.mkdir()
    xml.write_text("<EXPSSDA903/>")
    assert find_returns(tmp_path, KNOWN) == [
        FoundReturn("352", 2024, b),
        FoundReturn("356", 2024, xml),
        FoundReturn("356", 2025, a),
        FoundReturn("942", 2025, c),
    ]


def test_a_manifest_says_which_is_which(tmp_path: Path) -> None:
    a = _return(tmp_path / "first")
    b = _return(tmp_path / "second" / "stockport 356 in 2020")  # the manifest wins
    (tmp_path / MANIFEST).write_text(
        "path,council,year\nfirst,356,2025\nsecond/stockport 356 in 2020,352,2024\n"
    )
    assert find_returns(tmp_path, KNOWN) == [
        FoundReturn("352", 2024, b),
        FoundReturn("356", 2025, a),
    ]


@pytest.mark.parametrize(
    ("folders", "manifest", "message"),
    [
        (["returns/2025"], None, "cannot tell the council"),
        (["356/latest"], None, "cannot tell the collection year"),
        (["356_352/2025"], None, "cannot tell the council"),
        (["356/2025", "again/356-2025"], None, "are both council 356's return for 2025"),
        (["999/2025"], None, "do not know a council with the DfE code 999"),
        ([], None, "holds no returns"),
        (["a"], "path,council,year\nb,356,2025\n", 'row 2: there is no return at "b"'),
        (["a"], "path,council,year\na,356,24/25\n", "not a collection year"),
        (["a"], "path,council\na,356\n", "has no column year"),
    ],
)
def test_unclear_layouts_are_refused_with_the_path_and_the_way_out(
    tmp_path: Path, folders: list[str], manifest: str | None, message: str
) -> None:
    for folder in folders:
        _return(tmp_path / folder)
    if manifest is not None:
        (tmp_path / MANIFEST).write_text(manifest)
    with pytest.raises(ValidationError, match=message):
        find_returns(tmp_path, KNOWN)
