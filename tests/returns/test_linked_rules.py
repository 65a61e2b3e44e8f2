"""The rules that read one of the nine tables with Episodes, the Header or last year's
return (``rules_linked``): each planted fault gives its rule on its record, and the clean
return (``test_more_tables``) gives none."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.reader import read_return
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules
from tests.returns import builders, builders_more

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"


def _results(folder: Path, year: int, previous: Path | None = None) -> set[tuple[str, str, str]]:
    frames = prepare(
        read_return(folder),
        Context(year=CollectionYear(year), council=STOCKPORT),
        previous=None if previous is None else read_return(previous),
    )
    results = run_rules(frames)
    return {(r["rule"], r["table"], r["child"]) for r in results.iter_rows(named=True)}


def _return(year: int = 2025):
    rows = builders.build(children=8, year=year, seed=7)
    return rows, builders_more.build_more(rows, year=year)


def _plant(rows, more, case: str, year: int) -> set[tuple[str, str, str]]:
    """Plant the fault ``case`` and return the findings it must give."""
    start = dt.date(year - 1, 4, 1)
    oc2, oc3, ad1 = more["OC2"][0], more["OC3"][0], more["AD1"][0]
    if case == "188":  # an SDQ score for a child under 4 at the end of the year
        header = next(h for h in rows.header if h["CHILD"] == oc2["CHILD"])
        young = builders.d(dt.date(year - 3, 1, 1))
        # Only OC2's date of birth: INT14 (differs from the Header) comes with it.
        oc2["DOB"] = young
        # 545 (under 5, looked after all year, no health promotion) and 542 (conviction
        # information under 10) come with it.
        return {(code, "OC2", header["CHILD"]) for code in ("188", "INT14", "545", "542")}
    if case == "189":  # an SDQ reason for a child 17 before the year started
        oc2.update(DOB=builders.d(dt.date(year - 19, 1, 1)), SDQ_SCORE="", SDQ_REASON="SDQ1")
        return {("189", "OC2", oc2["CHILD"]), ("INT14", "OC2", oc2["CHILD"])}
    if case == "547":  # health promotion given, teeth check blank
        oc2.update(HEALTH_CHECK="1", TEETH_CHECK="")
        # 182 (the health items given together), 191 (one left blank for a child looked
        # after all year) and 546 (health promotion at 5 or over) come with it.
        return {(code, "OC2", oc2["CHILD"]) for code in ("547", "182", "191", "546")}
    if case == "391":  # a care leaver under 17 at the end of the year
        oc3["DOB"] = builders.d(dt.date(year - 10, 1, 1))
        return {("391", "OC3", oc3["CHILD"]), ("INT15", "OC3", oc3["CHILD"])}
    if case == "3001":  # turning 17 in the year and living with former foster carers
        oc3["ACCOM"] = "Z1"
        return {("3001", "OC3", oc3["CHILD"])}
    if case == "1000":  # a care leaver whose episode ended: died
        episode = [e for e in rows.episodes if e["CHILD"] == oc3["CHILD"]][-1]
        # Ended when the builder ended it (before the 17th birthday: 1007, 1016), or later.
        episode.update(DEC=episode["DEC"] or builders.d(start + dt.timedelta(days=300)), REC="E2",
                       REASON_PLACE_CHANGE="")  # fmt: skip
        rows.missing = [m for m in rows.missing if m["CHILD"] != oc3["CHILD"]]
        return {("1000", "OC3", oc3["CHILD"])}
    if case == "563":  # placed decision ceased, date placed blank
        more["PlacedAdoption"][0].update(
            DATE_PLACED="", DATE_PLACED_CEASED=builders.d(dt.date(year - 1, 12, 1)),
            REASON_PLACED_CEASED="RD1",
        )  # fmt: skip
        child = more["PlacedAdoption"][0]["CHILD"]
        # 525 (reversed and adopted: AD1 is given for the same child) and 551 (the child's
        # placement for adoption, A4, now has no decision date) come with it.
        return {("563", "PlacedAdoption", child), ("525", "PlacedAdoption", child),
                ("525", "AD1", child), ("551", "Episodes", child)}  # fmt: skip
    if case == "334":  # the decision to adopt before the period of care started
        episode = next(e for e in rows.episodes if e["CHILD"] == ad1["CHILD"])
        decom = dt.datetime.strptime(episode["DECOM"], "%d/%m/%Y").date()
        ad1["DATE_INT"] = builders.d(decom - dt.timedelta(days=1))
        return {("334", "Episodes", ad1["CHILD"]), ("334", "AD1", ad1["CHILD"]),
                ("523", "AD1", ad1["CHILD"]), ("523", "PlacedAdoption", ad1["CHILD"])}  # fmt: skip
    raise AssertionError(case)


CASES = ["188", "189", "547", "391", "3001", "1000", "563", "334"]


@pytest.mark.parametrize("case", CASES)
def test_a_planted_fault_gives_its_rule(tmp_path: Path, case: str) -> None:
    rows, more = _return()
    expected = _plant(rows, more, case, 2025)
    folder = builders_more.write_csv(rows, more, tmp_path / "r")
    assert _results(folder, 2025) == expected


def _only(found: set[tuple[str, str, str]], code: str) -> set[tuple[str, str, str]]:
    return {f for f in found if f[0] == code}


def test_adoption_episodes_against_the_adoption_tables(tmp_path: Path) -> None:
    # Planted in episodes, these faults bring other episode rules with them (an adoption
    # placement is a long story); each check looks at its own rule only.
    for year in (2024, 2025):
        rows, more = _return(year)
        adopted = more["AD1"][0]["CHILD"]
        others = [e for e in rows.episodes if e["CHILD"] != adopted]
        # 551: placed for adoption (A3) with no decision in PlacedAdoption; the adopted
        # child, whose decision is there, is not reported.
        others[0]["PLACE"] = "A3"
        own = [e for e in rows.episodes if e["CHILD"] == adopted]
        own[0]["PLACE"] = "A4"
        # 556 (2023/24 only): freed for adoption (D1) before the decision to place.
        placed = dt.datetime.strptime(more["PlacedAdoption"][0]["DATE_PLACED"], "%d/%m/%Y")
        own[-1].update(LS="D1", DECOM=builders.d(placed.date() - dt.timedelta(days=1)))
        # 335: adopted (E11) from A3 but FOSTER_CARE 0 (not by the foster carers).
        own[-1].update(PLACE="A3", DEC=builders.d(dt.date(year, 3, 1)), REC="E11")
        found = _results(builders_more.write_csv(rows, more, tmp_path / str(year)), year)
        assert _only(found, "551") == {("551", "Episodes", others[0]["CHILD"])}
        assert _only(found, "556") == ({("556", "Episodes", adopted)} if year == 2024 else set())
        assert _only(found, "335") == {("335", "Episodes", adopted), ("335", "AD1", adopted)}
        # Foster carers adopting (FOSTER_CARE 1) from A3 is what 335 expects.
        more["AD1"][0]["FOSTER_CARE"] = "1"
        found = _results(builders_more.write_csv(rows, more, tmp_path / f"{year}b"), year)
        assert _only(found, "335") == set()


def test_care_leavers_and_adoption_against_last_years_return(tmp_path: Path) -> None:
    rows, more = _return()
    last_rows, last_more = _return(2024)
    leaver = more["OC3"][0]
    # 1002: a care leaver with no episode this year or last.
    rows.episodes = [e for e in rows.episodes if e["CHILD"] != leaver["CHILD"]]
    last_rows.episodes = [e for e in last_rows.episodes if e["CHILD"] != leaver["CHILD"]]
    # 559: a decision to place before the year that last year's return did not hold.
    placed = more["PlacedAdoption"][0]
    placed["DATE_PLACED"] = "01/02/2024"
    last_more["PlacedAdoption"] = []
    folder = builders_more.write_csv(rows, more, tmp_path / "this")
    previous = builders_more.write_csv(last_rows, last_more, tmp_path / "last")
    found = _results(folder, 2025, previous)
    assert _only(found, "1002") == {("1002", "OC3", leaver["CHILD"])}
    assert _only(found, "559") == {("559", "PlacedAdoption", placed["CHILD"])}
    # Without last year's return, neither runs.
    found = _results(folder, 2025)
    assert _only(found, "1002") == _only(found, "559") == set()
    # Last year held the decision, and the leaver's episode: both clean.
    last_more["PlacedAdoption"] = [dict(placed)]
    last_rows.episodes.append(dict(rows.episodes[0], CHILD=leaver["CHILD"]))
    previous = builders_more.write_csv(last_rows, last_more, tmp_path / "last2")
    found = _results(folder, 2025, previous)
    assert _only(found, "1002") == _only(found, "559") == set()


def test_unaccompanied_children_are_excused_392a_392b_and_164(tmp_path: Path) -> None:
    rows, more = _return()
    uasc = more["UASC"][0]["CHILD"]
    other = next(e for e in rows.episodes if e["CHILD"] != uasc)
    for episode in (other, next(e for e in rows.episodes if e["CHILD"] == uasc)):
        episode["PL_POST"] = ""  # no placement postcode: no distance either
    folder = builders_more.write_csv(rows, more, tmp_path / "r")
    found = _results(folder, 2025)
    assert _only(found, "392a") == {("392a", "Episodes", other["CHILD"])}
    assert _only(found, "392b") == {("392b", "Episodes", other["CHILD"])}
    # Last year's UASC table excuses too (a child formerly UASC).
    more_last = {table: [] for table in more}
    more_last["UASC"] = [dict(more["UASC"][0], CHILD=other["CHILD"])]
    more["UASC"] = []
    previous = builders_more.write_csv(rows, more_last, tmp_path / "last")
    folder = builders_more.write_csv(rows, more, tmp_path / "r2")
    found = _results(folder, 2025, previous)
    assert _only(found, "392b") == {("392b", "Episodes", uasc)}
    # Without a UASC table in either year, 392a does not run and 392b reports both.
    (folder / "uasc.csv").unlink()
    found = _results(folder, 2025)
    assert _only(found, "392a") == set()
    assert _only(found, "392b") == {("392b", "Episodes", c) for c in (uasc, other["CHILD"])}


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def test_orders_and_placements_against_the_decision_to_place(tmp_path: Path) -> None:
    for year in (2024, 2025):
        rows, more = _return(year)
        placed = more["PlacedAdoption"][0]
        child = placed["CHILD"]
        own = [e for e in rows.episodes if e["CHILD"] == child]
        others = [e for e in rows.episodes if e["CHILD"] != child]
        # 1003: the decision to place before the period of care began (523 comes too).
        placed["DATE_PLACED"] = builders.d(_date(own[0]["DECOM"]) - dt.timedelta(days=1))
        # An adoption placement (A4) after the decision: no 552 yet.
        own[0]["PLACE"] = "A4"
        # 553: a placement order (E1) for a child with no decision recorded; 555 (2023/24
        # only): a freeing order (D1) likewise.
        others[0]["LS"] = "E1"
        others[-1]["LS"] = "D1"
        found = _results(builders_more.write_csv(rows, more, tmp_path / str(year)), year)
        assert _only(found, "1003") == {
            ("1003", "Episodes", child),
            ("1003", "PlacedAdoption", child),
        }
        assert _only(found, "552") == set()  # the decision came before the placement
        assert _only(found, "553") == {("553", "Episodes", others[0]["CHILD"])}
        expected_555 = {("555", "Episodes", others[-1]["CHILD"])} if year == 2024 else set()
        assert _only(found, "555") == expected_555
        # The decision after the placement began: 552; and after the first placement order
        # (E1, open, with the decision ceased): 554 and 553 on the PlacedAdoption record.
        own[-1].update(LS="E1", DEC="", REC="", REASON_PLACE_CHANGE="")
        placed.update(
            DATE_PLACED=builders.d(_date(own[-1]["DECOM"]) + dt.timedelta(days=2)),
            DATE_PLACED_CEASED=builders.d(dt.date(year, 3, 30)),
            REASON_PLACED_CEASED="RD1",
        )
        found = _results(builders_more.write_csv(rows, more, tmp_path / f"{year}b"), year)
        both = {("Episodes", child), ("PlacedAdoption", child)}
        assert _only(found, "552") == {("552", *b) for b in both}
        assert _only(found, "554") == {("554", *b) for b in both}
        assert ("553", "PlacedAdoption", child) in found
        assert _only(found, "1003") == set()


def test_care_leavers_transferred_or_with_no_episode_this_year(tmp_path: Path) -> None:
    rows, more = _return()
    leaver = more["OC3"][0]["CHILD"]
    last_rows = builders.ReturnRows(
        header=[h for h in rows.header if h["CHILD"] == leaver],
        episodes=[dict(e, DEC="", REC="", REASON_PLACE_CHANGE="")
                  for e in rows.episodes if e["CHILD"] == leaver][:1],
    )  # fmt: skip
    last_more = {table: [] for table in more}
    own = [e for e in rows.episodes if e["CHILD"] == leaver]
    # 1011: the last episode ended with care transferred to another council (E3).
    own[-1].update(DEC=builders.d(dt.date(2025, 3, 1)), REC="E3", REASON_PLACE_CHANGE="")
    rows.missing = [m for m in rows.missing if m["CHILD"] != leaver]
    previous = builders_more.write_csv(last_rows, last_more, tmp_path / "last")
    found = _results(builders_more.write_csv(rows, more, tmp_path / "a"), 2025, previous)
    assert _only(found, "1011") == {("1011", "OC3", leaver)}
    assert _only(found, "1010") == set()  # episodes this year
    # 1010: open at the end of last year, no episode this year.
    rows.episodes = [e for e in rows.episodes if e["CHILD"] != leaver]
    found = _results(builders_more.write_csv(rows, more, tmp_path / "b"), 2025, previous)
    assert _only(found, "1010") == {("1010", "OC3", leaver)}
    assert _only(found, "1011") == set()


def test_the_oc2_cohort_is_the_children_looked_after_all_year(tmp_path: Path) -> None:
    rows, more = _return()
    oc2 = more["OC2"]
    assert len(oc2) >= 2  # the builder gives OC2 to each child looked after all year
    # 191: a child looked after all year with no OC2 record (their first episode).
    dropped = oc2.pop(1)["CHILD"]
    # 190: OC2 items for a child who was not (their care began, or ended, in the year).
    cohort = {r["CHILD"] for r in oc2} | {dropped, more["OC3"][0]["CHILD"]}
    outsider = next(h for h in rows.header if h["CHILD"] not in cohort)["CHILD"]
    oc2.append(dict(oc2[0], CHILD=outsider, DOB=next(h["DOB"] for h in rows.header
                                                     if h["CHILD"] == outsider)))  # fmt: skip
    # 544: convicted, with the immunisations blank (191 too: left blank).
    oc2[0].update(CONVICTED="1", IMMUNISATIONS="")
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r"), 2025)
    assert _only(found, "190") == {("190", "OC2", outsider)}
    assert _only(found, "191") == {("191", "Episodes", dropped), ("191", "OC2", oc2[0]["CHILD"])}
    assert _only(found, "544") == {("544", "OC2", oc2[0]["CHILD"])}


def test_sdq_and_convictions_follow_the_oc2_cohort(tmp_path: Path) -> None:
    rows, more = _return()
    oc2 = more["OC2"]
    cohort = {r["CHILD"] for r in oc2} | {more["OC3"][0]["CHILD"]}
    outsider = next(h for h in rows.header if h["CHILD"] not in cohort)
    # 185 and 198: an SDQ score, and a reason for none, for a child not looked after all
    # year (190 comes with the other items, so they are left blank).
    blank = dict.fromkeys(
        ("CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT",
         "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"), "",
    )  # fmt: skip
    oc2.append(dict(oc2[0], **blank, CHILD=outsider["CHILD"], DOB=outsider["DOB"],
                    SDQ_SCORE="", SDQ_REASON="SDQ1"))  # fmt: skip
    oc2.append(dict(oc2[-1], SDQ_SCORE="20", SDQ_REASON=""))
    # 543: 10 or over, looked after all year, conviction left blank.
    ten = next(r for r in oc2 if r["CONVICTED"] == "0")
    ten["CONVICTED"] = ""
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r"), 2025)
    assert _only(found, "198") == {("198", "OC2", outsider["CHILD"])}
    assert _only(found, "185") == {("185", "OC2", outsider["CHILD"])}
    assert _only(found, "543") == {("543", "OC2", ten["CHILD"])}
    assert _only(found, "190") == set()


def test_118_a_decision_ceased_before_the_year_or_the_care(tmp_path: Path) -> None:
    rows, more = _return()
    placed = more["PlacedAdoption"][0]
    placed.update(DATE_PLACED_CEASED="01/03/2024", REASON_PLACED_CEASED="RD1")
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r"), 2025)
    child = placed["CHILD"]
    assert _only(found, "118") == {("118", "Episodes", child), ("118", "PlacedAdoption", child)}
    placed["DATE_PLACED_CEASED"] = "30/03/2025"
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r2"), 2025)
    assert _only(found, "118") == set()


def test_117_and_186_dates_and_scores_against_the_episodes(tmp_path: Path) -> None:
    rows, more = _return()
    placed = more["PlacedAdoption"][0]
    child = placed["CHILD"]
    last = [e for e in rows.episodes if e["CHILD"] == child][-1]
    assert last["DEC"]  # the builder's adopted child has left care by the end of the year
    # 117: the decision to place ceased after the child left care.
    ceased = _date(last["DEC"]) + dt.timedelta(days=1)
    placed.update(DATE_PLACED_CEASED=builders.d(ceased), REASON_PLACED_CEASED="RD1")
    # 186: looked after all year, 4 to 16, no SDQ score and no reason for none.
    oc2 = more["OC2"][0]
    oc2.update(SDQ_SCORE="", SDQ_REASON="")
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r"), 2025)
    assert _only(found, "117") == {("117", "Episodes", child), ("117", "PlacedAdoption", child)}
    assert _only(found, "186") == {("186", "OC2", oc2["CHILD"])}
    placed["DATE_PLACED_CEASED"] = builders.d(_date(last["DEC"]) - dt.timedelta(days=1))
    oc2["SDQ_REASON"] = "SDQ1"
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r2"), 2025)
    assert _only(found, "117") == _only(found, "186") == set()


def test_628_motherhood_of_a_care_leaver_not_looked_after_this_year(tmp_path: Path) -> None:
    rows, more = _return()
    leaver = more["OC3"][0]["CHILD"]
    header = next(h for h in rows.header if h["CHILD"] == leaver)
    header["MOTHER"] = "0"
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r"), 2025)
    assert _only(found, "628") == set()  # looked after this year
    rows.episodes = [e for e in rows.episodes if e["CHILD"] != leaver]
    rows.missing = [m for m in rows.missing if m["CHILD"] != leaver]
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r2"), 2025)
    assert _only(found, "628") == {("628", "Header", leaver)}
    header["MOTHER"] = ""
    found = _results(builders_more.write_csv(rows, more, tmp_path / "r3"), 2025)
    assert _only(found, "628") == set()
