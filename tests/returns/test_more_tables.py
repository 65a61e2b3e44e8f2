"""The other nine SSDA903 tables: reading them (CSV and XML), their rules, each year."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.reader import read_return
from sightline.returns.schema import MORE_TABLES, CollectionYear
from sightline.returns.validation import run_rules
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
        columns = list(read.tables[table].columns[:-2])
        assert (
            read.tables[table].select(columns).to_dicts()
            == tables.tables[table].select(columns).to_dicts()
        ), table
    assert results_of(xml, year).to_dicts() == []
