"""The one derivation of where a placement is and how far it is from home: the host council
and police force of a postcode, and the distance between two postcodes as the DfE derives
PL_DISTANCE (SSDA903 guide): a straight line on the OS grid, metres / 1000 / 1.6093, in miles
to one decimal place, half up.

There are two forms, and they give the same answer (``tests/geography/test_derive.py``):
scalar functions for one placement (``geography.selectors.distance_between``, used when a
placement is recorded) and Polars expressions for whole frames (a return's PL_DISTANCE, the
evidence extract, the synthetic England generator and its calibration).

Both decide the rounding in whole numbers, not in floating point. Grid references are whole
metres, so the squared distance d² is an exact integer, and "n tenths of a mile, half up" is
the largest n with (n - ½) x 160.93 m <= d, that is ((2n - 1) x 16093)² <= 40000 x d², which
fits in 64 bits for any two points in Great Britain. A floating-point estimate is corrected
by that test. So the answer does not depend on how either form rounds on the way: the three
rules this replaced (``Decimal.quantize`` of the float, ``floor(x * 10 + 0.5)`` and Polars'
``round(1)``, half to even) disagreed for a few distances over about 590 miles (d² =
912407068656 m² is 593.5 miles, not 593.6). See ``docs/adr/0010-one-geography-derivation.md``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import Decimal

import polars as pl

from sightline.geography import postcodes
from sightline.geography.models import District

__all__ = [
    "METRES_PER_MILE",
    "district_councils",
    "km",
    "km_expr",
    "miles",
    "miles_expr",
    "postcode_places",
    "squared_metres",
    "squared_metres_expr",
]

#: The DfE's PL_DISTANCE divides metres by 1000 and then by 1.6093 (SSDA903 guide).
METRES_PER_MILE = 1609.3
# A tenth of each unit in centimetres: the whole numbers the rounding is decided in.
_TENTH_OF_A_MILE_CM = round(METRES_PER_MILE * 10)  # 16093
_TENTH_OF_A_KM_CM = 10_000
# (2n - 1) x tenth <= 200 x d  <=>  ((2n - 1) x tenth)² <= 40000 x d²  (d in metres, tenth in cm)
_SCALE = 200**2


# --- One placement ------------------------------------------------------------------------


def squared_metres(*, a_easting: int, a_northing: int, b_easting: int, b_northing: int) -> int:
    """The squared straight-line distance in m² between two OS grid references (exact)."""
    return (a_easting - b_easting) ** 2 + (a_northing - b_northing) ** 2


def miles(squared: int) -> Decimal:
    """Miles to one decimal place, half up, as PL_DISTANCE: ``Decimal("157.9")``."""
    return Decimal(_tenths(squared, _TENTH_OF_A_MILE_CM)).scaleb(-1)


def km(squared: int) -> Decimal:
    """Kilometres to one decimal place, half up, decided the same way as ``miles``."""
    return Decimal(_tenths(squared, _TENTH_OF_A_KM_CM)).scaleb(-1)


def _tenths(squared: int, tenth_cm: int) -> int:
    estimate = math.floor(math.sqrt(squared) * 100 / tenth_cm + 0.5)
    if estimate > 0 and ((2 * estimate - 1) * tenth_cm) ** 2 > _SCALE * squared:
        return estimate - 1
    if ((2 * estimate + 1) * tenth_cm) ** 2 <= _SCALE * squared:
        return estimate + 1
    return estimate


# --- Frames -------------------------------------------------------------------------------


def squared_metres_expr(
    *,
    a_easting: pl.Expr,
    a_northing: pl.Expr,
    b_easting: pl.Expr,
    b_northing: pl.Expr,
    a_irish_grid: pl.Expr | None = None,
    b_irish_grid: pl.Expr | None = None,
) -> pl.Expr:
    """``squared_metres`` over columns, as Int64: null where either grid reference is null,
    or where one postcode is in Northern Ireland and the other is not (the Irish Grid cannot
    be compared with the British one; ``selectors.distance_between`` refuses that pair)."""
    a_e, a_n, b_e, b_n = (c.cast(pl.Int64) for c in (a_easting, a_northing, b_easting, b_northing))
    squared = (a_e - b_e) ** 2 + (a_n - b_n) ** 2
    if a_irish_grid is None or b_irish_grid is None:
        return squared
    return pl.when(a_irish_grid.fill_null(False) == b_irish_grid.fill_null(False)).then(squared)


def miles_expr(squared: pl.Expr) -> pl.Expr:
    """``miles`` over a column of squared metres, as Float64 (null stays null)."""
    return _as_float(_tenths_expr(squared, _TENTH_OF_A_MILE_CM))


def km_expr(squared: pl.Expr) -> pl.Expr:
    """``km`` over a column of squared metres, as Float64 (null stays null)."""
    return _as_float(_tenths_expr(squared, _TENTH_OF_A_KM_CM))


def _as_float(tenths: pl.Expr) -> pl.Expr:
    """Tenths as the float nearest the decimal, as ``float(miles(...))`` is: Polars divides by
    a constant as a multiplication by its reciprocal (1579 / 10 gives 157.90000000000001),
    and ``round(1)`` takes that back to 157.9."""
    return (tenths / 10).round(1)


def _tenths_expr(squared: pl.Expr, tenth_cm: int) -> pl.Expr:
    estimate = (squared.cast(pl.Float64).sqrt() * 100 / tenth_cm + 0.5).floor().cast(pl.Int64)
    bound = _SCALE * squared
    return (
        pl.when((estimate > 0) & (((2 * estimate - 1) * tenth_cm) ** 2 > bound))
        .then(estimate - 1)
        .when(((2 * estimate + 1) * tenth_cm) ** 2 <= bound)
        .then(estimate + 1)
        .otherwise(estimate)
    )


def district_councils() -> pl.DataFrame:
    """Every English and Welsh district with its council, region and police force, as a frame
    to join onto ``postcodes.lookup_many`` by ``district``. One row per district code; the
    council is the current one the district belongs to (after the 2023 and 2025 recodings),
    as ``selectors.postcode_place`` gives for one postcode.

    Columns: district, district_name, council_ons_code, council_dfe_code, council_name,
    region_code, region_name, police_force_code, police_force_name.
    """
    rows = District.objects.values_list(
        "code",
        "name",
        "council__ons_code",
        "council__dfe_code",
        "council__name",
        "council__region_code",
        "council__region_name",
        "police_force__code",
        "police_force__name",
    ).order_by("code")
    columns = [
        "district",
        "district_name",
        "council_ons_code",
        "council_dfe_code",
        "council_name",
        "region_code",
        "region_name",
        "police_force_code",
        "police_force_name",
    ]
    return pl.DataFrame(list(rows), schema=dict.fromkeys(columns, pl.String), orient="row")


def postcode_places(
    values: Iterable[str | None] | pl.Series, *, districts: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per distinct non-null postcode in ``values``: the frame form of
    ``selectors.postcode_place``.

    Columns: postcode (as given), found, key, district, easting, northing, irish_grid
    (whether the grid reference is on the Irish Grid), council (ONS code), council_dfe_code,
    region_name, police_force (code). Council and force are null outside England and Wales
    and for postcodes not found. ``districts`` saves reading ``district_councils()`` again.
    """
    series = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    distinct = series.cast(pl.String).drop_nulls().unique()
    found = postcodes.lookup_many(distinct)
    if districts is None:
        districts = district_councils()
    return found.join(
        districts.select(
            "district",
            council="council_ons_code",
            council_dfe_code="council_dfe_code",
            region_name="region_name",
            police_force="police_force_code",
        ),
        on="district",
        how="left",
    ).select(
        "postcode",
        "found",
        "key",
        "district",
        "easting",
        "northing",
        pl.col("district").str.starts_with("N").fill_null(False).alias("irish_grid"),
        "council",
        "council_dfe_code",
        "region_name",
        "police_force",
    )
