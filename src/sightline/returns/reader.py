"""Reading an SSDA903 return: a folder of CSV files or one XML file, into Polars frames.

Each CSV file is recognised by its columns, never by its name (as the DfE tools do). Text may
be UTF-8, UTF-8 with a byte-order mark or Windows-1252. Every value is read as text, trimmed
and upper-cased; empty values are null. Each frame keeps ``_file`` and ``_row`` so that every
message can name the file and the row (the header line is row 1; in XML, the line of the
record's opening tag).

Problems with the shape of a file (unknown or repeated columns, ragged rows, broken XML, an
element twice in one XML record, text that is not UTF-8 or Windows-1252) stop the reading with
a ``ReadError`` listing each of them. Problems with values are for the validation rules.

A repeated column or element is refused rather than read: whichever copy won, a value in the
file would be silently dropped (a child's sex changed by the second SEX column, say). An
empty return reads (it is well formed) but ``refuse_empty`` stops validating and importing
it: imported, it would replace the earlier import of the year with nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import xml.parsers.expat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from sightline.core.errors import SightlineError
from sightline.returns.schema import (
    COLUMNS,
    EPISODES,
    HEADER,
    MISSING,
    MORE_TABLES,
    UASC,
    XML_HEADER_TABLES,
    XML_RECORD_TABLES,
    XML_TAG_TO_COLUMN,
    frame_columns,
)

_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_MAX_SHOWN = 40
_XML_ROOT = "EXPSSDA903"
# Bytes that trimming and upper-casing leave as they are inside a value: the line break and
# printable ASCII but lower-case letters. A space is trimmed only at a value's start or end.
_UNCHANGED = bytes([0x0A, *range(0x20, 0x61), *range(0x7B, 0x7F)])
_SPACE = 0x20
_SEPARATORS = (0x0A, 0x2C)  # a line break and a comma: a space beside one is trimmed


@dataclass(frozen=True)
class Problem:
    """Something wrong with a file: which file, row and field, and what."""

    file: str
    message: str
    row: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", {self.field}"
        return f"{where}: {self.message}"


class ReadError(SightlineError):
    """The return could not be read. ``problems`` says where and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class ReturnTables:
    """The tables of a return: Header, Episodes, Missing and the other nine (empty where not
    supplied)."""

    tables: dict[str, pl.DataFrame]
    source_format: str
    source_name: str
    sha256: str
    supplied: frozenset[str]
    ignored: tuple[str, ...] = field(default=())
    # The file each supplied table came from, so that a message about a table can name it.
    files: dict[str, str] = field(default_factory=dict)

    @property
    def header(self) -> pl.DataFrame:
        return self.tables[HEADER]

    @property
    def episodes(self) -> pl.DataFrame:
        return self.tables[EPISODES]

    @property
    def missing(self) -> pl.DataFrame:
        return self.tables[MISSING]


def empty_table(table: str) -> pl.DataFrame:
    schema: dict[str, Any] = {column: pl.String for column in frame_columns(table)}
    schema |= {"_file": pl.String, "_row": pl.Int64}
    return pl.DataFrame(schema=schema)


def refuse_empty(tables: ReturnTables) -> None:
    """Raise ``ReadError`` if the return holds no child: no ``<CHILD>`` in the XML, or a Header
    file with no rows (CSV files with header lines only).

    Such a file is well formed, and every rule passes on it, but importing it would replace
    the earlier import of the council's year with nothing, deleting its placements and
    missing episodes. It is almost always a failed export, so it is refused outright (by
    validation too, so that a file that validates can be imported).
    """
    refuse_empty_counts(
        records={t: f.height for t, f in tables.tables.items()},
        supplied=tables.supplied,
        files=tables.files,
        source_name=tables.source_name,
        source_format=tables.source_format,
    )


def refuse_empty_counts(
    *,
    records: dict[str, int],
    supplied: frozenset[str],
    files: dict[str, str],
    source_name: str,
    source_format: str,
) -> None:
    """``refuse_empty`` from the number of records of each table (a return read in parts)."""
    if HEADER in supplied:
        if records.get(HEADER):
            return
        file = files.get(HEADER, source_name)
        why = "The XML has no <CHILD>" if source_format == "xml" else "The file has no rows"
    elif any(records.get(t) for t in supplied):
        return  # no Header file but some rows: the import says the Header table is missing
    else:
        file, why = source_name, "No file has any rows"
    raise ReadError(
        [
            Problem(
                file,
                f"{why}, so {file} has no children: an empty return cannot replace an "
                "earlier import. Check that the return was exported in full.",
            )
        ]
    )


def read_return(path: Path) -> ReturnTables:
    """Read a folder of CSV files (every ``*.csv`` in it) or one XML or CSV file."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            raise ReadError([Problem(path.name or str(path), "The folder holds no CSV files.")])
        resolved = path.resolve()
        name = f"{resolved.parent.name}/{resolved.name}" if resolved.parent.name else str(path)
        return _read_csvs(files, source_name=name)
    if not path.exists():
        raise ReadError([Problem(path.name, "There is no file or folder with this name.")])
    data = path.read_bytes()
    if path.suffix.lower() == ".xml" or data.lstrip(_BOM).lstrip()[:1] == b"<":
        return _read_xml(path.name, data)
    return _read_csvs([path], source_name=path.name)


# --- CSV ------------------------------------------------------------------------------------


def _decode(name: str, data: bytes) -> tuple[bytes | None, Problem | None]:
    """The file as UTF-8 bytes (no BOM), or the problem with its encoding."""
    if data.startswith(_UTF16_BOMS):
        return None, Problem(name, "The file is UTF-16 text. Save it as UTF-8 and try again.")
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if data.isascii():
        return data, None
    try:
        data.decode("utf-8")
        return data, None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252").encode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, Problem(
            name,
            "The file is neither UTF-8 nor Windows-1252 text (byte "
            f"{data[exc.start]:#04x}). Save it as UTF-8 and try again.",
            row=line,
        )


def _identify(columns: list[str]) -> tuple[str | None, bool]:
    """The table with exactly these columns, and whether it is one Sightline reads (all
    twelve tables of the return are, since the other nine were added)."""
    wanted = set(columns)
    for table, expected in COLUMNS.items():
        if set(expected) == wanted:
            return table, True
    return None, False


def _closest(columns: list[str]) -> str:
    """Which of the return's tables a file with these columns most looks like."""
    wanted = set(columns)

    def score(table: str) -> tuple[int, int]:
        expected = set(COLUMNS[table])
        return len(expected & wanted), -len(expected ^ wanted)

    return max(COLUMNS, key=score)


def _shown(value: str) -> str:
    return value if len(value) <= _MAX_SHOWN else value[:_MAX_SHOWN] + "…"


def _read_csvs(paths: list[Path], *, source_name: str) -> ReturnTables:
    problems: list[Problem] = []
    tables: dict[str, pl.DataFrame] = {}
    files_of: dict[str, str] = {}
    ignored: list[str] = []
    digest = hashlib.sha256()
    for path in paths:
        data = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + hashlib.sha256(data).digest())
        name = path.name
        utf8, problem = _decode(name, data)
        del data
        if problem is not None or utf8 is None:
            problems.append(problem or Problem(name, "The file could not be read."))
            continue
        frame, table, file_problems = _read_csv_text(name, utf8)
        problems.extend(file_problems)
        if table is None or frame is None:
            if table is not None:
                ignored.append(f"{name} ({table})")
            continue
        if table in tables:
            problems.append(
                Problem(
                    name,
                    f"Both {files_of[table]} and {name} hold the {table} table. "
                    "Remove one of them.",
                )
            )
            continue
        tables[table] = frame
        files_of[table] = name
    if problems:
        raise ReadError(problems)
    supplied = frozenset(tables)
    for table in COLUMNS:
        tables.setdefault(table, empty_table(table))
    return ReturnTables(
        tables=tables,
        source_format="csv",
        source_name=source_name,
        sha256=digest.hexdigest(),
        supplied=supplied,
        ignored=tuple(ignored),
        files=dict(files_of),
    )


def _read_csv_text(name: str, data: bytes) -> tuple[pl.DataFrame | None, str | None, list[Problem]]:
    data = data.rstrip()
    if not data:
        return None, None, [Problem(name, "The file is empty.")]
    if b'"' in data or b"\x1f" in data:
        return _read_quoted_csv(name, data.decode("utf-8"))
    try:
        return _read_plain_csv(name, data)
    except pl.exceptions.PolarsError:
        # Whatever Polars cannot split cleanly, Python's csv module reads row by row.
        return _read_quoted_csv(name, data.decode("utf-8"))


def _read_plain_csv(
    name: str, data: bytes
) -> tuple[pl.DataFrame | None, str | None, list[Problem]]:
    # Unquoted (the usual case): each line is a row.
    end = data.find(b"\n")
    first_line = data[: end if end >= 0 else len(data)].rstrip(b"\r").decode("utf-8")
    columns = [c.strip().upper() for c in first_line.split(",")]
    if repeated := _repeated_columns_problem(name, columns):
        return None, None, [repeated]
    table, used = _identify(columns)
    if table is None:
        return None, None, [_columns_problem(name, columns)]
    if not used:
        return None, table, []
    width = len(columns)
    # Every line has width - 1 commas if the file has that many per line in all, and Polars
    # finds no line with too many values (it raises): then none can have too few. Only when
    # the totals differ are the lines counted one by one, to say which are wrong.
    if data.count(b",") != (width - 1) * (data.count(b"\n") + 1):
        problems = _width_problems(name, data, width)
        if problems:
            return None, table, problems
    frame = pl.scan_csv(
        data,
        has_header=False,
        skip_rows=1,
        schema={c: pl.String for c in columns},
        quote_char=None,
    )
    return _tidy(frame, table, name, tidy=_needs_tidying(data)).collect(), table, []


def _width_problems(name: str, data: bytes, width: int) -> list[Problem]:
    """The first 20 lines whose number of values is not ``width``."""
    line = pl.col("line")
    counts = (
        pl.scan_csv(
            data, has_header=False, separator="\x1f", quote_char=None, schema={"line": pl.String}
        )
        .select(
            row=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
            count=pl.when(line.is_null())
            .then(0)
            .otherwise(line.str.count_matches(",", literal=True) + 1),
        )
        .filter(pl.col("count") != width)
        .head(20)
        .collect(engine="streaming")
    )
    return [_width_problem(name, row, count, width) for row, count in counts.iter_rows()]


def _read_quoted_csv(name: str, text: str) -> tuple[pl.DataFrame | None, str | None, list[Problem]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return None, None, [Problem(name, f"The file is not valid CSV ({exc}).")]
    if not rows:
        return None, None, [Problem(name, "The file is empty.")]
    columns = [c.strip().upper() for c in rows[0]]
    if repeated := _repeated_columns_problem(name, columns):
        return None, None, [repeated]
    table, used = _identify(columns)
    if table is None:
        return None, None, [_columns_problem(name, columns)]
    if not used:
        return None, table, []
    width = len(columns)
    body = rows[1:]
    problems = [
        _width_problem(name, number, len(row), width)
        for number, row in enumerate(body, start=2)
        if len(row) != width
    ]
    if problems:
        return None, table, problems[:20]
    data = {column: [row[i] for row in body] for i, column in enumerate(columns)}
    frame = pl.DataFrame(data, schema={c: pl.String for c in columns})
    return _tidy(frame.lazy(), table, name).collect(), table, []


def _repeated_columns_problem(name: str, columns: list[str]) -> Problem | None:
    """A column named twice (after trimming and upper-casing), which is refused: reading
    either copy would silently drop the other's values."""
    twice = sorted({_shown(c) for c in columns if columns.count(c) > 1})
    if not twice:
        return None
    return Problem(
        name,
        f"The column{'s' if len(twice) > 1 else ''} {', '.join(twice)} "
        f"appear{'' if len(twice) > 1 else 's'} more than once. Remove the extra "
        f"column{'s' if len(twice) > 1 else ''}: Sightline cannot tell which values are right.",
        row=1,
    )


def _columns_problem(name: str, columns: list[str]) -> Problem:
    closest = _closest(columns)
    expected = COLUMNS[closest]
    missing = [c for c in expected if c not in columns]
    extra = [_shown(c) for c in columns if c not in expected]
    parts = []
    if missing:
        parts.append(f"it has no {', '.join(missing)} column{'s' if len(missing) > 1 else ''}")
    if extra:
        parts.append(
            f"it has the unexpected column{'s' if len(extra) > 1 else ''} {', '.join(extra)}"
        )
    return Problem(
        name,
        f"The columns are not those of any SSDA903 table. It looks most like {closest}, but "
        + " and ".join(parts)
        + f". {closest} has the columns {', '.join(expected)}.",
        row=1,
    )


def _width_problem(name: str, row: int, count: int, width: int) -> Problem:
    if count == 0:
        return Problem(name, f"The row is empty; expected {width} values.", row=row)
    return Problem(name, f"The row has {count} values; the header has {width} columns.", row=row)


def _needs_tidying(data: bytes) -> bool:
    """Whether any value of an unquoted CSV file could change when trimmed and upper-cased.

    Most files are written by machines: ASCII capitals, digits and punctuation, spaces only
    inside values (postcodes). Those are read as they are, which saves most of the reading
    time. The checks run over the bytes in C (``bytes.translate``, numpy), in a few ms.
    """
    if data.translate(None, _UNCHANGED):
        return True
    import numpy as np  # here, not at the top: see sightline.geography.postcodes

    text = np.frombuffer(data, dtype=np.uint8)
    spaces = np.flatnonzero(text == _SPACE)
    if spaces.size == 0:
        return False
    if spaces[0] == 0 or spaces[-1] == text.size - 1:
        return True
    around = np.concatenate((text[spaces - 1], text[spaces + 1]))
    return bool(np.isin(around, _SEPARATORS).any())


def _tidy(frame: pl.LazyFrame, table: str, name: str, *, tidy: bool = True) -> pl.LazyFrame:
    """Columns in the standard order, trimmed, upper-cased, empty as null; file and row.

    ``tidy=False`` skips the trimming and upper-casing, for text that ``_needs_tidying`` has
    shown to hold nothing they would change. A column the frame lacks of those beyond the CSV
    columns (``schema.EXTRA_COLUMNS``: the XML's UASC flag, which no CSV file has) is null.
    """
    given = set(frame.collect_schema().names())

    def value(column: str) -> pl.Expr:
        if column not in COLUMNS[table] and column not in given:
            return pl.lit(None, dtype=pl.String)
        text = pl.col(column).str.strip_chars().str.to_uppercase() if tidy else pl.col(column)
        return pl.when(text != "").then(text)

    return frame.select(
        [value(column).alias(column) for column in frame_columns(table)]
    ).with_columns(
        _file=pl.lit(name, dtype=pl.String),
        _row=pl.int_range(2, pl.len() + 2, dtype=pl.Int64),
    )


# --- XML ------------------------------------------------------------------------------------


class _Forbidden(Exception):
    pass


def _read_xml(name: str, data: bytes) -> ReturnTables:
    sha256 = hashlib.sha256(data).hexdigest()
    utf8, problem = _decode(name, data)
    if problem is not None or utf8 is None:
        raise ReadError([problem or Problem(name, "The file could not be read.")])
    parts: dict[str, list[pl.DataFrame]] = {t: [] for t in COLUMNS}
    supplied = read_xml_records(
        name, [utf8], flush=lambda table, frame: parts[table].append(frame), every=None
    )
    del utf8
    tables = {
        table: pl.concat(frames) if frames else empty_table(table)
        for table, frames in parts.items()
    }
    return ReturnTables(
        tables=tables,
        source_format="xml",
        source_name=name,
        sha256=sha256,
        supplied=supplied,
        files=dict.fromkeys(supplied, name),
    )


def read_xml_records(
    name: str,
    pieces: Iterable[bytes],
    *,
    flush: Callable[[str, pl.DataFrame], object],
    every: int | None,
) -> frozenset[str]:
    """Parse the XML (UTF-8, given in pieces) and pass each table's records to ``flush`` as
    frames, every ``every`` children (or once at the end when None), so that a large file
    need not be held whole (``returns.stream``). Returns the tables the XML gives; raises
    ``ReadError`` with the first 20 problems once the whole file is read."""
    parser = xml.parsers.expat.ParserCreate(encoding="UTF-8")
    given: set[str] = set()
    header_rows: list[dict[str, str | int | None]] = []
    episode_rows: list[dict[str, str | int | None]] = []
    missing_rows: list[dict[str, str | int | None]] = []
    # The other tables' records, by table (XML_RECORD_TABLES and XML_HEADER_TABLES).
    more_rows: dict[str, list[dict[str, str | int | None]]] = {t: [] for t in MORE_TABLES}
    child_more: dict[str, list[dict[str, str | int | None]]] = {t: [] for t in MORE_TABLES}
    problems: list[Problem] = []
    stack: list[str] = []
    record: dict[str, str | int | None] | None = None
    child_header: dict[str, str | int | None] | None = None
    child_episodes: list[dict[str, str | int | None]] = []
    child_missing: list[dict[str, str | int | None]] = []
    buffer: list[str] = []
    header_fields = {"CHILD", *COLUMNS[HEADER]}
    episode_fields = set(COLUMNS[EPISODES]) - {"CHILD"}
    missing_fields = {"MISSING", "MIS_START", "MIS_END"}
    # The header's own elements of UASC, AD1 and OC3 (and the UASC flag), and the fields of
    # the records inside a header (AREVIEW, PERMANENCE, OC2, AD_PLACED).
    header_fields |= {"UASC"} | {
        c for t in XML_HEADER_TABLES for c in COLUMNS[t] if c not in {"CHILD", "SEX", "DOB"}
    }
    record_fields = {
        tag: set(COLUMNS[table]) - {"CHILD", "DOB"} for tag, table in XML_RECORD_TABLES.items()
    }
    # The elements Sightline reads, by the record they belong to: each may appear once in a
    # record, since whichever copy were read, the other's value would be silently dropped.
    # (A header holds an AREVIEW per review, an AMISSING per missing period, and so on.)
    once_in = {
        "CHILD": {"HEADER"},
        "HEADER": header_fields,
        "EPISODE": episode_fields,
        "AMISSING": missing_fields,
        **record_fields,
    }
    seen: list[set[str]] = []  # the elements Sightline reads seen so far in each open one

    def forbid(*_: object) -> int:
        raise _Forbidden

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal record, child_header
        line = parser.CurrentLineNumber
        if not stack and tag != _XML_ROOT:
            problems.append(
                Problem(name, f"The root element is <{_shown(tag)}>, not <{_XML_ROOT}>.", row=line)
            )
            raise _Forbidden
        parent = stack[-1] if stack else None
        if parent in once_in:
            column = "HEADER" if tag == "HEADER" else XML_TAG_TO_COLUMN.get(tag, tag)
            if column in once_in[parent]:
                if column in seen[-1]:
                    problems.append(_repeated_element_problem(name, tag, parent, line))
                seen[-1].add(column)
        stack.append(tag)
        seen.append(set())
        buffer.clear()
        if tag == "CHILD" and parent == _XML_ROOT:
            child_header = None
            child_episodes.clear()
            child_missing.clear()
            for rows in child_more.values():
                rows.clear()
        elif tag == "HEADER" and parent == "CHILD":
            child_header = {"_row": line}
            record = child_header
        elif tag == "EPISODE" and parent == "CHILD":
            record = {"_row": line}
            child_episodes.append(record)
        elif tag == "AMISSING" and parent == "HEADER":
            record = {"_row": line}
            child_missing.append(record)
        elif tag in XML_RECORD_TABLES and parent == "HEADER":
            record = {"_row": line}
            child_more[XML_RECORD_TABLES[tag]].append(record)

    def end(tag: str) -> None:
        nonlocal record
        stack.pop()
        seen.pop()
        parent = stack[-1] if stack else None
        value = "".join(buffer)
        buffer.clear()
        column = XML_TAG_TO_COLUMN.get(tag, tag)
        if parent == "HEADER" and column in header_fields and child_header is not None:
            child_header[column] = value
        elif parent == "EPISODE" and child_episodes:
            if column in episode_fields:
                child_episodes[-1][column] = value
            else:
                problems.append(
                    Problem(
                        name,
                        f"<{_shown(tag)}> is not an element of an episode.",
                        row=parser.CurrentLineNumber,
                    )
                )
        elif parent == "AMISSING" and child_missing and column in missing_fields:
            child_missing[-1][column] = value
        elif parent in XML_RECORD_TABLES and column in record_fields[parent]:
            rows = child_more[XML_RECORD_TABLES[parent]]
            if rows:
                rows[-1][column] = value
        if tag in {"EPISODE", "AMISSING", *XML_RECORD_TABLES}:
            record = child_header
        elif tag == "CHILD" and parent == _XML_ROOT:
            _finish_child()

    def _repeated_element_problem(name: str, tag: str, parent: str, line: int) -> Problem:
        child = child_header.get("CHILD") if child_header is not None else None
        who = f" of child {_shown(str(child))}" if child and parent != "CHILD" else ""
        return Problem(
            name,
            f"<{_shown(tag)}> appears more than once in one <{parent}>{who}. Remove the "
            "extra one: Sightline cannot tell which is right.",
            row=line,
        )

    def _finish_child() -> None:
        line = parser.CurrentLineNumber
        if child_header is None:
            problems.append(Problem(name, "A <CHILD> has no <HEADER>.", row=line))
            return
        child = child_header.get("CHILD")
        if not child:
            problems.append(
                Problem(
                    name,
                    "The child's header has no CHILDID.",
                    row=int(child_header["_row"] or 0),
                    field="CHILDID",
                )
            )
        header_rows.append(child_header)
        for episode in child_episodes:
            episode["CHILD"] = child
            episode_rows.append(episode)
        for missing in child_missing:
            missing["CHILD"] = child
            missing["DOB"] = child_header.get("DOB")
            missing_rows.append(missing)
        for table, rows in child_more.items():
            for more in rows:
                more["CHILD"] = child
                more["DOB"] = child_header.get("DOB")
                more_rows[table].append(more)
        # UASC, AD1 and OC3 are elements of the header: a record when any is given (UASC when
        # the child is or was unaccompanied: the flag is 1 or a date it ceased is given). The
        # UASC record keeps the flag (schema.EXTRA_COLUMNS), so that a DUC given with a flag
        # of 0 is seen (rule 303) and the rules know which children are UASC.
        for table in XML_HEADER_TABLES:
            given = [c for c in COLUMNS[table] if c not in {"CHILD", "SEX", "DOB"}]
            present = any(str(child_header.get(c) or "").strip() for c in given)
            if table == UASC:
                present = present or str(child_header.get("UASC") or "").strip() == "1"
            if present:
                more_rows[table].append(
                    {c: child_header.get(c) for c in frame_columns(table)}
                    | {"_row": child_header["_row"]}
                )

    def characters(chunk: str) -> None:
        buffer.append(chunk)

    def emit() -> None:
        for table, rows in (
            (HEADER, header_rows),
            (EPISODES, episode_rows),
            (MISSING, missing_rows),
            *more_rows.items(),
        ):
            if rows:
                given.add(table)
                flush(table, _xml_frame(rows, table, name))
                rows.clear()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid
    try:
        for piece in pieces:
            parser.Parse(piece, False)
            if every is not None and len(header_rows) >= every and not problems:
                emit()
        parser.Parse(b"", True)
    except _Forbidden:
        if not problems:
            problems.append(
                Problem(
                    name,
                    "The XML declares a DTD or entities, which Sightline does not accept.",
                    row=parser.CurrentLineNumber,
                )
            )
    except xml.parsers.expat.ExpatError as exc:
        reason = xml.parsers.expat.ErrorString(exc.code)
        if reason == "no element found" or "unclosed token" in reason:
            message = "The XML ends before it is complete: is the file cut short?"
        else:
            message = f"The XML is not well formed ({reason}, column {exc.offset + 1})."
        problems.append(Problem(name, message, row=exc.lineno))
    if problems:
        raise ReadError(problems[:20])
    emit()
    # The other tables are given when the XML holds any of their records: an XML written
    # before they were read (Sightline's own exports until then) does not hold them, and the
    # rules that need one (630 needs PrevPerm) do not run. SWEpisodes and DoLo have no XML
    # form (schema.CSV_ONLY_TABLES).
    return frozenset({HEADER, EPISODES, MISSING} | (given & set(MORE_TABLES)))


def _xml_frame(rows: list[dict[str, str | int | None]], table: str, name: str) -> pl.DataFrame:
    if not rows:
        return empty_table(table)
    data = {column: [row.get(column) for row in rows] for column in frame_columns(table)}
    frame = pl.DataFrame(data, schema={c: pl.String for c in frame_columns(table)})
    rows_at = pl.Series("_row", [row["_row"] for row in rows], dtype=pl.Int64)
    frame = _tidy(frame.lazy(), table, name).collect()
    return frame.with_columns(_row=rows_at)
