"""Synthetic, valid SSDA903 returns for the tests, as rows that a test can break on purpose.

The postcodes are real (ONS Postcode Directory, November 2025) so that PL_LA, PL_LOCATION and
PL_DISTANCE derive; the people are not. Every return built here passes every rule Sightline
implements: a test that breaks one thing expects exactly the rule for that thing.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from sightline.returns.schema import COLUMNS, EPISODES, HEADER, MISSING, XML_EPISODE_ORDER

# Real postcodes by the council they lie in (ONS code).
POSTCODES = {
    "E08000007": ["SK4 2AB", "SK2 6DT", "SK1 3XE", "SK7 1AA", "SK8 1AA"],  # Stockport
    "E08000003": ["M1 1AE"],  # Manchester
    "E08000004": ["OL1 1UT"],  # Oldham
    "E08000009": ["WA14 1AA"],  # Trafford
    "E06000063": ["CA1 1RR"],  # Cumberland (recoded 2023)
    "E06000064": ["LA9 4DL"],  # Westmorland and Furness
    "E06000065": ["HG1 2RH"],  # North Yorkshire
    "E06000066": ["TA1 1HE"],  # Somerset
    "E08000016": ["S70 2TA"],  # Barnsley (district recoded E08000038 in 2025)
    "E08000019": ["S1 2HH"],  # Sheffield (district recoded E08000039 in 2025)
    "E09000033": ["SW1A 1AA"],  # Westminster
}
ALL_POSTCODES = [p for codes in POSTCODES.values() for p in codes]
ETHNIC = ["WBRI", "WOTH", "MWBC", "ABAN", "BAFR", "CHNE", "OOTH"]
# (PLACE, PLACE_PROVIDER, needs URN)
PLACES = [
    ("U4", "PR1", True),
    ("U6", "PR1", True),
    ("U6", "PR4", True),
    ("K2", "PR4", True),
    ("K2", "PR5", True),
    ("R1", "PR3", False),
]

Row = dict[str, str]


def d(day: dt.date | None) -> str:
    return "" if day is None else day.strftime("%d/%m/%Y")


@dataclass
class ReturnRows:
    header: list[Row] = field(default_factory=list)
    episodes: list[Row] = field(default_factory=list)
    missing: list[Row] = field(default_factory=list)

    def table(self, name: str) -> list[Row]:
        return {HEADER: self.header, EPISODES: self.episodes, MISSING: self.missing}[name]


def build(
    *,
    children: int = 12,
    year: int = 2025,
    home: str = "E08000007",
    seed: int = 1,
    urn_start: int = 1,
    ref_prefix: str = "",
) -> ReturnRows:
    """A valid return of ``children`` children of the council ``home`` (its ONS code): every
    episode open at some time in the year, as in a return."""
    rng = random.Random(seed)
    start = dt.date(year - 1, 4, 1)
    end = dt.date(year, 3, 31)
    rows = ReturnRows()
    urn = urn_start
    homes = POSTCODES[home]
    for n in range(children):
        child = f"{ref_prefix}{1000 + n}"
        # Under 18 at the end of the year and the next (rule 359).
        dob = dt.date(2006, 4, 1) + dt.timedelta(days=rng.randrange(0, 365 * 12))
        dob = max(dob, dt.date(year - 17, 4, 1))  # and the year after
        sex = rng.choice(["M", "F"]) if year >= 2025 else rng.choice(["1", "2"])
        rows.header.append(
            {
                "CHILD": child,
                "SEX": sex,
                "DOB": d(dob),
                "ETHNIC": rng.choice(ETHNIC),
                # The shape of a UPN (a letter and 12 digits), made up: no real pupil's.
                "UPN": f"Z{seed % 1000:03d}{urn_start % 1000:03d}{n:06d}",
                "MOTHER": "0" if sex in ("F", "2") else "",
                "MC_DOB": "",
            }
        )
        # The period of care starts in the year or before it (but after birth).
        first = max(
            dob + dt.timedelta(days=30), start - dt.timedelta(days=rng.randrange(-200, 400))
        )
        if first > end - dt.timedelta(days=60):
            first = end - dt.timedelta(days=60)
        count = rng.randint(1, 3)
        decom = first
        home_post = rng.choice(homes)
        spans: list[tuple[dt.date, dt.date | None]] = []
        for e in range(count):
            last = e == count - 1
            length = rng.randint(20, 90)
            dec: dt.date | None = decom + dt.timedelta(days=length)
            assert dec is not None
            if dec > end or (last and rng.random() < 0.5):
                dec = None
                last = True
            place, provider, needs_urn = rng.choice(PLACES)
            postcode = rng.choice([p for p in ALL_POSTCODES if p != home_post])
            if provider == "PR1":
                postcode = rng.choice([p for p in homes if p != home_post] or [home_post])
                if postcode == home_post:
                    place, provider, needs_urn = "U6", "PR4", True
                    postcode = rng.choice([p for p in ALL_POSTCODES if p != home_post])
            rows.episodes.append(
                {
                    "CHILD": child,
                    "DECOM": d(decom),
                    "RNE": "S" if e == 0 else "P",
                    "LS": "C2",
                    "CIN": "N1",
                    "PLACE": place,
                    "PLACE_PROVIDER": provider,
                    "DEC": d(dec),
                    "REC": "" if dec is None else ("E4A" if last else "X1"),
                    "REASON_PLACE_CHANGE": "CARPL" if dec is not None and not last else "",
                    "HOME_POST": home_post,
                    "PL_POST": postcode,
                    "URN": f"SC{urn:06d}" if needs_urn else "",
                }
            )
            if needs_urn:
                urn += 1
            if dec is not None and dec < start:
                rows.episodes.pop()  # ended before the year: not in this year's return
            spans.append((decom, dec))
            if dec is None or last:
                break
            decom = dec
        # Missing periods inside the episodes, in the year, not overlapping.
        if rng.random() < 0.5:
            for decom_e, dec_e in spans:
                lo = max(decom_e, start)
                hi = min(dec_e or end, end)
                if (hi - lo).days < 6:
                    continue
                mis_start = lo + dt.timedelta(days=rng.randrange(0, (hi - lo).days - 4))
                still_open = dec_e is None and rng.random() < 0.2
                mis_end = None if still_open else mis_start + dt.timedelta(days=rng.randint(0, 2))
                rows.missing.append(
                    {
                        "CHILD": child,
                        "DOB": d(dob),
                        "MISSING": rng.choice(["M", "A"]),
                        "MIS_START": d(mis_start),
                        "MIS_END": d(mis_end),
                    }
                )
                if still_open:
                    break
        if not rows.episodes or rows.episodes[-1]["CHILD"] != child:
            # Every episode ended before the year: the child is not in this year's return
            # (a Header row alone is EPI).
            rows.header.pop()
    return rows


def from_csv(*, header: str, episodes: str, missing: str = "") -> ReturnRows:
    """Rows from CSV text, for tests that spell a return out."""

    def parse(text: str) -> list[Row]:
        return list(csv.DictReader(text.strip().splitlines())) if text.strip() else []

    return ReturnRows(header=parse(header), episodes=parse(episodes), missing=parse(missing))


def write_csv(
    rows: ReturnRows,
    folder: Path,
    *,
    encoding: str = "utf-8",
    names: dict[str, str] | None = None,
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    names = names or {HEADER: "header.csv", EPISODES: "episodes.csv", MISSING: "missing.csv"}
    for table, name in names.items():
        with (folder / name).open("w", encoding=encoding, newline="") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS[table], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows.table(table))
    return folder


def write_xml(rows: ReturnRows, path: Path) -> Path:
    root = ET.Element("EXPSSDA903")
    for header in rows.header:
        child = ET.SubElement(root, "CHILD")
        h = ET.SubElement(child, "HEADER")
        for column in ("CHILD", "UPN", "SEX", "DOB", "ETHNIC"):
            ET.SubElement(h, "CHILDID" if column == "CHILD" else column).text = header[column]
        for m in rows.missing:
            if m["CHILD"] == header["CHILD"]:
                a = ET.SubElement(h, "AMISSING")
                for column in ("MISSING", "MIS_START", "MIS_END"):
                    ET.SubElement(a, column).text = m[column] or None
        for column in ("MOTHER", "MC_DOB"):
            ET.SubElement(h, column).text = header[column] or None
        for e in rows.episodes:
            if e["CHILD"] == header["CHILD"]:
                ep = ET.SubElement(child, "EPISODE")
                for column in XML_EPISODE_ORDER:
                    ET.SubElement(ep, "PL" if column == "PLACE" else column).text = (
                        e[column] or None
                    )
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path
