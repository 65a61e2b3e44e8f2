"""Generated against published: the figures of one collection year read back from the files.

Counts are compared with the published figure times the run's population fraction (scale
times the councils' share of England, from ``truth.json``), so a reduced run is checked too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sightline.core.errors import ValidationError
from sightline.geography.derive import miles_expr, postcode_places, squared_metres_expr
from sightline.geography.models import Council
from sightline.synth.england.aggregates import Aggregates
from sightline.synth.england.reference import Figure
from sightline.synth.england.writer import TRUTH_FILE

__all__ = ["TOLERANCE_PCT", "CalibrationRow", "calibration_rows", "format_calibration"]

TOLERANCE_PCT = 10.0

#: measure key -> (label, is a count scaled by the run's population fraction, checked)
MEASURES: dict[str, tuple[str, bool, bool]] = {
    "cla_31_march": ("Looked after at 31 March", True, True),
    "cla_during_year": ("Looked after during the year", True, True),
    "missing_incidents": ("Missing incidents (M)", True, True),
    "away_incidents": ("Away incidents (A)", True, True),
    "missing_children_pct": ("Children who went missing, % of looked after", False, True),
    "incidents_per_missing_child": ("Missing incidents per missing child", False, True),
    "missing_16_plus_pct": ("Missing incidents aged 16+, %", False, True),
    "missing_2_days_or_less_pct": ("Missing incidents of 2 days or less, %", False, True),
    "homes_north_west_pct": ("Children's homes in the North West, %", False, True),
    "homes_out_of_council_pct": ("Children in homes placed outside their council, %", False, True),
    "over_20_miles_pct": ("Placements over 20 miles from home, %", False, True),
    "homes_average_miles": ("Average distance, children in homes, miles", False, False),
}


@dataclass(frozen=True)
class CalibrationRow:
    key: str
    measure: str
    generated: float
    published: float | None
    difference_pct: float | None
    source: str
    checked: bool

    @property
    def outside(self) -> bool:
        return (
            self.checked
            and self.difference_pct is not None
            and abs(self.difference_pct) > TOLERANCE_PCT
        )


def _read(directory: Path, year: int, name: str) -> pl.DataFrame:
    paths = sorted(directory.glob(f"[0-9][0-9][0-9]/{year}/{name}"))
    if not paths:
        raise ValidationError(f"There are no {name} files for {year} in {directory}.", field="year")
    frames = []
    for path in paths:
        frame = pl.read_csv(path, infer_schema=False)
        frames.append(frame.with_columns(council=pl.lit(path.parent.parent.name)))
    return pl.concat(frames)


def _date(column: str) -> pl.Expr:
    return pl.col(column).str.strptime(pl.Date, "%d/%m/%Y", strict=True)


def generated_figures(directory: Path, year: int) -> dict[str, float]:
    header = _read(directory, year, "header.csv")
    episodes = _read(directory, year, "episodes.csv")
    missing = _read(directory, year, "missing.csv")
    found: dict[str, float] = {}
    during = header.height
    found["cla_during_year"] = during
    current = episodes.filter(pl.col("DEC").is_null())
    found["cla_31_march"] = current["CHILD"].n_unique()
    m = missing.filter(pl.col("MISSING") == "M").with_columns(
        start=_date("MIS_START"), end=_date("MIS_END"), dob=_date("DOB")
    )
    found["missing_incidents"] = m.height
    found["away_incidents"] = missing.filter(pl.col("MISSING") == "A").height
    missing_children = m["CHILD"].n_unique()
    found["missing_children_pct"] = 100 * missing_children / during if during else 0.0
    found["incidents_per_missing_child"] = m.height / missing_children if missing_children else 0
    if m.height:
        sixteen = m.filter(pl.col("start") >= pl.col("dob").dt.offset_by("16y")).height
        found["missing_16_plus_pct"] = 100 * sixteen / m.height
        short = m.filter((pl.col("end") - pl.col("start")).dt.total_days() <= 2).height
        found["missing_2_days_or_less_pct"] = 100 * short / m.height
    # Places at 31 March, from the postcodes.
    places = _places(current)
    homes = places.filter(pl.col("PLACE").is_in(["K1", "K2"]))
    if homes.height:
        found["homes_out_of_council_pct"] = 100 * float(homes["outside"].mean())  # type: ignore[arg-type]
        found["homes_average_miles"] = float(homes["miles"].mean())  # type: ignore[arg-type]
        distinct = homes.filter(pl.col("PLACE") == "K2").unique("URN")
        north_west = (distinct["pl_region"] == "North West").mean()
        found["homes_north_west_pct"] = 100 * float(north_west)  # type: ignore[arg-type]
    known = places.filter(pl.col("miles").is_not_null())
    if known.height:
        found["over_20_miles_pct"] = 100 * float((known["miles"] > 20).mean())  # type: ignore[arg-type]
    return found


def _places(current: pl.DataFrame) -> pl.DataFrame:
    """Each row with its miles, whether placed outside its council and the placement's
    region, derived from the postcodes as ``geography.derive`` derives them for a return."""
    places = postcode_places(pl.concat([current["HOME_POST"], current["PL_POST"]]))
    home = places.select(HOME_POST="postcode", _he="easting", _hn="northing", _hi="irish_grid")
    placed = places.select(
        PL_POST="postcode",
        _pe="easting",
        _pn="northing",
        _pi="irish_grid",
        _pc="council",
        _pr="region_name",
    )
    grid = current.select("HOME_POST", "PL_POST", "council")
    grid = grid.join(home, on="HOME_POST", how="left", maintain_order="left")
    grid = grid.join(placed, on="PL_POST", how="left", maintain_order="left")
    squared = squared_metres_expr(
        a_easting=pl.col("_he"),
        a_northing=pl.col("_hn"),
        b_easting=pl.col("_pe"),
        b_northing=pl.col("_pn"),
        a_irish_grid=pl.col("_hi"),
        b_irish_grid=pl.col("_pi"),
    )
    own = _council_areas()
    outside = [
        pc not in own.get(code, set())
        for code, pc in zip(grid["council"], grid["_pc"], strict=True)
    ]
    return current.with_columns(
        miles=grid.select(miles_expr(squared).alias("miles"))["miles"],
        outside=pl.Series(outside),
        pl_region=grid["_pr"],
    )


def _council_areas() -> dict[str, set[str]]:
    """DfE code -> the ONS codes of today's councils covering its area."""
    areas: dict[str, set[str]] = {}
    for ons, dfe, current, successors in (
        Council.objects.filter(country="E")
        .exclude(dfe_code="")
        .values_list("ons_code", "dfe_code", "is_current", "successor_codes")
    ):
        areas.setdefault(dfe, set()).update([ons] if current else successors.split())
    return areas


def calibration_rows(
    directory: Path,
    *,
    year: int,
    reference: Aggregates,
    overrides: dict[str, float] | None = None,
) -> list[CalibrationRow]:
    truth_path = directory / TRUTH_FILE
    if not truth_path.is_file():
        raise ValidationError(
            f"{directory} has no {TRUTH_FILE}: is it the output of sightline synth england?",
            field="DIR",
        )
    truth = json.loads(truth_path.read_text())
    fraction = float(truth.get("population_fraction", 1.0))
    published = reference.published(year)
    for key, value in (overrides or {}).items():
        if key not in MEASURES:
            raise ValidationError(
                f'We do not know the figure "{key}". Use one of: {", ".join(MEASURES)}.',
                field="figure",
            )
        published[key] = Figure(value, "given with --figure")
    generated = generated_figures(directory, year)
    rows = []
    for key, (label, is_count, checked) in MEASURES.items():
        figure = published.get(key)
        value = generated.get(key, 0.0)
        target = None if figure is None else figure.value * (fraction if is_count else 1.0)
        diff = None if not target else 100 * (value - target) / target
        rows.append(
            CalibrationRow(
                key=key,
                measure=label,
                generated=value,
                published=target,
                difference_pct=diff,
                source=(figure.source if figure else "no published figure")
                + (
                    f" x {fraction:.4g} (run's share of England)"
                    if is_count and fraction != 1 and figure
                    else ""
                ),
                checked=checked and figure is not None,
            )
        )
    return rows


def format_calibration(rows: list[CalibrationRow], year: int) -> str:
    def number(value: float | None) -> str:
        if value is None:
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"

    header = ("Measure", "Generated", "Published", "Difference", "Source")
    table = [header]
    for row in rows:
        diff = "-" if row.difference_pct is None else f"{row.difference_pct:+.1f}%"
        if row.outside:
            diff += " OUTSIDE"
        elif not row.checked:
            diff += " (not checked)"
        table.append((row.measure, number(row.generated), number(row.published), diff, row.source))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    lines = [f"Synthetic England against published figures, year ending 31 March {year}", ""]
    for r in table:
        lines.append("  ".join(r[i].ljust(widths[i]) for i in range(4)) + "  " + r[4])
    outside = [row for row in rows if row.outside]
    lines.append("")
    lines.append(
        f"{len(outside)} measure(s) outside ±{TOLERANCE_PCT:.0f}%."
        if outside
        else f"Every checked measure is within ±{TOLERANCE_PCT:.0f}%."
    )
    return "\n".join(lines)
