"""The channels a delivery goes out on, and how each classifies what went wrong.

A channel's ``send`` never raises for a delivery problem: it returns a ``Result`` saying
delivered, or which kind of failure. ``temporary`` is retried with back-off; ``permanent``
(the address or the request is wrong) and ``technical`` (Sightline's own configuration) are
final. Errors carry no personal data: no names, no addresses, no message bodies.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import hmac
import json
import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from sightline.notifications import conf
from sightline.notifications.content import (
    message_id,
    notice_message,
    sms_text,
    webhook_payload,
)
from sightline.notifications.links import acknowledgement_url
from sightline.notifications.models import Channel as ChannelName
from sightline.notifications.models import Delivery
from sightline.notifications.webhook_addresses import (
    AddressNotPublic,
    AddressUnresolved,
    pinned_session,
)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sightline-Signature"
TIMESTAMP_HEADER = "X-Sightline-Timestamp"
DELIVERY_HEADER = "X-Sightline-Delivery"
REFERENCE_HEADER = "X-Sightline-Reference"


class Outcome(enum.StrEnum):
    # Handed to a provider that reports delivery later (GOV.UK Notify, with receipts on).
    ACCEPTED = "accepted"
    DELIVERED = "delivered"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    TECHNICAL = "technical"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    provider_reference: str = ""
    error: str = ""


def delivered(provider_reference: str = "") -> Result:
    return Result(Outcome.DELIVERED, provider_reference=provider_reference)


def accepted(provider_reference: str) -> Result:
    return Result(Outcome.ACCEPTED, provider_reference=provider_reference)


def temporary(error: str) -> Result:
    return Result(Outcome.TEMPORARY, error=error)


def permanent(error: str) -> Result:
    return Result(Outcome.PERMANENT, error=error)


def technical(error: str) -> Result:
    return Result(Outcome.TECHNICAL, error=error)


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    """The webhook signature: HMAC-SHA256, keyed with the contact point's secret, over
    ``<timestamp>.<body>``, as ``sha256=<hex>``. Binding the timestamp stops replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


class DeliveryChannel:
    """Sends one delivery. One instance serves a ``deliver_due`` call, or the worker's cycles
    for as long as it runs (``ChannelSet``); ``close`` ends it."""

    name: ClassVar[str]

    def send(self, delivery: Delivery) -> Result:
        raise NotImplementedError

    def close(self) -> None:
        return None

    def close_if_idle(self) -> None:
        """Close what has been kept open, unused, for longer than it should be."""
        return None


class InAppChannel(DeliveryChannel):
    """The inbox is the notice itself: there is nothing to send."""

    name = ChannelName.IN_APP

    def send(self, delivery: Delivery) -> Result:
        return delivered()


def _smtp_code_result(code: int, where: str, *, about_recipient: bool) -> Result:
    error = f"SMTP {code} {where}"
    if not 500 <= code < 600:
        return temporary(error)  # 4xx, or no code at all (-1: the connection dropped)
    if about_recipient:
        return permanent(error)
    # A 5xx at connection, sender or log-in is Sightline's configuration, not the address.
    return technical(error)


# A kept SMTP connection idle at least this long is asked NOOP before it carries a message.
CHECK_AFTER_IDLE_SECONDS = 1.0


class EmailChannel(DeliveryChannel):
    """E-mail through Django's mail settings (``EMAIL_URL``).

    The connection is kept between the worker's cycles while alerts keep coming, so that
    alerts seconds apart do not each pay for a new connection (issue 13). It is closed once
    idle for ``SIGHTLINE_SMTP_KEEP_SECONDS`` (``close_if_idle``, which the worker calls every
    cycle), when the worker stops, and after any error.

    A relay may drop a connection it has kept (its own idle time-out, a restart). So a
    connection that has been idle a second or more answers NOOP before it carries the next
    message, and one that does not is replaced by a new one at once, in the same cycle:
    nothing of a message has been sent on it, so nothing can go twice. A send that fails
    once the message is on its way is never tried again here: whether the relay took it is
    unknown, and the delivery's back-off decides (the same Message-ID if it goes again).
    """

    name = ChannelName.EMAIL

    def __init__(self) -> None:
        self._connection: BaseEmailBackend | None = None
        self._used_at = 0.0  # time.monotonic() when the connection last opened or sent

    def _idle_seconds(self) -> float:
        return time.monotonic() - self._used_at

    def _open(self) -> BaseEmailBackend:
        # Opened here, not by send_messages: a backend that opens its own connection closes it
        # again after the call, which was one SMTP connection per e-mail.
        if self._connection is not None and not self._still_usable():
            self.close()
        if self._connection is None:
            backend = get_connection(fail_silently=False)
            backend.open()
            self._connection = backend
            self._used_at = time.monotonic()
        return self._connection

    def _still_usable(self) -> bool:
        """Whether the kept connection may carry the next message."""
        idle = self._idle_seconds()
        if idle < CHECK_AFTER_IDLE_SECONDS:
            return True  # in use this cycle
        if idle >= conf.smtp_keep_seconds():
            return False  # kept too long (the worker was busy elsewhere, or the database away)
        smtp = getattr(self._connection, "connection", None)
        if not isinstance(smtp, smtplib.SMTP):
            return True  # not a network connection (the in-memory, console or file backends)
        try:
            code, _ = smtp.noop()
        except (smtplib.SMTPException, OSError) as exc:
            logger.info("kept SMTP connection gone (%s); opening another", type(exc).__name__)
            return False
        if code != 250:
            logger.info("kept SMTP connection refused NOOP (%s); opening another", code)
            return False
        return True

    def close_if_idle(self) -> None:
        if self._connection is not None and self._idle_seconds() >= conf.smtp_keep_seconds():
            self.close()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.close()
            self._connection = None

    def send(self, delivery: Delivery) -> Result:
        ack_url = (
            acknowledgement_url(notice_id=delivery.notice_id, address=delivery.address)
            if delivery.signed_link
            else ""
        )
        message = notice_message(delivery.notice, acknowledgement_url=ack_url)
        email = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[delivery.address],
            headers={
                "Message-ID": message_id(delivery),
                REFERENCE_HEADER: delivery.notice.reference,
                "Auto-Submitted": "auto-generated",
            },
        )
        try:
            sent = self._open().send_messages([email])
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()] or [550]
            return _smtp_code_result(max(codes), "recipient refused", about_recipient=True)
        except smtplib.SMTPDataError as exc:
            self.close()
            return _smtp_code_result(exc.smtp_code, "message refused", about_recipient=True)
        except smtplib.SMTPAuthenticationError as exc:
            self.close()
            # Retried: a wrong password is usually put right by an operator within the hour.
            return temporary(f"SMTP {exc.smtp_code} log-in refused")
        except smtplib.SMTPResponseException as exc:
            self.close()
            return _smtp_code_result(exc.smtp_code, type(exc).__name__, about_recipient=False)
        except (smtplib.SMTPException, OSError) as exc:
            # Refused connections, timeouts, dropped connections: the relay may come back.
            self.close()
            return temporary(f"SMTP {type(exc).__name__}")
        self._used_at = time.monotonic()
        if not sent:
            return temporary("SMTP backend sent nothing")
        return delivered(message_id(delivery))


class NotifyChannel(DeliveryChannel):
    """E-mail through GOV.UK Notify, with the official client.

    Notify de-duplicates nothing by itself, so before any second attempt the channel asks
    Notify for notifications with this delivery's ``reference``: if an earlier attempt was
    accepted (a timeout after Notify had saved it, or a worker killed mid-request) it is
    recorded as delivered and not sent again.

    With delivery receipts switched on (``NOTIFY_CALLBACK_TOKEN``) a message Notify took is
    ``accepted``, not delivered: Notify's callback says later whether it arrived
    (``receipts.py``).
    """

    name = ChannelName.NOTIFY
    what: ClassVar[str] = "kind of notice"

    def __init__(self) -> None:
        self._client: NotificationsAPIClient | None = None

    def _get_client(self) -> NotificationsAPIClient:
        if self._client is None:
            self._client = NotificationsAPIClient(
                conf.notify_api_key(),
                base_url=conf.notify_base_url(),
                timeout=conf.notify_timeout(),
            )
        return self._client

    @staticmethod
    def _api_error(exc: APIError, action: str) -> Result:
        if isinstance(exc, InvalidResponse):
            # An answer that is not JSON: whether Notify took the message is unknown.
            return temporary(f"GOV.UK Notify gave an unreadable answer ({action})")
        status = exc.status_code
        error_name = ""
        try:
            errors = exc.response.json().get("errors") if exc.response is not None else None
            if errors:
                error_name = str(errors[0].get("error", ""))[:60]
        except (ValueError, AttributeError, TypeError):
            pass
        text = f"GOV.UK Notify HTTP {status} {error_name}".strip() + f" ({action})"
        if status == 429 or status >= 500:
            return temporary(text)
        if status in (401, 403):
            return technical(text)
        return permanent(text)

    def _template_id(self, delivery: Delivery) -> str:
        return conf.notify_template_id(delivery.notice.kind)

    def _post(
        self, client: NotificationsAPIClient, delivery: Delivery, template_id: str
    ) -> dict[str, Any]:
        message = notice_message(delivery.notice)
        response: dict[str, Any] = client.send_email_notification(
            email_address=delivery.address,
            template_id=template_id,
            personalisation=message.fields,
            reference=delivery.reference,
        )
        return response

    def send(self, delivery: Delivery) -> Result:
        if not conf.notify_enabled():
            return technical("GOV.UK Notify is switched off (NOTIFY_API_KEY is not set)")
        template_id = self._template_id(delivery)
        if not template_id:
            return technical(f"No GOV.UK Notify template id for this {self.what}")
        try:
            client = self._get_client()
        except (AssertionError, ValueError):
            return technical("NOTIFY_API_KEY is not a GOV.UK Notify API key")
        reference = delivery.reference
        try:
            if delivery.attempts > 1:
                found = client.get_all_notifications(reference=reference)
                earlier = (found or {}).get("notifications") or []
                if earlier:
                    logger.info(
                        "delivery id=%s already accepted by GOV.UK Notify; not sent again",
                        delivery.id,
                    )
                    return self._taken(str(earlier[0].get("id", "")))
        except APIError as exc:
            # Not knowing whether Notify has it, sending again could send twice: wait.
            result = self._api_error(exc, "checking for an earlier attempt")
            return temporary(result.error) if result.outcome is Outcome.PERMANENT else result
        try:
            response = self._post(client, delivery, template_id)
        except APIError as exc:
            return self._api_error(exc, "sending")
        notification_id = str((response or {}).get("id", ""))
        return self._taken(notification_id)

    @staticmethod
    def _taken(notification_id: str) -> Result:
        """Notify has the message: delivered for now, or waiting for its receipt."""
        if conf.notify_receipts_enabled():
            return accepted(notification_id)
        return delivered(notification_id)


class SmsChannel(NotifyChannel):
    """A text message through GOV.UK Notify's ``send_sms_notification``, with the official
    client: the same key, the same look-up by reference before a second attempt and the same
    classification of errors as e-mail through Notify. One template
    (``NOTIFY_SMS_TEMPLATE_ID``) with ((body)); the body never names the child."""

    name = ChannelName.SMS
    what = "text message"

    def _template_id(self, delivery: Delivery) -> str:
        return conf.notify_sms_template_id()

    def _post(
        self, client: NotificationsAPIClient, delivery: Delivery, template_id: str
    ) -> dict[str, Any]:
        notice = delivery.notice
        response: dict[str, Any] = client.send_sms_notification(
            phone_number=delivery.address,
            template_id=template_id,
            personalisation={
                "body": sms_text(notice),
                "reference": notice.reference,
                "subject": notice.subject_line,
            },
            reference=delivery.reference,
        )
        return response


class WebhookChannel(DeliveryChannel):
    """A signed JSON POST to a partner system (a police or council case system): a webhook
    contact point's, or an organisation's webhook subscription's (``webhooks.py``). The
    signature and its headers are documented for receivers in ``docs/notices.md``."""

    name = ChannelName.WEBHOOK

    def send(self, delivery: Delivery) -> Result:
        point = delivery.contact_point
        secret = ""
        if point is not None:
            # A subscription's webhook signs with the subscription's secret (webhooks.py).
            subscription = point.subscription
            secret = subscription.secret if subscription is not None else point.secret
        if not secret:
            return technical("The webhook contact point has no signing secret")
        # Checked again at each send (a name may resolve to somewhere else by now), and the
        # connection goes to the address checked: no second lookup (DNS rebinding).
        try:
            session = pinned_session(delivery.address)
        except AddressNotPublic:
            return technical("Webhook address is not on the public internet")
        except AddressUnresolved:
            return temporary("Webhook address did not resolve")
        body = json.dumps(webhook_payload(delivery), separators=(",", ":"), sort_keys=True)
        payload = body.encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Sightline-Webhook/1",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(secret=secret, timestamp=timestamp, body=payload),
            DELIVERY_HEADER: str(delivery.id),
            REFERENCE_HEADER: delivery.notice.reference,
            # The same for every attempt, retry and replay of this message.
            "Idempotency-Key": delivery.idempotency_key,
        }
        try:
            with session:
                response = session.post(
                    delivery.address,
                    data=payload,
                    headers=headers,
                    timeout=(5.0, conf.webhook_timeout()),
                    allow_redirects=False,
                )
        except (requests.Timeout, requests.ConnectionError) as exc:
            return temporary(f"Webhook {type(exc).__name__}")
        except requests.RequestException as exc:
            return technical(f"Webhook request could not be made ({type(exc).__name__})")
        status = response.status_code
        response.close()
        if 200 <= status < 300:
            return delivered(response.headers.get("X-Request-Id", "")[:100])
        if status in (408, 425, 429) or status >= 500:
            return temporary(f"Webhook HTTP {status}")
        return permanent(f"Webhook HTTP {status}")


CHANNEL_CLASSES: dict[str, type[DeliveryChannel]] = {
    ChannelName.IN_APP: InAppChannel,
    ChannelName.EMAIL: EmailChannel,
    ChannelName.NOTIFY: NotifyChannel,
    ChannelName.WEBHOOK: WebhookChannel,
    ChannelName.SMS: SmsChannel,
}


_channel_switches: dict[str, Callable[[], bool]] = {}


def channel_register(
    *, name: str, channel: type[DeliveryChannel], enabled: Callable[[], bool]
) -> None:
    """A higher layer adds a channel the outbox delivers on (``sightline.federation``'s, from
    its ``AppConfig.ready()``; ADR 7): its deliveries are claimed, leased, retried and
    recorded like every other channel's. ``enabled`` says whether new notices use it now
    (its setting); deliveries already queued are sent either way."""
    CHANNEL_CLASSES[name] = channel
    _channel_switches[name] = enabled


def channel_registered(name: str) -> bool:
    """Whether new notices may be routed to this registered channel now."""
    switch = _channel_switches.get(name)
    return switch is not None and switch()


class ChannelSet:
    """The channels of a ``deliver_due`` call, or of a worker for as long as it runs: created
    when first needed and closed together."""

    def __init__(self) -> None:
        self._open: dict[str, DeliveryChannel] = {}

    def get(self, name: str) -> DeliveryChannel:
        if name not in self._open:
            self._open[name] = CHANNEL_CLASSES[name]()
        return self._open[name]

    def close_idle(self) -> None:
        """Close the connections kept open, unused, past their channel's limit."""
        for channel in self._open.values():
            channel.close_if_idle()

    def close(self) -> None:
        for channel in self._open.values():
            channel.close()
        self._open.clear()

    def __enter__(self) -> ChannelSet:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
