"""Every notice event is on the child's timeline: created, delivered per channel, acknowledged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from sightline.notifications.services import contact_point_set, notice_acknowledge
from sightline.organisations.models import Role
from sightline.placements.notices import placement_notices
from tests.notices_web.conftest import RECORDED_AT, World, make_child, record, signed_in, user

pytestmark = pytest.mark.django_db


def test_notice_events_on_the_timeline_newest_first(world: World, frozen):
    contact_point_set(
        organisation=world.stockport,
        kind="placement",
        channel="email",
        address="missing@stockport.example",
        actor=None,
    )
    child = make_child(first_name="Sam")
    placement = record(child, world.setting)
    notice = placement_notices(placement=placement).get(recipient=world.stockport)
    frozen.move_to(RECORDED_AT + dt.timedelta(minutes=1))
    call_command("worker", batch=True, verbosity=0)
    assert [m.to for m in mail.outbox] == [["missing@stockport.example"]]
    coordinator = user(world.stockport, Role.MISSING_COORDINATOR)
    frozen.move_to(RECORDED_AT + dt.timedelta(days=1))
    notice_acknowledge(notice=notice, actor=coordinator)

    client = signed_in(user(world.southwark))
    response = client.get(reverse("child_detail", args=[child.id]))
    events = [(e.on, e.title, e.detail) for e in response.context["timeline"].events]
    reference = f"Reference {notice.reference}."
    police_reference = placement_notices(placement=placement).get(recipient=world.police).reference
    assert events[0] == (
        dt.date(2026, 1, 6),
        "Placement notice acknowledged by Stockport Council",
        f"Acknowledged by {coordinator.get_full_name()}. {reference}",
    )
    # Both notices were created in the same transaction, at the same moment. The delivery
    # receipt is folded under the notice it belongs to (issue 14), not an entry of its own.
    assert set(events[1:]) == {
        (
            dt.date(2026, 1, 5),
            "Placement notice sent to Greater Manchester Police",
            f"From Southwark Council. Reference {police_reference}.",
        ),
        (
            dt.date(2026, 1, 5),
            "Placement notice sent to Stockport Council",
            f"From Southwark Council. {reference}",
        ),
    }
    sent = next(e for e in response.context["timeline"].events if "sent to Stockport" in e.title)
    assert [(r.on, r.title, r.detail) for r in sent.receipts] == [
        (
            dt.date(2026, 1, 5),
            "Placement notice delivered: E-mail",
            f"To Stockport Council. {reference}",
        )
    ]
    alone = client.get(reverse("child_detail", args=[child.id]), {"kind": "deliveries"})
    assert [e.title for e in alone.context["timeline"].events] == [
        "Placement notice delivered: E-mail"
    ]
    html = response.content.decode()
    assert html.index("acknowledged by Stockport Council") < html.index("delivered: E-mail")


def test_discharge_and_admission_notices_are_on_the_timeline_too(world: World, frozen):
    frozen.move_to(dt.datetime(2026, 1, 12, 12, 0, tzinfo=dt.UTC))
    home = signed_in(user(world.brightwater, Role.HOME_MANAGER))
    home.post(reverse("placement_admission", args=[world.placement.id]))
    frozen.move_to(dt.datetime(2026, 2, 2, 12, 0, tzinfo=dt.UTC))
    placing = signed_in(user(world.southwark))
    placing.post(
        reverse("placement_end", args=[world.placement.id]),
        {"end_date_0": "2", "end_date_1": "2", "end_date_2": "2026"},
    )
    timeline = (
        placing.get(reverse("child_detail", args=[world.robin.id])).context["timeline"].events
    )
    titles = [e.title for e in timeline]
    assert "Admission notice sent to Stockport Council" in titles
    assert "Discharge notice sent to Stockport Council" in titles
    assert "Discharge notice sent to Greater Manchester Police" in titles
    assert titles.index("Discharge notice sent to Stockport Council") < titles.index(
        "Admission notice sent to Stockport Council"
    )
