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
    listed = [h for h in rows.header if h["CHILD"] in first]
    continuous = _continuously_looked_after(rows, start, end)
    one = next((h for h in listed if h["CHILD"] in continuous), listed[0])
    three = next(h for h in listed if h is not one and h["CHILD"] not in continuous)
    two = next(h for h in listed if h is not one and h is not three)
    # The care leaver of OC3 turns 17 in the year (rule 391): older, so none of the age rules
    # of the episodes the builder made changes; Header and Missing are changed together.
    seventeen = d(start.replace(year=start.year - 17) + dt.timedelta(days=30))
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
    more[AD1].append(
        {"CHILD": two["CHILD"], "DOB": two["DOB"], "DATE_INT": d(decided),
         "DATE_MATCH": d(decided + dt.timedelta(days=30)), "FOSTER_CARE": "0", "NB_ADOPTR": "2",
         "SEX_ADOPTR": "MF", "LS_ADOPTR": "L11"}
    )  # fmt: skip
    more[PLACED_ADOPTION].append(
        {"CHILD": two["CHILD"], "DOB": two["DOB"], "DATE_PLACED": d(decided),
         "DATE_PLACED_CEASED": "", "REASON_PLACED_CEASED": ""}
    )  # fmt: skip
    # OC2 for every child looked after continuously for 12 months (rule 191), ``one`` first;
    # health promotion only under 5 (545, 546), conviction information from 10 (542, 543).
    for header in [one] + [h for h in listed if h["CHILD"] in continuous and h is not one]:
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
