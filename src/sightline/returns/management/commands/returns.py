"""`sightline returns validate|import|export`: the SSDA903 return in and out of Sightline."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from sightline.core.errors import ValidationError
from sightline.geography.models import Council
from sightline.geography.selectors import council_by_code
from sightline.organisations.models import User
from sightline.returns.chunked import validate_parts
from sightline.returns.derive import Context, own_area
from sightline.returns.providers import Providers, read_providers
from sightline.returns.reader import ReadError, ReturnTables, read_return
from sightline.returns.schema import CollectionYear
from sightline.returns.selectors import previous_return
from sightline.returns.services import (
    ImportRejected,
    ReplaceNotConfirmed,
    return_export,
    return_import,
    return_import_parts,
    system_user,
)
from sightline.returns.stream import Parts, parts_for, spill, split
from sightline.returns.validation import FORMATS, as_text, infer_council_and_year, validate_return

# These commands do no linear algebra, and numpy is first imported after this line (by the
# postcode lookup). With one OpenBLAS thread per core, numpy's import starts threads that
# spin for about 0.1 s of CPU each, a tenth of validating a national return.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


class Command(BaseCommand):
    help = "Validate, import and export SSDA903 returns (a folder of CSV files, or XML)."
    # Checks run with `sightline check` and at deploy; a national return should not pay 1.2 s
    # of start-up for them on every validation.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)

        def place(p: CommandParser, *, required: bool) -> None:
            p.add_argument(
                "--council",
                required=required,
                help="The reporting council's three-digit DfE code, e.g. 356."
                + ("" if required else " Taken from a path like DIR/356/2025 if not given."),
            )
            p.add_argument(
                "--year",
                type=int,
                required=required,
                help="The collection year by its end: 2025 is 1 April 2024 to 31 March 2025."
                + ("" if required else " Taken from a path like DIR/356/2025 if not given."),
            )

        def parts(p: CommandParser) -> None:
            p.add_argument(
                "--parts",
                type=int,
                help="Read the return in this many parts, a share of its children each, to "
                "bound memory (default: one part for every 6 MB of CSV or 24 MB of XML; 1 "
                "reads it whole).",
            )

        validate = sub.add_parser("validate", help="Check a return against the DfE rules.")
        validate.add_argument("path", type=Path, help="A folder of CSV files, or an XML file.")
        place(validate, required=False)
        validate.add_argument(
            "--previous",
            type=Path,
            help="Last year's return of the same council (a folder of CSV files, or XML), for "
            "the rules that compare with it. Without it, the one Sightline holds from an "
            "import of that year, if any.",
        )
        validate.add_argument(
            "--providers",
            type=Path,
            help="Ofsted's provider-level list of social care providers (the CSV it "
            "publishes), for the rules that check URNs against it (1008, 219, 221, 224, "
            "227, 228, 229, 241). Without it those rules are not run, and the output says so.",
        )
        validate.add_argument("--format", choices=sorted(FORMATS), default="text")
        parts(validate)
        validate.add_argument("--output", type=Path, help="Write the results to this file.")

        load = sub.add_parser("import", help="Validate a return, then load it (all or nothing).")
        load.add_argument("path", type=Path, help="A folder of CSV files, or an XML file.")
        place(load, required=False)
        load.add_argument(
            "--previous",
            type=Path,
            help="Last year's return of the same council (a folder of CSV files, or XML), for "
            "the rules that compare with it. Without it, the one Sightline holds from an "
            "import of that year, if any.",
        )
        load.add_argument(
            "--providers",
            type=Path,
            help="Ofsted's provider-level list of social care providers (the CSV it "
            "publishes), for the rules that check URNs against it (1008, 219, 221, 224, "
            "227, 228, 229, 241). Without it those rules are not run, and the output says so.",
        )
        load.add_argument("--user", help="The username to record as importing it.")
        load.add_argument(
            "--replace",
            action="store_true",
            help="Replace the earlier import of the council's year. Without it, an import "
            "over an earlier one stops and says what replacing it would remove.",
        )
        load.add_argument("--quiet", action="store_true", help="No progress bar.")
        parts(load)

        export = sub.add_parser("export", help="Write a return from Sightline's records.")
        export.add_argument("out", type=Path, help="A folder for the CSV files, or the XML file.")
        place(export, required=True)
        export.add_argument("--format", choices=["csv", "xml"], default="csv")
        export.add_argument("--user", help="The username to record as exporting it.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "validate":
            self._validate(**options)
        elif action == "import":
            self._import(**options)
        else:
            self._export(**options)

    # --- helpers ---------------------------------------------------------------------------

    def _where(
        self, path: Path | None, council: str | None, year: int | None
    ) -> tuple[Council, int]:
        if path is not None and (council is None or year is None):
            inferred_council, inferred_year = infer_council_and_year(path)
            council = council or inferred_council
            year = year or inferred_year
        if council is None or year is None:
            raise CommandError(
                "Give the council and the year (--council 356 --year 2025), or use a path "
                "ending in the council's code and the year, like returns/356/2025."
            )
        if not 2000 <= year <= 2100:
            raise CommandError(f"The year must be a collection year like 2025, not {year}.")
        try:
            return council_by_code(code=council), year
        except ValidationError as exc:
            raise CommandError(exc.message) from exc

    def _previous(self, path: Path | None, council: Council, year: int) -> ReturnTables | None:
        """Last year's return: the folder given, or else the one Sightline holds."""
        if path is None:
            return previous_return(council=council, year=year)
        return self._read(path)

    def _actor(self, username: str | None) -> User:
        if not username:
            return system_user()
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f'There is no user with the username "{username[:50]}".')
        return user

    def _read(self, path: Path) -> ReturnTables:
        try:
            return read_return(path)
        except ReadError as exc:
            self._refuse(f"Sightline could not read {path.name or path}:", exc)

    def _parts(self, path: Path, requested: int | None) -> int:
        if requested is not None and requested < 1:
            raise CommandError("--parts must be 1 or more.")
        return requested or parts_for(path)

    def _spill(self, path: Path, parts: int) -> Parts:
        try:
            return spill(path, parts=parts)
        except ReadError as exc:
            self._refuse(f"Sightline could not read {path.name or path}:", exc)

    def _previous_parts(
        self, path: Path | None, council: Council, year: int, parts: int
    ) -> Parts | None:
        """Last year's return split into ``parts`` like this year's (ADR 0055)."""
        if path is not None:
            return self._spill(path, parts)
        held = previous_return(council=council, year=year)
        return None if held is None else split(held, parts=parts)

    def _providers(self, path: Path | None) -> Providers | None:
        if path is None:
            return None
        try:
            return read_providers(path)
        except ReadError as exc:
            self._refuse(f"Sightline could not read the providers' list {path.name or path}:", exc)

    def _refuse(self, lead: str, exc: ReadError) -> NoReturn:
        self.stderr.write(lead)
        for problem in exc.problems:
            self.stderr.write(f"  {problem}")
        raise SystemExit(1) from exc

    # --- actions ---------------------------------------------------------------------------

    def _validate(
        self, *, path: Path, council: str | None, year: int | None, **options: Any
    ) -> None:
        where, year = self._where(path, council, year)
        started = time.perf_counter()
        count = self._parts(path, options.get("parts"))
        context = Context(
            year=CollectionYear(year),
            council=where.ons_code,
            council_label=f"{where.name} ({where.dfe_code or where.ons_code})",
            area_codes=own_area(where),
            providers=self._providers(options.get("providers")),
        )
        try:
            if count == 1:
                report = validate_return(
                    self._read(path),
                    context=context,
                    previous=self._previous(options.get("previous"), where, year),
                )
            else:
                parts = self._spill(path, count)
                previous = None
                try:
                    # Last year's return is read inside the ``try``: a return that cannot be
                    # read (or a process stopped) must not leave this year's parts on disk.
                    previous = self._previous_parts(options.get("previous"), where, year, count)
                    report = validate_parts(parts, context=context, previous=previous)
                finally:
                    parts.close()
                    if previous is not None:
                        previous.close()
        except ReadError as exc:
            self._refuse(f"Sightline will not validate {path.name or path}:", exc)
        output = FORMATS[options["format"]](report)
        if options.get("output"):
            options["output"].write_text(output, encoding="utf-8")
            self.stdout.write(
                f"Wrote {report.results.height} results to {options['output']} "
                f"({report.errors} errors, {report.warnings} warnings) in "
                f"{time.perf_counter() - started:.1f} seconds."
            )
        else:
            self.stdout.write(output, ending="")
        if report.has_errors:
            raise SystemExit(1)

    def _import(self, *, path: Path, council: str | None, year: int | None, **options: Any) -> None:
        where, year = self._where(path, council, year)
        actor = self._actor(options.get("user"))
        options["providers"] = self._providers(options.get("providers"))
        count = self._parts(path, options.get("parts"))
        if count == 1:
            tables: ReturnTables | Parts = self._read(path)
            previous: ReturnTables | Parts | None = self._previous(
                options.get("previous"), where, year
            )
        else:
            tables = self._spill(path, count)
            previous = None
        try:
            if isinstance(tables, Parts):  # read inside the ``try``, as for validate
                previous = self._previous_parts(options.get("previous"), where, year, count)
            self._import_read(tables, previous, where, year, actor, options)
        finally:
            for read in (tables, previous):
                if isinstance(read, Parts):
                    read.close()

    def _import_read(
        self,
        tables: ReturnTables | Parts,
        previous: ReturnTables | Parts | None,
        where: Council,
        year: int,
        actor: User,
        options: dict[str, Any],
    ) -> None:
        if isinstance(tables, Parts):
            total = sum(tables.records.values())
        else:
            total = sum(frame.height for frame in tables.tables.values())
        quiet = options["quiet"] or not sys.stderr.isatty()
        with tqdm(total=total, unit=" records", file=sys.stderr, disable=quiet) as bar:

            def step(label: str, count: int) -> None:
                bar.set_description(label)
                bar.update(count)

            try:
                if isinstance(tables, Parts):
                    assert previous is None or isinstance(previous, Parts)
                    record, report = return_import_parts(
                        actor=actor,
                        parts=tables,
                        council=where,
                        year=year,
                        replace=options["replace"],
                        progress=step,
                        previous=previous,
                        providers=options["providers"],
                    )
                else:
                    assert previous is None or isinstance(previous, ReturnTables)
                    record, report = return_import(
                        actor=actor,
                        tables=tables,
                        council=where,
                        year=year,
                        replace=options["replace"],
                        progress=step,
                        previous=previous,
                        providers=options["providers"],
                    )
            except ImportRejected as exc:
                bar.close()
                self.stderr.write(exc.message)
                if exc.report is not None:
                    self.stderr.write(as_text(exc.report), ending="")
                for problem in exc.problems:
                    self.stderr.write(f"  {problem}")
                if isinstance(exc, ReplaceNotConfirmed):
                    for line in exc.replacement.lines():
                        self.stderr.write(line)
                    self.stderr.write(
                        "To replace the earlier import, run the same command again with --replace."
                    )
                raise SystemExit(1) from exc
        self.stdout.write(
            f"Imported {where.name}'s {CollectionYear(year).label} return from "
            f"{tables.source_name}:\n"
            f"  children: {record.children_created} new, {record.children_updated} updated\n"
            f"  placements: {record.placements} from the return, "
            f"{record.placements_already_recorded} already recorded in Sightline\n"
            f"  missing and away episodes: {record.missing_episodes}\n"
            f"  settings created: {record.settings_created}\n"
            f"  replaced from the earlier import: {record.placements_replaced} placements, "
            f"{record.missing_episodes_replaced} missing episodes\n"
            f"  warnings: {report.warnings}"
        )
        if report.not_run:
            self.stdout.write(
                f"  not run: rules {', '.join(report.not_run)} (they check URNs against "
                "Ofsted's register of providers: give it with --providers FILE)"
            )

    def _export(self, *, out: Path, council: str, year: int, **options: Any) -> None:
        where, year = self._where(None, council, year)
        actor = self._actor(options.get("user"))
        record, written = return_export(
            actor=actor, council=where, year=year, out=out, output_format=options["format"]
        )
        self.stdout.write(
            f"Wrote {where.name}'s {CollectionYear(year).label} return: {record.children} "
            f"children, {record.episodes} episodes, {record.missing_episodes} missing periods."
        )
        for path in written:
            self.stdout.write(f"  {path}")
