"""Pages every user meets: sign in and out, the home page, and the error pages.

They sit in ``web``, on top of every domain, because the home page lists children with their
placements and every page declares its access rule (ADR 7). Every view declares its rule with
``declare``; a test walks the URL configuration and fails on a view without one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html
from govuk_frontend_django.components.service_navigation import ServiceNavigationNavigation
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import POLICY, Action, Rule, declare
from sightline.audit.lists import children_shown, lists_children
from sightline.core import views as core_views
from sightline.core.registry import home_panels
from sightline.core.views import (
    error_summary,
    layout,
    long_date,
    miles,
    page,
    table_cell,
    table_head,
)
from sightline.organisations.models import OrganisationKind, User
from sightline.web import selectors
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


# --- Tables ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildrenTable:
    caption: str
    rows: list[ChildRow]
    table: GovUKTable | None
    empty: str


def children_table(*, caption: str, rows: list[ChildRow], empty: str) -> ChildrenTable:
    """A list of children as a GOV.UK table; ``empty`` is what to say when there are none."""
    if not rows:
        return ChildrenTable(caption=caption, rows=rows, table=None, empty=empty)
    head = [
        table_head("Name"),
        table_head("903 CHILD id"),
        table_head("Age", numeric=True),
        table_head("Current setting"),
        table_head("Host council"),
        table_head("Distance from home (miles)", numeric=True),
        table_head("Placing council"),
        table_head("Start date"),
    ]
    body = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("child_detail", args=[row.child_id]),
                    row.name,
                )
            ),
            table_cell(row.child_ref),
            table_cell(row.age, numeric=True),
            table_cell(row.setting or "No current placement"),
            table_cell(row.host_council or ""),
            table_cell(miles(row.distance_miles) if row.setting else "", numeric=True),
            table_cell(row.placing_council),
            table_cell(long_date(row.start_date)),
        ]
        for row in rows
    ]
    table = GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=body,
        classes="app-table--compact",
    )
    return ChildrenTable(caption=caption, rows=rows, table=table, empty=empty)


# --- Home --------------------------------------------------------------------------------


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Home page: the children the organisation is involved with")
@login_required
def home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    org = user.organisation
    # A role that may see no child (an analyst, say) gets no lists rather than empty ones.
    kind = org.kind if org and POLICY[Action.VIEW].get(user.role) else None
    tables = []
    if kind == OrganisationKind.COUNCIL:
        tables = [
            children_table(
                caption="Children we placed",
                rows=selectors.children_placed_by_my_council(user=user),
                empty="Your council has no children on Sightline yet.",
            ),
            children_table(
                caption="Children placed in our area by other councils",
                rows=selectors.children_placed_in_my_area(user=user),
                empty="No other council has a child placed in your area at the moment.",
            ),
        ]
    elif kind == OrganisationKind.POLICE:
        tables = [
            children_table(
                caption="Children placed in our force area",
                rows=selectors.children_in_my_force_area(user=user),
                empty="No child in care is placed in your force area at the moment.",
            )
        ]
    elif kind == OrganisationKind.PROVIDER:
        tables = [
            children_table(
                caption="Children living here",
                rows=selectors.children_living_with_my_provider(user=user),
                empty="No child is living in your settings at the moment.",
            )
        ]
    for shown in tables:
        children_shown(request, (row.child_id for row in shown.rows))
    return page(
        request,
        "web/home.html",
        {
            "tables": tables,
            "organisation": org,
            "panels": [panel.render(request, user) for panel in home_panels()],
        },
    )


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
