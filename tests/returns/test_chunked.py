"""A return read, validated and imported in parts (ADR 0055) gives what it gives whole.

The parts are small here (``--parts 5`` on returns of a few hundred children) so that every
path runs with several parts in a second or two; the sizes that need them are in
``docs/performance.md``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import polars as pl
import pytest
from django.db import transaction

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.missing.models import Episode
from sightline.placements.models import Setting
from sightline.returns import reader, stream
from sightline.returns.models import (
    ImportedPlacement,
    ImportedReview,
    ImportedSocialWorkerEpisode,
    ReturnedChildDetails,
    ReturnImport,
)
from sightline.returns.reader import read_return
from sightline.returns.schema import COLUMNS
from sightline.returns.stream import spill
from tests import factories
from tests.returns import builders, builders_more
from tests.returns.test_import_export import snapshot

pytestmark = pytest.mark.django_db

AGREEMENT = Path(__file__).parent / "agreement_tables" / "356" / "2025"
PARTS = "5"


def _results(sightline, path: Path, *args: str) -> str:
    run = sightline("validate", str(path), "--format", "csv", *args)
    assert run.code in (0, 1), run.err
    return run.out


def test_parts_read_the_records_read_whole(tmp_path: Path, monkeypatch) -> None:
    """Every table, row for row (file and row number too), from CSV and from XML, read in
    blocks far smaller than a file (a few KB of CSV; XML fed 4 KB at a time, 7 children a
    flush)."""
    monkeypatch.setattr(stream, "BLOCK_BYTES", 3000)
    monkeypatch.setattr(stream, "_XML_PIECE", 4096)
    monkeypatch.setattr(stream, "_XML_FLUSH", 7)
    rows = builders.build(children=60, year=2025, seed=5)
    more = builders_more.build_more(rows, year=2025)
    xml = builders_more.write_xml(rows, more, tmp_path / "return.xml")
    for path in (AGREEMENT, xml):
        whole = read_return(path)
        parts = spill(path, parts=5, folder=tmp_path)
        try:
            assert (parts.supplied, parts.files, parts.sha256) == (
                whole.supplied,
                whole.files,
                whole.sha256,
            )
            for table in COLUMNS:
                together = pl.concat([parts.tables(p).tables[table] for p in range(5)])
                assert together.sort("_row").equals(whole.tables[table]), (path.name, table)
                assert parts.records[table] == whole.tables[table].height
        finally:
            parts.close()


def test_parts_find_what_the_whole_return_finds(tmp_path: Path, sightline) -> None:
    """Every rule, every record: the agreement return (all tables, failing many rules), and a
    UPN given to children in different parts (rule 444 compares children across parts)."""
    factories.council("356")
    assert _results(sightline, AGREEMENT, "--parts", PARTS) == _results(
        sightline, AGREEMENT, "--parts", "1"
    )
    rows = builders.build(children=40, year=2026, seed=8)
    rows.header[3]["UPN"] = rows.header[-1]["UPN"] = "A123456789012"
    folder = builders.write_csv(rows, tmp_path / "356" / "2026")
    found = _results(sightline, folder, "--parts", PARTS)
    assert found == _results(sightline, folder, "--parts", "1")
    assert found.count("\n444,") == 2


def _held() -> dict[str, list[tuple]]:
    """What ``snapshot`` leaves out: settings, the other tables, the children's details, the
    import's counts and its audit events."""
    imported = ReturnImport.objects.get(replaced_at__isnull=True)
    return snapshot() | {
        "settings": sorted(
            Setting.objects.values_list(
                "urn", "name", "sector", "postcode", "council_id", "police_force_id",
                "place_type", "from_return",
            )
        ),
        "reviews": sorted(
            ImportedReview.objects.values_list("child__child_ref", "review", "review_code")
        ),
        "social_workers": sorted(
            ImportedSocialWorkerEpisode.objects.values_list("child__child_ref", "sw_id")
        ),
        "details": sorted(ReturnedChildDetails.objects.values_list("child__child_ref", "upn")),
        "linked": [(ImportedPlacement.objects.count(), Episode.objects.count())],
        "counts": [
            (
                imported.children_created, imported.children_updated, imported.placements,
                imported.missing_episodes, imported.settings_created, imported.source_sha256,
            )
        ],
        "audited": [
            (AuditEvent.objects.filter(verb=AuditVerb.IMPORT_CHANGED_CHILD).count(),)
        ],
    }  # fmt: skip


def test_a_return_imports_in_parts_as_it_does_whole(tmp_path: Path, sightline) -> None:
    """The same records from an import in five parts as from one, on a first import and on
    a re-import that replaces it; a URN at two postcodes keeps its first episode's."""
    rows = builders.build(children=300, year=2025, seed=12)
    with_urn = [e for e in rows.episodes if e["URN"]]
    with_urn[-1]["URN"] = with_urn[0]["URN"]  # children far apart: likely two parts
    more = builders_more.build_more(rows, year=2025)
    folder = builders_more.write_csv(rows, more, tmp_path / "356" / "2025")
    smaller = builders.build(children=250, year=2025, seed=12)
    again = builders_more.write_csv(
        smaller, builders_more.build_more(smaller, year=2025), tmp_path / "again" / "356" / "2025"
    )
    held = {}
    for parts in ("1", PARTS):
        with transaction.atomic():
            first = sightline("import", str(folder), "--quiet", "--parts", parts)
            assert first.code == 0, first.err
            after_first = _held()
            second = sightline("import", str(again), "--quiet", "--replace", "--parts", parts)
            assert second.code == 0, second.err
            held[parts] = (after_first, _held())
            transaction.set_rollback(True)
    assert held[PARTS] == held["1"]
    assert len(held["1"][0]["children"]) == len(rows.header)  # a child with episodes each


def test_a_return_failing_a_rule_in_one_part_writes_nothing(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=200, year=2025, seed=3)
    rows.episodes[-1]["LS"] = "ZZ"
    folder = builders.write_csv(rows, tmp_path / "356" / "2025")
    result = sightline("import", str(folder), "--quiet", "--parts", PARTS)
    assert result.code == 1
    assert "Nothing was imported" in result.err
    assert not ReturnImport.objects.exists()
    assert not Episode.objects.exists()


def test_the_parts_folder_is_removed(tmp_path: Path) -> None:
    parts = spill(AGREEMENT, parts=3, folder=tmp_path)
    assert parts.folder is not None and parts.folder.exists()
    parts.close()
    assert not parts.folder.exists()
    shutil.rmtree(tmp_path, ignore_errors=True)


@pytest.mark.parametrize("action", ["validate", "import"])
def test_no_parts_folder_is_left_when_last_years_return_cannot_be_read(
    tmp_path: Path, monkeypatch, sightline, action: str
) -> None:
    """A --previous that cannot be read leaves none of this year's return (children's personal
    data, as Parquet) in the temporary folder (review of 6 December)."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    args = [action, str(AGREEMENT), "--parts", "3", "--previous", str(tmp_path / "missing")]
    if action == "import":
        args.append("--quiet")
    run = sightline(*args)
    assert run.code == 1, run.err
    assert list(scratch.iterdir()) == []


def test_the_encoding_pass_agrees_with_the_whole_file_reader(tmp_path: Path, monkeypatch) -> None:
    """A lead byte at a block's end, an ASCII block, then continuation bytes: not UTF-8, as
    the whole-file reader says (review of 6 December)."""
    monkeypatch.setattr(stream, "BLOCK_BYTES", 16)
    data = b"A" * 15 + b"\xe9" + b"B" * 16 + b"\x92\x80" + b"C" * 14
    path = tmp_path / "x.csv"
    path.write_bytes(data)
    whole, problem = reader._decode(path.name, data)
    assert problem is None and whole == data.decode("cp1252").encode("utf-8")
    assert stream._scan(path).utf8 is False
