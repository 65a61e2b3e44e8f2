"""The inquiry report: one self-contained HTML file (inline CSS, charts as data-URI images,
no external requests), with every table written as CSV (and Parquet) on request.

PDF: WeasyPrint would do it but is not among Sightline's dependencies (it needs Pango and
other system libraries); print the HTML to PDF from a browser instead (``docs/evidence.md``).
"""

from __future__ import annotations

from pathlib import Path

from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from sightline.core.timeutil import today
from sightline.evidence import charts, present
from sightline.evidence.areas import AreaKind
from sightline.evidence.frames import Extract
from sightline.evidence.inquiry import Inquiry

_KIND = {
    AreaKind.ENGLAND: "country",
    AreaKind.REGION: "region",
    AreaKind.COUNCIL: "council",
    AreaKind.POLICE_FORCE: "police force area",
}


def headline_lines(inquiry: Inquiry) -> list[str]:
    h = inquiry.headlines
    q = inquiry.query
    lines = []
    if h.get("missing_incidents") is not None:
        total = int(h["missing_incidents"] or 0)
        other = int(h["missing_other_councils"] or 0)
        if total >= present.THRESHOLD and other >= present.THRESHOLD:
            lines.append(
                f"{other:,} of the {total:,} missing incidents from homes in {q.area.name} "
                f"({h['missing_other_share']:.0f}%) involved children placed by other councils."
            )
        elif total:
            lines.append(f"Fewer than {present.THRESHOLD} of the figures are large enough to show.")
        else:
            lines.append(f"No missing incidents from homes in {q.area.name} in these years.")
    rate = h.get("missing_rate_last_year")
    if rate is not None:
        index = h.get("missing_index_last_year")
        text = f"In {q.year_to} there were {rate:.2f} missing incidents per 1,000 placement-days"
        if index is not None:
            text += f" (index {index:.0f}, {q.base_year} = 100)"
        lines.append(text + ".")
    if "days_last_year" in h:
        lines.append(_side_by_side(inquiry))
    irr = h.get("irr_over_50")
    if irr is not None:
        lines.append(
            f"Adjusted for age, sex and placement type, children placed over 50 miles from home "
            f"went missing {irr:.2f} times as often as those within 5 miles (association, not "
            "causation: see question 3)."
        )
    return lines


def _side_by_side(inquiry: Inquiry) -> str:
    """The last year's missing, away, and missing-or-away incidents side by side, with their
    rates; a count under the threshold is not shown, nor the total it would give away."""
    h = inquiry.headlines
    year = inquiry.query.year_to
    days = int(h["days_last_year"] or 0)
    if not days:
        return (
            f"No placement-days in {year} in these data: they run to "
            f"{inquiry.extract.as_of:%-d %B %Y}."
        )
    missing, away = int(h["missing_last_year"] or 0), int(h["away_last_year"] or 0)
    small = [n for n in (missing, away) if 0 < n < present.THRESHOLD]

    def part(label: str, count: int, hidden: bool) -> str:
        if hidden and count < present.THRESHOLD:
            return f"{label}: fewer than {present.THRESHOLD} incidents (not shown)"
        if hidden:
            return f"{label}: not shown (it would give away a count under {present.THRESHOLD})"
        return f"{label}: {count:,} incidents ({1000 * count / days:.2f} per 1,000 placement-days)"

    parts = [
        part("missing", missing, 0 < missing < present.THRESHOLD),
        part("away", away, 0 < away < present.THRESHOLD),
        part("missing or away", missing + away, bool(small)),
    ]
    return f"In {year}, over {days:,} placement-days: " + "; ".join(parts) + "."


def days_counted(extract: Extract) -> str:
    """Whether the last day is counted: the report says so beside its source."""
    as_of = f"{extract.as_of:%-d %B %Y}"
    text = (
        "Each placement from the day it starts up to the day before it ends (the end day is "
        f"not counted). A placement still open is counted up to and including {as_of}"
    )
    if (extract.as_of.month, extract.as_of.day) == (3, 31):
        return text + ": 31 March, the last day of the collection year, is counted."
    return text + "."


def table_body(rows: list[list[str]]) -> SafeString:
    """The rows of a table as HTML, escaped: the first cell a row header. Built here rather than
    in the template, where some 7,000 cells of an England report took a sixth of its time."""
    return mark_safe(  # noqa: S308 - every value is escaped here
        "".join(
            f'<tr><th scope="row">{escape(row[0])}</th>'
            + "".join(f"<td>{escape(value)}</td>" for value in row[1:])
            + "</tr>"
            for row in rows
        )
    )


def render(inquiry: Inquiry, *, command: str = "sightline report inquiry") -> str:
    sections = [
        {
            "section": s,
            "tables": [
                {
                    "table": t,
                    "headings": [c.heading for c in t.columns],
                    "rows": (rows := present.page_rows(t)),
                    "body": table_body(rows),
                    "chart": charts.image(t),
                }
                for t in s.tables
            ],
        }
        for s in inquiry.sections
    ]
    return render_to_string(
        "evidence/report.html",
        {
            "query": inquiry.query,
            "extract": inquiry.extract,
            "sections": sections,
            "headlines": headline_lines(inquiry),
            "days_counted": days_counted(inquiry.extract),
            "area_kind": _KIND[inquiry.query.area.kind],
            "generated": today(),
            "suppression_note": present.NOTE,
            "command": command,
        },
    )


def write(inquiry: Inquiry, out: Path, *, command: str = "sightline report inquiry") -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(render(inquiry, command=command), encoding="utf-8")
    tmp.replace(out)
    return out
