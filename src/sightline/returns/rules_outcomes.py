"""The DfE's rules of the OC2 (children looked after for 12 months: health, offending,
substance misuse) and OC3 (care leavers) tables."""

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
    years_after,
)
from sightline.returns.schema import (
    ACCOM_CODES,
    ACTIV_CODES,
    IN_TOUCH_CODES,
    OC2,
    OC2_FLAGS,
    OC3,
    SDQ_REASON_CODES,
)

# --- OC2 ------------------------------------------------------------------------------------


@table_rule(
    "180",
    OC2,
    ("SDQ_SCORE",),
    "Data entry for the strengths and difficulties questionnaire (SDQ) score is invalid.",
)
def _180(f: Frames) -> Found:
    score = pl.col("SDQ_SCORE").cast(pl.Int64, strict=False)
    return flagged(f.table(OC2), pl.col("SDQ_SCORE").is_not_null() & ~score.is_between(0, 40))


@table_rule(
    "181",
    OC2,
    OC2_FLAGS,
    "Data items relating to children looked after continuously for 12 months should be "
    "completed with a 0 or 1.",
)
def _181(f: Frames) -> Found:
    return flagged(
        f.table(OC2), pl.any_horizontal(not_in(c, frozenset({"0", "1"})) for c in OC2_FLAGS)
    )


@table_rule(
    "182",
    OC2,
    (
        "IMMUNISATIONS",
        "TEETH_CHECK",
        "HEALTH_ASSESSMENT",
        "SUBSTANCE_MISUSE",
        "CONVICTED",
        "HEALTH_CHECK",
        "INTERVENTION_RECEIVED",
        "INTERVENTION_OFFERED",
    ),
    "Data entries on immunisations, teeth checks, health assessments and substance misuse "
    "problem identified should be completed or all OC2 fields should be left blank.",
)
def _182(f: Frames) -> Found:
    core = ("IMMUNISATIONS", "TEETH_CHECK", "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE")
    rest = ("CONVICTED", "HEALTH_CHECK", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED")
    some_core_blank = pl.any_horizontal(pl.col(c).is_null() for c in core)
    some_rest_given = pl.any_horizontal(pl.col(c).is_not_null() for c in rest)
    return flagged(f.table(OC2), some_core_blank & some_rest_given)


@table_rule(
    "196", OC2, ("SDQ_REASON",), "Strengths and Difficulties (SDQ) reason is not a valid code."
)
def _196(f: Frames) -> Found:
    return flagged(f.table(OC2), not_in("SDQ_REASON", SDQ_REASON_CODES))


@table_rule(
    "197a",
    OC2,
    ("SDQ_SCORE", "SDQ_REASON"),
    "Reason for no Strengths and Difficulties (SDQ) score is not required if Strengths and "
    "Difficulties Questionnaire score is filled in.",
)
def _197a(f: Frames) -> Found:
    return flagged(
        f.table(OC2), pl.col("SDQ_SCORE").is_not_null() & pl.col("SDQ_REASON").is_not_null()
    )


@table_rule(
    "158",
    OC2,
    ("INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    "If a child has been recorded as receiving an intervention for their substance misuse "
    "problem, then the additional item on whether an intervention was offered should be left "
    "blank.",
)
def _158(f: Frames) -> Found:
    return flagged(
        f.table(OC2),
        (pl.col("INTERVENTION_RECEIVED") == "1") & pl.col("INTERVENTION_OFFERED").is_not_null(),
    )


@table_rule(
    "159",
    OC2,
    ("SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    "If a child has been recorded as not receiving an intervention for their substance misuse "
    "problem, then the additional item on whether an intervention was offered should be "
    "completed as well.",
)
def _159(f: Frames) -> Found:
    return flagged(
        f.table(OC2),
        (pl.col("SUBSTANCE_MISUSE") == "1")
        & (pl.col("INTERVENTION_RECEIVED") == "0")
        & pl.col("INTERVENTION_OFFERED").is_null(),
    )


@table_rule(
    "192",
    OC2,
    ("SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED"),
    "Child has been identified as having a substance misuse problem but the additional item "
    "on whether an intervention was received has been left blank.",
)
def _192(f: Frames) -> Found:
    return flagged(
        f.table(OC2),
        (pl.col("SUBSTANCE_MISUSE") == "1") & pl.col("INTERVENTION_RECEIVED").is_null(),
    )


@table_rule(
    "193",
    OC2,
    ("SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
    "Child not identified as having a substance misuse problem but at least one of the two "
    "additional items on whether an intervention were offered and received have been "
    "completed.",
)
def _193(f: Frames) -> Found:
    no_misuse = pl.col("SUBSTANCE_MISUSE").is_null() | (pl.col("SUBSTANCE_MISUSE") == "0")
    given = (
        pl.col("INTERVENTION_RECEIVED").is_not_null() | pl.col("INTERVENTION_OFFERED").is_not_null()
    )
    return flagged(f.table(OC2), no_misuse & given)


@table_rule(
    "542",
    OC2,
    ("CONVICTED",),
    "A child aged under 10 at 31 March should not have conviction information completed.",
)
def _542(f: Frames) -> Found:
    return flagged(
        f.table(OC2),
        (years_after(pl.col("DOB_D"), 10) > lit_date(f.context.year.end))
        & pl.col("CONVICTED").is_not_null(),
    )


@table_rule("INT05", OC2, ("CHILD",), "Internal Check: Child in OC2 does not exist in Header.")
def _int05(f: Frames) -> pl.DataFrame:
    return not_in_header(f, OC2)


@table_rule("INT14", OC2, ("DOB",), "Internal Check: DOB in OC2 is different to DOB in Header.")
def _int14(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, OC2, "DOB")


@table_rule("INT33", OC2, ("CHILD",), "Internal Check: Child should only exist once in OC2.")
def _int33(f: Frames) -> pl.DataFrame:
    return more_than_once(f, OC2)


# --- OC3 ------------------------------------------------------------------------------------


@table_rule(
    "131", OC3, ("IN_TOUCH",), "Data entry for being in touch after leaving care is invalid."
)
def _131(f: Frames) -> Found:
    # Blank is invalid too (the peer's reading): every care leaver's record says.
    return flagged(f.table(OC3), ~pl.col("IN_TOUCH").is_in(sorted(IN_TOUCH_CODES)).fill_null(False))


@table_rule("132", OC3, ("ACTIV",), "Data entry for activity after leaving care is invalid.")
def _132(f: Frames) -> Found:
    return flagged(f.table(OC3), ~pl.col("ACTIV").is_in(sorted(ACTIV_CODES)).fill_null(False))


@table_rule(
    "133",
    OC3,
    ("ACCOM",),
    "Data entry for accommodation after leaving care is invalid. If reporting on a childs "
    "accommodation after leaving care the data entry must be valid",
)
def _133(f: Frames) -> Found:
    return flagged(f.table(OC3), ~pl.col("ACCOM").is_in(sorted(ACCOM_CODES)).fill_null(False))


@table_rule(
    "153",
    OC3,
    ("IN_TOUCH", "ACTIV", "ACCOM"),
    "All data items relating to a child's activity or accommodation after leaving care must "
    "be coded or left blank.",
)
def _153(f: Frames) -> Found:
    given = [pl.col(c).is_not_null() for c in ("IN_TOUCH", "ACTIV", "ACCOM")]
    return flagged(f.table(OC3), pl.any_horizontal(given) & ~pl.all_horizontal(given))


@table_rule(
    "344",
    OC3,
    ("IN_TOUCH", "ACTIV", "ACCOM"),
    "The record shows the young person has died or returned home to live with parent(s) or "
    "someone with parental responsibility for a continuous period of 6 months or more, but "
    "activity and/or accommodation on leaving care have been completed.",
)
def _344(f: Frames) -> Found:
    not_zero = (pl.col("ACTIV") != "0").fill_null(True) | (pl.col("ACCOM") != "0").fill_null(True)
    return flagged(f.table(OC3), pl.col("IN_TOUCH").is_in(["DIED", "RHOM"]) & not_zero)


@table_rule(
    "345",
    OC3,
    ("IN_TOUCH", "ACTIV", "ACCOM"),
    "The data collection record shows the local authority is in touch with this young "
    "person, but activity and/or accommodation data items are zero.",
)
def _345(f: Frames) -> Found:
    zero = (pl.col("ACTIV") == "0") | (pl.col("ACCOM") == "0")
    return flagged(f.table(OC3), (pl.col("IN_TOUCH") == "YES") & zero)


@table_rule("INT06", OC3, ("CHILD",), "Internal Check: Child in OC3 does not exist in Header.")
def _int06(f: Frames) -> pl.DataFrame:
    return not_in_header(f, OC3)


@table_rule("INT15", OC3, ("DOB",), "Internal Check: DOB in OC3 is different to DOB in Header.")
def _int15(f: Frames) -> pl.DataFrame:
    return differs_from_header(f, OC3, "DOB")


@table_rule("INT34", OC3, ("CHILD",), "Internal Check: Child should only exist once in OC3.")
def _int34(f: Frames) -> pl.DataFrame:
    return more_than_once(f, OC3)
