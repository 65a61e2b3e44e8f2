"""The rules of the nine tables beside Header, Episodes and Missing, registered into
``rules.RULES`` by importing their modules, and Sightline's own checks of those tables.

SL01 (CHILD blank or longer than 10 characters), SL02 (a value longer than the import holds)
and SL03 (a DoLo date that is not a date: no DfE rule checks it before 2026/27, and the
import holds dates as dates) make sure that a return that validates imports.
"""

from __future__ import annotations

import polars as pl

from sightline.returns import (  # noqa: F401  (each module registers its rules)
    rules_adoption,
    rules_cross,
    rules_joined,
    rules_linked,
    rules_outcomes,
    rules_permanence,
    rules_providers,
    rules_reviews,
    rules_social_workers,
    rules_uasc,
)
from sightline.returns.derive import Frames
from sightline.returns.rules_common import (
    Found,
    bad_date,
    flagged,
    table_rule,
    where,
)
from sightline.returns.schema import DOLO, MORE_TABLES, MORE_TEXT_LENGTHS


def _sl01(table: str) -> None:
    @table_rule("SL01", table, ("CHILD",), "The CHILD id is blank or longer than 10 characters.")
    def _check(f: Frames) -> pl.DataFrame:
        child = pl.col("CHILD")
        return where(f.table(table), child.is_null() | (child.str.len_chars() > 10))


def _sl02(table: str, lengths: dict[str, int]) -> None:
    fields = tuple(lengths)
    longest = ", ".join(f"{c} {n}" for c, n in lengths.items())

    @table_rule(
        "SL02",
        table,
        fields,
        f"A value is longer than Sightline's import can hold (characters at most: {longest}).",
    )
    def _check(f: Frames) -> pl.DataFrame:
        too_long = [pl.col(c).str.len_chars() > n for c, n in lengths.items()]
        return where(f.table(table), pl.any_horizontal(too_long))


for _table in MORE_TABLES:
    _sl01(_table)
    if MORE_TEXT_LENGTHS[_table]:
        _sl02(_table, MORE_TEXT_LENGTHS[_table])


@table_rule("SL03", DOLO, ("DOLO_START", "DOLO_END"), "A DoLo date is not a valid date.")
def _sl03(f: Frames) -> Found:
    return flagged(f.table(DOLO), bad_date("DOLO_START") | bad_date("DOLO_END"))
