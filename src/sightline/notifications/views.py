"""Notices on the web: the inbox, one notice with its deliveries, and acknowledging.

A notice is visible only to its recipient and sender organisations (``access_notice``, which
``declare`` calls before the view); anyone else gets the same "Page not found" as for a notice
that does not exist. The child's details on a notice follow the involvement: a role that may
not see the child, or an organisation no longer involved, sees that the notice exists, not
who or where the child is. The link to the child's record goes through ``access_child``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from govuk_frontend_django.components.summary_list import GovUKSummaryList
from govuk_frontend_django.components.table import GovUKTable
from govuk_frontend_django.components.tabs import GovUKTabs

from sightline.access.policy import Action, Rule, children_visible_to, declare, may
from sightline.audit.lists import children_shown, lists_children
from sightline.core.errors import NotFoundOrNotAllowed
from sightline.core.timeutil import now as current_time
from sightline.core.views import (
    deadline,
    on_day,
    page,
    page_not_found,
    pagination,
    scrolling,
    table_cell,
    table_head,
    tag,
    when,
)
from sightline.notifications import content
from sightline.notifications.access import NoticeAccess
from sightline.notifications.models import Channel, Delivery, DeliveryStatus, Notice
from sightline.notifications.selectors import (
    notices_received,
    notices_sent,
    notices_undelivered,
    notices_with_child_shown,
)
from sightline.notifications.services import notice_acknowledge
from sightline.notifications.status import Status, notice_status
from sightline.organisations.models import OrganisationKind, User

PER_PAGE = 50
# In place of the child's details on a notice the user may not read them on.
NOT_SHOWN = "Not shown"

# GOV.UK tag colours: https://design-system.service.gov.uk/components/tag/
STATUS_TAG_CLASSES: dict[str, str] = {
    Status.NEW: "govuk-tag--blue",
    Status.ACKNOWLEDGED: "govuk-tag--green",
    Status.OVERDUE: "govuk-tag--red",
    Status.NOT_SENT: "govuk-tag--red",
    Status.NOT_REQUIRED: "govuk-tag--grey",
    Status.NONE_RECEIVED: "govuk-tag--red",
    Status.LEARNED_LATE: "govuk-tag--orange",
    Status.IN_TIME: "govuk-tag--green",
    Status.UNDELIVERED: "govuk-tag--red",
}
DELIVERY_TAG_CLASSES: dict[str, str] = {
    DeliveryStatus.CREATED: "govuk-tag--grey",
    DeliveryStatus.SENDING: "govuk-tag--light-blue",
    DeliveryStatus.ACCEPTED: "govuk-tag--blue",
    DeliveryStatus.DELIVERED: "govuk-tag--green",
    DeliveryStatus.TEMPORARY_FAILURE: "govuk-tag--yellow",
    DeliveryStatus.TECHNICAL_FAILURE: "govuk-tag--red",
    DeliveryStatus.PERMANENT_FAILURE: "govuk-tag--red",
}
DELIVERY_STATUS_TEXT: dict[str, str] = {
    DeliveryStatus.CREATED: "Queued",
    DeliveryStatus.SENDING: "Sending",
    DeliveryStatus.ACCEPTED: "With GOV.UK Notify",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.TEMPORARY_FAILURE: "Retrying",
    DeliveryStatus.TECHNICAL_FAILURE: "Technical failure",
    DeliveryStatus.PERMANENT_FAILURE: "Permanent failure",
}


def status_tag(status: str) -> str:
    return tag(str(status), STATUS_TAG_CLASSES.get(status))


def _kind_label(notice: Notice) -> str:
    return notice.kind_label


def _organisation_of(user: User) -> Any:
    return user.organisation if user.is_active else None


# --- Inbox --------------------------------------------------------------------------------


def _page_of(queryset: QuerySet[Notice], number: str | None) -> Page[Notice]:
    return Paginator(queryset, PER_PAGE).get_page(number)


def _notice_link(notice: Notice) -> str:
    return format_html(
        '<a class="govuk-link" href="{}">{}</a>',
        reverse("notice_detail", args=[notice.id]),
        notice.reference,
    )


def _notices_table(
    notices: Iterable[Notice], *, caption: str, sent: bool, now: dt.datetime
) -> GovUKTable:
    head = [
        table_head("Reference"),
        table_head("Notice"),
        table_head("Child"),
        table_head("To" if sent else "From"),
        table_head("Sent" if sent else "Received"),
        table_head("Acknowledge by"),
        table_head("Status"),
    ]
    rows = [
        [
            table_cell(html=_notice_link(n)),
            table_cell(_kind_label(n)),
            table_cell(n.child_name if getattr(n, "child_shown", False) else NOT_SHOWN),
            table_cell(n.recipient.name if sent else n.sender_name),
            table_cell(on_day(n.created_at)),
            table_cell(on_day(n.ack_due_at)),
            table_cell(html=status_tag(notice_status(n, now=now))),
        ]
        for n in notices
    ]
    return GovUKTable(
        caption=caption,
        captionClasses="govuk-table__caption--m",
        head=head,
        rows=rows,
        classes="app-table--compact",
    )


def _panel(
    request: HttpRequest,
    notices: QuerySet[Notice],
    *,
    param: str,
    anchor: str,
    caption: str,
    sent: bool,
    empty: str,
    now: dt.datetime,
) -> str:
    page_obj = _page_of(notices, request.GET.get(param))
    if not page_obj.paginator.count:
        return format_html(
            '<h2 class="govuk-heading-m">{}</h2><p class="govuk-body">{}</p>', caption, empty
        )
    shown = list(page_obj.object_list)
    # Notices name children (first name, initial, setting): the page is a list read of those
    # whose details it shows.
    children_shown(
        request,
        (n.child_id for n in shown if getattr(n, "child_shown", False)),
        page=page_obj.number,
    )
    table = _notices_table(shown, caption=caption, sent=sent, now=now)
    pages = pagination(
        request,
        number=page_obj.number,
        num_pages=page_obj.paginator.num_pages,
        param=param,
        anchor=anchor,
        label=f"{anchor.capitalize()} notices, pages",
    )
    return format_html("{}{}", scrolling(table), pages.render() if pages else "")


def sends_notices(kind: str | None) -> bool:
    """Councils send placement and discharge notices; providers send admission notices."""
    return kind in (OrganisationKind.COUNCIL, OrganisationKind.PROVIDER)


@declare(Rule.SIGNED_IN)
@lists_children(purpose="Notices received and sent by the organisation")
@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]  # login_required
    org = _organisation_of(user)
    now = current_time()
    received = notices_received(organisation=org) if org else Notice.objects.none()
    received = notices_with_child_shown(
        received.select_related("recipient").order_by("-created_at", "-id"), user=user
    )
    items = [
        {
            "id": "received",
            "label": "Received",
            "panel": {
                "html": _panel(
                    request,
                    received,
                    param="page",
                    anchor="received",
                    caption="Notices received",
                    sent=False,
                    empty="Your organisation has not received any notices.",
                    now=now,
                )
            },
        }
    ]
    if org and sends_notices(org.kind):
        sent = notices_with_child_shown(
            notices_undelivered(notices_sent(organisation=org)).order_by("-created_at", "-id"),
            user=user,
        )
        items.append(
            {
                "id": "sent",
                "label": "Sent",
                "panel": {
                    "html": _panel(
                        request,
                        sent,
                        param="sent_page",
                        anchor="sent",
                        caption="Notices sent",
                        sent=True,
                        empty="Your organisation has not sent any notices.",
                        now=now,
                    )
                },
            }
        )
    waiting = received.filter(acknowledged_at__isnull=True).count()
    return page(
        request,
        "notifications/inbox.html",
        {
            "organisation": org,
            "tabs": GovUKTabs(items=items, title="Notices"),  # type: ignore[arg-type]
            "waiting": waiting,
            "manages_webhooks": org is not None and may(user, Action.MANAGE_WEBHOOKS),
        },
    )


# --- One notice ---------------------------------------------------------------------------


def _delivered_to(delivery: Delivery, notice: Notice) -> str:
    if delivery.channel == Channel.IN_APP:
        return f"{notice.recipient.name} inbox"
    if delivery.channel == Channel.WEBHOOK:
        return urlparse(delivery.address).hostname or "Partner system"
    if delivery.channel == Channel.FEDERATION:
        return f"The Sightline at {urlparse(delivery.address).netloc or delivery.address}"
    if delivery.signed_link:
        return f"{delivery.address} (directory inbox, with an acknowledgement link)"
    return delivery.address


def _deliveries_table(notice: Notice) -> GovUKTable:
    deliveries = notice.deliveries.order_by("created_at")
    rows = []
    for d in deliveries:
        last = d.delivered_at or d.failed_at or d.sent_at or d.updated_at
        rows.append(
            [
                table_cell(Channel(d.channel).label),
                table_cell(_delivered_to(d, notice)),
                table_cell(
                    html=tag(
                        DELIVERY_STATUS_TEXT.get(d.status, d.status),
                        DELIVERY_TAG_CLASSES.get(d.status),
                    )
                ),
                table_cell(d.attempts, numeric=True),
                table_cell(when(last)),
            ]
        )
    return GovUKTable(
        caption="Delivery",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Channel"),
            table_head("Sent to"),
            table_head("Status"),
            table_head("Attempts", numeric=True),
            table_head("Last update"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


def _row(key: str, value: str | None = None, *, html: str | None = None) -> dict[str, Any]:
    return {"key": {"text": key}, "value": {"html": html} if html else {"text": value or ""}}


def _summary(access: NoticeAccess, *, user: User, now: dt.datetime) -> GovUKSummaryList:
    notice = access.notice
    fields = content.notice_fields(notice)
    acknowledged = None
    if notice.acknowledged_at is not None:
        who = notice.acknowledged_by_text or "Unknown"
        via = " through the e-mailed link" if notice.acknowledged_by_name else ""
        acknowledged = f"By {who} on {when(notice.acknowledged_at)}{via}"
    if access.shows_child:
        child = notice.child_name
        # A notice may come before the child does: its recipient reads whom it is about
        # before the child's record is open to it (``PLANNED_PLACEMENTS_INVOLVE``).
        if (
            access.child is not None
            and children_visible_to(user).filter(pk=access.child.pk).exists()
        ):
            child_html = format_html(
                '{} <a class="govuk-link" href="{}">View the child\'s record'
                '<span class="govuk-visually-hidden"> for {}</span></a>',
                child,
                reverse("child_detail", args=[notice.child_id]),
                child,
            )
            child_row = _row("Child", html=format_html("{}", child_html))
        else:
            child_row = _row("Child", child)
        where = f"{notice.setting_name}, {notice.setting_postcode} ({notice.area_name})"
        about = [
            child_row,
            _row("Placed by", notice.placing_council_name),
            _row("Where", where if notice.setting_name else "Not known"),
        ]
    else:
        about = [_row("Child", NOT_SHOWN_REASON)]
    rows = [
        _row("Status", html=status_tag(notice_status(notice, now=now))),
        _row("Reference", notice.reference),
        _row("From", notice.sender_name),
        _row("To", notice.recipient.name),
        *about,
        _row(fields["date_label"], fields["date"]),
        _row("Contact", fields["contact"]),
        _row("Sent", when(notice.created_at)),
        _row("Due", deadline(notice.due_at)),
        _row("Acknowledge", deadline(notice.ack_due_at)),
        _row("Acknowledged", acknowledged or "Not yet"),
    ]
    return GovUKSummaryList(rows=rows)  # type: ignore[arg-type]


NOT_SHOWN_REASON = (
    "Not shown. Your organisation is no longer involved with this child, or your role does "
    "not give you access to children's records."
)


def _escalation(notice: Notice, *, user: User) -> dict[str, Any] | None:
    """For an escalation notice: why it was sent, and a link to the late notice if the user
    may see it."""
    late: Notice | None = getattr(notice, "escalates", None)  # set on escalations only
    if late is None:
        return None
    link = None
    if user.organisation_id in (late.recipient_id, late.sender_id):
        link = reverse("notice_detail", args=[late.id])
    return {"why": content.escalation_summary(notice), "late": late, "link": link}


def _can_acknowledge(notice: Notice, user: User) -> bool:
    return (
        user.is_active
        and user.organisation_id == notice.recipient_id
        and may(user, Action.ACKNOWLEDGE_NOTICE)
    )


@declare(
    Rule.RECORD, action=Action.VIEW_NOTICE, kind="notice", purpose="Open a notice about a child"
)
@login_required
def notice_detail(request: HttpRequest, access: NoticeAccess) -> HttpResponse:
    """One notice: visible to its recipient and sender only (``access_notice``)."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    notice = access.notice
    now = current_time()
    return page(
        request,
        "notifications/notice_detail.html",
        {
            "notice": notice,
            "kind": _kind_label(notice),
            "summary": _summary(access, user=user, now=now),
            "deliveries": _deliveries_table(notice),
            "escalation": _escalation(notice, user=user),
            "can_acknowledge": _can_acknowledge(notice, user) and notice.acknowledged_at is None,
            "is_recipient": user.organisation_id == notice.recipient_id,
            "undeliverable_text": (
                f"{notice.undeliverable}. A named person has been told (escalation)."
                if notice.undeliverable
                else ""
            ),
            # The subject's own page goes through its own access function.
            "subject_url": notice.subject_path or None,
        },
    )


@declare(
    Rule.RECORD,
    action=Action.ACKNOWLEDGE_NOTICE,
    kind="notice",
    purpose="Acknowledge a notice about a child",
)
@login_required
@require_POST
def notice_acknowledge_view(request: HttpRequest, access: NoticeAccess) -> HttpResponse:
    """Acknowledge a notice for the recipient organisation. A second time changes nothing."""
    user: User = request.user  # type: ignore[assignment]  # login_required
    try:
        already = access.notice.acknowledged_at is not None
        notice = notice_acknowledge(notice=access.notice, actor=user)
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    by = notice.acknowledged_by
    who = (by.get_full_name() or by.username) if by else "someone"
    heading = "This notice was already acknowledged" if already else "Notice acknowledged"
    messages.success(
        request,
        format_html(
            '<h3 class="govuk-notification-banner__heading">{}</h3>'
            '<p class="govuk-body">Acknowledged by {} on {}.</p>',
            heading,
            who,
            when(notice.acknowledged_at),
        ),
    )
    return redirect("notice_detail", notice_id=notice.id)
