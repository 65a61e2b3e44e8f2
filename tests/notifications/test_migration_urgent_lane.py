"""The data migration of the urgent lane (``notifications`` 0009): alerts sent before it join
the lane with the default 30-minute target; other notices stay out of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from sightline.notifications.models import Notice
from sightline.notifications.selectors import urgent_waiting
from tests.missing.conftest import make_world, report

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notifications", "0008_notice_deadline_indexes")]


def _migrate(targets: list[tuple[str, str]]) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)


def test_alerts_sent_before_the_lane_join_it_with_the_default_target():
    world = make_world()
    report(world)
    from sightline.placements.notices import notices_for_placement_recorded

    notices_for_placement_recorded(placement=world.placement, actor=None)
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE)
    finally:
        _migrate(latest)
    alerts = list(Notice.objects.filter(kind="missing"))
    assert len(alerts) == 3
    for alert in alerts:
        assert alert.urgent_ack_due_at == alert.created_at + dt.timedelta(minutes=30)
    assert Notice.objects.filter(kind="placement").exists()
    assert not Notice.objects.filter(kind="placement", urgent_ack_due_at__isnull=False).exists()
    assert urgent_waiting(organisation=world.host).count() == 1
