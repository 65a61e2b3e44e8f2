"""``sightline synth england --faults N``: N known faults in each return, each caught by
``sightline returns validate`` (with the world's register of providers) under the rule code it
was planted for."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from sightline.returns.rules import RULES, RULES_BY_KEY
from sightline.returns.schema import FILE_NAMES
from sightline.synth.england.faults import CATALOGUE, FAULTS_FILE, PROVIDER_FAULTS
from sightline.synth.england.register import REGISTER_FILE

TABLES = {file: table for table, file in FILE_NAMES.items()}


def test_every_fault_is_for_a_rule_the_validator_runs_today() -> None:
    codes = {(r.code, FILE_NAMES[r.table]) for r in RULES}
    for fault in CATALOGUE:
        assert (fault.rule, fault.file) in codes, fault
    # One fault for each rule of each table (SL01 checks all twelve tables).
    assert len({(f.rule, f.file) for f in CATALOGUE}) == len(CATALOGUE)


#: The rules with no planted fault, each with the reason no fault can be planted for it. The
#: list can only shrink: a rule listed here that gets a fault fails the test below, as does a
#: rule without a fault that is not listed.
NOT_PLANTED = {
    # No return can break them: the rule reads only what Sightline derives, or finds nothing.
    "411": "PL_LOCATION is derived from PL_LA (IN where PL_LA is the council's own area), so "
    "the two cannot disagree in any return",
    "164": "PL_DISTANCE is derived from the two postcodes: never negative, never above 999.9 "
    "miles (no two places in Great Britain are that far apart; across the Irish Sea it is "
    "blank)",
}


def test_every_rule_has_a_planted_fault_but_those_listed_with_their_reason() -> None:
    planted = {(f.rule, f.file) for f in CATALOGUE}
    # A rule of several tables (SL01, 523...) counts as planted when every table has a fault.
    unplanted = {r.code for r in RULES if (r.code, FILE_NAMES[r.table]) not in planted}
    assert unplanted == set(NOT_PLANTED)
    assert not {f.rule for f in CATALOGUE} & set(NOT_PLANTED)


def test_the_provider_rules_each_have_a_fault() -> None:
    from sightline.returns.rules_providers import PROVIDER_RULES

    assert {f.rule for f in PROVIDER_FAULTS} == PROVIDER_RULES


def _validate(
    folder: Path, register: Path, capsys: pytest.CaptureFixture[str], previous: Path | None = None
) -> list[dict[str, object]]:
    capsys.readouterr()
    last = ("--previous", str(previous)) if previous is not None else ()
    with contextlib.suppress(SystemExit):  # exit status 1: the return has errors
        call_command(
            "returns", "validate", str(folder), "--providers", str(register), "--format", "json",
            *last,
        )  # fmt: skip
    report = json.loads(capsys.readouterr().out)
    assert report["rules_not_run"] == []
    return list(report["results"])


@pytest.mark.django_db
def test_each_planted_fault_is_caught_by_its_rule_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load

    if not PoliceForce.objects.exists():
        reference_data_load()
    monkeypatch.delenv("SIGHTLINE_REFERENCE_DIR", raising=False)
    out = tmp_path / "england"
    # Three years, so that the rules of 2023/24 alone are checked too, and each year after
    # the first is validated with the year before (the rules that compare the two); a large
    # council (Birmingham), so that each table has records for all its faults.
    call_command(
        "synth", "england", "--seed", "4", "--councils", "330", "--scale", "1",
        "--from", "2024", "--to", "2026", "--faults", str(len(CATALOGUE)), "--out", str(out),
    )  # fmt: skip
    planted = json.loads((out / FAULTS_FILE).read_text())["faults"]
    assert len(planted) == 3 * len(CATALOGUE)
    assert {(p["rule"], p["file"]) for p in planted} == {(f.rule, f.file) for f in CATALOGUE}
    for year in (2024, 2025, 2026):
        last = out / "330" / str(year - 1) if year > 2024 else None
        found = {
            (r["rule"], r["file"], r["row"], r["child"])
            for r in _validate(out / "330" / str(year), out / REGISTER_FILE, capsys, last)
        }
        mine = [p for p in planted if p["year"] == year]
        # The faults only XML can carry (303, 205C: the UASC flag 0 with a date UASC ceased)
        # are in the same return written as XML, DIR/330/<year>.xml, validated with the same
        # year before (CSV) and register, and reported with the XML's name and line.
        # The CSV files cannot carry them: their rules find nothing there.
        in_xml = {p["xml"] for p in mine if p["xml"]}
        assert in_xml == {f"{year}.xml"}
        xml_rules = {p["rule"] for p in mine if p["xml"]}
        assert not {r for r, _, _, _ in found} & xml_rules
        found |= {
            (r["rule"], r["file"], r["row"], r["child"])
            for r in _validate(out / "330" / f"{year}.xml", out / REGISTER_FILE, capsys, last)
            if r["rule"] in xml_rules
        }
        assert len(mine) == len(CATALOGUE)
        # Each only in a year its rule is checked.
        for p in mine:
            assert RULES_BY_KEY[(p["rule"], TABLES[p["file"]])].applies_to(year), p
        # A fault whose rule compares with last year's return only where there is one.
        assert all(not p["previous"] for p in mine) or last is not None
        # Every provider fault whose rule the year checks (241 from 2025/26).
        rules = {p["rule"] for p in mine}
        assert rules >= {f.rule for f in PROVIDER_FAULTS if year >= f.from_year}
        missed = [
            p for p in mine if (p["rule"], p["xml"] or p["file"], p["row"], p["child"]) not in found
        ]
        assert missed == []
    # And the faults changed nothing but the records faults.json lists (a fault's own, the
    # child's others it names, and the records some faults add at the end of a file).
    clean = tmp_path / "clean"
    call_command(
        "synth", "england", "--seed", "4", "--councils", "330", "--scale", "1",
        "--from", "2024", "--to", "2026", "--out", str(clean),
    )  # fmt: skip
    assert not list(clean.glob("330/*.xml"))  # no XML form without such a fault
    for year in (2024, 2025, 2026):
        # The CSV files hold every fault but those only XML can carry (``xml``).
        mine = [p for p in planted if p["year"] == year and not p["xml"]]
        changed = {(p["file"], p["row"]) for p in mine if p["changed"]}
        changed |= {(file, row) for p in mine for file, row in p["others"]}
        differ = set()
        for name in FILE_NAMES.values():
            before = (clean / "330" / str(year) / name).read_text().splitlines()
            after = (out / "330" / str(year) / name).read_text().splitlines()
            assert len(after) >= len(before)
            differ |= {
                (name, row)
                for row, line in enumerate(after, start=1)
                if row > len(before) or line != before[row - 1]
            }
        assert differ == changed


@pytest.mark.django_db
def test_no_faults_by_default_and_the_rest_of_the_return_is_unchanged(tmp_path: Path) -> None:
    from sightline.geography.models import PoliceForce
    from sightline.geography.services import reference_data_load

    if not PoliceForce.objects.exists():
        reference_data_load()
    args = ("--seed", "4", "--councils", "356", "--scale", "0.1", "--from", "2025", "--to", "2025")
    call_command("synth", "england", "--out", str(tmp_path / "clean"), *args)
    call_command("synth", "england", "--out", str(tmp_path / "faulty"), "--faults", "3", *args)
    assert not (tmp_path / "clean" / FAULTS_FILE).exists()
    planted = json.loads((tmp_path / "faulty" / FAULTS_FILE).read_text())["faults"]
    assert len(planted) == 3
    # Each fault's record (unless it changes only the child's others), and the child's other
    # records some faults change with it.
    changed = {(p["file"], p["row"]) for p in planted if p["changed"]}
    changed |= {(file, row) for p in planted for file, row in p["others"]}
    for name in ("header.csv", "episodes.csv", "missing.csv"):
        clean = (tmp_path / "clean" / "356" / "2025" / name).read_text().splitlines()
        faulty = (tmp_path / "faulty" / "356" / "2025" / name).read_text().splitlines()
        assert len(clean) == len(faulty)
        differ = {
            (name, i + 1) for i, (a, b) in enumerate(zip(clean, faulty, strict=True)) if a != b
        }
        assert differ == {c for c in changed if c[0] == name}
    # The faults are in the returns: the register is the clean world's.
    register = (tmp_path / "clean" / REGISTER_FILE).read_bytes()
    assert (tmp_path / "faulty" / REGISTER_FILE).read_bytes() == register
