"""The child's chronology on the web: read it (filtered, a page at a time), add an entry,
correct one, and print it or download it as a PDF for a strategy meeting.

Every view declares its rule (``declare``): reading is ``VIEW_CHRONOLOGY`` and each page is
an audited read of the child (the look ``declare`` records); writing is
``ADD_CHRONOLOGY_ENTRY``. The views parse input, call one service or selector, and render.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache

from sightline.access.policy import POLICY, Action, ChildAccess, Rule, declare, involvements_of
from sightline.children.selectors import age_on
from sightline.chronology.access import EntryAccess
from sightline.chronology.forms import AudienceForm, ChronologyFilterForm, EntryForm
from sightline.chronology.models import ChronologyEntry
from sightline.chronology.selectors import (
    Row,
    chronology_agencies,
    chronology_audience_choices,
    chronology_filtered,
    chronology_kinds,
    chronology_rows,
)
from sightline.chronology.services import (
    chronology_entry_add,
    chronology_entry_correctable,
    chronology_entry_supersede,
    chronology_printed_record,
)
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.pdf import PdfUnavailable, pdf_from_html, print_styles
from sightline.core.timeutil import now, today
from sightline.core.views import error_summary, long_date, page, page_not_found, pagination, when
from sightline.missing.presenters import banner
from sightline.organisations.models import User

logger = logging.getLogger(__name__)

PER_PAGE = 25


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # behind login_required


def _page_param(request: HttpRequest) -> int:
    value = request.GET.get("page", "")
    return int(value) if value.isdigit() and 0 < len(value) < 7 else 1


def _filtered(request: HttpRequest, access: ChildAccess) -> tuple[list[Row], ChronologyFilterForm]:
    rows = chronology_rows(access=access, user=_user(request))
    form = ChronologyFilterForm(
        request.GET, agencies=chronology_agencies(rows), kinds=chronology_kinds()
    )
    return chronology_filtered(rows, form.chronology_filter()), form


def _can_add(user: User, access: ChildAccess) -> bool:
    return bool(
        POLICY[Action.ADD_CHRONOLOGY_ENTRY].get(user.role, set()) & involvements_of(user, access)
    )


# The filters a link to print the page the same way carries: fixed names, and values that
# are codes, ids or date parts only, so that no page reflects a link's free text (ADR 18).
FILTER_NAMES = frozenset(
    {"agency", "kind", "significance"}
    | {f"{name}-{part}" for name in ("since", "until") for part in ("day", "month", "year")}
)
_FILTER_VALUE = re.compile(r"[A-Za-z0-9_-]{1,40}")


def _filters(request: HttpRequest) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, values in request.GET.lists()
        if name in FILTER_NAMES
        for value in values
        if _FILTER_VALUE.fullmatch(value)
    ]


def _filters_query(request: HttpRequest) -> str:
    """The filters of the page, for the links to print it the same way."""
    return urlencode(_filters(request))


@declare(Rule.CHILD, action=Action.VIEW_CHRONOLOGY, purpose="Read the child's chronology")
@never_cache
@login_required
def chronology(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The chronology, newest first, 25 rows a page, filtered by the query string."""
    user = _user(request)
    rows, form = _filtered(request, access)
    found = Paginator(list(reversed(rows)), PER_PAGE).get_page(_page_param(request))
    number, pages = found.number, found.paginator.num_pages
    return page(
        request,
        "chronology/chronology.html",
        {
            "child": access.child,
            "rows": list(found.object_list),
            "count": found.paginator.count,
            "number": number,
            "num_pages": pages,
            "pagination": pagination(
                request,
                number=number,
                num_pages=pages,
                param="page",
                anchor="chronology",
                label="Chronology, pages",
            ),
            "filter_form": form,
            "error_summary": error_summary(form),
            "can_add": _can_add(user, access),
            "filters_query": _filters_query(request),
            "user_organisation_id": user.organisation_id,
        },
    )


def _show_error(form: EntryForm, exc: ValidationError) -> None:
    name = form.field_errors.get(exc.field or "", exc.field or "")
    visible = {bound.name for bound in form.visible_fields()}
    form.add_error(name if name in visible else None, exc.message)


def _summary(form: EntryForm) -> Any:
    summary = error_summary(form, radios_from_zero=form.conditional_radios)
    if summary is not None and form.language_warning:
        codes = {e.code for errors in form.errors.as_data().values() for e in errors}
        if codes == {"language"}:
            summary.titleText = "Check the wording before you save"
    return summary


def _entry_page(
    request: HttpRequest,
    access: ChildAccess,
    *,
    earlier: ChronologyEntry | None,
) -> HttpResponse:
    user = _user(request)
    child = access.child
    initial: dict[str, Any] = {}
    if earlier is not None:
        initial = {
            "entry_type": earlier.entry_type,
            "significance": earlier.significance,
            "text": earlier.text,
            "visibility": "named" if earlier.restricted else "everyone",
            "visible_to": [str(o.pk) for o in earlier.visible_to.all()],
        }
    form = EntryForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        audience=chronology_audience_choices(access=access, user=user),
        child_age=age_on(child.date_of_birth, today()),
        submit="Save the correction" if earlier else "Add the entry",
    )
    if request.method == "POST" and form.is_valid():
        arguments = {
            "actor": user,
            "entry_type": form.cleaned_data["entry_type"],
            "significance": form.cleaned_data["significance"],
            "occurred_at": form.occurred_at,
            "text": form.cleaned_data["text"],
            "restricted": form.restricted,
            "visible_to": form.named,
            # The form showed the suggestions and the writer confirmed (or there were none).
            "language_confirmed": True,
            "checked": access,
        }
        try:
            if earlier is not None:
                chronology_entry_supersede(entry=earlier, **arguments)
            else:
                chronology_entry_add(child=child, **arguments)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        except ValidationError as exc:
            _show_error(form, exc)
        else:
            messages.success(
                request,
                banner(
                    "Correction added" if earlier else "Entry added",
                    "Both entries stay in the chronology, linked."
                    if earlier
                    else "Every agency involved with the child can see it in the chronology"
                    + (" (its text only the organisations you named)." if form.restricted else "."),
                ),
            )
            return redirect("chronology", child_id=child.id)
    return page(
        request,
        "chronology/entry_form.html",
        {
            "form": form,
            "child": child,
            "earlier": earlier,
            "earlier_when": when(earlier.occurred_at) if earlier else "",
            "error_summary": _summary(form),
        },
    )


@declare(Rule.CHILD, action=Action.ADD_CHRONOLOGY_ENTRY, purpose="Add a chronology entry")
@login_required
def entry_new(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    return _entry_page(request, access, earlier=None)


@declare(
    Rule.CHILD,
    action=Action.ADD_CHRONOLOGY_ENTRY,
    kind="chronology_entry",
    purpose="Correct a chronology entry",
)
@login_required
def entry_supersede(request: HttpRequest, access: EntryAccess) -> HttpResponse:
    """Correct an entry: only its source agency, and only the latest correction. Anyone else
    gets "Page not found", as for an entry that does not exist."""
    entry = access.entry
    user = _user(request)
    if not chronology_entry_correctable(entry=entry, user=user):
        return page_not_found(request)
    return _entry_page(request, access, earlier=entry)


# --- Printing --------------------------------------------------------------------------------


def _print_context(request: HttpRequest, access: ChildAccess, rows: list[Row]) -> dict[str, Any]:
    return {
        "child": access.child,
        "rows": rows,
        "printed": when(now()),
        "date_of_birth": long_date(access.child.date_of_birth),
        "filters_query": _filters_query(request),
    }


def _audience(request: HttpRequest, access: ChildAccess, *, format: str, entries: int) -> Any:
    """The audience the query string names, recorded on the audit; or the form asking it,
    with its error."""
    form = AudienceForm(request.GET if "audience" in request.GET else None)
    if not form.is_valid():
        return None, form
    try:
        audience = chronology_printed_record(
            actor=_user(request),
            access=access,
            audience=form.cleaned_data["audience"],
            format=format,
            entries=entries,
        )
    except ValidationError as exc:
        form.add_error("audience", exc.message)
        return None, form
    return audience, form


@declare(Rule.CHILD, action=Action.VIEW_CHRONOLOGY, purpose="Print the child's chronology")
@never_cache
@login_required
def chronology_print(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """Asks whom the chronology is for, then shows it oldest first, ready to print (the
    print styles hide the service's header and footer)."""
    rows, _ = _filtered(request, access)
    audience, form = _audience(request, access, format="print", entries=len(rows))
    if audience is None:
        return page(
            request,
            "chronology/print_audience.html",
            {
                "child": access.child,
                "form": form,
                "error_summary": error_summary(form),
                "filters": _filters(request),
            },
        )
    context = _print_context(request, access, rows)
    context["audience"] = audience
    context["pdf_query"] = urlencode([*_filters(request), ("audience", audience)])
    response = page(request, "chronology/print.html", context)
    response["Cache-Control"] = "private, no-store"
    return response


@declare(
    Rule.CHILD, action=Action.VIEW_CHRONOLOGY, purpose="Download the child's chronology as a PDF"
)
@never_cache
@login_required
def chronology_pdf(request: HttpRequest, access: ChildAccess) -> HttpResponse:
    """The print page printed by headless Chromium (``core.pdf``) with its styles inline,
    for the audience the query string names (else back to the page that asks it)."""
    rows, _ = _filtered(request, access)
    audience, _form = _audience(request, access, format="pdf", entries=len(rows))
    if audience is None:
        query = _filters_query(request)
        return redirect(reverse("chronology_print", args=[access.child.id]) + f"?{query}")
    context = _print_context(request, access, rows)
    context.update({"audience": audience, "inline_styles": print_styles(), "for_pdf": True})
    html = page(request, "chronology/print.html", context).content.decode("utf-8")
    try:
        pdf = pdf_from_html(html)
    except PdfUnavailable:
        logger.exception("The chronology could not be printed to PDF")
        return page(request, "chronology/pdf_unavailable.html", {"child": access.child}, status=503)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="chronology-{access.child.child_ref}-{today():%Y-%m-%d}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
