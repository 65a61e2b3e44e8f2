"""The eight DfE rules that check an episode's Ofsted URN against Ofsted's register of
providers (ADR 0056): 1008 (not known to Ofsted), 219 (placement type), 221 (postcode), 224
(provider type), 227 and 228 (registration ended before the episode began or ended), 229
(PR1 or PR2 against the provider's council) and 241 (supported accommodation in a council
where the provider has no premises).

They read ``Context.providers`` (``returns.providers.Providers``, one row per URN). Without a
register they are not run, and the report says so (``validation.not_run``): a return is never
passed on rules it was not checked against. Each compares one episode with the register, so a
return validated in parts (ADR 0055) gives the same findings.

Where Sightline reads a rule differently from the peer (``csc-validator-be-903`` 0.1.17):
219, 221 and 224 check only URNs the register holds (an unknown one is 1008, which the peer
reports under all four); 221 and 224 need the postcode or provider code given; 229 takes the
provider's council from the register rather than inferring it from the postcode (which Ofsted
withholds for children's homes); 241 compares PL_LA with the provider's councils, as the DfE's
rule says, where the peer's compares it with the reporting council. docs/returns.md lists them.
"""

from __future__ import annotations

import polars as pl

from sightline.returns.derive import Frames, once
from sightline.returns.providers import SCHEMA
from sightline.returns.rules_common import table_rule, where
from sightline.returns.schema import EPISODES

#: The rules that need the register: not run without it.
PROVIDER_RULES = frozenset({"1008", "219", "221", "224", "227", "228", "229", "241"})

_NO_URN = "XXXXXXX"
_2026 = frozenset({2026})
# 229 from 2025/26 leaves out placements whose provider type a council does not choose.
_229_EXEMPT_2026: tuple[str, ...] = ("K3", "P1", "P3", "R1", "R2", "R5", "T0", "T1", "T2")
_229_EXEMPT_2026 += ("T3", "T4", "Z11", "Z12", "Z13", "Z14")


@once
def _with_urn(f: Frames) -> pl.DataFrame:
    """Episodes with a URN (not the 'no URN' code), joined to the register (``_known``)."""
    providers = f.context.providers
    eps = f.episodes.filter(pl.col("URN").is_not_null() & (pl.col("URN") != _NO_URN))
    if providers is None:  # not run: nothing found, and the report says so
        eps, frame = eps.clear(), pl.DataFrame(schema=SCHEMA)
    else:
        frame = providers.frame
    register = frame.with_columns(_known=pl.lit(True))
    joined = eps.with_columns(pl.col("URN").str.to_uppercase().alias("_urn")).join(
        register, left_on="_urn", right_on="URN", how="left"
    )
    return joined.with_columns(pl.col("_known").fill_null(False))


def _known(f: Frames) -> pl.DataFrame:
    return _with_urn(f).filter(pl.col("_known"))


def _in_list(value: str, items: str) -> pl.Expr:
    return pl.col(items).list.contains(pl.col(value))


@table_rule("1008", EPISODES, ("URN",), "Ofsted Unique Reference Number (URN) is not valid.")
def _1008(f: Frames) -> pl.DataFrame:
    return where(_with_urn(f), ~pl.col("_known"))


@table_rule(
    "219",
    EPISODES,
    ("URN", "PLACE"),
    "The Ofsted Unique reference number (URN) provided for the child's placement does not "
    "match the placement type recorded.",
)
def _219(f: Frames) -> pl.DataFrame:
    return where(_known(f), pl.col("PLACE").is_null() | ~_in_list("PLACE", "P_PLACES"))


#: The placement types 221 checks, by year (H5 until 2023/24, K3 from 2024/25).
_221_PLACES = {2024: ("H5", "K1", "K2", "R3", "S1")}
_221_PLACES_LATER = ("K1", "K2", "K3", "R3", "S1")


@table_rule(
    "221",
    EPISODES,
    ("PL_POST",),
    "The Ofsted Unique reference number (URN) provided for the child's placement does not "
    "match the placement postcode provided.",
)
def _221(f: Frames) -> pl.DataFrame:
    places = _221_PLACES.get(f.context.year.year, _221_PLACES_LATER)
    eps = _known(f).filter(
        ~pl.col("LS").is_in(["V3", "V4"]).fill_null(False)
        & pl.col("PLACE").is_in(list(places)).fill_null(False)
        & pl.col("PL_POST").is_not_null()
        & (pl.col("P_POSTCODES").list.len() > 0)
    )
    postcode = pl.col("PL_POST").str.replace_all(" ", "").str.to_uppercase()
    return where(eps, ~pl.col("P_POSTCODES").list.contains(postcode))


@table_rule(
    "224",
    EPISODES,
    ("PLACE_PROVIDER",),
    "The Ofsted Unique reference number (URN) provided for the child's placement does not "
    "match the placement provider recorded.",
)
def _224(f: Frames) -> pl.DataFrame:
    eps = _known(f).filter(pl.col("PLACE_PROVIDER").is_not_null())
    return where(eps, ~_in_list("PLACE_PROVIDER", "P_PROVIDERS"))


@table_rule(
    "227",
    EPISODES,
    ("URN", "DECOM"),
    "Ofsted Unique reference number (URN) is not valid for the episode start date.",
)
def _227(f: Frames) -> pl.DataFrame:
    return where(
        _known(f), pl.col("P_REG_END").is_not_null() & (pl.col("DECOM_D") >= pl.col("P_REG_END"))
    )


@table_rule(
    "228",
    EPISODES,
    ("URN", "DEC"),
    "Ofsted Unique reference number (URN) is not valid for the episode end date [NOTE: may "
    "give false positives on open episodes at providers who close during the year]",
)
def _228(f: Frames) -> pl.DataFrame:
    end = pl.lit(f.context.year.end, dtype=pl.Date)
    ended = pl.col("P_REG_END")
    return where(
        _known(f),
        ended.is_not_null()
        & pl.when(pl.col("DEC_D").is_not_null())
        .then(pl.col("DEC_D") > ended)
        .otherwise(end > ended),
    )


@table_rule(
    "229",
    EPISODES,
    ("URN", "PLACE_PROVIDER"),
    "Placement provider does not match between the placing authority and the local "
    "authority code of the provider.",
)
def _229(f: Frames) -> pl.DataFrame:
    exempt = _229_EXEMPT_2026 if f.context.year.year >= 2026 else ()
    eps = _known(f).filter(~pl.col("PLACE").is_in(list(exempt)).fill_null(False))
    ours = pl.col("P_LAS").list.eval(pl.element().is_in(f.context.area))
    return where(
        eps,
        ((pl.col("PLACE_PROVIDER") == "PR1") & ~ours.list.any())
        | ((pl.col("PLACE_PROVIDER") == "PR2") & ours.list.all()),
    )


@table_rule(
    "241",
    EPISODES,
    ("URN",),
    "LA of placement is not an LA the provider has premises.",
    years=_2026,
)
def _241(f: Frames) -> pl.DataFrame:
    eps = _known(f).filter((pl.col("PLACE") == "K3") & pl.col("PL_LA").is_not_null())
    return where(eps, ~_in_list("PL_LA", "P_LAS"))
