"""Validating a return one part at a time (ADR 0055), with the same report as ``validate_return``.

A part (``stream.Parts``) holds every record of its children, so the rules that look at one
child at a time (all but those below) give on each part exactly what they give on the whole
return, and the report is the parts' results put together. A rule that compares children with
each other (444: a UPN given to two children) runs once, over the columns it needs of the
whole return (a few bytes a child), listed in ``WHOLE_RETURN_RULES``.

A new rule that compares records of different children must be listed there:
``tests/returns/test_chunked.py`` validates returns with faults planted for every rule both
whole and in parts, and fails when the two differ.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from sightline.returns.derive import Context, Frames, prepare
from sightline.returns.reader import ReturnTables, refuse_empty_counts
from sightline.returns.rules import RULES
from sightline.returns.schema import COLUMNS, EPISODES, HEADER, MISSING
from sightline.returns.stream import Parts
from sightline.returns.validation import RESULT_COLUMNS, Report, rules_counted, run_rules

#: Rules that compare records of different children, and the columns of each table they read.
WHOLE_RETURN_RULES: dict[str, dict[str, tuple[str, ...]]] = {"444": {HEADER: ("UPN",)}}
_LOCATED = ("CHILD", "_file", "_row")
_EMPTY = {"_i": pl.UInt32, "CHILD": pl.String, "_file": pl.String, "_row": pl.Int64}
_TABLE_ORDER = {table: n for n, table in enumerate(COLUMNS)}

#: Called with each part's prepared frames once its rules have run (the import keeps what
#: it writes of them).
PartDone = Callable[[int, ReturnTables, Frames], object]


@dataclass(frozen=True)
class _Kept:
    """The columns of the whole return that ``WHOLE_RETURN_RULES`` read."""

    tables: dict[str, list[pl.DataFrame]]

    def add(self, frames: Frames) -> None:
        for table, columns in _whole_columns().items():
            self.tables.setdefault(table, []).append(
                frames.table(table).select(*_LOCATED, *columns)
            )

    def frames(self, context: Context, supplied: frozenset[str]) -> Frames:
        def whole(table: str) -> pl.DataFrame:
            parts = self.tables.get(table)
            if not parts:
                return pl.DataFrame(schema=_EMPTY)
            return pl.concat(parts).sort("_row").with_row_index("_i")

        return Frames(
            header=whole(HEADER),
            episodes=whole(EPISODES),
            missing=whole(MISSING),
            context=context,
            more={t: whole(t) for t in COLUMNS if t not in (HEADER, EPISODES, MISSING)},
            supplied=supplied,
        )


def _whole_columns() -> dict[str, tuple[str, ...]]:
    columns: dict[str, set[str]] = {}
    for needs in WHOLE_RETURN_RULES.values():
        for table, names in needs.items():
            columns.setdefault(table, set()).update(names)
    return {t: tuple(sorted(c)) for t, c in columns.items()}


def validate_parts(
    parts: Parts,
    *,
    context: Context,
    previous: Parts | None = None,
    done: PartDone | None = None,
) -> Report:
    """Run every rule over the return read in parts (and the year before's, split into the
    same parts). Raises ``ReadError`` for an empty return, as ``validate_return`` does."""
    refuse_empty_counts(
        records=parts.records,
        supplied=parts.supplied,
        files=parts.files,
        source_name=parts.source_name,
        source_format=parts.source_format,
    )
    if previous is not None and previous.count != parts.count:
        raise ValueError("The year before's return must be split into as many parts.")
    by_part = [r for r in RULES if r.code not in WHOLE_RETURN_RULES]
    whole = [r for r in RULES if r.code in WHOLE_RETURN_RULES]
    kept = _Kept({})
    found: list[pl.DataFrame] = []
    for part in range(parts.count):
        tables = parts.tables(part)
        frames = prepare(
            tables, context, previous=previous.tables(part) if previous is not None else None
        )
        found.append(run_rules(frames, by_part))
        kept.add(frames)
        if done is not None:
            done(part, tables, frames)
        del frames, tables
    whole_frames = kept.frames(context, parts.supplied)
    del kept
    found.append(run_rules(whole_frames, whole))
    del whole_frames
    results = (
        pl.concat(found)
        .with_columns(_order=pl.col("table").replace_strict(_TABLE_ORDER, return_dtype=pl.Int32))
        .sort("_order", "row", "rule")
        .select(RESULT_COLUMNS)
    )
    rules_run, skipped = rules_counted(context)
    return Report(
        results=results,
        source_name=parts.source_name,
        context=context,
        records={
            table: parts.records.get(table, 0)
            for table in COLUMNS
            if table in (HEADER, EPISODES, MISSING) or table in parts.supplied
        },
        rules_run=rules_run,
        not_run=skipped,
    )
