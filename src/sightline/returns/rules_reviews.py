"""The DfE's rules of the Reviews table (the child's reviews and how they took part)."""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames
from sightline.returns.rules_common import (
    Found,
    differs_from_header,
    flagged,
    not_in_header,
    table_rule,
    years_after,
)
from sightline.returns.schema import REVIEW_CODES, REVIEWS


@table_rule("166", REVIEWS, ("REVIEW",), "Date of review is invalid or blank.")
def _166(f: Frames) -> Found:
    return flagged(f.table(REVIEWS), pl.col("REVIEW_D").is_null())


@table_rule("167", REVIEWS, ("REVIEW_CODE",), "Data entry for participation is invalid or blank.")
def _167(f: Frames) -> Found:
    # Both blank is allowed (the peer's reading); a review date needs a valid code.
    given = pl.col("REVIEW").is_not_null()
    valid = pl.col("REVIEW_CODE").is_in(sorted(REVIEW_CODES))
    ok = (given & valid) | (~given & pl.col("REVIEW_CODE").is_null())
    return flagged(f.table(REVIEWS), ~ok.fill_null(False))


@table_rule(
    "440",
    REVIEWS,
    ("DOB", "REVIEW", "REVIEW_CODE"),
    "Participation method indicates child was under 4 years old at the time of the review, "
    "but date of birth and review date indicates the child was 4 years old or over.",
)
def _440(f: Frames) -> Found:
    return flagged(
        f.table(REVIEWS),
        (pl.col("REVIEW_CODE") == "PN0") & (pl.col("REVIEW_D") > years_after(pl.col("DOB_D"), 4)),
    )


@table_rule(
    "441",
    REVIEWS,
    ("DOB", "REVIEW", "REVIEW_CODE"),
    "Participation method indicates child was 4 years old or over at the time of the review, "
    "but the date of birth and review date indicates the child was under 4 years old.",
)
def _441(f: Frames) -> Found:
    return flagged(
        f.table(REVIEWS),
        pl.col("REVIEW_CODE").is_in(sorted(REVIEW_CODES - {"PN0"}))
        & (pl.col("REVIEW_D") < years_after(pl.col("DOB_D"), 4)),
    )


@table_rule(
    "INT08", REVIEWS, ("CHILD",), "Internal Check: Child in Reviews does not exist in Header."
)
def _int08(f: Frames) -> pl.DataFrame:
    return not_in_header(f, REVIEWS)


@table_rule(
    "INT17", REVIEWS, ("DOB",), "Internal Check: DOB in Reviews is different to DOB in Header."
)
def _int17(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, REVIEWS, "DOB")
