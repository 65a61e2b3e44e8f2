"""A notice about a child this deployment holds no record of (one from another Sightline, ADR
37) carries the child's first name, the home and its postcode. Only roles that may read a
notice's child see them: an analyst, an administrator or an administrator API key sees that
the notice exists and no more (security review, 6 December)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from sightline.api.services import api_key_create
from sightline.core.timeutil import now
from sightline.notifications.access import access_notice
from sightline.notifications.selectors import notices_with_child_shown
from sightline.notifications.services import NoticeContent, notice_create
from sightline.organisations.models import Role
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def inbound():
    org = factories.council_org("356")
    notice = notice_create(
        kind="placement_start",
        subject_type="federated notice",
        subject_id=uuid.uuid4(),
        idempotency_key=f"test:{uuid.uuid4()}",
        child=None,
        recipient=org,
        sender=None,
        due_at=now() + dt.timedelta(days=1),
        actor=None,
        content=NoticeContent(
            kind_label="Placement notice",
            subject_line="A child placed in your area",
            date_label="Placement starts",
            effective_date=now().date(),
            child_name="Alex T",
            setting_name="Oakview House",
            setting_postcode="SK1 3XE",
            sender_name="Another council (Sightline at example.org)",
        ),
    )
    return org, notice


@pytest.mark.parametrize(
    ("role", "shown"),
    [
        (Role.MISSING_COORDINATOR, True),
        (Role.SOCIAL_WORKER, True),
        (Role.ANALYST, False),
        (Role.ADMINISTRATOR, False),
    ],
)
def test_only_roles_that_read_a_notices_child_see_its_details(inbound, role, shown) -> None:
    org, notice = inbound
    user = factories.user(org, role)
    listed = notices_with_child_shown(type(notice).objects.filter(pk=notice.pk), user=user)
    assert listed.get().child_shown is shown
    assert access_notice(user, notice.pk, purpose="Read the notice").shows_child is shown


def test_an_administrator_key_lists_the_notice_without_the_child(inbound) -> None:
    org, notice = inbound
    _, key = api_key_create(organisation=org, role=Role.ADMINISTRATOR, actor=None)
    client = factories.Client()
    response = client.get("/api/v1/notices", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert str(notice.pk) in body
    assert "Alex T" not in body and "Oakview House" not in body and "SK1 3XE" not in body
