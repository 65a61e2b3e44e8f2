"""Seeding and reading one deployment of the two-deployment federation test, run inside that
deployment's own process (``manage.py shell -c``) against its own database. Synthetic data
only. Each function prints one JSON line for the test to read."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from sightline.api.services import api_key_create
from sightline.audit.models import AuditEvent
from sightline.federation.models import Peer
from sightline.notifications.models import Channel, DirectoryEntry, Notice
from sightline.organisations.models import Role
from tests import factories

STOCKPORT = "356"  # the host council, which lives on deployment B
MANCHESTER = "352"  # the placing council, on deployment A


def _trust(peer_url: str, peer_key: str) -> int:
    """`sightline federation trust URL --key ID`: fetches the running peer's key set."""
    call_command("federation", "trust", peer_url, "--key", peer_key, stdout=io.StringIO())
    return Peer.objects.filter(url=peer_url, trusted_at__isnull=False).count()


def drain() -> None:
    """`sightline worker --batch`: every job once, every due delivery sent."""
    call_command("worker", batch=True, verbosity=0)
    print(json.dumps({"drained": True}))


def seed_sender(*, peer_url: str, peer_key: str) -> None:
    """A: Manchester places children; Stockport is not on A, and the directory says it is on
    the Sightline at ``peer_url``."""
    manchester = factories.council_org(MANCHESTER)
    stockport = factories.council_org(STOCKPORT)
    DirectoryEntry.objects.update_or_create(
        organisation=stockport,
        defaults={"sightline_url": peer_url, "source": "federation test (synthetic)"},
    )
    provider = factories.provider_org("Brightwater Care Ltd")
    setting = factories.setting(provider, "SK4 2AB", name="Larch House")
    _, key = api_key_create(organisation=manchester, role=None, name="fed test", actor=None)
    trusted = _trust(peer_url, peer_key)
    print(json.dumps({"key": key, "setting_id": str(setting.id), "trusted": trusted}))


def seed_receiver(*, peer_url: str, peer_key: str) -> None:
    """B: Stockport's missing children coordinator uses this Sightline."""
    stockport = factories.council_org(STOCKPORT)
    factories.user(stockport, Role.MISSING_COORDINATOR, username="coordinator.stockport")
    _, key = api_key_create(
        organisation=stockport, role=Role.MISSING_COORDINATOR, name="fed test", actor=None
    )
    print(json.dumps({"key": key, "trusted": _trust(peer_url, peer_key)}))


def notices_state() -> None:
    """The notices on this deployment, their federation deliveries and the audit's verbs."""
    notices = [
        {
            "id": str(n.id),
            "kind": n.kind,
            "recipient_council": n.recipient.council_id,
            "acknowledged": n.acknowledged_at is not None,
            "acknowledged_by": n.acknowledged_by_text,
            "acknowledged_address": n.acknowledged_address,
            "federation": sorted(
                d.status for d in n.deliveries.all() if d.channel == Channel.FEDERATION
            ),
        }
        for n in Notice.objects.select_related("recipient", "acknowledged_by").order_by("kind")
    ]
    verbs = sorted(AuditEvent.objects.values_list("verb", flat=True))
    print(json.dumps({"notices": notices, "verbs": verbs}))
