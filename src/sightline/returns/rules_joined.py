"""The last DfE rules of 2023/24 to 2025/26 (issue 16): care leavers against their episodes,
the OC2 cohort's questionnaires, UASC status against last year's, adoption decisions against
the episodes and last year's return, previous permanence, social worker episodes against
the episodes, and a Header child with nothing else (EPI).

Most of them pair the records of two tables by child and report the records of both, each in
its own file and row. They are written as data (``_PairRule``): a function that gives the
pairs, with one column of record positions per table it names (``_Episodes``, ``_AD1``...),
and the tables it needs. ``_register`` turns each into one ``table_rule`` per table named, so
there are no near-identical bodies. Rules that compare with last year's return read
``Frames.previous`` and find nothing without it (or without the table there), as the peer's
do without its ``_last`` tables. Where Sightline reads a rule differently from the peer
(``csc-validator-be-903`` 0.1.17), docs/returns.md says how and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from sightline.returns.derive import Frames, once, uasc_status
from sightline.returns.rules_common import ALL_YEARS, lit_date, table_rule, years_after
from sightline.returns.rules_linked import continuously_looked_after
from sightline.returns.schema import (
    AD1,
    EPISODES,
    HEADER,
    OC2,
    OC3,
    PLACED_ADOPTION,
    PREV_PERM,
    REVIEWS,
    SW_EPISODES,
    UASC,
)

Pairs = Callable[[Frames], pl.DataFrame]
_OC3_ITEMS = ("IN_TOUCH", "ACTIV", "ACCOM")
_AD1_ITEMS = ("DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR")
_ADOPTED = ("E11", "E12")
_PLACED_FOR_ADOPTION = ("A3", "A4", "A5", "A6")
_SHORT_BREAKS = ("V3", "V4")
_2024 = frozenset({2024})
_2026 = frozenset({2026})


@dataclass(frozen=True)
class _PairRule:
    code: str
    tables: tuple[str, ...]  # the tables whose records it reports: a column ``_<table>`` each
    fields: tuple[str, ...]
    message: str
    pairs: Pairs
    needs: tuple[str, ...] = ()  # the other tables it reads
    years: frozenset[int] = ALL_YEARS
    severity: str = "error"


def _register(spec: _PairRule) -> None:
    pairs = once(spec.pairs)  # found once for all the tables it reports on
    for table in spec.tables:
        column = f"_{table}"

        def found(f: Frames, column: str = column, table: str = table) -> pl.DataFrame:
            frame = pairs(f)
            if column not in frame.columns:
                return f.table(table).clear().select("_i")
            return frame.select(pl.col(column).cast(pl.UInt32).alias("_i")).drop_nulls().unique()

        found.__name__ = f"_{spec.code}_{table}"
        needs = tuple(t for t in (*spec.tables, *spec.needs) if t != table)
        table_rule(
            spec.code,
            table,
            spec.fields,
            spec.message,
            needs=needs,
            years=spec.years,
            severity=spec.severity,
        )(found)


# --- Shared pieces ------------------------------------------------------------------------


def _records(f: Frames, table: str, *columns: str) -> pl.DataFrame:
    """``table``'s records of a named child: CHILD, the columns, and ``_<table>``."""
    frame = f.table(table).filter(pl.col("CHILD").is_not_null())
    return frame.select("CHILD", *columns, pl.col("_i").alias(f"_{table}"))


def _ids(frame: pl.DataFrame, condition: pl.Expr | None = None) -> pl.Series:
    keep = pl.col("CHILD").is_not_null()
    if condition is not None:
        keep = keep & condition.fill_null(False)
    return frame.filter(keep).get_column("CHILD").unique()


def _in(children: pl.Series) -> pl.Expr:
    return pl.col("CHILD").is_in(children.implode())


def _given(columns: tuple[str, ...]) -> pl.Expr:
    return pl.any_horizontal(pl.col(c).is_not_null() for c in columns)


def _stack(*frames: pl.DataFrame) -> pl.DataFrame:
    """The position columns (``_<table>``) of several frames, one under another."""
    kept = [
        frame.select(c for c in frame.columns if c.startswith("_") and c[1:2].isupper())
        for frame in frames
    ]
    return pl.concat(kept, how="diagonal_relaxed")


def _empty(*tables: str) -> pl.DataFrame:
    return pl.DataFrame(schema={f"_{t}": pl.UInt32 for t in tables})


def _previous(f: Frames, table: str) -> pl.DataFrame | None:
    """Last year's ``table`` when last year's return gave it."""
    if f.previous is None or (table not in f.previous.supplied and table not in {HEADER, EPISODES}):
        return None
    return f.previous.table(table)


def _start_end(f: Frames) -> tuple[pl.Expr, pl.Expr]:
    return lit_date(f.context.year.start), lit_date(f.context.year.end)


def _adopted_in_year(f: Frames) -> pl.DataFrame:
    """Episodes that ended in the year with an adoption (E11, E12)."""
    start, end = _start_end(f)
    ended = pl.col("REC").is_in(_ADOPTED) & (pl.col("DEC_D") >= start) & (pl.col("DEC_D") <= end)
    return f.episodes.filter(pl.col("_has_child") & ended.fill_null(False))


def _male(sex: pl.Expr) -> pl.Expr:
    return sex.is_in(["1", "M"])  # 2023/24 coded sex 1 and 2, 2024/25 M and F


def _female(sex: pl.Expr) -> pl.Expr:
    return sex.is_in(["2", "F"])


# --- Care leavers (OC3) against their episodes --------------------------------------------


def _1001(f: Frames) -> pl.DataFrame:
    """Not a relevant or former relevant child: under 20 at 31 March with fewer than 91 days
    in care since their 14th birthday or none since their 16th (this year's and last year's
    episodes, short breaks left out), or adopted at the end of their latest episode."""
    last = _previous(f, EPISODES)
    if last is None or last.height == 0 or f.episodes.height == 0:
        return _empty(OC3)
    columns = ("CHILD", "DECOM_D", "DEC_D", "LS", "REC")
    both = pl.concat([f.episodes.select(columns), last.select(columns)])
    # An episode in both years once, this year's copy (it has the end, if any).
    both = both.filter(pl.col("CHILD").is_not_null() & pl.col("DECOM_D").is_not_null())
    both = both.sort("DEC_D", nulls_last=True).unique(["CHILD", "DECOM_D"], keep="first")
    end = lit_date(f.context.year.end)
    latest = pl.col("DECOM_D") == pl.col("DECOM_D").max().over("CHILD")
    both = both.with_columns(
        DEC_D=pl.when(latest & pl.col("DEC_D").is_null()).then(end).otherwise(pl.col("DEC_D"))
    )
    header = f.header.filter(pl.col("CHILD").is_not_null() & pl.col("DOB_D").is_not_null())
    header = header.unique("CHILD", keep="first").select("CHILD", "DOB_D")
    under_20 = _ids(header, years_after(pl.col("DOB_D"), 20) > end)
    care = both.filter(~pl.col("LS").is_in(_SHORT_BREAKS).fill_null(False)).join(
        header, on="CHILD", how="inner"
    )

    def days_since(age: int) -> pl.Expr:
        since = pl.max_horizontal(pl.col("DECOM_D"), years_after(pl.col("DOB_D"), age))
        return (pl.col("DEC_D") - since).dt.total_days().clip(lower_bound=0)

    totals = care.group_by("CHILD").agg(_14=days_since(14).sum(), _16=days_since(16).sum())
    relevant = _ids(totals, (pl.col("_14") >= 91) & (pl.col("_16") >= 1))
    ends = both.sort("DECOM_D").group_by("CHILD").agg(pl.col("REC").last())
    adopted = _ids(ends, pl.col("REC").is_in(_ADOPTED))
    oc3 = _records(f, OC3)
    # Children 20 or over at 31 March are left out: two years of episodes cannot show it.
    return oc3.filter(_in(under_20) & (~_in(relevant) | _in(adopted)))


def _birthday_17_or_18(end: dt.date) -> pl.Expr:
    """The 17th or 18th birthday in the year to ``end`` of a child 17 or 18 then."""
    eighteen = years_after(pl.col("DOB_D"), 18)
    return (
        pl.when(eighteen <= lit_date(end))
        .then(eighteen)
        .otherwise(years_after(pl.col("DOB_D"), 17))
    )


def _aged_17_or_18(f: Frames) -> pl.Expr:
    end = lit_date(f.context.year.end)
    return (years_after(pl.col("DOB_D"), 17) <= end) & (years_after(pl.col("DOB_D"), 19) > end)


def _1007(f: Frames) -> pl.DataFrame:
    oc3 = _records(f, OC3, "DOB_D", *_OC3_ITEMS).filter(_aged_17_or_18(f) & _given(_OC3_ITEMS))
    oc3 = oc3.with_columns(_bday=_birthday_17_or_18(f.context.year.end))
    episodes = f.episodes.select("CHILD", "DECOM_D", "DEC_D")
    # An open episode is still open on the birthday (the peer counts ended episodes only).
    on_bday = (pl.col("DECOM_D") <= pl.col("_bday")) & (
        pl.col("DEC_D").is_null() | (pl.col("DEC_D") > pl.col("_bday"))
    )
    return oc3.join(episodes, on="CHILD", how="inner").filter(on_bday.fill_null(False))


def _1016(f: Frames) -> pl.DataFrame:
    oc3 = _records(f, OC3, "DOB_D", *_OC3_ITEMS).filter(_aged_17_or_18(f) & _given(_OC3_ITEMS))
    oc3 = oc3.with_columns(_bday=_birthday_17_or_18(f.context.year.end))
    episodes = f.episodes.select("CHILD", "DEC_D")
    return oc3.join(episodes, on="CHILD", how="inner").filter(
        (pl.col("DEC_D") >= pl.col("_bday")).fill_null(False)
    )


def _1014(f: Frames) -> pl.DataFrame:
    """Children in UASC with episodes, none of them in the year, and care leaver data."""
    start, end = _start_end(f)
    in_year = (pl.col("DECOM_D") <= end) & (pl.col("DEC_D").is_null() | (pl.col("DEC_D") >= start))
    counts = (
        f.episodes.filter(pl.col("_has_child"))
        .group_by("CHILD")
        .agg(_n=in_year.fill_null(False).sum())
    )
    none_in_year = _ids(counts, pl.col("_n") == 0)
    leavers = _ids(f.table(OC3), _given(_OC3_ITEMS))
    both = none_in_year.filter(none_in_year.is_in(leavers.implode()))
    # Only children in the UASC table: the peer joins the two, and a care leaver who was
    # never an unaccompanied asylum-seeking child has no UASC information to be refused.
    both = both.filter(both.is_in(_ids(f.table(UASC)).implode()))
    uasc = _records(f, UASC).filter(_in(both))
    oc3 = _records(f, OC3, *_OC3_ITEMS).filter(_in(both) & _given(_OC3_ITEMS))
    return _stack(uasc, oc3)


def _165(f: Frames) -> pl.DataFrame:
    """MOTHER not 0 or 1, given for a boy, blank for a girl with an episode in the year, or
    given for a girl with care leaver data and no episode in the year (short breaks left
    out). Sex is read for the year's codes (1 and 2, then M and F)."""
    start, end = _start_end(f)
    care = f.episodes.filter(
        pl.col("_has_child") & ~pl.col("LS").is_in(_SHORT_BREAKS).fill_null(False)
    )
    in_year = (pl.col("DEC_D").is_null() | (pl.col("DEC_D") >= start)) & (pl.col("DECOM_D") <= end)
    counts = care.group_by("CHILD").agg(_n=in_year.fill_null(False).sum())
    leavers = _ids(f.table(OC3), _given(_OC3_ITEMS))
    header = _records(f, HEADER, "SEX", "MOTHER").join(counts, on="CHILD", how="inner")
    mother = pl.col("MOTHER")
    wrong = (
        (mother.is_not_null() & ~mother.is_in(["0", "1"]))
        | (mother.is_not_null() & _male(pl.col("SEX")))
        | (mother.is_null() & _female(pl.col("SEX")) & (pl.col("_n") > 0))
        | (mother.is_not_null() & _female(pl.col("SEX")) & (pl.col("_n") == 0) & _in(leavers))
    )
    header = header.filter(wrong.fill_null(False))
    oc3 = _records(f, OC3).filter(_in(header.get_column("CHILD")))
    return _stack(header, oc3)


# --- OC2: the cohort's questionnaires, and other returns for it -----------------------------


def _cla(f: Frames) -> pl.Expr:
    return _in(continuously_looked_after(f))


def _157(f: Frames) -> pl.DataFrame:
    start, end = _start_end(f)
    ages = (years_after(pl.col("DOB_D"), 4) <= start) & (years_after(pl.col("DOB_D"), 16) >= end)
    reason = pl.col("SDQ_SCORE").is_null() & (pl.col("SDQ_REASON") == "SDQ1")
    return _records(f, OC2, "DOB_D", "SDQ_SCORE", "SDQ_REASON").filter(
        (_cla(f) & ages & reason).fill_null(False)
    )


def _197b(f: Frames) -> pl.DataFrame:
    start, end = _start_end(f)
    turns = pl.any_horizontal(
        years_after(pl.col("DOB_D"), age).is_between(start, end) for age in (4, 17)
    )
    blank = pl.col("SDQ_SCORE").is_null() & pl.col("SDQ_REASON").is_null()
    return _records(f, OC2, "DOB_D", "SDQ_SCORE", "SDQ_REASON").filter(
        (_cla(f) & turns & blank).fill_null(False)
    )


def _187(f: Frames) -> pl.DataFrame:
    cla = continuously_looked_after(f)
    ad1 = _records(f, AD1, *_AD1_ITEMS).filter(_in(cla) & _given(_AD1_ITEMS))
    oc3 = _records(f, OC3, *_OC3_ITEMS).filter(_in(cla) & _given(_OC3_ITEMS))
    return _stack(ad1, oc3)


def _347(f: Frames) -> pl.DataFrame:
    under_18 = years_after(pl.col("DOB_D"), 18) > lit_date(f.context.year.start)
    return _records(f, OC3, "DOB_D", "ACCOM").filter(
        ((pl.col("ACCOM") == "T") & under_18).fill_null(False)
    )


def _348(f: Frames) -> pl.DataFrame:
    last = _previous(f, OC3)
    if last is None:
        return _empty(OC3)
    died = _ids(last, pl.col("IN_TOUCH") == "DIED")
    return _records(f, OC3, "IN_TOUCH").filter(
        _in(died) & (pl.col("IN_TOUCH") != "DIED").fill_null(True)
    )


# --- UASC status against last year's --------------------------------------------------------
# Sightline holds UASC status as the child's UASC record (the DfE's CSV has no UASC column:
# a child in the UASC file is UASC, as the peer's reader also decides), so "UASC this year"
# is a UASC record this year and "last year" one in last year's return. An XML also gives the
# child's <UASC> flag, kept on the record (the UASC column, null in CSV): a record whose flag
# is 0 holds a DUC for a child the return does not call UASC (303), and does not make the
# child UASC (``derive.uasc_status``), as the peer reads the Header's flag.


def _uasc_both(f: Frames) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """This year's and last year's UASC records that make their child UASC, when last year's
    return gave the table."""
    last = _previous(f, UASC)
    if last is None:
        return None
    named = pl.col("CHILD").is_not_null()
    return f.table(UASC).filter(named & uasc_status()), last.filter(named & uasc_status())


def _205a(f: Frames) -> pl.DataFrame:
    """UASC last year, not this year: last year's DUC must fall in last year, and this year's
    return give no DUC (a record whose flag is 0), as the peer checks."""
    both = _uasc_both(f)
    if both is None:
        return _empty(HEADER)
    this, last = both
    start, end = lit_date(f.context.year.start), lit_date(f.context.year.end)
    last_start, last_end = years_after(start, -1), years_after(end, -1)
    duc_now = _ids(f.table(UASC), pl.col("DUC").is_not_null() & ~uasc_status())
    wrong = last.filter(
        (~pl.col("DUC_D").is_between(last_start, last_end).fill_null(False) | _in(duc_now))
        & ~_in(this.get_column("CHILD"))
    )
    return _records(f, HEADER).filter(_in(wrong.get_column("CHILD")))


def _205b(f: Frames) -> pl.DataFrame:
    """UASC in both years: last year's DUC is the 18th birthday, and this year's DUC is in
    the year or the same as last year's."""
    both = _uasc_both(f)
    if both is None:
        return _empty(UASC, HEADER)
    this, last = both
    start, end = _start_end(f)
    last = last.select("CHILD", _duc_last=pl.col("DUC_D"), _dob18=years_after(pl.col("DOB_D"), 18))
    pairs = this.select("CHILD", "DUC_D", _UASC=pl.col("_i")).join(last, on="CHILD", how="inner")
    duc_in_year = pl.col("DUC_D").is_between(start, end).fill_null(False)
    same = (pl.col("DUC_D") == pl.col("_duc_last")).fill_null(False)
    last_is_18th = (pl.col("_duc_last") == pl.col("_dob18")).fill_null(False)
    wrong = pairs.filter((~duc_in_year & ~same) | ~last_is_18th)
    header = _records(f, HEADER).filter(_in(wrong.get_column("CHILD")))
    return _stack(wrong, header)


def _205d(f: Frames) -> pl.DataFrame:
    """UASC this year, in last year's Header and not UASC there."""
    both = _uasc_both(f)
    if both is None or f.previous is None:
        return _empty(HEADER)
    this, last = both
    known = _ids(f.previous.header)
    new = this.filter(_in(known) & ~_in(last.get_column("CHILD")))
    return _records(f, HEADER).filter(_in(new.get_column("CHILD")))


def _205c(f: Frames) -> pl.DataFrame:
    """A DUC, this year's or last year's, for a child UASC in neither year: this year's UASC
    record whose flag is not 1 (an XML's <UASC>0</UASC> with a DUC), of a child with no
    record last year or one whose flag was not 1 either. A CSV record has no flag and makes
    its child UASC, so only an XML return can break it, as in the peer (whose CSV reader
    sets the flag to 1 for every child in the uasc file)."""
    last = _previous(f, UASC)
    if last is None:
        return _empty(UASC)
    last = last.filter(pl.col("CHILD").is_not_null())
    uasc_last = _ids(last, uasc_status())
    duc_last = _ids(last, pl.col("DUC").is_not_null())
    return _records(f, UASC, "DUC", "UASC").filter(
        (
            ~uasc_status() & ~_in(uasc_last) & (pl.col("DUC").is_not_null() | _in(duc_last))
        ).fill_null(False)
    )


def _303(f: Frames) -> pl.DataFrame:
    """A DUC given on a UASC record whose flag is given and is not 1: an XML's
    <UASC>0</UASC> with a <DUC>. A CSV record has no flag (the uasc file has no such
    column; being in it is the status), so only an XML return can break it."""
    return _records(f, UASC, "DUC", "UASC").filter(
        (pl.col("DUC").is_not_null() & ~uasc_status()).fill_null(False)
    )


def _uasc_children(f: Frames) -> pl.Series:
    """Children UASC this year or last (the UASC tables given, by ``uasc_status``)."""
    children = [_ids(f.table(UASC), uasc_status())] if UASC in f.supplied else []
    last = _previous(f, UASC)
    if last is not None:
        children.append(_ids(last, uasc_status()))
    if not children:
        return pl.Series("CHILD", [], dtype=pl.String)
    return pl.concat(children).drop_nulls().unique()


def _406(f: Frames) -> pl.DataFrame:
    children = _uasc_children(f)
    return _records(f, EPISODES, "PL_DISTANCE").filter(
        _in(children) & pl.col("PL_DISTANCE").is_not_null()
    )


def _231(f: Frames) -> pl.DataFrame:
    under_11 = years_after(pl.col("DOB_D"), 11) > lit_date(f.context.year.end)
    uasc = _ids(f.table(UASC), uasc_status())
    return _records(f, HEADER, "DOB_D").filter(_in(uasc) & under_11.fill_null(False))


# --- Adoption: AD1 and PlacedAdoption against the episodes and last year's ------------------


def _331(f: Frames) -> pl.DataFrame:
    adopted = f.episodes.filter(pl.col("REC").is_in(_ADOPTED).fill_null(False))
    pairs = (
        _records(f, EPISODES, "DECOM_D")
        .filter(pl.col(f"_{EPISODES}").is_in(adopted.get_column("_i").implode()))
        .join(_records(f, AD1, "DATE_MATCH_D"), on="CHILD", how="inner")
    )
    return pairs.filter((pl.col("DATE_MATCH_D") > pl.col("DECOM_D")).fill_null(False))


def _521(f: Frames) -> pl.DataFrame:
    placed = _records(f, EPISODES, "DECOM_D", "PLACE").filter(
        pl.col("PLACE").is_in(_PLACED_FOR_ADOPTION)
    )
    pairs = placed.join(_records(f, AD1, "DATE_INT_D"), on="CHILD", how="inner")
    return pairs.filter((pl.col("DATE_INT_D") > pl.col("DECOM_D")).fill_null(False))


def _557(f: Frames) -> pl.DataFrame:
    # 2023/24 counts freeing orders (D1) as orders granted; from 2024/25 only E1.
    orders = ["D1", "E1"] if f.context.year.year <= 2024 else ["E1"]
    rec = pl.col("REC")
    not_adopted = rec.is_not_null() & ~rec.is_in([*_ADOPTED, "X1"])
    left = _records(f, EPISODES, "PLACE", "LS", "REC").filter(
        (
            (pl.col("PLACE").is_in(_PLACED_FOR_ADOPTION) | pl.col("LS").is_in(orders)) & not_adopted
        ).fill_null(False)
    )
    placed = _records(f, PLACED_ADOPTION, "DATE_PLACED_CEASED", "REASON_PLACED_CEASED")
    pairs = left.join(placed, on="CHILD", how="left")
    incomplete = pl.col("DATE_PLACED_CEASED").is_null() | pl.col("REASON_PLACED_CEASED").is_null()
    return pairs.filter(pl.col(f"_{PLACED_ADOPTION}").is_null() | incomplete)


def _558(f: Frames) -> pl.DataFrame:
    """Adopted, with two or more decisions to place all ceased: the latest must be open."""
    adopted = _records(f, EPISODES, "REC").filter(pl.col("REC").is_in(_ADOPTED).fill_null(False))
    decisions = (
        _records(f, PLACED_ADOPTION, "DATE_PLACED_CEASED")
        .group_by("CHILD")
        .agg(
            _open=pl.col("DATE_PLACED_CEASED").is_null().any(),
            _ceased=pl.col("DATE_PLACED_CEASED").is_not_null().sum(),
        )
    )
    return adopted.join(decisions, on="CHILD", how="inner").filter(
        ~pl.col("_open") & (pl.col("_ceased") > 1)
    )


def _582(f: Frames) -> pl.DataFrame:
    adopted = _records(f, EPISODES, "REC", "DEC_D").filter(
        pl.col("REC").is_in(_ADOPTED).fill_null(False)
    )
    pairs = adopted.join(_records(f, AD1, "DATE_MATCH_D"), on="CHILD", how="inner")
    return pairs.filter((pl.col("DEC_D") == pl.col("DATE_MATCH_D")).fill_null(False))


def _601(f: Frames) -> pl.DataFrame:
    adopted = _adopted_in_year(f).select("CHILD", pl.col("_i").alias(f"_{EPISODES}"))
    pairs = adopted.join(_records(f, AD1, *_AD1_ITEMS), on="CHILD", how="inner")
    return pairs.filter(pl.any_horizontal(pl.col(c).is_null() for c in _AD1_ITEMS))


def _602(f: Frames) -> pl.DataFrame:
    adopted = _ids(_adopted_in_year(f))
    return _records(f, AD1, *_AD1_ITEMS).filter(~_in(adopted) & _given(_AD1_ITEMS))


def _ordered_decisions(f: Frames) -> pl.DataFrame:
    """Each child's decisions to place by date, with the one before's DATE_PLACED_CEASED."""
    frame = _records(f, PLACED_ADOPTION, "DATE_PLACED_D", "DATE_PLACED_CEASED_D").sort(
        ["CHILD", "DATE_PLACED_D"], nulls_last=True
    )
    first = pl.col("CHILD") != pl.col("CHILD").shift(1)
    return frame.with_columns(
        _first=first.fill_null(True),
        _prev_ceased=pl.col("DATE_PLACED_CEASED_D").shift(1),
    )


def _579(f: Frames) -> pl.DataFrame:
    frame = _ordered_decisions(f)
    overlap = pl.col("_prev_ceased").is_null() | (
        pl.col("DATE_PLACED_D") < pl.col("_prev_ceased")
    ).fill_null(False)
    return frame.filter(~pl.col("_first") & overlap)


def _583(f: Frames) -> pl.DataFrame:
    frame = _records(f, PLACED_ADOPTION, "DATE_PLACED_D", "DATE_PLACED_CEASED")
    latest = pl.col(f"_{PLACED_ADOPTION}").sort_by("DATE_PLACED_D", nulls_last=False).last()
    latest_ids = frame.group_by("CHILD").agg(_latest=latest).get_column("_latest")
    return frame.filter(
        ~pl.col(f"_{PLACED_ADOPTION}").is_in(latest_ids.implode())
        & pl.col("DATE_PLACED_CEASED").is_null()
    )


def _with_last_year(f: Frames) -> pl.DataFrame | None:
    """This year's PlacedAdoption records paired with last year's of the same child."""
    last = _previous(f, PLACED_ADOPTION)
    if last is None:
        return None
    last = last.filter(pl.col("CHILD").is_not_null()).select(
        "CHILD",
        _placed_last=pl.col("DATE_PLACED_D"),
        _given_last=pl.col("DATE_PLACED").is_not_null(),
        _ceased_last=pl.col("DATE_PLACED_CEASED").is_not_null()
        | pl.col("REASON_PLACED_CEASED").is_not_null(),
        _ceased_date_last=pl.col("DATE_PLACED_CEASED").is_not_null(),
    )
    this = _records(f, PLACED_ADOPTION, "DATE_PLACED_D")
    return this.join(last, on="CHILD", how="inner")


def _560(f: Frames) -> pl.DataFrame:
    pairs = _with_last_year(f)
    if pairs is None:
        return _empty(PLACED_ADOPTION)
    differs = (pl.col("DATE_PLACED_D") != pl.col("_placed_last")).fill_null(True)
    return pairs.filter(pl.col("_given_last") & ~pl.col("_ceased_date_last") & differs)


def _561(f: Frames) -> pl.DataFrame:
    pairs = _with_last_year(f)
    if pairs is None:
        return _empty(PLACED_ADOPTION)
    same = (pl.col("DATE_PLACED_D") == pl.col("_placed_last")).fill_null(False)
    return pairs.filter(same & pl.col("_ceased_last"))


def _584(f: Frames) -> pl.DataFrame:
    pairs = _with_last_year(f)
    if pairs is None:
        return _empty(PLACED_ADOPTION)
    not_later = (pl.col("DATE_PLACED_D") <= pl.col("_placed_last")).fill_null(False)
    return pairs.filter(pl.col("_ceased_last") & (not_later | pl.col("DATE_PLACED_D").is_null()))


# --- Previous permanence, reviews, the Header alone -----------------------------------------


def _date_perm() -> pl.Expr:
    """DATE_PERM as a date, an unknown day or month (ZZ) taken as late as it can be (as the
    peer does, to avoid false positives); null where it is no date at all."""
    parts = pl.col("DATE_PERM").str.split("/")
    day, month, year = (parts.list.get(n, null_on_oob=True) for n in (0, 1, 2))
    month = pl.when(month == "ZZ").then(pl.lit("12")).otherwise(month)

    def parse(text: pl.Expr) -> pl.Expr:
        return text.str.strptime(pl.Date, "%d/%m/%Y", strict=False)

    first = parse(pl.concat_str(pl.lit("01/"), month, pl.lit("/"), year))
    whole = parse(pl.concat_str(day, pl.lit("/"), month, pl.lit("/"), year))
    shaped = (
        (parts.list.len() == 3) & year.str.contains(r"^\d{4}$") & month.str.contains(r"^\d{2}$")
    )
    dated = pl.when(day == "ZZ").then(first.dt.month_end()).otherwise(whole)
    return pl.when(shaped.fill_null(False) & day.str.contains(r"^(\d{2}|ZZ)$")).then(dated)


def _632(f: Frames) -> pl.DataFrame:
    first = (
        f.episodes.filter(pl.col("_has_child") & pl.col("DECOM_D").is_not_null())
        .group_by("CHILD")
        .agg(_Episodes=pl.col("_i").sort_by("DECOM_D").first(), DECOM_D=pl.col("DECOM_D").min())
    )
    perm = _records(f, PREV_PERM, "DATE_PERM").with_columns(_perm=_date_perm())
    pairs = first.join(perm, on="CHILD", how="inner")
    wrong = (pl.col("_perm") >= pl.col("DECOM_D")).fill_null(False) | (
        pl.col("DATE_PERM").is_not_null() & pl.col("_perm").is_null()
    )
    return pairs.filter(wrong)


def _399(f: Frames) -> pl.DataFrame:
    """Only short breaks (V3, V4) in the year, and MOTHER or a review given."""
    short = (
        f.episodes.filter(pl.col("_has_child"))
        .group_by("CHILD")
        .agg(_all=pl.col("LS").is_in(_SHORT_BREAKS).fill_null(False).all())
    )
    children = _ids(short, pl.col("_all"))
    header = _records(f, HEADER, "MOTHER").filter(_in(children))
    mothers = _ids(header, pl.col("MOTHER").is_not_null())
    reviews = _records(f, REVIEWS, "REVIEW", "REVIEW_CODE").filter(_in(children))
    reviewed = _ids(reviews, _given(("REVIEW", "REVIEW_CODE")))
    flagged = pl.concat([mothers, reviewed]).unique()
    episodes = _records(f, EPISODES).filter(_in(flagged))
    reviews = reviews.filter(_in(mothers) | _given(("REVIEW", "REVIEW_CODE")))
    return _stack(episodes, header.filter(_in(flagged)), reviews)


def _epi(f: Frames) -> pl.DataFrame:
    known = [f.episodes.get_column("CHILD")]
    if OC3 in f.supplied:
        known.append(f.table(OC3).get_column("CHILD"))
    return _records(f, HEADER).filter(~_in(pl.concat(known).drop_nulls().unique()))


# --- Social workers -------------------------------------------------------------------------


@once
def _sw_ordered(f: Frames) -> pl.DataFrame:
    """Each child's social worker episodes by start, with the previous one's end and the next
    one's start (of the same child)."""
    frame = _records(f, SW_EPISODES, "SW_ID", "SW_REASON", "SW_DECOM_D", "SW_DEC_D").sort(
        ["CHILD", "SW_DECOM_D", "SW_DEC_D"], nulls_last=True
    )
    first = (pl.col("CHILD") != pl.col("CHILD").shift(1)).fill_null(True)
    last = (pl.col("CHILD") != pl.col("CHILD").shift(-1)).fill_null(True)
    return frame.with_columns(
        _first=first,
        _last=last,
        _prev_dec=pl.when(~first).then(pl.col("SW_DEC_D").shift(1)),
        _next_decom=pl.when(~last).then(pl.col("SW_DECOM_D").shift(-1)),
    )


def _sw01(f: Frames) -> pl.DataFrame:
    """Looked after at 31 March (an open episode, not a short break) with no social worker
    episode giving SW_ID, one giving SW_DECOM or one giving SW_REASON."""
    open_ = _records(f, EPISODES, "DEC", "LS").filter(
        pl.col("DEC").is_null() & ~pl.col("LS").is_in(_SHORT_BREAKS).fill_null(False)
    )
    workers = (
        _records(f, SW_EPISODES, "SW_ID", "SW_DECOM", "SW_REASON")
        .group_by("CHILD")
        .agg(
            _complete=pl.all_horizontal(
                pl.col(c).is_not_null().any() for c in ("SW_ID", "SW_DECOM", "SW_REASON")
            )
        )
    )
    complete = _ids(workers, pl.col("_complete"))
    return open_.filter(~_in(complete))


def _sw03(f: Frames) -> pl.DataFrame:
    return _records(f, SW_EPISODES, "SW_ID", "SW_DECOM", "SW_REASON").filter(
        pl.any_horizontal(pl.col(c).is_null() for c in ("SW_ID", "SW_DECOM", "SW_REASON"))
    )


def _sw10a(f: Frames) -> pl.DataFrame:
    frame = _sw_ordered(f)
    prev = pl.col("_prev_dec")
    within = pl.col("SW_DECOM_D").is_between(prev.dt.offset_by("-7d"), prev.dt.offset_by("7d"))
    not_first_contact = (pl.col("SW_REASON") != "FCONTA").fill_null(True)
    return frame.filter(~pl.col("_first") & not_first_contact & ~within.fill_null(False))


def _sw10b(f: Frames) -> pl.DataFrame:
    frame = _sw_ordered(f)
    early = (pl.col("SW_DECOM_D") <= pl.col("_prev_dec")).fill_null(False)
    return frame.filter(~pl.col("_first") & (pl.col("SW_REASON") == "FCONTA") & early)


def _sw11a(f: Frames) -> pl.DataFrame:
    """An episode that ended 5 days or more before 31 March must be followed, within 5 days
    either side of its end, by the child's next one."""
    frame = _sw_ordered(f)
    ended_early = pl.col("SW_DEC_D") <= lit_date(f.context.year.end - dt.timedelta(days=5))
    dec, nxt = pl.col("SW_DEC_D"), pl.col("_next_decom")
    followed = nxt.is_between(dec.dt.offset_by("-5d"), dec.dt.offset_by("5d")).fill_null(False)
    return frame.filter(ended_early.fill_null(False) & ~followed)


def _sw11b(f: Frames) -> pl.DataFrame:
    """The child's last episode ended in the 5 days to 31 March, with none after it."""
    end = f.context.year.end
    frame = _sw_ordered(f)
    late = pl.col("SW_DEC_D").is_between(lit_date(end - dt.timedelta(days=5)), lit_date(end))
    return frame.filter(pl.col("_last") & late.fill_null(False))


def _sw14(f: Frames) -> pl.DataFrame:
    frame = _sw_ordered(f)
    return frame.filter(~pl.col("_last") & pl.col("SW_DEC_D").is_null())


def _sw12(f: Frames) -> pl.DataFrame:
    """An episode that starts care (RNE S) needs a social worker episode starting on or after
    it; one that ends care (REC other than X1) one starting on or before its end (short
    breaks left out; from 2024/25, episodes ended before the year before are left out)."""
    start, end = _start_end(f)
    episodes = _records(f, EPISODES, "RNE", "REC", "LS", "DECOM_D", "DEC_D").filter(
        ~pl.col("LS").is_in(_SHORT_BREAKS).fill_null(False)
        & ((pl.col("RNE") == "S") | (pl.col("REC") != "X1")).fill_null(False)
    )
    if f.context.year.year >= 2025:
        episodes = episodes.filter(
            pl.col("DEC_D").is_null() | pl.col("DEC_D").is_between(years_after(start, -1), end)
        )
    workers = _records(f, SW_EPISODES, "SW_DECOM_D").drop(f"_{SW_EPISODES}")
    pairs = episodes.join(workers, on="CHILD", how="left")
    ends_ok = (pl.col("SW_DECOM_D") <= pl.col("DEC_D")) & (pl.col("REC") != "X1")
    starts_ok = (pl.col("SW_DECOM_D") >= pl.col("DECOM_D")) & (pl.col("RNE") == "S")
    covered = pairs.group_by(f"_{EPISODES}").agg(
        _ok=(ends_ok.fill_null(False) | starts_ok.fill_null(False)).any()
    )
    return covered.filter(~pl.col("_ok"))


_SPECS: tuple[_PairRule, ...] = (
    _PairRule(
        "1001", (OC3,), _OC3_ITEMS,
        "The episodes recorded for this young person suggest they are not a relevant or a "
        "former relevant child and therefore should not have care leaver information "
        "completed. [NOTE: This tool can only test the current and previous year data loaded "
        "into the tool - this check may generate false positives if a child had episodes prior "
        "to last year's collection.]",
        _1001, needs=(EPISODES,),
    ),
    _PairRule(
        "1007", (OC3,), _OC3_ITEMS,
        "Care leaver information is not required for 17- or 18-year olds who are still looked "
        "after [on their 17th or 18th birthday.]",
        _1007, needs=(EPISODES,),
    ),
    _PairRule(
        "1014", (UASC, OC3), ("ACTIV", "ACCOM", "IN_TOUCH", "DUC"),
        "UASC information is not required for care leavers",
        _1014, needs=(EPISODES,),
    ),
    _PairRule(
        "1016", (OC3,), _OC3_ITEMS,
        "Care leaver information is not required for 17- or 18-year olds who cease to be looked "
        "after, after their birthday.",
        _1016, needs=(EPISODES,),
    ),
    _PairRule(
        "157", (OC2,), ("SDQ_REASON", "DOB"),
        "Child is aged 4 years or over at the beginning of the year or 16 years or under at the "
        "end of the year and Strengths and Difficulties Questionnaire (SDQ) 1 has been recorded "
        "as the reason for no Strengths and Difficulties Questionnaire (SDQ) score.",
        _157, needs=(EPISODES,),
    ),
    _PairRule(
        "165", (HEADER, OC3), ("MOTHER", "SEX", "ACTIV", "ACCOM", "IN_TOUCH", "DECOM"),
        "Data entry for mother status is invalid.",
        _165, needs=(EPISODES,),
    ),
    _PairRule(
        "187", (AD1, OC3), (*_AD1_ITEMS, *_OC3_ITEMS),
        "Child cannot be looked after continuously for 12 months at 31 March (OC2) and have any "
        "of adoption or care leavers returns completed.",
        _187, needs=(EPISODES,),
    ),
    _PairRule(
        "197B", (OC2,), ("SDQ_REASON", "DOB"),
        "SDQ score or reason for no SDQ should be reported for 4- or 17-year-olds.",
        _197b, needs=(EPISODES,),
    ),
    _PairRule(
        "205A", (HEADER,), ("CHILD", "UASC"),
        "Child identified as UASC last year is no longer UASC this year, but date UASC ceased "
        "in both years does not support this.",
        _205a,
    ),
    _PairRule(
        "205B", (UASC, HEADER), ("DUC", "UASC"),
        "Child previously identified as UASC is also UASC this year, but date UASC ceased in "
        "both years does not support this.",
        _205b,
    ),
    _PairRule(
        "205C", (UASC,), ("DUC", "UASC"),
        "Child not identified as UASC either this year or last year but date UASC ceased has "
        "been provided.",
        _205c,
    ),
    _PairRule(
        "205D", (HEADER,), ("UASC", "CHILD"),
        "Child identified as UASC this year but not identified as UASC status provided for the "
        "child last year.",
        _205d, needs=(UASC,),
    ),
    _PairRule(
        "231", (HEADER,), ("DOB", "UASC_STATUS"),
        "We expect that unaccompanied asylum seeking children are generally older young people. "
        "Please check the date of birth is correct. If the date of birth is correct then please "
        "provide details in a bypass request.",
        _231, needs=(UASC,), years=frozenset({2025, 2026}),
    ),
    _PairRule(
        "303", (UASC,), ("DUC", "UASC"),
        "If date Unaccompanied Asylum-Seeking Child (UASC) status ceased is not null, UASC "
        "status must be coded 1.",
        _303,
    ),
    _PairRule(
        "331", (AD1, EPISODES), ("DATE_MATCH", "DECOM", "REC"),
        "Date of matching child and adopter(s) should be the same as, or prior to, the date of "
        "placement of adoption.",
        _331,
    ),
    _PairRule(
        "347", (OC3,), ("PLACE", "DEC", "URN"),
        "Care leavers aged under 18 years, can not be accommodated in a Foyer.",
        _347,
    ),
    _PairRule(
        "348", (OC3,), ("IN_TOUCH",),
        "Care leaver has previously been reported as having died. ",
        _348, years=_2026,
    ),
    _PairRule(
        "399", (EPISODES, HEADER, REVIEWS), ("MOTHER", "LS", "REVIEW", "REVIEW_CODE"),
        "Mother field, review field or participation field are completed but child is looked "
        "after under legal status V3 or V4.",
        _399,
    ),
    _PairRule(
        "406", (EPISODES,), ("PL_DISTANCE",),
        "Child is Unaccompanied Asylum-Seeking Child (UASC) or was formerly UASC. Distance "
        "should be blank. [NOTE: This check will result in false negatives for children "
        "formerly UASC not identified as such in loaded data]",
        _406,
    ),
    _PairRule(
        "521", (EPISODES, AD1), ("PLACE", "DECOM", "DATE_INT"),
        "Date of local authority's decision (LA) that adoption is in the best interests of the "
        "child (date should be placed) must be on or prior to the date the child is placed for "
        "adoption.",
        _521,
    ),
    _PairRule(
        "557", (EPISODES, PLACED_ADOPTION),
        ("DATE_PLACED_CEASED", "REASON_PLACED_CEASED", "PLACE", "LS", "REC"),
        "Child for whom the decision was made that they should be placed for adoption has left "
        "care but was not adopted and information on the decision that they should no longer "
        "be placed for adoption items has not been completed.",
        _557,
    ),
    _PairRule(
        "558", (EPISODES,), ("DATE_PLACED_CEASED", "REC"),
        "If a child has been adopted, then the decision to place them for adoption has not been "
        "disrupted and the date of the decision that a child should no longer be placed for "
        "adoption should be left blank.",
        _558, needs=(PLACED_ADOPTION,),
    ),
    _PairRule(
        "560", (PLACED_ADOPTION,), ("DATE_PLACED", "DATE_PLACED_CEASED"),
        "Date of decision that the child should be placed for adoption this year is different "
        "from that recorded last year but the decision to place the child for adoption did not "
        "change.",
        _560,
    ),
    _PairRule(
        "561", (PLACED_ADOPTION,), ("DATE_PLACED",),
        "Date of the decision that the child should be placed for adoption this year is the "
        "same as that recorded last year but records show that the decision changed, and the "
        "child should no longer be placed for adoption last year.",
        _561,
    ),
    _PairRule(
        "579", (PLACED_ADOPTION,), ("DATE_PLACED", "DATE_PLACED_CEASED"),
        "A new decision that the child should be placed for adoption this year cannot start "
        "when the previous decision is still open. Decisions to place the child for adoption "
        "should also not overlap. The date of any new decision to place the child for adoption "
        "must not be before the date placed ceased of previous decisions.",
        _579,
    ),
    _PairRule(
        "582", (EPISODES,), ("DEC", "DATE_MATCH"),
        "Child is showing as ceasing to be looked after due to adoption, but the date of "
        "adoption is the same as the date reported for being matched with adopters. In most "
        "circumstances we expect the date the child is matched with adopters to be before the "
        "date of adoption.",
        _582, needs=(AD1,),
    ),
    _PairRule(
        "583", (PLACED_ADOPTION,), ("DATE_PLACED", "DATE_PLACED_CEASED"),
        "More than one date the child should be placed for adoption has been reported, but an "
        "earlier decision has not been revoked. Check that both dates are required and add in "
        "the date the earlier decision was revoked. Note this may be in a previous year.",
        _583,
    ),
    _PairRule(
        "584", (PLACED_ADOPTION,), ("DATE_PLACED",),
        "Date of decision that the child should be placed for adoption this year is different "
        "from that recorded last year, but the decision to placed the child for adoption "
        "changed and the child should no longer be placed for adoption.",
        _584,
    ),
    _PairRule(
        "601", (AD1, EPISODES), ("REC", *_AD1_ITEMS),
        "The additional fields relating to adoption have not been completed although the "
        "episode data shows that the child was adopted during the year.",
        _601,
    ),
    _PairRule(
        "602", (AD1,), ("CHILD",),
        "The episode data submitted for this child does not show that he/she was adopted "
        "during the year.",
        _602, needs=(EPISODES,),
    ),
    _PairRule(
        "632", (EPISODES, PREV_PERM), ("DATE_PERM", "DECOM"),
        "Date of previous permanence order not a valid value. NOTE: This rule may result in "
        "false negatives where the period of care started before the current collection year",
        _632,
    ),
    _PairRule(
        "EPI", (HEADER,), ("CHILD",),
        "WARNING: Episodes need to be loaded for this child before further validation is "
        "possible [NOTE: This refers to the DfE portal - here, all checks that can be performed "
        "with only the available data will be.]",
        _epi, severity="warning",
    ),
    _PairRule(
        "SW01STG1", (EPISODES,), ("DEC",),
        "Child looked after on 31 March, but no social worker episode information is reported",
        _sw01, needs=(SW_EPISODES,), years=_2024,
    ),
    _PairRule(
        "SW03STG1", (SW_EPISODES,), ("SW_ID", "SW_DECOM", "SW_REASON"),
        "For each social worker episode, information should be complete.",
        _sw03, years=_2024,
    ),
    _PairRule(
        "SW10aSTG2", (SW_EPISODES,), ("SW_DECOM",),
        "A new social worker episode has started and it is not within +/- 7 days of a previous "
        "episode.",
        _sw10a, years=_2026,
    ),
    _PairRule(
        "SW10bSTG2", (SW_EPISODES,), ("SW_DECOM", "SW_REASON"),
        "A new social worker episode has started with a reason of first contact before the "
        "previous episode has ended.",
        _sw10b, years=_2026,
    ),
    _PairRule(
        "SW11aSTG2", (SW_EPISODES,), ("SW_DEC",),
        "Social worker episode has ended before 31 March and no subsequent social worker "
        "episode has been provided.",
        _sw11a, years=_2024,
    ),
    _PairRule(
        "SW11bSTG2", (SW_EPISODES,), ("SW_DEC",),
        "Social worker episode has ended before 31 March and no subsequent social worker "
        "episode has been provided.",
        _sw11b,
    ),
    _PairRule(
        "SW12STG2", (EPISODES,), ("SW_DECOM",),
        "If a child is looked after on 31 March then all social worker episodes for the full "
        "previous year should be reported, even those whilst they were not looked after",
        _sw12, needs=(SW_EPISODES,),
    ),
    _PairRule(
        "SW14STG2", (SW_EPISODES,), ("SW_DEC",),
        "Social worker episode date ceased is blank.",
        _sw14, years=_2024,
    ),
)  # fmt: skip

for _spec in _SPECS:
    _register(_spec)
