"""The other nine SSDA903 tables: reading them (CSV and XML), their rules, each year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from sightline.family.selectors import continuity_for_child
from sightline.returns.derive import Context, prepare
from sightline.returns.models import ImportedReview, ImportedSocialWorkerEpisode
from sightline.returns.reader import ReadError, read_return
from sightline.returns.schema import (
    COLUMNS,
    EXTRA_COLUMNS,
    FILE_NAMES,
    MORE_TABLES,
    CollectionYear,
    frame_columns,
)
from sightline.returns.validation import run_rules
from tests import factories
from tests.returns import builders, builders_more

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"


def results_of(path: Path, year: int) -> pl.DataFrame:
    frames = prepare(read_return(path), Context(year=CollectionYear(year), council=STOCKPORT))
    return run_rules(frames)


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_a_valid_return_of_twelve_tables_passes_in_csv_and_xml(tmp_path: Path, year: int):
    rows = builders.build(children=30, year=year, seed=year)
    more = builders_more.build_more(rows, year=year)
    folder = builders_more.write_csv(rows, more, tmp_path / "csv")
    tables = read_return(folder)
    assert {t: tables.tables[t].height for t in MORE_TABLES} == {
        t: len(more[t]) for t in MORE_TABLES
    }
    assert results_of(folder, year).to_dicts() == []
    xml = builders_more.write_xml(rows, more, tmp_path / "r.xml")
    read = read_return(xml)
    for table in MORE_TABLES:
        if table in ("SWEpisodes", "DoLo"):
            assert table not in read.supplied  # no XML form
            continue
        # Every column but _file and _row: the CSV columns the same, and the XML's UASC flag
        # (schema.EXTRA_COLUMNS) 1 on every UASC record, where the CSV file has none.
        columns = list(read.tables[table].columns[:-2])
        assert columns == list(frame_columns(table)), table
        csv_columns = list(COLUMNS[table])
        assert (
            read.tables[table].select(csv_columns).to_dicts()
            == tables.tables[table].select(csv_columns).to_dicts()
        ), table
        for extra in EXTRA_COLUMNS.get(table, ()):
            assert tables.tables[table][extra].null_count() == tables.tables[table].height
            assert set(read.tables[table][extra]) == {"1"}
    assert results_of(xml, year).to_dicts() == []


def _return(tmp_path: Path, year: int = 2025, children: int = 8):
    rows = builders.build(children=children, year=year, seed=7)
    return rows, builders_more.build_more(rows, year=year)


# Each case breaks one value of a valid return and expects exactly its rule on that record
# (file and row: the header line is row 1).
FAULTS = {
    "104 DUC not a date": ("UASC", {"DUC": "31/02/2025"}, "104"),
    "INT21 UASC sex": ("UASC", {"SEX": "U"}, "INT21"),
    "166 review date": ("Reviews", {"REVIEW": "2025-01-01"}, "166"),
    "167 participation": ("Reviews", {"REVIEW_CODE": "PN9"}, "167"),
    "INT17 review DOB": ("Reviews", {"DOB": "01/01/2001"}, "INT17"),
    "112 DATE_INT": ("AD1", {"DATE_INT": "xx"}, "112"),
    "177 LS_ADOPTR": ("AD1", {"LS_ADOPTR": "L99"}, "177"),
    "520 L11 not MF": ("AD1", {"SEX_ADOPTR": "MM"}, "520"),
    "120 reason ceased": ("PlacedAdoption", {"DATE_PLACED_CEASED": "01/12/2024",
                                             "REASON_PLACED_CEASED": "RD9"}, "120"),
    "119 date without reason": ("PlacedAdoption", {"DATE_PLACED_CEASED": "01/12/2024"}, "119"),
    "631 PREV_PERM": ("PrevPerm", {"PREV_PERM": "P9", "LA_PERM": "356",
                                   "DATE_PERM": "01/01/2015"}, "631"),
    "633 LA_PERM": ("PrevPerm", {"PREV_PERM": "P1", "LA_PERM": "000",
                                 "DATE_PERM": "01/01/2015"}, "633"),
    "180 SDQ score": ("OC2", {"SDQ_SCORE": "41"}, "180"),
    "181 flag": ("OC2", {"TEETH_CHECK": "2"}, "181"),
    "131 IN_TOUCH": ("OC3", {"IN_TOUCH": "NOPE"}, "131"),
    "345 in touch, activity 0": ("OC3", {"ACTIV": "0"}, "345"),
    "SW02 social worker id": ("SWEpisodes", {"SW_ID": "AB12"}, "SW02STG1"),
    "SW13 reason": ("SWEpisodes", {"SW_REASON": "BORED"}, "SW13STG1"),
    "SL02 too long": ("SWEpisodes", {"SW_ID": "SW" + "9" * 30}, "SL02"),
}  # fmt: skip


@pytest.mark.parametrize("case", FAULTS)
def test_each_broken_value_gives_its_rule(tmp_path: Path, case: str) -> None:
    table, change, code = FAULTS[case]
    rows, more = _return(tmp_path)
    more[table][0].update(change)
    folder = builders_more.write_csv(rows, more, tmp_path / "r")
    results = results_of(folder, 2025)
    expected = {(code, table, 2)}
    if table == "PlacedAdoption" and "DATE_PLACED_CEASED" in change:
        # A reversed decision and an adoption of the same child: 525 in both tables too.
        expected |= {("525", "PlacedAdoption", 2), ("525", "AD1", 2)}
    assert {(r["rule"], r["table"], r["row"]) for r in results.iter_rows(named=True)} == expected
    assert set(results.filter(pl.col("table") == table)["file"]) == {FILE_NAMES[table]}


def test_630_asks_for_previous_permanence_of_a_child_who_started_care(tmp_path: Path) -> None:
    rows, more = _return(tmp_path)
    gone = more["PrevPerm"].pop(0)
    folder = builders_more.write_csv(rows, more, tmp_path / "r")
    results = results_of(folder, 2025)
    assert set(results["rule"]) == {"630"}
    assert set(results["child"]) == {gone["CHILD"]}
    # Without a PrevPerm file, the rule does not run (as the DfE's tool).
    (folder / "prev_perm.csv").unlink()
    assert results_of(folder, 2025).height == 0


def test_rules_follow_the_year(tmp_path: Path) -> None:
    # SW19 (two social worker episodes starting the same day) is a 2025/26 rule.
    for year, expected in ((2025, set()), (2026, {"SW19STG2"})):
        rows, more = _return(tmp_path, year=year)
        more["SWEpisodes"].append(dict(more["SWEpisodes"][0], SW_ID="SW7777"))
        folder = builders_more.write_csv(rows, more, tmp_path / str(year))
        assert set(results_of(folder, year)["rule"]) - {"SW08STG2", "SW10STG2"} == expected


def test_a_bad_value_is_named_by_file_row_child_and_field(tmp_path: Path, sightline) -> None:
    rows, more = _return(tmp_path)
    more["Reviews"][2]["REVIEW_CODE"] = "PN9"
    folder = builders_more.write_csv(rows, more, tmp_path / "356" / "2025")
    result = sightline("validate", str(folder))
    assert result.code == 1
    child = more["Reviews"][2]["CHILD"]
    assert "Rule 167 (error, Reviews: REVIEW_CODE), 1 record: Data entry for participation" in (
        result.out
    )
    assert f"reviews.csv, row 4, child {child}" in result.out


def test_a_ragged_row_in_a_new_table_is_refused_naming_the_file_and_row(tmp_path: Path):
    rows, more = _return(tmp_path)
    folder = builders_more.write_csv(rows, more, tmp_path / "r")
    path = folder / "oc3.csv"
    path.write_text(path.read_text() + "1000,01/01/2008\n")
    with pytest.raises(ReadError) as caught:
        read_return(folder)
    assert (
        str(caught.value)
        == f"oc3.csv, row {len(more['OC3']) + 2}: The row has 2 values; the header has 5 columns."
    )


def test_import_then_export_round_trip_keeps_the_nine_tables(tmp_path: Path, sightline):
    rows, more = _return(tmp_path)
    folder = builders_more.write_csv(rows, more, tmp_path / "in")
    args = ("--council", "356", "--year", "2025", "--quiet")
    result = sightline("import", str(folder), *args)
    assert result.code == 0, result.err
    stockport = factories.council("356")
    assert ImportedReview.objects.filter(child__placing_council=stockport).count() == len(
        more["Reviews"]
    )
    social_worker = ImportedSocialWorkerEpisode.objects.get(
        child__child_ref=more["SWEpisodes"][0]["CHILD"]
    )
    assert social_worker.sw_id == more["SWEpisodes"][0]["SW_ID"]
    assert social_worker.sw_decom.strftime("%d/%m/%Y") == more["SWEpisodes"][0]["SW_DECOM"]
    # The child's continuity counts the imported SWEpisodes (issue 17, ADR 52): on the last
    # day of the return, every worker the return gave the child in the 12 months before.
    child = social_worker.child
    day = dt.date(2025, 3, 31)
    given = {
        r["SW_ID"]
        for r in more["SWEpisodes"]
        if r["CHILD"] == child.child_ref
        and (
            not r["SW_DEC"]
            or dt.datetime.strptime(r["SW_DEC"], "%d/%m/%Y").date() >= day - dt.timedelta(days=365)
        )
    }
    continuity = continuity_for_child(child=child, on=day)
    assert (continuity.social_workers, continuity.from_returns) == (len(given), True)
    for fmt, out in (("csv", tmp_path / "out"), ("xml", tmp_path / "out.xml")):
        assert sightline("export", "--council", "356", "--year", "2025", str(out),
                         "--format", fmt).code == 0  # fmt: skip
        read = read_return(out)
        for table in MORE_TABLES:
            if not more[table] or (fmt == "xml" and table in ("SWEpisodes", "DoLo")):
                continue
            original = pl.DataFrame(more[table]).with_columns(pl.all().replace("", None))
            assert (
                read.tables[table]
                .select(original.columns)
                .sort("CHILD")
                .equals(original.sort("CHILD"))
            ), (fmt, table)
        # Re-imported, the same records.
        again = sightline("import", str(out), *args, "--replace")
        assert again.code == 0, again.err
    assert ImportedReview.objects.filter(child__placing_council=stockport).count() == len(
        more["Reviews"]
    )
    # The XML, imported last, has no social worker episodes (no XML form): replaced by none.
    assert ImportedSocialWorkerEpisode.objects.count() == 0
