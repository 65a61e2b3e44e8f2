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
    irr = h.get("irr_over_50")
    if irr is not None:
        lines.append(
            f"Adjusted for age, sex and placement type, children placed over 50 miles from home "
            f"went missing {irr:.2f} times as often as those within 5 miles (association, not "
            "causation: see question 3)."
        )
    return lines


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
