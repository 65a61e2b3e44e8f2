"""``sightline synth england`` and ``sightline synth calibration``."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import SightlineError


def _codes(raw: str) -> tuple[str, ...]:
    codes = tuple(code.strip() for code in raw.split(",") if code.strip())
    if not codes:
        raise ValueError("empty")
    return codes


def _ratios(raw: str) -> tuple[float, ...]:
    return tuple(float(value) for value in raw.split(","))


class Command(BaseCommand):
    help = (
        "A calibrated synthetic England: 'england' writes SSDA903 returns for every council "
        "and year; 'calibration' compares a generated year with published figures."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        england = sub.add_parser(
            "england",
            help="Write DIR/<dfe_code>/<year>/{header,episodes,missing}.csv... and "
            "DIR/providers.csv.",
        )
        england.add_argument("--seed", type=int, default=2019, help="Same seed, same files.")
        england.add_argument(
            "--from",
            dest="first_year",
            type=int,
            default=2015,
            help="First collection year (ending 31 March), 2015 or later.",
        )
        england.add_argument(
            "--to",
            dest="last_year",
            type=int,
            default=2025,
            help="Last collection year, 2026 at the latest.",
        )
        england.add_argument("--out", type=Path, required=True, help="An empty folder.")
        england.add_argument(
            "--councils",
            type=_codes,
            default=None,
            help="Only these councils' children, by DfE code: 356,352.",
        )
        england.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Fraction of the population to generate (default 1).",
        )
        england.add_argument(
            "--distance-irr",
            type=_ratios,
            default=None,
            help="Planted incidence-rate ratios for 0-5, 5-10, 10-20, 20-50 and over 50 "
            "miles (default 1.0,1.1,1.25,1.5,1.8).",
        )
        england.add_argument(
            "--reference",
            type=Path,
            default=None,
            help="Calibrate to this folder of published DfE and Ofsted files instead of the "
            "figures shipped with Sightline (derived from the same files; see "
            "docs/synthetic-england.md).",
        )
        england.add_argument(
            "--faults",
            type=int,
            default=0,
            metavar="N",
            help="Plant N known faults in each return, listed with the rule each must raise "
            "in DIR/faults.json (default 0: valid returns).",
        )
        england.add_argument(
            "--force", action="store_true", help="Replace an earlier synthetic England in --out."
        )
        calibration = sub.add_parser(
            "calibration", help="Print generated against published figures for one year."
        )
        derive = sub.add_parser(
            "derive-aggregates",
            help="Derive the shipped calibration figures from a folder of published files.",
        )
        derive.add_argument(
            "--reference",
            type=Path,
            required=True,
            help="The folder of published DfE and Ofsted files (docs/synthetic-england.md).",
        )
        derive.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Where to write aggregates.json and ofsted_providers.csv (default: the "
            "package's own data folder).",
        )
        calibration.add_argument("directory", type=Path, metavar="DIR")
        calibration.add_argument("--year", type=int, default=2025)
        calibration.add_argument(
            "--reference",
            type=Path,
            default=None,
            help="Compare with this folder of published files instead of the shipped figures.",
        )
        calibration.add_argument(
            "--figure",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Use this published figure instead, e.g. missing_incidents=86900.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "england":
                self._england(options)
            elif options["action"] == "derive-aggregates":
                self._derive(options)
            else:
                self._calibration(options)
        except SightlineError as exc:
            raise CommandError(str(exc)) from exc

    def _england(self, options: dict[str, Any]) -> None:
        from sightline.synth.england.model import EnglandConfig, simulate
        from sightline.synth.england.writer import write_returns

        extra: dict[str, Any] = {}
        if options["distance_irr"] is not None:
            extra["distance_irr"] = options["distance_irr"]
        config = EnglandConfig(
            seed=options["seed"],
            first_year=options["first_year"],
            last_year=options["last_year"],
            scale=options["scale"],
            councils=options["councils"],
            reference_dir=_existing(options["reference"]),
            **extra,
        )
        started = time.monotonic()
        simulation = simulate(config)
        if options["faults"] < 0:
            raise CommandError("--faults: give a number of faults per return, 0 or more.")
        counts = write_returns(
            simulation, options["out"], force=options["force"], faults=options["faults"]
        )
        self.stdout.write(
            f"Wrote {counts['returns']} returns ({config.first_year} to {config.last_year}) to "
            f"{options['out']}: {counts['header_rows']:,} header rows, "
            f"{counts['episode_rows']:,} episodes, {counts['missing_rows']:,} missing or away "
            f"periods, in {time.monotonic() - started:.0f} seconds. The planted effects are in "
            f"{options['out'] / 'truth.json'}; Ofsted's register of the world's "
            f"{counts['providers']:,} providers is in {options['out'] / 'providers.csv'} "
            "(returns validate --providers)."
            + (
                f" {counts['faults']:,} planted faults, each with the rule it must raise, are "
                f"in {options['out'] / 'faults.json'}."
                if options["faults"]
                else ""
            )
        )

    def _derive(self, options: dict[str, Any]) -> None:
        from sightline.synth.england.aggregates import DATA_DIR, Aggregates
        from sightline.synth.england.reference import ReferenceData

        aggregates = Aggregates.derive(ReferenceData(options["reference"]))
        for path in aggregates.write(options["out"] or DATA_DIR):
            self.stdout.write(f"Wrote {path} ({path.stat().st_size:,} bytes).")

    def _calibration(self, options: dict[str, Any]) -> None:
        from sightline.synth.england.aggregates import calibration_source
        from sightline.synth.england.calibration import calibration_rows, format_calibration

        overrides: dict[str, float] = {}
        for raw in options["figure"]:
            name, _, value = raw.partition("=")
            try:
                overrides[name.strip()] = float(value)
            except ValueError:
                raise CommandError(
                    f'--figure "{raw}": give a name and a number, like missing_incidents=86900.'
                ) from None
        reference = calibration_source(_existing(options["reference"]))
        rows = calibration_rows(
            options["directory"], year=options["year"], reference=reference, overrides=overrides
        )
        self.stdout.write(format_calibration(rows, options["year"]))
        if any(row.outside for row in rows):
            sys.exit(1)


def _existing(folder: Path | None) -> Path | None:
    if folder is not None and not folder.is_dir():
        raise CommandError(f"The reference directory {folder} does not exist.")
    return folder
