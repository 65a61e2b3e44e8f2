"""The caller's organisation's webhook subscriptions: list, add, read, change, delete, a new
secret, delivery history and replay of a failed delivery.

The same services and rules as the pages at ``/notices/webhooks/``
(``notifications.webhooks``): only an organisation's administrators may manage them
(``Action.MANAGE_WEBHOOKS``), so only a key with the administrator role can; any other key,
and any other organisation's subscription, gets 404. The signing secret is in the answer to
the request that made it (``POST /webhook-subscriptions`` and ``.../new-secret``) and never
again. A subscription's deliveries name no child: the notice's id, reference and kind.
"""

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from sightline.access.policy import Action, Rule, declare
from sightline.api.auth import acting_user
from sightline.api.errors import READ_ERRORS, WRITE_ERRORS, ErrorsOut
from sightline.api.idempotency import IdempotencyKey, idempotent
from sightline.api.schemas import BodyIn, Paged
from sightline.notifications import webhooks
from sightline.notifications.models import Delivery, WebhookSubscription

router = Router(tags=["Webhook subscriptions"])

KINDS_HELP = (
    "The kinds of notice to send, as codes: placement, admission, discharge, missing, away, "
    "found... (the web page's list)."
)


class SubscriptionOut(Schema):
    id: uuid.UUID
    name: str
    url: str
    kinds: list[str]
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class SubscriptionWithSecretOut(SubscriptionOut):
    secret: str = Field(
        description="Signs every request (docs/notices.md, verifying a webhook). Shown once: "
        "store it now."
    )


class SubscriptionIn(BodyIn):
    name: str = Field(max_length=100, description="What the partner system is called.")
    url: str = Field(max_length=500, description="The https address requests are sent to.")
    kinds: list[str] = Field(max_length=50, description=KINDS_HELP)
    active: bool = True


class DeliveryOut(Schema):
    id: uuid.UUID
    notice_id: uuid.UUID
    notice_reference: str
    notice_kind: str
    status: str = Field(
        description="created, sending, delivered, temporary-failure (will retry), "
        "technical-failure or permanent-failure."
    )
    attempts: int
    created_at: dt.datetime
    sent_at: dt.datetime | None
    delivered_at: dt.datetime | None
    failed_at: dt.datetime | None
    last_error: str
    replay_of: uuid.UUID | None = Field(description="The failed delivery this one repeats.")
    replayed_by: uuid.UUID | None = Field(description="The delivery that repeated this one.")

    @staticmethod
    def resolve_notice_reference(obj: Delivery) -> str:
        return obj.notice.reference

    @staticmethod
    def resolve_notice_kind(obj: Delivery) -> str:
        return obj.notice.kind

    @staticmethod
    def resolve_replay_of(obj: Delivery) -> uuid.UUID | None:
        return obj.retry_of_id

    @staticmethod
    def resolve_replayed_by(obj: Delivery) -> uuid.UUID | None:
        again = getattr(obj, "retried_by", None)
        return again.id if again is not None else None


def _with_secret(saved: webhooks.Saved) -> dict[str, Any]:
    out = SubscriptionOut.from_orm(saved.subscription).dict()
    return {**out, "secret": saved.secret}


@router.get(
    "/webhook-subscriptions",
    response={200: list[SubscriptionOut], 404: ErrorsOut, **READ_ERRORS},
    summary="List your organisation's webhook subscriptions",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@paginate(Paged, children=None)
def list_webhook_subscriptions(request: HttpRequest) -> QuerySet[WebhookSubscription]:
    """Your organisation's subscriptions, by name. A key that may not manage them (any role
    but administrator) gets 404."""
    return webhooks.webhook_subscriptions_of(actor=acting_user(request)).order_by("name", "id")


@router.post(
    "/webhook-subscriptions",
    response={201: SubscriptionWithSecretOut, **WRITE_ERRORS},
    summary="Add a webhook subscription",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@idempotent
def create_webhook_subscription(
    request: HttpRequest, payload: SubscriptionIn, idempotency_key: IdempotencyKey = None
) -> tuple[int, dict[str, Any]]:
    """Ask for kinds of notice as signed webhooks at an https address on the public internet.
    The answer carries the signing secret, once."""
    saved = webhooks.webhook_subscription_create(
        actor=acting_user(request),
        name=payload.name,
        url=payload.url,
        kinds=payload.kinds,
        active=payload.active,
    )
    return 201, _with_secret(saved)


@router.get(
    "/webhook-subscriptions/{subscription_id}",
    response={200: SubscriptionOut, 404: ErrorsOut, **READ_ERRORS},
    summary="Get one webhook subscription",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
def get_webhook_subscription(
    request: HttpRequest, subscription_id: uuid.UUID
) -> WebhookSubscription:
    """One of your organisation's subscriptions, without its secret."""
    return webhooks.webhook_subscription_get(
        actor=acting_user(request), subscription_id=subscription_id
    )


@router.put(
    "/webhook-subscriptions/{subscription_id}",
    response={200: SubscriptionOut, **WRITE_ERRORS},
    summary="Change a webhook subscription",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@idempotent
def update_webhook_subscription(
    request: HttpRequest,
    subscription_id: uuid.UUID,
    payload: SubscriptionIn,
    idempotency_key: IdempotencyKey = None,
) -> WebhookSubscription:
    """Replace the name, address, kinds and whether it is on. The secret stays."""
    return webhooks.webhook_subscription_update(
        actor=acting_user(request),
        subscription_id=subscription_id,
        name=payload.name,
        url=payload.url,
        kinds=payload.kinds,
        active=payload.active,
    )


@router.delete(
    "/webhook-subscriptions/{subscription_id}",
    response={204: None, **WRITE_ERRORS},
    summary="Delete a webhook subscription",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@idempotent
def delete_webhook_subscription(
    request: HttpRequest, subscription_id: uuid.UUID, idempotency_key: IdempotencyKey = None
) -> tuple[int, None]:
    """Nothing more is sent to it. Refused (422) while one of its deliveries is still being
    sent or retried: switch it off first, and delete it once they have finished."""
    webhooks.webhook_subscription_delete(
        actor=acting_user(request), subscription_id=subscription_id
    )
    return 204, None


@router.post(
    "/webhook-subscriptions/{subscription_id}/new-secret",
    response={200: SubscriptionWithSecretOut, **WRITE_ERRORS},
    summary="Give a webhook subscription a new signing secret",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@idempotent
def new_webhook_secret(
    request: HttpRequest, subscription_id: uuid.UUID, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """When the old one may have leaked: requests from now on are signed with the new one,
    shown once, here."""
    saved = webhooks.webhook_subscription_new_secret(
        actor=acting_user(request), subscription_id=subscription_id
    )
    return _with_secret(saved)


@router.get(
    "/webhook-subscriptions/{subscription_id}/deliveries",
    response={200: list[DeliveryOut], 404: ErrorsOut, **READ_ERRORS},
    summary="A webhook subscription's delivery history",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@paginate(Paged, children=None)
def list_webhook_deliveries(request: HttpRequest, subscription_id: uuid.UUID) -> QuerySet[Delivery]:
    """Newest first: each delivery's notice (id, reference, kind; no child), status, attempts
    and what went wrong."""
    subscription = webhooks.webhook_subscription_get(
        actor=acting_user(request), subscription_id=subscription_id
    )
    return webhooks.webhook_deliveries(subscription)


@router.post(
    "/webhook-subscriptions/{subscription_id}/deliveries/{delivery_id}/replay",
    response={201: DeliveryOut, **WRITE_ERRORS},
    summary="Send a failed delivery again",
)
@declare(Rule.SIGNED_IN, action=Action.MANAGE_WEBHOOKS)
@idempotent
def replay_webhook_delivery(
    request: HttpRequest,
    subscription_id: uuid.UUID,
    delivery_id: uuid.UUID,
    idempotency_key: IdempotencyKey = None,
) -> tuple[int, Delivery]:
    """A new delivery of the same message, due now, to the address the failed one went to,
    with the first attempt's ``Idempotency-Key``. Once per failed delivery; refused when the
    subscription is off or its address has changed since."""
    new = webhooks.webhook_delivery_replay(
        actor=acting_user(request), subscription_id=subscription_id, delivery_id=delivery_id
    )
    return 201, new
