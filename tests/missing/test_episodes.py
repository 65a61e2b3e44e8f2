"""Report, update and close an episode: alerts reach every agency, e-mails reach a real SMTP
server, and the police see the safety profile only from the report until 72 hours after the
return."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine

from sightline.access.models import AccessGrant, AccessRecord, GrantReason
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.missing.models import (
    AlertEvent,
    Episode,
    EpisodeNotice,
    FoundBy,
    ReturnInterview,
    Task,
    TaskKind,
)
from sightline.missing.notices import AlertKind
from sightline.missing.selectors import (
    episodes_open_for,
    previous_episodes,
    safety_profile_for_user,
    ssda903_missing_rows,
)
from sightline.missing.services import (
    alert_policy_set,
    episode_close,
    episode_report,
    safety_profile_update,
)
from sightline.notifications.models import Channel, Delivery, DeliveryStatus, Notice
from sightline.notifications.selectors import notices_received
from sightline.placements.notices import PlacementNoticeKind
from tests.missing.conftest import (
    DOB_FORMS,
    MONDAY,
    SURNAME,
    World,
    report,
    run_worker,
)
from tests.notifications.conftest import SmtpServer

pytestmark = pytest.mark.django_db


def test_a_missing_report_reaches_the_three_agencies_and_their_inboxes_by_email(
    world: World, smtp_server: SmtpServer, at_monday
):
    episode = report(world)

    notices = Notice.objects.filter(child=world.child).exclude(kind=PlacementNoticeKind.PLACEMENT)
    assert {n.recipient for n in notices} == {world.placing, world.host, world.police}
    assert {n.kind for n in notices} == {AlertKind.MISSING}
    for org in (world.placing, world.host, world.police):
        (notice,) = notices_received(organisation=org).filter(kind=AlertKind.MISSING)
        assert notice.sender == world.provider
        assert notice.setting_name == "Larch House"
        assert notice.area_name == "Stockport"
        assert notice.effective_date == dt.date(2026, 2, 2)
        assert notice.missing_episode_link.episode == episode
        assert notice.missing_episode_link.event == AlertEvent.REPORTED

    run_worker()

    received = {
        r.rcpt_tos[0]: r
        for r in smtp_server.received
        if r.message["Subject"].startswith("Missing alert")
    }
    assert set(received) == {
        "children@southwark.example",
        "missing@stockport.example",
        "mispers@gmp.example",
    }
    for message in received.values():
        assert message.message["Subject"] == (
            "Missing alert: a child placed by Southwark Council is missing from a placement in "
            "Stockport"
        )
        body = message.message.get_content()
        assert "Child: shown when you sign in" in body and "Robin" not in body
        assert "Where: Larch House, SK4 2AB (Stockport)" in body
        assert "Last seen: 2 February 2026" in body
        # No surname, no date of birth, and none of the free text of the report.
        raw = message.raw
        assert SURNAME.lower() not in raw.lower()
        for form in DOB_FORMS:
            assert form not in raw
        assert "back gate" not in raw and "puffer" not in raw
    emails = Delivery.objects.filter(channel=Channel.EMAIL, notice__kind=AlertKind.MISSING)
    assert set(emails.values_list("status", flat=True)) == {DeliveryStatus.DELIVERED}


def test_police_see_the_profile_only_from_the_report(world: World, at_monday):
    safety_profile_update(
        actor=world.home_manager,
        child=world.child,
        description="Slim, about 5 ft 4, short dark hair",
        associates="Older males in a grey car",
        known_risks="Approached near the bus station",
    )
    with pytest.raises(NotFoundOrNotAllowed) as before:
        safety_profile_for_user(user=world.officer, child_id=world.child.id, purpose="test")
    with pytest.raises(NotFoundOrNotAllowed) as absent:
        safety_profile_for_user(user=world.officer, child_id=uuid.uuid4(), purpose="test")
    assert str(before.value) == str(absent.value)
    assert not AccessRecord.objects.filter(action="view safety profile").exists()

    episode = report(world)

    grant = AccessGrant.objects.get(child=world.child)
    assert grant.organisation == world.police
    assert grant.reason == GrantReason.MISSING_EPISODE
    assert grant.about_id == episode.id
    assert grant.starts_at == MONDAY and grant.ends_at is None
    assert grant.created_by == world.home_staff
    created = AccessRecord.objects.get(action="grant")
    assert created.grant == grant and created.user == world.home_staff

    view = safety_profile_for_user(user=world.officer, child_id=world.child.id, purpose="search")
    assert view.profile is not None
    assert view.profile.associates == "Older males in a grey car"
    assert [e.episode_id for e in view.previous_episodes] == [episode.id]
    record = AccessRecord.objects.get(action="view safety profile")
    assert record.user == world.officer
    assert record.grant == grant
    assert record.purpose == "search"
    assert "time-boxed grant" in record.involvement

    # Another force has no grant.
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_for_user(user=world.other_officer, child_id=world.child.id, purpose="x")


def test_the_grant_ends_72_hours_after_the_return(world: World, at_monday):
    episode = report(world)
    returned_at = MONDAY + dt.timedelta(hours=5)
    with time_machine.travel(returned_at + dt.timedelta(minutes=10), tick=False):
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=returned_at,
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
            condition="Tired and hungry",
        )
    grant = AccessGrant.objects.get(child=world.child)
    assert grant.ends_at == returned_at + dt.timedelta(hours=72)
    with time_machine.travel(returned_at + dt.timedelta(hours=71, minutes=59), tick=False):
        safety_profile_for_user(user=world.officer, child_id=world.child.id, purpose="debrief")
    with (
        time_machine.travel(returned_at + dt.timedelta(hours=72), tick=False),
        pytest.raises(NotFoundOrNotAllowed),
    ):
        safety_profile_for_user(user=world.officer, child_id=world.child.id, purpose="late")


def test_closing_records_where_the_child_was_found_and_tells_everyone_the_child_is_safe(
    world: World, smtp_server: SmtpServer, at_monday
):
    episode = report(world)
    run_worker()
    smtp_server.received.clear()
    returned_at = MONDAY + dt.timedelta(hours=20)
    with time_machine.travel(returned_at + dt.timedelta(minutes=30), tick=False):
        closed = episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=returned_at,
            where_postcode="sw1a 1aa",
            place="Outside a station",
            found_by=FoundBy.POLICE,
            found_by_detail="Metropolitan Police",
            condition="Cold, no injuries seen",
        )
        run_worker()

    assert closed.found_postcode == "SW1A 1AA"
    assert closed.found_council is not None and closed.found_council.name == "Westminster"
    assert closed.found_police_force is not None
    assert closed.found_police_force.code == "E23000001"
    assert closed.found_outside_host_area is True
    assert closed.found_in_other_force_area is True
    assert closed.mis_end == dt.date(2026, 2, 3)

    safe = Notice.objects.filter(kind=AlertKind.FOUND)
    assert {n.recipient for n in safe} == {world.placing, world.host, world.police}
    assert {n.effective_date for n in safe} == {dt.date(2026, 2, 3)}
    safe_emails = [r for r in smtp_server.received if r.message["Subject"].startswith("Child safe")]
    assert {r.message["Subject"] for r in safe_emails} == {
        "Child safe: a child placed by Southwark Council, missing or away from a placement in "
        "Stockport, has returned or been found"
    }
    assert sorted(r.rcpt_tos[0] for r in safe_emails) == [
        "children@southwark.example",
        "mispers@gmp.example",
        "missing@stockport.example",
    ]

    (task,) = Task.objects.filter(kind=TaskKind.EXPLOITATION_SCREENING)
    assert task.assignee == world.placing and task.created_from == episode
    interview = ReturnInterview.objects.get()
    assert list(interview.episodes.all()) == [episode]
    assert interview.due_at == returned_at + dt.timedelta(hours=72)
    assert interview.service == world.placing

    summary = previous_episodes(child=world.child)[0]
    assert summary.found_police_force == "Metropolitan Police"
    assert summary.duration == dt.timedelta(hours=21)

    with pytest.raises(ValidationError, match="already recorded"):
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=MONDAY,
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )
    assert Notice.objects.filter(kind=AlertKind.FOUND).count() == 3


def test_found_in_the_host_area_is_no_exploitation_prompt(world: World, at_monday):
    episode = report(world)
    closed = episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=MONDAY,
        where_postcode="M1 1AE",  # Manchester: another council, the same force
        found_by=FoundBy.CARERS,
    )
    assert closed.found_outside_host_area is True
    assert closed.found_in_other_force_area is False
    assert not Task.objects.filter(kind=TaskKind.EXPLOITATION_SCREENING).exists()


def test_a_place_without_a_postcode_leaves_the_flags_unknown(world: World, at_monday):
    episode = report(world)
    closed = episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=MONDAY,
        place="A friend's flat, address not known",
        found_by=FoundBy.SELF,
    )
    assert closed.found_outside_host_area is None
    assert closed.found_in_other_force_area is None


def test_away_alerts_the_police_only_when_they_ask_or_were_told(world: World, at_monday):
    episode = report(world, kind="away", reported_to_police=False, police_reference="")
    assert episode.missing_code == "A"
    assert episode.police_alerted is False
    alerts = Notice.objects.exclude(kind=PlacementNoticeKind.PLACEMENT)
    assert {n.recipient for n in alerts} == {world.placing, world.host}
    assert {n.kind for n in alerts} == {AlertKind.AWAY}
    assert not AccessGrant.objects.exists()
    assert list(episodes_open_for(user=world.officer)) == []
    with pytest.raises(NotFoundOrNotAllowed):
        safety_profile_for_user(user=world.officer, child_id=world.child.id, purpose="x")
    episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=MONDAY,
        where_postcode="SK4 2AB",
        found_by=FoundBy.SELF,
    )
    assert {n.recipient for n in Notice.objects.filter(kind=AlertKind.FOUND)} == {
        world.placing,
        world.host,
    }

    # Reported to the police: the force is told, and gets its grant.
    with time_machine.travel(MONDAY + dt.timedelta(days=1), tick=False):
        told = report(world, kind="away", reported_to_police=True)
    assert told.police_alerted is True
    assert AccessGrant.objects.filter(about_id=told.id, organisation=world.police).exists()


def test_a_force_can_ask_for_away_alerts(world: World, at_monday):
    admin = world.police.users.create(username="gmp-admin", role="administrator")
    alert_policy_set(actor=admin, organisation=world.police, receives_away_alerts=True)
    episode = report(world, kind="away", reported_to_police=False, police_reference="")
    assert episode.police_alerted is True
    assert Notice.objects.filter(recipient=world.police, kind=AlertKind.AWAY).exists()
    with pytest.raises(NotFoundOrNotAllowed):
        alert_policy_set(actor=world.officer, organisation=world.police, receives_away_alerts=False)


def test_903_fields_are_london_dates_and_codes(world: World):
    # 23:30 UTC on 1 July 2026 is 00:30 on 2 July in London (BST).
    last_seen = dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC)
    with time_machine.travel(last_seen + dt.timedelta(hours=1), tick=False):
        episode = report(world, last_seen_at=last_seen)
        episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=last_seen + dt.timedelta(minutes=50),
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )
    episode.refresh_from_db()
    assert (episode.missing_code, episode.mis_start, episode.mis_end) == (
        "M",
        dt.date(2026, 7, 2),
        dt.date(2026, 7, 2),
    )
    rows = ssda903_missing_rows(
        council_id=world.child.placing_council_id,
        start=dt.date(2026, 4, 1),
        end=dt.date(2027, 3, 31),
    )
    assert rows == [
        {
            "CHILD": world.child.child_ref,
            "DOB": "17/03/2011",
            "MISSING": "M",
            "MIS_START": "02/07/2026",
            "MIS_END": "02/07/2026",
        }
    ]


def test_one_open_episode_at_a_time_and_no_overlaps(world: World, at_monday):
    episode = report(world)
    with pytest.raises(ValidationError, match="already recorded as missing"):
        report(world)
    episode_close(
        actor=world.home_staff,
        episode=episode,
        returned_at=MONDAY - dt.timedelta(minutes=10),
        where_postcode="SK4 2AB",
        found_by=FoundBy.SELF,
    )
    with pytest.raises(ValidationError, match="cannot overlap"):
        report(world, last_seen_at=MONDAY - dt.timedelta(minutes=30))
    assert Episode.objects.count() == 1


def test_only_involved_organisations_report(world: World, at_monday):
    for who in (world.other_home_staff, world.other_council_worker, world.other_officer):
        with pytest.raises(NotFoundOrNotAllowed):
            report(world, actor=who)
    assert not Episode.objects.exists()
    assert not Notice.objects.exclude(kind=PlacementNoticeKind.PLACEMENT).exists()
    # The police of the area and the placing council may also record.
    episode = report(world, actor=world.officer)
    assert episode.reported_by_organisation == world.police


def test_report_checks_its_input(world: World, at_monday):
    with pytest.raises(ValidationError) as future:
        report(world, last_seen_at=MONDAY + dt.timedelta(hours=1))
    assert future.value.field == "last_seen_at"
    with pytest.raises(ValidationError) as naive:
        report(world, last_seen_at=dt.datetime(2026, 2, 2, 9, 0))
    assert naive.value.field == "last_seen_at"
    with pytest.raises(ValidationError) as kind:
        report(world, kind="absent")
    assert kind.value.field == "kind"
    with pytest.raises(ValidationError) as grade:
        report(world, risk_grade="absent")
    assert grade.value.field == "risk_grade"
    with pytest.raises(ValidationError) as ref:
        report(world, reported_to_police=False)
    assert ref.value.field == "police_reference"
    assert not Episode.objects.exists()


def test_lists_of_children_missing_now(world: World, at_monday):
    episode = report(world)
    for user in (world.social_worker, world.coordinator, world.officer, world.home_staff):
        assert list(episodes_open_for(user=user)) == [episode], user.role
    for user in (world.other_officer, world.other_council_worker, world.other_home_staff):
        assert list(episodes_open_for(user=user)) == []


def test_the_alert_is_sent_once_per_agency_even_if_asked_twice(world: World, at_monday):
    from sightline.missing.notices import notices_for_episode_reported

    episode = report(world)
    again = notices_for_episode_reported(episode=episode, actor=world.home_staff)
    assert len(again) == 3
    assert Notice.objects.filter(kind=AlertKind.MISSING).count() == 3
    assert EpisodeNotice.objects.count() == 3


def test_a_report_needs_a_placement(world: World, at_monday):
    from tests.missing.conftest import make_child

    unplaced = make_child()
    with pytest.raises(ValidationError, match="no placement"):
        episode_report(
            actor=world.social_worker,
            child=unplaced,
            kind="missing",
            last_seen_at=MONDAY,
            last_seen_place="Home",
            reported_to_police=False,
        )
