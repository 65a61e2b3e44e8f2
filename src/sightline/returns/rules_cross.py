"""The DfE's rules that compare two of the other nine tables (adoption and care leavers, the
12-month outcomes and care leavers). A rule that names records of both tables is registered
once for each, so that each record it finds is reported in its own file and row."""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.rules_common import table_rule, where
from sightline.returns.schema import AD1, OC2, OC2_FLAGS, OC3, PLACED_ADOPTION

_AD1_ITEMS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
_OC3_ITEMS = ("IN_TOUCH", "ACTIV", "ACCOM")


def _any(columns: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal(pl.col(c).is_not_null() for c in columns)


def _other(f: Frames, table: str, columns: tuple[str, ...], flag: pl.Expr) -> pl.DataFrame:
    """Each child's ``flag`` over their records in ``table`` (any of them)."""
    return (
        f.table(table)
        .filter(pl.col("CHILD").is_not_null())
        .select("CHILD", *columns)
        .group_by("CHILD")
        .agg(_other=flag.any())
    )


@table_rule(
    "134",
    AD1,
    _OC3_ITEMS + _AD1_ITEMS,
    "Data on adoption should not be entered for the OC3 cohort.",
    needs=(OC3,),
)
def _134(f: Frames) -> pl.DataFrame:
    leavers = _other(f, OC3, _OC3_ITEMS, _any(_OC3_ITEMS))
    frame = f.table(AD1).join(leavers, on="CHILD", how="left")
    return where(frame, _any(_AD1_ITEMS) & pl.col("_other"))


_215 = (
    "Child has care leaver information but one or more data items relating to children looked "
    "after for 12 months have been completed."
)


@table_rule("215", OC3, _OC3_ITEMS + OC2_FLAGS, _215, needs=(OC2,))
def _215_oc3(f: Frames) -> pl.DataFrame:
    outcomes = _other(f, OC2, OC2_FLAGS, _any(OC2_FLAGS))
    frame = f.table(OC3).join(outcomes, on="CHILD", how="left")
    return where(frame, _any(_OC3_ITEMS) & pl.col("_other"))


@table_rule("215", OC2, _OC3_ITEMS + OC2_FLAGS, _215, needs=(OC3,))
def _215_oc2(f: Frames) -> pl.DataFrame:
    leavers = _other(f, OC3, _OC3_ITEMS, _any(_OC3_ITEMS))
    frame = f.table(OC2).join(leavers, on="CHILD", how="left")
    return where(frame, _any(OC2_FLAGS) & pl.col("_other"))


_523 = (
    "Date of decision that the child should be placed for adoption should be the same date as "
    "the decision that adoption is in the best interest (date should be placed)."
)


def _523_pairs(f: Frames) -> pl.DataFrame:
    placed = f.table(PLACED_ADOPTION).filter(pl.col("DATE_PLACED_D").is_not_null())
    adoption = f.table(AD1).filter(pl.col("DATE_INT_D").is_not_null())
    return placed.select("CHILD", "DATE_PLACED_D", _pa=pl.col("_i")).join(
        adoption.select("CHILD", "DATE_INT_D", _ad=pl.col("_i")), on="CHILD", how="inner"
    )


@table_rule("523", PLACED_ADOPTION, ("DATE_PLACED", "DATE_INT"), _523, needs=(AD1,))
def _523_placed(f: Frames) -> pl.DataFrame:
    pairs = _523_pairs(f).filter(pl.col("DATE_PLACED_D") != pl.col("DATE_INT_D"))
    return pairs.select(pl.col("_pa").alias("_i"))


@table_rule("523", AD1, ("DATE_PLACED", "DATE_INT"), _523, needs=(PLACED_ADOPTION,))
def _523_ad1(f: Frames) -> pl.DataFrame:
    pairs = _523_pairs(f).filter(pl.col("DATE_PLACED_D") != pl.col("DATE_INT_D"))
    return pairs.select(pl.col("_ad").alias("_i"))


_525 = (
    "A child for whom the decision to be placed for adoption has been reversed cannot be "
    "adopted during the year."
)


@table_rule("525", PLACED_ADOPTION, ("DATE_PLACED_CEASED", *_AD1_ITEMS), _525, needs=(AD1,))
def _525_placed(f: Frames) -> pl.DataFrame:
    adopted = _other(f, AD1, _AD1_ITEMS, _any(_AD1_ITEMS))
    frame = f.table(PLACED_ADOPTION).join(adopted, on="CHILD", how="left")
    return where(frame, pl.col("DATE_PLACED_CEASED").is_not_null() & pl.col("_other"))


@table_rule("525", AD1, ("DATE_PLACED_CEASED", *_AD1_ITEMS), _525, needs=(PLACED_ADOPTION,))
def _525_ad1(f: Frames) -> pl.DataFrame:
    reversed_ = _other(
        f, PLACED_ADOPTION, ("DATE_PLACED_CEASED",), pl.col("DATE_PLACED_CEASED").is_not_null()
    )
    frame = f.table(AD1).join(reversed_, on="CHILD", how="left")
    return where(frame, _any(_AD1_ITEMS) & pl.col("_other"))
