"""Escalation: a notice not acknowledged within 2 working days, or not sent by its due time,
is escalated once, to the right people, and the child's timeline shows it."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from sightline.notifications.escalation import escalations_run, notice_escalate
from sightline.notifications.models import (
    Channel,
    EscalationReason,
    Notice,
    NoticeEvent,
    NoticeEventKind,
    NoticeKind,
)
from sightline.notifications.services import contact_point_set, notice_acknowledge
from sightline.organisations.models import Role
from sightline.placements.notices import placement_notices
from tests.notices_web.conftest import SURNAME, World, make_child, record, signed_in, squash, user

pytestmark = pytest.mark.django_db

# Recorded Monday 5 January 2026 at 10:00: acknowledgement due by the end of Wednesday.
WEDNESDAY_NIGHT = dt.datetime(2026, 1, 7, 23, 0, tzinfo=dt.UTC)
THURSDAY = dt.datetime(2026, 1, 8, 0, 0, 1, tzinfo=dt.UTC)


def escalations() -> list[Notice]:
    return list(Notice.objects.filter(kind=NoticeKind.ESCALATION).order_by("created_at", "id"))


@pytest.fixture
def people(world: World):
    return {
        "host_manager": user(world.stockport, Role.TEAM_MANAGER, username="hostmanager"),
        "host_coordinator": user(world.stockport, Role.MISSING_COORDINATOR, username="coord"),
        "officer": user(world.southwark, Role.NOMINATED_OFFICER, username="officer"),
        "placing_manager": user(world.southwark, Role.TEAM_MANAGER, username="placingmanager"),
        "police_admin": user(world.police, Role.ADMINISTRATOR, username="policeadmin"),
    }


def _emails(notice: Notice) -> set[str]:
    return set(notice.deliveries.filter(channel=Channel.EMAIL).values_list("address", flat=True))


def test_not_escalated_within_two_working_days(world: World, people, frozen):
    assert world.host_notice.ack_due_at == dt.datetime(2026, 1, 7, 23, 59, 59, tzinfo=dt.UTC)
    frozen.move_to(WEDNESDAY_NIGHT)
    assert escalations_run() == 0
    assert escalations() == []


def test_escalated_once_after_two_working_days(world: World, people, frozen):
    frozen.move_to(THURSDAY)
    assert escalations_run() == 2  # the host council's and the police force's notices
    found = escalations()
    assert len(found) == 4
    by_late = {(e.escalates_id, e.recipient_id): e for e in found}
    host_to_host = by_late[(world.host_notice.id, world.stockport.id)]
    host_to_placing = by_late[(world.host_notice.id, world.southwark.id)]
    police_to_police = by_late[(world.police_notice.id, world.police.id)]
    assert (world.police_notice.id, world.southwark.id) in by_late
    # To the recipient's managers, and to the placing council's nominated officer.
    assert _emails(host_to_host) == {people["host_manager"].email}
    assert _emails(host_to_placing) == {people["officer"].email}
    assert _emails(police_to_police) == {people["police_admin"].email}
    for e in found:
        assert e.escalation_reason == EscalationReason.NOT_ACKNOWLEDGED
        assert e.child_id == world.robin.id
        assert e.child_name == "Robin Q."
        assert e.sender is None
        assert e.deliveries.filter(channel=Channel.IN_APP).count() == 1
    event = NoticeEvent.objects.get(notice=world.host_notice, event=NoticeEventKind.ESCALATED)
    assert event.at == THURSDAY
    assert event.detail == (
        "Not acknowledged by 7 January 2026: escalated to Stockport Council, Southwark Council"
    )

    # Again, now and later: nothing more.
    assert escalations_run() == 0
    frozen.move_to(THURSDAY + dt.timedelta(days=30))
    assert escalations_run() == 0
    assert len(escalations()) == 4
    assert (
        notice_escalate(
            notice_id=world.host_notice.id, reason=EscalationReason.NOT_ACKNOWLEDGED, now=THURSDAY
        )
        == []
    )
    assert NoticeEvent.objects.filter(event=NoticeEventKind.ESCALATED).count() == 2
    # Escalation notices are never escalated themselves.
    assert not Notice.objects.filter(escalates__kind=NoticeKind.ESCALATION).exists()


def test_an_acknowledged_notice_is_not_escalated(world: World, people, frozen):
    frozen.move_to(WEDNESDAY_NIGHT)
    notice_acknowledge(notice=world.host_notice, actor=people["host_coordinator"])
    frozen.move_to(THURSDAY)
    assert escalations_run() == 1
    assert {e.escalates_id for e in escalations()} == {world.police_notice.id}


def test_working_days_skip_christmas_and_boxing_day(world: World, people, frozen):
    frozen.move_to(dt.datetime(2026, 12, 24, 12, 0, tzinfo=dt.UTC))  # Thursday
    placement = record(make_child(), world.setting, start=dt.date(2027, 1, 4))
    notice = placement_notices(placement=placement).get(recipient=world.stockport)
    # Friday 25 and Monday 28 December (Boxing Day substitute) are bank holidays.
    assert notice.ack_due_at == dt.datetime(2026, 12, 30, 23, 59, 59, tzinfo=dt.UTC)
    frozen.move_to(dt.datetime(2026, 12, 30, 12, 0, tzinfo=dt.UTC))
    escalations_run()
    assert not notice.escalations.exists()
    frozen.move_to(dt.datetime(2026, 12, 31, 0, 0, 1, tzinfo=dt.UTC))
    escalations_run()
    assert notice.escalations.count() == 2


def test_a_notice_not_sent_by_its_due_time_is_flagged_to_the_placing_team_manager(
    world: World, people, frozen
):
    # Recorded on Monday 5 January for a placement that started on Friday 2 January.
    late = record(make_child(), world.setting, start=dt.date(2026, 1, 2))
    assert escalations_run() == 2
    flagged = [e for e in escalations() if e.escalation_reason == EscalationReason.NOT_SENT]
    assert {e.escalates.subject_id for e in flagged} == {late.id}
    assert {e.subject_id for e in flagged} == {late.id}
    assert {e.recipient_id for e in flagged} == {world.southwark.id}
    for e in flagged:
        assert _emails(e) == {people["placing_manager"].email}
    assert escalations_run() == 0
    # Robin's notices went in time; they are not flagged.
    assert not world.host_notice.escalations.exists()


def test_a_delivery_still_unsent_at_the_due_time_is_flagged(world: World, people, frozen):
    contact_point_set(
        organisation=world.stockport,
        kind="placement",
        channel="email",
        address="missing@stockport.example",
        actor=None,
    )
    notice = placement_notices(placement=record(make_child(), world.setting)).get(
        recipient=world.stockport
    )
    notice_acknowledge(notice=notice, actor=people["host_coordinator"])
    # No worker ran: the e-mail is still queued when the placement starts.
    frozen.move_to(dt.datetime(2026, 1, 11, 23, 59, tzinfo=dt.UTC))
    escalations_run()
    assert not notice.escalations.filter(escalation_reason=EscalationReason.NOT_SENT).exists()
    frozen.move_to(dt.datetime(2026, 1, 12, 0, 0, 1, tzinfo=dt.UTC))
    escalations_run()
    [flag] = notice.escalations.filter(escalation_reason=EscalationReason.NOT_SENT)
    assert flag.recipient == world.southwark


def test_escalations_reach_the_inbox_the_notice_page_and_the_timeline(world: World, people, frozen):
    frozen.move_to(THURSDAY)
    out = StringIO()
    call_command("escalate", stdout=out)
    assert out.getvalue().strip() == "Escalated 2 late notices."
    escalation = world.host_notice.escalations.get(recipient=world.stockport)

    manager = signed_in(people["host_manager"])
    inbox = manager.get("/notices/").content.decode()
    assert escalation.reference in inbox
    assert "Escalation notice" in inbox
    page = squash(manager.get(reverse("notice_detail", args=[escalation.id])).content.decode())
    assert (
        f"Placement notice {world.host_notice.reference} to Stockport Council was not "
        "acknowledged by 7 January 2026." in page
    )
    assert f'href="/notices/{world.host_notice.id}/"' in page
    # The escalation is for the recipient only: the placing council has its own.
    officer = signed_in(people["officer"])
    assert officer.get(reverse("notice_detail", args=[escalation.id])).status_code == 404

    timeline = (
        officer.get(reverse("child_detail", args=[world.robin.id])).context["timeline"].events
    )
    titles = [(e.on, e.title) for e in timeline]
    assert (THURSDAY.date(), "Placement notice escalated") in titles
    assert (THURSDAY.date(), "Escalation notice sent to Stockport Council") in titles


def test_the_worker_escalates_and_sends_the_escalation_emails(world: World, people, frozen):
    frozen.move_to(THURSDAY)
    call_command("worker", batch=True, verbosity=0)
    assert len(escalations()) == 4
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [
            people["host_manager"].email,
            people["police_admin"].email,
            people["officer"].email,
            people["officer"].email,
        ]
    )
    for message in mail.outbox:
        assert message.subject == (
            "Escalation: a placement notice about a child has not been acknowledged"
        )
        assert "Robin" not in message.body and "Child: shown when you sign in" in message.body
        assert SURNAME not in message.body
        assert "was not acknowledged by 7 January 2026." in message.body
    call_command("worker", batch=True, verbosity=0)
    assert len(mail.outbox) == 4
