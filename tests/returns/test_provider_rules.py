"""The eight rules that check URNs against Ofsted's register of providers (ADR 0056): a
synthetic register written here (synthetic URNs, never Ofsted's file) that matches a valid
return finds nothing; each planted fault gives its rule on the episode it broke; without a
register the rules are reported as not run; a register Sightline cannot read is refused
naming the row and field."""

from __future__ import annotations

import copy
import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.providers import read_providers
from sightline.returns.reader import ReadError, read_return
from sightline.returns.rules_providers import PROVIDER_RULES
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules
from tests.returns import builders
from tests.returns.builders import d

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"
YEAR = 2026
_COUNCIL_NAMES = {
    "E08000007": "Stockport",
    "E08000003": "Manchester",
    "E08000004": "Oldham",
    "E08000009": "Trafford",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
    "E08000016": "Barnsley",
    "E08000019": "Sheffield",
    "E09000033": "Westminster",
}
_COUNCIL_OF = {p: c for c, codes in builders.POSTCODES.items() for p in codes}
_PROVISION = {"K2": "Children's home", "U4": "Independent Fostering Agency"}
_PROVISION["U6"] = _PROVISION["U4"]
_SECTOR = {"PR1": "Local Authority", "PR4": "Private", "PR5": "Voluntary"}
_COLUMNS = [
    "Web link",
    "URN",
    "Provision type",
    "Registration date",
    "Registration status",
    "Postcode",
    "Local authority",
    "Sector",
    "Places",
    "Deregistration date",
]

Register = list[dict[str, str]]


def _register(episodes: list[builders.Row]) -> Register:
    """One provider per URN of the return, agreeing with its episodes."""
    rows: Register = []
    for episode in episodes:
        if not episode["URN"]:
            continue
        rows.append(
            {
                "Web link": "Ofsted Social Care Provider Webpage",
                "URN": episode["URN"],
                "Provision type": _PROVISION[episode["PLACE"]],
                "Registration date": "01/01/2010",
                "Registration status": "Active",
                "Postcode": episode["PL_POST"],
                "Local authority": _COUNCIL_NAMES[_COUNCIL_OF[episode["PL_POST"]]],
                "Sector": _SECTOR[episode["PLACE_PROVIDER"]],
                "Places": "3",
                "Deregistration date": "",
            }
        )
    return rows


def _write_register(rows: Register, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def clean() -> builders.ReturnRows:
    return builders.build(children=12, year=YEAR, seed=7)


def _found(
    tmp: Path, rows: builders.ReturnRows, register: Register | None, year: int = YEAR
) -> set[tuple[str, str]]:
    folder = builders.write_csv(rows, tmp / "return")
    providers = None
    if register is not None:
        providers = read_providers(_write_register(register, tmp / "providers.csv"))
    frames = prepare(
        read_return(folder),
        Context(year=CollectionYear(year), council=STOCKPORT, providers=providers),
    )
    results = run_rules(frames)
    return {
        (r["rule"], r["child"])
        for r in results.iter_rows(named=True)
        if r["rule"] in PROVIDER_RULES
    }


def _first(rows: builders.ReturnRows, register: Register, test: Callable[[builders.Row], bool]):
    episode = next(e for e in rows.episodes if e["URN"] and test(e))
    provider = next(p for p in register if p["URN"] == episode["URN"])
    return episode, provider


def _unknown_urn(rows, register):
    episode, _ = _first(rows, register, lambda e: True)
    episode["URN"] = "SC999999"
    return {("1008", episode["CHILD"])}


def _wrong_place(rows, register):
    episode, provider = _first(rows, register, lambda e: e["PLACE"] == "K2")
    provider["Provision type"] = "Secure children's home"
    return {("219", episode["CHILD"])}


def _wrong_postcode(rows, register):
    episode, provider = _first(rows, register, lambda e: e["PLACE"] == "K2")
    provider["Postcode"] = "M1 1AE" if episode["PL_POST"] != "M1 1AE" else "OL1 1UT"
    return {("221", episode["CHILD"])}


def _wrong_sector(rows, register):
    episode, provider = _first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR4")
    provider["Sector"] = "Voluntary"
    return {("224", episode["CHILD"])}


def _closed_before_start(rows, register):
    episode, provider = _first(rows, register, lambda e: True)
    provider["Deregistration date"] = episode["DECOM"]
    # Ended on the day it began: before the episode ended (or the year did) too.
    return {("227", episode["CHILD"]), ("228", episode["CHILD"])}


def _closed_before_end(rows, register):
    episode, provider = _first(rows, register, lambda e: bool(e["DEC"]))
    decom = dt.datetime.strptime(episode["DECOM"], "%d/%m/%Y").date()
    provider["Deregistration date"] = d(decom + dt.timedelta(days=1))
    return {("228", episode["CHILD"])}


def _own_home_elsewhere(rows, register):
    episode, provider = _first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR1")
    provider["Local authority"] = "Manchester"
    return {("229", episode["CHILD"])}


def _supported_elsewhere(rows, register):
    episode, provider = _first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR4")
    episode["PLACE"] = "K3"
    provider["Provision type"] = "Supported accommodation"
    provider["Local authority"] = (
        "Westminster" if provider["Local authority"] != "Westminster" else "Oldham"
    )
    return {("241", episode["CHILD"])}


FAULTS = [
    _unknown_urn,
    _wrong_place,
    _wrong_postcode,
    _wrong_sector,
    _closed_before_start,
    _closed_before_end,
    _own_home_elsewhere,
    _supported_elsewhere,
]


def test_a_register_that_agrees_finds_nothing(tmp_path: Path, clean) -> None:
    assert _found(tmp_path, clean, _register(clean.episodes)) == set()


@pytest.mark.parametrize("plant", FAULTS, ids=lambda f: f.__name__)
def test_each_planted_fault_gives_its_rule(tmp_path: Path, clean, plant) -> None:
    rows = copy.deepcopy(clean)
    register = _register(rows.episodes)
    expected = plant(rows, register)
    assert _found(tmp_path, rows, register) == expected


def test_241_is_a_2025_26_rule(tmp_path: Path) -> None:
    rows = builders.build(children=12, year=2025, seed=7)
    register = _register(rows.episodes)
    _supported_elsewhere(rows, register)
    assert _found(tmp_path, rows, register, year=2025) == set()


def test_without_a_register_the_rules_are_not_run_and_the_output_says_so(
    tmp_path: Path, clean, sightline
) -> None:
    rows = copy.deepcopy(clean)
    register = _register(rows.episodes)
    _unknown_urn(rows, register)
    folder = builders.write_csv(rows, tmp_path / "return")
    without = sightline("validate", str(folder), "--council", "356", "--year", str(YEAR))
    assert "Not run: rules 219, 221, 224, 227, 228, 229, 241, 1008" in without.out
    assert "Rule 1008" not in without.out
    given = _write_register(register, tmp_path / "providers.csv")
    checked = sightline(
        "validate",
        str(folder),
        "--council",
        "356",
        "--year",
        str(YEAR),
        "--providers",
        str(given),
        "--format",
        "json",
    )
    assert '"rules_not_run": []' in checked.out
    assert '"rule": "1008"' in checked.out
    assert checked.code == 1


def test_a_register_it_cannot_read_is_refused_naming_row_and_field(tmp_path: Path, clean) -> None:
    register = _register(clean.episodes)
    register[1]["Provision type"] = "Castle"
    register[2]["Local authority"] = "Atlantis"
    with pytest.raises(ReadError) as refused:
        read_providers(_write_register(register, tmp_path / "providers.csv"))
    shown = [str(p) for p in refused.value.problems]
    assert any("row 3" in p and "Provision type" in p for p in shown), shown
    assert any("row 4" in p and "Local authority" in p for p in shown), shown
