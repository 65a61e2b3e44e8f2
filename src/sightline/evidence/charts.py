"""Charts as inline SVG (matplotlib, Agg backend), drawn from the same suppressed rows as the
table beside them, so a chart never shows a number the table hides."""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from django.utils.html import escape

from sightline.evidence.present import SUPPRESSED, suppressed_rows
from sightline.evidence.questions import Table

# GOV.UK colours: blue, orange, turquoise, pink, green, purple.
COLOURS = ("#1d70b8", "#f47738", "#28a197", "#d53880", "#00703c", "#4c2c92")

plt.rcParams.update(
    {
        "font.family": "sans-serif",
        "font.size": 9,
        "svg.fonttype": "none",  # text stays text: readable, selectable, small
        "svg.hashsalt": "sightline",  # the same chart gives the same SVG
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _number(value: Any) -> float | None:
    if value is None or value == SUPPRESSED:
        return None
    return float(value)


def svg(table: Table) -> str:
    """The table's chart as an SVG document, or "" when the table has no chart or no value to
    plot."""
    spec = table.chart
    if not spec:
        return ""
    rows = suppressed_rows(table)
    labels = [str(r[spec["x"]]) for r in rows]
    values = [_number(r[spec["y"]]) for r in rows]
    if not any(v is not None for v in values):
        return ""
    fig, ax = plt.subplots(figsize=(7.5, 3.4))
    kind = spec["type"]
    positions = list(range(len(labels)))
    if kind == "line":
        ax.plot(
            positions,
            [v if v is not None else float("nan") for v in values],
            marker="o",
            color=COLOURS[0],
        )
    elif kind == "pair":
        other = [_number(r[spec["y2"]]) for r in rows]
        width = 0.4
        ax.bar(
            [p - width / 2 for p in positions],
            [v or 0 for v in values],
            width,
            color=COLOURS[0],
            label="Homes",
        )
        ax.bar(
            [p + width / 2 for p in positions],
            [v or 0 for v in other],
            width,
            color=COLOURS[1],
            label="Children in care",
        )
        ax.legend(frameon=False)
    elif kind == "irr":
        lows = [_number(r.get("lower")) for r in rows]
        highs = [_number(r.get("upper")) for r in rows]
        for p, v, lo, hi in zip(positions, values, lows, highs, strict=True):
            if v is None:
                continue
            if lo is not None and hi is not None:
                ax.errorbar(
                    [p], [v], yerr=[[v - lo], [hi - v]], fmt="o", color=COLOURS[0], capsize=4
                )
            else:
                ax.plot([p], [v], "o", color=COLOURS[0])
        ax.axhline(1.0, color="#505a5f", linewidth=1, linestyle="--")
    else:
        ax.bar(positions, [v or 0 for v in values], color=COLOURS[0])
    ax.set_xticks(
        positions,
        labels,
        rotation=30 if len(labels) > 6 else 0,
        ha="right" if len(labels) > 6 else "center",
    )
    ax.set_ylabel(spec.get("label", ""))
    ax.grid(axis="y", color="#b1b4b6", linewidth=0.5)
    fig.tight_layout()
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    plt.close(fig)
    return buffer.getvalue()


def image(table: Table) -> str:
    """The chart as an ``<img>`` holding the SVG as a data URI, with its text alternative.

    A data URI rather than inline SVG: the pages' Content Security Policy forbids inline
    styles (which matplotlib's SVG uses) but allows ``data:`` images, and the report stays one
    self-contained file."""
    key = _key(table)
    cached = _images.get(key)
    if cached is not None:
        return cached
    text = svg(table)
    if not text:
        return ""
    data = base64.b64encode(text.encode()).decode()
    alt = escape(f"Chart: {table.title}. The table after the chart holds the same figures.")
    found = f'<img class="sl-chart" src="data:image/svg+xml;base64,{data}" alt="{alt}">'
    while len(_images) >= _IMAGES_KEPT:
        _images.pop(next(iter(_images)))
    _images[key] = found
    return found


# Drawing is the slow part of a page; the same figures give the same chart, so keep the last few.
_images: dict[tuple[Any, ...], str] = {}
_IMAGES_KEPT = 256


def _key(table: Table) -> tuple[Any, ...]:
    spec = table.chart
    wanted = [k for k in (spec.get("x"), spec.get("y"), spec.get("y2")) if k]
    extra = ["lower", "upper"] if spec.get("type") == "irr" else []
    rows = suppressed_rows(table)
    values = tuple(tuple(r.get(k) for k in [*wanted, *extra]) for r in rows)
    return (table.title, tuple(sorted(spec.items())), values)
