"""``sightline synth england`` writes its world's register of Ofsted providers,
``DIR/providers.csv``: Ofsted's provider-level columns, read by ``returns.providers``, listing
every URN the episodes give, so that a clean return passes the eight rules that check URNs
against the register (ADR 0061)."""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path

import polars as pl
import pytest
from django.core.management import call_command

from sightline.returns.providers import read_providers
from sightline.returns.rules_providers import PROVIDER_RULES
from sightline.synth.england.register import CLOSED, REGISTER_FILE, closed_urn

YEARS = (2024, 2025, 2026)


@pytest.fixture(scope="module")
def england(  # type: ignore[no-untyped-def]
    tmp_path_factory: pytest.TempPathFactory, django_db_setup, django_db_blocker
) -> Path:
    out = tmp_path_factory.mktemp("england")
    with django_db_blocker.unblock():
        from sightline.geography.models import PoliceForce
        from sightline.geography.services import reference_data_load

        if not PoliceForce.objects.exists():
            reference_data_load()
        call_command(
            "synth", "england", "--seed", "4", "--councils", "356", "--scale", "0.2",
            "--from", "2024", "--to", "2026", "--out", str(out),
        )  # fmt: skip
    return out


def _rows(england: Path) -> list[dict[str, str]]:
    with (england / REGISTER_FILE).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _episodes(england: Path) -> pl.DataFrame:
    return pl.concat(
        pl.read_csv(england / "356" / str(year) / "episodes.csv", infer_schema=False)
        for year in YEARS
    )


@pytest.mark.django_db
def test_the_register_is_read_with_no_problems_and_holds_every_urn_of_the_episodes(
    england: Path,
) -> None:
    register = read_providers(england / REGISTER_FILE)  # raises ReadError on any bad row
    held = set(register.frame["URN"].to_list())
    episodes = _episodes(england).filter(pl.col("URN").is_not_null())
    given = set(episodes["URN"].to_list()) - {"XXXXXXX"}
    assert given, "the episodes give URNs"
    assert given <= held, sorted(given - held)[:5]
    # 'XXXXXXX' (no registered provider) is given for independent living (P2) alone.
    none = episodes.filter(pl.col("URN") == "XXXXXXX")
    assert set(none["PLACE"].to_list()) <= {"P2"}


@pytest.mark.django_db
def test_the_register_agrees_with_the_episodes(england: Path) -> None:
    rows = _rows(england)
    by_urn: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_urn.setdefault(row["URN"], []).append(row)
    # Children's homes' postcodes withheld, as Ofsted publishes them; others' given.
    for row in rows:
        home = row["Provision type"].lower() in {"children's home", "secure children's home"}
        assert (row["Postcode"] == "REDACTED") == home, row
    episodes = _episodes(england).filter(pl.col("URN").is_not_null() & (pl.col("URN") != "XXXXXXX"))
    for urn, place, post, code in episodes.select(
        "URN", "PLACE", "PL_POST", "PLACE_PROVIDER"
    ).rows():
        provider = by_urn[urn]
        if place in {"S1", "R3", "K3"}:  # 221 compares these postcodes
            assert post in {p["Postcode"] for p in provider}, (urn, post)
        if code == "PR1":
            assert {p["Local authority"] for p in provider} >= {"Stockport"}, urn
    # Registered before the first episode that gives the URN; open, but for the closed ones
    # only the planted faults give.
    decom = (
        episodes.with_columns(pl.col("DECOM").str.strptime(pl.Date, "%d/%m/%Y").alias("day"))
        .group_by("URN")
        .agg(pl.col("day").min())
    )
    for urn, first in decom.rows():
        registered = by_urn[urn][0]["Registration date"]
        day, month, year = (int(x) for x in registered.split("/"))
        assert (year, month, day) < (first.year, first.month, first.day), urn
    closed = {r["URN"] for r in rows if r["Deregistration date"]}
    assert closed == {CLOSED, *(closed_urn(y) for y in YEARS)}
    assert not closed & set(episodes["URN"].to_list())


@pytest.mark.django_db
def test_a_clean_return_runs_the_eight_provider_rules_and_they_find_nothing(
    england: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for year in YEARS:
        capsys.readouterr()
        with contextlib.suppress(SystemExit):
            call_command(
                "returns", "validate", str(england / "356" / str(year)),
                "--providers", str(england / REGISTER_FILE), "--format", "json",
            )  # fmt: skip
        report = json.loads(capsys.readouterr().out)
        assert report["rules_not_run"] == []
        assert report["providers"], report["providers"]
        assert [r for r in report["results"] if r["rule"] in PROVIDER_RULES] == []
        assert report["errors"] == 0, report["results"][:5]
