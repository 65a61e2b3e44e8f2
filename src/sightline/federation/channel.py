"""The outbox's federation channel: a delivery to another Sightline is one signed POST.

Its address is the peer's base URL (from the recipient's directory entry). The message is
the notice itself or, for a notice that came from that peer and was acknowledged here, the
acknowledgement (``services.acknowledgement_queue``). The outbox's classification applies:
a refusal (4xx) is permanent, a busy or unreachable peer (429, 5xx, no connection)
temporary and retried on the outbox's schedule, and this deployment's own configuration (no
key, a peer not trusted yet) technical.
"""

from __future__ import annotations

import requests
from django.conf import settings

from sightline.federation import messages
from sightline.federation.keys import signing_key
from sightline.federation.models import InboundNotice, Peer
from sightline.federation.services import MESSAGES_PATH, message_sent_record
from sightline.federation.signing import signed_request
from sightline.notifications.channels import (
    DeliveryChannel,
    Result,
    delivered,
    permanent,
    technical,
    temporary,
)
from sightline.notifications.models import Channel, Delivery


def _acknowledger(delivery: Delivery) -> tuple[str, str]:
    notice = delivery.notice
    user = notice.acknowledged_by
    org = notice.recipient.name
    if user is not None:
        name = user.get_full_name() or user.username
        role = user.get_role_display() if user.role else "Staff"
        return name, f"{role}, {org}"[:120]
    return notice.acknowledged_by_name or "Unknown", notice.acknowledged_by_role or org


class FederationChannel(DeliveryChannel):
    name = Channel.FEDERATION

    def __init__(self) -> None:
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def _message(self, delivery: Delivery) -> tuple[str, dict[str, object]]:
        inbound = InboundNotice.objects.filter(notice_id=delivery.notice_id).first()
        if inbound is None:
            return messages.NOTICE, messages.notice_message(delivery.notice)
        notice = delivery.notice
        assert notice.acknowledged_at is not None  # queued only by an acknowledgement
        name, role = _acknowledger(delivery)
        return messages.ACKNOWLEDGEMENT, messages.acknowledgement_message(
            remote_notice_id=inbound.remote_notice_id,
            remote_reference=inbound.remote_reference,
            at=notice.acknowledged_at,
            name=name,
            role=role,
        )

    def send(self, delivery: Delivery) -> Result:
        key = signing_key()
        if key is None:
            return technical("Federation has no signing key (SIGHTLINE_FEDERATION_KEY)")
        peer = Peer.objects.filter(url=delivery.address).first()
        if peer is None or not peer.trusted:
            return technical(
                "The peer Sightline is not trusted yet: sightline federation trust URL"
            )
        try:
            what, message = self._message(delivery)
        except messages.MessageError as exc:
            return permanent(f"Federation message could not be built ({exc})")
        prepared = signed_request(
            url=peer.url + MESSAGES_PATH, body=messages.encode(message), key=key
        )
        prepared.headers["Idempotency-Key"] = delivery.idempotency_key
        try:
            response = self._session.send(
                prepared,
                timeout=(3.0, float(settings.SIGHTLINE_FEDERATION_TIMEOUT_SECONDS)),
                allow_redirects=False,
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            return temporary(f"Federation {type(exc).__name__}")
        except requests.RequestException as exc:
            return technical(f"Federation request could not be made ({type(exc).__name__})")
        status = response.status_code
        reference = ""
        if 200 <= status < 300:
            try:
                reference = str(response.json().get("reference", ""))[:100]
            except ValueError:
                reference = ""
        response.close()
        if 200 <= status < 300:
            message_sent_record(delivery=delivery, peer=peer, message=what)
            return delivered(reference)
        if status in (408, 425, 429) or status >= 500:
            return temporary(f"Federation HTTP {status}")
        return permanent(f"Federation HTTP {status}")
