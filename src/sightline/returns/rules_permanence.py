"""The DfE's rules of the PrevPerm table (the child's previous permanence option)."""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.rules_common import (
    Found,
    differs_from_header,
    flagged,
    lit_date,
    more_than_once,
    not_in,
    not_in_header,
    table_rule,
    where,
)
from sightline.returns.schema import EPISODES, LA_PERM_CODES, PREV_PERM, PREV_PERM_CODES


@table_rule("631", PREV_PERM, ("PREV_PERM",), "Previous permanence option not a valid value.")
def _631(f: Frames) -> Found:
    return flagged(f.table(PREV_PERM), not_in("PREV_PERM", PREV_PERM_CODES))


@table_rule(
    "633",
    PREV_PERM,
    ("LA_PERM",),
    "Local authority code where previous permanence option was arranged is not a valid value.",
)
def _633(f: Frames) -> Found:
    return flagged(f.table(PREV_PERM), not_in("LA_PERM", LA_PERM_CODES))


@table_rule(
    "635",
    PREV_PERM,
    ("LA_PERM", "DATE_PERM", "PREV_PERM"),
    "There are entries for date of order and local authority code where previous permanence "
    "option was arranged but previous permanence code is Z1",
)
def _635(f: Frames) -> Found:
    given = pl.col("LA_PERM").is_not_null() | pl.col("DATE_PERM").is_not_null()
    return flagged(f.table(PREV_PERM), given & pl.col("PREV_PERM").is_null())


@table_rule(
    "630",
    EPISODES,
    ("RNE",),
    "Information on previous permanence option should be returned.",
    needs=(PREV_PERM,),
)
def _630(f: Frames) -> pl.DataFrame:
    started = f.episodes.filter(
        (pl.col("RNE") == "S") & (pl.col("DECOM_D") >= lit_date(f.context.year.start))
    ).select("_i", "CHILD")
    perm = f.table(PREV_PERM).select("CHILD", "PREV_PERM", "LA_PERM", "DATE_PERM", _in=pl.lit(1))
    joined = started.join(perm, on="CHILD", how="left")
    absent = pl.col("_in").is_null()
    incomplete = (pl.col("PREV_PERM") != "Z1") & (
        pl.col("LA_PERM").is_null() | pl.col("DATE_PERM").is_null()
    )
    no_option = pl.col("_in").is_not_null() & pl.col("PREV_PERM").is_null()
    return where(joined, absent | incomplete | no_option).unique()


@table_rule(
    "634",
    PREV_PERM,
    ("LA_PERM", "PREV_PERM", "DATE_PERM", "DECOM"),
    "There are entries for previous permanence options, but child has not started to be "
    "looked after from 1 April 2016 onwards.",
)
def _634(f: Frames) -> pl.DataFrame:
    last = (
        f.episodes.filter(pl.col("_has_child"))
        .group_by("CHILD")
        .agg(last_decom=pl.col("DECOM_D").max())
    )
    frame = f.table(PREV_PERM).join(last, on="CHILD", how="left")
    given = pl.any_horizontal(
        pl.col(c).is_not_null() for c in ("PREV_PERM", "LA_PERM", "DATE_PERM")
    )
    return where(frame, given & (pl.col("last_decom") < lit_date(f.context.year.start)))


@table_rule(
    "INT07", PREV_PERM, ("CHILD",), "Internal Check: Child in PrevPerm does not exist in Header."
)
def _int07(f: Frames) -> pl.DataFrame:
    return not_in_header(f, PREV_PERM)


@table_rule(
    "INT16", PREV_PERM, ("DOB",), "Internal Check: DOB in PrevPerm is different to DOB in Header."
)
def _int16(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, PREV_PERM, "DOB")


@table_rule(
    "INT35", PREV_PERM, ("CHILD",), "Internal Check: Child should only exist once in PrevPerm."
)
def _int35(f: Frames) -> pl.DataFrame:
    return more_than_once(f, PREV_PERM)
