"""`sightline evidence extract`: build the analytical extract the dashboards read."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.evidence import frames, sources


class Command(BaseCommand):
    help = "Build the evidence extract (Parquet files) from the database or a folder of returns."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        extract = sub.add_parser(
            "extract",
            help="Write the extract the dashboards read. Run it after importing returns, and "
            "daily (cron or a scheduler) to bring live records in.",
        )
        extract.add_argument(
            "--out",
            type=Path,
            default=None,
            help="Folder for the Parquet files (default: SIGHTLINE_EVIDENCE_DIR or var/evidence).",
        )
        extract.add_argument(
            "--returns",
            type=Path,
            default=None,
            help="Read SSDA903 returns from this folder instead of the database: any layout "
            "whose names give each return's DfE code and year (356/2025/*.csv), or a "
            "manifest.csv of path,council,year.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        out = options["out"] or frames.extract_dir()
        started = time.perf_counter()
        try:
            extract = (
                sources.from_returns(options["returns"])
                if options["returns"]
                else sources.from_database()
            )
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        frames.save(extract, out)
        self.stdout.write(
            f"Wrote the evidence extract to {out}: {extract.spells.height:,} placements, "
            f"{extract.missing.height:,} missing and away episodes, "
            f"{extract.homes.height:,} settings, {extract.notices.height:,} notices "
            f"({time.perf_counter() - started:.1f} s)."
        )
        for note in extract.notes:
            self.stdout.write(f"Note: {note}")
