"""The other nine tables of each synthetic return, made from the simulated children and
episodes of the year: valid under every rule Sightline checks (docs/returns.md).

- Reviews: a review 20 days into the child's care in the year, then every six months while
  the child is looked after; PN0 under 4, else PN1-PN7.
- SWEpisodes: each child's social worker from the start of their first episode in the return;
  about a third change social worker once in the year (the first episode ends the day the
  second starts, with a reason for the change).
- PrevPerm: every child who started to be looked after in the year (Z1: none, mostly).
- UASC: about one boy in four who came into care at 14 or over, the same children every
  year, with no home postcode (so no distance); status ceases at 18.
- PlacedAdoption: every child with a decision to place for adoption (one to six months before
  the placement order, not before care began); AD1: every child adopted in the year (REC E11
  or E12), FOSTER_CARE as the last placement says.
- OC2: every child looked after continuously for 12 months at 31 March, as the DfE counts it
  (SDQ from 4 to 16, health promotion under 5, convictions from 10, by birthdays).
- OC3: every young person who left care in the year aged 17 or over, in touch (staying put,
  Z2, only if 17 before the year); under 19 at 31 March only if they left before their 18th
  birthday, in the year.
- DoLo: collected from 2026/27, so header lines only before then.

Choices come from arithmetic on the child's number, the year and the seed, so that the same
seed writes the same files.
"""

from __future__ import annotations

import polars as pl

from sightline.returns.schema import (
    AD1,
    COLUMNS,
    DOLO,
    LA_PERM_CODES,
    OC2,
    OC3,
    PLACED_ADOPTION,
    PREV_PERM,
    REVIEWS,
    SW_EPISODES,
    UASC,
)

__all__ = ["more_tables"]

_REASONS = ["MANAGE", "LEFTRL", "ORGRST", "TSPROC", "ABSENC", "CHCHAN", "PCCHAN", "OTHERS"]


def _dates(days: pl.Expr) -> pl.Expr:
    return days.cast(pl.Int32).cast(pl.Date).dt.strftime("%d/%m/%Y")


def _draw(salt: int, modulo: int) -> pl.Expr:
    """A number from 0 to modulo - 1 from the child's number and ``salt``."""
    return ((pl.col("child").cast(pl.Int64) * 2654435761 + salt) % 1_000_003) % modulo


def _years(days: int) -> int:
    return int(days * 365.25)


def _birthday(years: int) -> pl.Expr:
    """The day (number) the child is ``years`` old, by the calendar as the DfE's rules count
    it (``rules_common.years_after``)."""
    return pl.col("dob").cast(pl.Int32).cast(pl.Date).dt.offset_by(f"{years}y").cast(pl.Int32)


def unaccompanied(seed: int) -> pl.Expr:
    """The unaccompanied asylum-seeking children: about one boy in four of those who came into
    care at 14 or over (nationally about one child looked after in fourteen is UASC, most of
    them boys who arrived at 14 to 17), drawn once for the child's life (the seed, not the
    year), so that every year's return agrees on who is UASC (205A to 205D). Their home
    postcode is not returned, so no distance is (406)."""
    came_at = pl.col("care_start") - pl.col("dob")
    return (
        (_draw(seed * 7919 + 8, 4) == 0) & pl.col("SEX").is_in(["1", "M"]) & (came_at >= _years(14))
    )


def more_tables(
    heads: pl.DataFrame, eps: pl.DataFrame, *, year: int, lo: int, hi: int, seed: int
) -> dict[str, pl.DataFrame]:
    """The nine tables for the Header rows ``heads`` and episode rows ``eps`` of one year
    (every council at once: each frame keeps ``council``). ``lo`` and ``hi``: the year's
    first and last day, as day numbers."""
    salt = seed * 7919 + year
    care = eps.group_by("child").agg(
        first=pl.col("start").min(),
        last=pl.col("end").max(),
        started=((pl.col("RNE") == "S") & (pl.col("start") >= lo)).any(),
        adopted=pl.col("REC").is_in(["E11", "E12"]).any(),
        left=(pl.col("closed") & (pl.col("REC") != "X1")).any(),
        adoptive_place=pl.col("PLACE").filter(pl.col("REC").is_in(["E11", "E12"])).first(),
    )
    fields = ("child", "CHILD", "SEX", "DOB", "dob", "council", "care_start", "order_start")
    kids = heads.select(*fields).join(care, on="child", how="inner")
    tables: dict[str, pl.DataFrame] = {}

    # Reviews: 20 days in, then every 183 days while looked after in the year.
    reviews = (
        kids.with_columns(
            _from=pl.max_horizontal(pl.col("first"), pl.lit(lo)) + 20,
            _to=pl.min_horizontal(pl.col("last"), pl.lit(hi)),
        )
        .filter(pl.col("_from") <= pl.col("_to"))
        .with_columns(review=pl.int_ranges(pl.col("_from"), pl.col("_to") + 1, 183))
        .explode("review")
        .with_columns(
            REVIEW=_dates(pl.col("review")),
            REVIEW_CODE=pl.when((pl.col("review") - pl.col("dob")) < _years(4))
            .then(pl.lit("PN0"))
            .otherwise(pl.lit("PN") + (1 + _draw(salt + 1, 7)).cast(pl.String)),
        )
    )
    tables[REVIEWS] = reviews

    # Social workers: one from the first episode; a third change once in the year.
    change = pl.max_horizontal(pl.col("first") + 30, pl.lit(lo)) + _draw(salt + 2, 150)
    changes = (_draw(salt + 3, 3) == 0) & (change <= pl.min_horizontal(pl.col("last"), pl.lit(hi)))
    workers = kids.with_columns(_change=change, _changes=changes)
    first_worker = workers.with_columns(
        SW_ID=pl.lit("SW") + (100000 + _draw(salt + 4, 900000)).cast(pl.String),
        SW_DECOM=_dates(pl.col("first")),
        SW_DEC=pl.when(pl.col("_changes")).then(_dates(pl.col("_change"))),
        SW_REASON=pl.lit("FCONTA"),
        _n=pl.lit(0),
    )
    second_worker = workers.filter(pl.col("_changes")).with_columns(
        SW_ID=pl.lit("SW") + (100000 + _draw(salt + 5, 900000)).cast(pl.String),
        SW_DECOM=_dates(pl.col("_change")),
        SW_DEC=pl.lit(None, dtype=pl.String),
        SW_REASON=pl.lit(pl.Series(_REASONS)).gather(_draw(salt + 6, len(_REASONS))),
        _n=pl.lit(1),
    )
    tables[SW_EPISODES] = pl.concat([first_worker, second_worker]).sort("CHILD", "_n")

    # Previous permanence of children who started care in the year: mostly none (Z1); about
    # one in ten had an earlier permanence option (P1), arranged by their council.
    known_council = pl.col("council").is_in(sorted(LA_PERM_CODES))
    # The order came before this period of care (632): only for a child over a year old.
    had = (_draw(salt + 7, 10) == 0) & known_council & (pl.col("first") - pl.col("dob") > 430)
    tables[PREV_PERM] = kids.filter(pl.col("started")).with_columns(
        PREV_PERM=pl.when(had).then(pl.lit("P1")).otherwise(pl.lit("Z1")),
        LA_PERM=pl.when(had).then(pl.col("council")),
        DATE_PERM=pl.when(had).then(_dates(pl.col("first") - 400)),
    )

    # UASC: the unaccompanied children (``unaccompanied``) until the year of their 18th
    # birthday, when the status ceases; DUC is that birthday (205A, 205B, 304).
    eighteenth = _birthday(18)
    tables[UASC] = kids.filter(unaccompanied(seed) & (eighteenth >= lo)).with_columns(
        DUC=_dates(eighteenth)
    )

    # Adoption. The decision that a child should be placed for adoption comes one to six
    # months before the placement order (the first E1 episode), never before the period of
    # care began; matching with the adopters shortly before the placement. Both depend on the
    # child and the seed alone, so every year's return gives the same dates.
    lifelong = seed * 7919
    decided = kids.filter(pl.col("order_start").is_not_null()).with_columns(
        _decision=pl.max_horizontal(
            pl.col("care_start"), pl.col("order_start") - 30 - _draw(lifelong + 13, 150)
        )
    )
    decided = decided.with_columns(
        _match=pl.max_horizontal(
            pl.col("_decision"), pl.col("order_start") - 7 - _draw(lifelong + 14, 50)
        )
    )
    # PlacedAdoption: every child in the return with a decision to place made by 31 March
    # (those placed on an order, or with a placement for adoption, always have one).
    tables[PLACED_ADOPTION] = decided.filter(pl.col("_decision") <= hi).with_columns(
        DATE_PLACED=_dates(pl.col("_decision")),
        DATE_PLACED_CEASED=pl.lit(None, dtype=pl.String),
        REASON_PLACED_CEASED=pl.lit(None, dtype=pl.String),
    )
    # AD1: every child adopted in the year. FOSTER_CARE follows the last placement: adopted
    # by their foster carers from A2, A3 or A5, by others from A1, A4 or A6 (rule 335).
    tables[AD1] = decided.filter(pl.col("adopted")).with_columns(
        DATE_INT=_dates(pl.col("_decision")),
        DATE_MATCH=_dates(pl.col("_match")),
        FOSTER_CARE=pl.when(pl.col("adoptive_place").is_in(["A2", "A3", "A5"]))
        .then(pl.lit("1"))
        .when(pl.col("adoptive_place").is_in(["A1", "A4", "A6"]))
        .then(pl.lit("0"))
        .otherwise(_draw(salt + 9, 2).cast(pl.String)),
        NB_ADOPTR=pl.lit("2"),
        SEX_ADOPTR=pl.lit("MF"),
        LS_ADOPTR=pl.lit("L11"),
    )

    # OC2: looked after continuously for 12 months at 31 March, as the DfE counts it (the
    # rules' ``continuously_looked_after``): in care from 1 April (or before) to 31 March, a
    # child leaving on 31 March included. Ages by birthdays, as the rules read them: an SDQ
    # score from 4 at the year's start to 17 during it, SDQ1 (under 4 when assessed) for a
    # child who turned 4 in the year, nothing under 4 at 31 March or 17 before the year;
    # health promotion under 5; conviction information from 10.
    four, seventeen = _birthday(4), _birthday(17)
    score = (four <= lo) & (seventeen >= lo)
    tables[OC2] = kids.filter((pl.col("first") <= lo) & (pl.col("last") >= hi)).with_columns(
        SDQ_SCORE=pl.when(score).then(_draw(salt + 10, 41).cast(pl.String)),
        SDQ_REASON=pl.when(four.is_between(lo + 1, hi)).then(pl.lit("SDQ1")),
        CONVICTED=pl.when(_birthday(10) <= hi).then(pl.lit("0")),
        HEALTH_CHECK=pl.when(_birthday(5) > hi).then(pl.lit("1")),
        IMMUNISATIONS=pl.lit("1"),
        TEETH_CHECK=pl.lit("1"),
        HEALTH_ASSESSMENT=pl.lit("1"),
        SUBSTANCE_MISUSE=pl.lit("0"),
        INTERVENTION_RECEIVED=pl.lit(None, dtype=pl.String),
        INTERVENTION_OFFERED=pl.lit(None, dtype=pl.String),
    )

    # OC3: left care in the year aged 17 or over (and not back by 31 March), in touch.
    # A relevant child (in care 13 weeks from their 14th birthday). Those under 19 at 31
    # March only when their 18th birthday, in the year, came after they
    # left (1007, 1016: not for 17- or 18-year-olds looked after on their birthday).
    # Staying put with former foster carers (Z2) only for those 17 before the year began
    # (rule 3001): others in that draw live independently (S2).
    eighteen = _birthday(18)
    after_leaving = eighteen.is_between(lo, hi) & (eighteen > pl.col("last"))
    tables[OC3] = kids.filter(
        pl.col("left")
        & (pl.col("last") <= hi)
        & (seventeen <= pl.col("last"))
        & ((_birthday(19) <= hi) | after_leaving)
        # A relevant child: 13 weeks in care from their 14th birthday (1001).
        & (pl.col("last") - pl.max_horizontal(pl.col("first"), _birthday(14)) >= 91)
    )
    accom = pl.lit(pl.Series(["S2", "T2", "U2", "Z2"])).gather(_draw(salt + 12, 4))
    tables[OC3] = tables[OC3].with_columns(
        IN_TOUCH=pl.lit("YES"),
        ACTIV=pl.lit(pl.Series(["F2", "P2", "G4", "F1"])).gather(_draw(salt + 11, 4)),
        ACCOM=pl.when((accom == "Z2") & (seventeen >= lo)).then(pl.lit("S2")).otherwise(accom),
    )
    tables[DOLO] = pl.DataFrame(
        schema={c: pl.String for c in COLUMNS[DOLO]} | {"council": pl.String}
    )
    return {
        table: frame.sort("CHILD", maintain_order=True).select(*COLUMNS[table], "council")
        for table, frame in tables.items()
    }
