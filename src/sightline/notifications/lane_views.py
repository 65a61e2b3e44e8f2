"""The urgent lane on the web: the banner on every page, the lane itself with bulk
acknowledgement, the organisation's urgent settings and each person's own alerts.

The banner's count comes with the inbox's, in the one query the navigation already made
(``navigation.waiting_for``); only when alerts wait does it read the oldest, on a partial
index (``selectors.urgent_oldest``). It shows no child's details: the count, and the oldest
alert's subject line and reference. The lane shows a child's name only where the access
policy lets the user read it (``notices_with_child_shown``) and is a list read on the audit.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from govuk_frontend_django.components.error_summary import GovUKErrorSummary
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Rule, declare, may
from sightline.audit.lists import children_shown, lists_children
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.core.views import (
    error_summary,
    is_verified,
    page,
    page_not_found,
    pagination,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.notifications.forms import AlertPreferencesForm, UrgentSettingsForm
from sightline.notifications.models import Channel, Notice, NoticePolicy
from sightline.notifications.navigation import waiting_for
from sightline.notifications.selectors import (
    notices_with_child_shown,
    urgent_oldest,
    urgent_waiting,
)
from sightline.notifications.services import (
    DEFAULT_URGENT_ACK_MINUTES,
    notices_acknowledge,
    urgent_settings_set,
)
from sightline.notifications.subscriptions import (
    alert_preferences_of,
    alert_preferences_set,
    alert_subscriptions_of,
)
from sightline.notifications.urgency import kind_labels
from sightline.organisations.models import Organisation, User

PER_PAGE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # login_required


def _safe_next(request: HttpRequest, value: str | None) -> str:
    """Where to go back to: a path on this site only, else the lane."""
    if (
        value
        and value.startswith("/")
        and not value.startswith("//")
        and url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return value
    return reverse("urgent_lane")


# --- The banner on every page ------------------------------------------------------------


def urgent_banner(request: HttpRequest, user: Any) -> str:
    """The count of the organisation's unacknowledged urgent alerts, the oldest of them with
    an "Acknowledge" button that comes back to this page, and a link to the lane."""
    if not user.is_active or user.organisation_id is None or not is_verified(user):
        return ""
    count = waiting_for(request, user.organisation).urgent
    oldest = urgent_oldest(organisation=user.organisation) if count else None
    if oldest is None:
        return ""
    return render_to_string(
        "notifications/urgent_banner.html",
        {
            "count": count,
            "oldest": oldest,
            "received": when(oldest.created_at),
            "can_acknowledge": may(user, Action.ACKNOWLEDGE_NOTICE),
            "next": request.get_full_path(),
            "on_lane": request.path == reverse("urgent_lane"),
        },
        request=request,
    )


# --- The lane -----------------------------------------------------------------------------


def _checkbox(notice: Notice) -> str:
    return format_html(
        '<div class="govuk-checkboxes govuk-checkboxes--small" data-module="govuk-checkboxes">'
        '<div class="govuk-checkboxes__item">'
        '<input class="govuk-checkboxes__input" id="notice-{}" name="notice" type="checkbox" '
        'value="{}"><label class="govuk-label govuk-checkboxes__label" for="notice-{}">'
        '<span class="govuk-visually-hidden">Select {}</span></label></div></div>',
        notice.id,
        notice.id,
        notice.id,
        notice.reference,
    )


def _lane_table(notices: list[Notice], *, now: dt.datetime) -> GovUKTable:
    rows = []
    for n in notices:
        about = n.child_name if getattr(n, "child_shown", False) else n.subject_line
        due = n.urgent_ack_due_at
        late = due is not None and due < now
        rows.append(
            [
                table_cell(html=_checkbox(n)),
                table_cell(
                    html=format_html(
                        '<a class="govuk-link" href="{}">{}</a>',
                        reverse("notice_detail", args=[n.id]),
                        n.reference,
                    )
                ),
                table_cell(n.kind_label),
                table_cell(about),
                table_cell(when(n.created_at)),
                table_cell(
                    html=format_html(
                        "{} {}",
                        when(due) if due else "",
                        tag("Late", "govuk-tag--red") if late else "",
                    )
                ),
            ]
        )
    return GovUKTable(
        caption="Urgent alerts to acknowledge, oldest first",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Select"),
            table_head("Reference"),
            table_head("Alert"),
            table_head("Child or alert"),
            table_head("Received"),
            table_head("Acknowledge by"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


def _lane_page(
    request: HttpRequest,
    *,
    errors: GovUKErrorSummary | None = None,
    error: str = "",
) -> HttpResponse:
    user = _user(request)
    org = user.organisation if user.is_active else None
    now = current_time()
    context: dict[str, Any] = {
        "organisation": org,
        "error_summary": errors,
        "error": error,
        "can_acknowledge": may(user, Action.ACKNOWLEDGE_NOTICE),
        "can_configure": may(user, Action.CONFIGURE_NOTICE_SETTINGS),
    }
    if org is not None:
        waiting = notices_with_child_shown(
            urgent_waiting(organisation=org).select_related("recipient"), user=user
        )
        page_obj = Paginator(waiting, PER_PAGE).get_page(request.GET.get("page"))
        shown = list(page_obj.object_list)
        children_shown(
            request,
            (n.child_id for n in shown if getattr(n, "child_shown", False)),
            page=page_obj.number,
        )
        context.update(
            count=page_obj.paginator.count,
            table=_lane_table(shown, now=now) if shown else None,
            pages=pagination(
                request,
                number=page_obj.number,
                num_pages=page_obj.paginator.num_pages,
                param="page",
                anchor="urgent-alerts",
                label="Urgent alerts, pages",
            ),
        )
    # 200 with an error too: the list read is audited on a 200 only (``lists_children``).
    return page(request, "notifications/urgent_lane.html", context)


LANE_PURPOSE = "Urgent alerts to the organisation"
# The lane shown again with an error after a refused acknowledgement: a list read too.
_lane_with_error = lists_children(purpose=LANE_PURPOSE)(_lane_page)


@declare(Rule.SIGNED_IN)
@lists_children(purpose=LANE_PURPOSE)
@login_required
def urgent_lane(request: HttpRequest) -> HttpResponse:
    """Missing, away and child safe alerts to the user's organisation not yet acknowledged,
    oldest first, to acknowledge several at once."""
    return _lane_page(request)


@declare(Rule.SIGNED_IN)
@login_required
@require_POST
def urgent_acknowledge(request: HttpRequest) -> HttpResponse:
    """Acknowledge the alerts ticked on the lane, or the one the banner offered; then back to
    the page the user was on (on this site only)."""
    user = _user(request)
    back = _safe_next(request, request.POST.get("next"))
    try:
        notices = notices_acknowledge(notice_ids=request.POST.getlist("notice"), actor=user)
    except ValidationError as exc:
        summary = GovUKErrorSummary(
            titleText="There is a problem",
            errorList=[{"text": exc.message, "href": "#urgent-alerts"}],  # type: ignore[list-item]
        )
        return _lane_with_error(request, errors=summary, error=exc.message)
    references = ", ".join(n.reference for n in notices)
    messages.success(
        request,
        format_html(
            '<h3 class="govuk-notification-banner__heading">{} urgent alert{} acknowledged</h3>'
            '<p class="govuk-body">{}</p>',
            len(notices),
            "" if len(notices) == 1 else "s",
            references,
        ),
    )
    return redirect(back)


# --- The organisation's urgent settings ----------------------------------------------------


def _people(org: Organisation) -> list[tuple[str, str]]:
    return [
        (str(p.pk), p.get_full_name() or p.username)
        for p in User.objects.filter(organisation=org, is_active=True).order_by(
            "last_name", "first_name", "username"
        )
    ]


@declare(Rule.SIGNED_IN)
@login_required
def notice_settings(request: HttpRequest) -> HttpResponse:
    """The urgent lane's target and the named duty contact, for those who may set them;
    anyone else gets "Page not found"."""
    user = _user(request)
    org = user.organisation if user.is_active else None
    if org is None or not may(user, Action.CONFIGURE_NOTICE_SETTINGS):
        return page_not_found(request)
    policy = NoticePolicy.objects.filter(organisation=org).first()
    initial = {
        "ack_minutes": policy.urgent_ack_minutes if policy else DEFAULT_URGENT_ACK_MINUTES,
        "duty_contact": str(policy.duty_contact_id) if policy and policy.duty_contact_id else "",
        "duty_phone": policy.duty_phone if policy else "",
    }
    form = UrgentSettingsForm(
        request.POST if request.method == "POST" else None, initial=initial, people=_people(org)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        contact = (
            User.objects.filter(pk=data["duty_contact"]).first() if data["duty_contact"] else None
        )
        try:
            urgent_settings_set(
                organisation=org,
                ack_minutes=data["ack_minutes"],
                duty_contact=contact,
                duty_phone=data["duty_phone"],
                actor=user,
            )
        except ValidationError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            messages.success(
                request,
                format_html(
                    '<h3 class="govuk-notification-banner__heading">{}</h3>'
                    '<p class="govuk-body">{}</p>',
                    "Settings saved",
                    "They apply to urgent alerts from now on.",
                ),
            )
            return redirect("notice_settings")
    return page(
        request,
        "notifications/notice_settings.html",
        {"organisation": org, "form": form, "error_summary": error_summary(form)},
    )


# --- Your alerts ----------------------------------------------------------------------------


@declare(Rule.SIGNED_IN)
@login_required
def your_alerts(request: HttpRequest) -> HttpResponse:
    """Which alerts reach the signed-in person, how and when."""
    user = _user(request)
    if not user.is_active or user.organisation_id is None:
        return page_not_found(request)
    labels = kind_labels()
    preferences = alert_preferences_of(user=user)
    have = alert_subscriptions_of(user=user)
    initial = {
        "email_kinds": [k for k, c in have if c == Channel.EMAIL],
        "sms_kinds": [k for k, c in have if c == Channel.SMS],
        "mobile": preferences.mobile if preferences else "",
        "days": list(preferences.days) if preferences else [str(d) for d in range(7)],
        "starts_at": f"{preferences.starts_at:%H:%M}"
        if preferences and preferences.starts_at
        else "",
        "ends_at": f"{preferences.ends_at:%H:%M}" if preferences and preferences.ends_at else "",
    }
    form = AlertPreferencesForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        kinds=list(labels.items()),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        wanted = [(k, str(Channel.EMAIL)) for k in data["email_kinds"]] + [
            (k, str(Channel.SMS)) for k in data["sms_kinds"]
        ]
        try:
            alert_preferences_set(
                actor=user,
                subscriptions=wanted,
                mobile=data["mobile"],
                days=data["days"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
        except ValidationError as exc:
            field = {"kinds": "email_kinds", "channels": "email_kinds"}.get(
                exc.field or "", exc.field
            )
            form.add_error(field if field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                format_html(
                    '<h3 class="govuk-notification-banner__heading">{}</h3>'
                    '<p class="govuk-body">{}</p>',
                    "Your alerts are saved",
                    "Your organisation still receives every alert.",
                ),
            )
            return redirect("your_alerts")
    return page(
        request,
        "notifications/your_alerts.html",
        {
            "organisation": user.organisation,
            "form": form,
            "error_summary": error_summary(form),
        },
    )
