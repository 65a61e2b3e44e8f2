"""The DfE's rules of the UASC table (unaccompanied asylum-seeking children)."""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.rules_common import (
    Found,
    bad_date,
    differs_from_header,
    flagged,
    lit_date,
    more_than_once,
    not_in_header,
    table_rule,
    where,
    years_after,
)
from sightline.returns.schema import UASC


@table_rule(
    "104",
    UASC,
    ("DUC",),
    "Date for Unaccompanied Asylum-Seeking Children (UASC) status ceased is not a valid date.",
)
def _104(f: Frames) -> pl.DataFrame:
    uasc = f.table(UASC)
    return where(uasc, bad_date("DUC") | (pl.col("DUC_D") < lit_date(f.context.year.start)))


@table_rule(
    "304",
    UASC,
    ("DUC",),
    "Date unaccompanied asylum-seeking child (UASC) status ceased must be on or before the "
    "18th birthday of a child.",
)
def _304(f: Frames) -> Found:
    return flagged(f.table(UASC), pl.col("DUC_D") > years_after(pl.col("DOB_D"), 18))


@table_rule("INT09", UASC, ("CHILD",), "Internal Check: Child in UASC does not exist in Header.")
def _int09(f: Frames) -> pl.DataFrame:
    return not_in_header(f, UASC)


@table_rule("INT18", UASC, ("DOB",), "Internal Check: DOB in UASC is different to DOB in Header.")
def _int18(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, UASC, "DOB")


@table_rule("INT21", UASC, ("SEX",), "Internal Check: SEX in UASC is different to SEX in Header.")
def _int21(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, UASC, "SEX")


@table_rule("INT36", UASC, ("CHILD",), "Internal Check: Child should only exist once in UASC.")
def _int36(f: Frames) -> pl.DataFrame:
    return more_than_once(f, UASC)
