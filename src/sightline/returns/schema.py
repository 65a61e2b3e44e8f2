"""The SSDA903 tables Sightline reads and writes, and the DfE code lists its rules check.

Column lists are the CSV form of the return, as the DfE's SSDA903 guidance for the 2025/26
collection gives them (docs/data-standards.md).
Code lists are those of the 2025/26 collection unless a year is named.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

HEADER = "Header"
EPISODES = "Episodes"
MISSING = "Missing"

#: The tables Sightline validates, imports and exports, with their CSV columns in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    HEADER: ("CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"),
    EPISODES: (
        "CHILD",
        "DECOM",
        "RNE",
        "LS",
        "CIN",
        "PLACE",
        "PLACE_PROVIDER",
        "DEC",
        "REC",
        "REASON_PLACE_CHANGE",
        "HOME_POST",
        "PL_POST",
        "URN",
    ),
    MISSING: ("CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"),
}

#: Other tables of the return: recognised by their columns, then left alone.
OTHER_TABLES: dict[str, tuple[str, ...]] = {
    "Reviews": ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    "UASC": ("CHILD", "SEX", "DOB", "DUC"),
    "OC2": (
        "CHILD",
        "DOB",
        "SDQ_SCORE",
        "SDQ_REASON",
        "CONVICTED",
        "HEALTH_CHECK",
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "OC3": ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    "AD1": (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    "PlacedAdoption": ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    "PrevPerm": ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    "SWEpisodes": ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    "DoLo": ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}

#: The usual file name of each table, as the synthetic generator and ``returns export`` write.
FILE_NAMES = {HEADER: "header.csv", EPISODES: "episodes.csv", MISSING: "missing.csv"}

#: Date columns (dd/mm/YYYY) of each table.
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    HEADER: ("DOB", "MC_DOB"),
    EPISODES: ("DECOM", "DEC"),
    MISSING: ("DOB", "MIS_START", "MIS_END"),
}

#: XML tags that differ from the CSV column names.
XML_TAG_TO_COLUMN = {"CHILDID": "CHILD", "PL": "PLACE"}
COLUMN_TO_XML_TAG = {column: tag for tag, column in XML_TAG_TO_COLUMN.items()}
#: The XML order of an episode's elements (Expanded SSDA903 XSD).
XML_EPISODE_ORDER = (
    "DECOM",
    "RNE",
    "LS",
    "CIN",
    "PLACE",
    "PL_POST",
    "HOME_POST",
    "URN",
    "PLACE_PROVIDER",
    "DEC",
    "REC",
    "REASON_PLACE_CHANGE",
)

# --- Code lists -----------------------------------------------------------------------------

SEX_CODES = frozenset({"M", "F", "U"})  # 2024/25 onwards
SEX_CODES_BEFORE_2025 = frozenset({"1", "2"})
ETHNIC_CODES = frozenset(
    {
        "WBRI",
        "WIRI",
        "WOTH",
        "WIRT",
        "WROM",
        "MWBC",
        "MWBA",
        "MWAS",
        "MOTH",
        "AIND",
        "APKN",
        "ABAN",
        "AOTH",
        "BCRB",
        "BAFR",
        "BOTH",
        "CHNE",
        "OOTH",
        "REFU",
        "NOBT",
    }
)
RNE_CODES = frozenset({"S", "L", "P", "T", "B", "U"})
LS_CODES = frozenset({"C1", "C2", "D1", "E1", "V2", "V3", "V4", "L1", "L2", "L3", "J1", "J2", "J3"})
CIN_CODES = frozenset({"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"})
PLACE_CODES_2026 = frozenset(
    {
        "A3",
        "A4",
        "A5",
        "A6",
        "K1",
        "K2",
        "K3",
        "P1",
        "P3",
        "R1",
        "R2",
        "R3",
        "R5",
        "S1",
        "T0",
        "T1",
        "T2",
        "T3",
        "T4",
        "U1",
        "U2",
        "U3",
        "U4",
        "U5",
        "U6",
        "Z11",
        "Z12",
        "Z13",
        "Z14",
    }
)
# Returns for years up to 2024/25 may still hold H5, Z1 and P2 (P2 ended on 28 October 2023,
# H5 and Z1 with the 2025/26 collection). Sightline checks every year against the 2025/26 list
# and, for those earlier years, accepts the three old codes as well: see docs/returns.md.
PLACE_CODES_BEFORE_2026 = PLACE_CODES_2026 | {"H5", "Z1", "P2"}
PROVIDER_CODES = frozenset({"PR0", "PR1", "PR2", "PR3", "PR4", "PR5"})
REC_CODES = frozenset(
    {
        "X1",
        "E11",
        "E12",
        "E2",
        "E3",
        "E4A",
        "E4B",
        "E13",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "E14",
        "E15",
        "E16",
        "E17",
    }
)
REASON_PLACE_CHANGE_CODES = frozenset(
    {
        "CARPL",
        "CLOSE",
        "ALLEG",
        "STAND",
        "APPRR",
        "CREQB",
        "CREQO",
        "CHILD",
        "LAREQ",
        "PLACE",
        "CUSTOD",
        "OTHER",
    }
)
MISSING_CODES = frozenset({"M", "A"})
TEMPORARY_PLACES = frozenset({"T0", "T1", "T2", "T3", "T4"})
SHORT_BREAK_LS = frozenset({"V3", "V4"})
# Rule 178: no provider for these; rule 213 adds T4.
NO_PROVIDER_PLACES = frozenset({"T0", "T1", "T2", "T3", "Z1", "Z11", "Z12", "Z13", "Z14"})
NO_PROVIDER_PLACES_213 = NO_PROVIDER_PLACES | {"T4"}
# Rules 218 and 222: no URN for these placement types.
NO_URN_PLACES = frozenset(
    {"P1", "P3", "R1", "R2", "R5", "Z1", "Z11", "Z12", "Z13", "Z14"} | TEMPORARY_PLACES
)
OUTSIDE_ENGLAND_LA = frozenset({"SCO", "WAL", "NIR", "NUK", "CON"})
PLACEMENT_CHANGE_RNE = frozenset({"P", "B", "T", "U"})


@dataclass(frozen=True)
class CollectionYear:
    """A collection year by its end: 2025 is 1 April 2024 to 31 March 2025."""

    year: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.year - 1, 4, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.year, 3, 31)

    @property
    def label(self) -> str:
        return f"{self.year - 1}/{str(self.year)[2:]}"

    @property
    def place_codes(self) -> frozenset[str]:
        return PLACE_CODES_2026 if self.year >= 2026 else PLACE_CODES_BEFORE_2026

    @property
    def sex_codes(self) -> frozenset[str]:
        return SEX_CODES if self.year >= 2025 else SEX_CODES_BEFORE_2025
