"""The DfE's validation rules for the Header, Episodes and Missing tables, for the 2023/24,
2024/25 and 2025/26 collections: each rule names the years it belongs to (``Rule.years``) and
``rules_for_year`` gives a year's set, as the DfE's (and the peer's) per-year sets do. The
rules that compare with last year's return read ``Frames.previous``.

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

from sightline.returns.derive import Frames, once, uasc_status
from sightline.returns.rules_common import (
    Found,
    flagged,
    header_by_child,
)
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
    UASC,
)

ERROR = "error"
WARNING = "warning"

RuleFunc = Callable[[Frames], Found]


@dataclass(frozen=True)
class Rule:
    code: str
    table: str
    fields: tuple[str, ...]
    message: str
    func: RuleFunc
    severity: str = ERROR
    #: The collection years (by their end: 2025 is 2024/25) the rule belongs to, as the
    #: DfE's rule set for each year holds it; empty means every year Sightline reads.
    years: frozenset[int] = frozenset()

    def applies_to(self, year: int) -> bool:
        return not self.years or year in self.years


RULES: list[Rule] = []

#: The collection years whose rule sets Sightline follows (2023/24, 2024/25, 2025/26).
YEARS = (2024, 2025, 2026)


def rule(
    code: str,
    table: str,
    fields: tuple[str, ...],
    message: str,
    severity: str = ERROR,
    *,
    years: tuple[int, ...] = (),
) -> Callable[[RuleFunc], RuleFunc]:
    def register(func: RuleFunc) -> RuleFunc:
        RULES.append(Rule(code, table, fields, message, func, severity, frozenset(years)))
        return func

    return register


def rules_for_year(year: int, rules: list[Rule] | None = None) -> list[Rule]:
    """The rules of the collection year ending 31 March ``year``.

    A year after the last Sightline knows follows the last set; a year before the first
    gets the rules of every year and none of those of particular years (2023/24's 217t, on
    P2 after 28 October 2023, would be wrong for 2022/23).
    """
    year = min(year, YEARS[-1])
    return [r for r in (RULES if rules is None else rules) if r.applies_to(year)]


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


@once
def _header_dob(frames: Frames) -> pl.DataFrame:
    return header_by_child(frames).select("CHILD", pl.col("DOB_D").alias("HDR_DOB"))


def _with_header_dob(frames: Frames, frame: pl.DataFrame) -> pl.DataFrame:
    return frame.join(_header_dob(frames), on="CHILD", how="left")


@once
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
def _sl01_header(f: Frames) -> Found:
    return flagged(f.header, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule("101", HEADER, ("SEX",), "The child or young person’s reported sex is not valid.")
def _101(f: Frames) -> Found:
    codes = sorted(f.context.year.sex_codes)
    return flagged(f.header, pl.col("SEX").is_null() | ~pl.col("SEX").is_in(codes))


@rule("102", HEADER, ("DOB",), "Date of birth is not a valid date.")
def _102(f: Frames) -> Found:
    return flagged(f.header, pl.col("DOB_D").is_null())


@rule("103", HEADER, ("ETHNIC",), "The ethnicity code is either not valid or has not been entered.")
def _103(f: Frames) -> Found:
    return flagged(
        f.header, pl.col("ETHNIC").is_null() | ~pl.col("ETHNIC").is_in(sorted(ETHNIC_CODES))
    )


@rule("171", HEADER, ("MC_DOB",), "Date of birth of mother's child is not a valid date.")
def _171(f: Frames) -> Found:
    return flagged(f.header, _bad_date("MC_DOB"))


@rule(
    "174",
    HEADER,
    ("SEX", "MC_DOB"),
    "Mother's child date of birth is recorded but sex shows that the child is a male.",
)
def _174(f: Frames) -> Found:
    return flagged(f.header, pl.col("MC_DOB").is_not_null() & pl.col("SEX").is_in(["M", "1"]))


@rule(
    "232",
    HEADER,
    ("SEX",),
    "Sex of the child/young person has been reported as unknown.",
    severity=WARNING,
    years=(2025, 2026),
)
def _232(f: Frames) -> Found:
    return flagged(f.header, pl.col("SEX") == "U")


@rule("301", HEADER, ("DOB",), "Date of birth falls after the year ended.")
def _301(f: Frames) -> Found:
    return flagged(f.header, pl.col("DOB_D") > _lit_date(f.context.year.end))


@rule("351", HEADER, ("DOB",), "Child was over 25 at the start of the current collection year.")
def _351(f: Frames) -> Found:
    return flagged(f.header, _years_after(pl.col("DOB_D"), 25) < _lit_date(f.context.year.start))


@rule("INT32", HEADER, ("CHILD",), "Internal Check: Child should only exist once in Header.")
def _int32(f: Frames) -> Found:
    return flagged(f.header, pl.col("CHILD").is_not_null() & pl.col("CHILD").is_duplicated())


# --- Episodes: codes and dates --------------------------------------------------------------


@rule("SL01", EPISODES, ("CHILD",), "The CHILD id is blank or longer than 10 characters.")
def _sl01_episodes(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule("141", EPISODES, ("DECOM",), "Date episode began is not a valid date.")
def _141(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DECOM_D").is_null())


@rule("147", EPISODES, ("DEC",), "Date episode ceased is not a valid date.")
def _147(f: Frames) -> Found:
    return flagged(f.episodes, _bad_date("DEC"))


@rule("143", EPISODES, ("RNE",), "The reason for new episode code is not a valid code.")
def _143(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("RNE", RNE_CODES))


@rule("144", EPISODES, ("LS",), "The legal status code is not a valid code.")
def _144(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("LS", LS_CODES))


@rule("145", EPISODES, ("CIN",), "Category of need code is not a valid code.")
def _145(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("CIN", CIN_CODES))


@rule("146", EPISODES, ("PLACE",), "Placement type code is not a valid code.")
def _146(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("PLACE", f.context.year.place_codes))


@rule(
    "148",
    EPISODES,
    ("DEC", "REC"),
    "Date episode ceased and reason episode ceased must both be coded, or both left blank.",
)
def _148(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DEC").is_null() != pl.col("REC").is_null())


@rule("149", EPISODES, ("REC",), "Reason episode ceased code is not valid.")
def _149(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("REC", REC_CODES))


@rule(
    "1009", EPISODES, ("REASON_PLACE_CHANGE",), "Reason for placement change is not a valid code."
)
def _1009(f: Frames) -> Found:
    return flagged(f.episodes, _invalid_code("REASON_PLACE_CHANGE", REASON_PLACE_CHANGE_CODES))


@rule("178", EPISODES, ("PLACE_PROVIDER",), "Placement provider code is not a valid code.")
def _178(f: Frames) -> Found:
    provider = pl.col("PLACE_PROVIDER")
    bad = ~provider.is_in(sorted(PROVIDER_CODES)) | pl.col("PLACE").is_in(
        sorted(NO_PROVIDER_PLACES)
    )
    return flagged(f.episodes, provider.is_not_null() & bad)


@rule("213", EPISODES, ("PLACE_PROVIDER",), "Placement provider information not required.")
def _213(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(sorted(NO_PROVIDER_PLACES_213))
        & pl.col("PLACE_PROVIDER").is_not_null(),
    )


@rule("218", EPISODES, ("URN",), "Ofsted Unique reference number (URN) is required.")
def _218(f: Frames) -> Found:
    open_in_year = pl.col("DEC").is_null() | (pl.col("DEC_D") >= _lit_date(f.context.year.start))
    return flagged(
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
def _222(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(sorted(NO_URN_PLACES))
        & pl.col("URN").is_not_null()
        & (pl.col("URN") != "XXXXXXX"),
    )


@rule("353", EPISODES, ("DECOM",), "No episode submitted can start before 14 October 1991.")
def _353(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DECOM_D") < _lit_date(dt.date(1991, 10, 14)))


@rule(
    "354",
    EPISODES,
    ("DECOM",),
    "Date episode ceased must be on or before the end of the current collection year.",
)
def _354(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DECOM_D") > _lit_date(f.context.year.end))


@rule(
    "385",
    EPISODES,
    ("DEC",),
    "Date episode ceased must be on or before the end of the current collection year.",
)
def _385(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DEC_D") > _lit_date(f.context.year.end))


@rule(
    "356",
    EPISODES,
    ("DECOM",),
    "The date the episode ceased is before the date the same episode started.",
)
def _356(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DEC_D") < pl.col("DECOM_D"))


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
def _142(f: Frames) -> Found:
    return flagged(
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
def _501(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("_has_child") & (pl.col("DECOM_D") < pl.col("PREV_DEC_D")))


@rule(
    "388",
    EPISODES,
    ("REC",),
    "Reason episode ceased is coded new episode begins, but there is no continuation episode.",
)
def _388(f: Frames) -> Found:
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
    return flagged(f.episodes, pl.col("_has_child") & (gap | no_next | closes))


@rule(
    "431",
    EPISODES,
    ("RNE", "DECOM"),
    "The reason for new episode is started to be looked after, but the previous episode ended "
    "on the same day.",
)
def _431(f: Frames) -> Found:
    return flagged(
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
def _433(f: Frames) -> Found:
    continuation = pl.col("RNE").is_in(["P", "L", "T", "U", "B"])
    mismatch = (
        pl.col("PREV_DEC_D").is_null()
        | pl.col("DECOM_D").is_null()
        | (pl.col("PREV_DEC_D") != pl.col("DECOM_D"))
    )
    return flagged(f.episodes, pl.col("_has_child") & ~pl.col("_first") & continuation & mismatch)


@rule(
    "357",
    EPISODES,
    ("RNE",),
    "If this is the first episode ever for this child, reason for new episode must be S.  Check "
    "whether there is an episode immediately preceding this one, which has been left out.  If "
    "not the reason for new episode code must be amended to S.",
)
def _357(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("_first")
        & pl.col("_has_child")
        & (pl.col("DECOM_D") >= _lit_date(f.context.year.start))
        & (pl.col("RNE") != "S"),
    )


@rule("225", EPISODES, ("REASON_PLACE_CHANGE",), "Reason for placement change must be recorded.")
def _225(f: Frames) -> Found:
    temporary = sorted(TEMPORARY_PLACES)
    return flagged(
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
def _226(f: Frames) -> Found:
    return flagged(
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
    years=(2026,),
)
def _233(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("DEC").is_null() & pl.col("REASON_PLACE_CHANGE").is_not_null()
    )


@rule(
    "234",
    EPISODES,
    ("REASON_PLACE_CHANGE", "DOB"),
    "A child aged under 10 can not change placement due to being admitted to custody",
    years=(2026,),
)
def _234(f: Frames) -> pl.DataFrame:
    eps = _with_header_dob(f, f.episodes.filter(pl.col("REASON_PLACE_CHANGE") == "CUSTOD"))
    return _where(eps, _years_after(pl.col("HDR_DOB"), 10) > pl.col("DEC_D"))


# --- Episodes: postcodes and the derived PL_LA, PL_LOCATION, PL_DISTANCE --------------------


@rule("392c", EPISODES, ("HOME_POST", "PL_POST"), "Postcode(s) provided are invalid.")
def _392c(f: Frames) -> Found:
    return flagged(
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
    # (Formerly) unaccompanied asylum-seeking children may have no home postcode: those in
    # the UASC table, this year's or last year's, are left out (as the peer does).
    return _where(
        _not_uasc(f, f.episodes),
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False)
        & (pl.col("HOME_POST").is_null() | pl.col("PL_POST").is_null()),
    )


def _uasc_given(f: Frames) -> bool:
    """The return, or last year's, gave the UASC table."""
    return UASC in f.supplied or (f.previous is not None and UASC in f.previous.supplied)


def _not_uasc(f: Frames, episodes: pl.DataFrame) -> pl.DataFrame:
    """``episodes`` of children UASC in neither this year's nor last year's UASC table (the
    peer's exception for (formerly) unaccompanied asylum-seeking children): a record whose
    XML flag is 0 does not make its child UASC (``derive.uasc_status``)."""
    tables = [f.table(UASC)] if UASC in f.supplied else []
    if f.previous is not None and UASC in f.previous.supplied:
        tables.append(f.previous.table(UASC))
    if not tables:
        return episodes
    children = (
        pl.concat([t.filter(uasc_status()).select("CHILD") for t in tables]).drop_nulls().unique()
    )
    return episodes.join(children, on="CHILD", how="anti")


@rule(
    "392a",
    EPISODES,
    ("PL_DISTANCE",),
    "Child is looked after but no distance is recorded. [NOTE: This check may result in false "
    "positives for children formerly UASC]",
)
def _392a(f: Frames) -> pl.DataFrame:
    # The peer runs it only when it knows which children are (formerly) UASC: when the UASC
    # table is given, this year or last.
    if not _uasc_given(f):
        return f.episodes.clear().select("_i")
    return _where(
        _not_uasc(f, f.episodes),
        ~pl.col("LS").is_in(["V3", "V4"]).fill_null(False) & pl.col("PL_DISTANCE").is_null(),
    )


@rule(
    "392d",
    EPISODES,
    ("HOME_POST", "PL_POST", "PLACE"),
    "Home and placement postcodes should not be same unless the placement type is P1.",
)
def _392d(f: Frames) -> Found:
    return flagged(
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
def _169(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False) & pl.col("PL_LA").is_null(),
    )


@rule("179", EPISODES, ("PL_LOCATION",), "Placement location code is not a valid code.")
def _179(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False)
        & pl.col("PL_LOCATION").is_null(),
    )


@rule("411", EPISODES, ("PL_LOCATION",), "Placement location code disagrees with LA of placement.")
def _411(f: Frames) -> Found:
    return flagged(
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
    # Without the UASC table Sightline still checks every child (the peer then checks none);
    # with it, (formerly) unaccompanied asylum-seeking children are left out, as the peer does.
    return _where(
        _not_uasc(f, f.episodes), (pl.col("PL_DISTANCE") < 0) | (pl.col("PL_DISTANCE") > 999.9)
    )


@rule(
    "1015",
    EPISODES,
    ("PL_LA",),
    "Placement provider is own provision but child not placed in own LA.",
)
def _1015(f: Frames) -> Found:
    fostering_or_adoption = ["A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6", "K3"]
    return flagged(
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
def _sl01_missing(f: Frames) -> Found:
    return flagged(f.missing, pl.col("CHILD").is_null() | (pl.col("CHILD").str.len_chars() > 10))


@rule(
    "1004",
    MISSING,
    ("MIS_START",),
    "The start date of the missing episode or episode that the child was away from placement "
    "without authorisation is not a valid date.",
)
def _1004(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_START_D").is_null())


@rule(
    "1005",
    MISSING,
    ("MIS_END",),
    "The end date of the missing episode or episode that the child was away from placement "
    "without authorisation is not a valid date.",
)
def _1005(f: Frames) -> Found:
    return flagged(f.missing, _bad_date("MIS_END"))


@rule("1006", MISSING, ("MISSING",), "Missing type invalid.")
def _1006(f: Frames) -> Found:
    return flagged(f.missing, _invalid_code("MISSING", MISSING_CODES))


@rule(
    "564",
    MISSING,
    ("MISSING", "MIS_START"),
    "Child was missing or away from placement without authorisation and the date started is blank.",
)
def _564(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MISSING").is_in(["M", "A"]) & pl.col("MIS_START").is_null())


@rule(
    "565",
    MISSING,
    ("MISSING", "MIS_START"),
    "The date that the child started to be missing or away from placement without "
    "authorisation has been completed but whether the child was missing or away from "
    "placement without authorisation has not been completed.",
)
def _565(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_START").is_not_null() & pl.col("MISSING").is_null())


@rule(
    "566",
    MISSING,
    ("MISSING", "MIS_END"),
    "The date that the child's episode of being missing or away from placement without "
    "authorisation ended has been completed but whether the child was missing or away without "
    "authorisation has not been completed.",
)
def _566(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_END").is_not_null() & pl.col("MISSING").is_null())


@rule(
    "567",
    MISSING,
    ("MIS_START", "MIS_END"),
    "The date that the missing episode or episode that the child was away from placement "
    "without authorisation ended is before the date that it started.",
)
def _567(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_END_D") < pl.col("MIS_START_D"))


@rule(
    "570",
    MISSING,
    ("MIS_START",),
    "The date that the child started to be missing or away from placement without "
    "authorisation is after the end of the collection year.",
)
def _570(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_START_D") > _lit_date(f.context.year.end))


@rule(
    "571",
    MISSING,
    ("MIS_END",),
    "The date that the child ceased to be missing or away from placement without "
    "authorisation is before the start or after the end of the collection year.",
)
def _571(f: Frames) -> Found:
    year = f.context.year
    end = pl.col("MIS_END_D")
    return flagged(f.missing, (end < _lit_date(year.start)) | (end > _lit_date(year.end)))


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
def _586(f: Frames) -> Found:
    return flagged(f.missing, pl.col("MIS_START_D") <= pl.col("DOB_D"))


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


# --- Helpers of the rules below ---------------------------------------------------------------

_UPN_UNKNOWN = ["UN1", "UN2", "UN3", "UN4", "UN5"]
_UPN_RE = r"^(([A-HJ-NP-RT-Z][0-9]{12})|([A-HJ-NP-RT-Z][0-9]{11}[A-Z])|(UN[1-5]))$"
_ADOPTION_PLACES = ["A3", "A4", "A5", "A6"]
_FOSTER_OR_ADOPTION = ["A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6"]
_LEFT_CARE_REC = [
    "E2", "E3", "E4A", "E4B", "E5", "E6", "E7", "E8", "E9", "E11", "E12", "E13", "E14",
    "E15", "E16", "E17", "E41", "E45", "E46", "E47", "E48",
]  # fmt: skip


def _with_header(frames: Frames, frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` with the child's Header values (``HDR_<column>``; ``HDR_DOB`` is the date)."""
    header = header_by_child(frames).select(
        "CHILD",
        pl.col("DOB_D").alias("HDR_DOB"),
        *[pl.col(c).alias(f"HDR_{c}") for c in columns],
    )
    return frame.join(header, on="CHILD", how="left")


def _episodes_with_dob(f: Frames, condition: pl.Expr) -> pl.DataFrame:
    eps = f.episodes.filter(condition.fill_null(False))
    return _with_header_dob(f, eps)


def _prev(column: str, n: int = 1) -> pl.Expr:
    """The value ``n`` episodes earlier of the same child (episodes are sorted by child)."""
    same = pl.col("CHILD").is_not_null() & (pl.col("CHILD") == pl.col("CHILD").shift(n))
    return pl.when(same).then(pl.col(column).shift(n))


def _same(column: str) -> pl.Expr:
    """The episode's ``column`` equals the previous episode's (two blanks are equal)."""
    return pl.col(column).eq_missing(_prev(column)) & pl.col("CHILD").eq(pl.col("CHILD").shift(1))


def _too_young(f: Frames, place: str, years: int) -> pl.DataFrame:
    """Episodes of placement type ``place`` that started before the child was ``years`` old
    (370 to 374; the peer reads only episodes with both dates)."""
    eps = _episodes_with_dob(f, (pl.col("PLACE") == place) & pl.col("DEC_D").is_not_null())
    return _where(eps, pl.col("DECOM_D") < _years_after(pl.col("HDR_DOB"), years))


def _lasted_over(f: Frames, place: str, days: int) -> pl.DataFrame:
    """Ended episodes of placement type ``place`` longer than ``days`` days (375, 376, 379)."""
    eps = _episodes_with_dob(f, pl.col("PLACE") == place)
    return _where(
        eps,
        pl.col("HDR_DOB").is_not_null()
        & (pl.col("DEC_D") > pl.col("DECOM_D").dt.offset_by(f"{days}d")),
    )


def _status_over(f: Frames, status: str, days: int) -> pl.DataFrame:
    """Episodes in runs of one legal status lasting more than ``days`` days (361 to 364).

    A run is a child's episodes of that status, each starting the day the last ended; an
    open episode counts to the end of the collection year.
    """
    end = _lit_date(f.context.year.end)
    eps = f.episodes.filter(
        (pl.col("LS") == status) & pl.col("DECOM_D").is_not_null() & pl.col("_has_child")
    ).select("_i", "CHILD", "DECOM_D", pl.col("DEC_D").fill_null(end))
    eps = eps.sort("CHILD", "DECOM_D")
    new_run = (pl.col("CHILD") != pl.col("CHILD").shift(1)).fill_null(True) | (
        pl.col("DECOM_D") != pl.col("DEC_D").shift(1)
    ).fill_null(True)
    eps = eps.with_columns(_run=new_run.cast(pl.Int32).cum_sum())
    eps = eps.with_columns(
        _days=(pl.col("DEC_D").max() - pl.col("DECOM_D").min()).over("_run").dt.total_days()
    )
    return _where(eps, pl.col("_days") > days)


# --- Header: UPN, mother and mother's child ------------------------------------------------


@rule(
    "168",
    HEADER,
    ("UPN",),
    "Unique Pupil Number (UPN) is not valid. If unknown, default codes should be UN1, UN2, "
    "UN3, UN4 or UN5.",
)
def _168(f: Frames) -> Found:
    return flagged(f.header, pl.col("UPN").is_not_null() & ~pl.col("UPN").str.contains(_UPN_RE))


@rule(
    "209",
    HEADER,
    ("UPN", "DOB"),
    "Child looked after is of school age and should not have an unknown Unique Pupil Number "
    "(UPN) code of UN1.",
)
def _209(f: Frames) -> Found:
    # School age: four by 31 August before the collection year began.
    reference = _lit_date(dt.date(f.context.year.year - 2, 8, 31))
    return flagged(
        f.header, (pl.col("UPN") == "UN1") & (_years_after(pl.col("DOB_D"), 4) <= reference)
    )


@rule("442", HEADER, ("UPN",), "Unique Pupil Number (UPN) field is not completed.")
def _442(f: Frames) -> pl.DataFrame:
    looked_after = (
        f.episodes.filter(~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(True))
        .select("CHILD")
        .unique()
    )
    blank = f.header.filter(pl.col("UPN").is_null()).select("_i", "CHILD")
    return blank.join(looked_after, on="CHILD", how="semi").select("_i")


@rule("444", HEADER, ("UPN",), "Duplicate UPN has been reported", years=(2026,))
def _444(f: Frames) -> Found:
    upn = pl.col("UPN")
    return flagged(f.header, upn.is_not_null() & ~upn.is_in(_UPN_UNKNOWN) & upn.is_duplicated())


@rule(
    "393",
    HEADER,
    ("MOTHER",),
    "Child is looked after but mother field is not completed.",
)
def _393(f: Frames) -> pl.DataFrame:
    looked_after = (
        f.episodes.filter(~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(True))
        .select("CHILD")
        .unique()
    )
    female = pl.col("SEX").is_in(["F", "2"])
    blank = f.header.filter(female & pl.col("MOTHER").is_null()).select("_i", "CHILD")
    return blank.join(looked_after, on="CHILD", how="semi").select("_i")


@rule("611", HEADER, ("MOTHER", "MC_DOB"), "Date of birth field is blank, but child is a mother.")
def _611(f: Frames) -> Found:
    return flagged(f.header, (pl.col("MOTHER") == "1") & pl.col("MC_DOB").is_null())


@rule(
    "612",
    HEADER,
    ("SEX", "MOTHER", "MC_DOB"),
    "Date of birth field has been completed but mother field indicates child is not a mother.",
)
def _612(f: Frames) -> Found:
    not_mother = pl.col("MOTHER").is_null() | (pl.col("MOTHER") == "0")
    female = pl.col("SEX").is_in(["F", "2"])
    return flagged(f.header, not_mother & female & pl.col("MC_DOB").is_not_null())


@rule(
    "620",
    HEADER,
    ("DOB", "MOTHER"),
    "Child has been recorded as a mother, but date of birth shows that the mother is under 11 "
    "years of age.",
)
def _620(f: Frames) -> Found:
    start = _lit_date(f.context.year.start)
    return flagged(
        f.header, (pl.col("MOTHER") == "1") & (_years_after(pl.col("DOB_D"), 11) > start)
    )


@rule(
    "621",
    HEADER,
    ("DOB", "MC_DOB"),
    "Mother’s field has been completed but date of birth shows that the mother is younger "
    "than her child.",
)
def _621(f: Frames) -> Found:
    return flagged(f.header, pl.col("MC_DOB_D") <= pl.col("DOB_D"))


@rule(
    "625",
    EPISODES,
    ("MC_DOB", "DEC"),
    "Date of birth of the first child is beyond the end of this reporting year or the date the "
    "child ceased to be looked after.",
)
def _625(f: Frames) -> pl.DataFrame:
    # The child's episode that ended last, against the mother's child's date of birth.
    ended = f.episodes.filter(pl.col("DEC_D").is_not_null() & pl.col("_has_child"))
    last = ended.sort("DEC_D").group_by("CHILD").agg(pl.col("_i").last(), pl.col("DEC_D").last())
    last = _with_header(f, last, "MC_DOB_D")
    end = _lit_date(f.context.year.end)
    return _where(last, (pl.col("HDR_MC_DOB_D") > end) | (pl.col("HDR_MC_DOB_D") > pl.col("DEC_D")))


@rule(
    "607",
    EPISODES,
    ("DEC", "REC", "MOTHER", "LS", "SEX"),
    "Child ceased to be looked after in the year, but mother field has not been completed.",
)
def _607(f: Frames) -> pl.DataFrame:
    year = f.context.year
    eps = _with_header(
        f,
        f.episodes.filter(
            pl.col("REC").is_not_null()
            & (pl.col("REC") != "X1")
            & ~pl.col("LS").is_in(sorted(SHORT_BREAK_LS)).fill_null(False)
            & (pl.col("DEC_D") >= _lit_date(year.start))
            & (pl.col("DEC_D") <= _lit_date(year.end))
        ),
        "SEX",
        "MOTHER",
    )
    return _where(eps, pl.col("HDR_SEX").is_in(["F", "2"]) & pl.col("HDR_MOTHER").is_null())


@rule(
    "210",
    EPISODES,
    ("UPN", "DECOM"),
    "Children looked after for more than a week at 31 March should not have an unknown Unique "
    "Pupil Number (UPN) code of UN4.",
)
def _210(f: Frames) -> pl.DataFrame:
    # As the peer reads it: an episode that started on or after 24 March of the year's end.
    reference = _lit_date(dt.date(f.context.year.year, 3, 24))
    eps = _with_header(f, f.episodes.filter(pl.col("DECOM_D") >= reference), "UPN")
    return _where(eps, pl.col("HDR_UPN") == "UN4")


# --- Episodes: placement and legal status codes together ------------------------------------


@rule("214", EPISODES, ("PL_POST", "URN"), "Placement location information not required.")
def _214(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("LS").is_in(sorted(SHORT_BREAK_LS))
        & (pl.col("PL_POST").is_not_null() | pl.col("URN").is_not_null()),
    )


@rule(
    "217",
    EPISODES,
    ("PLACE", "DECOM", "RNE"),
    "Children who are placed for adoption with current foster carers (placement types A3 or "
    "A5) must have a reason for new episode of S, T or U.",
)
def _217(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(["A3", "A5"])
        & (pl.col("DECOM_D") >= _lit_date(dt.date(2015, 4, 1)))
        & ~pl.col("RNE").is_in(["S", "T", "U"]).fill_null(False),
    )


@rule(
    "217t",
    EPISODES,
    ("PLACE", "DECOM"),
    "Placement type 'P2' is not a valid placement type from 28 October 2023.",
    years=(2024,),
)
def _217t(f: Frames) -> Found:
    return flagged(
        f.episodes,
        (pl.col("PLACE") == "P2")
        & (pl.col("DEC_D").is_null() | (pl.col("DEC_D") > _lit_date(dt.date(2023, 10, 28)))),
    )


@rule(
    "230",
    EPISODES,
    ("PLACE", "DEC", "URN"),
    "Ofsted Unique reference number (URN) is required for any English H5 placements from 28 "
    "October 2023.",
    years=(2024,),
)
def _230(f: Frames) -> Found:
    outside_england = pl.col("PL_LA").is_in(["NIR", "WAL", "SCO"]).fill_null(False)
    return flagged(
        f.episodes,
        (pl.col("PLACE") == "H5")
        & (pl.col("DEC_D").is_null() | (pl.col("DEC_D") >= _lit_date(dt.date(2023, 10, 29))))
        & (pl.col("URN").is_null() | (pl.col("URN") == "XXXXXXX"))
        & ~outside_england,
    )


@rule(
    "242",
    EPISODES,
    ("URN",),
    "URN = 'XXXXXXX' can only be used for regional adoption agencies",
    years=(2026,),
)
def _242(f: Frames) -> Found:
    return flagged(
        f.episodes,
        (pl.col("URN") == "XXXXXXX") & ~pl.col("PLACE").is_in(_FOSTER_OR_ADOPTION).fill_null(False),
    )


@rule(
    "243",
    EPISODES,
    ("URN",),
    "Only placements with providers registered with Ofsted should have a URN reported.",
    years=(2026,),
)
def _243(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("PL_LA").is_in(sorted(OUTSIDE_ENGLAND_LA)) & pl.col("URN").is_not_null()
    )


@rule(
    "336",
    EPISODES,
    ("PLACE",),
    "Child does not have a foster placement immediately prior to being placed for adoption.",
)
def _336(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(["A3", "A4"])
        & ~pl.col("_first")
        & ~_prev("PLACE").is_in(_FOSTER_OR_ADOPTION).fill_null(False),
    )


@rule(
    "366",
    EPISODES,
    ("RNE",),
    (
        "A child cannot change placement during the course of an individual short-term respite "
        "break."
    ),
)
def _366(f: Frames) -> Found:
    return flagged(f.episodes, (pl.col("LS") == "V3") & pl.col("RNE").ne_missing(pl.lit("S")))


@rule(
    "378",
    EPISODES,
    ("PLACE", "LS"),
    "A child who is placed with parent(s) cannot be looked after under a single period of "
    "accommodation under Section 20 of the Children Act 1989.",
)
def _378(f: Frames) -> Found:
    return flagged(f.episodes, (pl.col("PLACE") == "P1") & (pl.col("LS") == "V2"))


@rule(
    "380",
    EPISODES,
    ("PLACE", "RNE"),
    "A period of care cannot start with a temporary placement.",
)
def _380(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(sorted(TEMPORARY_PLACES))
        & ~pl.col("RNE").is_in(["P", "B"]).fill_null(False),
    )


@rule("381", EPISODES, ("PLACE", "REC"), "A period of care cannot end with a temporary placement.")
def _381(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(sorted(TEMPORARY_PLACES))
        & pl.col("REC").is_not_null()
        & (pl.col("REC") != "X1"),
    )


@rule(
    "382",
    EPISODES,
    ("LS", "PLACE"),
    "A child receiving respite care cannot be in a temporary placement.",
)
def _382(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("LS").is_in(sorted(SHORT_BREAK_LS))
        & pl.col("PLACE").is_in(sorted(TEMPORARY_PLACES)),
    )


@rule(
    "383",
    EPISODES,
    ("PLACE", "RNE", "PL_POST"),
    "A child in a temporary placement must subsequently return to his/her normal placement.",
)
def _383(f: Frames) -> Found:
    # The episode after a temporary placement goes back to the placement before it.
    before_temporary = _prev("CHILD", 2).is_not_null()
    return flagged(
        f.episodes,
        before_temporary
        & _prev("PLACE").is_in(sorted(TEMPORARY_PLACES))
        & (
            pl.col("RNE").ne_missing(pl.lit("P"))
            | pl.col("PLACE").ne_missing(_prev("PLACE", 2))
            | pl.col("PL_POST").ne_missing(_prev("PL_POST", 2))
        ),
    )


@rule(
    "384",
    EPISODES,
    ("PLACE", "LS"),
    "A child receiving respite care cannot be in a long-term foster placement ",
)
def _384(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("LS").is_in(sorted(SHORT_BREAK_LS)) & pl.col("PLACE").is_in(["U1", "U4"])
    )


@rule(
    "390",
    EPISODES,
    ("PLACE", "REC"),
    "Reason episode ceased is adopted but child has not been previously placed for adoption.",
)
def _390(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("REC").is_in(["E11", "E12"])
        & ~pl.col("PLACE").is_in(_ADOPTION_PLACES).fill_null(False),
    )


@rule(
    "398",
    EPISODES,
    ("LS", "HOME_POST", "PL_POST"),
    "Distance field completed but child looked after under legal status V3 or V4.",
)
def _398(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("LS").is_in(sorted(SHORT_BREAK_LS))
        & (pl.col("HOME_POST").is_not_null() | pl.col("PL_POST").is_not_null()),
    )


@rule(
    "408",
    EPISODES,
    ("PLACE", "LS"),
    "Child is placed for adoption with a placement order, but no placement order has been "
    "recorded.",
)
def _408(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("PLACE").is_in(["A5", "A6"]) & pl.col("LS").ne_missing(pl.lit("E1"))
    )


@rule(
    "420",
    EPISODES,
    ("PL_LA",),
    "LA of placement completed but child is looked after under legal status V3 or V4.",
)
def _420(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("LS").is_in(sorted(SHORT_BREAK_LS)) & pl.col("PL_LA").is_not_null()
    )


@rule(
    "426",
    EPISODES,
    ("LS",),
    "A child receiving respite care cannot be recorded under a legal status of V3 and V4 in "
    "the same year.",
)
def _426(f: Frames) -> pl.DataFrame:
    both = (
        f.episodes.filter(pl.col("LS").is_in(["V3", "V4"]) & pl.col("_has_child"))
        .group_by("CHILD")
        .agg(pl.col("LS").n_unique().alias("_n"))
        .filter(pl.col("_n") > 1)
        .select("CHILD")
    )
    eps = f.episodes.filter(pl.col("LS").is_in(["V3", "V4"])).select("_i", "CHILD")
    return eps.join(both, on="CHILD", how="semi").select("_i")


@rule(
    "445",
    EPISODES,
    ("LS", "DECOM"),
    "D1 is not a valid code for episodes starting after December 2005.",
    years=(2024,),
)
def _445(f: Frames) -> Found:
    return flagged(
        f.episodes, (pl.col("LS") == "D1") & (pl.col("DECOM_D") > _lit_date(dt.date(2005, 12, 31)))
    )


@rule(
    "446",
    EPISODES,
    ("LS", "DECOM"),
    "E1 is not a valid code for episodes starting before December 2005.",
)
def _446(f: Frames) -> Found:
    return flagged(
        f.episodes, (pl.col("LS") == "E1") & (pl.col("DECOM_D") < _lit_date(dt.date(2005, 12, 1)))
    )


@rule(
    "451",
    EPISODES,
    ("DEC", "REC", "LS"),
    "Child is still freed for adoption, but freeing orders could not be applied for since 30 "
    "December 2005.",
    years=(2024,),
)
def _451(f: Frames) -> Found:
    return flagged(
        f.episodes, pl.col("DEC").is_null() & pl.col("REC").is_null() & (pl.col("LS") == "D1")
    )


@rule(
    "454",
    EPISODES,
    ("PL_DISTANCE",),
    "Placement distance from home is over 350 miles. [NOTE: This check will result in false "
    "positives for children formerly UASC not identified as such in loaded data]",
    years=(2026,),
)
def _454(f: Frames) -> Found:
    return flagged(f.episodes, (pl.col("PL_DISTANCE") > 350) & (pl.col("PL_DISTANCE") != 999.9))


@rule(
    "516",
    EPISODES,
    ("REC", "PLACE"),
    "The episode data submitted for this child does not show that he/she was with their former "
    "foster carer(s) during the year.If the code in the reason episode ceased is E45 or E46 the "
    "child must have a placement code of U1 to U6.",
)
def _516(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("REC").is_in(["E45", "E46"])
        & ~pl.col("PLACE").is_in(["U1", "U2", "U3", "U4", "U5", "U6"]).fill_null(False),
    )


@rule(
    "526",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "Child is missing a placement provider code for at least one episode.",
)
def _526(f: Frames) -> Found:
    no_provider = sorted(NO_PROVIDER_PLACES_213)
    return flagged(
        f.episodes,
        ~pl.col("PLACE").is_in(no_provider).fill_null(False) & pl.col("PLACE_PROVIDER").is_null(),
    )


def _provider_not_for(provider: str, places: list[str], *, only: bool = False) -> RuleFunc:
    def check(f: Frames) -> pl.DataFrame:
        place = pl.col("PLACE").is_in(places).fill_null(False)
        return _where(
            f.episodes, (pl.col("PLACE_PROVIDER") == provider) & (~place if only else place)
        )

    return check


rule(
    "527",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "A placement provider code of PR1 cannot be associated with placements P1, R2 or R5.",
)(_provider_not_for("PR1", ["P1", "R2", "R5"]))
rule(
    "528",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "A placement provider code of PR2 cannot be associated with placements P1, R2 or R5.",
)(_provider_not_for("PR2", ["P1", "R2", "R5"]))
rule(
    "529",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "Placement provider code of PR3 cannot be associated with placements P1, A3 to A6, K1, K2 "
    "and U1 to U6 as these placements cannot be provided by other public organisations.",
)(_provider_not_for("PR3", ["P1", "K1", "K2", *_FOSTER_OR_ADOPTION]))
rule(
    "530",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "A placement provider code of PR4 cannot be associated with placement P1.",
)(_provider_not_for("PR4", ["P1"]))
rule(
    "531",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "A placement provider code of PR5 cannot be associated with placements P1.",
)(_provider_not_for("PR5", ["P1"]))
rule(
    "550",
    EPISODES,
    ("PLACE", "PLACE_PROVIDER"),
    "A placement provider code of PR0 can only be associated with placement P1.",
)(_provider_not_for("PR0", ["P1"], only=True))


# --- Episodes: age ----------------------------------------------------------------------------


@rule(
    "352", EPISODES, ("DECOM", "RNE"), "Child who started to be looked after was aged 18 or over."
)
def _352(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("RNE") == "S")
    return _where(eps, _years_after(pl.col("HDR_DOB"), 18) <= pl.col("DECOM_D"))


@rule(
    "358", EPISODES, ("DECOM", "DOB", "LS"), "Child with this legal status should not be under 10."
)
def _358(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("LS").is_in(["J1", "J2", "J3"]))
    return _where(eps, _years_after(pl.col("HDR_DOB"), 10) >= pl.col("DECOM_D"))


@rule(
    "359",
    EPISODES,
    ("DEC", "LS", "PLACE"),
    "Child being looked after following 18th birthday must be accommodated under section "
    "20(5) of the Children Act 1989 in a community home.",
)
def _359(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(
        f, pl.col("DEC").is_null() & ~((pl.col("LS") == "V2") & (pl.col("PLACE") == "K2"))
    )
    return _where(eps, _years_after(pl.col("HDR_DOB"), 18) < _lit_date(f.context.year.end))


rule(
    "370",
    EPISODES,
    ("DECOM", "PLACE"),
    "Child in independent living should be at least 16.",
    years=(2024,),
)(lambda f: _too_young(f, "P2", 16))
rule(
    "371",
    EPISODES,
    ("DECOM", "PLACE"),
    "Child in supported accomodation not subject to children’s homes regulations should be at "
    "least 16.",
)(lambda f: _too_young(f, "K3", 16))
rule(
    "372",
    EPISODES,
    ("DECOM", "PLACE"),
    "Child in youth custody or prison should be at least 10.",
)(lambda f: _too_young(f, "R5", 10))
rule(
    "373",
    EPISODES,
    ("DECOM", "PLACE"),
    "Child placed in a school should be at least 4 years old.",
)(lambda f: _too_young(f, "S1", 4))
rule(
    "374",
    EPISODES,
    ("DECOM", "PLACE"),
    "Child in residential employment should be at least 14 years old.",
)(lambda f: _too_young(f, "P3", 14))


@rule("386", EPISODES, ("REC",), "Reason episode ceased is adopted but child has reached age 18.")
def _386(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("REC").is_in(["E11", "E12"]))
    return _where(eps, _years_after(pl.col("HDR_DOB"), 18) <= pl.col("DEC_D"))


@rule(
    "389",
    EPISODES,
    ("REC",),
    "Reason episode ceased is that child transferred to care of adult social care services, but "
    "child is aged under 16.",
)
def _389(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("REC") == "E7")
    return _where(eps, _years_after(pl.col("HDR_DOB"), 16) > pl.col("DEC_D"))


@rule(
    "407",
    EPISODES,
    ("DEC", "DOB", "REC"),
    "Reason episode ceased is Special Guardianship Order, but child has reached age 18.",
)
def _407(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("REC").is_in(["E45", "E46", "E47", "E48"]))
    return _where(eps, _years_after(pl.col("HDR_DOB"), 18) < pl.col("DEC_D"))


@rule(
    "460",
    EPISODES,
    ("DEC", "REC"),
    "Reason episode ceased is that child stayed with current carers at age 18 (or above), but "
    "child is aged under 18.",
)
def _460(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("REC") == "E17")
    return _where(eps, _years_after(pl.col("HDR_DOB"), 18) > pl.col("DEC_D"))


# --- Episodes: how long ---------------------------------------------------------------------


@rule("355", EPISODES, ("DECOM", "DEC"), "Episode appears to have lasted for less than 24 hours")
def _355(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("DECOM").is_not_null() & (pl.col("DECOM") == pl.col("DEC")))


rule(
    "361",
    EPISODES,
    ("DECOM", "LS", "DEC"),
    "Police protection legal status lasted longer than maximum 72 hours allowed in the "
    "Children Act 1989.",
)(lambda f: _status_over(f, "L1", 3))
rule(
    "362",
    EPISODES,
    ("DECOM", "LS", "DEC"),
    "Emergency protection order (EPO) lasted longer than 21 days",
)(lambda f: _status_over(f, "L2", 21))
rule(
    "363",
    EPISODES,
    ("LS", "DECOM", "DEC"),
    "Child assessment order (CAO) lasted longer than 7 days allowed in the Children Act 1989.",
)(lambda f: _status_over(f, "L3", 7))
rule(
    "364",
    EPISODES,
    ("LS", "DECOM", "DEC"),
    "Sections 41-46 of Police and Criminal Evidence (PACE; 1984) severely limits the time a "
    "child can be detained in custody in Local Authority (LA) accommodation.",
)(lambda f: _status_over(f, "J2", 21))


@rule(
    "365",
    EPISODES,
    ("LS", "DECOM", "DEC"),
    "Any individual short- term respite placement must not exceed 17 days.",
)
def _365(f: Frames) -> Found:
    # An open respite episode counts to the end of the year, as the peer counts it. (The
    # peer writes that end date into the episodes it shares with later rules: docs/returns.md.)
    end = pl.col("DEC_D").fill_null(_lit_date(f.context.year.end))
    return flagged(
        f.episodes, (pl.col("LS") == "V3") & (end > pl.col("DECOM_D").dt.offset_by("17d"))
    )


@rule(
    "367",
    EPISODES,
    ("LS", "DECOM", "DEC"),
    "The maximum amount of respite care allowable is 75 days in any 12-month period.",
)
def _367(f: Frames) -> pl.DataFrame:
    year = f.context.year
    start, end = _lit_date(year.start), _lit_date(year.end)
    eps = f.episodes.filter(
        (pl.col("LS") == "V3") & pl.col("DECOM_D").is_not_null() & pl.col("_has_child")
    ).select("_i", "CHILD", "DECOM_D", "DEC_D")
    days = (
        pl.min_horizontal(pl.col("DEC_D").fill_null(end), end)
        - pl.max_horizontal(pl.col("DECOM_D"), start)
    ).dt.total_days()
    eps = eps.with_columns(_days=days).filter(pl.col("_days") > 0)
    return _where(eps, pl.col("_days").sum().over("CHILD") > 75)


rule(
    "375",
    EPISODES,
    ("DECOM", "PLACE"),
    "Hospitalisation coded as a temporary placement exceeds six weeks.",
)(lambda f: _lasted_over(f, "T1", 42))
rule(
    "376",
    EPISODES,
    ("DECOM", "PLACE"),
    "Temporary placements coded as being due to holiday of usual foster carer(s) cannot exceed "
    "three weeks.",
)(lambda f: _lasted_over(f, "T3", 21))
rule(
    "379",
    EPISODES,
    ("DECOM", "PLACE"),
    "Temporary placements for unspecified reason (placement code T4) cannot exceed seven days.",
)(lambda f: _lasted_over(f, "T4", 7))


@rule(
    "377",
    EPISODES,
    ("PLACE",),
    "Only two temporary placements coded as being due to holiday of usual foster carer(s) are "
    "allowed in any 12- month period.",
)
def _377(f: Frames) -> pl.DataFrame:
    t3 = f.episodes.filter((pl.col("PLACE") == "T3") & pl.col("_has_child"))
    return _where(t3, pl.len().over("CHILD") > 2)


# --- Episodes: what changed between episodes ------------------------------------------------


@rule(
    "432",
    EPISODES,
    ("RNE",),
    "The child ceased to be looked after at the end of the previous episode but the reason for "
    "the new episode is not started to be looked after.",
)
def _432(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("_first")
        & pl.col("PREV_REC").is_in(_LEFT_CARE_REC)
        & pl.col("RNE").ne_missing(pl.lit("S")),
    )


_CHANGE_FIELDS = ("PLACE", "PL_POST", "URN", "PLACE_PROVIDER")


def _placement_same() -> pl.Expr:
    same = [_same(c) for c in _CHANGE_FIELDS]
    return pl.all_horizontal(same)


@rule(
    "434",
    EPISODES,
    ("RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"),
    "Reason for new episode is that child's legal status has changed but not the placement, "
    "but this is not reflected in the episode data.",
)
def _434(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("_first") & (pl.col("RNE") == "L") & (_same("LS") | ~_placement_same()),
    )


@rule(
    "435",
    EPISODES,
    ("LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"),
    "Reason for new episode is that child’s placement has changed but not the legal status, "
    "but this is not reflected in the episode data recorded.",
)
def _435(f: Frames) -> Found:
    # Two blanks count as the same value: a move between placements with no URN is still
    # no move if nothing else changed (the peer compares blanks as different).
    return flagged(
        f.episodes,
        ~pl.col("_first") & pl.col("RNE").is_in(["P", "T"]) & (~_same("LS") | _placement_same()),
    )


@rule(
    "436",
    EPISODES,
    ("RNE", "LS", "PLACE", "PL_POST", "URN", "PLACE_PROVIDER"),
    "Reason for new episode is that both child’s placement and legal status have changed, but "
    "this is not reflected in the episode data.",
)
def _436(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("_first") & pl.col("RNE").is_in(["U", "B"]) & (_same("LS") | _placement_same()),
    )


@rule(
    "437",
    EPISODES,
    ("REC",),
    "Reason episode ceased is child has died or is aged 18 or over but there are further episodes.",
)
def _437(f: Frames) -> Found:
    return flagged(
        f.episodes,
        pl.col("REC").is_in(["E2", "E15"]) & ~pl.col("_last") & pl.col("DECOM_D").is_not_null(),
    )


@rule(
    "504",
    EPISODES,
    ("CIN",),
    "The category of need code differs from that reported at start of current period of being "
    "looked after",
)
def _504(f: Frames) -> Found:
    return flagged(
        f.episodes,
        ~pl.col("_first")
        & (pl.col("PREV_REC") == "X1")
        & (pl.col("PREV_DEC_D") == pl.col("DECOM_D"))
        & pl.col("CIN").ne_missing(_prev("CIN")),
    )


@rule(
    "580",
    EPISODES,
    ("REC",),
    "Child is missing when cease being looked after but reason episode ceased not ‘E8’.",
)
def _580(f: Frames) -> pl.DataFrame:
    # A missing period ending on the child's 18th birthday, the day the episode ended.
    ends = (
        f.missing.filter(
            pl.col("MIS_END_D").is_not_null()
            & (_years_after(pl.col("DOB_D"), 18) == pl.col("MIS_END_D"))
        )
        .select("CHILD", pl.col("MIS_END_D").alias("DEC_D"))
        .unique()
    )
    eps = f.episodes.filter(pl.col("DEC_D").is_not_null() & pl.col("_has_child"))
    eps = eps.select("_i", "CHILD", "DEC_D", "REC").join(ends, on=["CHILD", "DEC_D"], how="semi")
    return _where(eps, pl.col("REC").ne_missing(pl.lit("E8")))


# --- Sightline's own: what an import cannot hold -----------------------------------------------
# validate and import run the same rules, so a return that validates imports (docs/returns.md).


@rule(
    "SL02",
    EPISODES,
    ("URN",),
    "The URN is longer than 8 characters. An Ofsted URN has at most 8 (Sightline cannot hold "
    "a longer one).",
)
def _sl02(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("URN").str.len_chars() > 8)


@rule(
    "SL03",
    EPISODES,
    ("PL_POST",),
    "The placement postcode is blank. Sightline needs it to know where the child lived, to "
    "hold the placement.",
)
def _sl03(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("PL_POST").is_null())


@rule(
    "SL04",
    EPISODES,
    ("PL_POST",),
    "The placement postcode is outside England and Wales. Sightline can only hold placements "
    "in England and Wales (a host council and police force).",
)
def _sl04(f: Frames) -> Found:
    return flagged(f.episodes, pl.col("PL_COUNCIL").is_null() & pl.col("PL_FOUND"))


@rule(
    "SL05",
    MISSING,
    ("MIS_START",),
    "The child has no episode on the date this period started, so Sightline cannot tell which "
    "placement the child was missing from.",
)
def _sl05(f: Frames) -> pl.DataFrame:
    eps = f.episodes.filter(pl.col("DECOM_D").is_not_null()).select("CHILD", "DECOM_D", "DEC_D")
    mis = f.missing.filter(pl.col("MIS_START_D").is_not_null()).select("_i", "CHILD", "MIS_START_D")
    inside = (
        mis.join(eps, on="CHILD", how="inner")
        .filter(
            (pl.col("DECOM_D") <= pl.col("MIS_START_D"))
            & (pl.col("DEC_D").is_null() | (pl.col("MIS_START_D") <= pl.col("DEC_D")))
        )
        .select("_i")
        .unique()
    )
    return mis.join(inside, on="_i", how="anti").select("_i")


@rule(
    "SL06",
    HEADER,
    ("MOTHER",),
    "MOTHER is neither 1 (the child is a mother), 0 (is not) nor blank: Sightline cannot hold "
    "another value.",
)
def _sl06(f: Frames) -> Found:
    return flagged(f.header, pl.col("MOTHER").is_not_null() & ~pl.col("MOTHER").is_in(["0", "1"]))


# --- Against the previous year's return (the DfE's ``_last`` tables) -------------------------
# Each reads ``f.previous``, the same council's return for the year before, given as a second
# folder (``--previous``) or found in Sightline after an import of that year; without it
# they find nothing, as the peer's do without last year's files.

_NOTHING = pl.DataFrame(schema={"_i": pl.UInt32})


def _header_against_last(f: Frames, *columns: str) -> pl.DataFrame | None:
    """This year's Header rows of children also in last year's, with ``<column>_LAST``."""
    if f.previous is None:
        return None
    last = (
        f.previous.header.filter(pl.col("CHILD").is_not_null())
        .unique("CHILD", keep="first")
        .select("CHILD", *[pl.col(c).alias(f"{c}_LAST") for c in columns])
    )
    return f.header.join(last, on="CHILD", how="inner")


def _header_differs(column: str) -> RuleFunc:
    def check(f: Frames) -> pl.DataFrame:
        both = _header_against_last(f, column)
        if both is None:
            return _NOTHING
        now, before = pl.col(column), pl.col(f"{column}_LAST")
        if column == "SEX":
            # 2023/24 coded sex 1 and 2; 2024/25 M and F: the same child, not a change (the
            # peer compares the codes as text and reports every child across the change).
            now, before = now.replace(_SEX_1_2), before.replace(_SEX_1_2)
        return _where(both, now.ne_missing(before))

    return check


_SEX_1_2 = {"1": "M", "2": "F"}


rule(
    "202",
    HEADER,
    ("SEX",),
    "The gender code conflicts with the gender already recorded for this child.",
)(_header_differs("SEX"))
rule(
    "203",
    HEADER,
    ("DOB",),
    "Date of birth disagrees with the date of birth already recorded for this child.",
)(_header_differs("DOB"))
rule(
    "204",
    HEADER,
    ("ETHNIC",),
    "Ethnic origin code disagrees with the ethnic origin already recorded for this child.",
)(_header_differs("ETHNIC"))


@rule(
    "207",
    HEADER,
    ("MOTHER",),
    "Mother status for the current year disagrees with the mother status already recorded for "
    "this child.",
)
def _207(f: Frames) -> pl.DataFrame:
    both = _header_against_last(f, "MOTHER")
    if both is None:
        return _NOTHING
    with_episodes = f.episodes.select("CHILD").unique()
    both = both.join(with_episodes, on="CHILD", how="semi")
    return _where(both, (pl.col("MOTHER_LAST") == "1") & pl.col("MOTHER").ne_missing(pl.lit("1")))


@rule(
    "208",
    HEADER,
    ("UPN",),
    "Unique Pupil Number (UPN) for the current year disagrees with the Unique Pupil Number "
    "(UPN) already recorded for this child.",
)
def _208(f: Frames) -> pl.DataFrame:
    both = _header_against_last(f, "UPN")
    if both is None:
        return _NOTHING
    now, before = pl.col("UPN"), pl.col("UPN_LAST")
    unknown_now = now.is_null() | now.is_in(_UPN_UNKNOWN)
    unknown_before = before.is_null() | before.is_in(_UPN_UNKNOWN)
    # Allowed: blank or UN1 to another unknown code (UN2 to UN5), and unknown to a UPN.
    unknown_changed = (before.is_null() | (before == "UN1")) & now.is_in(_UPN_UNKNOWN[1:])
    found_upn = unknown_before & ~unknown_now
    return _where(both, now.ne_missing(before) & ~unknown_changed.fill_null(False) & ~found_upn)


@rule(
    "624",
    HEADER,
    ("MC_DOB",),
    "Date of birth of the first child contradicts the date of birth of the first child "
    "previously recorded.",
)
def _624(f: Frames) -> pl.DataFrame:
    both = _header_against_last(f, "MC_DOB")
    if both is None:
        return _NOTHING
    return _where(
        both,
        pl.col("MC_DOB_LAST").is_not_null() & pl.col("MC_DOB").ne_missing(pl.col("MC_DOB_LAST")),
    )


@rule(
    "626",
    HEADER,
    ("MOTHER", "MC_DOB"),
    "Child was reported as a mother but the date of birth of the first child is before the "
    "current year which contradicts with the mother status recorded last year.",
)
def _626(f: Frames) -> pl.DataFrame:
    both = _header_against_last(f, "MOTHER")
    if both is None:
        return _NOTHING
    return _where(
        both,
        (pl.col("MOTHER") == "1")
        & (pl.col("MOTHER_LAST") == "0")
        & (pl.col("MC_DOB_D") < _lit_date(f.context.year.start)),
    )


def _first_against_last(f: Frames) -> pl.DataFrame | None:
    """Each child's first episode this year beside the child's last episode of last year
    (``<column>_PRE``), for children in both."""
    if f.previous is None:
        return None
    cols = ("DECOM_D", "DEC_D", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "URN",
            "PL_LA", "PL_LOCATION", "PL_DISTANCE")  # fmt: skip
    first = f.episodes.filter(pl.col("_first") & pl.col("_has_child"))
    last = f.previous.episodes.filter(pl.col("_last") & pl.col("_has_child")).select(
        "CHILD", *[pl.col(c).alias(f"{c}_PRE") for c in cols]
    )
    return first.join(last, on="CHILD", how="inner")


def _first_differs(column: str) -> RuleFunc:
    def check(f: Frames) -> pl.DataFrame:
        both = _first_against_last(f)
        if both is None:
            return _NOTHING
        return _where(
            both,
            pl.col("DEC_D_PRE").is_null() & pl.col(column).ne_missing(pl.col(f"{column}_PRE")),
        )

    return check


_503_END = "does not match open episode at end of last year"
_503 = {
    "503A": ("RNE", f"The reason for new episode in the first episode {_503_END}."),
    "503B": ("LS", f"The legal status in the first episode {_503_END}."),
    "503C": ("CIN", f"The category of need in the first episode {_503_END}."),
    "503D": ("PLACE", f"The placement type in the first episode {_503_END}"),
    "503E": ("PLACE_PROVIDER", f"The placement provider in the first episode {_503_END}."),
    "503F": ("URN", f"The Ofsted URN in the  first episode {_503_END}."),
    "503H": ("PL_LA", f"The placement LA in first episode {_503_END}."),
    "503J": ("PL_LOCATION", f"The placement location in first episode {_503_END}."),
}
for _code, (_column, _message) in _503.items():
    if _column != "PLACE":
        rule(_code, EPISODES, (_column,), _message)(_first_differs(_column))


@rule("503D", EPISODES, ("PLACE",), _503["503D"][1])
def _503d(f: Frames) -> pl.DataFrame:
    both = _first_against_last(f)
    if both is None:
        return _NOTHING
    # Recodings between years are no change: H5 became K3 (2023/24 and 2024/25 returns), Z1
    # became Z11 to Z14 (2025/26).
    year = f.context.year.year
    recoded = (
        ((pl.col("PLACE") == "K3") & (pl.col("PLACE_PRE") == "H5") & pl.lit(year in (2024, 2025)))
        | (pl.col("PLACE").is_in(["Z11", "Z12", "Z13", "Z14"]) & (pl.col("PLACE_PRE") == "Z1")
           & pl.lit(year == 2026))
    )  # fmt: skip
    return _where(
        both,
        pl.col("DEC_D_PRE").is_null()
        & pl.col("PLACE").ne_missing(pl.col("PLACE_PRE"))
        & ~recoded.fill_null(False),
    )


def _distance_moved(same_rne: bool) -> RuleFunc:
    def check(f: Frames) -> pl.DataFrame:
        both = _first_against_last(f)
        if both is None:
            return _NOTHING
        moved = ((pl.col("PL_DISTANCE") - pl.col("PL_DISTANCE_PRE")).abs() >= 0.2) | (
            pl.col("PL_DISTANCE_PRE").is_null() & pl.col("PL_DISTANCE").is_not_null()
        )
        condition = pl.col("DEC_D_PRE").is_null() & moved
        if same_rne:
            condition = condition & (pl.col("RNE") == pl.col("RNE_PRE"))
        return _where(both, condition)

    return check


rule(
    "503G",
    EPISODES,
    ("PL_DISTANCE",),
    "The distance in first episode does not match open episode at end of last year.",
)(_distance_moved(same_rne=False))
rule(
    "453",
    EPISODES,
    ("PL_DISTANCE",),
    "Contradiction between placement distance in the last episode of the previous year and in "
    "the first episode of the current year.",
)(_distance_moved(same_rne=True))


@rule(
    "452",
    EPISODES,
    ("PL_LA",),
    "Contradiction between local authority of placement code in the last episode of the "
    "previous year and in the first episode of the current year.",
)
def _452(f: Frames) -> pl.DataFrame:
    both = _first_against_last(f)
    if both is None:
        return _NOTHING
    return _where(
        both,
        pl.col("DEC_D_PRE").is_null()
        & (pl.col("RNE") == pl.col("RNE_PRE"))
        & pl.col("PL_LA").ne_missing(pl.col("PL_LA_PRE")),
    )


@rule(
    "502",
    EPISODES,
    ("DECOM",),
    "Last year's record ended with an open episode. The date on which that episode started "
    "does not match the start date of the first episode on this year’s record.",
)
def _502(f: Frames) -> pl.DataFrame:
    both = _first_against_last(f)
    if both is None:
        return _NOTHING
    return _where(
        both, pl.col("DEC_D_PRE").is_null() & pl.col("DECOM_D").ne_missing(pl.col("DECOM_D_PRE"))
    )


@rule(
    "562",
    EPISODES,
    ("DECOM",),
    "Episode commenced before the start of the current collection year but there is a missing "
    "continuous episode in the previous year.",
)
def _562(f: Frames) -> pl.DataFrame:
    if f.previous is None:
        return _NOTHING
    start = _lit_date(f.context.year.start)
    first = f.episodes.filter(pl.col("_first") & pl.col("_has_child") & (pl.col("DECOM_D") < start))
    last = f.previous.episodes.filter(pl.col("_last") & pl.col("_has_child")).select(
        "CHILD", "DECOM_D"
    )
    return first.join(last, on=["CHILD", "DECOM_D"], how="anti").select("_i")


@rule(
    "NoE",
    EPISODES,
    ("DECOM",),
    "This child has no episodes loaded for previous year even though child started to be "
    "looked after before this current year.",
)
def _noe(f: Frames) -> pl.DataFrame:
    if f.previous is None:
        return _NOTHING
    start = _lit_date(f.context.year.start)
    before = f.episodes.filter(pl.col("_has_child") & (pl.col("DECOM_D") < start))
    last = f.previous.episodes.select("CHILD").unique()
    return before.join(last, on="CHILD", how="anti").select("_i")


@rule(
    "199",
    EPISODES,
    ("CHILD",),
    "Episode information shows child has been previously adopted from care. [NOTE: This only "
    "tests the current and previous year data loaded into the tool]",
)
def _199(f: Frames) -> pl.DataFrame:
    # Any episode after a child's first adoption (E11, E12), this year or last.
    this = f.episodes.filter(pl.col("_has_child") & pl.col("DECOM_D").is_not_null()).select(
        "_i", "CHILD", "DECOM_D", "REC"
    )
    frames = [this]
    if f.previous is not None:
        last = f.previous.episodes.filter(
            pl.col("_has_child") & pl.col("DECOM_D").is_not_null()
        ).select(pl.lit(None, dtype=pl.UInt32).alias("_i"), "CHILD", "DECOM_D", "REC")
        frames.append(last.cast({"_i": this.schema["_i"]}))
    eps = pl.concat(frames).sort("CHILD", "DECOM_D")
    adopted = pl.col("REC").is_in(["E11", "E12"]).fill_null(False).cast(pl.Int32)
    eps = eps.with_columns(_ads=adopted.cum_sum().over("CHILD"))
    return _where(
        eps.filter(pl.col("_i").is_not_null()),
        (pl.col("_ads") > 1) | ((pl.col("_ads") == 1) & (adopted == 0)),
    )


@rule(
    "576",
    MISSING,
    ("CHILD",),
    "There is an open missing/away from placement without authorisation period in last year’s "
    "return and there is no corresponding period recorded at the start of this year.",
)
def _576(f: Frames) -> pl.DataFrame:
    if f.previous is None:
        return _NOTHING
    open_last = (
        f.previous.missing.filter(pl.col("MIS_END").is_null() & pl.col("CHILD").is_not_null())
        .group_by("CHILD")
        .agg(pl.col("MIS_START_D").alias("_open"))
    )
    first = (
        f.missing.filter(pl.col("CHILD").is_not_null())
        .sort("MIS_START_D", nulls_last=True)
        .group_by("CHILD")
        .agg(pl.col("_i").first(), pl.col("MIS_START_D").first())
    )
    both = first.join(open_last, on="CHILD", how="inner")
    return _where(both, ~pl.col("MIS_START_D").is_in(pl.col("_open")).fill_null(False))


@rule(
    "387",
    EPISODES,
    ("REC",),
    "Reason episode ceased is child moved into independent living arrangement, but the child "
    "is aged under 14.",
)
def _387(f: Frames) -> pl.DataFrame:
    eps = _episodes_with_dob(f, pl.col("REC").is_in(["E5", "E6"]) & pl.col("DEC_D").is_not_null())
    return _where(eps, _years_after(pl.col("HDR_DOB"), 14) > pl.col("DEC_D"))


# The other nine tables' rules register into RULES here (returns/rules_<area>.py).
from sightline.returns import rules_more  # noqa: E402, F401

#: Rules by code and table (SL01 checks each of the three tables).
RULES_BY_KEY: dict[tuple[str, str], Rule] = {(r.code, r.table): r for r in RULES}
assert len(RULES_BY_KEY) == len(RULES), "each rule once per table"
