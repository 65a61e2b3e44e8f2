"""An organisation's webhook subscriptions on the web: the list, adding one (its secret shown
once), changing it, a new secret, its delivery history and sending a failed delivery again.

For the organisation's administrators (``Action.MANAGE_WEBHOOKS``); anyone else, and another
organisation's subscription, gets "Page not found". The pages show no child's details: a
delivery is named by its notice's reference and kind. The rules are in ``webhooks.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST
from govuk_frontend_django.components.table import GovUKTable

from sightline.access.policy import Action, Rule, declare
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.views import error_summary, page, page_not_found, table_cell, table_head, tag
from sightline.core.views import when as on
from sightline.notifications import webhooks
from sightline.notifications.forms import WebhookSubscriptionForm
from sightline.notifications.models import Delivery, WebhookSubscription
from sightline.notifications.urgency import kind_labels
from sightline.notifications.views import DELIVERY_STATUS_TEXT, DELIVERY_TAG_CLASSES
from sightline.organisations.models import User


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]  # login_required


def _kinds() -> list[tuple[str, str]]:
    return list(kind_labels().items())


def _kind_names(kinds: list[str]) -> str:
    labels = kind_labels()
    return ", ".join(labels.get(k, k) for k in kinds)


def _secret_page(request: HttpRequest, saved: webhooks.Saved, *, heading: str) -> HttpResponse:
    response = page(
        request,
        "notifications/webhook_secret.html",
        {"subscription": saved.subscription, "secret": saved.secret, "heading": heading},
    )
    response["Cache-Control"] = "no-store"
    return response


def _banner(text: str) -> str:
    return format_html('<h3 class="govuk-notification-banner__heading">{}</h3>', text)


def _form_errors(form: WebhookSubscriptionForm, exc: ValidationError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    try:
        found = list(webhooks.webhook_subscriptions_of(actor=_user(request)))
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    rows = [
        [
            table_cell(
                html=format_html(
                    '<a class="govuk-link" href="{}">{}</a>',
                    reverse("webhook_detail", args=[s.pk]),
                    s.name,
                )
            ),
            table_cell(s.url),
            table_cell(_kind_names(s.kinds)),
            table_cell(
                html=tag("Active", "govuk-tag--green")
                if s.active
                else tag("Switched off", "govuk-tag--grey")
            ),
        ]
        for s in found
    ]
    table = GovUKTable(
        caption="Webhook subscriptions",
        captionClasses="govuk-visually-hidden",
        head=[
            table_head("Partner system"),
            table_head("Address"),
            table_head("Notices"),
            table_head("Status"),
        ],
        rows=rows,
    )
    return page(
        request,
        "notifications/webhook_list.html",
        {"organisation": _user(request).organisation, "table": table, "count": len(rows)},
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@login_required
def webhook_add(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not webhooks.may_manage_webhooks(user):
        return page_not_found(request)
    form = WebhookSubscriptionForm(
        request.POST if request.method == "POST" else None,
        kinds=_kinds(),
        submit="Add subscription",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved = webhooks.webhook_subscription_create(
                actor=user,
                name=data["name"],
                url=data["url"],
                kinds=data["kinds"],
                active=data["active"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            return _secret_page(request, saved, heading="Subscription added")
    return page(
        request,
        "notifications/webhook_form.html",
        {
            "organisation": user.organisation,
            "form": form,
            "error_summary": error_summary(form),
            "heading": "Add a webhook subscription",
        },
    )


def _history(subscription: WebhookSubscription, request: HttpRequest) -> GovUKTable:
    rows = []
    for d in webhooks.webhook_deliveries(subscription)[: webhooks.HISTORY]:
        action = ""
        replayed = getattr(d, "retried_by", None)
        if d.status in (
            webhooks.DeliveryStatus.PERMANENT_FAILURE,
            webhooks.DeliveryStatus.TECHNICAL_FAILURE,
        ):
            if replayed is not None:
                action = "Sent again"
            else:
                action = _replay_button(request, subscription, d)
        rows.append(
            [
                table_cell(d.notice.reference),
                table_cell(d.notice.kind_label),
                table_cell(
                    html=tag(
                        DELIVERY_STATUS_TEXT.get(d.status, d.status),
                        DELIVERY_TAG_CLASSES.get(d.status),
                    )
                ),
                table_cell(d.attempts, numeric=True),
                table_cell(on(d.delivered_at or d.failed_at or d.sent_at or d.updated_at)),
                table_cell(d.last_error or ""),
                table_cell(html=action) if "<" in action else table_cell(action),
            ]
        )
    return GovUKTable(
        caption="Deliveries",
        captionClasses="govuk-table__caption--m",
        head=[
            table_head("Notice"),
            table_head("Kind"),
            table_head("Status"),
            table_head("Attempts", numeric=True),
            table_head("Last update"),
            table_head("What went wrong"),
            table_head("Action"),
        ],
        rows=rows,
        classes="app-table--compact",
    )


def _replay_button(request: HttpRequest, subscription: WebhookSubscription, d: Delivery) -> str:
    return format_html(
        '<form method="post" action="{}" novalidate>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
        '<button type="submit" class="govuk-button govuk-button--secondary govuk-!-margin-bottom-0"'
        ' data-module="govuk-button">Send again<span class="govuk-visually-hidden"> {}</span>'
        "</button></form>",
        reverse("webhook_replay", args=[subscription.pk, d.pk]),
        get_token(request),
        d.notice.reference,
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@login_required
def webhook_detail(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    user = _user(request)
    try:
        subscription = webhooks.webhook_subscription_get(
            actor=user, subscription_id=subscription_id
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    initial: dict[str, Any] = {
        "name": subscription.name,
        "url": subscription.url,
        "kinds": subscription.kinds,
        "active": "yes" if subscription.active else "no",
    }
    form = WebhookSubscriptionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        kinds=_kinds(),
        submit="Save changes",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            webhooks.webhook_subscription_update(
                actor=user,
                subscription_id=subscription.pk,
                name=data["name"],
                url=data["url"],
                kinds=data["kinds"],
                active=data["active"],
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        except NotFoundOrNotAllowed:
            return page_not_found(request)
        else:
            messages.success(request, _banner("Subscription saved"))
            return redirect("webhook_detail", subscription_id=subscription.pk)
    return page(
        request,
        "notifications/webhook_detail.html",
        {
            "organisation": user.organisation,
            "subscription": subscription,
            "form": form,
            "error_summary": error_summary(form),
            "history": _history(subscription, request),
            "has_history": webhooks.webhook_deliveries(subscription).exists(),
        },
    )


@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@login_required
@require_POST
def webhook_new_secret(request: HttpRequest, subscription_id: uuid.UUID) -> HttpResponse:
    try:
        saved = webhooks.webhook_subscription_new_secret(
            actor=_user(request), subscription_id=subscription_id
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    return _secret_page(request, saved, heading="New secret made")


@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@login_required
@require_POST
def webhook_replay(
    request: HttpRequest, subscription_id: uuid.UUID, delivery_id: uuid.UUID
) -> HttpResponse:
    try:
        new = webhooks.webhook_delivery_replay(
            actor=_user(request), subscription_id=subscription_id, delivery_id=delivery_id
        )
    except NotFoundOrNotAllowed:
        return page_not_found(request)
    except ValidationError as exc:
        messages.error(request, _banner(exc.message))
    else:
        messages.success(request, _banner(f"Notice {new.notice.reference} will be sent again"))
    return redirect("webhook_detail", subscription_id=subscription_id)
