"""Pages about children: one child's record."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Involvement, Rule, access_child, declare
from sightline.children.selectors import age_on, child_timeline
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import today
from sightline.core.views import long_date, miles, page, page_not_found, table_cell, table_head
from sightline.organisations.models import User
from sightline.placements.admissions import placement_actions
from sightline.placements.selectors import placement_history, user_can_record_placement


def _placement_history_table(child_id: Any) -> GovUKTable | None:
    placements = list(placement_history(child_id=child_id))
    if not placements:
        return None
    head = [
        table_head("Setting"),
        table_head("Start date"),
        table_head("End date"),
        table_head("Host council"),
        table_head("Police force"),
        table_head("Distance from home (miles)", numeric=True),
        table_head("In or out of area"),
    ]
    body = [
        [
            table_cell(p.setting.name),
            table_cell(long_date(p.start_date)),
            table_cell(long_date(p.end_date, "Current")),
            table_cell(p.host_council.name),
            table_cell(p.host_police_force.name),
            table_cell(miles(p.distance_miles), numeric=True),
            table_cell("Out of area" if p.out_of_area else "In area"),
        ]
        for p in placements
    ]
    return GovUKTable(
        caption="Placement history",
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=body,
        classes="app-table--compact",
    )


@declare(Rule.CHILD, action=Action.VIEW)
@login_required
def child_detail(request: HttpRequest, child_id: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        access = access_child(
            user,
            child_id,
            action=Action.VIEW,
            purpose="Open the child's record",
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    child = access.child
    return page(
        request,
        "children/child_detail.html",
        {
            "child": child,
            "age": age_on(child.date_of_birth, today()),
            "date_of_birth": long_date(child.date_of_birth),
            "history": _placement_history_table(child.id),
            "timeline": child_timeline(child=child),
            "can_record_placement": Involvement.PLACING_COUNCIL in access.involvements
            and user_can_record_placement(user=user),
            "actions": placement_actions(user=user, child=child, involvements=access.involvements),
        },
    )
