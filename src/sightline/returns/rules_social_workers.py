"""The DfE's rules of the SWEpisodes table (the child's social workers, collected from
2023/24): which social worker, from when to when, and why they changed."""

from __future__ import annotations

import datetime as dt

import polars as pl

from sightline.returns.derive import Frames, once
from sightline.returns.rules_common import (
    Found,
    bad_date,
    flagged,
    lit_date,
    not_in,
    table_rule,
    where,
)
from sightline.returns.schema import SW_EPISODES, SW_REASON_CODES

_FIRST_COLLECTED = dt.date(2023, 4, 1)


@once
def _ordered(f: Frames) -> pl.DataFrame:
    """Each child's social worker episodes by start, with the previous one's end."""
    frame = f.table(SW_EPISODES).sort(["CHILD", "SW_DECOM_D", "SW_DEC_D", "_i"], nulls_last=True)
    child = pl.col("CHILD")
    first = child.is_null() | (child != child.shift(1)).fill_null(True)
    last = child.is_null() | (child != child.shift(-1)).fill_null(True)
    return frame.with_columns(
        _first=first,
        _last=last,
        PREV_SW_DEC_D=pl.when(~first).then(pl.col("SW_DEC_D").shift(1)),
    )


@table_rule(
    "SW01aSTG1",
    SW_EPISODES,
    ("SW_DECOM", "SW_ID"),
    "For each social worker episode, information should be complete",
    years=frozenset({2025}),
)
def _sw01a(f: Frames) -> Found:
    before = pl.col("SW_DECOM_D") < lit_date(_FIRST_COLLECTED)
    return flagged(
        f.table(SW_EPISODES),
        (before & pl.col("SW_ID").is_null()) | pl.col("SW_DECOM_D").is_null(),
    )


@table_rule(
    "SW01bSTG1",
    SW_EPISODES,
    ("SW_DECOM", "SW_ID", "SW_REASON"),
    "For each social worker episode, information should be complete",
    years=frozenset({2025}),
)
def _sw01b(f: Frames) -> Found:
    after = pl.col("SW_DECOM_D") >= lit_date(_FIRST_COLLECTED)
    blank = pl.col("SW_ID").is_null() | pl.col("SW_REASON").is_null()
    return flagged(f.table(SW_EPISODES), (after & blank) | pl.col("SW_DECOM_D").is_null())


@table_rule(
    "SW02STG1",
    SW_EPISODES,
    ("SW_ID",),
    "Social worker ID does not begin with the characters ‘SW’ or ‘XX’.",
)
def _sw02(f: Frames) -> Found:
    sw_id = pl.col("SW_ID")
    ok = sw_id.str.slice(0, 2).is_in(["SW", "XX"]) & (sw_id.str.len_chars() >= 4)
    return flagged(f.table(SW_EPISODES), ~ok.fill_null(False))


@table_rule(
    "SW04STG1",
    SW_EPISODES,
    ("SW_DECOM",),
    "Date social worker episode began is not a valid date..",
)
def _sw04(f: Frames) -> Found:
    return flagged(f.table(SW_EPISODES), bad_date("SW_DECOM"))


@table_rule(
    "SW05STG1",
    SW_EPISODES,
    ("SW_DEC",),
    "Date social worker episode began is not a valid date.",
)
def _sw05(f: Frames) -> Found:
    # The DfE's message says "began"; the rule is about SW_DEC, the date it ended.
    return flagged(f.table(SW_EPISODES), bad_date("SW_DEC"))


@table_rule(
    "SW06STG2",
    SW_EPISODES,
    ("SW_DECOM",),
    "Social worker episode data should be within the social worker data reporting year.",
)
def _sw06(f: Frames) -> Found:
    return flagged(f.table(SW_EPISODES), pl.col("SW_DECOM_D") > lit_date(f.context.year.end))


@table_rule(
    "SW07STG2",
    SW_EPISODES,
    ("SW_DEC",),
    "Social worker episode end date should be on or after the start of the social worker "
    "reporting period, and should be on or before the collection end date.",
)
def _sw07(f: Frames) -> Found:
    # The social worker reporting period is the two years to 31 March: a year before the
    # collection year starts.
    year = f.context.year
    earliest = lit_date(year.start.replace(year=year.start.year - 1))
    dec = pl.col("SW_DEC_D")
    return flagged(f.table(SW_EPISODES), (dec < earliest) | (dec > lit_date(year.end)))


@table_rule(
    "SW08STG2",
    SW_EPISODES,
    ("SW_DEC",),
    "A new social worker episode has started, but the previous episode has not ended.",
)
def _sw08(f: Frames) -> pl.DataFrame:
    frame = _ordered(f)
    return where(
        frame,
        ~pl.col("_last")
        & pl.col("SW_DEC_D").is_null()
        & pl.col("CHILD").is_not_null()
        & pl.col("SW_DECOM_D").is_not_null(),
    )


@table_rule(
    "SW09STG2",
    SW_EPISODES,
    ("SW_DECOM", "SW_DEC"),
    "Social worker episode appears to have lasted for less than 24 hours.",
)
def _sw09(f: Frames) -> Found:
    # As the peer checks it: ended less than three days after it began.
    days = (pl.col("SW_DEC_D") - pl.col("SW_DECOM_D")).dt.total_days()
    return flagged(f.table(SW_EPISODES), days < 3)


@table_rule(
    "SW10STG2",
    SW_EPISODES,
    ("SW_DECOM",),
    "A new social worker episode has started before the end date of the previous social "
    "worker episode.",
)
def _sw10(f: Frames) -> pl.DataFrame:
    # Unless the reason is first contact (FCONTA), an episode starts within 7 days either
    # side of the end of the child's previous one (an open previous one is not ended).
    frame = _ordered(f)
    prev = pl.col("PREV_SW_DEC_D")
    within = (pl.col("SW_DECOM_D") >= prev.dt.offset_by("-7d")) & (
        pl.col("SW_DECOM_D") <= prev.dt.offset_by("7d")
    )
    not_first_contact = (pl.col("SW_REASON") != "FCONTA").fill_null(True)
    return where(
        frame,
        ~pl.col("_first")
        & pl.col("CHILD").is_not_null()
        & not_first_contact
        & ~within.fill_null(False),
    )


@table_rule(
    "SW13STG1",
    SW_EPISODES,
    ("SW_REASON",),
    "The reason for social worker change is either not valid or has not been entered.",
)
def _sw13(f: Frames) -> Found:
    blank = pl.col("SW_REASON").is_null() & (pl.col("SW_DECOM_D") >= lit_date(_FIRST_COLLECTED))
    return flagged(f.table(SW_EPISODES), not_in("SW_REASON", SW_REASON_CODES) | blank)


@table_rule(
    "SW17STG2",
    SW_EPISODES,
    ("SW_DEC", "SW_DECOM"),
    "There is no social worker episode open at 31 March",
    years=frozenset({2026}),
)
def _sw17(f: Frames) -> pl.DataFrame:
    frame = _ordered(f).filter(pl.col("SW_DECOM_D").is_not_null())
    latest = frame.group_by("CHILD").agg(pl.all().sort_by("SW_DECOM_D").last())
    return where(latest, pl.col("SW_DEC").is_not_null())


@table_rule(
    "SW18STG2",
    SW_EPISODES,
    ("SW_DEC", "SW_DECOM"),
    "The end date of the social worker episode is before the start date",
    years=frozenset({2026}),
)
def _sw18(f: Frames) -> Found:
    return flagged(f.table(SW_EPISODES), pl.col("SW_DEC_D") <= pl.col("SW_DECOM_D"))


@table_rule(
    "SW19STG2",
    SW_EPISODES,
    ("SW_DEC", "SW_DECOM"),
    "There are 2 social worker episodes for the child starting on the same date.",
    years=frozenset({2026}),
)
def _sw19(f: Frames) -> pl.DataFrame:
    # Every episode after the first listed with the same child and start.
    frame = f.table(SW_EPISODES).sort("_i")
    return where(frame, ~pl.struct("CHILD", "SW_DECOM").is_first_distinct())
