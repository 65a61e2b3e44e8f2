"""The exploitation panel's view (issue 18 part 2): the cases for the next meeting, the network
picture of the children, people, places, vehicles and phone numbers (with the table behind
it), the hotspots on the map (where the children were found, per 1 km square, and the places
of concern), and the actions with owners (casework tasks) and the decisions (chronology
entries of the panel's cases).

It sits in ``web`` because it draws on the maps (``web.maps``) and on every domain below. A
child the user may not view appears as "child placed by another council" and a number, never
by name, id or home (``access.policy.may_see_linked_child``). The page is one audited list
read naming the children it names (``children_shown``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Rule, chronology_text_visible, declare, may
from sightline.audit.lists import children_shown, lists_children
from sightline.casework.models import CaseTask, CaseTaskStatus
from sightline.casework.selectors import case_task_row
from sightline.chronology.models import ChronologyEntry, EntryType
from sightline.core.errors import ValidationError
from sightline.core.views import page, page_not_found, scrolling, table_cell, table_head, when
from sightline.exploitation.models import (
    LINKS_REFRESH,
    ChildLinkRefresh,
    ConcernKind,
    ReferralStatus,
)
from sightline.exploitation.network import KIND_NAMES, draw
from sightline.exploitation.presenters import grade_tag, referral_tag
from sightline.exploitation.selectors import (
    concerns_visible_to,
    nrm_statuses,
    panel_network,
    panel_queue_for,
)
from sightline.geography import basemap, postcodes
from sightline.missing.models import Episode
from sightline.organisations.models import User
from sightline.web.maps import FOUND_SQUARE_METRES, tile_service


def _cases_table(referrals: list[Any]) -> GovUKTable:
    listed = sorted(referrals, key=lambda r: (r.status != ReferralStatus.LISTED, r.created_at))
    nrm = nrm_statuses(child_ids=(r.child_id for r in referrals))
    return GovUKTable(
        caption="Cases for the next meeting",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Child"),
            table_head("Grade"),
            table_head("Status"),
            table_head("National Referral Mechanism"),
        ],
        rows=[
            [
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("panel_referral", args=[r.id]),
                        r.child.full_name,
                    )
                ),
                table_cell(html=grade_tag(r.screening.grade)),
                table_cell(html=referral_tag(r)),
                table_cell(nrm[r.child_id]),
            ]
            for r in listed
        ],
    )


def _network_table(rows: list[Any]) -> GovUKTable:
    return GovUKTable(
        caption="The network, as a table",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Who or what"),
            table_head("Kind"),
            table_head("Group", numeric=True),
            table_head("Connections", numeric=True),
            table_head("Connected to"),
        ],
        rows=[
            [
                table_cell(r.label),
                table_cell(KIND_NAMES.get(r.kind, r.kind)),
                table_cell(r.group, numeric=True),
                table_cell(r.degree, numeric=True),
                table_cell("; ".join(r.neighbours)),
            ]
            for r in rows
        ],
    )


def hotspot_points(*, user: User, children: list[Any]) -> list[dict[str, Any]]:
    """Where the picture's children were found, counted per 1 km square (a square, never a
    postcode or a child), and the places of concern the user may see with a postcode."""
    side = FOUND_SQUARE_METRES
    squares: dict[tuple[int, int], dict[str, Any]] = {}
    found = Episode.objects.filter(child__in=[c.pk for c in children], returned_at__isnull=False)
    for postcode in found.exclude(found_postcode="").values_list("found_postcode", flat=True):
        try:
            entry = postcodes.lookup(postcode)
        except ValidationError:
            continue
        if entry.easting is None or entry.northing is None:
            continue
        square = (entry.easting // side, entry.northing // side)
        point = squares.setdefault(
            square,
            {
                "key": f"{square[0]}-{square[1]}",
                "label": f"Found here ({entry.postcode.split()[0]}, 1 km square)",
                "area": "",
                "easting": square[0] * side + side // 2,
                "northing": square[1] * side + side // 2,
                "children": 0,
                "missing_now": 0,
                "episodes": 0,
            },
        )
        point["episodes"] += 1
    points = sorted(squares.values(), key=lambda p: (-p["episodes"], p["key"]))
    places = concerns_visible_to(user=user).filter(kind=ConcernKind.PLACE).exclude(postcode="")
    for place in places.filter(links__child__in=[c.pk for c in children]).distinct():
        try:
            entry = postcodes.lookup(place.postcode)
        except ValidationError:
            continue
        points.append(
            {
                "key": str(place.pk),
                "label": f"Place of concern: {place.label}",
                "area": place.postcode,
                "easting": entry.easting,
                "northing": entry.northing,
                "children": 0,
                "missing_now": 1,  # drawn red: a place of concern
                "episodes": place.links.count(),
            }
        )
    return points


def _hotspots_table(points: list[dict[str, Any]]) -> GovUKTable:
    return GovUKTable(
        caption="Hotspots",
        captionClasses="govuk-table__caption--m",
        head=[table_head("Where"), table_head("Times found or named", numeric=True)],
        rows=[[table_cell(p["label"]), table_cell(p["episodes"], numeric=True)] for p in points],
    )


def _actions_table(children: list[Any]) -> GovUKTable | None:
    tasks = (
        CaseTask.objects.filter(
            child__in=[c.pk for c in children],
            status__in=[CaseTaskStatus.OPEN, CaseTaskStatus.IN_PROGRESS],
        )
        .select_related("child", "organisation", "owner")
        .order_by("due_date")
    )
    rows = [case_task_row(t) for t in tasks]
    if not rows:
        return None
    return GovUKTable(
        caption="Actions and their owners",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Child"),
            table_head("Action"),
            table_head("Owner"),
            table_head("Due"),
            table_head("Status"),
        ],
        rows=[
            [
                table_cell(r.child.full_name),
                table_cell(
                    html=format_html('<a class="govuk-link" href="{}">{}</a>', r.url, r.title)
                ),
                table_cell(f"{r.owner}, {r.organisation}"),
                table_cell(f"{r.due_date:%-d %B %Y}"),
                table_cell(r.status_label),
            ]
            for r in rows
        ],
    )


def _decisions_table(user: User, children: list[Any]) -> GovUKTable | None:
    entries = (
        ChronologyEntry.objects.filter(
            child__in=[c.pk for c in children], entry_type=EntryType.DECISION
        )
        .select_related("child", "organisation")
        .prefetch_related("visible_to")
        .order_by("-occurred_at")[:50]
    )
    rows = []
    for e in entries:
        visible = chronology_text_visible(
            user,
            source_organisation_id=e.organisation_id,
            restricted=e.restricted,
            audience_ids=[o.pk for o in e.visible_to.all()],
        )
        text = e.text if visible else "Shared with named organisations only"
        rows.append(
            [
                table_cell(e.child.full_name),
                table_cell(when(e.occurred_at)),
                table_cell(e.organisation.name),
                table_cell(text),
            ]
        )
    if not rows:
        return None
    return GovUKTable(
        caption="Decisions (from the chronology)",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Child"),
            table_head("When"),
            table_head("Agency"),
            table_head("Decision"),
        ],
        rows=rows,
    )


@declare(Rule.SIGNED_IN)
@lists_children(purpose="The exploitation panel's view")
@login_required
def panel_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    if not may(user, Action.VIEW_PANEL_QUEUE):
        return page_not_found(request)
    referrals = list(panel_queue_for(user=user))
    cases = list({r.child_id: r.child for r in referrals}.values())
    net = panel_network(user=user, children=cases)
    picture = draw(net.graph, net.labels, title="The panel's network of children and concerns")
    named = [c for c in net.children if c.pk in set(net.shown)]
    children_shown(request, (c.pk for c in named))
    points = hotspot_points(user=user, children=net.children)
    # A computation that has kept its links (the row is made before its first one ends).
    computed = (
        ChildLinkRefresh.objects.filter(name=LINKS_REFRESH)
        .exclude(digest="")
        .values_list("computed_at", flat=True)
    )
    config = {
        "kind": "found",
        "base": {
            "image": static(f"geography/{basemap.IMAGE_NAME}"),
            "index": static(f"geography/{basemap.INDEX_NAME}"),
            "bounds": [[basemap.SOUTH, basemap.WEST], [basemap.NORTH, basemap.EAST]],
            "attribution": basemap.ATTRIBUTION,
        },
        "tiles": tile_service(),
        "points": points,
    }
    return page(
        request,
        "web/panel_view.html",
        {
            "organisation": user.organisation,
            "cases": scrolling(_cases_table(referrals)) if referrals else None,
            "picture": picture,
            "network": scrolling(_network_table(picture.rows)) if picture.rows else None,
            "points": points,
            "drawn": sum(1 for p in points if p["easting"] is not None),
            "hotspots": scrolling(_hotspots_table(points)) if points else None,
            "actions": _actions_table(named),
            "decisions": _decisions_table(user, named),
            "config": config,
            "computed_at": when(computed.first()),
        },
    )
