"""Writing a return's tables as its CSV files or as its XML."""

from __future__ import annotations

import csv
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl

from sightline.returns.schema import (
    COLUMN_TO_XML_TAG,
    COLUMNS,
    EPISODES,
    FILE_NAMES,
    HEADER,
    MISSING,
    UASC,
    XML_EPISODE_ORDER,
    XML_HEADER_TABLES,
    XML_RECORD_TABLES,
)

_FROM_HEADER = {"CHILD", "SEX", "DOB"}


def _by_child(frame: pl.DataFrame | None) -> dict[str, list[dict[str, str | None]]]:
    rows: dict[str, list[dict[str, str | None]]] = {}
    for row in frame.iter_rows(named=True) if frame is not None else ():
        rows.setdefault(row["CHILD"], []).append(row)
    return rows


def write_csv(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """Each table of ``tables`` in its file (``header.csv``, ``episodes.csv``, ``missing.csv``,
    ``reviews.csv``...: schema.FILE_NAMES) in ``folder``, UTF-8, no BOM."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, name in FILE_NAMES.items():
        if table not in tables:
            continue
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(COLUMNS[table])
            writer.writerows(tables[table].select(COLUMNS[table]).fill_null("").iter_rows())
        written.append(path)
    return written


def _add(parent: ET.Element, column: str, value: str | None) -> None:
    ET.SubElement(parent, COLUMN_TO_XML_TAG.get(column, column)).text = value or None


def write_xml(tables: dict[str, pl.DataFrame], path: Path) -> Path:
    """The ``EXPSSDA903`` XML: one CHILD per Header row, its missing periods and episodes, and
    the records of the other tables the XML holds (SWEpisodes and DoLo have no XML form)."""
    root = ET.Element("EXPSSDA903")
    more = {t: _by_child(tables.get(t)) for t in (*XML_HEADER_TABLES, *XML_RECORD_TABLES.values())}
    episodes: dict[str, list[dict[str, str | None]]] = {}
    for row in tables[EPISODES].iter_rows(named=True):
        episodes.setdefault(row["CHILD"], []).append(row)
    missing: dict[str, list[dict[str, str | None]]] = {}
    for row in tables[MISSING].iter_rows(named=True):
        missing.setdefault(row["CHILD"], []).append(row)
    for row in tables[HEADER].iter_rows(named=True):
        child = ET.SubElement(root, "CHILD")
        header = ET.SubElement(child, "HEADER")
        for column in ("CHILD", "UPN", "SEX", "DOB", "ETHNIC"):
            _add(header, column, row[column])
        own = {t: more[t].get(row["CHILD"], []) for t in XML_HEADER_TABLES}
        # The child is UASC when they have a UASC record: 1, unless the record carries the
        # flag another XML gave it (a CSV return's records carry none).
        flag = own[UASC][0].get("UASC") if own[UASC] else "0"
        _add(header, "UASC", flag or "1")
        for table in XML_HEADER_TABLES:
            for record in own[table][:1]:  # one at most a child (rules INT31, INT34, INT36)
                for column in COLUMNS[table]:
                    if column not in _FROM_HEADER:
                        _add(header, column, record[column])
        for period in missing.get(row["CHILD"], []):
            element = ET.SubElement(header, "AMISSING")
            for column in ("MISSING", "MIS_START", "MIS_END"):
                _add(element, column, period[column])
        for column in ("MOTHER", "MC_DOB"):
            _add(header, column, row[column])
        for tag, table in XML_RECORD_TABLES.items():
            for record in more[table].get(row["CHILD"], []):
                element = ET.SubElement(header, tag)
                for column in COLUMNS[table]:
                    if column not in _FROM_HEADER:
                        _add(element, column, record[column])
        for episode in episodes.get(row["CHILD"], []):
            element = ET.SubElement(child, "EPISODE")
            for column in XML_EPISODE_ORDER:
                _add(element, column, episode[column])
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path
