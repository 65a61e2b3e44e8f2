"""The last DfE rules (``rules_joined``): each planted fault gives its rule on the record it
broke, in the years the rule belongs to, and last year's return where the rule reads it. The
clean returns they start from pass every rule (``test_more_tables``), and the agreement
fixture (``test_agreement``) compares many of these rules with the peer's findings."""

from __future__ import annotations

import copy
import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from sightline.returns.derive import Context, prepare
from sightline.returns.models import ImportedUasc
from sightline.returns.reader import read_return
from sightline.returns.schema import CollectionYear
from sightline.returns.validation import run_rules, validate_return
from tests.returns import builders, builders_more
from tests.returns.builders import d

pytestmark = pytest.mark.django_db

STOCKPORT = "E08000007"
Found = set[tuple[str, str, str]]


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def _results(folder: Path, year: int, previous: Path | None = None) -> Found:
    frames = prepare(
        read_return(folder),
        Context(year=CollectionYear(year), council=STOCKPORT),
        previous=None if previous is None else read_return(previous),
    )
    return {(r["rule"], r["table"], r["child"]) for r in run_rules(frames).iter_rows(named=True)}


class Case:
    """A valid return of ``year`` (and last year's, a copy of it read as the year before,
    where ``last`` changes it), the fault ``plant`` makes, and the finding it must give."""

    def __init__(self, rows, more, year: int) -> None:
        self.rows, self.more, self.year = rows, more, year
        self.last: tuple[builders.ReturnRows, builders_more.More] | None = None
        self.start, self.end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)

    def child_of(self, table: str, n: int = 0) -> str:
        return self.more[table][n]["CHILD"]

    def episodes(self, child: str) -> list[builders.Row]:
        return [e for e in self.rows.episodes if e["CHILD"] == child]

    def header(self, child: str) -> builders.Row:
        return next(h for h in self.rows.header if h["CHILD"] == child)

    def last_year(self):
        if self.last is None:
            self.last = (copy.deepcopy(self.rows), copy.deepcopy(self.more))
        return self.last


def _oc3_in_care_on_birthday(c: Case) -> tuple[str, str, str]:
    # 1007: the care leaver's last episode open on their 17th birthday.
    child = c.child_of("OC3")
    c.episodes(child)[-1].update(DEC="", REC="", REASON_PLACE_CHANGE="")
    return ("1007", "OC3", child)


def _oc3_left_after_birthday(c: Case) -> tuple[str, str, str]:
    # 1016: left care after their 17th birthday.
    child = c.child_of("OC3")
    birthday = _date(c.more["OC3"][0]["DOB"])
    seventeen = birthday.replace(year=birthday.year + 17)
    c.episodes(child)[-1]["DEC"] = d(min(seventeen + dt.timedelta(days=2), c.end))
    return ("1016", "OC3", child)


def _157(c: Case) -> tuple[str, str, str]:
    oc2 = c.more["OC2"][0]
    born = _date(oc2["DOB"])
    assert born.replace(year=born.year + 4) <= c.start  # the builder's OC2 child is 4 to 16
    oc2.update(SDQ_SCORE="", SDQ_REASON="SDQ1")
    return ("157", "OC2", oc2["CHILD"])


def _197b(c: Case) -> tuple[str, str, str]:
    # A child who turns 4 in the year, looked after all year, with no SDQ score or reason.
    oc2 = c.more["OC2"][0]
    born = c.start - dt.timedelta(days=4 * 365 - 10)
    for table in ("OC2", "UASC"):
        for r in c.more[table]:
            if r["CHILD"] == oc2["CHILD"]:
                r["DOB"] = d(born)
    c.header(oc2["CHILD"])["DOB"] = d(born)
    for m in c.rows.missing:
        if m["CHILD"] == oc2["CHILD"]:
            m["DOB"] = d(born)
    oc2.update(SDQ_SCORE="", SDQ_REASON="", CONVICTED="", HEALTH_CHECK="1")
    return ("197B", "OC2", oc2["CHILD"])


def _187(c: Case) -> tuple[str, str, str]:
    # Care leaver data for a child looked after all year (the OC2 cohort).
    child = c.child_of("OC2")
    header = c.header(child)
    c.more["OC3"].append({"CHILD": child, "DOB": header["DOB"], "IN_TOUCH": "YES",
                          "ACTIV": "F2", "ACCOM": "S2"})  # fmt: skip
    return ("187", "OC3", child)


def _165(c: Case) -> tuple[str, str, str]:
    # A boy recorded as not a mother (MOTHER given for a male).
    boy = next(h for h in c.rows.header if h["SEX"] in ("M", "1") and c.episodes(h["CHILD"]))
    boy["MOTHER"] = "0"
    return ("165", "Header", boy["CHILD"])


def _1014(c: Case) -> tuple[str, str, str]:
    # A UASC child with care leaver data and no episode in the year (all before it).
    child = c.child_of("UASC")
    for e in c.episodes(child):
        e.update(DECOM=d(c.start - dt.timedelta(days=400)), DEC=d(c.start - dt.timedelta(days=300)),
                 RNE="S", REC="E4A", REASON_PLACE_CHANGE="")  # fmt: skip
    c.more["OC3"].append({"CHILD": child, "DOB": c.header(child)["DOB"], "IN_TOUCH": "YES",
                          "ACTIV": "F2", "ACCOM": "S2"})  # fmt: skip
    return ("1014", "UASC", child)


def _231(c: Case) -> tuple[str, str, str]:
    # A UASC child under 11 at 31 March.
    child = c.child_of("UASC")
    c.header(child)["DOB"] = d(c.end.replace(year=c.end.year - 9))
    return ("231", "Header", child)


def _331(c: Case) -> tuple[str, str, str]:
    ad1 = c.more["AD1"][0]
    adopted = next(e for e in c.episodes(ad1["CHILD"]) if e["REC"] == "E11")
    ad1["DATE_MATCH"] = d(_date(adopted["DECOM"]) + dt.timedelta(days=5))
    return ("331", "AD1", ad1["CHILD"])


def _521(c: Case) -> tuple[str, str, str]:
    ad1 = c.more["AD1"][0]
    placed = next(e for e in c.episodes(ad1["CHILD"]) if e["PLACE"] == "A4")
    ad1["DATE_INT"] = d(_date(placed["DECOM"]) + dt.timedelta(days=3))
    return ("521", "Episodes", ad1["CHILD"])


def _582(c: Case) -> tuple[str, str, str]:
    ad1 = c.more["AD1"][0]
    adopted = next(e for e in c.episodes(ad1["CHILD"]) if e["REC"] == "E11")
    ad1["DATE_MATCH"] = adopted["DEC"]
    return ("582", "Episodes", ad1["CHILD"])


def _557(c: Case) -> tuple[str, str, str]:
    # Placed for adoption, left care not adopted (E4A), the decision not ceased.
    child = c.child_of("AD1")
    c.episodes(child)[-1]["REC"] = "E4A"
    return ("557", "PlacedAdoption", child)


def _558(c: Case) -> tuple[str, str, str]:
    # Adopted, with two decisions to place, both ceased.
    placed = c.more["PlacedAdoption"][0]
    placed.update(DATE_PLACED_CEASED=d(_date(placed["DATE_PLACED"]) + dt.timedelta(days=1)),
                  REASON_PLACED_CEASED="RD1")  # fmt: skip
    c.more["PlacedAdoption"].append(dict(placed))
    return ("558", "Episodes", placed["CHILD"])


def _560(c: Case) -> tuple[str, str, str]:
    # Last year's open decision has another date this year.
    _, last = c.last_year()
    placed = last["PlacedAdoption"][0]
    placed["DATE_PLACED"] = d(_date(placed["DATE_PLACED"]) - dt.timedelta(days=1))
    return ("560", "PlacedAdoption", placed["CHILD"])


def _561(c: Case) -> tuple[str, str, str]:
    # The same date as last year's decision, which was ceased last year.
    _, last = c.last_year()
    last["PlacedAdoption"][0].update(DATE_PLACED_CEASED=c.more["PlacedAdoption"][0]["DATE_PLACED"],
                                     REASON_PLACED_CEASED="RD1")  # fmt: skip
    return ("561", "PlacedAdoption", c.child_of("PlacedAdoption"))


def _584(c: Case) -> tuple[str, str, str]:
    # Last year's decision ceased; this year's is not later than it.
    _, last = c.last_year()
    last["PlacedAdoption"][0]["REASON_PLACED_CEASED"] = "RD1"
    return ("584", "PlacedAdoption", c.child_of("PlacedAdoption"))


def _205b(c: Case) -> tuple[str, str, str]:
    # UASC both years; last year's DUC is not the 18th birthday.
    _, last = c.last_year()
    last["UASC"][0]["DUC"] = d(c.start - dt.timedelta(days=10))
    return ("205B", "UASC", c.child_of("UASC"))


def _205a(c: Case) -> tuple[str, str, str]:
    # UASC last year only (this year's UASC file is given, empty), and last year's DUC is
    # not in last year.
    _, last = c.last_year()
    child = c.child_of("UASC")
    last["UASC"][0]["DUC"] = d(c.start + dt.timedelta(days=10))
    c.more["UASC"].clear()
    return ("205A", "Header", child)


def _205d(c: Case) -> tuple[str, str, str]:
    # UASC this year, in last year's Header, not UASC last year.
    _, last = c.last_year()
    last["UASC"][0]["CHILD"] = "9999"
    return ("205D", "Header", c.child_of("UASC"))


def _348(c: Case) -> tuple[str, str, str]:
    _, last = c.last_year()
    last["OC3"][0]["IN_TOUCH"] = "DIED"
    return ("348", "OC3", c.child_of("OC3"))


def _1001(c: Case) -> tuple[str, str, str]:
    # A care leaver with hardly any care after their 14th birthday: their episodes are
    # moved to their 13th year.
    child = c.child_of("OC3")
    born = _date(c.more["OC3"][0]["DOB"])
    c.last_year()
    for e in c.episodes(child):
        thirteen = born.replace(year=born.year + 13)
        e.update(DECOM=d(thirteen), DEC=d(thirteen + dt.timedelta(days=40)), RNE="S", REC="E4A",
                 REASON_PLACE_CHANGE="")  # fmt: skip
    return ("1001", "OC3", child)


def _399(c: Case) -> tuple[str, str, str]:
    # Only short breaks (V3), with a review recorded.
    child = c.more["Reviews"][0]["CHILD"]
    for e in c.episodes(child):
        e["LS"] = "V3"
    return ("399", "Reviews", child)


def _sw_first(c: Case) -> builders.Row:
    return c.more["SWEpisodes"][0]


def _sw01(c: Case) -> tuple[str, str, str]:
    # Looked after at 31 March with no social worker episode.
    child = next(
        e["CHILD"] for e in c.rows.episodes if not e["DEC"] and e["LS"] not in ("V3", "V4")
    )
    c.more["SWEpisodes"][:] = [s for s in c.more["SWEpisodes"] if s["CHILD"] != child]
    return ("SW01STG1", "Episodes", child)


def _sw03(c: Case) -> tuple[str, str, str]:
    sw = _sw_first(c)
    sw["SW_REASON"] = ""
    return ("SW03STG1", "SWEpisodes", sw["CHILD"])


def _second_worker(c: Case, days: int, reason: str, first_ends: int | None) -> str:
    """The first social worker ends ``first_ends`` days after starting (None: open); a second
    starts ``days`` after the first started, for ``reason``."""
    sw = _sw_first(c)
    began = _date(sw["SW_DECOM"])
    if first_ends is not None:
        sw["SW_DEC"] = d(began + dt.timedelta(days=first_ends))
    second = began + dt.timedelta(days=days)
    c.more["SWEpisodes"].append(
        dict(sw, SW_ID="SW9999", SW_DECOM=d(second), SW_DEC="", SW_REASON=reason)
    )
    return sw["CHILD"]


def _sw10a(c: Case) -> tuple[str, str, str]:
    return ("SW10aSTG2", "SWEpisodes", _second_worker(c, 30, "CHCHAN", 10))


def _sw10b(c: Case) -> tuple[str, str, str]:
    return ("SW10bSTG2", "SWEpisodes", _second_worker(c, 5, "FCONTA", 10))


def _sw11a(c: Case) -> tuple[str, str, str]:
    sw = _sw_first(c)
    sw["SW_DEC"] = d(_date(sw["SW_DECOM"]) + dt.timedelta(days=10))
    return ("SW11aSTG2", "SWEpisodes", sw["CHILD"])


def _sw14(c: Case) -> tuple[str, str, str]:
    return ("SW14STG2", "SWEpisodes", _second_worker(c, 30, "CHCHAN", None))


def _sw12(c: Case) -> tuple[str, str, str]:
    # Care began (RNE S) but the child's only social worker started before it.
    sw = next(
        s for s in c.more["SWEpisodes"]
        if any(e["RNE"] == "S" and e["DECOM"] == s["SW_DECOM"] for e in c.episodes(s["CHILD"]))
    )  # fmt: skip
    sw["SW_DECOM"] = d(_date(sw["SW_DECOM"]) - dt.timedelta(days=1))
    return ("SW12STG2", "Episodes", sw["CHILD"])


CASES: dict[str, tuple[Callable[[Case], tuple[str, str, str]], int]] = {
    "1001": (_1001, 2025),
    "1007": (_oc3_in_care_on_birthday, 2025),
    "1014": (_1014, 2025),
    "1016": (_oc3_left_after_birthday, 2025),
    "157": (_157, 2025),
    "165": (_165, 2025),
    "187": (_187, 2025),
    "197B": (_197b, 2025),
    "205A": (_205a, 2025),
    "205B": (_205b, 2025),
    "205D": (_205d, 2025),
    "231": (_231, 2026),
    "331": (_331, 2025),
    "348": (_348, 2026),
    "399": (_399, 2025),
    "521": (_521, 2025),
    "557": (_557, 2025),
    "558": (_558, 2025),
    "560": (_560, 2025),
    "561": (_561, 2025),
    "582": (_582, 2025),
    "584": (_584, 2025),
    "SW01STG1": (_sw01, 2024),
    "SW03STG1": (_sw03, 2024),
    "SW10aSTG2": (_sw10a, 2026),
    "SW10bSTG2": (_sw10b, 2026),
    "SW11aSTG2": (_sw11a, 2024),
    "SW12STG2": (_sw12, 2025),
    "SW14STG2": (_sw14, 2024),
}


@pytest.mark.parametrize("code", sorted(CASES))
def test_a_planted_fault_gives_its_rule_in_its_years(tmp_path: Path, code: str) -> None:
    plant, year = CASES[code]
    rows = builders.build(children=30, year=year, seed=year)
    more = builders_more.build_more(rows, year=year)
    case = Case(rows, more, year)
    expected = plant(case)
    folder = builders_more.write_csv(case.rows, case.more, tmp_path / "r")
    previous = None
    if case.last is not None:
        previous = builders_more.write_csv(*case.last, tmp_path / "last")
    found = _results(folder, year, previous)
    assert expected in found, sorted(f for f in found if f[0] == code)
    # Another year's rule set, where the rule is not in it, does not give it.
    other = {2024: 2026, 2025: None, 2026: 2024}[year]
    if other is not None:
        assert not any(f[0] == code for f in _results(folder, other))


def test_1014_reports_only_children_in_the_uasc_table(tmp_path: Path) -> None:
    """The peer's 1014 joins Episodes with UASC: only a UASC child's care-leaver data is an
    error, not any care leaver's whose episodes all ended before the year (review of 6
    December)."""
    year = 2025
    rows = builders.build(children=30, year=year, seed=year)
    more = builders_more.build_more(rows, year=year)
    c = Case(rows, more, year)
    uasc = {r["CHILD"] for r in c.more["UASC"]}
    child = next(
        h["CHILD"] for h in c.rows.header if h["CHILD"] not in uasc and c.episodes(h["CHILD"])
    )
    for e in c.episodes(child):
        e.update(DECOM=d(c.start - dt.timedelta(days=400)), DEC=d(c.start - dt.timedelta(days=300)),
                 RNE="S", REC="E4A", REASON_PLACE_CHANGE="")  # fmt: skip
    c.more["OC3"].append({"CHILD": child, "DOB": c.header(child)["DOB"], "IN_TOUCH": "YES",
                          "ACTIV": "F2", "ACCOM": "S2"})  # fmt: skip
    folder = builders_more.write_csv(c.rows, c.more, tmp_path / "r")
    found = _results(folder, year)
    assert ("1014", "OC3", child) not in found


# --- 303 and 205C: a DUC for a child the XML does not call UASC -----------------------------


def _uasc_return(tmp_path: Path, year: int = 2025):
    """A valid return whose UASC child has a DUC (their 18th birthday), as CSV and XML."""
    rows = builders.build(children=30, year=year, seed=year)
    more = builders_more.build_more(rows, year=year)
    c = Case(rows, more, year)
    record = c.more["UASC"][0]
    born = _date(record["DOB"])
    record["DUC"] = d(born.replace(year=born.year + 18))
    return c, record["CHILD"]


def _set_uasc_flag(path: Path, child: str, flag: str) -> int:
    """Set the <UASC> flag of ``child``'s header in the XML at ``path``. Returns the line of
    that <HEADER>: the row of the child's UASC record."""
    tree = ET.parse(path)
    header = next(h for h in tree.getroot().iter("HEADER") if h.findtext("CHILDID") == child)
    element = header.find("UASC")
    assert element is not None
    element.text = flag
    ET.indent(tree.getroot())
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    lines = path.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip() == f"<CHILDID>{child}</CHILDID>")
    assert lines[at - 1].strip() == "<HEADER>"
    return at  # the header's line, counting from 1


def _report(path: Path, year: int, previous: Path | None = None) -> list[dict[str, object]]:
    report = validate_return(
        read_return(path),
        context=Context(year=CollectionYear(year), council=STOCKPORT),
        previous=None if previous is None else read_return(previous),
    )
    return report.results.to_dicts()


def test_303_reports_a_duc_given_with_an_xml_uasc_flag_of_0(tmp_path: Path) -> None:
    c, child = _uasc_return(tmp_path)
    xml = builders_more.write_xml(c.rows, c.more, tmp_path / "r.xml")
    assert _report(xml, 2025) == []  # the flag 1: valid
    row = _set_uasc_flag(xml, child, "0")
    found = _report(xml, 2025)
    assert [r for r in found if r["rule"] == "303"] == [
        {
            "rule": "303",
            "severity": "error",
            "table": "UASC",
            "file": "r.xml",
            "row": row,
            "child": child,
            "fields": "DUC UASC",
            "message": "If date Unaccompanied Asylum-Seeking Child (UASC) status ceased is not "
            "null, UASC status must be coded 1.",
        }
    ]
    # The child is no longer UASC for the other rules either: the episodes' blank home
    # postcode (a UASC child's distance is not returned, 406) now wants one (392a, 392b).
    assert {(r["rule"], r["child"]) for r in found} == {
        ("303", child), ("392a", child), ("392b", child)
    }  # fmt: skip
    # The same return in CSV (no flag: a child in the uasc file is UASC) passes.
    folder = builders_more.write_csv(c.rows, c.more, tmp_path / "csv")
    assert _report(folder, 2025) == []
    # A flag that is not given, with a DUC, is as CSV: the child is UASC.
    _set_uasc_flag(xml, child, "")
    assert _report(xml, 2025) == []


def test_205c_reports_a_duc_for_a_child_uasc_in_neither_year(tmp_path: Path) -> None:
    c, child = _uasc_return(tmp_path)
    rows, more = c.last_year()
    more["UASC"].clear()  # last year's return gave the UASC table, without the child
    last = builders_more.write_csv(rows, more, tmp_path / "last")
    xml = builders_more.write_xml(c.rows, c.more, tmp_path / "r.xml")
    # (A copy of this year's return read as last year's breaks other rules that compare the
    # two: only 205C and 303 are looked at.)
    uasc_rules = {"205A", "205B", "205C", "205D", "303"}
    assert {r["rule"] for r in _report(xml, 2025, last)} & uasc_rules == {"205D"}
    row = _set_uasc_flag(xml, child, "0")
    found = {
        (r["rule"], r["table"], r["row"], r["child"])
        for r in _report(xml, 2025, last)
        if r["rule"] in uasc_rules
    }
    # 205D (UASC this year, not last year) goes: the flag says the child is not UASC.
    assert found == {("205C", "UASC", row, child), ("303", "UASC", row, child)}
    # UASC last year: 303 still, not 205C; 205A (UASC last year, not this year, and a DUC
    # given this year) instead.
    last = builders_more.write_csv(*Case(c.rows, c.more, 2025).last_year(), tmp_path / "last2")
    found = {(r["rule"], r["table"], r["child"]) for r in _report(xml, 2025, last)}
    assert ("303", "UASC", child) in found
    assert ("205A", "Header", child) in found
    assert not any(r == "205C" for r, _, _ in found)


def test_303_on_the_command_line_and_the_import_refuses_it(tmp_path: Path, sightline) -> None:
    c, child = _uasc_return(tmp_path)
    xml = builders_more.write_xml(c.rows, c.more, tmp_path / "356-2025.xml")
    row = _set_uasc_flag(xml, child, "0")
    result = sightline("validate", str(xml))
    assert result.code == 1
    assert "Rule 303 (error, UASC: DUC, UASC), 1 record: If date Unaccompanied" in result.out
    assert f"356-2025.xml, row {row}, child {child}" in result.out
    result = sightline("import", str(xml), "--quiet")
    assert result.code != 0
    assert not ImportedUasc.objects.exists()
    # With the flag 1, it imports (the flag itself is not held: every imported record is of
    # a child the return called UASC).
    _set_uasc_flag(xml, child, "1")
    assert sightline("import", str(xml), "--quiet").code == 0
    assert ImportedUasc.objects.get().child.child_ref == child
