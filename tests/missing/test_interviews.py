"""Return home interviews: created on return, due at +72 hours, held or declined, and
escalated once when late."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from sightline.access.models import AccessGrant, GrantReason
from sightline.access.policy import Action, access_child
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.missing.models import (
    Episode,
    FoundBy,
    InterviewStatus,
    ReturnInterview,
    Task,
    TaskKind,
    TaskStatus,
)
from sightline.missing.selectors import interviews_for_service, tasks_open_for
from sightline.missing.services import (
    PersonInput,
    PlaceInput,
    episode_close,
    interview_accept,
    interview_add_episode,
    interview_add_information,
    interview_complete,
    interview_decline,
    interview_offer,
    interview_service_set,
    interviews_escalate_overdue,
    task_complete,
)
from sightline.organisations.models import OrganisationKind, Role
from tests import factories
from tests.missing.conftest import MONDAY, World, report

pytestmark = pytest.mark.django_db

RETURNED = MONDAY + dt.timedelta(hours=4)


def close(world: World, episode: Episode, *, returned_at: dt.datetime = RETURNED) -> Episode:
    with time_machine.travel(returned_at, tick=False):
        return episode_close(
            actor=world.home_staff,
            episode=episode,
            returned_at=returned_at,
            where_postcode="SK4 2AB",
            found_by=FoundBy.SELF,
        )


def test_the_interview_is_due_72_hours_after_the_return_and_escalates_once(world: World, at_monday):
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    due = RETURNED + dt.timedelta(hours=72)
    assert interview.due_at == due
    assert interview.status == InterviewStatus.TO_OFFER
    assert list(interviews_for_service(user=world.social_worker)) == [interview]

    assert interviews_escalate_overdue(now=due) == 0  # due, not yet late
    assert interviews_escalate_overdue(now=due + dt.timedelta(seconds=1)) == 1
    assert interviews_escalate_overdue(now=due + dt.timedelta(hours=1)) == 0
    (task,) = Task.objects.filter(kind=TaskKind.INTERVIEW_OVERDUE)
    assert (task.assignee, task.assignee_role, task.interview) == (
        world.placing,
        Role.TEAM_MANAGER,
        interview,
    )
    assert list(tasks_open_for(user=world.team_manager)) == [task]
    events = list(interview.events.values_list("status", "detail"))
    assert events[-1][1].startswith("Overdue: escalated to the placing council")

    task_complete(actor=world.team_manager, task=task, outcome="Interview arranged for Friday")
    with pytest.raises(NotFoundOrNotAllowed):
        task_complete(actor=world.coordinator, task=task)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_by == world.team_manager


def test_an_interview_held_in_time_does_not_escalate(world: World, at_monday):
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    with time_machine.travel(RETURNED + dt.timedelta(hours=30), tick=False):
        interview_offer(actor=world.social_worker, interview=interview)
        interview_accept(actor=world.social_worker, interview=interview)
        interview_complete(
            actor=world.social_worker,
            interview=interview,
            completed_at=RETURNED + dt.timedelta(hours=30),
            independent=False,
            not_independent_reason="Asked to talk to their own social worker",
            push_factors="Arguments with another resident",
            pull_factors="Friends in Manchester",
            harm="None disclosed",
            where_and_with_whom="At a flat with two older males",
            disclosures="Was given a phone",
            child_words="I just wanted to see my mates.",
            follow_up_actions="Exploitation screening; talk to the home about the phone",
            people=[PersonInput("Older male, 'J'", relationship="Not known", approximate_age="25")],
            places=[PlaceInput("A flat near Piccadilly", postcode="M1 1AE")],
        )
    assert interviews_escalate_overdue(now=RETURNED + dt.timedelta(days=10)) == 0
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.COMPLETED
    assert interview.independent is False
    assert interview.interviewer == world.social_worker
    assert interview.interviewer_organisation == world.placing
    assert interview.child_words == "I just wanted to see my mates."
    (place,) = interview.places.all()
    assert place.council is not None and place.council.name == "Manchester"
    assert place.police_force is not None and place.police_force.code == "E23000005"
    (person,) = interview.people.all()
    assert person.approximate_age == "25"
    statuses = list(interview.events.values_list("status", flat=True))
    assert statuses == ["to_offer", "offered", "accepted", "completed"]
    with pytest.raises(ValidationError, match="cannot be marked"):
        interview_decline(actor=world.social_worker, interview=interview)


def test_a_time_entered_to_the_minute_counts_as_after_an_offer_in_that_minute(
    world: World, at_monday
):
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    offered = RETURNED + dt.timedelta(hours=5, seconds=37)
    with time_machine.travel(offered, tick=False):
        interview_offer(actor=world.social_worker, interview=interview)
    same_minute = offered.replace(second=0)
    with time_machine.travel(offered + dt.timedelta(seconds=10), tick=False):
        interview_complete(
            actor=world.social_worker,
            interview=interview,
            completed_at=same_minute,
            independent=True,
        )
    interview.refresh_from_db()
    # Recorded at the offer's time, so the record keeps its order.
    assert interview.completed_at == offered
    assert list(interview.events.order_by("at", "created_at").values_list("status", flat=True)) == [
        "to_offer",
        "offered",
        "completed",
    ]
    # A minute earlier is still before the offer, and refused.
    later = RETURNED + dt.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        close(world, report(world), returned_at=later)
    second = ReturnInterview.objects.exclude(pk=interview.pk).get()
    with time_machine.travel(later + dt.timedelta(hours=2, seconds=5), tick=False):
        interview_offer(actor=world.social_worker, interview=second)
        with pytest.raises(ValidationError, match="after the return"):
            interview_accept(
                actor=world.social_worker,
                interview=second,
                at=later + dt.timedelta(hours=1, minutes=59),
            )


def test_a_refusal_is_recorded_and_carers_can_still_add_information(world: World, at_monday):
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    with time_machine.travel(RETURNED + dt.timedelta(hours=2), tick=False):
        interview_offer(actor=world.social_worker, interview=interview)
        interview_decline(
            actor=world.social_worker, interview=interview, reason="Did not want to talk"
        )
        info = interview_add_information(
            actor=world.home_staff,
            interview=interview,
            text="Came back with a new phone and £40",
            supplied_by="Night staff",
        )
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.DECLINED
    assert interview.declined_reason == "Did not want to talk"
    assert info.recorded_by_organisation == world.provider
    assert interviews_escalate_overdue(now=RETURNED + dt.timedelta(days=5)) == 0
    # The home adds information but does not hold the interview.
    with pytest.raises(NotFoundOrNotAllowed):
        interview_offer(actor=world.home_staff, interview=interview)
    with pytest.raises(NotFoundOrNotAllowed):
        interview_add_information(
            actor=world.other_home_staff, interview=interview, text="x", supplied_by="y"
        )


def test_one_interview_covers_a_second_return_while_it_is_still_to_be_held(world: World, at_monday):
    first = close(world, report(world))
    with time_machine.travel(RETURNED + dt.timedelta(hours=10), tick=False):
        second = report(world)
    second = close(world, second, returned_at=RETURNED + dt.timedelta(hours=20))
    interview = ReturnInterview.objects.get()
    assert set(interview.episodes.all()) == {first, second}
    assert interview.due_at == RETURNED + dt.timedelta(hours=72)  # the earlier deadline

    # Once held, the next return gets an interview of its own.
    with time_machine.travel(RETURNED + dt.timedelta(hours=30), tick=False):
        interview_complete(
            actor=world.social_worker,
            interview=interview,
            completed_at=RETURNED + dt.timedelta(hours=30),
            independent=True,
            interviewer_name="Return interview worker",
        )
        third = report(world)
    third = close(world, third, returned_at=RETURNED + dt.timedelta(hours=40))
    assert ReturnInterview.objects.count() == 2
    newest = ReturnInterview.objects.exclude(pk=interview.pk).get()
    assert list(newest.episodes.all()) == [third]
    interview_add_episode(actor=world.social_worker, interview=newest, episode=second)
    assert newest.episodes.count() == 2


def test_an_interviewing_service_configured_by_the_council_gets_a_grant(world: World, at_monday):
    service = factories.provider_org("Safe Steps Charity")
    assert service.kind == OrganisationKind.PROVIDER
    interview_service_set(actor=world.team_manager, council=world.placing.council, service=service)
    worker = factories.user(service, Role.HOME_MANAGER)
    with pytest.raises(NotFoundOrNotAllowed):
        access_child(worker, world.child.id, action=Action.VIEW, purpose="before")
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    assert interview.service == service
    assert interview.assigned_by_rule == "placing council's interviewing service"
    grant = AccessGrant.objects.get(reason=GrantReason.RETURN_INTERVIEW)
    assert grant.organisation == service and grant.about_id == interview.id
    with time_machine.travel(RETURNED + dt.timedelta(hours=1), tick=False):
        access_child(worker, world.child.id, action=Action.VIEW, purpose="interview")
        interview_offer(actor=worker, interview=interview)
        # The grant does not open the safety profile.
        with pytest.raises(NotFoundOrNotAllowed):
            access_child(worker, world.child.id, action=Action.VIEW_SAFETY_PROFILE, purpose="x")
    # Only the council's managers configure it.
    with pytest.raises(NotFoundOrNotAllowed):
        interview_service_set(
            actor=world.social_worker, council=world.placing.council, service=None
        )


def test_the_placing_council_can_hand_out_of_area_interviews_to_the_host(world: World, at_monday):
    interview_service_set(
        actor=world.placing_admin,
        council=world.placing.council,
        service=None,
        use_host_service_out_of_area=True,
    )
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    assert interview.service == world.host
    assert interview.assigned_by_rule == "host council"
    with time_machine.travel(RETURNED + dt.timedelta(hours=1), tick=False):
        interview_offer(actor=world.coordinator, interview=interview)
    assert not AccessGrant.objects.filter(reason=GrantReason.RETURN_INTERVIEW).exists()


def test_completing_needs_who_and_why_not_independent(world: World, at_monday):
    close(world, report(world))
    interview = ReturnInterview.objects.get()
    with (
        time_machine.travel(RETURNED + dt.timedelta(hours=1), tick=False),
        pytest.raises(ValidationError) as why,
    ):
        interview_complete(
            actor=world.social_worker,
            interview=interview,
            completed_at=RETURNED + dt.timedelta(hours=1),
            independent=False,
        )
    assert why.value.field == "not_independent_reason"
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.TO_OFFER
