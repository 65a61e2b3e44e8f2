"""Writing Header, Episodes and Missing as the return's CSV files or as its XML."""

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
    XML_EPISODE_ORDER,
)


def write_csv(tables: dict[str, pl.DataFrame], folder: Path) -> list[Path]:
    """``header.csv``, ``episodes.csv`` and ``missing.csv`` in ``folder`` (UTF-8, no BOM)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table, name in FILE_NAMES.items():
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
    """The ``EXPSSDA903`` XML: one CHILD per Header row, its missing periods and episodes."""
    root = ET.Element("EXPSSDA903")
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
        for period in missing.get(row["CHILD"], []):
            element = ET.SubElement(header, "AMISSING")
            for column in ("MISSING", "MIS_START", "MIS_END"):
                _add(element, column, period[column])
        for column in ("MOTHER", "MC_DOB"):
            _add(header, column, row[column])
        for episode in episodes.get(row["CHILD"], []):
            element = ET.SubElement(child, "EPISODE")
            for column in XML_EPISODE_ORDER:
                _add(element, column, episode[column])
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)
    return path
