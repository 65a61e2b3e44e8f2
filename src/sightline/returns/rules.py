"""The DfE's validation rules for the Header, Episodes and Missing tables (2025/26 collection).

Each rule is a pure function from the prepared, read-only frames (``derive.Frames``) to the
positions (``_i``) of the records of one table that fail it. Rules share nothing but their
input, so they can run in any order, or in parallel, with the same result. Codes and messages
are the DfE's, as the peer validator ``csc-validator-be-903`` gives them; where Sightline reads
a rule differently from the peer, ``docs/returns.md`` says how and why.

Rules whose code starts ``SL`` are Sightline's own: checks the import cannot do without
(a CHILD id on every record) that the DfE leaves to its XML schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.schema import (
    CIN_CODES,
    EPISODES,
    ETHNIC_CODES,
    HEADER,
    LS_CODES,
    MISSING,
    MISSING_CODES,
    NO_PROVIDER_PLACES,
    NO_PROVIDER_PLACES_213,
    NO_URN_PLACES,
    OUTSIDE_ENGLAND_LA,
    PLACEMENT_CHANGE_RNE,
    PROVIDER_CODES,
    REASON_PLACE_CHANGE_CODES,
    REC_CODES,
    RNE_CODES,
    SHORT_BREAK_LS,
    TEMPORARY_PLACES,
)

ERROR = "error"
WARNING = "warning"

RuleFunc = Callable[[Frames], pl.DataFrame]


@dataclass(frozen=True)
class Rule:
    code: str
    table: str
    fields: tuple[str, ...]
    message: str
    func: RuleFunc
    severity: str = ERROR


RULES: list[Rule] = []


def rule(
    code: str, table: str, fields: tuple[str, ...], message: str, severity: str = ERROR
) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        RULES.append(Rule(code, table, fields, message, func, severity))
        return func

    return register


def _where(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    return frame.filter(condition.fill_null(False)).select("_i")


def _invalid_code(column: str, codes: frozenset[str]) -> pl.Expr:
    return pl.col(column).is_not_null() & ~pl.col(column).is_in(sorted(codes))


def _bad_date(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & pl.col(f"{column}_D").is_null()


def _years_after(date: pl.Expr, years: int) -> pl.Expr:
    return date.dt.offset_by(f"{years}y")


def _lit_date(value: dt.date) -> pl.Expr:
    return pl.lit(value, dtype=pl.Date)


def _with_header_dob(frames: Frames, frame: pl.DataFrame) -> pl.DataFrame:
    dob = (
        frames.header.select("CHILD", pl.col("DOB_D").alias("HDR_DOB"))
        .filter(pl.col("CHILD").is_not_null())
        .unique("CHILD", keep="first")
    )
    return frame.join(dob, on="CHILD", how="left")


def _periods_of_care(frames: Frames) -> pl.DataFrame:
    """Each child's periods of care: runs of episodes each starting the day the last ended."""
    eps = frames.episodes.select("CHILD", "DECOM_D", "DEC_D", "REC", "_first", "PREV_DEC_D")
    eps = eps.filter(pl.col("CHILD").is_not_null() & pl.col("DECOM_D").is_not_null())
    new_period = (
        pl.col("_first")
        | pl.col("PREV_DEC_D").is_null()
        | (pl.col("DECOM_D") > pl.col("PREV_DEC_D"))
    )
    # Sorted by child, and each child's first episode starts a period: one running count.
    eps = eps.with_columns(_period=new_period.cast(pl.Int32).cum_sum())
    return eps.group_by("CHILD", "_period").agg(
        poc_start=pl.col("DECOM_D").min(),
        poc_end=pl.when(pl.col("DEC_D").is_null().any())
        .then(None)
        .otherwise(pl.col("DEC_D").max()),
        poc_rec=pl.col("REC").last(),
    )


# --- Header ---------------------------------------------------------------------------------


@rule("SL01", HEADER, ("CHILD",), "The CHILD id is blank or longer than 10 characters.")
def _sl01_header(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule("101", HEADER, ("SEX",), "The child or young person’s reported sex is not valid.")
def _101(f: Frames) -> pl.DataFrame:
    codes = sorted(f.context.year.sex_codes)
    return _where(f.header, pl.col("SEX").is_null() | ~pl.col("SEX").is_in(codes))


@rule("102", HEADER, ("DOB",), "Date of birth is not a valid date.")
def _102(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("DOB_D").is_null())


@rule("103", HEADER, ("ETHNIC",), "The ethnicity code is either not valid or has not been entered.")
def _103(f: Frames) -> pl.DataFrame:
    return _where(
        f.header, pl.col("ETHNIC").is_null() | ~pl.col("ETHNIC").is_in(sorted(ETHNIC_CODES))
    )


@rule("171", HEADER, ("MC_DOB",), "Date of birth of mother's child is not a valid date.")
def _171(f: Frames) -> pl.DataFrame:
    return _where(f.header, _bad_date("MC_DOB"))


@rule(
    "174",
    HEADER,
    ("SEX", "MC_DOB"),
    "Mother's child date of birth is recorded but sex shows that the child is a male.",
)
def _174(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("MC_DOB").is_not_null() & pl.col("SEX").is_in(["M", "1"]))


@rule(
    "232",
    HEADER,
    ("SEX",),
    "Sex of the child/young person has been reported as unknown.",
    severity=WARNING,
)
def _232(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("SEX") == "U")


@rule("301", HEADER, ("DOB",), "Date of birth falls after the year ended.")
def _301(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("DOB_D") > _lit_date(f.context.year.end))


@rule("351", HEADER, ("DOB",), "Child was over 25 at the start of the current collection year.")
def _351(f: Frames) -> pl.DataFrame:
    return _where(f.header, _years_after(pl.col("DOB_D"), 25) < _lit_date(f.context.year.start))


@rule("INT32", HEADER, ("CHILD",), "Internal Check: Child should only exist once in Header.")
def _int32(f: Frames) -> pl.DataFrame:
    return _where(f.header, pl.col("CHILD").is_not_null() & pl.col("CHILD").is_duplicated())


# --- Episodes: codes and dates --------------------------------------------------------------


@rule("SL01", EPISODES, ("CHILD",), "The CHILD id is blank or longer than 10 characters.")
def _sl01_episodes(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule("141", EPISODES, ("DECOM",), "Date episode began is not a valid date.")
def _141(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DECOM_D").is_null())


@rule("147", EPISODES, ("DEC",), "Date episode ceased is not a valid date.")
def _147(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _bad_date("DEC"))


@rule("143", EPISODES, ("RNE",), "The reason for new episode code is not a valid code.")
def _143(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("RNE", RNE_CODES))


@rule("144", EPISODES, ("LS",), "The legal status code is not a valid code.")
def _144(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("LS", LS_CODES))


@rule("145", EPISODES, ("CIN",), "Category of need code is not a valid code.")
def _145(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("CIN", CIN_CODES))


@rule("146", EPISODES, ("PLACE",), "Placement type code is not a valid code.")
def _146(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("PLACE", f.context.year.place_codes))


@rule(
    "148",
    EPISODES,
    ("DEC", "REC"),
    "Date episode ceased and reason episode ceased must both be coded, or both left blank.",
)
def _148(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DEC").is_null() != pl.col("REC").is_null())


@rule("149", EPISODES, ("REC",), "Reason episode ceased code is not valid.")
def _149(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("REC", REC_CODES))


@rule(
    "1009", EPISODES, ("REASON_PLACE_CHANGE",), "Reason for placement change is not a valid code."
)
def _1009(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, _invalid_code("REASON_PLACE_CHANGE", REASON_PLACE_CHANGE_CODES))


@rule("178", EPISODES, ("PLACE_PROVIDER",), "Placement provider code is not a valid code.")
def _178(f: Frames) -> pl.DataFrame:
    provider = pl.col("PLACE_PROVIDER")
    bad = ~provider.is_in(sorted(PROVIDER_CODES)) | pl.col("PLACE").is_in(
        sorted(NO_PROVIDER_PLACES)
    )
    return _where(f.episodes, provider.is_not_null() & bad)


@rule("213", EPISODES, ("PLACE_PROVIDER",), "Placement provider information not required.")
def _213(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        pl.col("PLACE").is_in(sorted(NO_PROVIDER_PLACES_213))
        & pl.col("PLACE_PROVIDER").is_not_null(),
    )


@rule("218", EPISODES, ("URN",), "Ofsted Unique reference number (URN) is required.")
def _218(f: Frames) -> pl.DataFrame:
    open_in_year = pl.col("DEC").is_null() | (pl.col("DEC_D") >= _lit_date(f.context.year.start))
    return _where(
        f.episodes,
        pl.col("URN").is_null()
        & pl.col("PLACE").is_not_null()
        & ~pl.col("PLACE").is_in(sorted(NO_URN_PLACES))
        & ~pl.col("PL_LA").is_in(sorted(OUTSIDE_ENGLAND_LA)).fill_null(False)
        & open_in_year,
    )


@rule(
    "222",
    EPISODES,
    ("URN",),
    "Ofsted Unique reference number (URN) should not be recorded for this placement type.",
)
def _222(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        pl.col("PLACE").is_in(sorted(NO_URN_PLACES))
        & pl.col("URN").is_not_null()
        & (pl.col("URN") != "XXXXXXX"),
    )


@rule("353", EPISODES, ("DECOM",), "No episode submitted can start before 14 October 1991.")
def _353(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DECOM_D") < _lit_date(dt.date(1991, 10, 14)))


@rule(
    "354",
    EPISODES,
    ("DECOM",),
    "Date episode ceased must be on or before the end of the current collection year.",
)
def _354(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DECOM_D") > _lit_date(f.context.year.end))


@rule(
    "385",
    EPISODES,
    ("DEC",),
    "Date episode ceased must be on or before the end of the current collection year.",
)
def _385(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DEC_D") > _lit_date(f.context.year.end))


@rule(
    "356",
    EPISODES,
    ("DECOM",),
    "The date the episode ceased is before the date the same episode started.",
)
def _356(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DEC_D") < pl.col("DECOM_D"))


@rule("302", EPISODES, ("DECOM", "DOB"), "First episode starts before child was born.")
def _302(f: Frames) -> pl.DataFrame:
    # Only the columns it reads: filtering the whole frame would copy all of them.
    first = f.episodes.select("_i", "CHILD", "DECOM_D", "_first").filter(pl.col("_first"))
    return _where(_with_header_dob(f, first), pl.col("HDR_DOB") > pl.col("DECOM_D"))


@rule("INT03", EPISODES, ("CHILD",), "Internal Check: Child in Episodes does not exist in Header.")
def _int03(f: Frames) -> pl.DataFrame:
    eps = f.episodes.filter(pl.col("_has_child"))
    return eps.join(f.header.select("CHILD"), on="CHILD", how="anti").select("_i")


# --- Episodes: order, overlap and continuity ------------------------------------------------


@rule(
    "142",
    EPISODES,
    ("DEC", "REC"),
    "A new episode has started, but the previous episode has not ended.",
)
def _142(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        ~pl.col("_last")
        & pl.col("_has_child")
        & pl.col("DECOM_D").is_not_null()
        & (pl.col("DEC").is_null() | pl.col("REC").is_null()),
    )


@rule(
    "501",
    EPISODES,
    ("DECOM", "DEC"),
    "A new episode has started before the end date of the previous episode.",
)
def _501(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("_has_child") & (pl.col("DECOM_D") < pl.col("PREV_DEC_D")))


@rule(
    "388",
    EPISODES,
    ("REC",),
    "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
)
def _388(f: Frames) -> pl.DataFrame:
    following = pl.col("NEXT_DECOM_D")
    x1 = pl.col("REC") == "X1"
    has_dec = pl.col("DEC_D").is_not_null()
    gap = ~pl.col("_last") & x1 & has_dec & following.is_not_null() & (pl.col("DEC_D") != following)
    no_next = pl.col("_last") & x1 & has_dec
    closes = (
        ~pl.col("_last")
        & ~x1
        & pl.col("REC").is_not_null()
        & has_dec
        & (pl.col("DEC_D") == following)
    )
    return _where(f.episodes, pl.col("_has_child") & (gap | no_next | closes))


@rule(
    "431",
    EPISODES,
    ("RNE", "DECOM"),
    "The reason for new episode is started to be looked after, but the previous episode ended "
    "on the same day.",
)
def _431(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        ~pl.col("_first") & (pl.col("RNE") == "S") & (pl.col("DECOM_D") <= pl.col("PREV_DEC_D")),
    )


@rule(
    "433",
    EPISODES,
    ("RNE", "DECOM"),
    "The reason for new episode suggests that this is a continuation episode, but the episode "
    "does not start on the same day as the last episode finished.",
)
def _433(f: Frames) -> pl.DataFrame:
    continuation = pl.col("RNE").is_in(["P", "L", "T", "U", "B"])
    mismatch = (
        pl.col("PREV_DEC_D").is_null()
        | pl.col("DECOM_D").is_null()
        | (pl.col("PREV_DEC_D") != pl.col("DECOM_D"))
    )
    return _where(f.episodes, pl.col("_has_child") & ~pl.col("_first") & continuation & mismatch)


@rule(
    "357",
    EPISODES,
    ("RNE",),
    "If this is the first episode ever for this child, reason for new episode must be S.  Check "
    "whether there is an episode immediately preceding this one, which has been left out.  If "
    "not the reason for new episode code must be amended to S.",
)
def _357(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        pl.col("_first")
        & pl.col("_has_child")
        & (pl.col("DECOM_D") >= _lit_date(f.context.year.start))
        & (pl.col("RNE") != "S"),
    )


@rule("225", EPISODES, ("REASON_PLACE_CHANGE",), "Reason for placement change must be recorded.")
def _225(f: Frames) -> pl.DataFrame:
    temporary = sorted(TEMPORARY_PLACES)
    return _where(
        f.episodes,
        ~pl.col("_last")
        & (pl.col("REC") == "X1")
        & pl.col("REASON_PLACE_CHANGE").is_null()
        & ~pl.col("PLACE").is_in(temporary)
        & pl.col("NEXT_RNE").is_in(sorted(PLACEMENT_CHANGE_RNE))
        & ~pl.col("NEXT_PLACE").is_in(temporary),
    )


@rule(
    "226",
    EPISODES,
    ("REASON_PLACE_CHANGE", "PLACE"),
    "Reason for placement change is not required for temporary placements.",
)
def _226(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        pl.col("PLACE").is_in(sorted(TEMPORARY_PLACES))
        & (
            pl.col("REASON_PLACE_CHANGE").is_not_null()
            | (~pl.col("_first") & pl.col("PREV_REASON_PLACE_CHANGE").is_not_null())
        ),
    )


@rule(
    "233",
    EPISODES,
    ("REASON_PLACE_CHANGE",),
    "Reason for placement change is not required when the episode has not ceased.",
)
def _233(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, pl.col("DEC").is_null() & pl.col("REASON_PLACE_CHANGE").is_not_null())


@rule(
    "234",
    EPISODES,
    ("REASON_PLACE_CHANGE", "DOB"),
    "A child aged under 10 can not change placement due to being admitted to custody",
)
def _234(f: Frames) -> pl.DataFrame:
    eps = _with_header_dob(f, f.episodes.filter(pl.col("REASON_PLACE_CHANGE") == "CUSTOD"))
    return _where(eps, _years_after(pl.col("HDR_DOB"), 10) > pl.col("DEC_D"))


# --- Episodes: postcodes and the derived PL_LA, PL_LOCATION, PL_DISTANCE --------------------


@rule("392c", EPISODES, ("HOME_POST", "PL_POST"), "Postcode(s) provided are invalid.")
def _392c(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        (pl.col("HOME_POST").is_not_null() & ~pl.col("HOME_FOUND"))
        | (pl.col("PL_POST").is_not_null() & ~pl.col("PL_FOUND")),
    )


@rule(
    "392b",
    EPISODES,
    ("HOME_POST", "PL_POST"),
    "Child is looked after but no postcodes are recorded. [NOTE: This check may result in false "
    "positives for children formerly UASC, particularly if current & prior year UASC data not "
    "loaded]",
)
def _392b(f: Frames) -> pl.DataFrame:
    # Sightline does not read the UASC table, so, like the peer without it, it cannot leave
    # out (formerly) unaccompanied asylum-seeking children, who may have no home postcode.
    return _where(
        f.episodes,
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False)
        & (pl.col("HOME_POST").is_null() | pl.col("PL_POST").is_null()),
    )


@rule(
    "392d",
    EPISODES,
    ("HOME_POST", "PL_POST", "PLACE"),
    "Home and placement postcodes should not be same unless the placement type is P1.",
)
def _392d(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        (pl.col("PLACE") != "P1") & (pl.col("HOME_POST") == pl.col("PL_POST")),
    )


@rule(
    "169",
    EPISODES,
    ("PL_LA",),
    "Local Authority (LA) of placement is not valid or is missing. Please check a valid "
    "postcode has been entered.",
)
def _169(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False) & pl.col("PL_LA").is_null(),
    )


@rule("179", EPISODES, ("PL_LOCATION",), "Placement location code is not a valid code.")
def _179(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False)
        & pl.col("PL_LOCATION").is_null(),
    )


@rule("411", EPISODES, ("PL_LOCATION",), "Placement location code disagrees with LA of placement.")
def _411(f: Frames) -> pl.DataFrame:
    return _where(
        f.episodes,
        (pl.col("PL_LOCATION") == "IN") & ~pl.col("PL_LA").is_in(f.context.area),
    )


@rule(
    "164",
    EPISODES,
    ("PL_DISTANCE",),
    "Distance is not valid. Please check a valid postcode has been entered.",
)
def _164(f: Frames) -> pl.DataFrame:
    return _where(f.episodes, (pl.col("PL_DISTANCE") < 0) | (pl.col("PL_DISTANCE") > 999.9))


@rule(
    "1015",
    EPISODES,
    ("PL_LA",),
    "Placement provider is own provision but child not placed in own LA.",
)
def _1015(f: Frames) -> pl.DataFrame:
    fostering_or_adoption = ["A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6", "K3"]
    return _where(
        f.episodes,
        (pl.col("PLACE_PROVIDER") == "PR1")
        & pl.col("LS").is_not_null()
        & pl.col("PLACE").is_not_null()
        & ~pl.col("PLACE").is_in(fostering_or_adoption)
        & ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS))
        & (pl.col("PL_LA").is_null() | ~pl.col("PL_LA").is_in(f.context.area)),
    )


# --- Missing --------------------------------------------------------------------------------


@rule("SL01", MISSING, ("CHILD",), "The CHILD id is blank or longer than 10 characters.")
def _sl01_missing(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule(
    "1004",
    MISSING,
    ("MIS_START",),
    "The start date of the missing episode or episode that the child was away from placement "
    "without authorisation is not a valid date.",
)
def _1004(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_START_D").is_null())


@rule(
    "1005",
    MISSING,
    ("MIS_END",),
    "The end date of the missing episode or episode that the child was away from placement "
    "without authorisation is not a valid date.",
)
def _1005(f: Frames) -> pl.DataFrame:
    return _where(f.missing, _bad_date("MIS_END"))


@rule("1006", MISSING, ("MISSING",), "Missing type invalid.")
def _1006(f: Frames) -> pl.DataFrame:
    return _where(f.missing, _invalid_code("MISSING", MISSING_CODES))


@rule(
    "564",
    MISSING,
    ("MISSING", "MIS_START"),
    "Child was missing or away from placement without authorisation and the date started is blank.",
)
def _564(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MISSING").is_in(["M", "A"]) & pl.col("MIS_START").is_null())


@rule(
    "565",
    MISSING,
    ("MISSING", "MIS_START"),
    "The date that the child started to be missing or away from placement without "
    "authorisation has been completed but whether the child was missing or away from "
    "placement without authorisation has not been completed.",
)
def _565(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_START").is_not_null() & pl.col("MISSING").is_null())


@rule(
    "566",
    MISSING,
    ("MISSING", "MIS_END"),
    "The date that the child's episode of being missing or away from placement without "
    "authorisation ended has been completed but whether the child was missing or away without "
    "authorisation has not been completed.",
)
def _566(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_END").is_not_null() & pl.col("MISSING").is_null())


@rule(
    "567",
    MISSING,
    ("MIS_START", "MIS_END"),
    "The date that the missing episode or episode that the child was away from placement "
    "without authorisation ended is before the date that it started.",
)
def _567(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_END_D") < pl.col("MIS_START_D"))


@rule(
    "570",
    MISSING,
    ("MIS_START",),
    "The date that the child started to be missing or away from placement without "
    "authorisation is after the end of the collection year.",
)
def _570(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_START_D") > _lit_date(f.context.year.end))


@rule(
    "571",
    MISSING,
    ("MIS_END",),
    "The date that the child ceased to be missing or away from placement without "
    "authorisation is before the start or after the end of the collection year.",
)
def _571(f: Frames) -> pl.DataFrame:
    year = f.context.year
    end = pl.col("MIS_END_D")
    return _where(f.missing, (end < _lit_date(year.start)) | (end > _lit_date(year.end)))


@rule(
    "574",
    MISSING,
    ("MIS_START", "MIS_END"),
    "A new missing/away from placement without authorisation period cannot start when the "
    "previous missing/away from placement without authorisation period is still open. "
    "Missing/away from placement without authorisation periods should also not overlap.",
)
def _574(f: Frames) -> pl.DataFrame:
    mis = f.missing.filter(pl.col("CHILD").is_not_null() & pl.col("MIS_START_D").is_not_null())
    mis = mis.sort("CHILD", "MIS_START_D", "MIS_END_D", nulls_last=True)
    # The latest end of any earlier period of the same child (an open one never ends). A
    # running maximum over the whole column, with each child's rank in the high digits so
    # that no child's maximum reaches into the next child's rows.
    big = 10_000_000
    rank = pl.col("CHILD").rank("dense").cast(pl.Int64)
    ends = pl.col("MIS_END_D").fill_null(dt.date(9999, 12, 31)).cast(pl.Int32).cast(pl.Int64)
    before = (rank * big + ends).cum_max().shift(1) - rank * big
    same_child = pl.col("CHILD") == pl.col("CHILD").shift(1)
    mis = mis.with_columns(
        _before=pl.when(same_child & (before >= 0)).then(before),
        _start=pl.col("MIS_START_D").cast(pl.Int32).cast(pl.Int64),
        _same_start=same_child & (pl.col("MIS_START_D").shift(1) == pl.col("MIS_START_D")),
    )
    return _where(mis, (pl.col("_start") < pl.col("_before")) | pl.col("_same_start"))


@rule(
    "575",
    MISSING,
    ("MIS_END",),
    "If the placement from which the child goes missing/away from placement without "
    "authorisation ends, the missing/away from placement without authorisation period in the "
    "missing module must also have an end date.",
)
def _575(f: Frames) -> pl.DataFrame:
    # The episode the period started in is the one that started last on or before that day:
    # on a changeover day the child has moved to the new placement. (The peer validator also
    # counts the episode that ended that day, and so reports an open period that began on
    # the day of a move; docs/returns.md.)
    open_mis = f.missing.filter(pl.col("MIS_END").is_null() & pl.col("MIS_START_D").is_not_null())
    eps = f.episodes.filter(pl.col("DECOM_D").is_not_null()).select("CHILD", "DECOM_D", "DEC_D")
    latest = (
        open_mis.select("_i", "CHILD", "MIS_START_D")
        .join(eps, on="CHILD", how="inner")
        .filter(pl.col("DECOM_D") <= pl.col("MIS_START_D"))
        .sort("DECOM_D")
        .group_by("_i")
        .agg(pl.col("DEC_D").last(), pl.col("MIS_START_D").last())
    )
    return _where(
        latest, pl.col("DEC_D").is_not_null() & (pl.col("MIS_START_D") <= pl.col("DEC_D"))
    )


@rule(
    "577",
    MISSING,
    ("MIS_END",),
    "Child ceased to be looked after but there is a missing/away from placement without "
    "authorisation period without an end date.",
)
def _577(f: Frames) -> pl.DataFrame:
    periods = _periods_of_care(f).filter(pl.col("poc_end").is_not_null())
    open_mis = f.missing.filter(pl.col("MIS_END").is_null() & pl.col("MIS_START_D").is_not_null())
    both = open_mis.join(periods, on="CHILD", how="inner")
    hits = both.filter(
        (pl.col("MIS_START_D") >= pl.col("poc_start"))
        & (pl.col("MIS_START_D") <= pl.col("poc_end"))
    )
    return hits.select("_i").unique()


@rule(
    "578",
    MISSING,
    ("MIS_START",),
    "The date that the child started to be missing is after the child ceased to be looked after.",
)
def _578(f: Frames) -> pl.DataFrame:
    periods = _periods_of_care(f)
    mis = f.missing.filter(pl.col("MIS_START_D").is_not_null() & pl.col("CHILD").is_not_null())
    # The period of care that started last on or before the missing start.
    latest = (
        mis.select("_i", "CHILD", "MIS_START_D")
        .join(periods, on="CHILD", how="inner")
        .filter(pl.col("poc_start") <= pl.col("MIS_START_D"))
        .sort("poc_start")
        .group_by("_i")
        .agg(pl.col("poc_end").last(), pl.col("MIS_START_D").last())
    )
    return _where(latest, pl.col("MIS_START_D") > pl.col("poc_end"))


@rule(
    "581",
    MISSING,
    ("MIS_START",),
    "Child is missing but has not yet started to be looked after.",
)
def _581(f: Frames) -> pl.DataFrame:
    first = (
        f.episodes.filter(pl.col("_has_child"))
        .group_by("CHILD")
        .agg(first_decom=pl.col("DECOM_D").min())
    )
    mis = f.missing.filter(
        pl.col("CHILD").is_not_null() & (pl.col("MIS_START_D") >= _lit_date(f.context.year.start))
    ).join(first, on="CHILD", how="left")
    return _where(
        mis, pl.col("first_decom").is_null() | (pl.col("MIS_START_D") < pl.col("first_decom"))
    )


@rule("586", MISSING, ("MIS_START",), "Dates of missing periods are before child’s date of birth.")
def _586(f: Frames) -> pl.DataFrame:
    return _where(f.missing, pl.col("MIS_START_D") <= pl.col("DOB_D"))


@rule("INT04", MISSING, ("CHILD",), "Internal Check: Child in Missing does not exist in Header.")
def _int04(f: Frames) -> pl.DataFrame:
    mis = f.missing.filter(pl.col("CHILD").is_not_null())
    return mis.join(f.header.select("CHILD"), on="CHILD", how="anti").select("_i")


@rule("INT13", MISSING, ("DOB",), "Internal Check: DOB in Missing is different to DOB in Header.")
def _int13(f: Frames) -> pl.DataFrame:
    header = f.header.filter(pl.col("CHILD").is_not_null()).unique("CHILD", keep="first")
    mis = f.missing.join(header.select("CHILD", pl.col("DOB").alias("HDR_DOB")), on="CHILD")
    return _where(
        mis,
        pl.col("DOB").is_not_null()
        & pl.col("HDR_DOB").is_not_null()
        & (pl.col("DOB") != pl.col("HDR_DOB")),
    )


# The other nine tables' rules register into RULES here (returns/rules_<area>.py).
from sightline.returns import rules_more  # noqa: E402, F401

#: Rules by code and table (SL01 checks each of the three tables).
RULES_BY_KEY: dict[tuple[str, str], Rule] = {(r.code, r.table): r for r in RULES}
assert len(RULES_BY_KEY) == len(RULES), "each rule once per table"
