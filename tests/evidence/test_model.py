"""Q3 on simulated data with a known incidence-rate ratio for every distance band."""

from __future__ import annotations

import pytest

from sightline.evidence import model
from sightline.evidence.areas import ENGLAND
from sightline.evidence.questions import Query, segments
from sightline.evidence.simulate import PLANTED_IRR, planted_extract


@pytest.mark.parametrize("overdispersion", [0.0, 1.5])
def test_q3_recovers_the_planted_irr_within_10_percent_with_covering_intervals(overdispersion):
    extract = planted_extract(children=40_000, seed=7, overdispersion=overdispersion)
    (table,), fit = model.q3_distance(Query(ENGLAND, 2024, 2024), extract)
    assert fit is not None and fit.converged
    got = {r["distance_band"]: r for r in table.frame.to_dicts()}
    for band, planted in PLANTED_IRR.items():
        row = got[band]
        assert row["irr"] == pytest.approx(planted, rel=0.10), band
        if planted != 1.0:
            assert row["lower"] <= planted <= row["upper"], band
    if overdispersion:
        # The frailty makes counts overdispersed; the intervals are widened for it.
        assert fit.dispersion > 1.2
    else:
        assert fit.dispersion == pytest.approx(1.0, abs=0.1)


def test_cell_fit_equals_the_fit_on_every_placement_year():
    """Grouping into cells changes nothing for a Poisson model with a log(days) offset."""
    import numpy as np
    import polars as pl
    import statsmodels.api as sm

    extract = planted_extract(children=3_000, seed=3)
    seg = segments(Query(ENGLAND, 2024, 2024), extract)
    fit = model.fit(seg)
    assert fit is not None
    design = seg.select(
        *[
            (pl.col("distance_band") == b).cast(pl.Float64).alias(b)
            for b in PLANTED_IRR
            if b != "0 to 5 miles"
        ],
        *[
            (pl.col("age_band") == a).cast(pl.Float64).alias(a)
            for a in ("Under 10", "10 to 12", "16 and over")
        ],
        (pl.col("sex") == "M").cast(pl.Float64).alias("M"),
        *[(pl.col("place_type") == t).cast(pl.Float64).alias(t) for t in ("U4", "K3")],
    ).to_numpy()
    x = np.column_stack([np.ones(seg.height), design])
    full = sm.GLM(
        seg["missing"].to_numpy(),
        x,
        family=sm.families.Poisson(),
        offset=np.log(seg["days"].to_numpy()),
    ).fit()
    over_50 = fit.bands.filter(pl.col("distance_band") == "Over 50 miles")["irr"][0]
    assert over_50 == pytest.approx(np.exp(full.params[4]), rel=1e-6)


def test_reading_says_association_not_causation_and_names_caveats():
    extract = planted_extract(children=5_000, seed=11)
    (table,), _ = model.q3_distance(Query(ENGLAND, 2024, 2024), extract)
    assert "association, not proof" in table.note
    assert "straight line" in table.note
    assert "over 50 miles" in table.note


def test_too_little_data_says_so():
    assert model.reading(None).startswith("There is not enough data")


def test_cluster_robust_errors_equal_statsmodels_on_every_placement_year():
    """The errors from cells and per-child scores equal statsmodels' cluster-robust errors
    fitted on the placement-years themselves (with the G / (G - 1) correction only)."""
    import numpy as np
    import polars as pl
    import statsmodels.api as sm

    extract = planted_extract(children=3_000, seed=13, overdispersion=1.0)
    seg = segments(Query(ENGLAND, 2024, 2024), extract)
    fit = model.fit(seg)
    assert fit is not None and fit.converged
    bands = [b for b in PLANTED_IRR if b != "0 to 5 miles"]
    design = seg.select(
        *[(pl.col("distance_band") == b).cast(pl.Float64).alias(b) for b in bands],
        *[
            (pl.col("age_band") == a).cast(pl.Float64).alias(a)
            for a in ("Under 10", "10 to 12", "16 and over")
        ],
        (pl.col("sex") == "M").cast(pl.Float64).alias("M"),
        *[(pl.col("place_type") == t).cast(pl.Float64).alias(t) for t in ("U4", "K3")],
    ).to_numpy()
    children = np.unique(seg["child_n"].to_numpy(), return_inverse=True)[1]
    groups = children.max() + 1
    full = sm.GLM(
        seg["missing"].to_numpy(),
        np.column_stack([np.ones(seg.height), design]),
        family=sm.families.Poisson(),
        offset=np.log(seg["days"].to_numpy()),
    ).fit(cov_type="cluster", cov_kwds={"groups": children, "use_correction": False})
    se = np.sqrt(np.diag(full.cov_params())) * np.sqrt(groups / (groups - 1))
    got = {r["distance_band"]: r for r in fit.bands.to_dicts()}
    for i, band in enumerate(bands, start=1):
        width = np.log(got[band]["upper"]) - np.log(got[band]["lower"])
        assert width == pytest.approx(2 * model.Z95 * se[i], rel=1e-6), band
