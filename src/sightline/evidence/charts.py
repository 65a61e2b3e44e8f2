"""Charts as SVG images, drawn from the same suppressed rows as the table beside them, so a
chart never shows a number the table hides.

The SVG is written by hand: the four kinds of chart (line, bars, pairs of bars, ratios with
intervals) are a few rectangles, lines and text, and writing them directly takes well under a
millisecond where matplotlib took about a tenth of a second a chart (and a second to import).
Styling is by presentation attributes only (no ``style`` attributes or elements), text stays
text, and each chart carries its own ``<title>`` and ``<desc>``; on the page the ``<img>`` has a
text alternative and the table after it holds the same figures.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from django.utils.html import escape

from sightline.evidence.present import SUPPRESSED, suppressed_rows
from sightline.evidence.questions import Table

# GOV.UK colours: blue, orange, turquoise, pink, green, purple.
COLOURS = ("#1d70b8", "#f47738", "#28a197", "#d53880", "#00703c", "#4c2c92")
TEXT = "#0b0c0c"
GREY = "#505a5f"
GRID = "#b1b4b6"
FONT = "Arial, Helvetica, sans-serif"

WIDTH, HEIGHT = 750, 340
LEFT, RIGHT, TOP = 78, 16, 28


def _number(value: Any) -> float | None:
    if value is None or value == SUPPRESSED:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    """A number for a coordinate or tick label: short, no trailing zeros."""
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering low to high (1, 2, 2.5 or 5 times a power of ten apart)."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value < high + step * 0.999:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _tick_label(value: float) -> str:
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:g}"


class _Canvas:
    def __init__(self, title: str, labels: Sequence[str], y_label: str) -> None:
        self.parts: list[str] = []
        self.labels = list(labels)
        self.y_label = y_label
        self.title = title
        self.rotate = len(labels) > 6
        self.bottom = HEIGHT - (96 if self.rotate else 44)
        self.slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)

    def x(self, position: float) -> float:
        return LEFT + self.slot * (position + 0.5)

    def scale(self, low: float, high: float) -> None:
        self.ticks = _ticks(low, high)
        self.low, self.high = self.ticks[0], self.ticks[-1]

    def y(self, value: float) -> float:
        span = self.high - self.low or 1.0
        return self.bottom - (value - self.low) / span * (self.bottom - TOP)

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(self, x: float, y: float, content: str, **attrs: str) -> None:
        extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
        self.add(f'<text x="{_fmt(x)}" y="{_fmt(y)}"{extra}>{xml_escape(content)}</text>')

    def axes(self) -> None:
        for tick in self.ticks:
            y = self.y(tick)
            self.add(
                f'<line x1="{LEFT}" y1="{_fmt(y)}" x2="{WIDTH - RIGHT}" y2="{_fmt(y)}" '
                f'stroke="{GRID}" stroke-width="0.5"/>'
            )
            self.text(LEFT - 6, y + 4, _tick_label(tick), text_anchor="end")
        self.add(
            f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{_fmt(self.bottom)}" stroke="{TEXT}" '
            'stroke-width="1"/>'
        )
        self.add(
            f'<line x1="{LEFT}" y1="{_fmt(self.bottom)}" x2="{WIDTH - RIGHT}" '
            f'y2="{_fmt(self.bottom)}" stroke="{TEXT}" stroke-width="1"/>'
        )
        for i, label in enumerate(self.labels):
            x = self.x(i)
            if self.rotate:
                y = self.bottom + 14
                self.text(x, y, label, text_anchor="end", transform=f"rotate(-30 {_fmt(x)} {y})")
            else:
                self.text(x, self.bottom + 18, label, text_anchor="middle")
        middle = (TOP + self.bottom) / 2
        self.text(
            16, middle, self.y_label, text_anchor="middle", transform=f"rotate(-90 16 {middle})"
        )

    def document(self) -> str:
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="title desc" '
            f'font-family="{FONT}" font-size="12" fill="{TEXT}">'
            f'<title id="title">{xml_escape(self.title)}</title>'
            '<desc id="desc">The table after the chart holds the same figures.</desc>'
            f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>'
            + "".join(self.parts)
            + "</svg>\n"
        )


def _bar(canvas: _Canvas, x: float, width: float, value: float, colour: str, label: str) -> None:
    top, base = canvas.y(max(value, 0.0)), canvas.y(min(value, 0.0))
    canvas.add(
        f'<rect x="{_fmt(x)}" y="{_fmt(top)}" width="{_fmt(width)}" '
        f'height="{_fmt(max(base - top, 0.0))}" fill="{colour}"><title>{xml_escape(label)}</title>'
        "</rect>"
    )


def svg(table: Table) -> str:
    """The table's chart as an SVG document, or "" when the table has no chart or no value to
    plot."""
    spec = table.chart
    if not spec:
        return ""
    rows = suppressed_rows(table)
    labels = [str(r[spec["x"]]) for r in rows]
    values = [_number(r[spec["y"]]) for r in rows]
    known = [v for v in values if v is not None]
    if not known:
        return ""
    kind = spec["type"]
    canvas = _Canvas(table.title, labels, spec.get("label", ""))
    if kind == "pair":
        other = [_number(r[spec["y2"]]) for r in rows]
        known += [v for v in other if v is not None]
        canvas.scale(min(0.0, *known), max(0.0, *known))
        canvas.axes()
        width = canvas.slot * 0.4
        for i, (a, b) in enumerate(zip(values, other, strict=True)):
            if a is not None:
                _bar(canvas, canvas.x(i) - width, width, a, COLOURS[0], f"{labels[i]}: {a:g}")
            if b is not None:
                _bar(canvas, canvas.x(i), width, b, COLOURS[1], f"{labels[i]}: {b:g}")
        for j, name in enumerate(("Homes", "Children in care")):
            key_x = WIDTH - RIGHT - 260 + j * 120
            canvas.add(f'<rect x="{key_x}" y="6" width="12" height="12" fill="{COLOURS[j]}"/>')
            canvas.text(key_x + 16, 16, name)
    elif kind == "irr":
        lows = [_number(r.get("lower")) for r in rows]
        highs = [_number(r.get("upper")) for r in rows]
        extent = known + [v for v in lows + highs if v is not None] + [1.0]
        span = max(extent) - min(extent) or 1.0
        canvas.scale(min(extent) - span * 0.05, max(extent))
        canvas.axes()
        one = canvas.y(1.0)
        canvas.add(
            f'<line x1="{LEFT}" y1="{_fmt(one)}" x2="{WIDTH - RIGHT}" y2="{_fmt(one)}" '
            f'stroke="{GREY}" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        for i, (v, lo, hi) in enumerate(zip(values, lows, highs, strict=True)):
            if v is None:
                continue
            x = canvas.x(i)
            label = f"{labels[i]}: {v:.2f}"
            if lo is not None and hi is not None:
                label += f" ({lo:.2f} to {hi:.2f})"
                for y in (canvas.y(lo), canvas.y(hi)):
                    canvas.add(
                        f'<line x1="{_fmt(x - 5)}" y1="{_fmt(y)}" x2="{_fmt(x + 5)}" '
                        f'y2="{_fmt(y)}" stroke="{COLOURS[0]}" stroke-width="1.5"/>'
                    )
                canvas.add(
                    f'<line x1="{_fmt(x)}" y1="{_fmt(canvas.y(lo))}" x2="{_fmt(x)}" '
                    f'y2="{_fmt(canvas.y(hi))}" stroke="{COLOURS[0]}" stroke-width="1.5"/>'
                )
            canvas.add(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(canvas.y(v))}" r="4" fill="{COLOURS[0]}">'
                f"<title>{xml_escape(label)}</title></circle>"
            )
    elif kind == "line":
        canvas.scale(min(0.0, *known), max(0.0, *known))
        canvas.axes()
        run: list[str] = []
        for i, v in enumerate([*values, None]):
            if v is not None:
                run.append(f"{_fmt(canvas.x(i))},{_fmt(canvas.y(v))}")
            elif run:  # a gap (no value, or suppressed) breaks the line
                canvas.add(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{COLOURS[0]}" '
                    'stroke-width="2"/>'
                )
                run = []
        for i, v in enumerate(values):
            if v is not None:
                canvas.add(
                    f'<circle cx="{_fmt(canvas.x(i))}" cy="{_fmt(canvas.y(v))}" r="3.5" '
                    f'fill="{COLOURS[0]}"><title>{xml_escape(f"{labels[i]}: {v:g}")}</title>'
                    "</circle>"
                )
    else:
        canvas.scale(min(0.0, *known), max(0.0, *known))
        canvas.axes()
        width = canvas.slot * 0.7
        for i, v in enumerate(values):
            if v is not None:
                _bar(canvas, canvas.x(i) - width / 2, width, v, COLOURS[0], f"{labels[i]}: {v:g}")
    return canvas.document()


def image(table: Table) -> str:
    """The chart as an ``<img>`` holding the SVG as a data URI, with its text alternative.

    A data URI rather than inline SVG: the pages' Content Security Policy allows ``data:``
    images, and the report stays one self-contained file."""
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


# The same figures give the same chart: keep the last few, as the dashboard redraws them.
_images: dict[tuple[Any, ...], str] = {}
_IMAGES_KEPT = 256


def _key(table: Table) -> tuple[Any, ...]:
    spec = table.chart
    wanted = [k for k in (spec.get("x"), spec.get("y"), spec.get("y2")) if k]
    extra = ["lower", "upper"] if spec.get("type") == "irr" else []
    rows = suppressed_rows(table)
    values = tuple(tuple(r.get(k) for k in [*wanted, *extra]) for r in rows)
    return (table.title, tuple(sorted(spec.items())), values)
