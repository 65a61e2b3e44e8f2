"""The DfE's rules of the AD1 (adoption) and PlacedAdoption (decisions to place for adoption)
tables."""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.rules_common import (
    Found,
    bad_date,
    differs_from_header,
    flagged,
    more_than_once,
    not_in,
    not_in_header,
    table_rule,
    where,
)
from sightline.returns.schema import (
    AD1,
    FOSTER_CARE_CODES,
    LS_ADOPTR_CODES,
    NB_ADOPTR_CODES,
    PLACED_ADOPTION,
    REASON_PLACED_CEASED_CODES,
    SEX_ADOPTR_CODES,
)

_AD1_FIELDS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")


def _sex_adoptr_not(codes: list[str]) -> pl.Expr:
    # A blank SEX_ADOPTR is "not one of the codes" too, as the peer reads it.
    return ~pl.col("SEX_ADOPTR").is_in(codes).fill_null(False)


# --- AD1 ------------------------------------------------------------------------------------


@table_rule("112", AD1, ("DATE_INT",), "Date should be placed for adoption is not a valid date.")
def _112(f: Frames) -> Found:
    return flagged(f.table(AD1), bad_date("DATE_INT"))


@table_rule("113", AD1, ("DATE_MATCH",), "Date matching child and adopter(s) is not a valid date.")
def _113(f: Frames) -> Found:
    return flagged(f.table(AD1), bad_date("DATE_MATCH"))


@table_rule(
    "114",
    AD1,
    ("FOSTER_CARE",),
    "Data entry to record the status of former carer(s) of an adopted child is invalid.",
)
def _114(f: Frames) -> Found:
    return flagged(f.table(AD1), not_in("FOSTER_CARE", FOSTER_CARE_CODES))


@table_rule("175", AD1, ("NB_ADOPTR",), "The number of adopter(s) code is not a valid code.")
def _175(f: Frames) -> Found:
    return flagged(f.table(AD1), not_in("NB_ADOPTR", NB_ADOPTR_CODES))


@table_rule(
    "176",
    AD1,
    ("SEX_ADOPTR",),
    "The gender of adopter(s) at the date of adoption code is not a valid code.",
)
def _176(f: Frames) -> Found:
    return flagged(f.table(AD1), not_in("SEX_ADOPTR", SEX_ADOPTR_CODES))


@table_rule("177", AD1, ("LS_ADOPTR",), "The legal status of adopter(s) code is not a valid code.")
def _177(f: Frames) -> Found:
    return flagged(f.table(AD1), not_in("LS_ADOPTR", LS_ADOPTR_CODES))


@table_rule(
    "151",
    AD1,
    _AD1_FIELDS,
    "All data items relating to a childs adoption must be coded or left blank.",
)
def _151(f: Frames) -> Found:
    given = [pl.col(c).is_not_null() for c in _AD1_FIELDS]
    return flagged(f.table(AD1), pl.any_horizontal(given) & ~pl.all_horizontal(given))


@table_rule(
    "333",
    AD1,
    ("DATE_INT",),
    "Date should be placed for adoption must be on or prior to the date of matching child "
    "with adopter(s).",
)
def _333(f: Frames) -> Found:
    match = pl.col("DATE_MATCH").is_not_null()
    return flagged(
        f.table(AD1),
        match & (pl.col("DATE_INT").is_null() | (pl.col("DATE_INT_D") > pl.col("DATE_MATCH_D"))),
    )


@table_rule(
    "511",
    AD1,
    ("NB_ADOPTR", "SEX_ADOPTR"),
    "If reporting that the number of person(s) adopting the looked after child is two "
    "adopters then the code should only be MM, FF or MF. MM = the adopting couple are both "
    "males; FF = the adopting couple are both females; MF = The adopting couple are male and "
    "female.",
)
def _511(f: Frames) -> Found:
    return flagged(
        f.table(AD1), (pl.col("NB_ADOPTR") == "2") & pl.col("SEX_ADOPTR").is_in(["M1", "F1"])
    )


@table_rule(
    "514",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "Data entry on the legal status of adopters shows a single adopter but data entry for the "
    "numbers of adopters shows it as a couple.",
)
def _514(f: Frames) -> Found:
    return flagged(f.table(AD1), (pl.col("LS_ADOPTR") == "L0") & _sex_adoptr_not(["M1", "F1"]))


@table_rule(
    "517",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "If reporting legal status of adopters is L3 then the genders of adopters should be coded "
    "as MF. MF = the adopting couple are male and female.",
)
def _517(f: Frames) -> Found:
    return flagged(f.table(AD1), (pl.col("LS_ADOPTR") == "L3") & _sex_adoptr_not(["MF"]))


@table_rule(
    "518",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "If reporting legal status of adopters is L4 then the genders of adopters should be coded "
    "as MM or FF. MM = the adopting couple are both males. FF = the adopting couple are both "
    "females.",
)
def _518(f: Frames) -> Found:
    return flagged(f.table(AD1), (pl.col("LS_ADOPTR") == "L4") & _sex_adoptr_not(["MM", "FF"]))


@table_rule(
    "519",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "Data entered on the legal status of adopters shows civil partnership couple, but data "
    "entered on genders of adopters does not show it as a couple.",
)
def _519(f: Frames) -> Found:
    return flagged(
        f.table(AD1), (pl.col("LS_ADOPTR") == "L2") & _sex_adoptr_not(["MM", "FF", "MF"])
    )


@table_rule(
    "520",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "Data entry on the legal status of adopters shows different gender married couple but "
    "data entry on genders of adopters shows it as a same gender couple.",
)
def _520(f: Frames) -> Found:
    return flagged(f.table(AD1), (pl.col("LS_ADOPTR") == "L11") & _sex_adoptr_not(["MF"]))


@table_rule(
    "524",
    AD1,
    ("LS_ADOPTR", "SEX_ADOPTR"),
    "If reporting legal status of adopters is L12 then the genders of adopters should be "
    "coded as MM or FF. MM = the adopting couple are both males. FF = the adopting couple are "
    "both females",
)
def _524(f: Frames) -> Found:
    return flagged(f.table(AD1), (pl.col("LS_ADOPTR") == "L12") & _sex_adoptr_not(["MM", "FF"]))


@table_rule(
    "INT01", AD1, ("CHILD",), "Data Integrity Check: Child in AD1 does not exist in Header."
)
def _int01(f: Frames) -> pl.DataFrame:
    return not_in_header(f, AD1)


@table_rule("INT11", AD1, ("DOB",), "Internal Check: DOB in AD1 is different to DOB in Header.")
def _int11(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, AD1, "DOB")


@table_rule("INT31", AD1, ("CHILD",), "Internal Check: Child should only exist once in AD1.")
def _int31(f: Frames) -> pl.DataFrame:
    return more_than_once(f, AD1)


# --- PlacedAdoption -------------------------------------------------------------------------


@table_rule(
    "115",
    PLACED_ADOPTION,
    ("DATE_PLACED",),
    "Date of Local Authority's (LA) decision that a child should be placed for adoption is "
    "not a valid date.",
)
def _115(f: Frames) -> Found:
    return flagged(f.table(PLACED_ADOPTION), bad_date("DATE_PLACED"))


@table_rule(
    "116",
    PLACED_ADOPTION,
    ("DATE_PLACED_CEASED",),
    "Date of Local Authority's (LA) decision that a child should no longer be placed for "
    "adoption is not a valid date.",
)
def _116(f: Frames) -> Found:
    return flagged(f.table(PLACED_ADOPTION), bad_date("DATE_PLACED_CEASED"))


@table_rule(
    "119",
    PLACED_ADOPTION,
    ("REASON_PLACED_CEASED", "DATE_PLACED_CEASED"),
    "If the decision is made that a child should no longer be placed for adoption, then the "
    "date of this decision and the reason why this decision was made must be completed.",
)
def _119(f: Frames) -> Found:
    date = pl.col("DATE_PLACED_CEASED").is_null()
    reason = pl.col("REASON_PLACED_CEASED").is_null()
    return flagged(f.table(PLACED_ADOPTION), date != reason)


@table_rule(
    "120",
    PLACED_ADOPTION,
    ("REASON_PLACED_CEASED",),
    "The reason for the reversal of the decision that the child should be placed for "
    "adoption code is not valid.",
)
def _120(f: Frames) -> Found:
    return flagged(
        f.table(PLACED_ADOPTION), not_in("REASON_PLACED_CEASED", REASON_PLACED_CEASED_CODES)
    )


@table_rule(
    "522",
    PLACED_ADOPTION,
    ("DATE_PLACED", "DATE_PLACED_CEASED"),
    "Date of decision that the child should be placed for adoption must be on or before the "
    "date that a child should no longer be placed for adoption.",
)
def _522(f: Frames) -> Found:
    return flagged(
        f.table(PLACED_ADOPTION), pl.col("DATE_PLACED_CEASED_D") < pl.col("DATE_PLACED_D")
    )


@table_rule(
    "184",
    PLACED_ADOPTION,
    ("DATE_PLACED", "DOB"),
    "Date of decision that a child should be placed for adoption is before the child was born.",
)
def _184(f: Frames) -> pl.DataFrame:
    # Against the Header's date of birth, as the peer reads it.
    header = (
        f.header.filter(pl.col("CHILD").is_not_null())
        .unique("CHILD", keep="first")
        .select("CHILD", pl.col("DOB_D").alias("_header_dob"))
    )
    frame = f.table(PLACED_ADOPTION).join(header, on="CHILD", how="left")
    return where(frame, pl.col("DATE_PLACED_D") < pl.col("_header_dob"))


@table_rule(
    "INT02",
    PLACED_ADOPTION,
    ("CHILD",),
    "Internal Check: Child in PlacedAdoption does not exist in Header.",
)
def _int02(f: Frames) -> pl.DataFrame:
    return not_in_header(f, PLACED_ADOPTION)


@table_rule(
    "INT12",
    PLACED_ADOPTION,
    ("DOB",),
    "Internal Check: DOB in PlacedAdoption is different to DOB in Header.",
)
def _int12(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, PLACED_ADOPTION, "DOB")
