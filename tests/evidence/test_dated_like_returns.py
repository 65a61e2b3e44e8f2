"""Evidence from imported SSDA903 returns is dated like the returns: a report built from the
database after ``sightline returns import`` gives the same figures, year by year, as one built
from the same files read directly (``--returns``), and no data after the last return."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest
from django.core.management import call_command
from polars.testing import assert_frame_equal

from sightline.evidence import areas, inquiry, report, sources
from sightline.evidence.questions import Query

YEARS = (2023, 2024, 2025)
SECTIONS = ("q1", "q2", "q7")


@pytest.fixture(scope="module")
def england(  # type: ignore[no-untyped-def]
    tmp_path_factory: pytest.TempPathFactory, django_db_setup, django_db_blocker
) -> Path:
    out = tmp_path_factory.mktemp("dated")
    with django_db_blocker.unblock():
        from sightline.geography.models import PoliceForce
        from sightline.geography.services import reference_data_load

        if not PoliceForce.objects.exists():
            reference_data_load()
        call_command(
            "synth", "england", "--seed", "11", "--councils", "356", "--scale", "0.3",
            "--from", str(YEARS[0]), "--to", str(YEARS[-1]), "--out", str(out),
        )  # fmt: skip
    return out


def _import(england: Path, years: tuple[int, ...]) -> None:
    for year in years:
        call_command(
            "returns", "import", str(england / "356" / str(year)), "--council", "356",
            "--year", str(year),
        )  # fmt: skip


def _answers(extract, year_from: int, year_to: int) -> dict[str, pl.DataFrame]:  # type: ignore[no-untyped-def]
    query = Query(areas.resolve("Stockport", extract), year_from, year_to)
    inquiry.forget()
    found = inquiry.run(query, extract, only=SECTIONS)
    return {t.slug: t.frame for t in found.tables()}


def _same(slug: str, got: pl.DataFrame, expected: pl.DataFrame) -> None:
    try:
        assert_frame_equal(got, expected, check_row_order=False)
    except AssertionError as exc:
        raise AssertionError(f"{slug}: {exc}\n{got}\n{expected}") from None


@pytest.mark.django_db
def test_imported_returns_give_the_figures_of_the_same_files_read_directly(
    england: Path,
) -> None:
    _import(england, YEARS)
    from_db = sources.from_database()
    direct = sources.from_returns(england)
    assert from_db.as_of == direct.as_of
    db_answers = _answers(from_db, 2022, 2026)
    file_answers = _answers(direct, 2022, 2026)
    assert db_answers.keys() == file_answers.keys()
    for slug, frame in file_answers.items():
        _same(slug, db_answers[slug], frame)
    trend = db_answers["q2-trend"]
    by_year = dict(zip(trend["year"].to_list(), trend["days"].to_list(), strict=True))
    assert all(by_year[y] > 0 for y in YEARS)
    assert by_year.get(2026, 0) == 0


@pytest.mark.django_db
def test_one_imported_year_reports_no_data_after_its_31_march(
    england: Path, tmp_path: Path
) -> None:
    """Importing 2024/25 and asking for 2025 to 2026: nothing for 2026, as with --returns."""
    _import(england, (2025,))
    only = tmp_path / "only" / "356"
    shutil.copytree(england / "356" / "2025", only / "2025")
    from_db = sources.from_database()
    direct = sources.from_returns(tmp_path / "only")
    assert str(from_db.as_of) == str(direct.as_of) == "2025-03-31"
    assert from_db.spells["end"].null_count() == 0  # open on 31 March 2025, no later
    db_answers, file_answers = _answers(from_db, 2025, 2026), _answers(direct, 2025, 2026)
    for slug, frame in file_answers.items():
        _same(slug, db_answers[slug], frame)
    trend = db_answers["q2-trend"].filter(pl.col("year") == 2026)
    assert trend.height == 0 or trend["days"].fill_null(0).sum() == 0


@pytest.mark.django_db
def test_the_headline_puts_missing_away_and_both_side_by_side_and_says_31_march_counts(
    england: Path,
) -> None:
    _import(england, YEARS)
    extract = sources.from_database()
    query = Query(areas.resolve("England", extract), 2023, 2025)
    inquiry.forget()
    found = inquiry.run(query, extract)
    h = found.headlines
    line = report.headline_lines(found)[-2]  # before the distance line
    assert line.startswith(f"In 2025, over {h['days_last_year']:,} placement-days: missing: ")
    assert "; away: " in line and "; missing or away: " in line
    html = report.render(found)
    assert "31 March, the last day of the collection year, is counted." in html
    later = inquiry.run(Query(query.area, 2025, 2026), extract)
    assert "No placement-days in 2026 in these data: they run to 31 March 2025." in (
        report.headline_lines(later)
    )


@pytest.mark.django_db
def test_returns_in_another_layout_give_the_same_report(england: Path, tmp_path: Path) -> None:
    """--returns reads a folder of any layout: here, one folder per return named like
    "stockport-356-2024_25" and one listed in a manifest."""
    relaid = tmp_path / "relaid"
    for year in YEARS[:-1]:
        shutil.copytree(
            england / "356" / str(year), relaid / f"stockport-356-{year - 1}_{year % 100}"
        )
    shutil.copytree(england / "356" / str(YEARS[-1]), relaid / "latest")
    (relaid / "manifest.csv").write_text(
        "path,council,year\n"
        + "".join(f"stockport-356-{y - 1}_{y % 100},356,{y}\n" for y in YEARS[:-1])
        + f"latest,356,{YEARS[-1]}\n"
    )
    same, direct = sources.from_returns(relaid), sources.from_returns(england)
    assert same.as_of == direct.as_of
    expected = _answers(direct, 2022, 2026)
    for slug, frame in _answers(same, 2022, 2026).items():
        _same(slug, frame, expected[slug])


@pytest.mark.django_db
def test_importing_the_years_in_any_order_gives_the_same_figures(england: Path) -> None:
    """A later year's return knows more of an episode open at an earlier 31 March (its end):
    importing the earlier year afterwards leaves it as the later return has it."""
    _import(england, tuple(reversed(YEARS)))
    backwards = _answers(sources.from_database(), 2022, 2026)
    expected = _answers(sources.from_returns(england), 2022, 2026)
    for slug, frame in expected.items():
        _same(slug, backwards[slug], frame)
