"""Urgent alerts (a child missing, away or safe) are retried within 30 seconds of a failure and
taken back within 30 seconds of a dead worker; placement notices keep the gentler schedule.

The outbox knows no domain: each domain registers its kinds' urgency (ADR 21).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine
from django.utils import timezone

from sightline.missing.models import RiskGrade, RiskGradeList
from sightline.missing.reference import risk_grade_lists_load
from sightline.notifications.delivery import deliveries_sweep, delivery_claim_next
from sightline.notifications.models import Channel, Delivery, DeliveryStatus
from sightline.notifications.urgency import Urgency, urgency_of
from sightline.placements.notices import notices_for_placement_recorded
from tests.missing.conftest import World, make_world, report
from tests.notifications.conftest import free_port, run_worker

pytestmark = pytest.mark.django_db

URGENT_KINDS = ("missing", "away", "found")
STANDARD_KINDS = ("placement", "admission", "discharge", "break-glass", "escalation")
START = dt.datetime(2026, 2, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def world(db: None) -> Iterator[World]:
    if not RiskGradeList.objects.exists():
        risk_grade_lists_load(list_model=RiskGradeList, grade_model=RiskGrade)
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, 0, tzinfo=dt.UTC), tick=False):
        yield make_world()


@pytest.fixture
def smtp_down(settings) -> None:
    """E-mail to a port nothing listens on: every attempt is a temporary failure."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2


def alerts_and_placement_notices(world: World) -> None:
    """A missing alert and the placement's notices, all e-mailed."""
    report(world)
    notices_for_placement_recorded(placement=world.placement, actor=None)


def emails(kind: str) -> list[Delivery]:
    return list(Delivery.objects.filter(channel=Channel.EMAIL, notice__kind=kind))


def test_the_domains_declare_how_urgent_their_notices_are():
    for kind in URGENT_KINDS:
        assert urgency_of(kind) is Urgency.URGENT, kind
    for kind in (*STANDARD_KINDS, "a-kind-nobody-declared"):
        assert urgency_of(kind) is Urgency.STANDARD, kind


def test_a_failed_alert_is_retried_within_30_seconds_a_placement_notice_later(
    smtp_down: None, world: World
):
    with time_machine.travel(START, tick=False):
        alerts_and_placement_notices(world)
    assert emails("missing") and emails("placement")

    waits: dict[str, list[float]] = {"missing": [], "placement": []}
    at = START
    for _ in range(6):
        with time_machine.travel(at, tick=False):
            run_worker()
        for kind, found in waits.items():
            for delivery in emails(kind):
                if (
                    delivery.status == DeliveryStatus.TEMPORARY_FAILURE
                    and delivery.updated_at == at
                ):
                    assert delivery.next_attempt_at is not None
                    found.append((delivery.next_attempt_at - at).total_seconds())
        due = Delivery.objects.filter(status=DeliveryStatus.TEMPORARY_FAILURE)
        at = min(d.next_attempt_at for d in due if d.next_attempt_at is not None)

    assert waits["missing"] and max(waits["missing"]) <= 20  # + a poll interval: < 30 s
    assert sorted(set(waits["missing"])) == [5.0, 10.0, 20.0]
    assert sorted(set(waits["placement"])) == [30.0, 60.0]  # the gentle schedule, unchanged
    # After six rounds an alert is still being retried, not given up.
    assert {d.status for d in emails("missing")} == {DeliveryStatus.TEMPORARY_FAILURE}


def test_an_alert_held_by_a_dead_worker_is_taken_back_within_30_seconds(world: World):
    with time_machine.travel(START, tick=False):
        alerts_and_placement_notices(world)
        held = []
        while (claimed := delivery_claim_next()) is not None:
            held.append(claimed)  # ...and the worker dies holding them all
    kinds = [d.notice.kind for d in held]
    # Alerts are claimed before notices that can wait.
    assert kinds == sorted(kinds, key=lambda k: k != "missing")
    alert_leases = {
        (d.leased_until - START).total_seconds() for d in held if d.notice.kind == "missing"
    }
    notice_leases = {
        (d.leased_until - START).total_seconds() for d in held if d.notice.kind == "placement"
    }
    assert alert_leases == {20.0}
    assert notice_leases == {300.0}

    with time_machine.travel(START + dt.timedelta(seconds=21), tick=False):
        assert deliveries_sweep() == len(emails("missing"))
        assert {d.status for d in emails("missing")} == {DeliveryStatus.TEMPORARY_FAILURE}
        assert {d.status for d in emails("placement")} == {DeliveryStatus.SENDING}
        # Due at once, for the next worker's cycle.
        assert all(d.next_attempt_at <= timezone.now() for d in emails("missing"))
