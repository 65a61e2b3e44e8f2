"""Evidence dashboards: the inquiry's questions for an area and range of years, each table
with its chart and a CSV download. Every figure comes from the cached extract
(``sightline evidence extract``), never from the database per request."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import urlencode

from sightline.access.policy import Action, Rule, declare, may
from sightline.core.errors import ValidationError
from sightline.core.views import page
from sightline.evidence import access, areas, charts, frames, inquiry, present
from sightline.evidence.areas import Perspective
from sightline.evidence.frames import Extract
from sightline.evidence.questions import Query, collection_year_of
from sightline.organisations.models import User

TABS = {
    "q1": "Out-of-area share",
    "q2": "Rates and trends",
    "q3": "Distance",
    "q4": "Where the homes are",
    "q5": "Notices",
    "q6": "Return interviews",
    "q7": "After a placement starts",
}
EARLIEST_YEAR = 2000


@dataclass
class Filters:
    query: Query
    tab: str
    errors: list[dict[str, str]]

    def params(self, **changes: str) -> str:
        values = {
            "area": self.query.area.slug,
            "from": str(self.query.year_from),
            "to": str(self.query.year_to),
            "perspective": self.query.perspective.value,
            "tab": self.tab,
        }
        values.update(changes)
        return urlencode(values)


def _years(extract: Extract) -> tuple[int, int]:
    """The years the extract covers (from the first placement's year to the data's)."""
    last = collection_year_of(extract.as_of)
    starts = extract.spells["start"].drop_nulls()
    first = collection_year_of(starts.min()) if len(starts) else last  # type: ignore[arg-type]
    return max(min(first, last), EARLIEST_YEAR), last


def _int(raw: str | None, default: int) -> int | None:
    if raw in (None, ""):
        return default
    try:
        return int(str(raw).strip())
    except ValueError:
        return None


def _filters(request: HttpRequest, user: User, extract: Extract) -> Filters:
    """The filters from the query string, limited to what the user may see. Bad values fall
    back to the defaults with an error message naming the field."""
    errors: list[dict[str, str]] = []
    first, last = _years(extract)
    own = access.own_area(user, extract)
    area = access.default_area(user, extract)
    slug = request.GET.get("area")
    if slug and own is None:
        try:
            area = areas.from_slug(slug, extract)
        except ValidationError as exc:
            errors.append({"text": exc.message, "href": "#area"})
    year_to = _int(request.GET.get("to"), last)
    year_from = _int(request.GET.get("from"), max(first, last - 9))
    if year_from is None or not EARLIEST_YEAR <= year_from <= last:
        errors.append(
            {"text": f"Enter a first year from {EARLIEST_YEAR} to {last}", "href": "#from"}
        )
        year_from = max(first, last - 9)
    if year_to is None or not EARLIEST_YEAR <= year_to <= last:
        errors.append({"text": f"Enter a last year from {EARLIEST_YEAR} to {last}", "href": "#to"})
        year_to = last
    if year_from > year_to:
        errors.append(
            {"text": "The first year must be the same as or before the last year", "href": "#from"}
        )
        year_from = year_to
    try:
        perspective = Perspective(request.GET.get("perspective") or Perspective.HOST)
    except ValueError:
        perspective = Perspective.HOST
    tab = request.GET.get("tab") or "q1"
    if tab not in TABS:
        tab = "q1"
    return Filters(Query(area, year_from, year_to, perspective), tab, errors)


def _viewer(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not access.can_view(user):
        raise Http404
    return user


def _extract_or_none() -> Extract | None:
    try:
        return frames.load_cached()
    except ValidationError:
        return None


@declare(Rule.SIGNED_IN)
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _viewer(request)
    extract = _extract_or_none()
    if extract is None:
        return page(request, "evidence/no_extract.html")
    if access.own_area(user, extract) is None and not _is_analyst(user):
        raise Http404
    started = time.perf_counter()
    filters = _filters(request, user, extract)
    result = inquiry.answer(filters.query, extract, only=(filters.tab,))
    section = result.sections[0]
    tables = [
        {
            "table": t,
            "headings": [c.heading for c in t.columns],
            "rows": present.page_rows(t),
            "chart": charts.image(t),
            "csv_url": reverse("evidence_csv", args=[t.slug]) + "?" + filters.params(),
        }
        for t in section.tables
    ]
    context = {
        "filters": filters,
        "query": filters.query,
        "section": section,
        "tables": tables,
        "tabs": [
            {
                "slug": k,
                "label": v,
                "href": "?" + filters.params(tab=k),
                "current": k == filters.tab,
            }
            for k, v in TABS.items()
        ],
        "choices": areas.choices(extract) if access.own_area(user, extract) is None else None,
        "extract": extract,
        "years": list(range(_years(extract)[0], _years(extract)[1] + 1)),
        "suppression_note": present.NOTE,
        "seconds": time.perf_counter() - started,
    }
    return page(request, "evidence/dashboard.html", context)


def _is_analyst(user: User) -> bool:
    return may(user, Action.VIEW_EVIDENCE_ANY_AREA)


@declare(Rule.SIGNED_IN)
@login_required
def table_csv(request: HttpRequest, slug: str) -> HttpResponse:
    user = _viewer(request)
    extract = _extract_or_none()
    if extract is None:
        raise Http404
    if access.own_area(user, extract) is None and not _is_analyst(user):
        raise Http404
    filters = _filters(request, user, extract)
    section = slug.split("-")[0]
    if section not in TABS:
        raise Http404
    result = inquiry.answer(filters.query, extract, only=(section,))
    try:
        table = result.table(slug)
    except KeyError as exc:
        raise Http404 from exc
    q = filters.query
    name = f"{slug}-{q.area.slug.replace(':', '-')}-{q.year_from}-{q.year_to}.csv"
    response = HttpResponse(present.csv_text(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
