"""The notice engine's settings, read from Django settings with the environment as fallback.

``config/settings.py`` may define any of these; until it does, the environment variable of
the same name is read, so the worker can be tuned without a code change. Every value is read
when used, never cached, so that tests can override settings.
"""

from __future__ import annotations

import os

from django.conf import settings


def _value(name: str, default: str = "") -> str:
    configured = getattr(settings, name, None)
    if configured is not None:
        return str(configured)
    return os.environ.get(name, default)


def _int(name: str, default: int) -> int:
    value = _value(name)
    return default if value.strip() == "" else int(value)


def _float(name: str, default: float) -> float:
    value = _value(name)
    return default if value.strip() == "" else float(value)


def ack_working_days() -> int:
    """Working days a recipient has to acknowledge a notice (issue 3: default 2)."""
    return _int("SIGHTLINE_ACK_WORKING_DAYS", 2)


def without_delay_working_days() -> int:
    """Sightline's reading of "without delay" (reg 41) and of discharge notices: by the end
    of this many working days after the event."""
    return _int("SIGHTLINE_WITHOUT_DELAY_WORKING_DAYS", 1)


def smtp_keep_seconds() -> float:
    """How long the worker keeps an idle SMTP connection open between its cycles, so that
    alerts a few seconds apart do not each pay for a new connection (issue 13). 0 closes it
    at the end of every cycle."""
    return _float("SIGHTLINE_SMTP_KEEP_SECONDS", 15.0)


def max_attempts() -> int:
    return _int("SIGHTLINE_DELIVERY_MAX_ATTEMPTS", 10)


def backoff_seconds() -> float:
    return _float("SIGHTLINE_DELIVERY_BACKOFF_SECONDS", 30.0)


def backoff_max_seconds() -> float:
    return _float("SIGHTLINE_DELIVERY_BACKOFF_MAX_SECONDS", 3600.0)


def lease_seconds() -> float:
    """How long a worker holds a delivery it is sending. Longer than any channel's timeout."""
    return _float("SIGHTLINE_DELIVERY_LEASE_SECONDS", 300.0)


def urgent_lease_seconds() -> float:
    """The lease of an urgent delivery (a missing, away or "child safe" alert): a worker that
    dies holding one loses it this soon, so another sends it within 30 seconds. Longer than
    the timeout of the channels urgent alerts go by (``EMAIL_TIMEOUT`` 10 s by default)."""
    return _float("SIGHTLINE_URGENT_DELIVERY_LEASE_SECONDS", 20.0)


def urgent_backoff_seconds() -> float:
    """The first wait before an urgent delivery is tried again: 5 s, 10 s, then every 20 s."""
    return _float("SIGHTLINE_URGENT_DELIVERY_BACKOFF_SECONDS", 5.0)


def urgent_backoff_max_seconds() -> float:
    """The longest wait between two attempts of an urgent delivery (with the worker's poll
    interval, a retry follows a failure within 30 seconds)."""
    return _float("SIGHTLINE_URGENT_DELIVERY_BACKOFF_MAX_SECONDS", 20.0)


def urgent_max_attempts() -> int:
    """Attempts of an urgent delivery before a technical failure: about half an hour of
    retries every 20 seconds, enough to outlast a relay's restart or a failover."""
    return _int("SIGHTLINE_URGENT_DELIVERY_MAX_ATTEMPTS", 90)


def receipt_timeout_hours() -> float:
    """How long a message GOV.UK Notify accepted may wait for its delivery receipt before the
    sweeper records it as a failure with no receipt and escalates it (``receipts.py``).
    Notify gives up on an e-mail or text message within 72 hours, so none comes later."""
    return _float("SIGHTLINE_RECEIPT_TIMEOUT_HOURS", 72.0)


def urgent_receipt_timeout_hours() -> float:
    """The same for an urgent alert (missing, away, "child safe"): Notify delivers within
    minutes when it can, and a person must know within the hour when it did not."""
    return _float("SIGHTLINE_URGENT_RECEIPT_TIMEOUT_HOURS", 1.0)


def base_url() -> str:
    """The start of the link in every message. ``config/settings.py`` always sets it: from
    ``SIGHTLINE_BASE_URL`` (required in production), else the address the web app listens on
    (``HOST`` and ``PORT``), never a fixed port that may not be the one served."""
    return _value("SIGHTLINE_BASE_URL").rstrip("/")


def webhook_timeout() -> float:
    return _float("SIGHTLINE_WEBHOOK_TIMEOUT", 10.0)


def webhook_allowed_networks() -> list[str]:
    """CIDRs a webhook may reach although they are not public (``webhook_addresses.py``)."""
    configured = getattr(settings, "SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS", None)
    if configured is None:
        configured = os.environ.get("SIGHTLINE_WEBHOOK_ALLOWED_NETWORKS", "")
    if isinstance(configured, str):
        configured = configured.split(",")
    return [str(n).strip() for n in configured if str(n).strip()]


def notify_api_key() -> str:
    return _value("NOTIFY_API_KEY").strip()


def notify_enabled() -> bool:
    """GOV.UK Notify is switched on by setting its API key."""
    return bool(notify_api_key())


def notify_base_url() -> str:
    return _value("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk").rstrip("/")


def notify_timeout() -> float:
    return _float("NOTIFY_TIMEOUT", 15.0)


def notify_callback_token() -> str:
    """The bearer token GOV.UK Notify sends with each delivery receipt: set the same value as
    the callback's "bearer token" in Notify's API integration settings."""
    return _value("NOTIFY_CALLBACK_TOKEN").strip()


def notify_receipts_enabled() -> bool:
    """Receipts switched on: a message Notify accepts waits, ``accepted``, for its receipt.
    Without the token nothing can call back, so Notify's acceptance counts as delivered."""
    return bool(notify_callback_token())


def notify_sms_template_id() -> str:
    """The GOV.UK Notify text message template: one template with ((body))."""
    return _value("NOTIFY_SMS_TEMPLATE_ID").strip()


def notify_template_id(kind: str) -> str:
    """The template for a kind of notice: ``NOTIFY_TEMPLATE_ID_PLACEMENT`` and so on, or the
    one generic template ``NOTIFY_TEMPLATE_ID`` (with ((subject)) and ((body)))."""
    specific = _value(f"NOTIFY_TEMPLATE_ID_{kind.upper().replace('-', '_')}").strip()
    return specific or _value("NOTIFY_TEMPLATE_ID").strip()


def ack_link_days() -> int:
    """Days an e-mailed acknowledgement link works (``SIGHTLINE_ACK_LINK_DAYS``)."""
    return _int("SIGHTLINE_ACK_LINK_DAYS", 14)


def verify_link_days() -> int:
    """Days a directory address's confirmation link works (``SIGHTLINE_VERIFY_LINK_DAYS``)."""
    return _int("SIGHTLINE_VERIFY_LINK_DAYS", 7)
