"""The planted faults of the rest of the rules (``faults.py`` has the first 38, and the model):
one ``Fault`` for each rule and table, on a record it can break (``Fault.fits``), with the
other fields, the neighbouring records or the child's records elsewhere that the rule reads
set with it (``also``, ``nearby``, ``elsewhere``), a record of another child given to the
child (``borrow``) or a record added (``adds``). Each says what it plants; the rules it must
raise are in ``returns/rules*.py``. The rules no fault is planted for are in
``tests/synth/test_faults.py`` (``NOT_PLANTED``), each with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sightline.synth.england.faults import (
    EPISODES,
    HEADER,
    MISSING,
    Fault,
    Record,
    Value,
    add_years,
    council_of,
    day,
    parse_day,
)

UASC, REVIEWS, AD1 = "uasc.csv", "reviews.csv", "ad1.csv"
PLACED, PREV_PERM, OC2, OC3 = "placed_adoption.csv", "prev_perm.csv", "oc2.csv", "oc3.csv"
SW, DOLO = "sw_episodes.csv", "dolo.csv"

_FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")
_TEMPORARY = ("T0", "T1", "T2", "T3", "T4")
_NO_URN = ("P1", "P3", "R1", "R2", "R5", *_TEMPORARY, "Z1", "Z11", "Z12", "Z13", "Z14")


# --- What a fault reads of its record ---------------------------------------------------------


def _days(r: Record, start: str, end: str) -> int | None:
    """Days from the record's ``start`` date to its ``end`` (the year's end when open)."""
    a, b = r.day(start), r.day(end) or r.end
    return None if a is None else (b - a).days


def _shift(r: Record, column: str, days: int) -> str:
    value = r.day(column)
    assert value is not None
    return day(value + dt.timedelta(days=days))


def _date_plus(value: dt.date | None, days: int) -> str:
    assert value is not None
    return day(value + dt.timedelta(days=days))


def _near(r: Record, step: int) -> Record:
    """The child's record ``step`` away in the same file (a fault's ``fits`` checked it)."""
    near = r.near(step)
    assert near is not None
    return near


def _prev(r: Record) -> Record:
    return _near(r, -1)


def _age_at(r: Record, column: str) -> float | None:
    """The child's age (Header DOB) on the record's ``column`` date, in years."""
    when, dob = r.day(column), r.dob
    if when is None or dob is None:
        return None
    return (when - dob).days / 365.25


def _closed(r: Record) -> bool:
    return r["DEC"] is not None and r.day("DEC") is not None


def _first(r: Record) -> bool:
    return r.before is None


def _continued(r: Record) -> bool:
    """An episode that began the day the child's previous one ended."""
    before = r.before
    return before is not None and before["DEC"] is not None and before["DEC"] == r["DECOM"]


def _female(r: Record) -> bool:
    return r.header.get("SEX") in ("F", "2")


def _male(r: Record) -> bool:
    return r.header.get("SEX") in ("M", "1")


def _uasc(r: Record) -> bool:
    """The child is in this year's UASC table or last year's."""
    return bool(r.of_child(UASC)) or bool(r.last_year(UASC) or [])


def _other_sex(r: Record) -> str:
    male = r["SEX"] in ("M", "1")
    if r.year <= 2024:
        return "2" if male else "1"
    return "F" if male else "M"


def _renamed(r: Record) -> str:
    """A CHILD id no Header holds: the child's, marked and cut to 10 characters."""
    return ("N" + str(r.child))[:10]


def _too_long(r: Record) -> str:
    return "X" + str(r.child).rjust(10, "0")


def _open_last_year(r: Record) -> bool:
    """The child's first episode this year continues last year's open last episode."""
    last = r.last_year(EPISODES) or []
    return bool(last) and _first(r) and last[-1]["DEC"] is None and last[-1]["DECOM"] == r["DECOM"]


def _in_year(r: Record, column: str) -> bool:
    value = r.day(column)
    return value is not None and r.start <= value <= r.end


def _other(code: str | None, choices: tuple[str, ...]) -> str:
    return next(c for c in choices if c != code)


# --- Header -------------------------------------------------------------------------------

HEADER_FAULTS: tuple[Fault, ...] = (
    Fault("SL01", HEADER, "CHILD", _too_long, "a CHILD id longer than 10 characters"),
    Fault("171", HEADER, "MC_DOB", "31/02/2020", "a mother's child's DOB that is not a date",
          fits=_female),
    Fault("174", HEADER, "MC_DOB", "01/06/2020", "a mother's child's DOB for a boy",
          fits=lambda r: r["SEX"] in ("M", "1")),
    Fault("232", HEADER, "SEX", "U", "a sex reported as unknown"),
    Fault("301", HEADER, "DOB", lambda r: day(r.end + dt.timedelta(days=20)),
          "a date of birth after the year ended"),
    Fault("351", HEADER, "DOB", "01/01/1990", "a child over 25 at the start of the year"),
    Fault("INT32", HEADER, "CHILD", lambda r: str(r.world.rows(HEADER)[r.row - 1]["CHILD"]),
          "a child twice in the Header (the record before's id)",
          fits=lambda r: r.row > 0 and r.world.free(r.world.rows(HEADER)[r.row - 1]["CHILD"])),
    Fault("168", HEADER, "UPN", "ABC", "a UPN that is not a UPN"),
    Fault("209", HEADER, "UPN", "UN1", "a school-age child's UPN as UN1 (no UPN, under 4)",
          fits=lambda r: r.dob is not None
          and add_years(r.dob, 4) <= dt.date(r.year - 2, 8, 31)),
    Fault("442", HEADER, "UPN", "", "a looked-after child with no UPN",
          fits=lambda r: any(e["LS"] not in ("V3", "V4") for e in r.of_child(EPISODES))),
    Fault("444", HEADER, "UPN", lambda r: str(r.world.rows(HEADER)[r.row - 1]["UPN"]),
          "a UPN another child has (the record before's)",
          fits=lambda r: r.row > 0 and r.world.free(r.world.rows(HEADER)[r.row - 1]["CHILD"])
          and str(r.world.rows(HEADER)[r.row - 1]["UPN"])[:2] != "UN"),
    Fault("393", HEADER, "MOTHER", "", "a looked-after girl with MOTHER blank",
          fits=lambda r: r["SEX"] in ("F", "2")
          and any(e["LS"] not in ("V3", "V4") for e in r.of_child(EPISODES))),
    Fault("611", HEADER, "MOTHER", "1", "a mother with no date of birth of her child",
          fits=lambda r: r["SEX"] in ("F", "2")),
    Fault("612", HEADER, "MC_DOB", "01/06/2020", "a mother's child's DOB for a girl not a mother",
          fits=lambda r: r["SEX"] in ("F", "2") and r["MOTHER"] in (None, "0")),
    Fault("620", HEADER, "MOTHER", "1", "a mother under 11",
          also=(("MC_DOB", lambda r: _shift(r, "DOB", 3000)),),
          fits=lambda r: r["SEX"] in ("F", "2") and r.dob is not None
          and add_years(r.dob, 11) > r.start),
    Fault("621", HEADER, "MC_DOB", lambda r: _shift(r, "DOB", -400),
          "a mother's child born before the mother", fits=lambda r: r.dob is not None),
    Fault("SL06", HEADER, "MOTHER", "2", "MOTHER neither 0, 1 nor blank"),
    # Against last year's Header.
    Fault("202", HEADER, "SEX", _other_sex, "a sex unlike last year's", previous=True,
          fits=lambda r: bool(r.last_year(HEADER))),
    Fault("203", HEADER, "DOB", lambda r: _shift(r, "DOB", -1), "a DOB unlike last year's",
          previous=True, fits=lambda r: bool(r.last_year(HEADER)) and r.dob is not None),
    Fault("204", HEADER, "ETHNIC", lambda r: _other(r["ETHNIC"], ("WBRI", "WIRI")),
          "an ethnicity unlike last year's", previous=True,
          fits=lambda r: bool(r.last_year(HEADER))),
    Fault("208", HEADER, "UPN", lambda r: "A" + str(r.child).rjust(12, "0")[-12:],
          "a UPN unlike last year's known UPN", previous=True,
          fits=lambda r: bool(r.last_year(HEADER))
          and str((r.last_year(HEADER) or [{}])[0].get("UPN") or "UN")[:2] != "UN"),
    Fault("626", HEADER, "MOTHER", "1", "a mother of a child born before the year, not a "
          "mother last year", also=(("MC_DOB", lambda r: day(r.start - dt.timedelta(days=200))),),
          previous=True,
          fits=lambda r: r["SEX"] in ("F", "2")
          and (r.last_year(HEADER) or [{}])[0].get("MOTHER") == "0"),
)  # fmt: skip


# --- Episodes -----------------------------------------------------------------------------

EPISODE_FAULTS: tuple[Fault, ...] = (
    Fault("SL01", EPISODES, "CHILD", _too_long, "an episode's CHILD longer than 10 characters"),
    Fault("148", EPISODES, "REC", "", "an episode ended with no reason", fits=_closed),
    Fault("1009", EPISODES, "REASON_PLACE_CHANGE", "BORED", "a reason for placement change "
          "that is not a code", fits=lambda r: r["REASON_PLACE_CHANGE"] is not None),
    Fault("213", EPISODES, "PLACE", "T4", "a temporary placement with a provider",
          fits=lambda r: r["PLACE_PROVIDER"] is not None),
    Fault("218", EPISODES, "URN", "", "a placement that needs a URN without one",
          fits=lambda r: r["PLACE"] not in _NO_URN and r["URN"] is not None),
    Fault("222", EPISODES, "URN", "1234567", "a URN for placed with parents",
          fits=lambda r: r["PLACE"] == "P1"),
    Fault("353", EPISODES, "DECOM", "01/01/1990", "an episode starting before October 1991",
          fits=_first),
    Fault("354", EPISODES, "DECOM", lambda r: day(r.end + dt.timedelta(days=10)),
          "an episode starting after the year ended", fits=lambda r: not _closed(r)),
    Fault("385", EPISODES, "DEC", lambda r: day(r.end + dt.timedelta(days=10)),
          "an episode ending after the year ended", fits=_closed),
    Fault("356", EPISODES, "DEC", lambda r: _shift(r, "DECOM", -1),
          "an episode ending before it began", fits=_closed),
    Fault("302", EPISODES, "DECOM", lambda r: _date_plus(r.dob, -30),
          "a first episode before the child was born",
          fits=lambda r: _first(r) and r.dob is not None),
    Fault("INT03", EPISODES, "CHILD", _renamed, "an episode of a child not in the Header"),
    Fault("142", EPISODES, "REC", "", "an episode followed by another with no reason ceased",
          fits=lambda r: r.after is not None and _closed(r)),
    Fault("501", EPISODES, "DECOM", lambda r: _shift(_prev(r), "DEC", -1),
          "an episode starting before the previous one ended",
          fits=lambda r: r.before is not None and r.before["DEC"] is not None
          and (_days(r.before, "DECOM", "DEC") or 0) >= 3),
    Fault("388", EPISODES, "REC", "X1", "a last episode ending as if another followed",
          fits=lambda r: r.after is None and _closed(r)),
    Fault("431", EPISODES, "RNE", "S", "started to be looked after the day the previous "
          "episode ended", fits=_continued),
    Fault("433", EPISODES, "DECOM", lambda r: _shift(r, "DECOM", 1), "a continuation episode "
          "starting a day after the previous ended",
          fits=lambda r: _continued(r) and (_days(r, "DECOM", "DEC") or 0) >= 3
          and r["RNE"] != "S"),
    Fault("357", EPISODES, "RNE", "P", "a child's first episode, in the year, not starting "
          "care", fits=lambda r: _first(r) and _in_year(r, "DECOM") and r["RNE"] == "S"),
    Fault("225", EPISODES, "REASON_PLACE_CHANGE", "", "a placement change with no reason",
          fits=lambda r: r["REC"] == "X1" and r.after is not None
          and r.after["RNE"] in ("P", "B", "T", "U") and r["PLACE"] not in _TEMPORARY
          and r.after["PLACE"] not in _TEMPORARY),
    Fault("226", EPISODES, "PLACE", "T0", "a reason for placement change for a temporary "
          "placement", fits=lambda r: r["REASON_PLACE_CHANGE"] is not None),
    Fault("233", EPISODES, "REASON_PLACE_CHANGE", "CARPL", "a reason for placement change for "
          "an open episode", fits=lambda r: r["DEC"] is None),
    Fault("234", EPISODES, "REASON_PLACE_CHANGE", "CUSTOD", "a child under 10 moved for "
          "custody", fits=lambda r: _closed(r) and (_age_at(r, "DEC") or 99) < 9.9),
    Fault("392b", EPISODES, "HOME_POST", "", "a looked-after child with no home postcode",
          fits=lambda r: not _uasc(r) and r["LS"] not in ("V3", "V4")),
    Fault("392a", EPISODES, "PL_POST", "", "a looked-after child with no distance (no "
          "placement postcode)", fits=lambda r: not _uasc(r) and r["LS"] not in ("V3", "V4")),
    Fault("392d", EPISODES, "PL_POST", lambda r: str(r["HOME_POST"]), "the placement at the "
          "home postcode, not placed with parents",
          fits=lambda r: r["PLACE"] != "P1" and r["HOME_POST"] is not None),
    Fault("169", EPISODES, "PL_POST", "", "no placement postcode, so no placement council",
          fits=lambda r: r["LS"] not in ("V3", "V4")),
    Fault("179", EPISODES, "PL_POST", "", "no placement postcode, so no location",
          fits=lambda r: r["LS"] not in ("V3", "V4")),
    Fault("1015", EPISODES, "PL_POST", "M1 1AA", "the council's own children's home outside "
          "its area (Manchester)", also=(("PLACE", "K2"),),
          fits=lambda r: r["PLACE_PROVIDER"] == "PR1" and r["LS"] not in ("V3", "V4")),
    Fault("214", EPISODES, "LS", "V3", "a short break with a placement postcode",
          fits=lambda r: r["PL_POST"] is not None),
    Fault("217", EPISODES, "PLACE", "A3", "placed for adoption with current carers, moved "
          "placement", fits=lambda r: r["RNE"] == "P"),
    Fault("217t", EPISODES, "PLACE", "P2", "independent living (P2) after October 2023",
          fits=lambda r: r["DEC"] is None),
    Fault("230", EPISODES, "PLACE", "H5", "an H5 placement after October 2023 with no URN",
          also=(("URN", ""),), fits=lambda r: r["DEC"] is None),
    Fault("242", EPISODES, "URN", "XXXXXXX", "an adoption agency's URN for a children's home",
          fits=lambda r: r["PLACE"] == "K2"),
    Fault("243", EPISODES, "PL_POST", "ZE1 0AA", "a URN for a placement in Shetland",
          fits=lambda r: r["URN"] is not None),
    Fault("336", EPISODES, "PLACE", "A4", "placed for adoption straight from a home",
          fits=lambda r: r.before is not None and r.before["PLACE"] not in (*_FOSTER, "A3",
                                                                           "A4", "A5", "A6")),
    Fault("366", EPISODES, "LS", "V3", "a short break that is a change of placement",
          fits=lambda r: r["RNE"] != "S"),
    Fault("378", EPISODES, "LS", "V2", "placed with parents under a single period of "
          "accommodation", fits=lambda r: r["PLACE"] == "P1"),
    Fault("380", EPISODES, "PLACE", "T1", "care starting in a temporary placement",
          fits=lambda r: r["RNE"] == "S"),
    Fault("381", EPISODES, "PLACE", "T1", "care ending in a temporary placement",
          fits=lambda r: _closed(r) and r["REC"] not in (None, "X1")),
    Fault("382", EPISODES, "LS", "V4", "respite in a temporary placement",
          also=(("PLACE", "T2"),)),
    Fault("383", EPISODES, "PLACE", lambda r: _other(_near(r, -2)["PLACE"], ("K2", "U4")),
          "not back to the placement after a temporary one", nearby=((-1, "PLACE", "T2"),),
          fits=lambda r: r.near(-2) is not None),
    Fault("384", EPISODES, "LS", "V3", "respite in a long-term foster placement",
          fits=lambda r: r["PLACE"] in ("U1", "U4")),
    Fault("390", EPISODES, "REC", "E11", "adopted from a placement not for adoption",
          fits=lambda r: _closed(r) and r["PLACE"] not in ("A3", "A4", "A5", "A6")),
    Fault("398", EPISODES, "LS", "V4", "a short break with postcodes",
          fits=lambda r: r["HOME_POST"] is not None),
    Fault("408", EPISODES, "PLACE", "A6", "placed for adoption with no placement order",
          fits=lambda r: r["LS"] != "E1"),
    Fault("420", EPISODES, "LS", "V3", "a short break with a placement council",
          fits=lambda r: r["PL_POST"] is not None),
    Fault("426", EPISODES, "LS", "V3", "respite under V3 and V4 in one year",
          nearby=((1, "LS", "V4"),), fits=lambda r: r.after is not None),
    Fault("445", EPISODES, "LS", "D1", "freed for adoption (D1) after 2005"),
    Fault("446", EPISODES, "LS", "E1", "a placement order before December 2005",
          also=(("DECOM", "01/06/2005"),), fits=_first),
    Fault("451", EPISODES, "LS", "D1", "still freed for adoption", fits=lambda r: r["DEC"] is None),
    Fault("454", EPISODES, "PL_POST", "ZE1 0AA", "a placement in Shetland, over 350 miles",
          fits=lambda r: r["HOME_POST"] is not None and not _uasc(r)),
    Fault("516", EPISODES, "REC", "E45", "a special guardianship by former foster carers not "
          "placed with them", fits=lambda r: _closed(r) and r["PLACE"] not in _FOSTER),
    Fault("526", EPISODES, "PLACE_PROVIDER", "", "no placement provider",
          fits=lambda r: r["PLACE"] not in (*_TEMPORARY, "Z1", "Z11", "Z12", "Z13", "Z14")),
    Fault("527", EPISODES, "PLACE", "R2", "the council's own provision of an NHS placement",
          fits=lambda r: r["PLACE_PROVIDER"] == "PR1"),
    Fault("528", EPISODES, "PLACE", "R2", "another council's provision of an NHS placement",
          fits=lambda r: r["PLACE_PROVIDER"] == "PR2"),
    Fault("529", EPISODES, "PLACE", "K2", "a public body's children's home",
          fits=lambda r: r["PLACE_PROVIDER"] == "PR3"),
    Fault("530", EPISODES, "PLACE", "P1", "a private provider's placement with parents",
          fits=lambda r: r["PLACE_PROVIDER"] == "PR4"),
    Fault("531", EPISODES, "PLACE", "P1", "a voluntary provider's placement with parents",
          fits=lambda r: r["PLACE_PROVIDER"] == "PR5"),
    Fault("550", EPISODES, "PLACE_PROVIDER", "PR0", "a parent as provider, not placed with "
          "parents", fits=lambda r: r["PLACE"] not in ("P1", *_TEMPORARY)),
    # Ages: the Header's DOB against the episode's dates.
    Fault("352", EPISODES, "RNE", "S", "starting care at 18",
          elsewhere=((HEADER, "DOB", lambda h: "01/01/1990"),),
          fits=lambda r: r.after is None and r["DEC"] is None),
    Fault("358", EPISODES, "LS", "J1", "remanded (J1) under 10",
          fits=lambda r: (_age_at(r, "DECOM") or 99) < 9.9),
    Fault("359", EPISODES, "DEC", "", "looked after past 18, not in a community home under V2",
          also=(("REC", ""), ("REASON_PLACE_CHANGE", "")),
          fits=lambda r: r.after is None and r.dob is not None
          and add_years(r.dob, 18) < r.end and not (r["LS"] == "V2" and r["PLACE"] == "K2")),
    Fault("370", EPISODES, "PLACE", "P2", "independent living under 16",
          fits=lambda r: _closed(r) and (_age_at(r, "DECOM") or 99) < 15.9),
    Fault("371", EPISODES, "PLACE", "K3", "supported accommodation under 16",
          fits=lambda r: _closed(r) and (_age_at(r, "DECOM") or 99) < 15.9),
    Fault("372", EPISODES, "PLACE", "R5", "youth custody under 10",
          fits=lambda r: _closed(r) and (_age_at(r, "DECOM") or 99) < 9.9),
    Fault("373", EPISODES, "PLACE", "S1", "placed in a school under 4",
          fits=lambda r: _closed(r) and (_age_at(r, "DECOM") or 99) < 3.9),
    Fault("374", EPISODES, "PLACE", "P3", "residential employment under 14",
          fits=lambda r: _closed(r) and (_age_at(r, "DECOM") or 99) < 13.9),
    Fault("386", EPISODES, "REC", "E11", "adopted at 18",
          fits=lambda r: _closed(r) and r.dob is not None
          and add_years(r.dob, 18) <= (r.day("DEC") or r.start)),
    Fault("389", EPISODES, "REC", "E7", "to adult social care under 16",
          fits=lambda r: _closed(r) and (_age_at(r, "DEC") or 99) < 15.9),
    Fault("407", EPISODES, "REC", "E47", "a special guardianship order at 19",
          elsewhere=((HEADER, "DOB", lambda h: day(add_years(h.end, -19))),),
          fits=lambda r: _closed(r) and r.after is None and _in_year(r, "DEC")),
    Fault("460", EPISODES, "REC", "E17", "stayed with carers at 18, under 18",
          fits=lambda r: _closed(r) and (_age_at(r, "DEC") or 99) < 17.9),
    Fault("387", EPISODES, "REC", "E5", "to independent living under 14",
          fits=lambda r: _closed(r) and (_age_at(r, "DEC") or 99) < 13.9),
    # How long.
    Fault("355", EPISODES, "DEC", lambda r: str(r["DECOM"]), "an episode of less than a day",
          fits=_closed),
    Fault("361", EPISODES, "LS", "L1", "police protection for more than 72 hours",
          fits=lambda r: (_days(r, "DECOM", "DEC") or 0) > 5),
    Fault("362", EPISODES, "LS", "L2", "an emergency protection order of more than 21 days",
          fits=lambda r: (_days(r, "DECOM", "DEC") or 0) > 25),
    Fault("363", EPISODES, "LS", "L3", "a child assessment order of more than 7 days",
          fits=lambda r: (_days(r, "DECOM", "DEC") or 0) > 10),
    Fault("364", EPISODES, "LS", "J2", "PACE detention of more than 21 days",
          fits=lambda r: (_days(r, "DECOM", "DEC") or 0) > 25),
    Fault("365", EPISODES, "LS", "V3", "a respite placement of more than 17 days",
          fits=lambda r: (_days(r, "DECOM", "DEC") or 0) > 20),
    Fault("367", EPISODES, "LS", "V3", "more than 75 days of respite in the year",
          fits=lambda r: _in_year(r, "DECOM") and (_days(r, "DECOM", "DEC") or 0) > 80),
    Fault("375", EPISODES, "PLACE", "T1", "a hospital stay of more than six weeks",
          fits=lambda r: _closed(r) and (_days(r, "DECOM", "DEC") or 0) > 45),
    Fault("376", EPISODES, "PLACE", "T3", "a carers' holiday of more than three weeks",
          fits=lambda r: _closed(r) and (_days(r, "DECOM", "DEC") or 0) > 25),
    Fault("379", EPISODES, "PLACE", "T4", "a temporary placement of more than seven days",
          fits=lambda r: _closed(r) and (_days(r, "DECOM", "DEC") or 0) > 10),
    Fault("377", EPISODES, "PLACE", "T3", "a third carers' holiday in the year",
          nearby=((-1, "PLACE", "T3"), (1, "PLACE", "T3")),
          fits=lambda r: r.before is not None and r.after is not None),
    # What changed between episodes.
    Fault("432", EPISODES, "RNE", "P", "no new start after the previous episode left care",
          nearby=((-1, "REC", "E4A"),), fits=lambda r: r.before is not None),
    Fault("434", EPISODES, "RNE", "L", "a legal status change with the same legal status",
          fits=lambda r: r.before is not None and r["RNE"] == "P"
          and r.before["LS"] == r["LS"]),
    Fault("435", EPISODES, "RNE", "P", "a placement change with the same placement",
          fits=lambda r: r.before is not None and r["RNE"] == "L"),
    Fault("436", EPISODES, "RNE", "U", "both changed, the legal status the same",
          fits=lambda r: r.before is not None and r["RNE"] == "P"
          and r.before["LS"] == r["LS"]),
    Fault("437", EPISODES, "REC", "E2", "died, with further episodes",
          fits=lambda r: r.after is not None and _closed(r)),
    Fault("504", EPISODES, "CIN", lambda r: _other(_prev(r)["CIN"], ("N8", "N7")),
          "a category of need unlike the period's start", fits=_continued),
    Fault("SL02", EPISODES, "URN", "123456789", "a URN of 9 characters"),
    Fault("SL03", EPISODES, "PL_POST", "", "no placement postcode"),
    Fault("SL04", EPISODES, "PL_POST", "KW15 1AA", "a placement in Orkney"),
    # Against last year's return.
    Fault("503A", EPISODES, "RNE", lambda r: _other(r["RNE"], ("L", "P")), "a reason for new "
          "episode unlike last year's open episode", previous=True, fits=_open_last_year),
    Fault("503B", EPISODES, "LS", lambda r: _other(r["LS"], ("C2", "C1")), "a legal status "
          "unlike last year's open episode", previous=True, fits=_open_last_year),
    Fault("503C", EPISODES, "CIN", lambda r: _other(r["CIN"], ("N8", "N7")), "a category of "
          "need unlike last year's open episode", previous=True, fits=_open_last_year),
    Fault("503D", EPISODES, "PLACE", lambda r: _other(r["PLACE"], ("U4", "U6")), "a placement "
          "type unlike last year's open episode", previous=True, fits=_open_last_year),
    Fault("503E", EPISODES, "PLACE_PROVIDER", lambda r: _other(r["PLACE_PROVIDER"],
          ("PR2", "PR3")), "a provider unlike last year's open episode", previous=True,
          fits=_open_last_year),
    Fault("503F", EPISODES, "URN", lambda r: _other(r["URN"], ("SC999998", "SC999997")),
          "a URN unlike last year's open episode", previous=True, fits=_open_last_year),
    Fault("503G", EPISODES, "PL_POST", "TR18 4AA", "a distance unlike last year's open "
          "episode (placed in Penzance)", previous=True,
          fits=lambda r: _open_last_year(r) and r["HOME_POST"] is not None),
    Fault("503H", EPISODES, "PL_POST", "TR18 4AA", "a placement council unlike last year's "
          "open episode (Cornwall)", previous=True, fits=_open_last_year),
    Fault("503J", EPISODES, "PL_POST", "TR18 4AA", "a placement location unlike last year's "
          "open episode (outside the council)", previous=True,
          fits=lambda r: _open_last_year(r) and council_of(r["PL_POST"]) == r.world.council),
    Fault("453", EPISODES, "PL_POST", "TR18 4AA", "a distance unlike last year's open episode, "
          "the same reason for new episode", previous=True,
          fits=lambda r: _open_last_year(r) and r["HOME_POST"] is not None),
    Fault("452", EPISODES, "PL_POST", "TR18 4AA", "a placement council unlike last year's "
          "open episode, the same reason for new episode", previous=True, fits=_open_last_year),
    Fault("502", EPISODES, "DECOM", lambda r: _shift(r, "DECOM", 1), "a start unlike last "
          "year's open episode's", previous=True,
          fits=lambda r: _open_last_year(r) and (_days(r, "DECOM", "DEC") or 0) >= 3),
    Fault("562", EPISODES, "DECOM", lambda r: _shift(r, "DECOM", -1), "an episode from before "
          "the year that last year's return does not hold", previous=True,
          fits=lambda r: _first(r) and bool(r.last_year(EPISODES))
          and (r.day("DECOM") or r.end) < r.start),
    Fault("NoE", EPISODES, "DECOM", lambda r: day(r.start - dt.timedelta(days=10)), "an "
          "episode from before the year of a child not in last year's return", previous=True,
          fits=lambda r: _first(r) and r.last_year(EPISODES) == [] and _in_year(r, "DECOM")),
    Fault("199", EPISODES, "RNE", "S", "an episode after the child was adopted",
          nearby=((-1, "REC", "E11"),), fits=lambda r: r.before is not None),
    Fault("607", EPISODES, "REC", "E8", "a girl who left care with MOTHER blank",
          elsewhere=((HEADER, "MOTHER", ""),),
          fits=lambda r: _female(r) and _closed(r) and _in_year(r, "DEC")
          and r["LS"] not in ("V3", "V4") and r.after is None),
    Fault("210", EPISODES, "DECOM", lambda r: day(dt.date(r.year, 3, 26)), "a child looked "
          "after for less than a week at 31 March with UPN UN4",
          elsewhere=((HEADER, "UPN", "UN4"),),
          fits=lambda r: r.after is None and r["DEC"] is None
          and (r.day("DECOM") or r.end) >= r.start),
    Fault("625", EPISODES, "DEC", lambda r: str(r["DEC"]), "a mother's child born after she "
          "left care", elsewhere=((HEADER, "MC_DOB", lambda h: day(h.end)),
                                  (HEADER, "MOTHER", "1")),
          fits=lambda r: _closed(r) and r.after is None and _female(r)
          and (r.day("DEC") or r.end) < r.end),
)  # fmt: skip


# --- Missing ------------------------------------------------------------------------------


def _episode_on(r: Record, when: dt.date | None) -> dict[str, str | None] | None:
    """The child's episode that started last on or before ``when``."""
    if when is None:
        return None
    found = None
    for e in r.of_child(EPISODES):
        start = parse_day(e["DECOM"])
        if start is not None and start <= when:
            found = e
    return found


def _care_ended(r: Record) -> dt.date | None:
    """When the child's last episode ended, leaving care (None: still looked after)."""
    eps = r.of_child(EPISODES)
    if not eps or eps[-1]["REC"] in (None, "X1"):
        return None
    return parse_day(eps[-1]["DEC"])


def _first_decom(r: Record) -> dt.date | None:
    eps = r.of_child(EPISODES)
    return parse_day(eps[0]["DECOM"]) if eps else None


MISSING_FAULTS: tuple[Fault, ...] = (
    Fault("SL01", MISSING, "CHILD", _too_long, "a missing period's CHILD longer than 10"),
    Fault("564", MISSING, "MIS_START", "", "a missing period with no start"),
    Fault("565", MISSING, "MISSING", "", "a start with no missing or away"),
    Fault("566", MISSING, "MISSING", "", "an end with no missing or away",
          fits=lambda r: r["MIS_END"] is not None),
    Fault("567", MISSING, "MIS_END", lambda r: _shift(r, "MIS_START", -1),
          "a missing period ending before it began", fits=lambda r: r["MIS_END"] is not None),
    Fault("570", MISSING, "MIS_START", lambda r: day(r.end + dt.timedelta(days=5)),
          "a missing period starting after the year ended", also=(("MIS_END", ""),)),
    Fault("571", MISSING, "MIS_END", lambda r: day(r.end + dt.timedelta(days=5)),
          "a missing period ending after the year ended"),
    Fault("574", MISSING, "MIS_START", lambda r: _shift(_prev(r), "MIS_START", 1),
          "a missing period starting inside the one before",
          fits=lambda r: r.before is not None and r.before["MIS_END"] is not None
          and (_days(r.before, "MIS_START", "MIS_END") or 0) >= 2),
    Fault("575", MISSING, "MIS_END", "", "an open missing period from a placement that ended",
          fits=lambda r: (e := _episode_on(r, r.day("MIS_START"))) is not None
          and e["DEC"] is not None),
    Fault("577", MISSING, "MIS_END", "", "an open missing period after care ended",
          fits=lambda r: (end := _care_ended(r)) is not None
          and (r.day("MIS_START") or r.end) <= end),
    Fault("578", MISSING, "MIS_START", lambda r: _date_plus(_care_ended(r), 1),
          "a missing period starting after care ended", also=(("MIS_END", ""),),
          fits=lambda r: (end := _care_ended(r)) is not None and end < r.end),
    Fault("581", MISSING, "MIS_START", lambda r: _date_plus(_first_decom(r), -1),
          "a missing period before care began",
          fits=lambda r: (first := _first_decom(r)) is not None
          and first > r.start + dt.timedelta(days=2)),
    Fault("SL05", MISSING, "MIS_START", lambda r: _date_plus(_first_decom(r), -1),
          "a missing period on a day with no episode",
          fits=lambda r: (first := _first_decom(r)) is not None
          and first > r.start + dt.timedelta(days=2)),
    Fault("586", MISSING, "MIS_START", lambda r: str(r["DOB"]), "missing on the day of birth",
          fits=lambda r: r["DOB"] is not None),
    Fault("INT04", MISSING, "CHILD", _renamed, "a missing period of a child not in the Header"),
)  # fmt: skip

RULE_FAULTS: tuple[Fault, ...] = HEADER_FAULTS + EPISODE_FAULTS + MISSING_FAULTS


# --- The other nine tables: each table's own fields -----------------------------------------


def _previous_row_child(file: str) -> Callable[[Record], str]:
    """The CHILD of the record before in ``file`` (a child twice in a table)."""

    def value(r: Record) -> str:
        return str(r.world.rows(file)[r.row - 1]["CHILD"])

    return value


def _after_free_row(r: Record) -> bool:
    """The record before is another child's, with no fault planted on it."""
    if r.row == 0:
        return False
    other = r.world.rows(r.file)[r.row - 1]["CHILD"]
    return other != r.child and r.world.free(other)


def _given(*fields: str) -> Callable[[Record], bool]:
    return lambda r: all(r[f] is not None for f in fields)


def _identity(file: str, dob: bool = True) -> tuple[Fault, ...]:
    """SL01 (CHILD too long), the child not in the Header, a DOB unlike the Header's and a
    child twice in the table, for a table whose codes are ``codes`` (INT01, INT11, INT31 for
    AD1...)."""
    codes = _INTEGRITY[file]
    faults = [
        Fault("SL01", file, "CHILD", _too_long, "a CHILD id longer than 10 characters"),
        Fault(codes[0], file, "CHILD", _renamed, "a record of a child not in the Header"),
        Fault(codes[2], file, "CHILD", _previous_row_child(file), "a child twice in the table "
              "(the record before's)", fits=_after_free_row) if codes[2] else None,
    ]  # fmt: skip
    if dob:
        faults.append(
            Fault(codes[1], file, "DOB", lambda r: _shift(r, "DOB", -1), "a DOB a day before "
                  "the Header's", fits=lambda r: r.day("DOB") is not None)
        )  # fmt: skip
    return tuple(f for f in faults if f is not None)


#: The not-in-Header, DOB-unlike-Header's and twice-in-table codes of each table.
_INTEGRITY = {
    AD1: ("INT01", "INT11", "INT31"),
    PLACED: ("INT02", "INT12", ""),
    OC2: ("INT05", "INT14", "INT33"),
    OC3: ("INT06", "INT15", "INT34"),
    PREV_PERM: ("INT07", "INT16", "INT35"),
    REVIEWS: ("INT08", "INT17", ""),
    UASC: ("INT09", "INT18", "INT36"),
    SW: ("", "", ""),
}


def _sw_start(r: Record) -> dt.date:
    return r.day("SW_DECOM") or r.end


TABLE_FAULTS: tuple[Fault, ...] = (
    # AD1
    Fault("112", AD1, "DATE_INT", "31/02/2023", "a date should be placed that is not a date"),
    Fault("113", AD1, "DATE_MATCH", "31/02/2023", "a date matched that is not a date"),
    Fault("114", AD1, "FOSTER_CARE", "2", "a former carers' status not 0 or 1"),
    Fault("175", AD1, "NB_ADOPTR", "3", "three adopters"),
    Fault("176", AD1, "SEX_ADOPTR", "XY", "adopters' sexes not a code"),
    Fault("151", AD1, "FOSTER_CARE", "", "one adoption item left blank",
          fits=_given("DATE_INT", "DATE_MATCH", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")),
    Fault("333", AD1, "DATE_INT", lambda r: _shift(r, "DATE_MATCH", 1), "a date should be "
          "placed after the date matched", fits=lambda r: r.day("DATE_MATCH") is not None),
    Fault("511", AD1, "SEX_ADOPTR", "M1", "two adopters as a single man",
          fits=lambda r: r["NB_ADOPTR"] == "2"),
    Fault("514", AD1, "LS_ADOPTR", "L0", "a single adopter as a couple",
          fits=lambda r: r["SEX_ADOPTR"] in ("MM", "FF", "MF")),
    Fault("517", AD1, "LS_ADOPTR", "L3", "an unmarried couple (L3) of two men",
          also=(("SEX_ADOPTR", "MM"),)),
    Fault("518", AD1, "LS_ADOPTR", "L4", "a same-sex unmarried couple (L4) as man and woman",
          also=(("SEX_ADOPTR", "MF"),)),
    Fault("519", AD1, "LS_ADOPTR", "L2", "a civil partnership of one adopter",
          also=(("SEX_ADOPTR", "F1"),)),
    Fault("520", AD1, "SEX_ADOPTR", "MM", "a different-sex married couple (L11) of two men",
          also=(("LS_ADOPTR", "L11"),)),
    Fault("524", AD1, "LS_ADOPTR", "L12", "a same-sex married couple (L12) as man and woman",
          also=(("SEX_ADOPTR", "MF"),)),
    Fault("SL02", AD1, "LS_ADOPTR", "L111", "a legal status of adopters of 4 characters"),
    *_identity(AD1),
    # PlacedAdoption
    Fault("116", PLACED, "DATE_PLACED_CEASED", "31/02/2025", "a decision reversed on a day "
          "that is not a date", also=(("REASON_PLACED_CEASED", "RD1"),)),
    Fault("119", PLACED, "DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30),
          "a decision reversed with no reason", also=(("REASON_PLACED_CEASED", ""),),
          fits=lambda r: r.day("DATE_PLACED") is not None),
    Fault("120", PLACED, "REASON_PLACED_CEASED", "RD9", "a reason for reversal not a code",
          also=(("DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30)),),
          fits=lambda r: r.day("DATE_PLACED") is not None),
    Fault("522", PLACED, "DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", -1),
          "a decision reversed before it was made", also=(("REASON_PLACED_CEASED", "RD1"),),
          fits=lambda r: r.day("DATE_PLACED") is not None),
    Fault("184", PLACED, "DATE_PLACED", lambda r: _date_plus(r.dob, -10),
          "a decision to place for adoption before birth", fits=lambda r: r.dob is not None),
    Fault("SL02", PLACED, "REASON_PLACED_CEASED", "RD11", "a reason of 4 characters",
          also=(("DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30)),),
          fits=lambda r: r.day("DATE_PLACED") is not None),
    *_identity(PLACED),
    # OC2
    Fault("181", OC2, "TEETH_CHECK", "2", "a teeth check neither 0 nor 1"),
    Fault("182", OC2, "IMMUNISATIONS", "", "immunisations blank, convictions given",
          fits=lambda r: r["CONVICTED"] is not None),
    Fault("196", OC2, "SDQ_REASON", "SDQ9", "a reason for no SDQ not a code",
          also=(("SDQ_SCORE", ""),)),
    Fault("197a", OC2, "SDQ_REASON", "SDQ2", "a reason for no SDQ score beside a score",
          fits=lambda r: r["SDQ_SCORE"] is not None),
    Fault("158", OC2, "INTERVENTION_RECEIVED", "1", "an intervention received and offered",
          also=(("INTERVENTION_OFFERED", "1"), ("SUBSTANCE_MISUSE", "1"))),
    Fault("159", OC2, "INTERVENTION_RECEIVED", "0", "no intervention received, and whether "
          "one was offered blank", also=(("INTERVENTION_OFFERED", ""), ("SUBSTANCE_MISUSE", "1"))),
    Fault("192", OC2, "SUBSTANCE_MISUSE", "1", "a substance misuse problem, whether an "
          "intervention was received blank", also=(("INTERVENTION_RECEIVED", ""),)),
    Fault("193", OC2, "INTERVENTION_RECEIVED", "1", "an intervention for no substance misuse",
          also=(("SUBSTANCE_MISUSE", "0"),)),
    Fault("542", OC2, "CONVICTED", "0", "convictions of a child under 10",
          fits=lambda r: r.day("DOB") is not None
          and add_years(r.day("DOB") or r.end, 10) > r.end),
    Fault("SL02", OC2, "SDQ_SCORE", "100", "an SDQ score of 3 characters"),
    *_identity(OC2),
    # OC3
    Fault("132", OC3, "ACTIV", "ZZ", "an activity not a code"),
    Fault("133", OC3, "ACCOM", "ZZ", "an accommodation not a code"),
    Fault("153", OC3, "ACTIV", "", "activity blank, the rest given",
          fits=_given("IN_TOUCH", "ACCOM")),
    Fault("344", OC3, "IN_TOUCH", "DIED", "a care leaver who died, with an activity",
          fits=lambda r: r["ACTIV"] not in (None, "0")),
    Fault("345", OC3, "ACTIV", "0", "in touch, with activity zero",
          fits=lambda r: r["IN_TOUCH"] == "YES"),
    Fault("SL02", OC3, "ACTIV", "F11", "an activity of 3 characters"),
    *_identity(OC3),
    # PrevPerm
    Fault("633", PREV_PERM, "LA_PERM", "000", "a council of previous permanence not a code",
          also=(("PREV_PERM", "P1"), ("DATE_PERM", "01/01/2015"))),
    Fault("635", PREV_PERM, "PREV_PERM", "", "a council and date of previous permanence, no "
          "option", also=(("LA_PERM", "356"), ("DATE_PERM", "01/01/2015"))),
    Fault("634", PREV_PERM, "PREV_PERM", "P1", "previous permanence of a child who started "
          "care before the year", also=(("LA_PERM", "356"), ("DATE_PERM", "01/01/2015")),
          elsewhere=((EPISODES, "DECOM", lambda e: day(e.start - dt.timedelta(days=30))),),
          fits=lambda r: len(r.of_child(EPISODES)) == 1),
    Fault("SL02", PREV_PERM, "PREV_PERM", "P11", "a previous permanence of 3 characters"),
    *_identity(PREV_PERM),
    # Reviews
    Fault("440", REVIEWS, "REVIEW_CODE", "PN0", "under 4 at the review, aged 4 or over",
          fits=lambda r: (_age_at(r, "REVIEW") or 0) > 4.1),
    Fault("441", REVIEWS, "REVIEW_CODE", "PN1", "4 or over at the review, aged under 4",
          fits=lambda r: (_age_at(r, "REVIEW") or 99) < 3.9),
    Fault("SL02", REVIEWS, "REVIEW_CODE", "PN11", "a participation code of 4 characters"),
    *_identity(REVIEWS),
    # UASC
    Fault("304", UASC, "DUC", lambda r: day(add_years(r.day("DOB") or r.end, 18)
                                          + dt.timedelta(days=10)),
          "UASC status ceased after the 18th birthday", fits=lambda r: r.day("DOB") is not None),
    Fault("INT21", UASC, "SEX", _other_sex, "a sex unlike the Header's"),
    Fault("SL02", UASC, "SEX", "MM", "a sex of 2 characters"),
    *_identity(UASC),
    # SWEpisodes
    Fault("SL01", SW, "CHILD", _too_long, "a CHILD id longer than 10 characters"),
    Fault("SL02", SW, "SW_ID", "SW" + "9" * 30, "a social worker id of 32 characters"),
    Fault("SW01aSTG1", SW, "SW_DECOM", "", "a social worker episode with no start"),
    Fault("SW01bSTG1", SW, "SW_ID", "", "a social worker episode since April 2023 with no id",
          fits=lambda r: _sw_start(r) >= dt.date(2023, 4, 1)),
    Fault("SW03STG1", SW, "SW_ID", "", "a social worker episode with no id"),
    Fault("SW04STG1", SW, "SW_DECOM", "31/02/2024", "a social worker start not a date"),
    Fault("SW05STG1", SW, "SW_DEC", "31/02/2025", "a social worker end not a date"),
    Fault("SW06STG2", SW, "SW_DECOM", lambda r: day(r.end + dt.timedelta(days=5)),
          "a social worker episode starting after the year", also=(("SW_DEC", ""),)),
    Fault("SW07STG2", SW, "SW_DEC", lambda r: day(r.end + dt.timedelta(days=5)),
          "a social worker episode ending after the year"),
    Fault("SW08STG2", SW, "SW_DEC", "", "a social worker episode not ended before the next",
          fits=lambda r: r.after is not None),
    Fault("SW14STG2", SW, "SW_DEC", "", "a social worker episode not ended before the next "
          "(2023/24)", fits=lambda r: r.after is not None),
    Fault("SW09STG2", SW, "SW_DEC", lambda r: _shift(r, "SW_DECOM", 1), "a social worker "
          "episode of a day", fits=lambda r: r.day("SW_DECOM") is not None),
    Fault("SW10STG2", SW, "SW_DECOM", lambda r: _shift(_prev(r), "SW_DEC", 20),
          "a social worker from 20 days after the last one left", also=(("SW_REASON", "MANAGE"),
                                                                      ("SW_DEC", "")),
          fits=lambda r: r.before is not None and r.before.day("SW_DEC") is not None
          and r.after is None
          and (_prev(r).day("SW_DEC") or r.end) < r.end - dt.timedelta(days=25)),
    Fault("SW10aSTG2", SW, "SW_DECOM", lambda r: _shift(_prev(r), "SW_DEC", 20),
          "a social worker from 20 days after the last one left (2025/26)",
          also=(("SW_REASON", "MANAGE"), ("SW_DEC", "")),
          fits=lambda r: r.before is not None and r.before.day("SW_DEC") is not None
          and r.after is None
          and (_prev(r).day("SW_DEC") or r.end) < r.end - dt.timedelta(days=25)),
    Fault("SW10bSTG2", SW, "SW_REASON", "FCONTA", "a first contact before the last social "
          "worker left", also=(("SW_DECOM", lambda r: str(_prev(r)["SW_DEC"])),),
          fits=lambda r: r.before is not None and r.before.day("SW_DEC") is not None
          and r.before.day("SW_DEC") != r.before.day("SW_DECOM")),
    Fault("SW11aSTG2", SW, "SW_DEC", lambda r: day(r.end - dt.timedelta(days=30)), "a social "
          "worker who left in March with no one after",
          fits=lambda r: r.after is None and r["SW_DEC"] is None
          and _sw_start(r) < r.end - dt.timedelta(days=40)),
    Fault("SW11bSTG2", SW, "SW_DEC", lambda r: day(r.end - dt.timedelta(days=2)), "a social "
          "worker who left in the last days of March with no one after",
          fits=lambda r: r.after is None and r["SW_DEC"] is None
          and _sw_start(r) < r.end - dt.timedelta(days=10)),
    Fault("SW17STG2", SW, "SW_DEC", lambda r: day(r.end - dt.timedelta(days=20)), "no social "
          "worker at 31 March",
          fits=lambda r: r.after is None and r["SW_DEC"] is None
          and _sw_start(r) < r.end - dt.timedelta(days=30)),
    Fault("SW18STG2", SW, "SW_DEC", lambda r: str(r["SW_DECOM"]), "a social worker episode "
          "ending the day it began", fits=lambda r: r.day("SW_DECOM") is not None),
    Fault("SW19STG2", SW, "SW_DECOM", lambda r: str(_prev(r)["SW_DECOM"]),
          "two social worker episodes starting the same day",
          fits=lambda r: r.before is not None and r.before.day("SW_DECOM") is not None),
)  # fmt: skip

RULE_FAULTS += TABLE_FAULTS


# --- Rules that read two tables, or this year's and last year's ------------------------------


def _free_child_of(file: str) -> Callable[[Record], str | None]:
    """The first child of ``file`` with no fault planted on it, other than the record's own:
    a record given that child's id joins the child's records in ``file``."""

    def value(r: Record) -> str | None:
        for row in r.world.rows(file):
            child = row.get("CHILD")
            if child is not None and child != r.child and r.world.free(child):
                return str(child)
        return None

    return value


def _has_free_child_of(file: str) -> Callable[[Record], bool]:
    find = _free_child_of(file)
    return lambda r: find(r) is not None


def _given_child_of(file: str) -> Callable[[Record], str]:
    def value(r: Record) -> str:
        child = _free_child_of(file)(r)
        assert child is not None
        return child

    return value


def _eps(r: Record) -> list[dict[str, str | None]]:
    return r.of_child(EPISODES)


def _adopted(r: Record) -> dict[str, str | None] | None:
    """The child's episode that ended in an adoption, if any."""
    return next((e for e in _eps(r) if e["REC"] in ("E11", "E12")), None)


def _placed_for_adoption(r: Record) -> list[dict[str, str | None]]:
    return [e for e in _eps(r) if e["PLACE"] in ("A3", "A4", "A5", "A6")]


def _day_of(e: dict[str, str | None] | None, field: str, days: int = 0) -> str:
    """``e``'s date ``field`` moved by ``days``."""
    value = parse_day(None if e is None else e[field])
    assert value is not None
    return day(value + dt.timedelta(days=days))


def _first_where(
    r: Record, test: Callable[[dict[str, str | None]], bool]
) -> dict[str, str | None] | None:
    return next((e for e in _eps(r) if test(e)), None)


def _latest_start(r: Record) -> dict[str, str | None] | None:
    """The child's latest episode that started a period of care (RNE S)."""
    starts = [e for e in _eps(r) if e["RNE"] == "S"]
    return starts[-1] if starts else None


def _turns(r: Record, column: str, *ages: int) -> bool:
    """The record's ``column`` DOB has a birthday of one of ``ages`` in the year."""
    dob = r.day(column)
    return dob is not None and any(r.start <= add_years(dob, a) <= r.end for a in ages)


def _age_end(r: Record, column: str = "DOB") -> float:
    dob = r.day(column)
    return 0.0 if dob is None else (r.end - dob).days / 365.25


def _aged_17_or_18(r: Record) -> bool:
    dob = r.day("DOB")
    return dob is not None and add_years(dob, 17) <= r.end < add_years(dob, 19)


def _birthday_17_or_18(r: Record) -> dt.date:
    dob = r.day("DOB")
    assert dob is not None
    eighteen = add_years(dob, 18)
    return eighteen if eighteen <= r.end else add_years(dob, 17)


def _last_year_uasc(r: Record) -> dict[str, str | None] | None:
    rows = r.last_year(UASC)
    return rows[0] if rows else None


def _departed(r: Record) -> str | None:
    """A child in last year's Header, not this year's, and not UASC last year."""
    last = r.world.previous
    if last is None:
        return None
    uasc = {row["CHILD"] for row in last.rows(UASC)}
    for row in last.rows(HEADER):
        child = row["CHILD"]
        if child not in uasc and not r.world.of_child(HEADER, child) and r.world.free(child):
            return str(child)
    return None


def _oc3_items(r: Record) -> bool:
    return any(r[c] is not None for c in ("IN_TOUCH", "ACTIV", "ACCOM"))


def _oc2_ages(r: Record, low: int, high: int) -> bool:
    dob = r.day("DOB")
    return dob is not None and add_years(dob, low) <= r.start and add_years(dob, high) >= r.end


_NOT_CLA = ((EPISODES, "LS", "V4"),)  # every episode a short break: not looked after 12 months
_DATE_PLACED = ((PLACED, "DATE_PLACED_CEASED", lambda p: _shift(p, "DATE_PLACED", 30)),
                (PLACED, "REASON_PLACED_CEASED", "RD1"))  # fmt: skip


JOINED: tuple[Fault, ...] = (
    # OC3: care leavers against their episodes and the Header.
    Fault("1007", OC3, "IN_TOUCH", "YES", "care leaver data for a 17-year-old still looked "
          "after on the birthday", elsewhere=((EPISODES, "DEC", ""), (EPISODES, "REC", "")),
          fits=lambda r: _aged_17_or_18(r) and _oc3_items(r)
          and any((parse_day(e["DECOM"]) or r.end) <= _birthday_17_or_18(r) for e in _eps(r))),
    Fault("1016", OC3, "IN_TOUCH", "YES", "care leaver data for a 17-year-old who left care "
          "after the birthday", elsewhere=((EPISODES, "DEC", lambda e: day(e.end)),),
          fits=lambda r: _aged_17_or_18(r) and _oc3_items(r) and bool(_eps(r))),
    Fault("1001", OC3, "IN_TOUCH", "YES", "care leaver data for a child adopted at the end of "
          "care", elsewhere=((EPISODES, "REC", "E11"),), previous=True,
          fits=lambda r: bool(_eps(r)) and _age_end(r) < 19.9 and _oc3_items(r)),
    Fault("165", OC3, "IN_TOUCH", "YES", "care leaver data of a child whose MOTHER is not a "
          "code", elsewhere=((HEADER, "MOTHER", "X"),), fits=lambda r: bool(r.header)),
    Fault("347", OC3, "ACCOM", "T", "a care leaver under 18 in a foyer",
          fits=lambda r: r.day("DOB") is not None
          and add_years(r.day("DOB") or r.start, 18) > r.start),
    Fault("391", OC3, "DOB", lambda r: day(add_years(r.end, -15)), "care leaver data for a "
          "child of 15", fits=_oc3_items),
    Fault("3001", OC3, "ACCOM", "Z2", "a care leaver turning 17 with former foster carers",
          elsewhere=((HEADER, "DOB", lambda h: day(add_years(h.start + dt.timedelta(days=60),
                                                              -17))),)),
    Fault("1000", OC3, "IN_TOUCH", "YES", "care leaver data for a child who died in care",
          elsewhere=((EPISODES, "REC", "E2"),), fits=lambda r: bool(_eps(r))),
    Fault("1011", OC3, "IN_TOUCH", "YES", "care leaver data for a child whose care moved to "
          "another council", elsewhere=((EPISODES, "REC", "E3"),),
          fits=lambda r: bool(_eps(r)) and _oc3_items(r)),
    Fault("1002", OC3, "CHILD", _renamed, "care leaver data for a child with no episodes this "
          "year or last", previous=True),
    Fault("1010", OC3, "IN_TOUCH", "YES", "care leaver data for a child in care at the end of "
          "last year with no episode this year",
          elsewhere=((EPISODES, "CHILD", _renamed),), previous=True,
          fits=lambda r: bool(r.last_year(EPISODES))
          and (r.last_year(EPISODES) or [{}])[-1].get("DEC") is None),
    Fault("215", OC3, "CHILD", _given_child_of(OC2), "care leaver data for a child with the "
          "12-month outcomes (OC2's)", fits=_has_free_child_of(OC2)),
    Fault("187", OC3, "CHILD", _given_child_of(OC2), "care leaver data for a child looked "
          "after for 12 months (OC2's)", fits=_has_free_child_of(OC2)),
    Fault("628", HEADER, "MOTHER", "0", "MOTHER of a care leaver not looked after in the year",
          elsewhere=((EPISODES, "CHILD", _renamed),),
          fits=lambda r: any(_oc3_items(Record(r.world, OC3, i))
                             for i in r.world.positions(OC3, r.child))),
    # OC2: the 12-month cohort.
    Fault("188", OC2, "SDQ_SCORE", "10", "an SDQ score under 4",
          fits=lambda r: _age_end(r) < 3.9),
    Fault("189", OC2, "SDQ_SCORE", "10", "an SDQ score at 17",
          fits=lambda r: r.day("DOB") is not None
          and add_years(r.day("DOB") or r.start, 17) < r.start),
    Fault("547", OC2, "HEALTH_CHECK", "1", "health promotion given, teeth check blank",
          also=(("TEETH_CHECK", ""),)),
    Fault("190", OC2, "TEETH_CHECK", "1", "12-month outcomes of a child on short breaks",
          elsewhere=_NOT_CLA),
    Fault("185", OC2, "SDQ_SCORE", "10", "an SDQ score of a child on short breaks",
          elsewhere=_NOT_CLA),
    Fault("198", OC2, "SDQ_REASON", "SDQ1", "a reason for no SDQ of a child on short breaks",
          also=(("SDQ_SCORE", ""),), elsewhere=_NOT_CLA),
    Fault("191", OC2, "IMMUNISATIONS", "", "immunisations blank for a child looked after 12 "
          "months"),
    Fault("191", EPISODES, "CHILD", lambda r: str(r.child), "a child looked after 12 months "
          "with no OC2 record", elsewhere=((OC2, "CHILD", _renamed),),
          fits=lambda r: _first(r) and bool(r.of_child(OC2))),
    Fault("544", OC2, "CONVICTED", "1", "convicted, immunisations blank",
          also=(("IMMUNISATIONS", ""),)),
    Fault("545", OC2, "HEALTH_CHECK", "", "under 5, health promotion blank",
          fits=lambda r: _age_end(r) < 4.9),
    Fault("546", OC2, "HEALTH_CHECK", "1", "5 or over, health promotion given",
          fits=lambda r: _age_end(r) > 5.1),
    Fault("543", OC2, "CONVICTED", "", "10 or over, convictions blank",
          fits=lambda r: _age_end(r) > 10.1),
    Fault("186", OC2, "SDQ_SCORE", "", "4 to 16, no SDQ score or reason",
          also=(("SDQ_REASON", ""),), fits=lambda r: _oc2_ages(r, 4, 17)),
    Fault("157", OC2, "SDQ_REASON", "SDQ1", "4 to 16, no SDQ score for reason SDQ1",
          also=(("SDQ_SCORE", ""),), fits=lambda r: _oc2_ages(r, 4, 16)),
    Fault("197B", OC2, "SDQ_SCORE", "", "turning 4 or 17, no SDQ score or reason",
          also=(("SDQ_REASON", ""),), fits=lambda r: _turns(r, "DOB", 4, 17)),
    Fault("215", OC2, "CHILD", _given_child_of(OC3), "12-month outcomes for a care leaver "
          "(OC3's)", fits=_has_free_child_of(OC3)),
    # AD1, PlacedAdoption against each other and the episodes.
    Fault("134", AD1, "CHILD", _given_child_of(OC3), "adoption data for a care leaver (OC3's)",
          fits=_has_free_child_of(OC3)),
    Fault("187", AD1, "CHILD", _given_child_of(OC2), "adoption data for a child looked after "
          "12 months (OC2's)", fits=_has_free_child_of(OC2)),
    Fault("523", PLACED, "DATE_PLACED", lambda r: _shift(r, "DATE_PLACED", -1), "a decision to "
          "place unlike the AD1 date should be placed", fits=lambda r: bool(r.of_child(AD1))
          and r.day("DATE_PLACED") is not None),
    Fault("523", AD1, "DATE_INT", lambda r: _shift(r, "DATE_INT", -1), "a date should be "
          "placed unlike the decision to place", fits=lambda r: bool(r.of_child(PLACED))
          and r.day("DATE_INT") is not None),
    Fault("525", PLACED, "DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30), "a "
          "reversed decision for a child adopted", also=(("REASON_PLACED_CEASED", "RD1"),),
          fits=lambda r: bool(r.of_child(AD1)) and r.day("DATE_PLACED") is not None),
    Fault("525", AD1, "NB_ADOPTR", lambda r: str(r["NB_ADOPTR"]), "an adoption of a child "
          "whose decision was reversed", elsewhere=_DATE_PLACED,
          fits=lambda r: any(parse_day(p["DATE_PLACED"]) for p in r.of_child(PLACED))),
    Fault("331", AD1, "DATE_MATCH", lambda r: day(r.end), "matched after the adoptive "
          "placement began", fits=lambda r: _adopted(r) is not None),
    Fault("331", EPISODES, "REC", lambda r: str(r["REC"]), "an adoptive placement that began "
          "before the match", elsewhere=((AD1, "DATE_MATCH", lambda a: day(a.end)),),
          fits=lambda r: r["REC"] in ("E11", "E12") and bool(r.of_child(AD1))),
    Fault("521", AD1, "DATE_INT", lambda r: day(r.end), "a date should be placed after the "
          "placement for adoption", fits=lambda r: bool(_placed_for_adoption(r))),
    Fault("521", EPISODES, "PLACE", lambda r: str(r["PLACE"]), "placed for adoption before "
          "the date should be placed", elsewhere=((AD1, "DATE_INT", lambda a: day(a.end)),),
          fits=lambda r: r["PLACE"] in ("A3", "A4", "A5", "A6") and bool(r.of_child(AD1))),
    Fault("582", EPISODES, "REC", lambda r: str(r["REC"]), "adopted the day of the match",
          elsewhere=((AD1, "DATE_MATCH", lambda a: _day_of(_adopted(a), "DEC")),),
          fits=lambda r: r["REC"] in ("E11", "E12") and _closed(r) and bool(r.of_child(AD1))
          and (_adopted(r) or {}).get("DEC") == r["DEC"]),
    Fault("601", EPISODES, "REC", lambda r: str(r["REC"]), "adopted in the year, an adoption "
          "item blank", elsewhere=((AD1, "NB_ADOPTR", ""),),
          fits=lambda r: r["REC"] in ("E11", "E12") and _in_year(r, "DEC")
          and bool(r.of_child(AD1))),
    Fault("602", AD1, "NB_ADOPTR", lambda r: str(r["NB_ADOPTR"]), "adoption data for a child "
          "not adopted in the year",
          elsewhere=((EPISODES, "REC", lambda e: "E13" if e["REC"] in ("E11", "E12")
                      else str(e["REC"] or "")),),
          fits=lambda r: r["NB_ADOPTR"] is not None),
    Fault("334", AD1, "DATE_INT", lambda r: _day_of(_latest_start(r), "DECOM", -1), "a date "
          "should be placed before care began", fits=lambda r: _latest_start(r) is not None),
    Fault("334", EPISODES, "RNE", "S", "care began after the date should be placed",
          elsewhere=((AD1, "DATE_INT", lambda a: _day_of(_latest_start(a), "DECOM", -1)),),
          fits=lambda r: r["RNE"] == "S" and _latest_start(r) is r.values
          and bool(r.of_child(AD1))),
    Fault("335", AD1, "FOSTER_CARE", "1", "adopted by foster carers, from an adoption placement "
          "not with them", fits=lambda r: _adopted(r) is not None
          and (_adopted(r) or {}).get("PLACE") in ("A4", "A6")),
    Fault("335", EPISODES, "PLACE", "A5", "adopted from a placement with foster carers, not by "
          "them", fits=lambda r: r["REC"] in ("E11", "E12")
          and any(a["FOSTER_CARE"] == "0" for a in r.of_child(AD1))),
    Fault("551", EPISODES, "PLACE", "A4", "placed for adoption with no decision to place",
          fits=lambda r: not r.of_child(PLACED)),
    Fault("556", EPISODES, "LS", "D1", "a freeing order before the decision to place",
          fits=lambda r: any((parse_day(p["DATE_PLACED"]) or r.start) > (r.day("DECOM")
                                                                          or r.end)
                             for p in r.of_child(PLACED))),
    Fault("552", PLACED, "DATE_PLACED", lambda r: _day_of(_placed_for_adoption(r)[0], "DECOM",
                                                          1),
          "a decision to place after the placement for adoption",
          fits=lambda r: bool(_placed_for_adoption(r))),
    Fault("552", EPISODES, "PLACE", lambda r: str(r["PLACE"]), "placed for adoption before "
          "the decision", elsewhere=((PLACED, "DATE_PLACED",
                                      lambda p: _day_of(_placed_for_adoption(p)[0], "DECOM", 1)),),
          fits=lambda r: bool(r.of_child(PLACED)) and bool(_placed_for_adoption(r))
          and _placed_for_adoption(r)[0] is r.values),
    Fault("553", EPISODES, "LS", "E1", "a placement order with no decision to place",
          fits=lambda r: not r.of_child(PLACED)),
    Fault("553", PLACED, "DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30), "a "
          "decision reversed while the placement order is open",
          also=(("REASON_PLACED_CEASED", "RD1"),),
          fits=lambda r: r.day("DATE_PLACED") is not None
          and any(e["LS"] == "E1" and e["DEC"] is None for e in _eps(r))),
    Fault("555", EPISODES, "LS", "D1", "a freeing order with no decision to place",
          fits=lambda r: not r.of_child(PLACED)),
    Fault("555", PLACED, "DATE_PLACED_CEASED", lambda r: _shift(r, "DATE_PLACED", 30), "a "
          "decision reversed while a freeing order is open",
          also=(("REASON_PLACED_CEASED", "RD1"),), elsewhere=((EPISODES, "LS", "D1"),),
          fits=lambda r: r.day("DATE_PLACED") is not None
          and any(e["DEC"] is None for e in _eps(r))),
    Fault("554", PLACED, "DATE_PLACED", lambda r: _day_of(_first_where(r, lambda e: e["LS"]
                                                                      == "E1"), "DECOM", 1),
          "a decision to place after the placement order",
          fits=lambda r: _first_where(r, lambda e: e["LS"] == "E1") is not None),
    Fault("554", EPISODES, "LS", "E1", "a placement order before the decision to place",
          elsewhere=((PLACED, "DATE_PLACED", lambda p: _day_of(
              _first_where(p, lambda e: e["LS"] == "E1"), "DECOM", 1)),),
          fits=lambda r: bool(r.of_child(PLACED))
          and _first_where(r, lambda e: e["LS"] == "E1") is r.values),
    Fault("1003", PLACED, "DATE_PLACED", lambda r: _day_of(_first_where(r, lambda e: e["RNE"]
                                                                        == "S"), "DECOM", -1),
          "a decision to place before care began",
          fits=lambda r: _first_where(r, lambda e: e["RNE"] == "S") is not None),
    Fault("1003", EPISODES, "RNE", "S", "care began after the decision to place",
          elsewhere=((PLACED, "DATE_PLACED", lambda p: _day_of(
              _first_where(p, lambda e: e["RNE"] == "S"), "DECOM", -1)),),
          fits=lambda r: bool(r.of_child(PLACED))
          and _first_where(r, lambda e: e["RNE"] == "S") is r.values),
    Fault("118", PLACED, "DATE_PLACED_CEASED", lambda r: day(r.start - dt.timedelta(days=10)),
          "a decision reversed before the year", also=(("REASON_PLACED_CEASED", "RD1"),),
          fits=lambda r: bool(_eps(r))),
    Fault("118", EPISODES, "DECOM", lambda r: str(r["DECOM"]), "care of a child whose "
          "decision to place was reversed before the year",
          elsewhere=((PLACED, "DATE_PLACED_CEASED", lambda p: day(p.start - dt.timedelta(
              days=10))), (PLACED, "REASON_PLACED_CEASED", "RD1")),
          fits=lambda r: _first(r) and r["LS"] not in ("V3", "V4") and bool(r.of_child(PLACED))),
    Fault("117", PLACED, "DATE_PLACED", lambda r: day(r.end + dt.timedelta(days=10)),
          "a decision to place after the year", fits=lambda r: bool(_eps(r))),
    Fault("117", EPISODES, "DECOM", lambda r: str(r["DECOM"]), "care of a child whose "
          "decision to place is after the year",
          elsewhere=((PLACED, "DATE_PLACED", lambda p: day(p.end + dt.timedelta(days=10))),),
          fits=lambda r: r.after is None and r["REC"] != "X1" and bool(r.of_child(PLACED))),
    Fault("557", EPISODES, "REC", "E13", "left care from a placement order, not adopted, the "
          "decision not reversed", fits=lambda r: _closed(r) and r["LS"] == "E1"
          and all(p["DATE_PLACED_CEASED"] is None for p in r.of_child(PLACED))),
    Fault("557", PLACED, "DATE_PLACED", lambda r: str(r["DATE_PLACED"]), "a decision not "
          "reversed for a child who left care not adopted",
          elsewhere=((EPISODES, "REC", "E13"), (EPISODES, "LS", "E1")),
          fits=lambda r: r["DATE_PLACED"] is not None and r["DATE_PLACED_CEASED"] is None
          and bool(_eps(r))),
    Fault("563", PLACED, "DATE_PLACED", "", "a decision reversed with no decision date",
          also=(("DATE_PLACED_CEASED", lambda r: day(r.end - dt.timedelta(days=10))),
                ("REASON_PLACED_CEASED", "RD1"))),
    Fault("579", PLACED, "CHILD", _given_child_of(PLACED), "a second decision to place while "
          "the first is open (another record's child)",
          also=(("DATE_PLACED", lambda r: day(r.end - dt.timedelta(days=1))),),
          fits=_has_free_child_of(PLACED)),
    Fault("583", PLACED, "CHILD", _given_child_of(PLACED), "an earlier decision to place not "
          "revoked (another record's child)", also=(("DATE_PLACED", "01/06/2000"),),
          fits=_has_free_child_of(PLACED)),
    Fault("559", PLACED, "DATE_PLACED", lambda r: day(r.start - dt.timedelta(days=10)), "a "
          "decision to place before the year that last year's return does not hold",
          previous=True, fits=lambda r: r.last_year(PLACED) == []),
    Fault("560", PLACED, "DATE_PLACED", lambda r: _shift(r, "DATE_PLACED", -1), "a decision to "
          "place unlike last year's", previous=True,
          fits=lambda r: r.day("DATE_PLACED") is not None
          and any(p["DATE_PLACED"] and not p["DATE_PLACED_CEASED"]
                  for p in r.last_year(PLACED) or [])),
    Fault("632", EPISODES, "DECOM", lambda r: str(r["DECOM"]), "previous permanence dated "
          "with no date", elsewhere=((PREV_PERM, "DATE_PERM", "ZZ/13/2015"),),
          fits=lambda r: _first(r) and bool(r.of_child(PREV_PERM))),
    Fault("630", EPISODES, "RNE", "S", "care began in the year, previous permanence "
          "with no option", elsewhere=((PREV_PERM, "PREV_PERM", ""),),
          fits=lambda r: r["RNE"] == "S" and _in_year(r, "DECOM") and bool(r.of_child(PREV_PERM))),
    # UASC against last year's and the Header.
    Fault("205A", HEADER, "CHILD", lambda r: str(r.child), "UASC last year, not this year, "
          "last year's date UASC ceased after last year",
          elsewhere=((UASC, "CHILD", _renamed),), previous=True,
          fits=lambda r: bool(r.of_child(UASC)) and _last_year_uasc(r) is not None
          and (parse_day((_last_year_uasc(r) or {}).get("DUC")) or r.end) > r.start),
    Fault("205B", UASC, "DUC", lambda r: day(r.start - dt.timedelta(days=1)), "UASC both "
          "years, the date UASC ceased before the year", previous=True,
          fits=lambda r: _last_year_uasc(r) is not None),
    Fault("205B", HEADER, "CHILD", lambda r: str(r.child), "UASC both years, this year's date "
          "ceased before the year",
          elsewhere=((UASC, "DUC", lambda u: day(u.start - dt.timedelta(days=1))),),
          previous=True, fits=lambda r: bool(r.of_child(UASC)) and _last_year_uasc(r) is not None),
    Fault("205D", HEADER, "CHILD", lambda r: str(_departed(r)), "UASC this year, not last "
          "year, in last year's Header (a child who left, renamed)",
          elsewhere=((UASC, "CHILD", lambda u: str(_departed(u))),), previous=True,
          fits=lambda r: bool(r.of_child(UASC)) and _departed(r) is not None),
    # The XML's UASC flag 0 with the DUC kept: only the XML form of the return can carry it
    # (``Fault.xml``; the CSV uasc file has no such column). On a child of the Header, so that
    # the XML (a <CHILD> per Header record) holds the child's UASC record.
    Fault("303", UASC, "UASC", "0", "a date UASC ceased with the XML's UASC flag 0", xml=True,
          fits=lambda r: r["DUC"] is not None and bool(r.header)),
    Fault("205C", UASC, "UASC", "0", "a date UASC ceased for a child UASC in neither year: "
          "the XML's UASC flag 0, no UASC record last year", xml=True, previous=True,
          fits=lambda r: r["DUC"] is not None and bool(r.header) and not r.last_year(UASC)),
    Fault("231", HEADER, "DOB", lambda r: day(add_years(r.end, -8)), "a UASC child of 8",
          fits=lambda r: bool(r.of_child(UASC))),
    Fault("406", EPISODES, "HOME_POST", "M1 1AA", "a distance for a UASC child",
          fits=lambda r: bool(r.of_child(UASC)) and r["PL_POST"] is not None),
    # Short breaks, reviews and the Header.
    Fault("399", EPISODES, "LS", "V3", "reviews of a child only on short breaks",
          elsewhere=((EPISODES, "LS", "V3"),), fits=lambda r: bool(r.of_child(REVIEWS))),
    Fault("399", HEADER, "MOTHER", "0", "MOTHER of a child only on short breaks",
          elsewhere=((EPISODES, "LS", "V4"),), fits=lambda r: bool(_eps(r))),
    Fault("399", REVIEWS, "REVIEW_CODE", lambda r: str(r["REVIEW_CODE"]), "a review of a child "
          "only on short breaks", elsewhere=((EPISODES, "LS", "V3"),),
          fits=lambda r: r["REVIEW"] is not None),
    # Social workers against the episodes.
    Fault("SW01STG1", EPISODES, "LS", lambda r: str(r["LS"]), "looked after at 31 March with "
          "no social worker id", elsewhere=((SW, "SW_ID", ""),),
          fits=lambda r: r["DEC"] is None and r["LS"] not in ("V3", "V4")),
    Fault("SW12STG2", EPISODES, "RNE", "S", "care began with no social worker from then",
          elsewhere=((SW, "SW_DECOM", "01/01/2000"),),
          fits=lambda r: r["RNE"] == "S" and r["DEC"] is None and r["LS"] not in ("V3", "V4")),
    # A missing period ending on the 18th birthday, the day care ended.
    Fault("580", EPISODES, "DEC", lambda r: day(add_years(r.dob or r.end, 18)),
          "care ended on the 18th birthday, missing that day, not E8",
          also=(("REC", "E4A"),),
          elsewhere=((MISSING, "MIS_END", lambda m: day(add_years(m.day("DOB") or m.end, 18))),),
          fits=lambda r: r.after is None and r.dob is not None and bool(r.of_child(MISSING))
          and (r.day("DECOM") or r.end) < add_years(r.dob, 18) <= r.end),
)  # fmt: skip

RULE_FAULTS += JOINED


def _moved_out(file: str) -> tuple[tuple[str, str, Value], ...]:
    """The child's episodes moved to before the year (none of them in it)."""
    return (
        (file, "DECOM", lambda e: day(e.start - dt.timedelta(days=100))),
        (file, "DEC", lambda e: day(e.start - dt.timedelta(days=50))),
        (file, "REC", "E4A"),
    )


LAST: tuple[Fault, ...] = (
    # Records another child's record is given to, or added.
    Fault("558", EPISODES, "REC", lambda r: str(r["REC"]), "adopted, with two decisions to "
          "place both reversed (the second another child's record, given to this child)",
          elsewhere=_DATE_PLACED, borrow=((PLACED, (("DATE_PLACED_CEASED", "01/06/2020"),
                                                    ("REASON_PLACED_CEASED", "RD1"))),),
          fits=lambda r: r["REC"] in ("E11", "E12") and bool(r.of_child(PLACED))
          and all(parse_day(p["DATE_PLACED"]) for p in r.of_child(PLACED))),
    Fault("1014", UASC, "DUC", lambda r: str(r["DUC"]), "UASC data for a care leaver whose "
          "episodes were all before the year (the OC3 record another child's, given)",
          elsewhere=_moved_out(EPISODES),
          borrow=((OC3, (("IN_TOUCH", "YES"),)),), fits=lambda r: bool(_eps(r))),
    Fault("1014", OC3, "IN_TOUCH", "YES", "care leaver data for a UASC child whose episodes "
          "were all before the year (the UASC record another child's, given)",
          elsewhere=_moved_out(EPISODES),
          borrow=((UASC, ()),), fits=lambda r: bool(_eps(r))),
    Fault("SL01", DOLO, "CHILD", _too_long, "a DoLo record (added) with a CHILD longer than 10 "
          "characters", also=(("DOLO_START", lambda h: day(h.start + dt.timedelta(days=30))),),
          adds=True),
    Fault("SL03", DOLO, "DOLO_START", "31/02/2025", "a DoLo record (added) whose start is not "
          "a date", adds=True),
)  # fmt: skip

RULE_FAULTS += LAST


# --- Against what last year's return holds only where a fault was planted in it ------------
# Last year's return, as ``plant`` is given it, is the one written, with its own faults: a
# mother (611, 620...), a care leaver who died (344), a reversed decision to place (116,
# 119...), a missing period left open (575, 577). These faults contradict such a record of
# the same child this year, and are planted only where last year's return has one.


def _last(r: Record, file: str) -> dict[str, str | None]:
    rows = r.last_year(file) or []
    return rows[0] if rows else {}


def _died_last_year(r: Record) -> str | None:
    """A care leaver reported last year as having died, with no OC3 record this year."""
    last = r.world.previous
    if last is None:
        return None
    for row in last.rows(OC3):
        child = row["CHILD"]
        if row["IN_TOUCH"] == "DIED" and not r.world.of_child(OC3, child) and r.world.free(child):
            return str(child)
    return None


def _reversed_last_year(r: Record) -> bool:
    last = _last(r, PLACED)
    return parse_day(last.get("DATE_PLACED")) is not None and (
        last.get("DATE_PLACED_CEASED") is not None or last.get("REASON_PLACED_CEASED") is not None
    )


def _open_last_year_missing(r: Record) -> bool:
    """The child's first missing period this year, with one left open last year that it
    does not continue."""
    open_ = [m for m in r.last_year(MISSING) or [] if m["MIS_END"] is None]
    return bool(open_) and r.before is None and r.day("MIS_START") is not None


PLANTED_LAST_YEAR: tuple[Fault, ...] = (
    Fault("207", HEADER, "MOTHER", "", "MOTHER blank for a child who was a mother last year",
          previous=True,
          fits=lambda r: _last(r, HEADER).get("MOTHER") == "1" and bool(_eps(r))),
    Fault("624", HEADER, "MC_DOB", lambda r: _other(_last(r, HEADER).get("MC_DOB"),
                                                    ("01/01/2019", "02/01/2019")),
          "a mother's child's DOB unlike last year's", previous=True,
          fits=lambda r: _last(r, HEADER).get("MC_DOB") is not None),
    Fault("348", OC3, "CHILD", lambda r: str(_died_last_year(r)), "a care leaver reported "
          "last year as having died, in touch this year (the record given that child's id)",
          also=(("IN_TOUCH", "YES"),), previous=True,
          fits=lambda r: _died_last_year(r) is not None),
    Fault("561", PLACED, "DATE_PLACED", lambda r: str(_last(r, PLACED)["DATE_PLACED"]),
          "the decision to place that last year's return reversed", previous=True,
          fits=_reversed_last_year),
    Fault("584", PLACED, "DATE_PLACED",
          lambda r: _date_plus(parse_day(_last(r, PLACED).get("DATE_PLACED")), -1),
          "a decision to place before the one last year's return reversed", previous=True,
          fits=_reversed_last_year),
    Fault("576", MISSING, "MIS_START", lambda r: _shift(r, "MIS_START", 1), "the first "
          "missing period of the year not the one left open last year", previous=True,
          also=(("MIS_END", ""),), fits=_open_last_year_missing),
)  # fmt: skip

RULE_FAULTS += PLANTED_LAST_YEAR
