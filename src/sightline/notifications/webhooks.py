"""Webhook subscriptions: an organisation's partner systems ask for kinds of notice.

An organisation's administrators (``Action.MANAGE_WEBHOOKS``) add a subscription (a name,
an https URL, the kinds of notice, active or not), change it, give it a new secret, read its
delivery history, send a failed delivery again and delete it (on the web, and through the API
with a key of the administrator role). Every change is on the audit chain,
without the URL or the secret. Anyone else, and any other organisation's subscription, is
"not found".

A subscription extends the webhook contact point rather than duplicating it: it owns one
webhook ``ContactPoint`` per kind it has ever asked for, kept in step here (the URL, and
enabled exactly while the subscription is active and asks for the kind). The outbox routes,
signs (with the subscription's secret), retries and records its deliveries as it does any
contact point's (``channels.WebhookChannel``).

A replay is a new delivery (``retry_of`` the failed one) to the URL the failed delivery was
sent to, sent with the first attempt's ``Idempotency-Key`` so that the partner can tell it is
the same message; it is refused when the subscription's URL has changed since (the message
was meant for the old address, not for wherever the subscription points now).

A subscription's deliveries carry no child's, setting's or area's details
(``content.subscription_webhook_payload``): its administrators may see no child, so the
partner fetches details through the API, which applies the access policy.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import QuerySet

from sightline.access.policy import Action, may
from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.notifications.models import (
    Channel,
    ContactPoint,
    Delivery,
    DeliveryStatus,
    WebhookSubscription,
)
from sightline.notifications.services import delivery_again
from sightline.notifications.urgency import kind_labels
from sightline.notifications.webhook_addresses import AddressNotPublic, check_public
from sightline.organisations.models import Organisation, User

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
HISTORY = 50  # deliveries shown on a subscription's page, newest first
_REPLAYABLE = (DeliveryStatus.PERMANENT_FAILURE, DeliveryStatus.TECHNICAL_FAILURE)


@dataclass(frozen=True)
class Saved:
    subscription: WebhookSubscription
    # The signing secret, only when this call made it: shown once, never again.
    secret: str = ""


def may_manage_webhooks(user: User) -> bool:
    return may(user, Action.MANAGE_WEBHOOKS)


def _organisation_of(actor: User) -> Organisation:
    """The actor's organisation, when they administer its webhooks."""
    if not may_manage_webhooks(actor) or actor.organisation is None:
        raise NotFoundOrNotAllowed("webhook subscriptions")
    return actor.organisation


def webhook_subscriptions_of(*, actor: User) -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.filter(organisation=_organisation_of(actor))


def webhook_subscription_get(
    *, actor: User, subscription_id: uuid.UUID | str
) -> WebhookSubscription:
    """One of the actor's organisation's subscriptions; ``NotFoundOrNotAllowed`` for another
    organisation's, a missing one, or someone who may not administer them."""
    found = webhook_subscriptions_of(actor=actor).filter(pk=subscription_id).first()
    if found is None:
        raise NotFoundOrNotAllowed("webhook subscription")
    return found


def _url(value: str) -> str:
    url = value.strip()
    schemes = ["https", "http"] if settings.MODE == "test" else ["https"]
    try:
        URLValidator(schemes=schemes)(url)
    except DjangoValidationError as exc:
        raise ValidationError(
            "Enter the address the requests go to, starting https://",
            field="url",
        ) from exc
    if urlparse(url).scheme not in schemes:  # pragma: no cover - the validator refuses it
        raise ValidationError("The address must start https://", field="url")
    try:
        check_public(url, must_resolve=False)
    except AddressNotPublic as exc:
        raise ValidationError(
            "Enter an address on the public internet, not a local or private network",
            field="url",
        ) from exc
    return url


def _kinds(values: Iterable[str]) -> list[str]:
    known = kind_labels()
    kinds = sorted({str(v) for v in values})
    if not kinds:
        raise ValidationError("Select the kinds of notice to send", field="kinds")
    unknown = [k for k in kinds if k not in known]
    if unknown:
        raise ValidationError("Select kinds of notice from the list", field="kinds")
    return kinds


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _sync(subscription: WebhookSubscription) -> None:
    """The subscription's contact points follow it: one per kind ever asked for, at its URL,
    enabled while it is active and asks for the kind."""
    owned = {p.kind: p for p in subscription.contact_points.all()}
    clash = (
        ContactPoint.objects.filter(
            organisation=subscription.organisation,
            channel=Channel.WEBHOOK,
            address=subscription.url,
        )
        .exclude(subscription=subscription)
        .exists()
    )
    if clash:
        raise ValidationError(
            "This address already receives notices as a contact point of your organisation",
            field="url",
        )
    for kind in set(owned) | set(subscription.kinds):
        point = owned.get(kind) or ContactPoint(
            organisation=subscription.organisation,
            kind=kind,
            channel=Channel.WEBHOOK,
            subscription=subscription,
        )
        point.address = subscription.url
        point.enabled = subscription.active and kind in subscription.kinds
        point.secret = ""  # the subscription's secret signs
        point.save()


def _audit(actor: User, subscription: WebhookSubscription, change: str) -> None:
    audit_append(
        actor=actor,
        verb=AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED,
        obj=subscription,
        organisation=subscription.organisation,
        payload={
            "change": change,
            "kinds": list(subscription.kinds),
            "active": subscription.active,
            # Where requests go, without the path or query (which may carry a partner's token).
            "host": (urlparse(subscription.url).hostname or "")[:253],
        },
    )
    logger.info(
        "webhook subscription id=%s organisation=%s %s actor=%s",
        subscription.id,
        subscription.organisation_id,
        change,
        actor.id,
    )


def webhook_subscription_create(
    *, actor: User, name: str, url: str, kinds: Iterable[str], active: bool = True
) -> Saved:
    organisation = _organisation_of(actor)
    name = name.strip()
    if not name:
        raise ValidationError("Enter a name for the partner system", field="name")
    url = _url(url)
    kinds = _kinds(kinds)
    if WebhookSubscription.objects.filter(organisation=organisation, url=url).exists():
        raise ValidationError(
            "Your organisation already has a subscription for this address", field="url"
        )
    secret = _new_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            organisation=organisation,
            name=name[:100],
            url=url,
            secret=secret,
            kinds=kinds,
            active=active,
            created_by=actor,
        )
        _sync(subscription)
        _audit(actor, subscription, "created")
    return Saved(subscription, secret)


def webhook_subscription_update(
    *,
    actor: User,
    subscription_id: uuid.UUID | str,
    name: str,
    url: str,
    kinds: Iterable[str],
    active: bool,
) -> WebhookSubscription:
    _organisation_of(actor)  # someone who may not is told "not found", whatever they sent
    name = name.strip()
    if not name:
        raise ValidationError("Enter a name for the partner system", field="name")
    url = _url(url)
    kinds = _kinds(kinds)
    with transaction.atomic():
        subscription = webhook_subscription_get(actor=actor, subscription_id=subscription_id)
        subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
        if (
            WebhookSubscription.objects.filter(organisation=subscription.organisation, url=url)
            .exclude(pk=subscription.pk)
            .exists()
        ):
            raise ValidationError(
                "Your organisation already has a subscription for this address", field="url"
            )
        subscription.name, subscription.url = name[:100], url
        subscription.kinds, subscription.active = kinds, active
        subscription.save()
        _sync(subscription)
        _audit(actor, subscription, "changed")
    return subscription


# A delivery in one of these has not finished: a subscription is not deleted under it.
_PENDING = (DeliveryStatus.CREATED, DeliveryStatus.SENDING, DeliveryStatus.TEMPORARY_FAILURE)


def webhook_subscription_delete(*, actor: User, subscription_id: uuid.UUID | str) -> None:
    """Delete a subscription and its contact points: nothing more is sent to it. Its past
    deliveries stay on their notices' histories (without the subscription). Refused while one
    of its deliveries is still being sent or retried: switch it off, and delete it once they
    have finished (the worker ends each within its attempts)."""
    with transaction.atomic():
        found = webhook_subscription_get(actor=actor, subscription_id=subscription_id)
        subscription = WebhookSubscription.objects.select_for_update().get(pk=found.pk)
        if Delivery.objects.filter(
            contact_point__subscription=subscription, status__in=_PENDING
        ).exists():
            raise ValidationError(
                "This subscription has deliveries still being sent. Switch it off, then "
                "delete it once they have finished",
                field="subscription",
                record=f"Webhook subscription {subscription.pk}",
            )
        _audit(actor, subscription, "deleted")
        ContactPoint.objects.filter(subscription=subscription).delete()
        subscription.delete()


def webhook_subscription_new_secret(*, actor: User, subscription_id: uuid.UUID | str) -> Saved:
    """Replace the signing secret (when the old one may have leaked): requests from now on
    are signed with the new one, shown once."""
    secret = _new_secret()
    with transaction.atomic():
        subscription = webhook_subscription_get(actor=actor, subscription_id=subscription_id)
        subscription.secret = secret
        subscription.save(update_fields=["secret", "updated_at"])
        _audit(actor, subscription, "new secret")
    return Saved(subscription, secret)


def webhook_deliveries(subscription: WebhookSubscription) -> QuerySet[Delivery]:
    """The subscription's deliveries, newest first (no child's details: the notice's
    reference and kind, the status, the attempts, the error)."""
    return (
        Delivery.objects.filter(contact_point__subscription=subscription)
        .select_related("notice", "retried_by")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_replay(
    *, actor: User, subscription_id: uuid.UUID | str, delivery_id: uuid.UUID | str
) -> Delivery:
    """Send a failed delivery of the subscription again: a new delivery, due now, to the
    address the failed one went to (refused when the subscription's URL has changed since),
    with the first attempt's idempotency key. Once per failed delivery."""
    with transaction.atomic():
        subscription = webhook_subscription_get(actor=actor, subscription_id=subscription_id)
        old = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("contact_point")
            .filter(pk=delivery_id, contact_point__subscription=subscription)
            .first()
        )
        if old is None:
            raise NotFoundOrNotAllowed("webhook delivery")
        record = f"Delivery {old.id}"
        if old.status not in _REPLAYABLE:
            raise ValidationError(
                "Only a delivery that failed can be sent again", field="delivery", record=record
            )
        if Delivery.objects.filter(retry_of=old).exists():
            raise ValidationError(
                "This delivery has already been sent again", field="delivery", record=record
            )
        if not subscription.active:
            raise ValidationError(
                "Switch the subscription on before sending a delivery again",
                field="delivery",
                record=record,
            )
        if old.address != subscription.url:
            raise ValidationError(
                "This delivery went to an address the subscription no longer has, so it cannot"
                " be sent again",
                field="delivery",
                record=record,
            )
        new = delivery_again(
            old, at=current_time(), actor=actor, detail=f"{Channel.WEBHOOK}: replay of delivery"
        )
        _audit(actor, subscription, "replayed a delivery")
    return new
