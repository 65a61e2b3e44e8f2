"""The worker claims a report's alerts together and records them together (issue 13), and
never holds a claimed-but-unsent delivery when it stops or its channel fails."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sightline.core.prepared import is_prepared, prepared_clear
from sightline.notifications.delivery import deliver_due
from sightline.notifications.models import Channel, Delivery, DeliveryStatus, NoticeEvent
from tests.api.test_missing import report_body
from tests.api.test_missing_statements import alerted  # noqa: F401 - a fixture
from tests.notifications.conftest import free_port

pytestmark = pytest.mark.django_db


def _emails() -> list[Delivery]:
    return list(Delivery.objects.filter(channel=Channel.EMAIL).order_by("created_at"))


def _report(world) -> None:
    response = world.api("brightwater").post("/missing-episodes", report_body(world))
    assert response.status_code == 201, response.content


def test_a_reports_three_emails_are_claimed_and_recorded_together(alerted, mailoutbox):  # noqa: F811
    _report(alerted)
    with CaptureQueriesContext(connection) as captured:
        assert deliver_due() == 3
    # One look, one claim (choose, update, read back), one record (lock, update, events),
    # and the look that finds nothing more due; with the test's savepoints.
    assert len(captured) <= 12
    assert len(mailoutbox) == 3
    emails = _emails()
    assert {d.status for d in emails} == {DeliveryStatus.DELIVERED}
    assert all(d.lease_token is None and d.attempts == 1 for d in emails)
    # Each keeps its own provider reference (the Message-ID of its own e-mail).
    assert len({d.provider_reference for d in emails}) == 3
    assert {m.extra_headers["Message-ID"] for m in mailoutbox} == {
        d.provider_reference for d in emails
    }
    assert NoticeEvent.objects.filter(delivery__in=emails, event="delivered").count() == 3


def test_a_worker_told_to_stop_gives_back_what_it_has_not_sent(alerted, mailoutbox):  # noqa: F811
    _report(alerted)
    asked = []

    def stop_after_the_first() -> bool:
        asked.append(True)
        return len(asked) > 1  # the first question is before the claim

    assert deliver_due(should_stop=stop_after_the_first) == 1
    assert len(mailoutbox) == 1
    statuses = sorted((d.status, d.attempts, d.lease_token) for d in _emails())
    assert statuses == [
        (DeliveryStatus.CREATED, 0, None),
        (DeliveryStatus.CREATED, 0, None),
        (DeliveryStatus.DELIVERED, 1, None),
    ]
    # Given back, they are due at once: the next cycle sends them.
    assert deliver_due() == 2
    assert len(mailoutbox) == 3


def test_a_failed_send_gives_back_the_rest_of_the_batch(alerted, settings):  # noqa: F811
    _report(alerted)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_TIMEOUT = 2
    assert deliver_due() == 1  # the first fails; the others are not tried this cycle
    emails = sorted((d.status, d.attempts, d.lease_token) for d in _emails())
    assert emails == [
        (DeliveryStatus.CREATED, 0, None),
        (DeliveryStatus.CREATED, 0, None),
        (DeliveryStatus.TEMPORARY_FAILURE, 1, None),
    ]


def test_the_claim_and_the_record_go_through_sql_built_once(alerted, mailoutbox):  # noqa: F811
    """The claim's and the record's statements are prepared (``core.prepared``, issue 13):
    built from stand-ins, then sent with this batch's own ids, lease token, moments and
    Message-IDs, they change the rows as the querysets did."""
    prepared_clear()
    _report(alerted)
    assert deliver_due() == 3
    emails = _emails()
    assert {d.status for d in emails} == {DeliveryStatus.DELIVERED}
    assert all(d.lease_token is None and d.leased_until is None for d in emails)
    assert all(d.attempts == 1 and d.sent_at == d.delivered_at for d in emails)
    assert all(d.next_attempt_at is None and d.last_error == "" for d in emails)
    assert {m.extra_headers["Message-ID"] for m in mailoutbox} == {
        d.provider_reference for d in emails
    }
    assert NoticeEvent.objects.filter(delivery__in=emails, event="delivered").count() == 3
    for key in ("any_due", "claim", "claimed", "still_held", "delivered"):
        assert is_prepared(f"notifications.{key}"), key
