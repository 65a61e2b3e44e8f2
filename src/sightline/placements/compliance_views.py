"""The placement compliance page and its CSV downloads: the same rows as
``sightline.placements.compliance`` selects, rendered with the inbox's GOV.UK helpers.
URL name and path (``compliance``, ``/compliance/``) are unchanged from when the page lived
in the outbox."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Rule, children_visible_to, declare
from sightline.audit.lists import audit_reads, children_shown, lists_children
from sightline.core.calendar import LONDON
from sightline.core.timeutil import now as current_time
from sightline.core.timeutil import today
from sightline.core.views import (
    csv_cell,
    on_day,
    page,
    page_not_found,
    permission_denied,
    scrolling,
    table_cell,
    table_head,
    when,
)
from sightline.notifications.views import status_tag
from sightline.organisations.models import OrganisationKind, User
from sightline.placements.compliance import (
    ComplianceTable,
    Format,
    Status,
    compliance_sections,
    compliance_table,
    has_compliance_view,
    period_ending,
)


def _organisation_of(user: User) -> Any:
    return user.organisation if user.is_active else None


# --- Compliance ---------------------------------------------------------------------------


def _page_value(table: ComplianceTable, row: dict[str, Any], key: str) -> Any:
    column = next(c for c in table.columns if c.key == key)
    value = row.get(key)
    if value is None or value == "":
        return column.empty
    if column.format == Format.DATE:
        return on_day(value)
    if column.format == Format.DATETIME:
        return when(value)
    if column.format == Format.PERCENT:
        return f"{value:.0f}%"
    return value


def _compliance_cells(table: ComplianceTable, row: dict[str, Any], visible: set[Any]) -> list[Any]:
    cells = []
    for column in table.page_columns:
        value = _page_value(table, row, column.key)
        numeric = column.format in (Format.NUMBER, Format.PERCENT) and value != column.empty
        if column.key == "child_ref" and row.get("child_id") in visible:
            cells.append(
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("child_detail", args=[row["child_id"]]),
                        value,
                    )
                )
            )
        elif isinstance(value, Status) or (column.format == Format.STATUS and value):
            cells.append(table_cell(html=status_tag(value)))
        else:
            cells.append(table_cell(value, numeric=numeric))
    return cells


def _compliance_table(table: ComplianceTable, visible: set[Any], csv_url: str) -> dict[str, Any]:
    numeric = (Format.NUMBER, Format.PERCENT)
    component = None
    if table.rows:
        component = GovUKTable(
            caption=table.caption,
            captionClasses="govuk-table__caption--m",
            head=[table_head(c.heading, numeric=c.format in numeric) for c in table.page_columns],
            rows=[_compliance_cells(table, row, visible) for row in table.rows],
            classes="app-table--compact",
        )
    return {"table": table, "component": scrolling(component), "csv_url": csv_url}


def _csv_value(value: Any, column_format: Format) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(LONDON).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.1f}"
    return csv_cell(value)


def compliance_csv(table: ComplianceTable, *, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(c.key), c.format) for c in table.columns])
    return response


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Compliance tables of the organisation (903 CHILD ids)")
@login_required
def compliance(request: HttpRequest) -> HttpResponse:
    """The compliance tables of the user's organisation; ``?table=…&format=csv`` downloads one.

    Tables hold 903 CHILD ids, not names; a 903 id links to the child's record only while the
    user's organisation is involved with the child.
    """
    user: User = request.user  # type: ignore[assignment]  # login_required
    org = _organisation_of(user)
    if not has_compliance_view(org):
        return permission_denied(request)
    now = current_time()
    period = period_ending(today())
    if request.GET.get("format") == "csv":
        slug = request.GET.get("table", "")
        table = compliance_table(organisation=org, slug=slug, period=period, now=now)
        if table is None:
            return page_not_found(request)
        code = org.council_id or org.police_force_id
        audit_reads(
            user=user,
            child_ids=[row["child_id"] for row in table.rows if row.get("child_id")],
            action="export",
            purpose=f"Download the compliance table {slug} (CSV)",
        )
        return compliance_csv(table, filename=f"sightline-{slug}-{code}-{today():%Y-%m-%d}.csv")
    sections = compliance_sections(organisation=org, period=period, now=now)
    child_ids = {
        row["child_id"]
        for section in sections
        for table in section.tables
        for row in table.rows
        if "child_id" in row
    }
    children_shown(request, child_ids)
    visible = set(children_visible_to(user).filter(pk__in=child_ids).values_list("pk", flat=True))
    base = reverse("compliance")
    shown = [
        {
            "heading": section.heading,
            "tables": [
                _compliance_table(
                    table,
                    visible,
                    f"{base}?{urlencode({'table': table.slug, 'format': 'csv'})}",
                )
                for table in section.tables
            ],
        }
        for section in sections
    ]
    learned_late = [
        row
        for section in sections
        for table in section.tables
        if table.slug == "host-placements"
        for row in table.rows
        if row["learned"] == Status.LEARNED_LATE
    ]
    hosted = sum(
        len(table.rows)
        for section in sections
        for table in section.tables
        if table.slug == "host-placements"
    )
    return page(
        request,
        "placements/compliance.html",
        {
            "organisation": org,
            "sections": shown,
            "period_start": on_day(period.start),
            "period_end": on_day(period.end),
            "is_council": org.kind == OrganisationKind.COUNCIL,
            "learned_late": len(learned_late),
            "hosted": hosted,
        },
    )
