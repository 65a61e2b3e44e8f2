"""What the rules of the other nine tables share: registering with a year and the tables a
rule needs, and the checks most of them make (a code list, a date, a child in the Header).

The rules register into ``rules.RULES``, the one list ``validate`` and ``import`` run. A rule
applies to the collection years the DfE's rule set for that year holds (the peer validator's
``lac2023_24`` to ``lac2025_26``); in another year, or when the return did not give a table
the rule reads, it finds nothing, as the DfE's tool does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from sightline.returns.derive import Frames, once
from sightline.returns.schema import EPISODES, HEADER, MISSING

if TYPE_CHECKING:
    from sightline.returns.rules import RuleFunc

#: The years each rule of the nine tables applies to, by (code, table): docs/returns.md.
ALL_YEARS = frozenset({2024, 2025, 2026})
YEARS: dict[tuple[str, str], frozenset[int]] = {}

_MAIN = frozenset({HEADER, EPISODES, MISSING})


def table_rule(
    code: str,
    table: str,
    fields: tuple[str, ...],
    message: str,
    *,
    needs: tuple[str, ...] = (),
    years: frozenset[int] = ALL_YEARS,
    severity: str = "error",
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a rule of ``table`` for ``years``; it runs only when the return gave
    ``table`` and every table in ``needs``."""
    wanted = frozenset({table, *needs}) - _MAIN

    def register(func: RuleFunc) -> RuleFunc:
        def applied(f: Frames) -> Found:
            if f.context.year.year not in years or not wanted <= f.supplied:
                return f.table(table).clear().select("_i")
            return func(f)

        applied.__name__ = func.__name__
        applied.__doc__ = func.__doc__
        # Imported here, not at the top: rules.py imports the modules of these rules at its
        # end, so whichever module is imported first, the registry is complete.
        from sightline.returns.rules import rule

        YEARS[(code, table)] = years
        rule(code, table, fields, message, severity, years=tuple(sorted(years)))(applied)
        return func

    return register


@dataclass(frozen=True, eq=False)
class Flagged:
    """A rule's answer not yet computed: the records of ``frame`` (one of the prepared tables)
    that meet ``condition``. ``validation.run_rules`` computes the answers of every rule that
    flags records of the same frame in one pass over it, instead of a filter a rule: most
    rules are such a condition, and most find nothing."""

    frame: pl.DataFrame
    condition: pl.Expr


#: What a rule returns: the positions (``_i``) of the records it reports, or ``Flagged``.
Found = pl.DataFrame | Flagged


def flagged(frame: pl.DataFrame, condition: pl.Expr) -> Flagged:
    """The records of ``frame`` that meet ``condition`` (null counts as not), as ``where``
    gives them, computed with the other rules' conditions on the same frame."""
    return Flagged(frame, condition)


def where(frame: pl.DataFrame, condition: pl.Expr) -> pl.DataFrame:
    return frame.filter(condition.fill_null(False)).select("_i")


def not_in(column: str, codes: frozenset[str]) -> pl.Expr:
    """Given, and not one of ``codes``."""
    return pl.col(column).is_not_null() & ~pl.col(column).is_in(sorted(codes))


def bad_date(column: str) -> pl.Expr:
    """Given, and not a real dd/mm/YYYY date."""
    return pl.col(column).is_not_null() & pl.col(f"{column}_D").is_null()


def years_after(date: pl.Expr, years: int) -> pl.Expr:
    return date.dt.offset_by(f"{years}y")


def lit_date(value: object) -> pl.Expr:
    return pl.lit(value, dtype=pl.Date)


@once
def header_by_child(f: Frames) -> pl.DataFrame:
    """The Header's first record of each named child: what rules join other tables to."""
    return f.header.filter(pl.col("CHILD").is_not_null()).unique("CHILD", keep="first")


def not_in_header(f: Frames, table: str) -> pl.DataFrame:
    """INT01, INT02...: records of a child the Header does not hold."""
    frame = f.table(table).filter(pl.col("CHILD").is_not_null())
    return frame.join(f.header.select("CHILD"), on="CHILD", how="anti").select("_i")


def differs_from_header(f: Frames, table: str, column: str) -> pl.DataFrame:
    """INT11, INT12...: the column (DOB or SEX) given in both and different from the
    Header's. Dates are compared as dates, as the peer does."""
    parsed = f"{column}_D" if f"{column}_D" in f.header.columns else column
    header = header_by_child(f).select("CHILD", pl.col(parsed).alias("_header"))
    frame = f.table(table).join(header, on="CHILD", how="inner")
    return where(
        frame,
        pl.col(parsed).is_not_null()
        & pl.col("_header").is_not_null()
        & (pl.col(parsed) != pl.col("_header")),
    )


def more_than_once(f: Frames, table: str) -> pl.DataFrame:
    """INT31, INT33...: every record of a child listed more than once."""
    frame = f.table(table)
    return where(frame, pl.col("CHILD").is_not_null() & pl.col("CHILD").is_duplicated())


def first_decom(f: Frames) -> pl.DataFrame:
    """Each child's earliest episode start in the return."""
    return (
        f.episodes.filter(pl.col("_has_child") & pl.col("DECOM_D").is_not_null())
        .group_by("CHILD")
        .agg(first_decom=pl.col("DECOM_D").min())
    )
