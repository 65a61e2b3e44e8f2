"""The DfE's rules that read one of the other nine tables together with Episodes, the Header
or last year's return (``Frames.previous``): the care leavers' cohort of OC3, the ages of the
OC2 cohort, and the adoption records against the episodes of adoption.

A rule that names records of two tables is registered once for each, so that each record it
finds is reported in its own file and row (as ``rules_cross``). A rule that reads last year's
return finds nothing without it, as the peer's do without last year's files.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from sightline.returns.derive import Frames, once
from sightline.returns.rules_common import (
    ALL_YEARS,
    Found,
    flagged,
    lit_date,
    table_rule,
    where,
    years_after,
)
from sightline.returns.schema import AD1, EPISODES, HEADER, OC2, OC2_FLAGS, OC3, PLACED_ADOPTION

Pairs = Callable[[Frames], pl.DataFrame]
_NOTHING = pl.DataFrame(schema={"_i": pl.UInt32})
_OC3_ITEMS = ("IN_TOUCH", "ACTIV", "ACCOM")


def _children(frame: pl.DataFrame, condition: pl.Expr | None = None) -> pl.Series:
    """The distinct CHILD ids of ``frame``'s records (that meet ``condition``)."""
    keep = pl.col("CHILD").is_not_null()
    if condition is not None:
        keep = keep & condition.fill_null(False)
    return frame.filter(keep).get_column("CHILD").unique()


# --- OC2: ages at the year's start and end ----------------------------------------------------


@table_rule(
    "188",
    OC2,
    ("SDQ_SCORE", "SDQ_REASON"),
    "Child is aged under 4 years at the end of the year, but a Strengths and Difficulties (SDQ) "
    "score or a reason for no SDQ score has been completed. ",
)
def _188(f: Frames) -> Found:
    under_4 = years_after(pl.col("DOB_D"), 4) > lit_date(f.context.year.end)
    sdq = pl.col("SDQ_SCORE").is_not_null() | pl.col("SDQ_REASON").is_not_null()
    return flagged(f.table(OC2), under_4 & sdq)


@table_rule(
    "189",
    OC2,
    ("DOB", "SDQ_SCORE", "SDQ_REASON"),
    "Child is aged 17 years or over at the beginning of the year, but an Strengths and "
    "Difficulties (SDQ) score or a reason for no Strengths and Difficulties (SDQ) score has "
    "been completed.",
)
def _189(f: Frames) -> Found:
    # The peer's test is "17th birthday before the year started" (strictly).
    over_17 = years_after(pl.col("DOB_D"), 17) < lit_date(f.context.year.start)
    sdq = pl.col("SDQ_SCORE").is_not_null() | pl.col("SDQ_REASON").is_not_null()
    return flagged(f.table(OC2), over_17 & sdq)


@table_rule(
    "547",
    OC2,
    ("HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE"),
    "Any child who has health promotion information completed must also have immunisation, "
    "teeth check, health assessment and substance misuse problem identified fields completed.",
)
def _547(f: Frames) -> Found:
    others = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
    blank = pl.any_horizontal(pl.col(c).is_null() for c in others)
    return flagged(f.table(OC2), (pl.col("HEALTH_CHECK") == "1") & blank)


# --- OC3: the care leavers' cohort ----------------------------------------------------------


@table_rule(
    "391",
    OC3,
    ("DOB", *_OC3_ITEMS),
    "Young person was not 17, 18, 19, 20 or 21 during the current collection year. ",
)
def _391(f: Frames) -> Found:
    # As the peer: under 17 at the end of the year, with any care leaver item given.
    under_17 = years_after(pl.col("DOB_D"), 17) > lit_date(f.context.year.end)
    given = pl.any_horizontal(pl.col(c).is_not_null() for c in _OC3_ITEMS)
    return flagged(f.table(OC3), under_17 & given)


@table_rule(
    "3001",
    OC3,
    ("REC",),
    "Where care leavers information is being returned for a young person around their 17th "
    "birthday, the accommodation cannot be with their former foster carer(s).",
)
def _3001(f: Frames) -> pl.DataFrame:
    # The date of birth is the Header's (the peer's), for children the Header holds.
    dob = f.header.filter(pl.col("CHILD").is_not_null()).unique("CHILD", keep="first")
    frame = f.table(OC3).join(
        dob.select("CHILD", pl.col("DOB_D").alias("_dob")), on="CHILD", how="left"
    )
    turns_17 = years_after(pl.col("_dob"), 17).is_between(
        lit_date(f.context.year.start), lit_date(f.context.year.end)
    )
    return where(frame, pl.col("ACCOM").str.to_uppercase().is_in(["Z1", "Z2"]) & turns_17)


@table_rule(
    "1000",
    OC3,
    _OC3_ITEMS,
    "This child is recorded as having died in care and therefore should not have the care "
    "leaver information completed. [NOTE: This only tests the current and previous year data "
    "loaded into the tool]",
    needs=(EPISODES,),
)
def _1000(f: Frames) -> Found:
    died = pl.col("REC").str.to_uppercase() == "E2"
    children = _children(f.episodes, died)
    if f.previous is not None:
        children = pl.concat([children, _children(f.previous.episodes, died)])
    return flagged(f.table(OC3), pl.col("CHILD").is_in(children.implode()))


@table_rule(
    "1002",
    OC3,
    _OC3_ITEMS,
    "This child has no previous episodes of care, therefore should not have care leaver "
    "information recorded. [NOTE: This tool can only test the current and previous year data "
    "loaded into the tool - this check may generate false positives if a child had episodes "
    "prior to last year's collection.]",
    needs=(EPISODES,),
)
def _1002(f: Frames) -> Found:
    if f.previous is None:
        return _NOTHING
    children = pl.concat([_children(f.episodes), _children(f.previous.episodes)])
    return flagged(f.table(OC3), ~pl.col("CHILD").is_in(children.implode()))


# --- Adoption: PlacedAdoption and AD1 against the episodes ---------------------------------


@table_rule(
    "563",
    PLACED_ADOPTION,
    ("DATE_PLACED", "REASON_PLACED_CEASED", "DATE_PLACED_CEASED"),
    "The child should no longer be placed for adoption but the date of the decision that the "
    "child should be placed for adoption is blank",
)
def _563(f: Frames) -> Found:
    return flagged(
        f.table(PLACED_ADOPTION),
        pl.col("REASON_PLACED_CEASED").is_not_null()
        & pl.col("DATE_PLACED_CEASED").is_not_null()
        & pl.col("DATE_PLACED").is_null(),
    )


@table_rule(
    "559",
    PLACED_ADOPTION,
    ("DATE_PLACED",),
    "Date of decision that a child should be placed for adoption was not in the current year "
    "but the date of the decision that the child should be placed for adoption was not "
    "completed in a previous return.",
)
def _559(f: Frames) -> Found:
    if f.previous is None or PLACED_ADOPTION not in f.previous.supplied:
        return _NOTHING
    known = _children(f.previous.table(PLACED_ADOPTION), pl.col("DATE_PLACED_D").is_not_null())
    return flagged(
        f.table(PLACED_ADOPTION),
        (pl.col("DATE_PLACED_D") < lit_date(f.context.year.start))
        & ~pl.col("CHILD").is_in(known.implode()),
    )


@table_rule(
    "551",
    EPISODES,
    ("DATE_PLACED", "PLACE"),
    "Child has been placed for adoption but there is no date of the decision that the child "
    "should be placed for adoption.",
    needs=(PLACED_ADOPTION,),
)
def _551(f: Frames) -> Found:
    decided = _children(f.table(PLACED_ADOPTION), pl.col("DATE_PLACED").is_not_null())
    return flagged(
        f.episodes,
        pl.col("PLACE").is_in(["A3", "A4", "A5", "A6"]) & ~pl.col("CHILD").is_in(decided.implode()),
    )


@table_rule(
    "556",
    EPISODES,
    ("DATE_PLACED", "DECOM"),
    "Date of decision that the child should be placed for adoption should be on or prior to "
    "the date that the freeing order was granted.",
    needs=(PLACED_ADOPTION,),
    years=frozenset({2024}),
)
def _556(f: Frames) -> pl.DataFrame:
    placed = f.table(PLACED_ADOPTION).select("CHILD", "DATE_PLACED_D")
    frame = f.episodes.filter(pl.col("LS") == "D1").join(placed, on="CHILD", how="inner")
    return where(frame, pl.col("DATE_PLACED_D") > pl.col("DECOM_D")).unique()


_334 = (
    "Date child started to be looked after in latest period of care must be on or prior to "
    "the date should be placed for adoption. "
)


@once
def _334_pairs(f: Frames) -> pl.DataFrame:
    """Each child's latest episode that started a period of care (RNE S) with their AD1
    records whose DATE_INT is before it."""
    latest = (
        f.episodes.filter(
            pl.col("_has_child") & (pl.col("RNE") == "S") & pl.col("DECOM_D").is_not_null()
        )
        .sort("DECOM_D")
        .group_by("CHILD")
        .agg(_ep=pl.col("_i").last(), DECOM_D=pl.col("DECOM_D").last())
    )
    adoption = f.table(AD1).select("CHILD", "DATE_INT_D", _ad=pl.col("_i"))
    pairs = latest.join(adoption, on="CHILD", how="inner")
    return pairs.filter((pl.col("DATE_INT_D") < pl.col("DECOM_D")).fill_null(False))


@table_rule("334", EPISODES, ("DATE_INT", "DECOM", "RNE"), _334, needs=(AD1,))
def _334_episodes(f: Frames) -> pl.DataFrame:
    return _334_pairs(f).select(pl.col("_ep").alias("_i")).unique()


@table_rule("334", AD1, ("DATE_INT", "DECOM", "RNE"), _334, needs=(AD1,))
def _334_ad1(f: Frames) -> pl.DataFrame:
    return _334_pairs(f).select(pl.col("_ad").alias("_i")).unique()


_335 = (
    "The current foster value (0) suggests that child is not adopted by current foster carer, "
    "but last placement is A2, A3, or A5. Or the current foster value (1) suggests that child "
    "is adopted by current foster carer, but last placement is A1, A4 or A6."
)


@once
def _335_pairs(f: Frames) -> pl.DataFrame:
    adoption = f.table(AD1).select("CHILD", "FOSTER_CARE", _ad=pl.col("_i"))
    pairs = f.episodes.filter(pl.col("REC").is_in(["E1", "E11", "E12"])).join(
        adoption, on="CHILD", how="inner"
    )
    wrong = (pl.col("PLACE").is_in(["A2", "A3", "A5"]) & (pl.col("FOSTER_CARE") == "0")) | (
        pl.col("PLACE").is_in(["A1", "A4", "A6"]) & (pl.col("FOSTER_CARE") == "1")
    )
    return pairs.filter(wrong.fill_null(False))


@table_rule("335", EPISODES, ("PLACE", "FOSTER_CARE"), _335, needs=(AD1,))
def _335_episodes(f: Frames) -> pl.DataFrame:
    return _335_pairs(f).select("_i").unique()


@table_rule("335", AD1, ("PLACE", "FOSTER_CARE"), _335, needs=(AD1,))
def _335_ad1(f: Frames) -> pl.DataFrame:
    return _335_pairs(f).select(pl.col("_ad").alias("_i")).unique()


def _first_or_last(episodes: pl.DataFrame, *, last: bool) -> pl.DataFrame:
    """Each child's first (or last) of ``episodes`` by start date: ``_ep`` and DECOM_D."""
    dated = episodes.filter(pl.col("_has_child") & pl.col("DECOM_D").is_not_null())
    pick = pl.col("_i").sort_by("DECOM_D")
    when = pl.col("DECOM_D").sort()
    return dated.group_by("CHILD").agg(
        _ep=pick.last() if last else pick.first(),
        DECOM_D=when.last() if last else when.first(),
    )


def _placed_pairs(episodes: pl.DataFrame, f: Frames, condition: pl.Expr) -> pl.DataFrame:
    """Pairs of ``episodes`` (with ``_ep``) and the same child's PlacedAdoption records
    (``_pa``) that meet ``condition``."""
    placed = f.table(PLACED_ADOPTION).select(
        "CHILD", "DATE_PLACED_D", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED", _pa=pl.col("_i")
    )
    pairs = episodes.join(placed, on="CHILD", how="inner")
    return pairs.filter(condition.fill_null(False))


def _both_tables(code: str, fields: tuple[str, ...], message: str, pairs, *, years=None) -> None:
    """Register ``code`` on Episodes (``_ep``) and on PlacedAdoption (``_pa``) of ``pairs``."""
    pairs = once(pairs)

    @table_rule(code, EPISODES, fields, message, needs=(PLACED_ADOPTION,), years=years or ALL_YEARS)
    def _episodes(f: Frames) -> pl.DataFrame:
        return pairs(f).select(pl.col("_ep").alias("_i")).drop_nulls().unique()

    @table_rule(
        code, PLACED_ADOPTION, fields, message, needs=(PLACED_ADOPTION,), years=years or ALL_YEARS
    )
    def _placed(f: Frames) -> pl.DataFrame:
        return pairs(f).select(pl.col("_pa").alias("_i")).drop_nulls().unique()


def _552(f: Frames) -> pl.DataFrame:
    # The first adoption placement against the latest decision to place.
    adoption = f.episodes.filter(pl.col("PLACE").is_in(["A3", "A4", "A5", "A6"]))
    first = _first_or_last(adoption, last=False)
    latest = (
        f.table(PLACED_ADOPTION)
        .filter(pl.col("CHILD").is_not_null() & pl.col("DATE_PLACED_D").is_not_null())
        .group_by("CHILD")
        .agg(
            _pa=pl.col("_i").sort_by("DATE_PLACED_D").last(), _placed=pl.col("DATE_PLACED_D").max()
        )
    )
    pairs = first.join(latest, on="CHILD", how="inner")
    return pairs.filter((pl.col("DECOM_D") < pl.col("_placed")).fill_null(False))


_both_tables(
    "552",
    ("DATE_PLACED", "DECOM"),
    "Date of Decision to place a child for adoption should be on or prior to the date that the "
    "child was placed for adoption.",
    _552,
)


def _order_without_decision(ls: str) -> Pairs:
    """553 (E1, placement order) and 555 (D1, freeing order): an episode under the order for
    a child with no PlacedAdoption record, and a decision ceased while the order is open."""

    def pairs(f: Frames) -> pl.DataFrame:
        placed = f.table(PLACED_ADOPTION).filter(pl.col("CHILD").is_not_null())
        under = f.episodes.filter(pl.col("LS") == ls)
        no_record = under.join(placed.select("CHILD"), on="CHILD", how="anti").select(
            _ep=pl.col("_i"), _pa=pl.lit(None, dtype=pl.UInt32)
        )
        ceased = _placed_pairs(
            under.filter(pl.col("DEC").is_null()),
            f,
            pl.col("DATE_PLACED_CEASED").is_not_null()
            | pl.col("REASON_PLACED_CEASED").is_not_null(),
        ).select(_ep=pl.lit(None, dtype=pl.UInt32), _pa=pl.col("_pa"))
        return pl.concat([no_record, ceased])

    return pairs


_553 = _order_without_decision("E1")
_555 = _order_without_decision("D1")
for _code, _pairs, _years, _message in (
    (
        "553",
        _553,
        None,
        "Placement order has been granted but there is no date of decision that the child "
        "should be placed for adoption.",
    ),
    (
        "555",
        _555,
        frozenset({2024}),
        "Freeing order has been granted but there is no date of decision that the child "
        "should be placed for adoption.",
    ),
):
    _both_tables(
        _code,
        ("CHILD", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"),
        _message,
        _pairs,
        years=_years,
    )


def _554(f: Frames) -> pl.DataFrame:
    first = _first_or_last(f.episodes.filter(pl.col("LS") == "E1"), last=False)
    return _placed_pairs(first, f, pl.col("DATE_PLACED_D") > pl.col("DECOM_D"))


_both_tables(
    "554",
    ("DATE_PLACED", "DECOM", "LS"),
    "Date of decision that the child should be placed for adoption should be on or prior to the "
    "date that the placement order was granted. [NOTE: This rule may result in false positives "
    "or false negatives if relevant episodes are in previous years; please check carefully!]",
    _554,
)


def _1003(f: Frames) -> pl.DataFrame:
    first = _first_or_last(f.episodes.filter(pl.col("RNE") == "S"), last=False)
    return _placed_pairs(first, f, pl.col("DATE_PLACED_D") < pl.col("DECOM_D"))


_both_tables(
    "1003",
    ("DATE_PLACED", "DECOM", "RNE"),
    "Date of LA's decision that a child should be placed for adoption is before the child "
    "started to be looked after.",
    _1003,
)


@table_rule(
    "1010",
    OC3,
    _OC3_ITEMS,
    "This child has no episodes loaded for current year even though there was an open episode "
    "of care at the end of the previous year, and care leaver data has been entered.",
    needs=(EPISODES,),
)
def _1010(f: Frames) -> Found:
    if f.previous is None:
        return _NOTHING
    last = f.previous.episodes.filter(pl.col("DECOM_D").is_not_null())
    latest = _first_or_last(last, last=True).join(
        last.select(_ep=pl.col("_i"), DEC=pl.col("DEC")), on="_ep", how="inner"
    )
    still_open = _children(latest, pl.col("DEC").is_null())
    return flagged(
        f.table(OC3),
        pl.col("CHILD").is_in(still_open.implode())
        & ~pl.col("CHILD").is_in(_children(f.episodes).implode()),
    )


@table_rule(
    "1011",
    OC3,
    _OC3_ITEMS,
    "This child is recorded as having his/her care transferred to another local authority for "
    "the final episode and therefore should not have the care leaver information completed.",
    needs=(EPISODES,),
)
def _1011(f: Frames) -> Found:
    latest = _first_or_last(f.episodes, last=True).join(
        f.episodes.select(_ep=pl.col("_i"), REC=pl.col("REC")), on="_ep", how="inner"
    )
    transferred = _children(latest, pl.col("REC") == "E3")
    given = pl.any_horizontal(pl.col(c).is_not_null() for c in _OC3_ITEMS)
    return flagged(f.table(OC3), pl.col("CHILD").is_in(transferred.implode()) & given)


# --- OC2: children looked after continuously for 12 months at 31 March ----------------------


@once
def continuously_looked_after(f: Frames) -> pl.Series:
    """The children looked after continuously for 12 months at 31 March, as the DfE's
    guidance and the peer define it: in care at some time in the year, and no episode that
    started a period of care after 1 April, ended one in the year (a reason other than X1) or
    was under V3 or V4 in the year."""
    start, end = lit_date(f.context.year.start), lit_date(f.context.year.end)
    during = (pl.col("DECOM_D") <= end) & ((pl.col("DEC_D") >= start) | pl.col("DEC_D").is_null())
    enters = (pl.col("RNE") == "S") & (pl.col("DECOM_D") > start) & (pl.col("DECOM_D") <= end)
    leaves = (
        (pl.col("REC").is_null() | (pl.col("REC") != "X1"))
        & (pl.col("DEC_D") >= start)
        & (pl.col("DEC_D") < end)
    )
    short_breaks = pl.col("LS").is_in(["V3", "V4"]) & during
    children = (
        f.episodes.filter(pl.col("_has_child"))
        .group_by("CHILD")
        .agg(
            _in=during.fill_null(False).any(),
            _broken=(enters.fill_null(False) | leaves.fill_null(False))
            .or_(short_breaks.fill_null(False))
            .any(),
        )
    )
    return children.filter(pl.col("_in") & ~pl.col("_broken")).get_column("CHILD")


def _cla(f: Frames) -> pl.Expr:
    return pl.col("CHILD").is_in(continuously_looked_after(f).implode())


@table_rule(
    "190",
    OC2,
    OC2_FLAGS,
    "Child has not been looked after continuously for at least 12 months at 31 March but one "
    "or more data items relating to children looked after for 12 months have been completed.",
    needs=(EPISODES,),
)
def _190(f: Frames) -> Found:
    given = pl.any_horizontal(pl.col(c).is_not_null() for c in OC2_FLAGS)
    return flagged(f.table(OC2), ~_cla(f) & given)


_OC2_NEEDED = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
_191 = (
    "Child has been looked after continuously for at least 12 months at 31 March but one or "
    "more data items relating to children looked after for 12 months have been left blank."
)


@table_rule("191", OC2, (*_OC2_NEEDED, "CHILD"), _191, needs=(EPISODES,))
def _191_oc2(f: Frames) -> Found:
    blank = pl.any_horizontal(pl.col(c).is_null() for c in _OC2_NEEDED)
    return flagged(f.table(OC2), _cla(f) & blank)


@table_rule("191", EPISODES, (*_OC2_NEEDED, "CHILD"), _191, needs=(OC2,))
def _191_episodes(f: Frames) -> pl.DataFrame:
    # The first episode of each such child with no OC2 record at all.
    first = _first_or_last(f.episodes, last=False)
    missing = first.join(f.table(OC2).select("CHILD"), on="CHILD", how="anti")
    return missing.filter(_cla(f)).select(pl.col("_ep").alias("_i"))


@table_rule(
    "544",
    OC2,
    ("CONVICTED", *_OC2_NEEDED),
    "Any child who has conviction information completed must also have immunisation, teeth "
    "check, health assessment and substance misuse problem identified fields completed.",
)
def _544(f: Frames) -> Found:
    blank = pl.any_horizontal(pl.col(c).is_null() for c in _OC2_NEEDED)
    return flagged(f.table(OC2), (pl.col("CONVICTED") == "1") & blank)


@table_rule(
    "545",
    OC2,
    ("DOB", "HEALTH_CHECK"),
    "Child is aged under 5 at 31 March and has been looked after continuously for 12 months "
    "yet health promotion information has not been completed.",
    needs=(EPISODES,),
)
def _545(f: Frames) -> Found:
    under_5 = years_after(pl.col("DOB_D"), 5) > lit_date(f.context.year.end)
    return flagged(f.table(OC2), under_5 & _cla(f) & pl.col("HEALTH_CHECK").is_null())


@table_rule(
    "546",
    OC2,
    ("DOB", "HEALTH_CHECK"),
    "Children aged 5 or over at 31 March should not have health promotion information completed.",
    needs=(EPISODES,),
)
def _546(f: Frames) -> Found:
    five = years_after(pl.col("DOB_D"), 5) <= lit_date(f.context.year.end)
    return flagged(f.table(OC2), five & _cla(f) & pl.col("HEALTH_CHECK").is_not_null())


@table_rule(
    "543",
    OC2,
    ("DOB", "CONVICTED"),
    "Child is aged 10 or over at 31 March and has been looked after continuously for 12 months "
    "yet conviction information has not been completed.",
    needs=(EPISODES,),
)
def _543(f: Frames) -> Found:
    ten = years_after(pl.col("DOB_D"), 10) < lit_date(f.context.year.end)
    return flagged(f.table(OC2), ten & _cla(f) & pl.col("CONVICTED").is_null())


@table_rule(
    "185",
    OC2,
    ("SDQ_SCORE",),
    "Child has not been looked after continuously for at least 12 months at 31 March but a "
    "Strengths and Difficulties (SDQ) score has been completed.",
    needs=(EPISODES,),
)
def _185(f: Frames) -> Found:
    return flagged(f.table(OC2), ~_cla(f) & pl.col("SDQ_SCORE").is_not_null())


@table_rule(
    "198",
    OC2,
    ("SDQ_REASON",),
    "Child has not been looked after continuously for at least 12 months at 31 March but a "
    "reason for no Strengths and Difficulties (SDQ) score has been completed. ",
    needs=(EPISODES,),
)
def _198(f: Frames) -> Found:
    return flagged(f.table(OC2), ~_cla(f) & pl.col("SDQ_REASON").is_not_null())


def _118(f: Frames) -> pl.DataFrame:
    # Each child's earliest episode but short breaks, against a decision ceased before it
    # or before the year.
    earliest = _first_or_last(
        f.episodes.filter(~pl.col("LS").is_in(["V3", "V4"]).fill_null(False)), last=False
    )
    ceased = f.table(PLACED_ADOPTION).select("CHILD", "DATE_PLACED_CEASED_D", _pa=pl.col("_i"))
    pairs = earliest.join(ceased, on="CHILD", how="inner")
    return pairs.filter(
        (
            (pl.col("DATE_PLACED_CEASED_D") < pl.col("DECOM_D"))
            | (pl.col("DATE_PLACED_CEASED_D") < lit_date(f.context.year.start))
        ).fill_null(False)
    )


_both_tables(
    "118",
    ("DECOM", "DECOM", "LS"),
    "Date of decision that a child should no longer be placed for adoption is before the "
    "current collection year or before the date the child started to be looked after.",
    _118,
)


@table_rule(
    "186",
    OC2,
    ("SDQ_SCORE",),
    "Children aged 4 or over at the start of the year and children aged under 17 at the end of "
    "the year and who have been looked after for at least 12 months continuously should have a "
    "Strengths and Difficulties (SDQ) score completed.",
    needs=(EPISODES,),
)
def _186(f: Frames) -> Found:
    ages = (years_after(pl.col("DOB_D"), 4) <= lit_date(f.context.year.start)) & (
        years_after(pl.col("DOB_D"), 17) > lit_date(f.context.year.end)
    )
    blank = pl.col("SDQ_SCORE").is_null() & pl.col("SDQ_REASON").is_null()
    return flagged(f.table(OC2), ages & _cla(f) & blank)


def _117(f: Frames) -> pl.DataFrame:
    # Each child's latest episode but those ending with a new episode (X1), against the
    # decision to place (or to stop) after the year or after that episode ended.
    latest = _first_or_last(
        f.episodes.filter(pl.col("REC").is_null() | (pl.col("REC") != "X1")), last=True
    ).join(f.episodes.select(_ep=pl.col("_i"), DEC_D=pl.col("DEC_D")), on="_ep", how="inner")
    placed = f.table(PLACED_ADOPTION).select(
        "CHILD", "DATE_PLACED_D", "DATE_PLACED_CEASED_D", _pa=pl.col("_i")
    )
    end = lit_date(f.context.year.end)
    late = pl.any_horizontal(
        (pl.col(c) > end) | (pl.col(c) > pl.col("DEC_D"))
        for c in ("DATE_PLACED_D", "DATE_PLACED_CEASED_D")
    )
    return latest.join(placed, on="CHILD", how="inner").filter(late.fill_null(False))


_both_tables(
    "117",
    ("DATE_PLACED_CEASED", "DATE_PLACED", "DEC", "REC", "DECOM"),
    "Date of decision that a child should/should no longer be placed for adoption is beyond the "
    "current collection year or after the child ceased to be looked after.",
    _117,
)


@table_rule(
    "628",
    HEADER,
    ("MOTHER",),
    "Motherhood details are not required for care leavers who have not been looked after "
    "during the year.",
    needs=(EPISODES, OC3),
)
def _628(f: Frames) -> Found:
    given = pl.any_horizontal(pl.col(c).is_not_null() for c in _OC3_ITEMS)
    leavers = _children(f.table(OC3), given)
    in_care = _children(f.episodes)
    return flagged(
        f.header,
        pl.col("CHILD").is_in(leavers.implode())
        & ~pl.col("CHILD").is_in(in_care.implode())
        & pl.col("MOTHER").is_not_null(),
    )
