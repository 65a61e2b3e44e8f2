"""Reading a return a block at a time, into parts of whole children kept on disk (ADR 0055).

``read_return`` holds a whole return in memory: the file's bytes, and the Polars frames made
of them (for XML, also a Python dict per record while it parses). A 200 MB return needed
several GB. Here the same reading runs over blocks of a file (``BLOCK_BYTES`` of CSV lines,
or XML fed to the parser in pieces and flushed every ``_XML_FLUSH`` children), and each
block's rows are split by child into ``parts`` and written as Parquet under a temporary
folder. A part holds every record of its children in every table (the part is a hash of
CHILD), so each part is a return of its own for the rules that look at one child at a time,
which is all of them but those in ``chunked.WHOLE_RETURN_RULES``.

The checks are ``reader``'s own, run on each block: the same problems, rows and messages.
Encoding is decided for the whole file in a first pass (UTF-8 if every byte is, else
Windows-1252), as ``reader._decode`` decides it. A CSV file with quotes is read with Python's
``csv`` module a batch of rows at a time, since a quoted value may hold a line break.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from sightline.returns import reader
from sightline.returns.reader import Problem, ReadError, ReturnTables, empty_table
from sightline.returns.schema import COLUMNS

BLOCK_BYTES = 1 << 20  # CSV bytes read, checked and written at once (8 MB: 30 MB more peak)
_QUOTED_ROWS = 50_000  # rows of a quoted CSV file made into a frame at once
_XML_FLUSH = 20_000  # children of an XML file made into frames at once
_XML_PIECE = 1 << 20
# Source bytes per part: a part's frames, prepared for the rules, take about ten times its
# CSV bytes (XML is about four times as long as the same return in CSV).
PART_BYTES = {"csv": 9 << 20, "xml": 24 << 20}
_CP1252_UNDEFINED = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})


def part_of(parts: int) -> pl.Expr:
    """The part a row belongs to: a hash of its CHILD (null CHILD rows go together)."""
    return (pl.col("CHILD").hash(seed=903) % parts).cast(pl.Int32)


@dataclass(frozen=True)
class Parts:
    """A return split by child into ``count`` parts, each a ``ReturnTables`` of its own.

    ``folder`` holds ``<table>/<part>/<block>.parquet`` when the return was read from a file
    (``spill``); ``frames`` holds the parts in memory when it was split from tables already
    read (``split``). ``records``: the rows of each table in the whole return.
    """

    count: int
    source_name: str
    source_format: str
    sha256: str
    supplied: frozenset[str]
    ignored: tuple[str, ...]
    files: dict[str, str]
    records: dict[str, int]
    folder: Path | None = None
    frames: dict[str, list[pl.DataFrame]] | None = None

    def tables(self, part: int) -> ReturnTables:
        """The return's records of the children of ``part``, in the file's order."""
        tables: dict[str, pl.DataFrame] = {}
        for table in COLUMNS:
            if self.frames is not None:
                frame = self.frames[table][part]
            else:
                assert self.folder is not None
                found = sorted((self.folder / table / str(part)).glob("*.parquet"))
                frame = (
                    pl.concat([pl.read_parquet(p) for p in found]).sort("_row")
                    if found
                    else empty_table(table)
                )
            tables[table] = frame
        return ReturnTables(
            tables=tables,
            source_format=self.source_format,
            source_name=self.source_name,
            sha256=self.sha256,
            supplied=self.supplied,
            ignored=self.ignored,
            files=self.files,
        )

    def close(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def parts_for(path: Path) -> int:
    """How many parts a return of this size is read in."""
    files = [path] if path.is_file() else [p for p in path.glob("*") if p.is_file()]
    xml = any(p.suffix.lower() == ".xml" for p in files)
    size = sum(p.stat().st_size for p in files if p.suffix.lower() in {".csv", ".xml"})
    return max(1, math.ceil(size / PART_BYTES["xml" if xml else "csv"]))


def split(tables: ReturnTables, *, parts: int) -> Parts:
    """A return already in memory (last year's, from the database), split as ``spill`` would."""
    frames: dict[str, list[pl.DataFrame]] = {}
    for table, frame in tables.tables.items():
        by_part = frame.with_columns(_part=part_of(parts)).partition_by(
            "_part", as_dict=True, include_key=False, maintain_order=True
        )
        frames[table] = [by_part.get((p,), empty_table(table)) for p in range(parts)]
    return Parts(
        count=parts,
        source_name=tables.source_name,
        source_format=tables.source_format,
        sha256=tables.sha256,
        supplied=tables.supplied,
        ignored=tables.ignored,
        files=tables.files,
        records={t: f.height for t, f in tables.tables.items()},
        frames=frames,
    )


def spill(path: Path, *, parts: int, folder: Path | None = None) -> Parts:
    """Read the return at ``path`` (as ``read_return`` would) into ``parts`` parts on disk.

    Raises ``ReadError`` with the same problems ``read_return`` finds (at most 20 a file).
    """
    where = Path(tempfile.mkdtemp(prefix="sightline-return-", dir=folder))
    try:
        return _spill(path, parts=parts, where=where)
    except BaseException:
        shutil.rmtree(where, ignore_errors=True)
        raise


class _Sink:
    """Writes each block's rows to the part of their child."""

    def __init__(self, where: Path, parts: int) -> None:
        self.where = where
        self.parts = parts
        self.blocks = 0
        self.records: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def write(self, table: str, frame: pl.DataFrame) -> None:
        if frame.height == 0:
            return
        self.records[table] += frame.height
        self.blocks += 1
        by_part = frame.with_columns(_part=part_of(self.parts)).partition_by(
            "_part", as_dict=True, include_key=False, maintain_order=True
        )
        for (part,), rows in by_part.items():
            folder = self.where / table / str(part)
            folder.mkdir(parents=True, exist_ok=True)
            rows.write_parquet(folder / f"{self.blocks:06d}.parquet", compression="lz4")


def _spill(path: Path, *, parts: int, where: Path) -> Parts:
    sink = _Sink(where, parts)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if not files:
            raise ReadError([Problem(path.name or str(path), "The folder holds no CSV files.")])
        resolved = path.resolve()
        name = f"{resolved.parent.name}/{resolved.name}" if resolved.parent.name else str(path)
        return _spill_csvs(files, source_name=name, sink=sink)
    if not path.exists():
        raise ReadError([Problem(path.name, "There is no file or folder with this name.")])
    with path.open("rb") as handle:
        start = handle.read(4096)
    if path.suffix.lower() == ".xml" or start.lstrip(reader._BOM).lstrip()[:1] == b"<":
        return _spill_xml(path, sink=sink)
    return _spill_csvs([path], source_name=path.name, sink=sink)


# --- the first pass: digest and encoding ----------------------------------------------------


@dataclass(frozen=True)
class _Scan:
    sha256: bytes
    bom: bool
    utf8: bool  # every byte is UTF-8 (after any BOM)
    quoted: bool  # a quote or a unit separator somewhere
    problem: Problem | None


def _scan(path: Path) -> _Scan:
    """The file's digest and encoding, read a block at a time as ``reader._decode`` decides."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    quoted = False
    bom = False
    first = True
    bad: tuple[int, int] | None = None  # (line, byte) of the first byte Windows-1252 lacks
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            digest.update(block)
            if first:
                first = False
                if block.startswith(reader._UTF16_BOMS):
                    return _Scan(
                        digest.digest(),
                        False,
                        False,
                        False,
                        Problem(
                            path.name, "The file is UTF-16 text. Save it as UTF-8 and try again."
                        ),
                    )
                if block.startswith(reader._BOM):
                    bom = True
                    block = block[len(reader._BOM) :]
            quoted = quoted or b'"' in block or b"\x1f" in block
            # An ASCII block is skipped, unless the decoder holds the start of a character
            # from the block before (which the ASCII block must then be found to break).
            if utf8 and (not block.isascii() or decoder.getstate()[0]):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            if bad is None and not block.isascii():
                for at, byte in enumerate(block):
                    if byte in _CP1252_UNDEFINED:
                        bad = (lines + block[:at].count(b"\n") + 1, byte)
                        break
            lines += block.count(b"\n")
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    problem = None
    if not utf8 and bad is not None:
        problem = Problem(
            path.name,
            "The file is neither UTF-8 nor Windows-1252 text (byte "
            f"{bad[1]:#04x}). Save it as UTF-8 and try again.",
            row=bad[0],
        )
    return _Scan(digest.digest(), bom, utf8, quoted, problem)


def _blocks(path: Path, scan: _Scan) -> Iterator[tuple[int, bytes, bool]]:
    """The file as UTF-8 in blocks of whole lines: (first line's number, bytes, last?)."""
    line = 1
    rest = b""
    with path.open("rb") as handle:
        if scan.bom:
            handle.read(len(reader._BOM))
        while True:
            piece = handle.read(BLOCK_BYTES)
            data = rest + piece
            if not piece:
                yield line, _utf8(data, scan), True
                return
            cut = data.rfind(b"\n")
            if cut < 0:
                rest = data
                continue
            block, rest = data[:cut], data[cut + 1 :]
            yield line, _utf8(block, scan), False
            line += block.count(b"\n") + 1


def _utf8(data: bytes, scan: _Scan) -> bytes:
    return data if scan.utf8 else data.decode("cp1252").encode("utf-8")


# --- CSV ------------------------------------------------------------------------------------


def _moved(problems: list[Problem], by: int) -> list[Problem]:
    return [replace(p, row=p.row + by) if p.row is not None and p.row > 1 else p for p in problems]


def _spill_csvs(paths: list[Path], *, source_name: str, sink: _Sink) -> Parts:
    problems: list[Problem] = []
    files_of: dict[str, str] = {}
    ignored: list[str] = []
    digest = hashlib.sha256()
    for path in paths:
        name = path.name
        scan = _scan(path)
        digest.update(name.encode() + b"\0" + scan.sha256)
        if scan.problem is not None:
            problems.append(scan.problem)
            continue
        table, file_problems = _spill_csv(path, scan, sink)
        problems.extend(file_problems[:20])
        if table is None or file_problems:
            continue
        if table in files_of:
            problems.append(
                Problem(
                    name,
                    f"Both {files_of[table]} and {name} hold the {table} table. "
                    "Remove one of them.",
                )
            )
            continue
        files_of[table] = name
    # A file ``reader`` would ignore is one whose columns name a table it does not read: none
    # since all twelve are read, so ``ignored`` stays empty as it does there.
    if problems:
        raise ReadError(problems)
    return Parts(
        count=sink.parts,
        source_name=source_name,
        source_format="csv",
        sha256=digest.hexdigest(),
        supplied=frozenset(files_of),
        ignored=tuple(ignored),
        files=files_of,
        records=sink.records,
        folder=sink.where,
    )


def _spill_csv(path: Path, scan: _Scan, sink: _Sink) -> tuple[str | None, list[Problem]]:
    """Read one CSV file into the sink: its table, and the problems found."""
    name = path.name
    if scan.quoted:
        return _spill_quoted_csv(path, scan, sink)
    header: bytes | None = None
    table: str | None = None
    problems: list[Problem] = []
    for line, block, last in _blocks(path, scan):
        data = block.rstrip() if last else block.rstrip(b"\r")
        if header is None:
            if not data:
                return None, [Problem(name, "The file is empty.")]
            end = data.find(b"\n")
            header = data[: end if end >= 0 else len(data)].rstrip(b"\r")
            text, offset = data, 0
        else:
            if not data:
                continue
            text, offset = header + b"\n" + data, line - 2
        try:
            frame, found, block_problems = reader._read_plain_csv(name, text)
        except pl.exceptions.PolarsError:
            frame, found, block_problems = reader._read_quoted_csv(name, text.decode("utf-8"))
        if found is None or frame is None:
            # The header's problems (unknown columns) end the file; a row's go on to the next
            # block, to list up to 20 as ``reader`` does.
            problems.extend(_moved(block_problems, offset))
            if found is None:
                return None, problems
            continue
        table = found
        if problems:
            continue
        # Written as read: gathering blocks into larger frames raised the peak by tens of MB.
        sink.write(table, frame.with_columns(pl.col("_row") + offset))
    return table, problems


def _spill_quoted_csv(path: Path, scan: _Scan, sink: _Sink) -> tuple[str | None, list[Problem]]:
    """A file with quotes: read row by row by the ``csv`` module, a batch of rows at a time."""
    name = path.name
    encoding = "utf-8-sig" if scan.utf8 else "cp1252"
    problems: list[Problem] = []
    table: str | None = None
    with path.open("r", encoding=encoding, newline="") as handle:
        rows = csv.reader(handle)
        try:
            first = next(rows, None)
            if first is None:
                return None, [Problem(name, "The file is empty.")]
            line = 2
            while True:
                batch = [r for _, r in zip(range(_QUOTED_ROWS), rows, strict=False)]
                if not batch and table is not None:
                    break
                body = io.StringIO()
                writer = csv.writer(body, lineterminator="\n")
                writer.writerow(first)
                writer.writerows(batch)
                frame, table, found = reader._read_quoted_csv(name, body.getvalue())
                if table is None or frame is None:
                    problems.extend(_moved(found, line - 2))
                    if table is None:
                        return None, problems
                elif not problems:
                    sink.write(table, frame.with_columns(pl.col("_row") + (line - 2)))
                line += len(batch)
                if not batch:
                    break
        except csv.Error as exc:
            return None, [Problem(name, f"The file is not valid CSV ({exc}).")]
    return table, problems


# --- XML ------------------------------------------------------------------------------------


def _spill_xml(path: Path, *, sink: _Sink) -> Parts:
    name = path.name
    scan = _scan(path)
    if scan.problem is not None:
        raise ReadError([scan.problem])

    def pieces() -> Iterator[bytes]:
        with path.open("rb") as handle:
            if scan.bom:
                handle.read(len(reader._BOM))
            while piece := handle.read(_XML_PIECE):
                yield _utf8(piece, scan)

    supplied = reader.read_xml_records(name, pieces(), flush=sink.write, every=_XML_FLUSH)
    return Parts(
        count=sink.parts,
        source_name=name,
        source_format="xml",
        sha256=scan.sha256.hex(),
        supplied=supplied,
        ignored=(),
        files=dict.fromkeys(supplied, name),
        records=sink.records,
        folder=sink.where,
    )
