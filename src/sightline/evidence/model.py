"""Q3: does distance make a difference? A Poisson regression of missing incidents on distance
band with placement-days as exposure, adjusted for age band, sex and placement type.

The model is fitted to cells (one per combination of the covariates) holding summed days and
incidents: for a Poisson model with a log(days) offset this gives exactly the same estimates as
fitting every placement-year, in a fraction of the time. Some children go missing again and
again, so placement-years of the same child are not independent and the counts are
overdispersed: the standard errors are cluster-robust by child (the sandwich estimator, with
each child's score summed over all their placement-years). The incidence-rate ratio of a band
is exp(coefficient), against 0 to 5 miles.

The cells are not kept with the extract: the cluster-robust errors need each child's score,
and a child's placement-years fall in different areas and years, so scores cannot be added
up from cells kept per area. Instead one pass over the query's placement-years with
``bincount`` gives the cells and every child's scores (about a tenth of a second for all of
England); statsmodels' GLM then fits the few hundred cells (``_poisson``), and the
sandwich's middle is summed per child from those scores (``_cluster_robust_se``; the tests
check it against statsmodels' own cluster-robust covariance fitted on every placement-year).

Placement types are adjusted for in groups (foster U1-U6; children's home K1 K2; supported
H5 P2 K3; with parents P1; other R1 R2 R3 R5 S1 and the rest); a group with no incidents at all
(adoption, usually) is left out, as its rate cannot be estimated and tells nothing about
distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from sightline.evidence.frames import Extract
from sightline.evidence.questions import (
    DISTANCE_BANDS,
    OTHER_GROUP,
    PLACE_GROUPS,
    Col,
    Kind,
    Query,
    Table,
    column_array,
    column_codes,
    place_group,
    segments,
)

__all__ = ["OTHER_GROUP", "PLACE_GROUPS", "Fit", "fit", "q3_distance", "reading"]

Z95 = 1.959963984540054
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
    data (no incidents, or no placement in the reference band).

    The work is done on integer codes with NumPy: each placement-year's cell is a number
    worked out from its band codes, cells are summed with ``bincount``, and so are each
    child's scores for the cluster-robust errors. Nothing here sorts the placement-years."""
    data = seg
    if "place_group" not in data.columns:
        data = data.with_columns(place_group=place_group(pl.col("place_type")))
    columns = {"distance_band": "distance_band", **{c: c for c in COVARIATES}}
    columns["place_type"] = "place_group"
    codes, names = {}, {}
    for key, column in columns.items():
        codes[key], levels_of = column_codes(data, column)
        names[key] = [str(v) for v in levels_of.to_list()]
    y = column_array(data, kind, np.float64)
    days = column_array(data, "days", np.float64)
    child = (
        column_array(data, "child_n", np.int64)
        if "child_n" in data.columns
        else np.unique(data["child_key"].to_numpy(), return_inverse=True)[1]
    )
    # Placement-years with a known distance and some days; then a placement-type group with
    # no incidents at all is left out (it cannot be estimated).
    known = np.isin(
        np.arange(len(names["distance_band"])),
        [i for i, b in enumerate(names["distance_band"]) if b in DISTANCE_BANDS],
    )
    keep = known[codes["distance_band"]] & (days > 0)
    if not keep.any() or y[keep].sum() < MIN_INCIDENTS:
        return None
    group = codes["place_type"]
    with_incidents = (
        np.bincount(group[keep], weights=y[keep], minlength=len(names["place_type"])) > 0
    )
    keep &= with_incidents[group]
    if not keep.all():
        codes = {k: v[keep] for k, v in codes.items()}
        y, days, child = y[keep], days[keep], child[keep]
    keys = ["distance_band", *COVARIATES]
    sizes = [len(names[k]) for k in keys]
    code = np.zeros(len(y), dtype=np.int64)
    for k, size in zip(keys, sizes, strict=True):
        code = code * size + codes[k]
    counts = np.bincount(code, minlength=int(np.prod(sizes)))
    present = np.flatnonzero(counts)
    cell_of = np.full(len(counts), -1, dtype=np.int64)
    cell_of[present] = np.arange(len(present))
    cell = cell_of[code]
    n_cells = len(present)
    cell_days = np.bincount(cell, weights=days, minlength=n_cells)
    cell_y = np.bincount(cell, weights=y, minlength=n_cells)
    # Per cell, besides days and incidents, the sum of y²/days over its placement-years: with
    # it the Pearson statistic needs no second pass over the placement-years (below).
    cell_y2_days = np.bincount(cell, weights=y * y / days, minlength=n_cells)
    cell_codes = {}
    rest = present.copy()
    for k, size in zip(reversed(keys), reversed(sizes), strict=True):
        rest, cell_codes[k] = np.divmod(rest, size)
    reference_band = names["distance_band"].index(DISTANCE_BANDS[0])
    if not (cell_codes["distance_band"] == reference_band).any():
        return None
    in_cells = {k: set(cell_codes[k].tolist()) for k in keys}
    levels: list[tuple[str, int]] = [
        ("distance_band", names["distance_band"].index(b))
        for b in DISTANCE_BANDS[1:]
        if b in names["distance_band"]
        and names["distance_band"].index(b) in in_cells["distance_band"]
    ]
    for cov in COVARIATES:
        # The most common level is the reference: the best-estimated baseline.
        by_level = np.bincount(cell_codes[cov], weights=cell_days, minlength=len(names[cov]))
        ref = int(np.argmax(by_level))
        values = sorted(in_cells[cov], key=names[cov].__getitem__)
        levels += [(cov, v) for v in values if v != ref]
    x = np.column_stack(
        [np.ones(n_cells)] + [(cell_codes[c] == v).astype(float) for c, v in levels]
    )
    params, bread, mu, converged = _poisson(x, cell_y, np.log(cell_days))
    # Pearson dispersion on the placement-years: each one's expected count is its cell's
    # fitted rate r times its days d, and sum (y - r d)² / (r d) over a cell's placement-years
    # is sum(y²/d) / r - 2 sum(y) + r sum(d).
    rate = mu / cell_days
    pearson = float((cell_y2_days / rate - 2 * cell_y + rate * cell_days).sum())
    dof = max(len(y) - len(params), 1)
    dispersion = pearson / dof
    residual = y - rate[cell] * days
    se = _cluster_robust_se(residual, child, codes, names, levels, bread)
    # Days and incidents by band, from the cells (whole numbers: the same sums).
    band_days = np.bincount(cell_codes["distance_band"], weights=cell_days, minlength=sizes[0])
    band_y = np.bincount(cell_codes["distance_band"], weights=cell_y, minlength=sizes[0])
    rows = []
    for band in DISTANCE_BANDS:
        b = names["distance_band"].index(band) if band in names["distance_band"] else None
        days_in = int(band_days[b]) if b is not None else 0
        count = int(band_y[b]) if b is not None else 0
        level = ("distance_band", b) if b is not None else None
        if band == DISTANCE_BANDS[0]:
            irr, lower, upper = 1.0, None, None
        elif level in levels and _estimable(
            params[1 + levels.index(level)],
            se[1 + levels.index(level)],
        ):
            i = 1 + levels.index(level)
            irr = math.exp(params[i])
            lower = math.exp(params[i] - Z95 * se[i])
            upper = math.exp(params[i] + Z95 * se[i])
        else:
            irr, lower, upper = None, None, None
        rows.append(
            {
                "distance_band": band,
                "days": days_in,
                "missing": count,
                "crude_rate": 1000 * count / days_in if days_in else None,
                "irr": irr,
                "lower": lower,
                "upper": upper,
            }
        )
    return Fit(
        bands=pl.DataFrame(rows, schema=BANDS_SCHEMA),
        dispersion=dispersion,
        cells=n_cells,
        placement_years=len(y),
        converged=converged,
        kind=kind,
    )


BANDS_SCHEMA: dict[str, type[pl.DataType]] = {
    "distance_band": pl.String,
    "days": pl.Int64,
    "missing": pl.Int64,
    "crude_rate": pl.Float64,
    "irr": pl.Float64,
    "lower": pl.Float64,
    "upper": pl.Float64,
}


def _poisson(
    x: np.ndarray, y: np.ndarray, offset: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """A Poisson GLM with log link and offset, fitted by statsmodels (IRLS) on the cells:
    coefficients, their model-based covariance (the inverse information matrix, the bread
    of the sandwich), fitted means and whether the fit converged."""
    # Imported here: statsmodels takes about half a second to import, and only Q3 needs it.
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    result = GLM(y, x, family=families.Poisson(), offset=offset).fit()
    return (
        np.asarray(result.params),
        np.asarray(result.cov_params()),
        np.asarray(result.fittedvalues),
        bool(result.converged),
    )


def _cluster_robust_se(
    residual: np.ndarray,
    child: np.ndarray,
    codes: dict[str, np.ndarray],
    names: dict[str, list[str]],
    levels: list[tuple[str, int]],
    bread: np.ndarray,
) -> np.ndarray:
    """Standard errors robust to any correlation within a child and to overdispersion:
    bread · (Σ over children of s sᵀ) · bread, where a child's score s sums x (y − r d) over
    their placement-years, scaled by G / (G − 1) for G children.

    The design is indicators, so a child's score for a level is the sum of their residuals
    in placement-years at that level: one ``bincount`` per covariate gives every child's
    score for every level of it."""
    groups = int(child.max()) + 1 if len(child) else 0
    seen = int(np.count_nonzero(np.bincount(child, minlength=groups)))
    # Every child's score for the intercept and for every level of every covariate, as
    # one matrix (levels by children), then Σ s sᵀ in one product and the rows and
    # columns of the levels in the model.
    covariates = list(dict.fromkeys(c for c, _ in levels))
    blocks = [np.bincount(child, weights=residual, minlength=groups).reshape(1, groups)]
    first = {}
    for cov in covariates:
        size = len(names[cov])
        first[cov] = sum(len(block) for block in blocks)
        blocks.append(
            np.bincount(
                codes[cov] * groups + child, weights=residual, minlength=size * groups
            ).reshape(size, groups)
        )
    where = [0] + [first[c] + v for c, v in levels]
    meat = _gram(blocks)[np.ix_(where, where)]
    cov = bread @ meat @ bread * (seen / max(seen - 1, 1))
    return np.sqrt(np.maximum(np.diag(cov), 0.0))


_GRAM_CHUNK = 512


def _gram(blocks: list[np.ndarray]) -> np.ndarray:
    """S · Sᵀ for S the blocks one above the other (levels by children), a few hundred
    children at a time. S is not put together whole: a new array of tens of megabytes costs
    more (the memory is fresh) than the product. And one product of the whole matrix is big
    enough for OpenBLAS to share it among its threads, which wait for each other by spinning:
    with Polars busy in the report's other thread, or another process on the machine, that
    once took seconds of CPU for a product that needs milliseconds. Slices this small run in
    the calling thread."""
    levels = sum(len(block) for block in blocks)
    children = blocks[0].shape[1] if blocks else 0
    total = np.zeros((levels, levels))
    for begin in range(0, children, _GRAM_CHUNK):
        part = np.concatenate([block[:, begin : begin + _GRAM_CHUNK] for block in blocks])
        total += part @ part.T
    return total


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
    frame = f.bands if f is not None else pl.DataFrame(schema=BANDS_SCHEMA)
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
