"""The data migration to the generic outbox (``notifications`` 0005-0007, ADR 0009).

Notices made before it keep everything a recipient has seen (reference, content, deliveries
and their statuses) and gain the subject, content and idempotency key the domains now build,
so that replaying an old change finds the old notice and sends nothing again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sightline.access.breakglass import break_glass_open
from sightline.core.timeutil import now
from sightline.missing.notices import AlertKind
from sightline.notifications.escalation import escalations_run
from sightline.notifications.models import Delivery, DeliveryStatus, Notice
from sightline.placements.notices import (
    BREAK_GLASS_KIND,
    PlacementNoticeKind,
    notices_for_admission,
    notices_for_placement_recorded,
)
from tests.missing.conftest import make_world, report

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0004_break_glass_notice")]
JUSTIFICATION = (
    "The child was found by officers late at night and staff at the home cannot be reached; "
    "we need the care plan to keep the child safe."
)
KEPT = (
    "reference",
    "kind",
    "child_id",
    "recipient_id",
    "sender_id",
    "due_at",
    "ack_due_at",
    "child_name",
    "setting_name",
    "setting_postcode",
    "area_name",
    "effective_date",
    "placing_council_name",
    "sender_name",
    "sender_contact",
    "acknowledged_at",
)
CARRIED = (
    "subject_type",
    "subject_id",
    "idempotency_key",
    "kind_label",
    "subject_line",
    "date_label",
    "subject_path",
    "subject_link_text",
    "chase_acknowledgement",
)


def _migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate the test database to ``targets``; the app registry of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _snapshot() -> dict[Any, dict[str, Any]]:
    return {
        n.id: {name: getattr(n, name) for name in (*KEPT, *CARRIED)} for n in Notice.objects.all()
    }


def _deliveries() -> dict[Any, tuple[Any, ...]]:
    return {
        d.id: (d.notice_id, d.channel, d.address, d.status, d.attempts)
        for d in Delivery.objects.all()
    }


def test_old_notices_get_subjects_content_and_keys_and_nothing_is_sent_again():
    world = make_world()
    notices_for_placement_recorded(placement=world.placement, actor=None)
    episode = report(world)
    break_glass_open(user=world.other_officer, child_id=world.child.id, justification=JUSTIFICATION)
    assert escalations_run(now=now() + dt.timedelta(days=10)) > 0
    made_here = _snapshot()
    kinds = {row["kind"] for row in made_here.values()}
    assert {
        PlacementNoticeKind.PLACEMENT,
        AlertKind.MISSING,
        BREAK_GLASS_KIND,
        "escalation",
    } <= kinds

    latest = _latest()
    try:
        old = _migrate(BEFORE)
        OldNotice = old.get_model("notifications", "Notice")
        OldDelivery = old.get_model("notifications", "Delivery")
        # The way back gives each placement notice its placement again.
        for notice in OldNotice.objects.filter(kind=PlacementNoticeKind.PLACEMENT):
            assert notice.placement_id == world.placement.id
        # A notice made before the change, as the old engine made it, with deliveries in
        # every state a worker may have left them.
        at = now()
        admission = OldNotice.objects.create(
            kind=PlacementNoticeKind.ADMISSION,
            child_id=world.child.id,
            placement_id=world.placement.id,
            sender_id=world.provider.id,
            recipient_id=world.host.id,
            reference="SL-0000-0000-0000-0001",
            due_at=at,
            ack_due_at=at + dt.timedelta(days=2),
            child_name="Robin Q.",
            setting_name="Larch House",
            setting_postcode="SK4 2AB",
            area_name="Stockport",
            effective_date=world.placement.start_date,
            placing_council_name="Southwark Council",
            sender_name=world.provider.name,
            escalation_reason="",
        )
        statuses = [
            DeliveryStatus.DELIVERED,
            DeliveryStatus.TECHNICAL_FAILURE,
            DeliveryStatus.TEMPORARY_FAILURE,
        ]
        for i, status in enumerate(statuses):
            OldDelivery.objects.create(
                notice_id=admission.id,
                channel="email",
                address=f"team{i}@stockport.example",
                status=status,
                attempts=i + 1,
            )
    finally:
        _migrate(latest)

    # Everything the recipients have seen is unchanged; what is new is carried over.
    # Emergency access alerts have said more than this migration's frozen texts since ADR 0015
    # (who, and a link to the review): a round trip rebuilds their old wording, so for them
    # and their escalations only the kept fields are compared.
    rebuilt = set(Notice.objects.filter(kind=BREAK_GLASS_KIND).values_list("id", flat=True)) | set(
        Notice.objects.filter(escalates__kind=BREAK_GLASS_KIND).values_list("id", flat=True)
    )

    def _seen(snapshot: dict[Any, dict[str, Any]]) -> dict[Any, dict[str, Any]]:
        return {
            pk: {k: v for k, v in row.items() if pk not in rebuilt or k in KEPT}
            for pk, row in snapshot.items()
        }

    assert _seen(_snapshot()) == _seen({**made_here, admission.id: _snapshot()[admission.id]})
    carried = Notice.objects.get(pk=admission.id)
    assert carried.subject_type == "placements.placement"
    assert carried.subject_id == world.placement.id
    assert carried.kind_label == "Admission notice"
    assert carried.date_label == "Admitted on"
    assert carried.subject_line == (
        "Admission notice: a child placed by Southwark Council admitted to a home in Stockport"
    )
    assert carried.chase_acknowledgement
    assert sorted(carried.deliveries.values_list("status", "attempts")) == sorted(
        (status, i + 1) for i, status in enumerate(statuses)
    )
    alert = Notice.objects.filter(kind=AlertKind.MISSING).first()
    assert alert is not None
    assert alert.subject_id == episode.id
    assert alert.subject_path == f"/episodes/{episode.id}/"

    # Replaying the changes finds the old notices: no notice and no delivery is added.
    deliveries = _deliveries()
    count = Notice.objects.count()
    (again,) = notices_for_admission(placement=world.placement, actor=None)
    assert again.id == admission.id
    notices_for_placement_recorded(placement=world.placement, actor=None)
    assert Notice.objects.count() == count
    assert _deliveries() == deliveries
