"""Q3: does distance make a difference? A Poisson regression of missing incidents on distance
band with placement-days as exposure, adjusted for age band, sex and placement type.

The model is fitted to cells (one per combination of the covariates) holding summed days and
incidents: for a Poisson model with a log(days) offset this gives exactly the same estimates as
fitting every placement-year, in a fraction of the time. Some children go missing again and
again, so placement-years of the same child are not independent and the counts are
overdispersed: the standard errors are cluster-robust by child (the sandwich estimator, with
each child's score summed over all their placement-years). The incidence-rate ratio of a band
is exp(coefficient), against 0 to 5 miles.

Placement types are adjusted for in groups (foster U1-U6; children's home K1 K2; supported
H5 P2 K3; with parents P1; other R1 R2 R3 R5 S1 and the rest); a group with no incidents at all
(adoption, usually) is left out, as its rate cannot be estimated and tells nothing about
distance.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from sightline.evidence.frames import Extract
from sightline.evidence.questions import DISTANCE_BANDS, Col, Kind, Query, Table, segments

Z95 = 1.959963984540054
PLACE_GROUPS = {
    **{f"U{i}": "Foster care" for i in range(1, 7)},
    "K1": "Children's home",
    "K2": "Children's home",
    "H5": "Supported accommodation",
    "P2": "Supported accommodation",
    "K3": "Supported accommodation",
    "P1": "With parents",
    **{f"A{i}": "Placed for adoption" for i in range(3, 7)},
}
OTHER_GROUP = "Other"
MIN_INCIDENTS = 20  # fewer incidents than this: no model (the estimates would be noise)
MAX_LOG_IRR = 10.0  # a coefficient beyond this means the band cannot be estimated
COVARIATES = ("age_band", "sex", "place_type")


@dataclass
class Fit:
    bands: pl.DataFrame  # band, days, missing, crude_rate, irr, lower, upper
    dispersion: float
    cells: int
    placement_years: int
    converged: bool
    kind: str


def fit(seg: pl.DataFrame, *, kind: str = "missing") -> Fit | None:
    """The model on placement-years (``questions.segments``); None if there is too little
    data (no incidents, or no placement in the reference band)."""
    data = seg.filter(pl.col("distance_band").is_in(DISTANCE_BANDS) & (pl.col("days") > 0))
    if data.is_empty() or data[kind].sum() < MIN_INCIDENTS:
        return None
    data = data.with_columns(
        place_type=pl.col("place_type").replace_strict(
            PLACE_GROUPS, default=OTHER_GROUP, return_dtype=pl.String
        )
    )
    groups = data.group_by("place_type").agg(pl.col(kind).sum())
    data = data.filter(
        pl.col("place_type").is_in(groups.filter(pl.col(kind) > 0)["place_type"].implode())
    )
    keys = ["distance_band", *COVARIATES]
    data = data.with_columns(cell=pl.struct(keys).hash(seed=1))
    # Per cell, besides days and incidents, the sum of y²/days over its placement-years: with
    # it the Pearson statistic needs no second pass over the placement-years (below).
    cells = (
        data.group_by("cell")
        .agg(
            *[pl.col(k).first() for k in keys],
            days=pl.col("days").sum(),
            y=pl.col(kind).sum(),
            y2_days=(pl.col(kind).cast(pl.Float64) ** 2 / pl.col("days")).sum(),
            n=pl.len(),
        )
        .sort(keys)
        .with_row_index("cell_index")
    )
    present = set(cells["distance_band"].to_list())
    if DISTANCE_BANDS[0] not in present:
        return None
    levels: list[tuple[str, str]] = [
        ("distance_band", b) for b in DISTANCE_BANDS[1:] if b in present
    ]
    for cov in COVARIATES:
        values = sorted(set(cells[cov].to_list()))
        # The most common level is the reference: the best-estimated baseline.
        ref = cells.group_by(cov).agg(pl.col("days").sum()).sort("days", descending=True)[cov][0]
        levels += [(cov, v) for v in values if v != ref]
    x = np.column_stack(
        [np.ones(cells.height)] + [(cells[c] == v).to_numpy().astype(float) for c, v in levels]
    )
    y = cells["y"].to_numpy().astype(float)
    offset = np.log(cells["days"].to_numpy().astype(float))
    import statsmodels.api as sm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit()
    params = np.asarray(result.params)
    # Pearson dispersion on the placement-years: each one's expected count is its cell's
    # fitted rate r times its days d, and sum (y - r d)² / (r d) over a cell's placement-years
    # is sum(y²/d) / r - 2 sum(y) + r sum(d).
    rate = np.asarray(result.fittedvalues) / cells["days"].to_numpy()
    pearson = float(
        (
            cells["y2_days"].to_numpy() / rate
            - 2 * cells["y"].to_numpy()
            + rate * cells["days"].to_numpy()
        ).sum()
    )
    dof = max(int(cells["n"].sum()) - len(params), 1)
    dispersion = pearson / dof
    se = _cluster_robust_se(data, cells, x, rate, np.asarray(result.cov_params()), kind=kind)
    crude = data.group_by("distance_band").agg(
        days=pl.col("days").sum(), missing=pl.col(kind).sum()
    )
    rows = []
    for band in DISTANCE_BANDS:
        c = crude.filter(pl.col("distance_band") == band)
        days = int(c["days"][0]) if c.height else 0
        count = int(c["missing"][0]) if c.height else 0
        if band == DISTANCE_BANDS[0]:
            irr, lower, upper = 1.0, None, None
        elif ("distance_band", band) in levels and _estimable(
            params[1 + levels.index(("distance_band", band))],
            se[1 + levels.index(("distance_band", band))],
        ):
            i = 1 + levels.index(("distance_band", band))
            irr = math.exp(params[i])
            lower = math.exp(params[i] - Z95 * se[i])
            upper = math.exp(params[i] + Z95 * se[i])
        else:
            irr, lower, upper = None, None, None
        rows.append(
            {
                "distance_band": band,
                "days": days,
                "missing": count,
                "crude_rate": 1000 * count / days if days else None,
                "irr": irr,
                "lower": lower,
                "upper": upper,
            }
        )
    return Fit(
        bands=pl.DataFrame(
            rows,
            schema={
                "distance_band": pl.String,
                "days": pl.Int64,
                "missing": pl.Int64,
                "crude_rate": pl.Float64,
                "irr": pl.Float64,
                "lower": pl.Float64,
                "upper": pl.Float64,
            },
        ),
        dispersion=dispersion,
        cells=cells.height,
        placement_years=data.height,
        converged=bool(result.converged),
        kind=kind,
    )


def _cluster_robust_se(
    data: pl.DataFrame,
    cells: pl.DataFrame,
    x: np.ndarray,
    rate: np.ndarray,
    bread: np.ndarray,
    *,
    kind: str,
) -> np.ndarray:
    """Standard errors robust to any correlation within a child and to overdispersion:
    bread · (Σ over children of s sᵀ) · bread, where a child's score s sums x (y − r d) over
    their placement-years, scaled by G / (G − 1) for G children."""
    from scipy import sparse

    rows = data.select("child", "cell", kind, "days").join(
        cells.select("cell", "cell_index"), on="cell"
    )
    index = rows["cell_index"].to_numpy()
    residual = rows[kind].to_numpy() - rate[index] * rows["days"].to_numpy()
    _, child = np.unique(rows["child"].to_numpy(), return_inverse=True)
    groups = int(child.max()) + 1 if len(child) else 0
    by_cell = sparse.csr_matrix(
        (residual, (child, index)), shape=(groups, cells.height)
    )  # duplicates (a child's placement-years in one cell) are summed
    scores = by_cell @ x
    meat = scores.T @ scores
    cov = bread @ meat @ bread * (groups / max(groups - 1, 1))
    return np.sqrt(np.maximum(np.diag(cov), 0.0))


def _estimable(param: float, se: float) -> bool:
    return bool(np.isfinite(param) and np.isfinite(se) and abs(param) + Z95 * se < MAX_LOG_IRR)


def reading(f: Fit | None) -> str:
    """The plain-English reading of the model, with its caveats."""
    if f is None:
        return (
            f"There is not enough data here to fit the model: it needs at least {MIN_INCIDENTS} "
            "missing incidents and placements within 5 miles of home to compare with."
        )
    far = f.bands.filter(pl.col("distance_band") == DISTANCE_BANDS[-1]).row(0, named=True)
    if far["irr"] is None:
        headline = "There were no placements over 50 miles from home to compare."
    else:
        change = "higher" if far["irr"] >= 1 else "lower"
        pct = abs(far["irr"] - 1) * 100
        sure = (
            "The 95% confidence interval does not include 1, so chance alone is an unlikely "
            "explanation."
            if far["lower"] > 1 or far["upper"] < 1
            else "The 95% confidence interval includes 1: the data are consistent with no "
            "difference."
        )
        headline = (
            f"Children placed over 50 miles from home had a missing-incident rate "
            f"{pct:.0f}% {change} than children placed within 5 miles, after allowing for age, "
            f"sex and placement type (incidence-rate ratio {far['irr']:.2f}, 95% confidence "
            f"interval {far['lower']:.2f} to {far['upper']:.2f}). {sure}"
        )
    return (
        f"{headline} This is an association, not proof that distance causes children to go "
        "missing. Children placed far from home may differ in ways the data do not record — "
        "the reasons for the placement, exploitation already under way, how hard it was to "
        "find a place — and those differences may explain some or all of the gap. Recording "
        "practice differs between councils and homes, distance is a straight line between "
        "postcodes rather than travel time, and unknown postcodes leave placements out of the "
        f"bands. Dispersion was {f.dispersion:.2f} (1 means the counts vary as a Poisson model "
        "expects; more means some children go missing far more often than others): the "
        "intervals allow for it, and for repeated incidents of the same child."
    )


def q3_distance(
    q: Query, extract: Extract, seg: pl.DataFrame | None = None
) -> tuple[list[Table], Fit | None]:
    seg = segments(q, extract) if seg is None else seg
    f = fit(seg)
    frame = (
        f.bands
        if f is not None
        else pl.DataFrame(
            schema={
                "distance_band": pl.String,
                "days": pl.Int64,
                "missing": pl.Int64,
                "crude_rate": pl.Float64,
                "irr": pl.Float64,
                "lower": pl.Float64,
                "upper": pl.Float64,
            }
        )
    )
    table = Table(
        slug="q3-distance-model",
        title="Does distance make a difference? Incidence-rate ratios of missing incidents by "
        "distance from home",
        columns=(
            Col("distance_band", "Distance from home"),
            Col("days", "Placement-days", Kind.DAYS),
            Col("missing", "Missing incidents", Kind.COUNT),
            Col(
                "crude_rate",
                "Missing incidents per 1,000 placement-days (unadjusted)",
                Kind.RATE,
                ("missing",),
            ),
            Col("irr", "Incidence-rate ratio (adjusted)", Kind.RATIO, ("missing",)),
            Col("lower", "95% confidence interval, lower", Kind.RATIO, ("missing",)),
            Col("upper", "95% confidence interval, upper", Kind.RATIO, ("missing",)),
        ),
        frame=frame,
        note=reading(f),
        chart={
            "type": "irr",
            "x": "distance_band",
            "y": "irr",
            "label": "Incidence-rate ratio (0 to 5 miles = 1)",
        },
    )
    return [table], f
