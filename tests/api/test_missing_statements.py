"""A missing report costs a fixed number of SQL statements (issue 13).

Each agency alerted used to cost about nine statements (its own savepoint, idempotency
look-up, contact-point look-up and inserts); the alerts of a report are now written together.
These tests pin the counts, not timings: a change that adds statements to the busiest write
fails here and has to say why. Ada's report alerts three agencies, each with an e-mail
contact point, as in ``benchmarks/missing``.
"""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sightline.missing.models import EpisodeNotice
from sightline.missing.notices import AlertKind
from sightline.notifications.delivery import deliver_due
from sightline.notifications.models import Channel, Delivery, DeliveryStatus, NoticeEvent
from sightline.notifications.services import contact_point_set
from tests.api.test_missing import report_body

pytestmark = pytest.mark.django_db

# The request, in one transaction: the key and its last use; the idempotency record; the
# child and the access check (once: the service takes the operation's check); the risk grade
# with its list; the placement; the child's lock and the overlap check; the police; the
# episode, the police grant and its access record; the audit event (and its sealing after the
# commit); the two councils in one query; the three alerts (one look-up of their keys, one of
# contact points, one of the recipients' people's subscriptions and one of their urgent
# acknowledgement targets (issue 14), one insert each of notices, deliveries, events and
# episode links); the triggers; the answer's reads; the idempotency record's answer.
REPORT_STATEMENTS = 45
# Before issue 13's cuts: 70 (each alert wrote alone, the access check ran twice, the risk
# grade list was read on its own, and each council and the police were looked up again).


@pytest.fixture
def alerted(world):
    for org in (world.manchester, world.stockport, world.gmp):
        contact_point_set(
            organisation=org,
            kind=AlertKind.MISSING,
            channel=Channel.EMAIL,
            address=f"missing@{org.pk}.example",
            actor=None,
        )
    return world


def test_a_missing_report_takes_a_fixed_number_of_statements(alerted):
    client = alerted.api("brightwater")
    client.get("/missing-now")  # warms what a first request loads
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            "/missing-episodes", report_body(alerted), **{"Idempotency-Key": str(uuid.uuid4())}
        )
    assert response.status_code == 201, response.content
    assert len(captured) <= REPORT_STATEMENTS
    # The same rows as before the cut: three alerts, each with its inbox and its e-mail, a
    # "created" event and a link to the episode.
    references = {a["reference"] for a in response.json()["alerts"]}
    assert len(references) == 3
    assert EpisodeNotice.objects.filter(notice__reference__in=references).count() == 3
    deliveries = Delivery.objects.filter(notice__reference__in=references)
    assert sorted(deliveries.values_list("channel", "status")) == sorted(
        [(Channel.EMAIL, DeliveryStatus.CREATED)] * 3
        + [(Channel.IN_APP, DeliveryStatus.DELIVERED)] * 3
    )
    assert NoticeEvent.objects.filter(notice__reference__in=references).count() == 3
    # Each e-mail goes to its own agency's contact point.
    for delivery in deliveries.filter(channel=Channel.EMAIL).select_related("notice"):
        assert delivery.address == f"missing@{delivery.notice.recipient_id}.example"


def test_a_report_is_idempotent_in_the_same_statements(alerted):
    client = alerted.api("brightwater")
    key, body = str(uuid.uuid4()), report_body(alerted)
    first = client.post("/missing-episodes", body, **{"Idempotency-Key": key})
    assert first.status_code == 201
    with CaptureQueriesContext(connection) as captured:
        again = client.post("/missing-episodes", body, **{"Idempotency-Key": key})
    assert again.json() == first.json()
    assert len(captured) <= 6


def test_delivering_a_reports_alerts_takes_a_bounded_number_of_statements(alerted):
    client = alerted.api("brightwater")
    response = client.post("/missing-episodes", report_body(alerted))
    assert response.status_code == 201
    with CaptureQueriesContext(connection) as captured:
        sent = deliver_due()
    assert sent == 3
    assert len(captured) <= 32
