"""The eight rules that check URNs against Ofsted's register of providers (ADR 0056): a
synthetic register written here (``builders_providers``: synthetic URNs, never Ofsted's file)
that matches a valid return finds nothing; each planted fault gives its rule on the episode
it broke; without a register the rules are reported as not run; a register Sightline cannot
read is refused naming the row and field."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.providers import read_providers
from sightline.returns.reader import ReadError, read_return
from sightline.returns.rules_providers import PROVIDER_RULES
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules
from tests.returns import builders
from tests.returns.builders_providers import (
    FAULTS,
    Fault,
    Register,
    register_for,
    supported_elsewhere,
    unknown_urn,
    write_register,
    wrong_sector,
)

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"
YEAR = 2026


@pytest.fixture(scope="module")
def clean() -> builders.ReturnRows:
    return builders.build(children=12, year=YEAR, seed=7)


def _found(
    tmp: Path, rows: builders.ReturnRows, register: Register | None, year: int = YEAR
) -> set[tuple[str, str]]:
    folder = builders.write_csv(rows, tmp / "return")
    providers = None
    if register is not None:
        providers = read_providers(write_register(register, tmp / "providers.csv"))
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


def test_a_register_that_agrees_finds_nothing(tmp_path: Path, clean) -> None:
    assert _found(tmp_path, clean, register_for(clean.episodes)) == set()


@pytest.mark.parametrize("plant", FAULTS, ids=lambda f: f.__name__)
def test_each_planted_fault_gives_its_rule(tmp_path: Path, clean, plant: Fault) -> None:
    rows = copy.deepcopy(clean)
    register = register_for(rows.episodes)
    expected = plant(rows, register, set())
    assert _found(tmp_path, rows, register) == expected


def test_241_is_a_2025_26_rule(tmp_path: Path) -> None:
    rows = builders.build(children=12, year=2025, seed=7)
    register = register_for(rows.episodes)
    supported_elsewhere(rows, register, set())
    assert _found(tmp_path, rows, register, year=2025) == set()


def test_without_a_register_the_rules_are_not_run_and_the_output_says_so(
    tmp_path: Path, clean, sightline
) -> None:
    rows = copy.deepcopy(clean)
    register = register_for(rows.episodes)
    unknown_urn(rows, register, set())
    folder = builders.write_csv(rows, tmp_path / "return")
    without = sightline("validate", str(folder), "--council", "356", "--year", str(YEAR))
    assert "Not run: rules 219, 221, 224, 227, 228, 229, 241, 1008" in without.out
    assert "Rule 1008" not in without.out
    given = write_register(register, tmp_path / "providers.csv")
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
    # In parts (ADR 0055) the register goes with every part: the same findings.
    whole, parted = (
        sightline(
            "validate", str(folder), "--council", "356", "--year", str(YEAR),
            "--providers", str(given), "--format", "csv", "--parts", parts,
        ).out
        for parts in ("1", "3")
    )  # fmt: skip
    assert whole == parted and "\n1008," in whole


def test_a_register_it_cannot_read_is_refused_naming_row_and_field(tmp_path: Path, clean) -> None:
    register = register_for(clean.episodes)
    register[1]["Provision type"] = "Castle"
    register[2]["Local authority"] = "Atlantis"
    with pytest.raises(ReadError) as refused:
        read_providers(write_register(register, tmp_path / "providers.csv"))
    shown = [str(p) for p in refused.value.problems]
    assert any("row 3" in p and "Provision type" in p for p in shown), shown
    assert any("row 4" in p and "Local authority" in p for p in shown), shown


def test_import_refuses_what_the_register_finds_and_says_when_it_was_not_given(
    tmp_path: Path, clean, sightline
) -> None:
    rows = copy.deepcopy(clean)
    register = register_for(rows.episodes)
    wrong_sector(rows, register, set())
    folder = builders.write_csv(rows, tmp_path / "return")
    given = write_register(register, tmp_path / "providers.csv")
    where = ("--council", "356", "--year", str(YEAR), "--quiet")
    refused = sightline("import", str(folder), *where, "--providers", str(given))
    assert refused.code == 1 and "Rule 224" in refused.err, refused.err
    imported = sightline("import", str(folder), *where)
    assert imported.code == 0, imported.err
    assert "not run: rules 219, 221, 224, 227, 228, 229, 241, 1008" in imported.out
