"""Published figures the generator is scaled on and the calibration report compares with.

Everything here is read at run time from the reference directory (``$SIGHTLINE_REFERENCE_DIR``
or ``--reference DIR``); nothing is copied into the repository. The DfE files keep their
suppression codes (``c``, ``z``, ``x``, ``low``), which are read as "no figure".
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sightline.core.errors import ValidationError

__all__ = [
    "BRIEF_FIGURES",
    "Figure",
    "OfstedProvider",
    "ReferenceData",
    "default_reference_dir",
]

REFERENCE_ENV = "SIGHTLINE_REFERENCE_DIR"

CLA_RATE_FILE = "dfe_cla_number_and_rate_per_10k_2021_2025.csv"
TIME_SERIES_FILE = "dfe_cla_time_series_1994_2024.csv"
MISSING_FILE = "dfe_cla_national_who_were_missing.csv"
AWAY_FILE = "dfe_cla_national_away_without_authorisation.csv"
DISTANCE_FILE = "dfe_cla_national_placement_distance_locality.csv"
OFSTED_PROVIDERS_FILE = "ofsted_providers_and_places_at_31_march_2023.csv"
SFR50_FILE = "dfe_sfr50_2017_la_cla_at_31mar_incl_placement_distance.csv"
DISTANCE_FIRST_YEAR = 2020
OFSTED_REGION_FILE = "ofsted_providers_2023_counts_by_region_type_sector_DERIVED.csv"

HOMES_LABEL = "Secure homes and children's homes"


@dataclass(frozen=True)
class Figure:
    """A published figure with where it comes from."""

    value: float
    source: str


BRIEF_YEAR = 2025
BRIEF_COUNTS = ("cla_31_march", "cla_during_year", "missing_incidents")

#: The brief's section 5 (England), used where the reference files have no figure for a year.
BRIEF_FIGURES: dict[str, Figure] = {
    "cla_31_march": Figure(81770, "DfE CLA 2025 (brief section 5)"),
    "cla_during_year": Figure(115410, "DfE CLA 2025 (brief section 5)"),
    "missing_incidents": Figure(86900, "DfE CLA 2025 (brief section 5)"),
    "missing_children_pct": Figure(11.0, "DfE CLA 2025, derived (brief section 5)"),
    "incidents_per_missing_child": Figure(6.8, "DfE CLA 2025, derived (brief section 5)"),
    "missing_16_plus_pct": Figure(56.0, "DfE CLA 2025 (brief section 5)"),
    "missing_2_days_or_less_pct": Figure(90.0, "DfE 2022 (brief section 5)"),
    "homes_north_west_pct": Figure(26.0, "Ofsted (brief section 5)"),
    "homes_out_of_council_pct": Figure(61.0, "Hansard 2018 (brief section 5)"),
    "over_20_miles_pct": Figure(18.0, "DfE 2015 (brief section 5)"),
    "homes_average_miles": Figure(36.0, "unverified (brief section 5)"),
}


def default_reference_dir() -> Path | None:
    """``$SIGHTLINE_REFERENCE_DIR``, the folder of published DfE and Ofsted files, if set.

    The product never assumes where published data lie: whoever generates a synthetic
    England says where (this variable or ``--reference``)."""
    configured = os.environ.get(REFERENCE_ENV)
    return Path(configured) if configured else None


@dataclass(frozen=True)
class OfstedProvider:
    """One Ofsted-registered setting: children's home, secure home, family centre..."""

    urn: str
    provision_type: str
    local_authority: str
    sector: str
    places: int


def _number(raw: str) -> float | None:
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


class ReferenceData:
    """Reads the reference directory. Raises ValidationError naming the file if one is absent
    or has lost a column the generator needs."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValidationError(
                f"The reference directory {self.directory} does not exist. Pass --reference "
                f"DIR or set {REFERENCE_ENV}.",
                field="reference",
            )

    def _rows(self, name: str, needed: tuple[str, ...]) -> Iterator[dict[str, str]]:
        path = self.directory / name
        if not path.is_file():
            raise ValidationError(
                f"The reference file {name} is not in {self.directory}.", field="reference"
            )
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            absent = [column for column in needed if column not in (reader.fieldnames or [])]
            if absent:
                raise ValidationError(
                    f"The reference file {name} has no column {', '.join(absent)}.",
                    field="reference",
                )
            yield from reader

    def has(self, name: str) -> bool:
        return (self.directory / name).is_file()

    # Population -------------------------------------------------------------------------

    def national_cla_31_march(self) -> dict[int, int]:
        """Children looked after at 31 March, England, by year ending 31 March."""
        found: dict[int, int] = {}
        for row in self._rows(TIME_SERIES_FILE, ("time_period", "population_count", "number")):
            if row["population_count"] == "Children looked after at 31 March":
                value = _number(row["number"])
                if value is not None:
                    found[int(row["time_period"])] = int(value)
        for row in self._cla_rate_rows():
            if (
                row["geographic_level"] == "National"
                and row["population_type"] == "Children looked after on 31 March each year"
            ):
                value = _number(row["children_count"])
                if value is not None:
                    found[int(row["time_period"])] = int(value)
        return found

    def _cla_rate_rows(self) -> Iterator[dict[str, str]]:
        return self._rows(
            CLA_RATE_FILE,
            (
                "time_period",
                "geographic_level",
                "new_la_code",
                "population_type",
                "children_count",
            ),
        )

    def council_cla_31_march(self) -> dict[str, int]:
        """Latest published count looked after at 31 March per council (ONS code)."""
        latest: dict[str, tuple[int, int]] = {}
        for row in self._cla_rate_rows():
            if (
                row["geographic_level"] != "Local authority"
                or row["population_type"] != "Children looked after on 31 March each year"
            ):
                continue
            value = _number(row["children_count"])
            if value is None:
                continue
            year = int(row["time_period"])
            code = row["new_la_code"]
            if code not in latest or latest[code][0] < year:
                latest[code] = (year, int(value))
        return {code: value for code, (_, value) in latest.items()}

    def ofsted_providers(self) -> list[OfstedProvider]:
        """Ofsted's register at 31 March 2023 (children's homes have REDACTED addresses)."""
        providers = []
        for row in self._rows(
            OFSTED_PROVIDERS_FILE,
            ("URN", "Provision type", "Local authority", "Sector", "Places"),
        ):
            places = _number(row["Places"])
            providers.append(
                OfstedProvider(
                    urn=row["URN"].strip(),
                    provision_type=row["Provision type"].strip(),
                    local_authority=row["Local authority"].strip(),
                    sector=row["Sector"].strip(),
                    places=int(places) if places else 0,
                )
            )
        return providers

    # Published figures for the calibration report ----------------------------------------

    def published(self, year: int) -> dict[str, Figure]:
        """Every figure the calibration report compares, for the year ending 31 March
        ``year``: from the reference files where they hold that year (or the latest year
        before it, said in the source), otherwise the brief's figure."""
        figures = dict(BRIEF_FIGURES)
        if year != BRIEF_YEAR:
            # The brief's counts are for 2024-25; for another year there is no figure to match.
            for key in BRIEF_COUNTS:
                figures.pop(key)
        if self.has(TIME_SERIES_FILE) and self.has(CLA_RATE_FILE):
            national = self.national_cla_31_march()
            if year in national:
                figures["cla_31_march"] = Figure(national[year], f"DfE CLA {year}")
        if self.has(MISSING_FILE):
            figures.update(self._missing_figures(year))
        if self.has(AWAY_FILE):
            away = self._latest(AWAY_FILE, year, "Total number of away from placement")
            if away is not None:
                found_year, value = away
                figures["away_incidents"] = Figure(value, f"DfE CLA {found_year} ({AWAY_FILE})")
        if self.has(DISTANCE_FILE):
            figures.update(self._distance_figures(year))
        if year < DISTANCE_FIRST_YEAR and self.has(SFR50_FILE):
            figures["over_20_miles_pct"] = self._sfr50_over_20_miles()
        if self.has(OFSTED_REGION_FILE):
            figures["homes_north_west_pct"] = self._north_west_share()
        return figures

    def _national(self, name: str) -> dict[int, dict[str, float]]:
        by_year: dict[int, dict[str, float]] = {}
        for row in self._rows(name, ("time_period", "characteristic", "number")):
            value = _number(row["number"])
            if value is not None:
                group = row.get("cla_group") or row.get("missing_status") or ""
                key = f"{group.strip()}|{row['characteristic'].strip()}"
                by_year.setdefault(int(row["time_period"]), {})[key] = value
        return by_year

    def _latest(self, name: str, year: int, prefix: str) -> tuple[int, float] | None:
        by_year = self._national(name)
        for found_year in sorted((y for y in by_year if y <= year), reverse=True):
            for key, value in by_year[found_year].items():
                if key.split("|", 1)[1].startswith(prefix):
                    return found_year, value
        return None

    def _missing_figures(self, year: int) -> dict[str, Figure]:
        by_year = self._national(MISSING_FILE)
        if year not in by_year:
            return {}
        row = {key.split("|", 1)[1]: value for key, value in by_year[year].items()}
        source = f"DfE CLA {year} ({MISSING_FILE})"
        total = row.get("Total number of missing incidents during the year")
        during = row.get("All children looked after during the year")
        figures: dict[str, Figure] = {}
        if during:
            figures["cla_during_year"] = Figure(during, source)
        if total:
            figures["missing_incidents"] = Figure(total, source)
            if "16 years and over" in row:
                figures["missing_16_plus_pct"] = Figure(
                    round(100 * row["16 years and over"] / total, 1), source
                )
            short = row.get("Less than 1 day", 0) + row.get("Between 1 and 2 days", 0)
            figures["missing_2_days_or_less_pct"] = Figure(round(100 * short / total, 1), source)
        pct = row.get("Percentage of children looked after during the year who were missing")
        if pct:
            figures["missing_children_pct"] = Figure(pct, source)
        per_child = row.get("Average number of incidents per looked after child who was missing")
        if per_child:
            figures["incidents_per_missing_child"] = Figure(per_child, source)
        return figures

    def _distance_figures(self, year: int) -> dict[str, Figure]:
        by_year = self._national(DISTANCE_FILE)
        found = max((y for y in by_year if y <= year), default=None)
        if found is None:
            return {}
        row = by_year[found]
        source = f"DfE CLA {found}, 31 March ({DISTANCE_FILE})"
        figures: dict[str, Figure] = {}
        total = row.get("All children|Total")
        unknown = row.get("All children|Distance not known or not recorded", 0)
        over = row.get("All children|2. Over 20 miles")
        if total and over:
            figures["over_20_miles_pct"] = Figure(
                round(100 * over / (total - unknown), 1), source + ", of known distances"
            )
        homes = row.get(f"{HOMES_LABEL}|Total")
        near_out = row.get(f"{HOMES_LABEL}|1.ii 20 miles or less outside LA boundary")
        far_out = row.get(f"{HOMES_LABEL}|2.ii Over 20 miles outside LA boundary")
        if homes and near_out is not None and far_out is not None:
            figures["homes_out_of_council_pct"] = Figure(
                round(100 * (near_out + far_out) / homes, 1), source
            )
        return figures

    def _sfr50_over_20_miles(self) -> Figure:
        """England at 31 March 2017: placed over 20 miles from home, of known distances."""
        columns = ("geog_l", "CLA_Mar2017", "CLA_InLA_GT20", "CLA_OutLA_GT20",
                   "CLA_InLA_NoInfo", "CLA_OutLA_NoInfo")  # fmt: skip
        for row in self._rows(SFR50_FILE, columns):
            if row["geog_l"] == "NATIONAL":
                values = [_number(row[c]) or 0.0 for c in columns[1:]]
                total, in_far, out_far, in_unknown, out_unknown = values
                return Figure(
                    round(100 * (in_far + out_far) / (total - in_unknown - out_unknown), 1),
                    f"DfE SFR50, 31 March 2017 ({SFR50_FILE}), of known distances",
                )
        raise ValidationError(f"{SFR50_FILE} has no NATIONAL row.", field="reference")

    def _north_west_share(self) -> Figure:
        homes: dict[str, float] = {}
        for row in self._rows(OFSTED_REGION_FILE, ("ofsted_region", "provision_type", "providers")):
            if row["provision_type"].lower() == "children's home":
                value = _number(row["providers"]) or 0
                homes[row["ofsted_region"]] = homes.get(row["ofsted_region"], 0) + value
        total = sum(homes.values())
        return Figure(
            round(100 * homes.get("North West", 0) / total, 1),
            f"Ofsted, 31 March 2023 ({OFSTED_REGION_FILE})",
        )
