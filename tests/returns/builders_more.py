"""Valid rows of the other nine SSDA903 tables for a return built by ``builders.build``.

Every return made here passes every rule of those tables Sightline implements, so a test that
breaks one value expects exactly the rule for it. All synthetic.
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from xml.etree import ElementTree as ET

from sightline.returns.schema import (
    AD1,
    COLUMNS,
    DOLO,
    FILE_NAMES,
    MORE_TABLES,
    OC2,
    OC3,
    PLACED_ADOPTION,
    PREV_PERM,
    REVIEWS,
    SW_EPISODES,
    UASC,
    XML_RECORD_TABLES,
)
from tests.returns import builders
from tests.returns.builders import Row, d

More = dict[str, list[Row]]


def _date(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%d/%m/%Y").date()


def build_more(rows: builders.ReturnRows, *, year: int) -> More:
    """The nine tables for the children of ``rows``: a review each, a social worker each,
    previous permanence for those who started care in the year, OC2 for each child looked
    after for the whole year, and one child in each of UASC (one of those), AD1 and
    PlacedAdoption (another) and OC3 (a third, not looked after all year). The OC3
    child's date of birth is changed in ``rows`` (Header and Missing) so that they turn 17 in
    the year, as a care leaver does."""
    start, end = dt.date(year - 1, 4, 1), dt.date(year, 3, 31)
    more: More = {table: [] for table in MORE_TABLES}
    first: dict[str, Row] = {}
    for episode in rows.episodes:
        first.setdefault(episode["CHILD"], episode)
    # Children with an episode in the return (an export holds only those). The child of UASC
    # and OC2 is looked after continuously for 12 months, the care leaver of OC3 is not.
    # A child in the Header with no episode (and no care leaver data) is EPI: left out.
    rows.header[:] = [h for h in rows.header if h["CHILD"] in first]
    listed = list(rows.header)
    continuous = _continuously_looked_after(rows, start, end)
    # The UASC child is 11 or over at 31 March (231).
    one = next(
        (h for h in listed if h["CHILD"] in continuous and _birthday(_date(h["DOB"]), 11) <= end),
        next((h for h in listed if h["CHILD"] in continuous), listed[0]),
    )
    last: dict[str, Row] = {e["CHILD"]: e for e in rows.episodes}
    # AD1 and OC3 children left care in the year, before its last day: the AD1 child was
    # adopted then (602, and not looked after all year: 187), the care leaver turns 17 the
    # day after (1007, 1016: not looked after on or after the birthday).
    left = [
        h for h in listed
        if h is not one and h["CHILD"] not in continuous and last[h["CHILD"]]["DEC"]
        and start <= _date(last[h["CHILD"]]["DEC"]) < end
    ]  # fmt: skip
    # The care leaver first, then the adopted child (under 18: 386); a small return may
    # have one child leaving care in the year: the adopted child's care then ends.
    three = next(iter(left), None) or next(
        h for h in listed if h is not one and h["CHILD"] not in continuous
    )
    two = next(
        (
            h
            for h in left
            if h is not three and _birthday(_date(h["DOB"]), 18) > _date(last[h["CHILD"]]["DEC"])
        ),
        None,
    ) or _leave_care(rows, [h for h in listed if h is not one and h is not three], start, end)
    # The care leaver of OC3 turns 17 in the year (rule 391), the day after care ended;
    # Header and Missing are changed together.
    ended = last[three["CHILD"]]["DEC"]
    turns = _date(ended) + dt.timedelta(days=1) if ended else start + dt.timedelta(days=30)
    seventeen = d(turns.replace(year=turns.year - 17))
    # The UASC child's distance is not returned (406): no home postcode.
    for episode in rows.episodes:
        if episode["CHILD"] == one["CHILD"]:
            episode["HOME_POST"] = ""
    three["DOB"] = seventeen
    for missing in rows.missing:
        if missing["CHILD"] == three["CHILD"]:
            missing["DOB"] = seventeen
    for n, header in enumerate(rows.header):
        child, dob = header["CHILD"], _date(header["DOB"])
        episode = first.get(child)
        if episode is None:
            continue
        decom = _date(episode["DECOM"])
        review = max(decom, start) + dt.timedelta(days=20)
        if review <= end:
            under_4 = review < dob.replace(year=dob.year + 4)
            more[REVIEWS].append(
                {"CHILD": child, "DOB": header["DOB"], "REVIEW": d(review),
                 "REVIEW_CODE": "PN0" if under_4 else "PN1"}
            )  # fmt: skip
        more[SW_EPISODES].append(
            {"CHILD": child, "DOB": header["DOB"], "SW_ID": f"SW{5000 + n}",
             "SW_DECOM": d(decom), "SW_DEC": "", "SW_REASON": "FCONTA"}
        )  # fmt: skip
        if episode["RNE"] == "S" and decom >= start:
            more[PREV_PERM].append(
                {"CHILD": child, "DOB": header["DOB"], "PREV_PERM": "Z1", "LA_PERM": "",
                 "DATE_PERM": ""}
            )  # fmt: skip
    more[UASC].append({"CHILD": one["CHILD"], "SEX": one["SEX"], "DOB": one["DOB"], "DUC": ""})
    # The decision to adopt comes after the period of care started (rule 334).
    decided = max(start, _date(first[two["CHILD"]]["DECOM"])) + dt.timedelta(days=10)
    adoption = last[two["CHILD"]]
    if adoption["DEC"] and start <= _date(adoption["DEC"]) < end:
        # Adopted (E11) from a placement for adoption (A4: not with the foster carers, as
        # FOSTER_CARE 0 says) that began after the decision and the match (521, 331, 552);
        # matched before the adoption day (582).
        decided = min(decided, _date(adoption["DECOM"]))
        # A placement for adoption has a URN, XXXXXXX for an adoption agency's (218, 242).
        adoption.update(PLACE="A4", REC="E11", REASON_PLACE_CHANGE="", PLACE_PROVIDER="PR4",
                        URN=adoption["URN"] or "XXXXXXX")  # fmt: skip
    more[AD1].append(
        {"CHILD": two["CHILD"], "DOB": two["DOB"], "DATE_INT": d(decided),
         "DATE_MATCH": d(_match(decided, adoption)), "FOSTER_CARE": "0", "NB_ADOPTR": "2",
         "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11"}
    )  # fmt: skip
    more[PLACED_ADOPTION].append(
        {"CHILD": two["CHILD"], "DOB": two["DOB"], "DATE_PLACED": d(decided),
         "DATE_PLACED_CEASED": "", "REASON_PLACED_CEASED": ""}
    )  # fmt: skip
    # OC2 for every child looked after continuously for 12 months (rule 191), ``one`` first;
    # health promotion only under 5 (545, 546), conviction information from 10 (542, 543).
    for header in [h for h in listed if h["CHILD"] in continuous or h is one]:
        born = _date(header["DOB"])
        under_5 = _birthday(born, 5) > end
        convicted = "0" if _birthday(born, 10) < end else ""
        more[OC2].append(
            {"CHILD": header["CHILD"], "DOB": header["DOB"], "SDQ_SCORE": "12",
             "SDQ_REASON": "", "CONVICTED": convicted, "HEALTH_CHECK": "1" if under_5 else "",
             "IMMUNISATIONS": "1", "TEETH_CHECK": "1", "HEALTH_ASSESSMENT": "1",
             "SUBSTANCE_MISUSE": "0", "INTERVENTION_RECEIVED": "", "INTERVENTION_OFFERED": ""}
        )  # fmt: skip
    more[OC3].append(
        {"CHILD": three["CHILD"], "DOB": three["DOB"], "IN_TOUCH": "YES", "ACTIV": "F2",
         "ACCOM": "S2"}
    )  # fmt: skip
    return more


def _leave_care(
    rows: builders.ReturnRows, children: list[Row], start: dt.date, end: dt.date
) -> Row:
    """The first of ``children`` whose last episode is open and can end in the year, under
    18, a month after it began, after their missing periods: ended there (the caller says
    why), and so no longer looked after at 31 March."""
    for header in children:
        child = header["CHILD"]
        own = [e for e in rows.episodes if e["CHILD"] == child]
        episode = own[-1]
        if episode["DEC"]:
            continue
        periods = [m for m in rows.missing if m["CHILD"] == child]
        after = [_date(episode["DECOM"]) + dt.timedelta(days=30), start + dt.timedelta(days=1)]
        after += [_date(m["MIS_END"]) + dt.timedelta(days=1) for m in periods if m["MIS_END"]]
        ends = max(after)
        open_period = any(not m["MIS_END"] for m in periods)
        if ends >= end or open_period or _birthday(_date(header["DOB"]), 18) <= ends:
            continue
        episode.update(DEC=d(ends), REC="E4A", REASON_PLACE_CHANGE="")
        return header
    raise AssertionError("no child whose care can end in the year")


def _match(decided: dt.date, adoption: Row) -> dt.date:
    """Matched 30 days after the decision, or on the adoption placement's first day when
    the child was adopted in the year (matched on or before it: 331)."""
    if adoption["REC"] == "E11":
        return decided
    return decided + dt.timedelta(days=30)


def _birthday(born: dt.date, years: int) -> dt.date:
    """The ``years``th birthday (28 February for a child born on 29 February, as the rules
    count)."""
    day = 28 if (born.month, born.day) == (2, 29) else born.day
    return born.replace(year=born.year + years, day=day)


def _continuously_looked_after(rows: builders.ReturnRows, start: dt.date, end: dt.date) -> set[str]:
    """The children looked after for the whole year (the DfE's definition): in care at some
    time in it, and no period of care starting in it, none ending (but X1, a new episode) in
    it, no short breaks (V3, V4) in it."""
    inside: set[str] = set()
    broken: set[str] = set()
    for e in rows.episodes:
        decom = _date(e["DECOM"])
        dec = _date(e["DEC"]) if e["DEC"] else None
        during = decom <= end and (dec is None or dec >= start)
        if during:
            inside.add(e["CHILD"])
        if (
            (e["RNE"] == "S" and start < decom <= end)
            or (dec is not None and e["REC"] != "X1" and start <= dec < end)
            or (e["LS"] in ("V3", "V4") and during)
        ):
            broken.add(e["CHILD"])
    return inside - broken


def write_csv(rows: builders.ReturnRows, more: More, folder: Path) -> Path:
    """The three tables (``builders.write_csv``) and the nine, each in its usual file."""
    builders.write_csv(rows, folder)
    for table in MORE_TABLES:
        with (folder / FILE_NAMES[table]).open("w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
            writer.writeheader()
            writer.writerows(more[table])
    return folder


def write_xml(rows: builders.ReturnRows, more: More, path: Path) -> Path:
    """``builders.write_xml`` with the seven tables the XML holds (not SWEpisodes or DoLo)."""
    builders.write_xml(rows, path)
    tree = ET.parse(path)
    by_child = {c.findtext("HEADER/CHILDID"): c.find("HEADER") for c in tree.getroot()}
    for table in (UASC, AD1, OC3):
        for row in more[table]:
            header = by_child[row["CHILD"]]
            if table == UASC:
                ET.SubElement(header, "UASC").text = "1"
            for column in COLUMNS[table]:
                if column not in ("CHILD", "SEX", "DOB"):
                    ET.SubElement(header, column).text = row[column] or None
    for tag, table in XML_RECORD_TABLES.items():
        for row in more[table]:
            element = ET.SubElement(by_child[row["CHILD"]], tag)
            for column in COLUMNS[table]:
                if column not in ("CHILD", "DOB"):
                    ET.SubElement(element, column).text = row[column] or None
    ET.indent(tree.getroot())
    tree.write(path, encoding="UTF-8", xml_declaration=True)
    return path


__all__ = ["DOLO", "More", "build_more", "write_csv", "write_xml"]
