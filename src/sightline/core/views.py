"""The page layout and the GOV.UK helpers every page uses, and the error pages.

``core`` imports no other Sightline package: the service navigation is what the apps
registered in ``sightline.core.registry`` (see ADR 7). The pages themselves (home, sign-in,
the child record) live in ``sightline.web``, which also declares these error pages' access
rule when it routes them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.forms import BoundField
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.pagination import GovUKPagination
from govuk_frontend_django.components.service_navigation import (
    GovUKServiceNavigation,
    ServiceNavigationSlots,
)
from govuk_frontend_django.components.table import TableHead, TableRows
from govuk_frontend_django.components.tag import GovUKTag

from sightline.core.calendar import LONDON
from sightline.core.registry import navigation_sources, page_banners

# --- Layout shared by every page ---------------------------------------------------------


def layout(request: HttpRequest) -> dict[str, Any]:
    """The service navigation: where the user can go, who they are, and signing out."""
    user = getattr(request, "user", None)
    # The component's macro wants plain dicts (it drops keys whose value is None).
    items: list[Any] = []
    slots: Any = None
    banners = ""
    if user is not None and user.is_authenticated and not is_verified(user):
        # Until the second factor is entered: only who is signed in, and signing out.
        account = render_to_string(
            "includes/account_navigation.html", {"user": user}, request=request
        )
        slots = ServiceNavigationSlots(navigationEnd=account).__dict__
    elif user is not None and user.is_authenticated:
        for source in navigation_sources():
            items += source.items(request, user)
        # Registered HTML, each escaped by the app that rendered it (ADR 7).
        banners = mark_safe("".join(b.render(request, user) for b in page_banners()))  # noqa: S308
        account = render_to_string(
            "includes/account_navigation.html", {"user": user}, request=request
        )
        slots = ServiceNavigationSlots(navigationEnd=account).__dict__
    navigation = GovUKServiceNavigation(
        serviceName=settings.SERVICE_NAME,
        serviceUrl=reverse("home"),
        navigation=items,
        slots=slots,
        navigationLabel="Menu",
    )
    return {"service_navigation": navigation, "page_banners": banners}


def is_verified(user: Any) -> bool:
    """Whether the signed-in user has entered a second factor in this session (django-otp's
    check). The layout needs it, and ``accounts`` (above ``core``) uses this one."""
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render a page inside the Sightline layout."""
    return render(request, template, {**layout(request), **(context or {})}, status=status)


# --- Forms -------------------------------------------------------------------------------


def _input_id(bound: BoundField, message: str, radios_from_zero: Collection[str]) -> str:
    """The id of the input an error summary link should move focus to."""
    widget = bound.field.widget
    if isinstance(widget, forms.RadioSelect):
        return f"{bound.auto_id}_{0 if bound.name in radios_from_zero else 1}"
    if isinstance(widget, forms.MultiWidget):
        parts = getattr(bound.field, "fields", ())
        for index, part in enumerate(parts):
            if message in getattr(part.widget, "errors", ()):
                return f"{bound.auto_id}_{index}"
        return f"{bound.auto_id}_0"
    return str(bound.auto_id)


def error_summary(
    form: forms.Form, *, radios_from_zero: Collection[str] = ()
) -> GovUKErrorSummary | None:
    """The GOV.UK error summary for a form: every error, linked to the input to fix."""
    if not form.is_bound or not form.errors:
        return None
    visible = form.visible_fields()
    items: list[Any] = []
    if form.non_field_errors():
        first = _input_id(visible[0], "", radios_from_zero) if visible else ""
        items += [{"text": str(m), "href": f"#{first}"} for m in form.non_field_errors()]
    for bound in visible:
        for message in bound.errors:
            href = f"#{_input_id(bound, str(message), radios_from_zero)}"
            items.append({"text": str(message), "href": href})
    return GovUKErrorSummary(titleText="There is a problem", errorList=items)


# --- Tables ------------------------------------------------------------------------------


def long_date(value: dt.date | None, empty: str = "") -> str:
    """GOV.UK style dates: 6 January 2025."""
    return date_format(value, "j F Y") if value else empty


def miles(value: Decimal | None) -> str:
    return f"{value:.1f}" if value is not None else "Not known"


def table_head(text: str, numeric: bool = False) -> Any:
    return TableHead(text=text, format="numeric" if numeric else None).__dict__


def table_cell(text: Any = None, *, html: str | None = None, numeric: bool = False) -> Any:
    return TableRows(
        text=None if html else str(text), html=html, format="numeric" if numeric else None
    ).__dict__


def scrolling(table: Any, label: str | None = None) -> Any:
    """A wide GOV.UK table in its own focusable region that scrolls sideways on a phone, so
    the page does not (WCAG 2.2 1.4.10 Reflow); the region is named by the table's caption
    unless ``label`` names it. ``None`` stays ``None``."""
    if table is None:
        return None
    return format_html(
        '<div class="app-table-scroll" tabindex="0" role="region" aria-label="{}">{}</div>',
        label or getattr(table, "caption", None) or "Table",
        table,
    )


# --- CSV downloads -----------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """A CSV cell that no spreadsheet reads as a formula (CSV injection): text starting with
    ``= + - @``, a tab or a carriage return is prefixed with an apostrophe."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        text = "'" + text
    return text


# --- Pagination --------------------------------------------------------------------------


def page_numbers(current: int, last: int) -> list[int | None]:
    """The page links GOV.UK pagination shows: the first, the last, the current page and
    those either side of it; ``None`` where pages are left out (an ellipsis)."""
    shown = sorted({1, last, *range(max(1, current - 1), min(last, current + 1) + 1)})
    numbers: list[int | None] = []
    for number in shown:
        if numbers and number - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(number)
    return numbers


def pagination(
    request: HttpRequest, *, number: int, num_pages: int, param: str, anchor: str, label: str
) -> GovUKPagination | None:
    """The GOV.UK pagination component for one list of a page: each link keeps the rest of
    the query string (the filters, another list's page) and moves ``param``."""
    if num_pages <= 1:
        return None

    def href(to: int) -> str:
        query = request.GET.copy()
        query[param] = str(to)
        return f"?{query.urlencode()}#{anchor}"

    items: list[Any] = [
        {"ellipsis": True}
        if n is None
        else {"number": str(n), "href": href(n), "current": n == number}
        for n in page_numbers(number, num_pages)
    ]
    return GovUKPagination(
        previous={"href": href(number - 1)} if number > 1 else None,  # type: ignore[arg-type]
        next={"href": href(number + 1)} if number < num_pages else None,  # type: ignore[arg-type]
        items=items,
        landmarkLabel=label,
    )


# --- Error pages -------------------------------------------------------------------------
# Routed (and their access rule declared) by ``sightline.web.views``; other views call
# ``page_not_found`` to say "not found or not allowed".


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one "Page not found": for a missing page and for a record the user may not see."""
    return page(request, "404.html", status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return page(request, "403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the error may have come from the database the layout reads.
    return HttpResponseServerError(loader.get_template("500.html").render())


# --- Dates, times and tags as GOV.UK pages show them ----------------------------------------


@functools.lru_cache(maxsize=512)
def tag(text: str, classes: str | None = None) -> str:
    """A GOV.UK tag. Pages show a few kinds of tag many times (a status on every row), so
    each is rendered once per process. Marked safe (the component escaped ``text``), so that
    ``format_html`` places it as HTML rather than escaping it again."""
    return mark_safe(str(GovUKTag(text=text, classes=classes).render()).strip())  # noqa: S308


def when(at: dt.datetime | None, empty: str = "") -> str:
    """GOV.UK style: 6 January 2025 at 2:05pm (or midday, or midnight), in London time."""
    if at is None:
        return empty
    local = at.astimezone(LONDON)
    if local.hour == 12 and local.minute == 0:
        time = "midday"
    elif local.hour == 0 and local.minute == 0:
        time = "midnight"
    else:
        time = date_format(local, "g:iA").lower().replace(":00", "")
    return f"{date_format(local, 'j F Y')} at {time}"


def deadline(at: dt.datetime) -> str:
    """A deadline as people say it: "Before 3 December 2026" for the start of a day (reg 13(4):
    notice before the placement starts), "By the end of 7 January 2026" for its last second."""
    local = at.astimezone(LONDON)
    if local.time() == dt.time.min:
        return f"Before {date_format(local, 'j F Y')}"
    if local.time() == dt.time(23, 59, 59):
        return f"By the end of {date_format(local, 'j F Y')}"
    return when(at)


def on_day(at: dt.datetime | dt.date | None, empty: str = "") -> str:
    if at is None:
        return empty
    day = at.astimezone(LONDON).date() if isinstance(at, dt.datetime) else at
    return date_format(day, "j F Y")
