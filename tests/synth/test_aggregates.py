"""The calibration figures shipped in the package: derived from the published files, and enough
for ``sightline synth england`` on a machine that has none of them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sightline.synth.england.aggregates import (
    AGGREGATES_FILE,
    DATA_DIR,
    PROVIDERS_FILE,
    Aggregates,
)
from sightline.synth.england.reference import REFERENCE_ENV, ReferenceData

REFERENCE = os.environ.get(REFERENCE_ENV)
needs_reference = pytest.mark.skipif(
    not REFERENCE or not Path(REFERENCE).is_dir(),
    reason=f"{REFERENCE_ENV} is not set: no published files to derive from",
)


@needs_reference
def test_the_shipped_figures_are_what_the_tool_derives_from_the_published_files(
    tmp_path: Path,
) -> None:
    call_command(
        "synth", "derive-aggregates", "--reference", str(REFERENCE), "--out", str(tmp_path)
    )
    for name in (AGGREGATES_FILE, PROVIDERS_FILE):
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), name
    shipped, derived = Aggregates.read(), Aggregates.derive(ReferenceData(Path(str(REFERENCE))))
    assert shipped.national == derived.national
    assert shipped.councils == derived.councils
    assert shipped.providers == derived.providers
    assert shipped.figures == derived.figures


def test_the_shipped_figures_are_small_and_cover_what_the_generator_reads() -> None:
    sizes = {name: (DATA_DIR / name).stat().st_size for name in (AGGREGATES_FILE, PROVIDERS_FILE)}
    assert sum(sizes.values()) < 400_000, sizes
    assert (DATA_DIR / "SOURCES.md").read_text().count("Open Government Licence v3.0") >= 1
    shipped = Aggregates.read()
    national = shipped.national_cla_31_march()
    assert national[2025] == 81770 and min(national) <= 2015 - 19 + 18
    councils = shipped.council_cla_31_march()
    assert len(councils) >= 150 and councils["E08000007"] > 0  # Stockport
    kinds = {p.provision_type.lower() for p in shipped.ofsted_providers()}
    assert "children's home" in kinds and "independent fostering agency" in kinds
    assert shipped.published(2025)["cla_31_march"].value == 81770
    with pytest.raises(Exception, match="2015 to 2026"):
        shipped.published(2030)


@pytest.mark.django_db
def test_synth_england_runs_with_no_reference_folder_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As on a fresh clone: no SIGHTLINE_REFERENCE_DIR, no --reference."""
    monkeypatch.delenv(REFERENCE_ENV, raising=False)
    out = tmp_path / "england"
    args = ("--seed", "3", "--councils", "356", "--scale", "0.1", "--from", "2025", "--to", "2025")
    call_command("synth", "england", "--out", str(out), *args)
    written = {p.name for p in (out / "356" / "2025").iterdir()}
    # The three tables every return has, and the others of the twelve it has records for.
    assert {"episodes.csv", "header.csv", "missing.csv"} <= written
    assert written <= {
        "header.csv", "episodes.csv", "missing.csv", "uasc.csv", "reviews.csv", "ad1.csv",
        "placed_adoption.csv", "prev_perm.csv", "oc2.csv", "oc3.csv", "sw_episodes.csv",
        "dolo.csv",
    }  # fmt: skip
    assert (out / "356" / "2025" / "header.csv").read_text().count("\n") > 10
    # The calibration report reads the shipped figures too.
    # A tenth of one council may well be outside ±10% on some measure: exit status 1.
    with contextlib.suppress(SystemExit):
        call_command("synth", "calibration", str(out), "--year", "2025")
    report = capsys.readouterr().out
    assert "81,770" not in report  # counts are scaled to the run's share of England
    assert "DfE CLA 2025" in report and "Looked after at 31 March" in report
    if REFERENCE and Path(REFERENCE).is_dir():
        # Calibrating to the published files themselves gives the same returns, byte for byte.
        again = tmp_path / "again"
        call_command("synth", "england", "--out", str(again), "--reference", REFERENCE, *args)
        for path in sorted(out.rglob("*.csv")):
            assert path.read_bytes() == (again / path.relative_to(out)).read_bytes(), path


def test_a_missing_reference_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="does not exist"):
        call_command(
            "synth", "england", "--out", str(tmp_path), "--reference", str(tmp_path / "nowhere")
        )
