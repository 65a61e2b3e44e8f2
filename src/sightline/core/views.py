"""Pages every user meets: sign in and out, the home page, and the error pages.

Every view declares its access rule with ``declare``; a test walks the URL configuration
and fails on a view without one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Field, Layout, Submit
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError as DjangoValidationError
from django.forms import BoundField
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.service_navigation import (
    GovUKServiceNavigation,
    ServiceNavigationNavigation,
    ServiceNavigationSlots,
)
from govuk_frontend_django.components.table import GovUKTable, TableHead, TableRows

from sightline.access.breakglass import break_glass_reviewable_by, can_review
from sightline.access.models import AccessGrant
from sightline.access.policy import POLICY, Action, Rule, declare
from sightline.accounts.middleware import is_verified
from sightline.children import selectors as child_selectors
from sightline.children.selectors import ChildRow
from sightline.missing.selectors import (
    episodes_open_for,
    interviews_for_service,
    tasks_open_for,
)
from sightline.notifications.selectors import notices_received
from sightline.organisations.models import OrganisationKind, User
from sightline.placements.compliance import has_compliance_view
from sightline.placements.selectors import user_can_record_placement

# --- Layout shared by every page ---------------------------------------------------------


def layout(request: HttpRequest) -> dict[str, Any]:
    """The service navigation: where the user can go, who they are, and signing out."""
    user = getattr(request, "user", None)
    # The component's macro wants plain dicts (it drops keys whose value is None).
    items: list[Any] = []
    slots: Any = None
    if user is not None and user.is_authenticated and not is_verified(user):
        # Until the second factor is entered: only who is signed in, and signing out.
        account = render_to_string(
            "includes/account_navigation.html", {"user": user}, request=request
        )
        slots = ServiceNavigationSlots(navigationEnd=account).__dict__
    elif user is not None and user.is_authenticated:
        home = reverse("home")
        items.append(
            ServiceNavigationNavigation(
                text="Children", href=home, current=request.path == home
            ).__dict__
        )
        if user_can_record_placement(user=user):
            new = reverse("placement_new")
            items.append(
                ServiceNavigationNavigation(
                    text="Record a placement", href=new, current=request.path == new
                ).__dict__
            )
        items += _missing_navigation(request, user)
        items += _notice_navigation(request, user)
        items += _emergency_access_navigation(request, user)
        items += _evidence_navigation(request, user)
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
    return {"service_navigation": navigation}


# Organisations that receive missing alerts or have children missing from their homes.
MISSING_NOW_KINDS = (OrganisationKind.COUNCIL, OrganisationKind.POLICE, OrganisationKind.PROVIDER)


def _missing_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Missing now, with how many children are missing or away; return home interviews for
    councils and for any organisation that holds them."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    items = []
    if org.kind in MISSING_NOW_KINDS:
        missing = reverse("missing_now")
        count = episodes_open_for(user=user).count()
        label = (
            format_html(
                'Missing now <span class="app-count">{}<span class="govuk-visually-hidden"> '
                "missing or away</span></span>",
                count,
            )
            if count
            else "Missing now"
        )
        items.append(
            ServiceNavigationNavigation(
                html=label, href=missing, current=request.path == missing
            ).__dict__
        )
    tasks = tasks_open_for(user=user).count()
    if org.kind == OrganisationKind.COUNCIL or tasks:
        href = reverse("task_list")
        items.append(
            ServiceNavigationNavigation(
                html=format_html(
                    'Tasks <span class="app-count">{}<span class="govuk-visually-hidden"> '
                    "open</span></span>",
                    tasks,
                )
                if tasks
                else "Tasks",
                href=href,
                current=request.path.startswith(href),
            ).__dict__
        )
    if org.kind == OrganisationKind.COUNCIL or interviews_for_service(user=user).exists():
        interviews = reverse("interview_list")
        items.append(
            ServiceNavigationNavigation(
                text="Interviews", href=interviews, current=request.path == interviews
            ).__dict__
        )
    return items


def _emergency_access_navigation(request: HttpRequest, user: User) -> list[Any]:
    """For senior officers with uses of emergency access to review: the review queue, with
    how many wait for a decision."""
    if not can_review(user):
        return []
    uses = AccessGrant.objects.filter(
        pk__in=break_glass_reviewable_by(user).values("pk"), review__isnull=True
    ).count()
    if not uses:
        return []
    href = reverse("emergency_access_queue")
    return [
        ServiceNavigationNavigation(
            html=format_html(
                'Emergency access <span class="app-count">{}<span class="govuk-visually-hidden">'
                " to review</span></span>",
                uses,
            ),
            href=href,
            current=request.path.startswith(href),
        ).__dict__
    ]


def _notice_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Inbox, with how many notices wait for acknowledgement, and Compliance."""
    org = user.organisation if user.is_active else None
    if org is None:
        return []
    inbox = reverse("notice_inbox")
    waiting = notices_received(organisation=org).filter(acknowledged_at__isnull=True).count()
    label = (
        format_html(
            'Inbox <span class="app-count">{}<span class="govuk-visually-hidden"> to '
            "acknowledge</span></span>",
            waiting,
        )
        if waiting
        else "Inbox"
    )
    items = [
        ServiceNavigationNavigation(
            html=label, href=inbox, current=request.path.startswith(inbox)
        ).__dict__
    ]
    if has_compliance_view(org):
        compliance = reverse("compliance")
        items.append(
            ServiceNavigationNavigation(
                text="Compliance", href=compliance, current=request.path == compliance
            ).__dict__
        )
    return items


def _evidence_navigation(request: HttpRequest, user: User) -> list[Any]:
    """Evidence (aggregate statistics), for analysts."""
    from sightline.organisations.models import Role

    if user.role != Role.ANALYST:
        return []
    href = reverse("evidence")
    return [
        ServiceNavigationNavigation(
            text="Evidence", href=href, current=request.path.startswith(href)
        ).__dict__
    ]


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
                rows=child_selectors.children_placed_by_my_council(user=user),
                empty="Your council has no children on Sightline yet.",
            ),
            children_table(
                caption="Children placed in our area by other councils",
                rows=child_selectors.children_placed_in_my_area(user=user),
                empty="No other council has a child placed in your area at the moment.",
            ),
        ]
    elif kind == OrganisationKind.POLICE:
        tables = [
            children_table(
                caption="Children placed in our force area",
                rows=child_selectors.children_in_my_force_area(user=user),
                empty="No child in care is placed in your force area at the moment.",
            )
        ]
    elif kind == OrganisationKind.PROVIDER:
        tables = [
            children_table(
                caption="Children living here",
                rows=child_selectors.children_living_with_my_provider(user=user),
                empty="No child is living in your settings at the moment.",
            )
        ]
    return page(
        request,
        "core/home.html",
        {
            "tables": tables,
            "organisation": org,
            "can_record_placement": user_can_record_placement(user=user),
        },
    )


# --- Error pages -------------------------------------------------------------------------


@declare(Rule.PUBLIC)
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The one "Page not found": for a missing page and for a record the user may not see."""
    return page(request, "404.html", status=404)


@declare(Rule.PUBLIC)
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return page(request, "403.html", status=403)


@declare(Rule.PUBLIC)
def server_error(request: HttpRequest) -> HttpResponse:
    # No request context: the error may have come from the database the layout reads.
    return HttpResponseServerError(loader.get_template("500.html").render())
