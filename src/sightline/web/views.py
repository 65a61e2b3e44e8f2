"""Pages every user meets: sign in and out, the home page, and the error pages.

They sit in ``web``, on top of every domain, because the home page lists children with their
placements and every page declares its access rule (ADR 7). Every view declares its rule with
``declare``; a test walks the URL configuration and fails on a view without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Rule, declare
from sightline.audit.lists import audit_reads, children_shown, lists_children
from sightline.core import views as core_views
from sightline.core.calendar import LONDON
from sightline.core.registry import home_panels
from sightline.core.timeutil import now as current_time
from sightline.core.views import error_summary, layout, page, pagination
from sightline.organisations.models import User
from sightline.web import maps, selectors, worklists
from sightline.web.selectors import ChildRow

# --- The service navigation's first item ------------------------------------------------


def children_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Children: the home page (registered first in ``apps.py``)."""
    home = reverse("home")
    return [
        ServiceNavigationNavigation(
            text="Children", href=home, current=request.path == home
        ).__dict__
    ]


# --- Signing in and out ------------------------------------------------------------------


class SignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account cannot sign in. Contact your Sightline administrator.",
    }

    def __init__(self, request: HttpRequest | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].error_messages["required"] = "Enter your password"
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"}
        )
        self.fields["username"].widget.attrs.pop("autofocus", None)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("username", field_width=20),
            Field.text("password", field_width=20),
            Submit("sign_in", "Sign in"),
        )

    def clean(self) -> dict[str, Any]:
        # A wrong username or password is one error, shown against the username so that the
        # error summary has a field to link to.
        try:
            return super().clean()
        except DjangoValidationError as exc:
            if getattr(exc, "code", None) in {"invalid_login", "inactive"}:
                self.add_error("username", exc)
                return self.cleaned_data
            raise


class SignInView(auth_views.LoginView):
    template_name = "registration/sign_in.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        return {**context, **layout(self.request), "error_summary": error_summary(context["form"])}


class SignOutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.success(
            request,
            format_html(
                '<p class="govuk-notification-banner__heading">{}</p>', "You have signed out."
            ),
        )
        return response


sign_in = declare(Rule.PUBLIC)(SignInView.as_view())
sign_out = declare(Rule.PUBLIC)(SignOutView.as_view())


# --- Home: the organisation's worklists ---------------------------------------------------


@dataclass(frozen=True)
class ChildrenTable:
    """The list shown: its caption, this page's rows, the table (None when the list is
    empty) and what to say when it is."""

    caption: str
    rows: list[ChildRow]
    table: GovUKTable | None
    empty: str


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Home page: the children the organisation is involved with")
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The organisation's lists of children, one at a time (``?list=``): search, filters,
    sort, pages of 25 and ``?format=csv`` for the whole filtered list (without names)."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    org = user.organisation
    available = selectors.worklists_for(user=user)
    context: dict[str, Any] = {
        "organisation": org,
        "maps": [
            {"title": m.title, "href": reverse(f"map_{m.key}")} for m in maps.maps_for(user=user)
        ],
        "panels": [panel.render(request, user) for panel in home_panels()],
        "tables": [],
    }
    if not available:
        return page(request, "web/home.html", context)
    chosen = next((w for w in available if w.key == request.GET.get("list")), available[0])
    now = current_time()
    on = now.astimezone(LONDON).date()
    children = selectors.worklist_children(user=user, key=chosen.key, on=on, at=now)
    filters = worklists.WorklistFilter(request.GET or None, queryset=children)
    if request.GET.get("format") == "csv":
        rows = selectors.worklist_rows(filters.qs, on=on)
        audit_reads(
            user=user,
            child_ids=[r.child_id for r in rows],
            action="export",
            purpose=f"Download {chosen.caption.lower()} (CSV)",
        )
        code = org.council_id or org.police_force_id or "organisation" if org else "none"
        return worklists.worklist_csv(
            rows, filename=f"sightline-{chosen.key}-{code}-{on:%Y-%m-%d}.csv"
        )
    paginator = Paginator(filters.qs, worklists.PER_PAGE)
    current = paginator.get_page(request.GET.get("page"))
    rows = selectors.worklist_rows(current.object_list, on=on)
    children_shown(request, (r.child_id for r in rows), page=current.number)
    table = (
        worklists.worklist_table(
            request, worklist=chosen, rows=rows, sort=filters.sort_key, now=now
        )
        if rows
        else None
    )
    empty = chosen.empty if not filters.active else "No child in this list matches your search."
    query = request.GET.copy()
    query.pop("page", None)
    query["format"] = "csv"
    context |= {
        "tables": [ChildrenTable(caption=chosen.caption, rows=rows, table=table, empty=empty)],
        "tabs": [
            worklists.WorklistTab(
                worklist=w, href=f"?{urlencode({'list': w.key})}", current=w == chosen
            )
            for w in available
        ]
        if len(available) > 1
        else [],
        "list_key": chosen.key,
        "filter_form": filters.form,
        "filters_active": filters.active,
        "count": paginator.count,
        "pagination": pagination(
            request,
            number=current.number,
            num_pages=paginator.num_pages,
            param="page",
            anchor="worklist",
            label=f"{chosen.caption}: pages",
        ),
        "csv_url": f"?{query.urlencode()}",
    }
    return page(request, "web/home.html", context)


# --- Error pages -------------------------------------------------------------------------


@declare(Rule.PUBLIC)
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one "Page not found": for a missing page and for a record the user may not see."""
    return core_views.page_not_found(request, exception)


@declare(Rule.PUBLIC)
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return core_views.permission_denied(request, exception)


@declare(Rule.PUBLIC)
def server_error(request: HttpRequest) -> HttpResponse:
    return core_views.server_error(request)
