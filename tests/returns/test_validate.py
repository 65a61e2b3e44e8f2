"""`sightline returns validate`: the rules, their results and the command."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import polars as pl
import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.models import ReturnImport
from sightline.returns.reader import read_return
from sightline.returns.rules import RULES, rules_for_year
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import infer_council_and_year, run_rules
from tests.returns import builders

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"


def check(rows: builders.ReturnRows, tmp_path: Path, *, council: str = STOCKPORT, year: int = 2025):
    folder = builders.write_csv(rows, tmp_path / "return")
    frames = prepare(read_return(folder), Context(year=CollectionYear(year), council=council))
    return frames, run_rules(frames)


def found(results: pl.DataFrame) -> set[tuple[str, str, int]]:
    return {(r["rule"], r["file"], r["row"]) for r in results.iter_rows(named=True)}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_valid_returns_pass_every_rule(tmp_path: Path, seed: int) -> None:
    rows = builders.build(children=40, seed=seed)
    _, results = check(rows, tmp_path)
    assert results.to_dicts() == []


def test_a_return_of_year_2024_uses_the_sex_codes_of_that_year(tmp_path: Path) -> None:
    rows = builders.build(children=10, year=2024)
    _, results = check(rows, tmp_path, year=2024)
    assert results.to_dicts() == []
    rows.header[0]["SEX"] = "M"
    _, results = check(rows, tmp_path, year=2024)
    assert found(results) == {("101", "header.csv", 2)}


# Each case breaks one thing in a valid return and expects exactly the rule for it, on the
# record it broke (file and row: the header line is row 1).
CASES = {
    "101 sex code": ("header", 0, {"SEX": "1"}, {("101", "header.csv", 2)}),
    "102 date of birth": ("header", 1, {"DOB": "31/02/2010"}, None),
    "103 ethnicity": ("header", 2, {"ETHNIC": "XXXX"}, {("103", "header.csv", 4)}),
    "SL06 mother code": ("header", 2, {"MOTHER": "11"}, {("SL06", "header.csv", 4)}),
    "232 sex unknown (warning)": ("header", 0, {"SEX": "U"}, {("232", "header.csv", 2)}),
    "301 born after the year": ("header", 0, {"DOB": "01/04/2025"}, None),
    "143 reason for new episode": ("episodes", 0, {"RNE": "Q"}, None),
    # The next episode is a change of placement (RNE P): a changed legal status is 435 there,
    # a category of need that differs from the start of the period of care 504.
    "144 legal status": (
        "episodes",
        0,
        {"LS": "C9"},
        {("144", "episodes.csv", 2), ("435", "episodes.csv", 3)},
    ),
    "145 category of need": (
        "episodes",
        0,
        {"CIN": "N9"},
        {("145", "episodes.csv", 2), ("504", "episodes.csv", 3)},
    ),
    "146 placement type": ("episodes", 0, {"PLACE": "Z9"}, None),
    "149 reason ceased": ("episodes", None, {"REC": "E99"}, None),
    "1009 reason for placement change": (
        "episodes", None, {"REASON_PLACE_CHANGE": "WHIM"}, None,
    ),
    "141 start date": ("episodes", 0, {"DECOM": "2024-06-01"}, None),
    "1006 missing type": ("missing", 0, {"MISSING": "X"}, {("1006", "missing.csv", 2)}),
    "1004 missing start date": ("missing", 0, {"MIS_START": "32/01/2025"}, None),
    "565 missing type blank": ("missing", 0, {"MISSING": ""}, None),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_broken_value_gives_its_rule(tmp_path: Path, case: str) -> None:
    table, index, change, expected = CASES[case]
    rows = builders.build(children=40, seed=5)
    records = getattr(rows, table)
    if index is None:  # the first closed episode
        index = next(i for i, r in enumerate(records) if r["DEC"])
    records[index].update(change)
    _, results = check(rows, tmp_path)
    code = case.split()[0]
    assert code in set(results["rule"].to_list()), results
    rows_of_code = results.filter(pl.col("rule") == code)
    assert rows_of_code["row"].to_list() == [index + 2]
    assert rows_of_code["file"].to_list() == [f"{table}.csv"]
    if expected is not None:
        assert found(results) == expected


def test_overlapping_episodes_give_501_and_142(tmp_path: Path) -> None:
    rows = builders.build(children=40, seed=5)
    i = next(i for i, e in enumerate(rows.episodes) if e["REC"] == "X1")
    rows.episodes[i]["DEC"] = "31/03/2025"  # ends after the next starts
    _, results = check(rows, tmp_path)
    assert ("501", "episodes.csv", i + 3) in found(results)


def test_episode_ending_before_it_starts_gives_356(tmp_path: Path) -> None:
    rows = builders.build(children=20, seed=6)
    i = next(i for i, e in enumerate(rows.episodes) if e["REC"] == "E4A")
    rows.episodes[i]["DEC"] = "01/01/1999"
    _, results = check(rows, tmp_path)
    assert ("356", "episodes.csv", i + 2) in found(results)


def test_unknown_and_malformed_postcodes_give_392c_169_and_179(tmp_path: Path) -> None:
    rows = builders.build(children=20, seed=7)
    rows.episodes[0]["PL_POST"] = "ZZ9 9ZZ"
    rows.episodes[1]["HOME_POST"] = "not a postcode"
    _, results = check(rows, tmp_path)
    assert found(results) == {
        ("392c", "episodes.csv", 2),
        ("169", "episodes.csv", 2),
        ("179", "episodes.csv", 2),
        ("392c", "episodes.csv", 3),
    }


def test_same_home_and_placement_postcode_gives_392d_unless_placed_with_parents(
    tmp_path: Path,
) -> None:
    rows = builders.build(children=20, seed=7)
    rows.episodes[0]["PL_POST"] = rows.episodes[0]["HOME_POST"]
    rows.episodes[0]["PLACE_PROVIDER"] = "PR3"
    rows.episodes[0]["PLACE"] = "R1"
    rows.episodes[0]["URN"] = ""
    _, results = check(rows, tmp_path)
    assert found(results) == {("392d", "episodes.csv", 2)}
    rows.episodes[0].update(PLACE="P1", PLACE_PROVIDER="PR0")
    _, results = check(rows, tmp_path)
    assert found(results) == set()


def test_urn_required_and_not_allowed(tmp_path: Path) -> None:
    rows = builders.build(children=40, seed=8)
    k2 = next(i for i, e in enumerate(rows.episodes) if e["PLACE"] == "K2")
    r1 = next(i for i, e in enumerate(rows.episodes) if e["PLACE"] == "R1")
    rows.episodes[k2]["URN"] = ""
    rows.episodes[r1]["URN"] = "SC999999"
    _, results = check(rows, tmp_path)
    assert found(results) == {("218", "episodes.csv", k2 + 2), ("222", "episodes.csv", r1 + 2)}


def test_urn_not_required_for_a_placement_in_scotland(tmp_path: Path) -> None:
    rows = builders.build(children=40, seed=8)
    k2 = next(i for i, e in enumerate(rows.episodes) if e["PLACE"] == "K2")
    rows.episodes[k2].update(URN="", PL_POST="EH1 1YZ")
    frames, results = check(rows, tmp_path)
    # No DfE rule (218 needs no URN in Scotland); only Sightline's own SL04, since an import
    # cannot hold a placement outside England and Wales.
    assert found(results) == {("SL04", "episodes.csv", k2 + 2)}
    row = frames.episodes.filter(pl.col("_row") == k2 + 2).row(0, named=True)
    assert (row["PL_LA"], row["PL_LOCATION"]) == ("SCO", "OUT")


def test_missing_periods_overlapping_give_574(tmp_path: Path) -> None:
    rows = builders.build(children=40, seed=9)
    first = rows.missing[0]
    start = first["MIS_START"]
    # The first period never ends; a second starts the next day: 574 on the second.
    first["MIS_END"] = ""
    later = dict(first, MIS_START=f"{int(start[:2]) + 1:02d}{start[2:]}", MIS_END="")
    rows.missing.insert(1, later)
    _, results = check(rows, tmp_path)
    assert ("574", "missing.csv", 3) in found(results)
    # Two periods starting the same day overlap too, whichever is listed first.
    later["MIS_START"] = start
    later["MIS_END"] = start
    _, results = check(rows, tmp_path)
    assert ("574", "missing.csv", 3) in found(results) or ("574", "missing.csv", 2) in found(
        results
    )


def _ymd(s: str) -> str:
    return s[6:] + s[3:5] + s[:2]


def test_missing_before_care_started_gives_581(tmp_path: Path) -> None:
    rows = builders.build(children=60, seed=9)
    first_decom = {}
    for e in rows.episodes:
        first_decom[e["CHILD"]] = min(first_decom.get(e["CHILD"], "99999999"), _ymd(e["DECOM"]))
    i, m = next((i, m) for i, m in enumerate(rows.missing) if first_decom[m["CHILD"]] > "20240410")
    m.update(MIS_START="01/04/2024", MIS_END="02/04/2024")
    _, results = check(rows, tmp_path)
    assert ("581", "missing.csv", i + 2) in found(results)


def test_missing_child_and_dob_checked_against_header(tmp_path: Path) -> None:
    rows = builders.build(children=40, seed=9)
    rows.missing[0]["DOB"] = "01/01/2001"
    rows.missing[1]["CHILD"] = "NOSUCH"
    _, results = check(rows, tmp_path)
    assert ("INT13", "missing.csv", 2) in found(results)
    assert ("INT04", "missing.csv", 3) in found(results)


def test_rules_are_independent_of_their_order(tmp_path: Path) -> None:
    rows = builders.build(children=60, seed=10)
    for i in range(0, len(rows.episodes), 7):
        rows.episodes[i]["PLACE"] = "XX"
        rows.episodes[i]["DEC"] = "99/99/2024" if rows.episodes[i]["DEC"] else ""
    rows.missing[0]["MISSING"] = "Q"
    folder = builders.write_csv(rows, tmp_path / "r")
    frames = prepare(read_return(folder), Context(year=CollectionYear(2025), council=STOCKPORT))
    before = frames.episodes.clone()
    forward = run_rules(frames, RULES)
    shuffled = list(RULES)
    random.Random(3).shuffle(shuffled)
    backward = run_rules(frames, shuffled)
    assert forward.height > 0
    assert forward.equals(backward)
    # Each rule alone finds what it finds with all the others run.
    for r in RULES:
        alone = run_rules(frames, [r])
        assert alone.equals(
            forward.filter((pl.col("rule") == r.code) & (pl.col("table") == r.table))
        )
    assert frames.episodes.equals(before)


# --- Recoded councils: where Sightline and the peer validator disagree ---------------------


@pytest.mark.parametrize(
    ("council", "postcode"),
    [
        ("E06000063", "CA1 1RR"),  # Cumberland, 942
        ("E06000064", "LA9 4DL"),  # Westmorland and Furness, 943
        ("E06000065", "HG1 2RH"),  # North Yorkshire, 815
        ("E06000066", "TA1 1HE"),  # Somerset, 933
        ("E08000016", "S70 2TA"),  # Barnsley, 370: its district was recoded E08000038
        ("E08000019", "S1 2HH"),  # Sheffield, 373: E08000039
    ],
)
def test_own_area_placements_in_recoded_councils_are_in_area(
    tmp_path: Path, council: str, postcode: str
) -> None:
    """The peer validator (csc-validator-be-903 0.1.17) maps LAD25 districts through a 2021
    table, so for these six councils PL_LA is blank: it reports rule 169 on every placement
    there, and the council's own-area placements as OUT (and, with PR1, rule 1015).

    Sightline is right: the ONS Postcode Directory (Nov 2025) puts each postcode in a
    district that, in the ONS LAD-to-UTLA lookup and the DfE's las.csv, belongs to the
    council (942 = E06000063 Cumberland from 1 April 2023; 370 Barnsley, whose ONS code
    became E08000038 on 1 May 2025). So PL_LA is the council, PL_LOCATION is IN, and no rule
    fires.
    """
    rows = builders.build(children=5, seed=11, home=council)
    rows.episodes[0].update(
        PLACE="K2", PLACE_PROVIDER="PR1", PL_POST=postcode, URN="SC123456", LS="C2"
    )
    rows.episodes[0]["HOME_POST"] = "SK4 2AB"
    frames, results = check(rows, tmp_path, council=council)
    first = frames.episodes.filter(pl.col("_row") == 2).row(0, named=True)
    assert (first["PL_LA"], first["PL_LOCATION"]) == (council, "IN")
    assert found(results) == set()


@pytest.mark.django_db
def test_a_former_councils_return_counts_its_successors_area_as_its_own(tmp_path: Path) -> None:
    """Cumbria (909) reports for 2019/20, before it was abolished. Its own children's homes'
    postcodes now resolve to Cumberland (942) or Westmorland and Furness (943), its
    successors; those placements are in its own area (PL_LOCATION IN), and own provision
    (PR1) there is not rule 1015."""
    from sightline.geography.selectors import council_by_code
    from sightline.returns.derive import own_area

    cumbria = council_by_code(code="909")
    assert {"E06000063", "E06000064"} <= own_area(cumbria)
    # Postcodes in the old county, which the directory now puts in Cumberland.
    rows = builders.build(children=5, seed=11, year=2020, home="E06000063")
    rows.episodes[0].update(
        PLACE="K2", PLACE_PROVIDER="PR1", PL_POST="LA9 4DL", URN="SC123456", LS="C2"
    )
    folder = builders.write_csv(rows, tmp_path / "return")
    context = Context(
        year=CollectionYear(2020), council=cumbria.ons_code, area_codes=own_area(cumbria)
    )
    frames = prepare(read_return(folder), context)
    first = frames.episodes.filter(pl.col("_row") == 2).row(0, named=True)
    assert (first["PL_LA"], first["PL_LOCATION"]) == ("E06000064", "IN")
    assert found(run_rules(frames)) == set()
    # Without its successors, the same placement would read as another council's area.
    bare = prepare(
        read_return(folder), Context(year=CollectionYear(2020), council=cumbria.ons_code)
    )
    assert bare.episodes.filter(pl.col("_row") == 2).row(0, named=True)["PL_LOCATION"] == "OUT"
    assert "1015" in {rule for rule, _, _ in found(run_rules(bare))}


def test_distance_is_straight_line_miles_as_the_dfe_derives_it(tmp_path: Path) -> None:
    rows = builders.build(children=3, seed=12)
    rows.episodes[0].update(HOME_POST="SK4 2AB", PL_POST="SW1A 1AA", PLACE="K2", URN="SC1")
    frames, _ = check(rows, tmp_path)
    first = frames.episodes.filter(pl.col("_row") == 2).row(0, named=True)
    # The same figure as geography.selectors.distance_between (tests/geography).
    assert first["PL_DISTANCE"] == pytest.approx(157.9)
    assert first["PL_DISTANCE_KM"] == pytest.approx(254.1)


# --- The command ----------------------------------------------------------------------------


def test_command_exit_status_and_formats(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=20, seed=13)
    good = builders.write_csv(rows, tmp_path / "356" / "2025")
    result = sightline("validate", str(good))
    assert result.code == 0, result.err
    assert "0 errors" in result.out

    rows.episodes[0]["PLACE"] = "Z9"
    bad = builders.write_csv(rows, tmp_path / "bad")
    result = sightline("validate", str(bad), "--council", "356", "--year", "2025")
    assert result.code == 1
    assert (
        "Rule 146 (error, Episodes: PLACE), 1 record: Placement type code is not a valid code."
        in result.out
    )
    assert "episodes.csv, row 2, child 1000" in result.out

    result = sightline(
        "validate", str(bad), "--council", "356", "--year", "2025", "--format", "csv"
    )
    assert result.code == 1
    rows_out = list(csv.DictReader(io.StringIO(result.out)))
    assert rows_out == [
        {
            "rule": "146",
            "severity": "error",
            "table": "Episodes",
            "file": "episodes.csv",
            "row": "2",
            "child": "1000",
            "fields": "PLACE",
            "message": "Placement type code is not a valid code.",
        }
    ]
    result = sightline(
        "validate", str(bad), "--council", "356", "--year", "2025", "--format", "json"
    )
    payload = json.loads(result.out)
    assert (payload["errors"], payload["warnings"], payload["year"]) == (1, 0, 2025)


def test_warnings_alone_exit_0(tmp_path: Path, sightline) -> None:
    rows = builders.build(children=5, seed=13)
    rows.header[0]["SEX"] = "U"
    result = sightline("validate", str(builders.write_csv(rows, tmp_path / "356" / "2025")))
    assert result.code == 0
    assert "Rule 232 (warning" in result.out


def test_council_and_year_must_be_given_or_in_the_path(tmp_path: Path, sightline) -> None:
    folder = builders.write_csv(builders.build(children=2), tmp_path / "somewhere")
    with pytest.raises(Exception, match="Give the council and the year"):
        sightline("validate", str(folder))
    assert infer_council_and_year(tmp_path / "942" / "2024") == ("942", 2024)
    assert infer_council_and_year(tmp_path / "942" / "2024" / "return.xml") == ("942", 2024)


def test_validate_and_import_take_council_and_year_from_any_layout(
    tmp_path: Path, sightline
) -> None:
    rows = builders.build(children=5, seed=31)
    # Named as councils save them, not DIR/<code>/<year>: the names nearest the return.
    named = builders.write_csv(rows, tmp_path / "stockport_356" / "2024-25")
    result = sightline("validate", str(named))
    assert result.code == 0, result.out
    assert "Stockport (356), collection year 2024/25" in result.out
    # Or a manifest above the returns says which is which.
    listed = builders.write_csv(rows, tmp_path / "exports" / "march")
    (tmp_path / "exports" / "manifest.csv").write_text("path,council,year\nmarch,356,2025\n")
    assert infer_council_and_year(listed) == ("356", 2025)
    result = sightline("import", str(listed), "--quiet")
    assert result.code == 0, result.err
    assert ReturnImport.objects.get().year == 2025
    # Two codes or two years near the return: it cannot tell, and says so.
    assert infer_council_and_year(tmp_path / "356_to_942" / "2025") == (None, None)


def test_xml_gives_the_same_results_as_csv(tmp_path: Path) -> None:
    rows = builders.build(children=30, seed=14)
    rows.episodes[3]["PLACE"] = "Z9"
    rows.missing[0]["MISSING"] = "Q"
    context = Context(year=CollectionYear(2025), council=STOCKPORT)
    from_csv = run_rules(prepare(read_return(builders.write_csv(rows, tmp_path / "c")), context))
    from_xml = run_rules(
        prepare(read_return(builders.write_xml(rows, tmp_path / "r.xml")), context)
    )
    assert from_csv["rule"].to_list() == from_xml["rule"].to_list() == ["146", "1006"]
    assert from_csv["child"].to_list() == from_xml["child"].to_list()


def test_open_missing_period_from_the_day_of_a_move_is_not_575(tmp_path: Path) -> None:
    """Sightline and the peer disagree. A child moves on 1 September (one episode ends with
    X1, the next starts that day) and goes missing that day, still missing at the year's end.
    The peer reports rule 575 ("if the placement from which the child goes missing ends, the
    period must have an end date") because the ended episode also covers 1 September. The
    child went missing from the new placement, which has not ended, so no rule applies;
    Sightline reports nothing. Were the new placement to end, 575 fires."""
    rows = builders.from_csv(
        header="""CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB
7,F,01/01/2010,WBRI,UN2,0,""",
        episodes="""CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
7,01/06/2024,S,C2,N1,U6,PR4,01/09/2024,X1,CARPL,SK4 2AB,M1 1AE,SC000001
7,01/09/2024,P,C2,N1,K2,PR4,,,,SK4 2AB,OL1 1UT,SC000002""",
        missing="""CHILD,DOB,MISSING,MIS_START,MIS_END
7,01/01/2010,M,01/09/2024,""",
    )
    _, results = check(rows, tmp_path)
    assert found(results) == set()
    rows.episodes[1].update(DEC="20/09/2024", REC="E4A")
    _, results = check(rows, tmp_path)
    assert found(results) == {("575", "missing.csv", 2), ("577", "missing.csv", 2)}


def test_open_missing_period_in_an_open_placement_is_not_575_or_577(tmp_path: Path) -> None:
    """Sightline and the peer disagree. The child is still placed (the last episode has no
    DEC) and still missing (no MIS_END) at 31 March: nothing has ended, so neither 575 (the
    placement ended) nor 577 (the child left care) applies, and Sightline reports nothing.

    The peer (csc-validator-be-903 0.1.17, 2025/26 rules) reports both when it runs all its
    rules, though neither fires when run alone: its rule 365 writes the collection end into
    the blank DEC of open episodes in place (``episodes.loc[episodes["DEC"].isna(), "DEC"] =
    collection_end``) on a shallow copy that shares its data with the rules that run after it.
    Sightline's rules read frames they cannot change, so the order they run in cannot change
    a result (test_rules_are_independent_of_their_order)."""
    rows = builders.from_csv(
        header="""CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB
1001,M,01/05/2010,WBRI,UN2,,""",
        episodes="""CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN
1001,15/06/2024,S,C2,N1,U4,PR1,01/09/2024,X1,CARPL,SK4 2AB,SK2 6DT,SC000001
1001,01/09/2024,P,C2,N1,K2,PR4,,,,SK4 2AB,M1 1AE,SC000002""",
        missing="""CHILD,DOB,MISSING,MIS_START,MIS_END
1001,01/05/2010,M,05/10/2024,06/10/2024
1001,01/05/2010,A,12/10/2024,""",
    )
    _, results = check(rows, tmp_path)
    assert found(results) == set()


def test_the_rule_set_follows_the_collection_year(tmp_path: Path) -> None:
    def codes(year: int) -> set[str]:
        return {r.code for r in rules_for_year(year)}

    assert {"217t", "230", "370", "445", "451"} <= codes(2024)
    assert not {"217t", "444", "232"} & codes(2023)  # before 2023/24: no year's own rules
    assert "232" in codes(2025) and "444" not in codes(2025)
    assert {"233", "234", "242", "243", "444", "454"} <= codes(2026)
    assert codes(2030) == codes(2026)
    # A duplicate UPN is DfE rule 444 from 2025/26 only.
    for year, expected in (
        (2025, set()),
        (2026, {("444", "header.csv", 2), ("444", "header.csv", 3)}),
    ):
        rows = builders.build(children=10, seed=32, year=year)
        rows.header[1]["UPN"] = rows.header[0]["UPN"]
        _, results = check(rows, tmp_path / str(year), year=year)
        assert found(results) == expected
