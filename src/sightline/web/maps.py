"""Maps of children's homes and of where missing children were found, each with its table.

Three maps, each drawn from a list the user's organisation already has, so a map never
shows a place the tables would not:

- ``placements``: a council's children (the "Children we placed" worklist), one point per
  home with how many of them live there;
- ``force``: the homes in a police force area where children in care live (the "Children
  placed in our force area" worklist), with how many are missing or away now;
- ``found``: where the children of the episodes the organisation sees
  (``episodes_visible_to``) were found, counted per 1 km square of the British National
  Grid: a point is the middle of a square, never a found postcode itself.

A point is a home or a square, never a child: the map's JSON holds names of homes and counts
only. The table behind it names the children counted (each linked to their record, as the
worklists do), so the page is one audited list read (``children_shown``) like the lists.

Points are in British National Grid metres (easting, northing), as the postcode directory
gives them and as the offline base map is drawn (``geography.basemap``), so nothing is
projected. The page embeds them as JSON (``json_script``) for ``sightline/map.js``; the table
below the map shows the same points in the same order.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html_join
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import POLICY, Action, Rule, children_visible_to, declare
from sightline.audit.lists import children_shown, lists_children
from sightline.children.models import Child
from sightline.core.calendar import LONDON
from sightline.core.errors import ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.views import page, table_cell, table_head
from sightline.geography import basemap, postcodes
from sightline.geography.models import District
from sightline.missing.selectors import episodes_visible_to
from sightline.organisations.models import OrganisationKind, User
from sightline.placements.models import Setting
from sightline.web import selectors

# Found places are counted per square of this side, in metres.
FOUND_SQUARE_METRES = 1000

# The found map's periods (by the day the child was found), as the episode list has them.
FOUND_PERIODS = {"90": "Last 90 days", "365": "Last 12 months", "730": "Last 2 years"}
DEFAULT_FOUND_PERIOD = "365"


@dataclass(frozen=True)
class MapKind:
    key: str
    title: str
    description: str
    organisation_kind: str | None  # None: any organisation that sees episodes


MAPS: dict[str, MapKind] = {
    m.key: m
    for m in (
        MapKind(
            "placements",
            "Map of where our children are placed",
            "The homes where the children your council placed live now, with how many live "
            "in each.",
            OrganisationKind.COUNCIL,
        ),
        MapKind(
            "force",
            "Map of children's homes in our force area",
            "The homes in your force area where children in care live now, with how many "
            "live in each and how many of them are missing or away now.",
            OrganisationKind.POLICE,
        ),
        MapKind(
            "found",
            "Map of where missing children were found",
            "Where the children of the missing and away episodes your organisation sees were "
            "found, counted per 1 km square. A point is the middle of a square, not the "
            "place itself.",
            None,
        ),
    )
}


@dataclass
class MapPoint:
    """One point and its table row: a home, or a square where children were found.
    ``easting`` and ``northing`` are None when the place cannot be drawn (a postcode not in
    the directory): the table still lists it."""

    key: str
    label: str
    area: str
    easting: int | None
    northing: int | None
    children: int = 0
    missing_now: int = 0
    episodes: int = 0
    child_ids: set[Any] = field(default_factory=set)
    # The children counted, for the table: (name, record URL, missing or away now), by name.
    named: dict[Any, tuple[str, str, bool]] = field(default_factory=dict)

    def add_child(self, child: Child, *, missing_now: bool = False) -> None:
        if child.pk not in self.named:
            url = reverse("child_detail", args=[child.pk])
            self.named[child.pk] = (child.full_name, url, missing_now)
        self.child_ids.add(child.pk)

    def names_html(self) -> str:
        """The children's names, each linked to their record; "(missing or away now)" after
        those who are."""
        people = sorted(self.named.values(), key=lambda n: n[0])
        return format_html_join(
            ", ",
            '<a class="govuk-link" href="{}">{}</a>{}',
            (
                (url, name, " (missing or away now)" if missing else "")
                for name, url, missing in people
            ),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "area": self.area,
            "easting": self.easting,
            "northing": self.northing,
            "children": self.children,
            "missing_now": self.missing_now,
            "episodes": self.episodes,
        }


def maps_for(*, user: User) -> list[MapKind]:
    """The maps the user's organisation has: none for a role that may see no child."""
    org = user.organisation
    if org is None or not user.is_active or not POLICY[Action.VIEW].get(user.role):
        return []
    return [m for m in MAPS.values() if m.organisation_kind in (None, org.kind)]


def _grid(postcode: str) -> tuple[int | None, int | None]:
    try:
        entry = postcodes.lookup(postcode)
    except ValidationError:
        return None, None
    return entry.easting, entry.northing


def _sorted(points: Iterable[MapPoint]) -> list[MapPoint]:
    return sorted(points, key=lambda p: (-p.children, -p.episodes, p.label, p.key))


def home_points(*, user: User, key: str, on: dt.date) -> list[MapPoint]:
    """One point per home of the worklist ``key`` ("placed" or "force"): the children of the
    list living there now, and how many of them are missing or away now (as the worklist and
    "Missing now" say)."""
    # Every child of the list has a home today, but a list is read, not trusted.
    listed: Iterable[Any] = selectors.worklist_children(user=user, key=key, on=on)  # annotated
    children = [c for c in listed if c.setting_id]
    # SQLite gives a subquery's UUID as hex: normalise before looking the homes up.
    setting_of = {c.pk: uuid.UUID(str(c.setting_id)) for c in children}
    homes = Setting.objects.select_related("council").in_bulk(set(setting_of.values()))
    by_setting: dict[str, MapPoint] = {}
    for child in children:
        home = homes[setting_of[child.pk]]
        point = by_setting.get(str(home.pk))
        if point is None:
            easting, northing = _grid(home.postcode)
            point = by_setting[str(home.pk)] = MapPoint(
                key=str(home.pk),
                label=home.name,
                area=home.council.name,
                easting=easting,
                northing=northing,
            )
        point.add_child(child, missing_now=bool(child.missing_kind))
        point.children += 1
        point.missing_now += 1 if child.missing_kind else 0
    return _sorted(by_setting.values())


def found_points(*, user: User, since: dt.datetime) -> list[MapPoint]:
    """Where the children of the episodes the user's organisation sees were found, since
    ``since``: one point per 1 km square (its middle), with its episodes and children, the
    postcode districts and the council the places lie in."""
    episodes = (
        episodes_visible_to(user=user)
        .filter(
            returned_at__gte=since,
            child__in=children_visible_to(user, action=Action.VIEW_EPISODE).values("pk"),
        )
        .exclude(found_postcode="")
        .select_related("child")
        .order_by()
    )
    squares: dict[tuple[int, int], MapPoint] = {}
    outward: dict[tuple[int, int], set[str]] = {}
    district_codes: dict[tuple[int, int], set[str]] = {}
    side = FOUND_SQUARE_METRES
    for episode in episodes:
        try:
            entry = postcodes.lookup(episode.found_postcode)
        except ValidationError:
            continue
        if entry.easting is None or entry.northing is None:
            continue
        square = (entry.easting // side, entry.northing // side)
        point = squares.get(square)
        if point is None:
            point = squares[square] = MapPoint(
                key=f"{square[0]}-{square[1]}",
                label="",
                area="",
                easting=square[0] * side + side // 2,
                northing=square[1] * side + side // 2,
            )
        outward.setdefault(square, set()).add(entry.postcode.split()[0])
        if entry.district_code:
            district_codes.setdefault(square, set()).add(entry.district_code)
        point.episodes += 1
        point.add_child(episode.child)
    # The council of each district, as the postcode lookup derives it (one query).
    wanted = {code for codes in district_codes.values() for code in codes}
    council_of = dict(District.objects.filter(code__in=wanted).values_list("code", "council__name"))
    for square, point in squares.items():
        point.children = len(point.child_ids)
        point.label = f"{', '.join(sorted(outward[square]))} (1 km square {_grid_reference(point)})"
        councils = sorted(
            {council_of[c] for c in district_codes.get(square, ()) if c in council_of}
        )
        point.area = ", ".join(councils) or "Outside England and Wales"
    return _sorted(squares.values())


def _grid_reference(point: MapPoint) -> str:
    """The square's OS grid reference to 1 km, like SJ 89 90: the two letters of its 100 km
    square (I is not used), then the kilometres east and north within it."""
    assert point.easting is not None and point.northing is not None
    e, n = point.easting, point.northing
    e100, n100 = e // 100_000, n // 100_000
    first = (19 - n100) - (19 - n100) % 5 + (e100 + 10) // 5
    second = (19 - n100) * 5 % 25 + e100 % 5
    letters = "".join(chr(ord("A") + i + (1 if i > 7 else 0)) for i in (first, second))
    return f"{letters} {e % 100_000 // 1000:02d} {n % 100_000 // 1000:02d}"


# --- The pages ---------------------------------------------------------------------------


def tile_service() -> dict[str, str] | None:
    """The production tile service (``SIGHTLINE_MAP_TILE_URL`` and its attribution), or None:
    the offline base map only."""
    url = getattr(settings, "SIGHTLINE_MAP_TILE_URL", "")
    if not url:
        return None
    return {"url": url, "attribution": getattr(settings, "SIGHTLINE_MAP_TILE_ATTRIBUTION", "")}


def _map_config(points: list[MapPoint], kind: MapKind) -> dict[str, Any]:
    """What ``sightline/map.js`` draws: the base map image and where it lies on the grid,
    the tile service if any, and the points."""
    west, south = basemap.WEST, basemap.SOUTH
    east, north = basemap.EAST, basemap.NORTH
    return {
        "kind": kind.key,
        "base": {
            "image": static(f"geography/{basemap.IMAGE_NAME}"),
            "index": static(f"geography/{basemap.INDEX_NAME}"),
            "bounds": [[south, west], [north, east]],
            "attribution": basemap.ATTRIBUTION,
        },
        "tiles": tile_service(),
        "points": [p.as_json() for p in points],
    }


def _table(kind: MapKind, points: list[MapPoint]) -> GovUKTable:
    if kind.key == "found":
        head = [
            table_head("Where (postcode districts)"),
            table_head("Council area"),
            table_head("Episodes", numeric=True),
            table_head("Children found there"),
        ]
        rows = [
            [
                table_cell(p.label),
                table_cell(p.area),
                table_cell(p.episodes, numeric=True),
                table_cell(html=p.names_html()),
            ]
            for p in points
        ]
    else:
        head = [table_head("Home"), table_head("Council area"), table_head("Children", True)]
        if kind.key == "force":
            head.append(table_head("Missing or away now", numeric=True))
        head.append(table_head("Who lives there"))
        rows = [
            [
                table_cell(p.label + ("" if p.easting is not None else " (not on the map)")),
                table_cell(p.area),
                table_cell(p.children, numeric=True),
                *([table_cell(p.missing_now, numeric=True)] if kind.key == "force" else []),
                table_cell(html=p.names_html()),
            ]
            for p in points
        ]
    return GovUKTable(
        caption="The places on the map",
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=rows,
        classes="app-map-table",
    )


def _map_page(
    request: HttpRequest, kind: MapKind, points: list[MapPoint], extra: dict[str, Any]
) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    children_shown(request, (c for p in points for c in p.child_ids))
    return page(
        request,
        "web/map.html",
        {
            "organisation": user.organisation,
            "kind": kind,
            "maps": [
                {"title": m.title, "href": reverse(f"map_{m.key}"), "current": m == kind}
                for m in maps_for(user=user)
            ],
            "points": points,
            "drawn": sum(1 for p in points if p.easting is not None),
            "table": _table(kind, points) if points else None,
            "config": _map_config(points, kind),
            **extra,
        },
    )


def _kind_for(request: HttpRequest, key: str) -> MapKind:
    """The map, if the user's organisation has it; "Page not found" otherwise."""
    kind = MAPS[key]
    if kind not in maps_for(user=request.user):  # type: ignore[arg-type]
        raise Http404
    return kind


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Map of where the council's children are placed")
@login_required
def map_placements(request: HttpRequest) -> HttpResponse:
    kind = _kind_for(request, "placements")
    on = current_time().astimezone(LONDON).date()
    points = home_points(user=request.user, key="placed", on=on)  # type: ignore[arg-type]
    return _map_page(request, kind, points, {})


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Map of children's homes in the force area")
@login_required
def map_force(request: HttpRequest) -> HttpResponse:
    kind = _kind_for(request, "force")
    on = current_time().astimezone(LONDON).date()
    points = home_points(user=request.user, key="force", on=on)  # type: ignore[arg-type]
    return _map_page(request, kind, points, {})


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Map of where missing children were found")
@login_required
def map_found(request: HttpRequest) -> HttpResponse:
    kind = _kind_for(request, "found")
    period = request.GET.get("days", DEFAULT_FOUND_PERIOD)
    if period not in FOUND_PERIODS:
        period = DEFAULT_FOUND_PERIOD
    since = current_time() - dt.timedelta(days=int(period))
    points = found_points(user=request.user, since=since)  # type: ignore[arg-type]
    periods = [
        {"label": label, "url": f"?days={days}", "current": days == period}
        for days, label in FOUND_PERIODS.items()
    ]
    return _map_page(request, kind, points, {"periods": periods, "period": FOUND_PERIODS[period]})
