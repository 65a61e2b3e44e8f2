"""Writes of Sightline to Sightline: trusting a peer, receiving its notices and
acknowledgements, recording what was sent and what was refused.

Each runs in one transaction with its audit event. A message received twice (the sender's
outbox retried after a lost answer) changes nothing the second time: notices are unique per
peer and remote id, acknowledgements count once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlparse

import requests
from django.conf import settings
from django.db import IntegrityError, transaction

from sightline.audit.services import audit_append
from sightline.audit.verbs import AuditVerb
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now as current_time
from sightline.federation import messages
from sightline.federation.keys import FederationKeyError, keys_from_set
from sightline.federation.models import InboundNotice, Peer
from sightline.notifications.models import (
    Channel,
    Delivery,
    DeliveryStatus,
    Notice,
    NoticeEvent,
    NoticeEventKind,
)
from sightline.notifications.services import NoticeContent, notice_create
from sightline.notifications.urgency import kind_known
from sightline.organisations.models import Organisation, OrganisationKind, User

logger = logging.getLogger(__name__)

KEYS_PATH = "/.well-known/sightline-federation-keys"
MESSAGES_PATH = "/federation/v1/messages"
REFUSALS_AUDITED_PER_HOUR = 20
SUBJECT_TYPE = "federation.inboundnotice"


def peer_url(url: str) -> str:
    """A deployment's base URL as peers are named: scheme, host and port, no trailing /.
    https only, except on the machine itself (tests, a demo)."""
    parsed = urlparse(url.strip())
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValidationError(f'"{url}" is not the address of a Sightline', field="url")
    local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
    if parsed.scheme != "https" and not (local and settings.MODE != "production"):
        raise ValidationError(f'"{url}" must start https://', field="url")
    return f"{parsed.scheme}://{parsed.netloc}{parsed.path.rstrip('/')}"


def peer_keys_fetch(*, url: str) -> Peer:
    """Fetch a deployment's published key set and keep it beside the peer, unpinned: what an
    operator compares (by thumbprint, out of band) before ``peer_trust`` pins it."""
    base = peer_url(url)
    try:
        response = requests.get(
            base + KEYS_PATH, timeout=settings.SIGHTLINE_FEDERATION_TIMEOUT_SECONDS
        )
        response.raise_for_status()
        keys = keys_from_set(response.json())
    except (requests.RequestException, ValueError, FederationKeyError) as exc:
        raise ValidationError(
            f"Could not read the key set of {base}: {type(exc).__name__}", field="url"
        ) from exc
    with transaction.atomic():
        peer, _ = Peer.objects.select_for_update().get_or_create(url=base)
        peer.fetched_keys = keys
        peer.fetched_at = current_time()
        peer.save(update_fields=["fetched_keys", "fetched_at", "updated_at"])
    return peer


def peer_trust(*, url: str, key_ids: list[str], operator: str) -> Peer:
    """Pin the peer's fetched keys that the operator confirmed (by their ids): from now on
    they, and only they, verify its requests. Replaces what was pinned before."""
    base = peer_url(url)
    peer = Peer.objects.filter(url=base).first()
    if peer is None or not peer.fetched_keys:
        raise ValidationError(f"Fetch the keys of {base} first", field="url")
    unknown = sorted(set(key_ids) - set(peer.fetched_keys))
    if unknown or not key_ids:
        raise ValidationError(
            f"{base} does not publish the key(s) {', '.join(unknown) or '(none given)'}",
            field="key_ids",
        )
    # A key another peer already has pinned would let one deployment speak for the other (a
    # peer that republishes someone else's public key): refused.
    taken = sorted(
        kid
        for kid in key_ids
        if Peer.objects.filter(keys__has_key=kid, trusted_at__isnull=False)
        .exclude(pk=peer.pk)
        .exists()
    )
    if taken:
        raise ValidationError(
            f"The key(s) {', '.join(taken)} are already pinned for another deployment",
            field="key_ids",
        )
    at = current_time()
    with transaction.atomic():
        peer.keys = {kid: peer.fetched_keys[kid] for kid in key_ids}
        peer.trusted_at = at
        peer.trusted_by = operator[:150]
        peer.save(update_fields=["keys", "trusted_at", "trusted_by", "updated_at"])
        audit_append(
            actor=None,
            verb=AuditVerb.FEDERATION_PEER_TRUSTED,
            obj=peer,
            payload={"peer": audit_peer(base), "keys": sorted(key_ids)},
            at=at,
        )
    logger.info("federation peer id=%s trusted keys=%s", peer.id, sorted(key_ids))
    return peer


def audit_peer(url: str) -> str:
    """How the audit names a peer: its host (and port), which fits the chain's strings."""
    return (urlparse(url).netloc or url)[:64]


def refusal_record(*, peer: Peer | None, reason: str, detail: str = "") -> None:
    """A refused request. Logged always; audited only when it names a trusted peer's key, and
    then at most ``REFUSALS_AUDITED_PER_HOUR`` per peer an hour, the rest counted into the
    next audited one: the chain records tampering without letting a flood grow it."""
    logger.warning(
        "federation request refused peer=%s reason=%s detail=%s",
        peer.id if peer else None,
        reason,
        detail[:200],
    )
    if peer is None:
        return
    at = current_time()
    with transaction.atomic():
        peer = Peer.objects.select_for_update().get(pk=peer.pk)
        start = peer.refusals_window_start
        if start is None or at - start >= dt.timedelta(hours=1):
            peer.refusals_window_start, peer.refusals_in_window = at, 0
        audited = peer.refusals_in_window < REFUSALS_AUDITED_PER_HOUR
        peer.refusals_in_window += 1
        if audited:
            audit_append(
                actor=None,
                verb=AuditVerb.FEDERATION_REFUSED,
                obj=peer,
                payload={
                    "peer": audit_peer(peer.url),
                    "reason": reason[:64],
                    "suppressed": peer.refusals_suppressed,
                },
                at=at,
            )
            peer.refusals_suppressed = 0
        else:
            peer.refusals_suppressed += 1
        peer.save(
            update_fields=[
                "refusals_window_start",
                "refusals_in_window",
                "refusals_suppressed",
                "updated_at",
            ]
        )


@dataclass(frozen=True)
class Received:
    notice: Notice
    first: bool  # False: a replay of a message already received (nothing changed)


def _recipient(message: messages.NoticeIn) -> Organisation:
    """The recipient here, which must be on this deployment (someone here reads its inbox)."""
    wanted = (
        {"kind": OrganisationKind.COUNCIL, "council_id": message.recipient_code}
        if message.recipient_kind == "council"
        else {"kind": OrganisationKind.POLICE, "police_force_id": message.recipient_code}
    )
    org = Organisation.objects.filter(**wanted).first()
    if org is None or not User.objects.filter(organisation=org, is_active=True).exists():
        raise ValidationError(
            f"recipient {message.recipient_kind} {message.recipient_code} is not on this Sightline",
            field="recipient",
        )
    return org


def notice_receive(*, peer: Peer, message: messages.NoticeIn) -> Received:
    """A notice from a peer, put in its recipient's inbox here as a notice of the same kind,
    from the peer's organisation, carrying only the minimum every recipient gets. It names
    no child record here (the child's record stays with the placing council's deployment),
    so this deployment's access policy shows it to the recipient organisation only, and
    its roles acknowledge it as any notice (``Action.ACKNOWLEDGE_NOTICE``)."""
    if not kind_known(message.text["kind"]) or message.text["kind"] == "escalation":
        raise ValidationError(
            f"notice.kind: {message.text['kind']} is not a kind of notice this Sightline takes",
            field="notice.kind",
        )
    found = InboundNotice.objects.filter(peer=peer, remote_notice_id=message.id).first()
    if found is not None:
        return Received(notice=found.notice, first=False)
    try:
        return _notice_take(peer=peer, message=message)
    except IntegrityError:
        # The same notice arrived twice at once (the sender retried before its first answer):
        # the other request took it.
        found = InboundNotice.objects.filter(peer=peer, remote_notice_id=message.id).first()
        if found is None:
            raise
        return Received(notice=found.notice, first=False)


def _notice_take(*, peer: Peer, message: messages.NoticeIn) -> Received:
    recipient = _recipient(message)
    text = message.text
    inbound_id = uuid.uuid4()
    host = urlparse(peer.url).netloc
    with transaction.atomic():
        notice = notice_create(
            kind=text["kind"],
            subject_type=SUBJECT_TYPE,
            subject_id=inbound_id,
            idempotency_key=f"federation:{peer.id}:{message.id}",
            child=None,
            recipient=recipient,
            sender=None,
            due_at=message.due_at,
            actor=None,
            content=NoticeContent(
                kind_label=text["kind_label"],
                subject_line=text["subject_line"],
                date_label=text["date_label"],
                effective_date=message.effective_date,
                child_name=text["child_name"],
                setting_name=text["setting_name"],
                setting_postcode=text["setting_postcode"],
                area_name=text["area_name"],
                placing_council_name=text["placing_council_name"],
                sender_name=f"{text['sender_name']} (Sightline at {host})"[:200],
                chase_acknowledgement=message.chase_acknowledgement,
            ),
        )
        if text["sender_contact"]:
            Notice.objects.filter(pk=notice.pk).update(sender_contact=text["sender_contact"])
        InboundNotice.objects.create(
            id=inbound_id,
            peer=peer,
            remote_notice_id=message.id,
            remote_reference=message.reference,
            notice=notice,
        )
        audit_append(
            actor=None,
            verb=AuditVerb.FEDERATION_RECEIVED,
            obj=notice,
            organisation=recipient,
            payload={
                "peer": audit_peer(peer.url),
                "message": messages.NOTICE,
                "remote_reference": message.reference,
            },
        )
    logger.info("federation notice id=%s received from peer=%s", notice.id, peer.id)
    return Received(notice=notice, first=True)


def acknowledgement_receive(*, peer: Peer, message: messages.AcknowledgementIn) -> Received:
    """A peer says its recipient acknowledged one of our notices. Only a notice this
    deployment sent to that peer; recorded once, with who (name, role, as the peer said),
    when, and through which Sightline."""
    if not Delivery.objects.filter(
        notice_id=message.notice_id, channel=Channel.FEDERATION, address=peer.url
    ).exists():
        raise NotFoundOrNotAllowed()
    at = min(message.at, current_time())
    with transaction.atomic():
        notice = Notice.objects.select_for_update(of=("self",)).get(pk=message.notice_id)
        if notice.acknowledged_at is not None:
            return Received(notice=notice, first=False)
        notice.acknowledged_at = at
        notice.acknowledged_by_name = message.name
        notice.acknowledged_by_role = message.role
        notice.acknowledged_address = peer.url[:254]
        notice.save(
            update_fields=[
                "acknowledged_at",
                "acknowledged_by_name",
                "acknowledged_by_role",
                "acknowledged_address",
                "updated_at",
            ]
        )
        NoticeEvent.objects.create(
            notice=notice,
            event=NoticeEventKind.ACKNOWLEDGED,
            at=at,
            detail=f"By {message.name} ({message.role}), on the Sightline at {peer.url}"[:300],
        )
        digest = hashlib.sha256(
            "\n".join([message.name, message.role, peer.url, at.isoformat()]).encode()
        ).hexdigest()
        audit_append(
            actor=None,
            verb=AuditVerb.FEDERATION_ACKNOWLEDGED,
            obj=notice,
            child=notice.child_id,
            organisation=notice.recipient,
            payload={
                "notice_kind": str(notice.kind),
                "peer": audit_peer(peer.url),
                "digest": digest,
            },
            at=at,
        )
    logger.info("federation acknowledgement of notice id=%s from peer=%s", notice.id, peer.id)
    return Received(notice=notice, first=True)


def acknowledgement_queue(notice: Notice, actor: User, at: dt.datetime) -> None:
    """The acknowledgement hook (``notifications.services``): a notice that came from a peer
    and is acknowledged here first is acknowledged back to the peer, through the outbox, in
    the transaction of the acknowledgement."""
    inbound = InboundNotice.objects.select_related("peer").filter(notice_id=notice.pk).first()
    if inbound is None:
        return
    Delivery.objects.get_or_create(
        notice_id=notice.pk,
        channel=Channel.FEDERATION,
        address=inbound.peer.url,
        retry_of=None,
        defaults={"status": DeliveryStatus.CREATED, "next_attempt_at": at},
    )


def message_sent_record(*, delivery: Delivery, peer: Peer, message: str) -> None:
    """The peer took a message (2xx): on the sender's audit, beside the outbox's own event."""
    with transaction.atomic():
        audit_append(
            actor=None,
            verb=AuditVerb.FEDERATION_SENT,
            obj=delivery.notice,
            child=delivery.notice.child_id,
            organisation=delivery.notice.sender,
            payload={"peer": audit_peer(peer.url), "message": message},
        )
