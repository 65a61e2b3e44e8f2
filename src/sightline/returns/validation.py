"""Running the rules over a return, and writing the results as text, CSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sightline.returns.derive import Context, Frames, prepare
from sightline.returns.layout import council_and_year_of
from sightline.returns.reader import ReturnTables, refuse_empty
from sightline.returns.rules import ERROR, RULES, WARNING, Rule, rules_for_year
from sightline.returns.rules_common import Flagged
from sightline.returns.rules_providers import PROVIDER_RULES
from sightline.returns.schema import COLUMNS, EPISODES, HEADER, MISSING, CollectionYear

RESULT_COLUMNS = ("rule", "severity", "table", "file", "row", "child", "fields", "message")
_SHOWN_PER_RULE = 20
_TABLE_ORDER = {table: n for n, table in enumerate(COLUMNS)}


@dataclass(frozen=True)
class Report:
    """What the rules found: one row per rule and failing record."""

    results: pl.DataFrame
    source_name: str
    context: Context
    records: dict[str, int]
    rules_run: int
    #: Rules of the year not run for want of an input (Ofsted's register: ``not_run``).
    not_run: tuple[str, ...] = ()

    @property
    def errors(self) -> int:
        return int((self.results["severity"] == ERROR).sum())

    @property
    def warnings(self) -> int:
        return int((self.results["severity"] == WARNING).sum())

    @property
    def has_errors(self) -> bool:
        return self.errors > 0

    def for_rule(self, code: str) -> pl.DataFrame:
        return self.results.filter(pl.col("rule") == code)


def not_run(context: Context) -> tuple[str, ...]:
    """The year's rules that need Ofsted's register of providers, when it was not given: they
    are not run, and the report says so (never passed silently)."""
    if context.providers is not None:
        return ()
    year_codes = {r.code for r in rules_for_year(context.year.year)}
    return tuple(sorted(PROVIDER_RULES & year_codes, key=lambda c: (len(c), c)))


def rules_counted(context: Context) -> tuple[int, tuple[str, ...]]:
    """How many rules of the year run on a return with this context, and the codes not run."""
    skipped = not_run(context)
    run = [r for r in rules_for_year(context.year.year) if r.code not in skipped]
    return len(run), skipped


def run_rules(frames: Frames, rules: Iterable[Rule] = RULES) -> pl.DataFrame:
    """Every failing (rule, record), with its file, row and child: the rules of the return's
    collection year only."""
    found: list[pl.DataFrame] = []
    # Rules that flag records of a prepared table by a condition, by the frame they read.
    flagging: dict[int, tuple[pl.DataFrame, list[tuple[Rule, pl.Expr]]]] = {}
    for r in rules_for_year(frames.context.year.year, list(rules)):
        hits = r.func(frames)
        if isinstance(hits, Flagged):
            flagging.setdefault(id(hits.frame), (hits.frame, []))[1].append((r, hits.condition))
            continue
        if hits.height == 0:
            continue  # most rules on most returns: no query spent on an empty answer
        found.append(_labelled(hits.select(pl.col("_i").cast(pl.UInt32)), r))
    for frame, conditions in flagging.values():
        found.extend(_flagged_together(frame, conditions))
    empty = pl.DataFrame(
        schema={
            "rule": pl.String,
            "severity": pl.String,
            "table": pl.String,
            "file": pl.String,
            "row": pl.Int64,
            "child": pl.String,
            "fields": pl.String,
            "message": pl.String,
        }
    )
    if not found:
        return empty
    hits = pl.concat(found)
    located = []
    for table in COLUMNS:
        part = hits.filter(pl.col("table") == table)
        if part.height == 0:
            continue
        frame = frames.table(table)
        where = frame.select(
            pl.col("_i").cast(pl.UInt32),
            pl.col("_file").alias("file"),
            pl.col("_row").alias("row"),
            pl.col("CHILD").alias("child"),
        )
        located.append(part.join(where, on="_i", how="left"))
    results = pl.concat(located).with_columns(
        _order=pl.col("table").replace_strict(_TABLE_ORDER, return_dtype=pl.Int32)
    )
    return results.sort("_order", "row", "rule").select(RESULT_COLUMNS)


def _flagged_together(
    frame: pl.DataFrame, conditions: list[tuple[Rule, pl.Expr]]
) -> list[pl.DataFrame]:
    """The records each rule's condition flags in ``frame``, as ``run_rules`` gives a rule's
    answer: every condition computed in one pass, then the records of those that flag any."""
    flags = frame.select(
        pl.col("_i").cast(pl.UInt32),
        *(c.fill_null(False).alias(f"_{n}") for n, (_, c) in enumerate(conditions)),
    )
    flagged = flags.select(pl.exclude("_i").any()).row(0)
    found = []
    for n, ((r, _), any_flagged) in enumerate(zip(conditions, flagged, strict=True)):
        if not any_flagged:
            continue
        found.append(_labelled(flags.filter(pl.col(f"_{n}")).select("_i"), r))
    return found


def _labelled(records: pl.DataFrame, r: Rule) -> pl.DataFrame:
    """A rule's records (``_i``, each once) with the rule's code, severity, table, fields and
    message."""
    return records.unique().with_columns(
        rule=pl.lit(r.code),
        severity=pl.lit(r.severity),
        table=pl.lit(r.table),
        fields=pl.lit(" ".join(r.fields)),
        message=pl.lit(r.message),
    )


def validate_return(
    tables: ReturnTables, *, context: Context, previous: ReturnTables | None = None
) -> Report:
    """Run every rule over the return (and, with ``previous``, the year before's, for the
    rules that compare with it). Raises ``ReadError`` for an empty return, as an import
    does: a file that validates should import."""
    refuse_empty(tables)
    frames = prepare(tables, context, previous=previous)
    rules_run, skipped = rules_counted(context)
    return Report(
        results=run_rules(frames),
        source_name=tables.source_name,
        context=context,
        records={
            table: tables.tables[table].height
            for table in COLUMNS
            if table in (HEADER, EPISODES, MISSING) or table in tables.supplied
        },
        rules_run=rules_run,
        not_run=skipped,
    )


def infer_council_and_year(path: Path) -> tuple[str | None, int | None]:
    """The council and year of the return at ``path`` from a manifest above it or the names
    nearest it (``…/356/2025``, ``stockport_356/2024-25``), as ``--returns`` finds them
    (``returns.layout``)."""
    return council_and_year_of(path)


# --- Output ---------------------------------------------------------------------------------


def _summary(report: Report) -> str:
    ctx = report.context
    records = ", ".join(f"{n} {table}" for table, n in report.records.items())
    errors = f"{report.errors} error{'s' if report.errors != 1 else ''}"
    warnings = f"{report.warnings} warning{'s' if report.warnings != 1 else ''}"
    return (
        f"{report.source_name}: {ctx.council_label or ctx.council or 'council not given'}, "
        "collection year "
        f"{CollectionYear(ctx.year.year).label} ({records} records). "
        f"{report.rules_run} rules checked: {errors}, {warnings}."
    )


def _providers_line(report: Report) -> str:
    """Whether the return was checked against Ofsted's register, and which."""
    providers = report.context.providers
    if providers is not None:
        return (
            f"URNs checked against Ofsted's register of providers {providers.source_name} "
            f"({providers.count} providers)."
        )
    codes = ", ".join(report.not_run)
    return (
        f"Not run: rules {codes} check URNs against Ofsted's register of providers, which "
        "was not given (--providers FILE)."
    )


def as_text(report: Report) -> str:
    lines = [_summary(report)]
    if report.not_run or report.context.providers is not None:
        lines.append(_providers_line(report))
    if report.results.height == 0:
        lines.append("The return passes every rule Sightline checks.")
        return "\n".join(lines) + "\n"
    by_rule = (
        report.results.group_by(
            "rule", "severity", "table", "fields", "message", maintain_order=True
        )
        .agg(pl.col("file"), pl.col("row"), pl.col("child"))
        .sort("rule")
    )
    for group in by_rule.iter_rows(named=True):
        count = len(group["row"])
        lines.append("")
        lines.append(
            f"Rule {group['rule']} ({group['severity']}, {group['table']}: "
            f"{group['fields'].replace(' ', ', ')}), {count} record{'s' if count != 1 else ''}: "
            f"{group['message']}"
        )
        shown = list(zip(group["file"], group["row"], group["child"], strict=True))
        for file, row, child in shown[:_SHOWN_PER_RULE]:
            lines.append(f"  {file}, row {row}, child {child or '(blank)'}")
        if count > _SHOWN_PER_RULE:
            lines.append(
                f"  … and {count - _SHOWN_PER_RULE} more (use --format csv for every record)"
            )
    return "\n".join(lines) + "\n"


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    writer.writerows(report.results.iter_rows())
    return out.getvalue()


def as_json(report: Report) -> str:
    ctx = report.context
    payload = {
        "source": report.source_name,
        "council": ctx.council,
        "year": ctx.year.year,
        "records": report.records,
        "rules_checked": report.rules_run,
        "rules_not_run": list(report.not_run),
        "providers": (
            None if report.context.providers is None else report.context.providers.source_name
        ),
        "errors": report.errors,
        "warnings": report.warnings,
        "results": report.results.to_dicts(),
    }
    return json.dumps(payload, indent=1) + "\n"


FORMATS = {"text": as_text, "csv": as_csv, "json": as_json}
