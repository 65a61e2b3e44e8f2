"""`sightline report inquiry`: the self-contained HTML inquiry report for an area."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.evidence import areas, frames, inquiry, present, report, sources
from sightline.evidence.areas import Perspective
from sightline.evidence.questions import Query


class Command(BaseCommand):
    help = "Write the inquiry report (one HTML file) for an area and range of years."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True)
        p = sub.add_parser("inquiry", help="Children missing from care: the inquiry's questions.")
        p.add_argument(
            "--area",
            required=True,
            help='England, a council ("Stockport" or 356), "region:North West" or '
            '"police:Greater Manchester".',
        )
        p.add_argument(
            "--from",
            dest="year_from",
            type=int,
            required=True,
            help="First year (ending 31 March).",
        )
        p.add_argument(
            "--to", dest="year_to", type=int, required=True, help="Last year (ending 31 March)."
        )
        p.add_argument("--out", type=Path, required=True, help="The HTML file to write.")
        p.add_argument(
            "--perspective",
            choices=[p.value for p in Perspective],
            default=Perspective.HOST.value,
            help="host: children living in the area; placing: children its councils placed.",
        )
        p.add_argument(
            "--baseline", type=int, default=None, help="Index year (= 100); default --from."
        )
        source = p.add_mutually_exclusive_group()
        source.add_argument(
            "--extract", type=Path, help="Read a saved extract (sightline evidence extract)."
        )
        source.add_argument(
            "--returns",
            type=Path,
            help="Read SSDA903 returns from this folder: any layout whose names give each "
            "return's DfE code and year (356/2025/*.csv), or a manifest.csv of "
            "path,council,year.",
        )
        p.add_argument(
            "--csv-dir", type=Path, default=None, help="Also write every table as CSV here."
        )
        p.add_argument("--parquet", action="store_true", help="With --csv-dir: Parquet files too.")
        p.add_argument(
            "--pdf",
            type=Path,
            default=None,
            help="Also print the report to this PDF file (needs the Chromium browser).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            if options["extract"]:
                extract = frames.load(options["extract"], used_only=True)
            elif options["returns"]:
                extract = sources.from_returns(options["returns"])
            else:
                extract = sources.from_database()
            area = areas.resolve(options["area"], extract)
            year_from, year_to = options["year_from"], options["year_to"]
            if year_from > year_to:
                raise ValidationError("--from must be the same as or before --to.", field="--from")
            query = Query(
                area,
                year_from,
                year_to,
                Perspective(options["perspective"]),
                options["baseline"],
            )
            result = inquiry.run(query, extract)
        except ValidationError as exc:
            raise CommandError(str(exc)) from exc
        command = (
            "sightline " + " ".join(shlex.quote(a) for a in sys.argv[1:])
            if sys.argv[1:2] == ["report"]
            else "sightline report inquiry"
        )
        out = report.write(result, options["out"], command=command)
        self.stdout.write(
            f"Wrote {out} ({area.name}, {year_from} to {year_to}) "
            f"in {time.perf_counter() - started:.1f} s."
        )
        if options["csv_dir"]:
            written = present.write_tables(
                result.tables(), options["csv_dir"], parquet=options["parquet"]
            )
            self.stdout.write(f"Wrote {len(written)} table files to {options['csv_dir']}.")
        if options["pdf"]:
            from sightline.evidence.pdf import html_to_pdf

            try:
                html_to_pdf(out, options["pdf"])
            except ValidationError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Wrote {options['pdf']}.")
