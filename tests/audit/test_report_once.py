"""A missing report sent through the page is one event on the chain: opening the form is a
look (one read event), sending it is the report (one write event naming the police grant),
not a look, a change and a grant (three locks of the chain head)."""

from __future__ import annotations

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from tests.factories import signed_in
from tests.missing_web.conftest import (  # noqa: F401  (fixtures)
    World,
    _private_media,
    _risk_grades,
    at_monday,
    post_report,
    report_url,
    world,
)

pytestmark = pytest.mark.django_db


def _after(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def _last() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def test_opening_the_form_is_a_look_and_sending_it_one_event(
    world: World,  # noqa: F811
    at_monday: None,  # noqa: F811
) -> None:
    client = signed_in(world.home_staff)
    before = _last()
    assert client.get(report_url(world)).status_code == 200
    [look] = _after(before)
    assert (look.verb, look.payload) == (
        AuditVerb.CHILD_VIEWED,
        {"action": "record missing episode"},
    )
    before = look.seq
    response = post_report(client, world)
    assert response.status_code == 302, response.content
    [event] = _after(before)
    assert event.verb == AuditVerb.MISSING_REPORTED and event.grant_id is not None
    assert (event.user_id, event.child_id) == (world.home_staff.id, world.child.id)
