"""`sightline evidence extract` and `sightline report inquiry`, through call_command."""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from django.core.management import CommandError, call_command

from sightline.evidence import frames
from tests.evidence.test_sources import recorded, write_returns  # noqa: F401
from tests.missing.conftest import SURNAME

pytestmark = pytest.mark.django_db


def _report_args(out, *extra: str) -> list[str]:
    return [
        "inquiry",
        "--area",
        "Stockport",
        "--from",
        "2025",
        "--to",
        "2026",
        "--out",
        str(out),
        *extra,
    ]


def test_extract_then_report_from_the_database(recorded, tmp_path, capsys):  # noqa: F811
    call_command("evidence", "extract", "--out", str(tmp_path / "x"))
    assert "1 placements, 1 missing and away episodes" in capsys.readouterr().out
    assert frames.load(tmp_path / "x").spells.height == 1
    out = tmp_path / "report.html"
    call_command("report", *_report_args(out, "--csv-dir", str(tmp_path / "tables"), "--parquet"))
    html = out.read_text()
    assert "Children missing from care: Stockport, 2025 to 2026" in html
    for heading in (
        "Out-of-area share",
        "Rates and trends",
        "Does distance make a difference?",
        "Where the homes are",
        "Notices",
        "Return home interviews",
        "After a placement starts",
        "Method and data quality",
    ):
        assert heading in html
    # Self-contained: no external requests of any kind.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html and "<script" not in html
    assert SURNAME not in html and recorded.child.child_ref not in html
    csv_text = (tmp_path / "tables" / "q1-share-by-year.csv").read_text()
    assert csv_text.splitlines()[2].startswith("2026,c,c,c")
    parquet = pl.read_parquet(tmp_path / "tables" / "q1-share-by-year.parquet")
    assert parquet["missing"].to_list() == ["0", "c"]


def test_report_from_returns_and_from_a_saved_extract(tmp_path, capsys):
    returns = write_returns(tmp_path / "returns")
    out = tmp_path / "r.html"
    call_command(
        "report",
        "inquiry",
        "--area",
        "region:London",
        "--from",
        "2024",
        "--to",
        "2025",
        "--out",
        str(out),
        "--returns",
        str(returns),
    )
    assert "Children missing from care: London, 2024 to 2025" in out.read_text()
    call_command("evidence", "extract", "--returns", str(returns), "--out", str(tmp_path / "e"))
    call_command(
        "report",
        "inquiry",
        "--area",
        "England",
        "--from",
        "2024",
        "--to",
        "2025",
        "--out",
        str(out),
        "--extract",
        str(tmp_path / "e"),
    )
    assert frames.load(tmp_path / "e").as_of == dt.date(2025, 3, 31)


def test_report_refuses_unknown_areas_and_reversed_years(tmp_path):
    with pytest.raises(CommandError, match='do not know an area called "Atlantis"'):
        call_command(
            "report",
            "inquiry",
            "--area",
            "Atlantis",
            "--from",
            "2024",
            "--to",
            "2025",
            "--out",
            str(tmp_path / "r.html"),
        )
    with pytest.raises(CommandError, match="--from must be"):
        call_command(
            "report",
            "inquiry",
            "--area",
            "England",
            "--from",
            "2025",
            "--to",
            "2024",
            "--out",
            str(tmp_path / "r.html"),
        )


@pytest.mark.browser
def test_report_as_pdf_printed_by_chromium(recorded, tmp_path, capsys):  # noqa: F811
    from tests.browser.conftest import _need_chromium

    _need_chromium()
    out, pdf = tmp_path / "report.html", tmp_path / "pdfs" / "report.pdf"
    call_command("report", *_report_args(out, "--pdf", str(pdf)))
    assert f"Wrote {pdf}." in capsys.readouterr().out
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages >= 3  # summary, seven questions, method: several A4 pages
    assert out.exists()


def test_report_as_pdf_without_a_browser_says_what_to_install(
    recorded,  # noqa: F811
    tmp_path,
    monkeypatch,
):
    monkeypatch.setenv("SIGHTLINE_CHROMIUM", str(tmp_path / "no-such-browser"))
    out = tmp_path / "report.html"
    with pytest.raises(CommandError, match=r"needs the Chromium browser.*apt-get install chromium"):
        call_command("report", *_report_args(out, "--pdf", str(tmp_path / "r.pdf")))
    assert out.exists()  # the HTML report was still written
    assert not (tmp_path / "r.pdf").exists()
