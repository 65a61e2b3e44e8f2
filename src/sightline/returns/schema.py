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
UASC = "UASC"
REVIEWS = "Reviews"
AD1 = "AD1"
PLACED_ADOPTION = "PlacedAdoption"
PREV_PERM = "PrevPerm"
OC2 = "OC2"
OC3 = "OC3"
SW_EPISODES = "SWEpisodes"
DOLO = "DoLo"

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
    # The other nine tables (ADR "The other nine SSDA903 tables"): the columns are the same
    # in 2023/24, 2024/25 and 2025/26; SWEpisodes is collected from 2023/24 and DoLo from
    # 2026/27 (read in any year, its rules follow the year).
    UASC: ("CHILD", "SEX", "DOB", "DUC"),
    REVIEWS: ("CHILD", "DOB", "REVIEW", "REVIEW_CODE"),
    AD1: (
        "CHILD",
        "DOB",
        "DATE_INT",
        "DATE_MATCH",
        "FOSTER_CARE",
        "NB_ADOPTR",
        "SEX_ADOPTR",
        "LS_ADOPTR",
    ),
    PLACED_ADOPTION: ("CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
    PREV_PERM: ("CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"),
    OC2: (
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
    OC3: ("CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"),
    SW_EPISODES: ("CHILD", "DOB", "SW_ID", "SW_DECOM", "SW_DEC", "SW_REASON"),
    DOLO: ("CHILD", "DOB", "DOLO_START", "DOLO_END"),
}

#: Columns a table's frames carry beyond its CSV columns (``COLUMNS``), after them: the XML
#: ``<UASC>`` flag of the child's header (1 the child is UASC, 0 not), kept on the child's
#: UASC record for rule 303 and the rules that ask whether the child is UASC
#: (``derive.uasc_status``). It is null when the return is CSV: the DfE's uasc file has no
#: such column (a child in it is UASC). Never written to a CSV file, and not imported (a
#: record whose flag is not 1 carries a DUC that rule 303 refuses, so no imported record has
#: one).
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {UASC: ("UASC",)}


def frame_columns(table: str) -> tuple[str, ...]:
    """The columns of a table's frames as read: its CSV columns, then ``EXTRA_COLUMNS``."""
    return COLUMNS[table] + EXTRA_COLUMNS.get(table, ())


#: The nine tables beside Header, Episodes and Missing, in the order above.
MORE_TABLES: tuple[str, ...] = (
    UASC,
    REVIEWS,
    AD1,
    PLACED_ADOPTION,
    PREV_PERM,
    OC2,
    OC3,
    SW_EPISODES,
    DOLO,
)

#: The usual file name of each table, as the synthetic generator and ``returns export`` write.
FILE_NAMES = {
    HEADER: "header.csv",
    EPISODES: "episodes.csv",
    MISSING: "missing.csv",
    UASC: "uasc.csv",
    REVIEWS: "reviews.csv",
    AD1: "ad1.csv",
    PLACED_ADOPTION: "placed_adoption.csv",
    PREV_PERM: "prev_perm.csv",
    OC2: "oc2.csv",
    OC3: "oc3.csv",
    SW_EPISODES: "sw_episodes.csv",
    DOLO: "dolo.csv",
}

#: Date columns (dd/mm/YYYY) of each table.
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    HEADER: ("DOB", "MC_DOB"),
    EPISODES: ("DECOM", "DEC"),
    MISSING: ("DOB", "MIS_START", "MIS_END"),
    UASC: ("DOB", "DUC"),
    REVIEWS: ("DOB", "REVIEW"),
    AD1: ("DOB", "DATE_INT", "DATE_MATCH"),
    PLACED_ADOPTION: ("DOB", "DATE_PLACED", "DATE_PLACED_CEASED"),
    # DATE_PERM may hide an unknown part as ZZ (ZZ/ZZ/2014): parsed where it is a whole date.
    PREV_PERM: ("DOB", "DATE_PERM"),
    OC2: ("DOB",),
    OC3: ("DOB",),
    SW_EPISODES: ("DOB", "SW_DECOM", "SW_DEC"),
    DOLO: ("DOB", "DOLO_START", "DOLO_END"),
}

#: The longest value Sightline's import tables hold for each text column of the nine tables
#: (dates are held as dates). Rule SL02 reports a longer value, so that a return that
#: validates imports.
MORE_TEXT_LENGTHS: dict[str, dict[str, int]] = {
    UASC: {"SEX": 1},
    REVIEWS: {"REVIEW_CODE": 3},
    AD1: {"FOSTER_CARE": 1, "NB_ADOPTR": 1, "SEX_ADOPTR": 2, "LS_ADOPTR": 3},
    PLACED_ADOPTION: {"REASON_PLACED_CEASED": 3},
    PREV_PERM: {"PREV_PERM": 2, "LA_PERM": 3, "DATE_PERM": 10},
    OC2: {
        "SDQ_SCORE": 2,
        "SDQ_REASON": 4,
        "CONVICTED": 1,
        "HEALTH_CHECK": 1,
        "IMMUNISATIONS": 1,
        "TEETH_CHECK": 1,
        "HEALTH_ASSESSMENT": 1,
        "SUBSTANCE_MISUSE": 1,
        "INTERVENTION_RECEIVED": 1,
        "INTERVENTION_OFFERED": 1,
    },
    OC3: {"IN_TOUCH": 4, "ACTIV": 2, "ACCOM": 2},
    SW_EPISODES: {"SW_ID": 20, "SW_REASON": 6},
    DOLO: {},
}

#: XML: where each of the nine tables sits in a <CHILD> (SSDA903.md §1.5). UASC, AD1 and
#: OC3 are elements of the <HEADER> itself (one record at most per child); the others are
#: records inside it. SWEpisodes and DoLo have no published XML form: CSV only.
XML_HEADER_TABLES: dict[str, str] = {UASC: "DUC", AD1: "DATE_INT", OC3: "IN_TOUCH"}
XML_RECORD_TABLES: dict[str, str] = {
    "AREVIEW": REVIEWS,
    "PERMANENCE": PREV_PERM,
    "OC2": OC2,
    "AD_PLACED": PLACED_ADOPTION,
}
CSV_ONLY_TABLES = frozenset({SW_EPISODES, DOLO})

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
# The nine tables' code lists (peer validator csc-validator-be-903 0.1.17).
REVIEW_CODES = frozenset({"PN0", "PN1", "PN2", "PN3", "PN4", "PN5", "PN6", "PN7"})
FOSTER_CARE_CODES = frozenset({"0", "1"})
NB_ADOPTR_CODES = frozenset({"1", "2"})
SEX_ADOPTR_CODES = frozenset({"M1", "F1", "MM", "FF", "MF"})
LS_ADOPTR_CODES = frozenset({"L0", "L11", "L12", "L2", "L3", "L4"})
REASON_PLACED_CEASED_CODES = frozenset({"RD1", "RD2", "RD3", "RD4"})
PREV_PERM_CODES = frozenset({"P1", "P2", "P3", "P4", "Z1"})
SDQ_REASON_CODES = frozenset({"SDQ1", "SDQ2", "SDQ3", "SDQ4", "SDQ5"})
OC2_FLAGS = (
    "CONVICTED",
    "HEALTH_CHECK",
    "IMMUNISATIONS",
    "TEETH_CHECK",
    "HEALTH_ASSESSMENT",
    "SUBSTANCE_MISUSE",
    "INTERVENTION_RECEIVED",
    "INTERVENTION_OFFERED",
)
IN_TOUCH_CODES = frozenset({"YES", "NO", "DIED", "REFU", "NREQ", "RHOM"})
ACTIV_CODES = frozenset({"F1", "P1", "F2", "P2", "F4", "P4", "F5", "P5", "G4", "G5", "G6", "0"})
ACCOM_CODES = frozenset(
    {
        *(f"{letter}{n}" for letter in "BCDEGHKRTUVWYZ" for n in "12"),
        "S2",
        "X2",
        "0",
    }
)
SW_REASON_CODES = frozenset(
    {
        "MANAGE",
        "FCONTA",
        "LEFTRL",
        "ORGRST",
        "TSPROC",
        "ABSENC",
        "CHCHAN",
        "PCCHAN",
        "SWDIED",
        "OTHERS",
    }
)
# The DfE three-digit codes the peer's rule 633 accepts for LA_PERM, and places outside England.
_LA_PERM_TEXT = """
800 889 822 301 304 303 330 825 837 302 846 370 350 890 867 380 305 801 351 873 823 381
909 202 908 331 306 841 830 831 878 371 835 332 840 307 308 811 881 845 390 876 850 311
204 884 312 205 313 805 919 310 309 420 921 206 207 886 810 382 314 208 856 383 855 209
925 341 201 821 352 806 887 826 315 929 812 391 926 892 813 891 392 316 815 353 931 879
836 851 874 807 354 317 870 318 372 857 333 935 343 342 893 356 355 871 394 334 933 882
936 861 852 319 860 808 393 866 210 357 894 358 211 937 869 320 359 865 384 335 336 212
868 872 885 344 877 213 938 816 999
"""
LA_PERM_CODES = frozenset(_LA_PERM_TEXT.split()) | {"WAL", "SCO", "NUK", "NIR"}
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
