"""Tasks through the service, the form and the API: the same bad input gets the same answer;
likely duplicates are flagged before saving; statuses move on only by the owner's agency;
a strategy meeting's actions become tasks owned by three agencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.casework.models import CaseTask, CaseTaskStatus, MeetingAttendee
from sightline.casework.selectors import chronology_items
from sightline.casework.services import (
    ActionInput,
    AttendeeInput,
    LikelyDuplicate,
    case_task_duplicates,
    case_task_set,
    case_task_status_set,
    strategy_meeting_record,
    titles_alike,
)
from sightline.core.errors import NotFoundOrNotAllowed, ValidationError
from sightline.core.timeutil import now
from sightline.missing.models import Task, TaskKind
from tests import factories
from tests.casework.conftest import DUE, World, api_post

pytestmark = pytest.mark.django_db


def _set(world: World, **overrides: Any) -> CaseTask:
    values: dict[str, Any] = {
        "actor": world.social_worker,
        "child": world.child,
        "kind": "visit",
        "title": "Visit Robin at the home",
        "detail": "",
        "organisation": world.placing,
        "owner": world.social_worker,
        "due_date": DUE,
    }
    values.update(overrides)
    return case_task_set(**values)


def _form(world: World, **overrides: str) -> dict[str, str]:
    data = {
        "kind": "visit",
        "title": "Visit Robin at the home",
        "detail": "",
        "owner": str(world.social_worker.pk),
        "due_date_0": "9",
        "due_date_1": "2",
        "due_date_2": "2026",
    }
    data.update(overrides)
    return data


def _api(world: World, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "visit",
        "title": "Visit Robin at the home",
        "owner_id": world.social_worker.pk,
        "due_date": DUE.isoformat(),
    }
    body.update(overrides)
    return body


def test_a_task_is_set_with_its_audit_event(world: World, monday: Any) -> None:
    task = _set(world)
    assert (task.organisation, task.owner, task.status) == (
        world.placing,
        world.social_worker,
        "open",
    )
    event = AuditEvent.objects.get(verb=AuditVerb.CASE_TASK_SET, object_id=str(task.id))
    assert event.payload["owner_id"] == str(world.social_worker.pk)
    assert event.payload["beside"] is None


# The same bad input, through the service, the form and the API: (service overrides, form
# overrides, API overrides, the field, the message's start).
BAD = [
    ({"title": "  "}, {"title": "  "}, {"title": "  "}, "title", "Enter what needs to be done"),
    (
        {"due_date": dt.date(2026, 1, 30)},
        {"due_date_0": "30", "due_date_1": "1"},
        {"due_date": "2026-01-30"},
        "due_date",
        "The due date must be today or in the future",
    ),
]


@pytest.mark.parametrize("service, form, api, field, message", BAD, ids=["title", "past"])
def test_the_same_bad_input_gets_the_same_answer_everywhere(
    world: World,
    monday: Any,
    service: dict[str, Any],
    form: dict[str, str],
    api: dict[str, Any],
    field: str,
    message: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        _set(world, **service)
    assert raised.value.field == field and raised.value.message.startswith(message)
    assert raised.value.record == f"Child {world.child.child_ref}"

    client = factories.signed_in(world.social_worker)
    response = client.post(reverse("case_task_new", args=[world.child.id]), _form(world, **form))
    assert response.status_code == 200
    assert message in response.content.decode()

    answer = api_post(world.social_worker, f"/children/{world.child.id}/tasks", _api(world, **api))
    assert answer.status_code == 422, answer.content
    (error,) = answer.json()["errors"]
    assert error["field"] == field and error["message"].startswith(message)
    assert not CaseTask.objects.exists()


def test_an_owner_must_be_in_an_involved_agency(world: World, monday: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        _set(
            world,
            organisation=world.other_council_worker.organisation,
            owner=world.other_council_worker,
        )
    assert raised.value.field == "organisation"
    with pytest.raises(ValidationError) as raised:
        _set(world, organisation=world.placing, owner=world.officer)
    assert raised.value.field == "owner"
    answer = api_post(
        world.social_worker,
        f"/children/{world.child.id}/tasks",
        _api(world, owner_id=world.other_officer.pk),
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "owner_id"


def test_the_same_action_asked_of_two_agencies_is_flagged_before_it_is_saved(
    world: World, monday: Any
) -> None:
    first = _set(world)
    # The police ask the home for the same thing, due three days later: flagged, not saved.
    with pytest.raises(LikelyDuplicate) as raised:
        _set(
            world,
            actor=world.officer,
            kind="other",
            title="Home visit to Robin",
            organisation=world.provider,
            owner=world.home_manager,
            due_date=DUE + dt.timedelta(days=3),
        )
    assert [d.id for d in raised.value.duplicates] == [first.id]
    assert CaseTask.objects.count() == 1
    # Confirmed: saved, with the task it looked like beside it.
    second = _set(
        world,
        actor=world.officer,
        kind="other",
        title="Home visit to Robin",
        organisation=world.provider,
        owner=world.home_manager,
        due_date=DUE + dt.timedelta(days=3),
        confirm_duplicate=True,
    )
    assert second.confirmed_beside == first
    event = AuditEvent.objects.get(verb=AuditVerb.CASE_TASK_SET, object_id=str(second.id))
    assert event.payload["beside"] == str(first.id)
    # Far apart in time, or a different action: not a duplicate.
    assert (
        case_task_duplicates(
            child=world.child, kind="visit", title="Visit", due_date=DUE + dt.timedelta(days=40)
        )
        == []
    )
    assert (
        case_task_duplicates(
            child=world.child, kind="referral", title="Refer to the NRM", due_date=DUE
        )
        == []
    )


def test_the_api_answers_409_for_a_likely_duplicate_unless_confirmed(
    world: World, monday: Any
) -> None:
    first = _set(world)
    path = f"/children/{world.child.id}/tasks"
    answer = api_post(world.coordinator, path, _api(world, kind="other", title="Visit Robin"))
    assert answer.status_code == 409, answer.content
    errors = answer.json()["errors"]
    assert errors[0]["field"] == "confirm_duplicate"
    assert errors[0]["record"] == f"Child {world.child.child_ref}"
    assert [e["record"] for e in errors[1:]] == [f"Task {first.id}"]
    answer = api_post(
        world.coordinator,
        path,
        _api(world, kind="other", title="Visit Robin", confirm_duplicate=True),
    )
    assert answer.status_code == 201, answer.content
    assert CaseTask.objects.count() == 2


def test_a_rule_set_task_counts_as_a_duplicate(world: World, monday: Any) -> None:
    Task.objects.create(
        kind=TaskKind.EXPLOITATION_SCREENING,
        child=world.child,
        assignee=world.placing,
        due_at=now() + dt.timedelta(days=2),
        detail="Found in another force area",
    )
    with pytest.raises(LikelyDuplicate) as raised:
        _set(world, kind="screening", title="Exploitation screening")
    assert raised.value.duplicates[0].set_by_rule


def test_another_agencys_rule_task_is_not_named_as_a_duplicate(world: World, monday: Any) -> None:
    """A rule-set task is read only by the organisation it is for: the duplicate check of
    another agency neither counts nor names it (security review)."""
    Task.objects.create(
        kind=TaskKind.EXPLOITATION_SCREENING,
        child=world.child,
        assignee=world.placing,
        due_at=now() + dt.timedelta(days=2),
        detail="Found in another force area",
    )
    task = _set(
        world,
        actor=world.officer,
        organisation=world.police,
        owner=world.officer,
        kind="screening",
        title="Exploitation screening",
    )
    assert task.confirmed_beside is None


def test_titles_alike() -> None:
    assert titles_alike("Visit Robin at the home", "Home visit to Robin")
    assert not titles_alike("Refer to the NRM", "Visit Robin at the home")
    assert not titles_alike("the", "and")


def test_only_the_owning_agency_moves_a_task_on_and_done_is_final(
    world: World, monday: Any
) -> None:
    task = _set(world, organisation=world.provider, owner=world.home_manager)
    with pytest.raises(NotFoundOrNotAllowed):
        case_task_status_set(actor=world.social_worker, task=task, status="in_progress")
    case_task_status_set(actor=world.home_staff, task=task, status="in_progress")
    with pytest.raises(ValidationError) as raised:
        case_task_status_set(actor=world.home_staff, task=task, status="done")
    assert raised.value.field == "outcome"
    answer = api_post(
        world.home_staff, f"/case-tasks/{task.id}/complete", {"outcome": "Visited on Monday"}
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "done"
    task.refresh_from_db()
    assert (task.status, task.closed_by) == (
        CaseTaskStatus.DONE,
        world.home_staff.organisation.users.get(pk=task.closed_by_id),
    )
    with pytest.raises(ValidationError):
        case_task_status_set(actor=world.home_staff, task=task, status="open")
    # Another agency's task is "not found" through the API too.
    other = _set(world, title="Write the care plan", kind="other")
    answer = api_post(world.home_staff, f"/case-tasks/{other.id}/status", {"status": "in_progress"})
    assert answer.status_code == 404
    events = AuditEvent.objects.filter(
        verb=AuditVerb.CASE_TASK_STATUS_CHANGED, object_id=str(task.id)
    )
    assert [(e.payload["old_status"], e.payload["new_status"]) for e in events.order_by("seq")] == [
        ("open", "in_progress"),
        ("in_progress", "done"),
    ]


def test_a_meetings_actions_become_tasks_owned_by_three_agencies(world: World, monday: Any) -> None:
    meeting = strategy_meeting_record(
        actor=world.social_worker,
        child=world.child,
        held_at=now() - dt.timedelta(hours=2),
        decisions="Robin's safety plan is reviewed; a screening is completed.",
        minutes="Attended by the three agencies.",
        attendees=[
            AttendeeInput(organisation=world.placing, person=world.social_worker),
            AttendeeInput(organisation=world.police, person=world.officer),
            AttendeeInput(organisation=world.provider),
        ],
        actions=[
            ActionInput(
                kind="screening",
                title="Complete the screening",
                organisation=world.placing,
                owner=world.social_worker,
                due_date=DUE,
            ),
            ActionInput(
                kind="information",
                title="Share intelligence on the address",
                organisation=world.police,
                owner=world.officer,
                due_date=DUE,
            ),
            ActionInput(
                kind="safety_plan",
                title="Update the safety plan",
                organisation=world.provider,
                owner=world.home_manager,
                due_date=DUE,
            ),
        ],
    )
    tasks = CaseTask.objects.filter(meeting=meeting)
    assert {t.organisation for t in tasks} == {world.placing, world.police, world.provider}
    assert MeetingAttendee.objects.filter(meeting=meeting).count() == 3
    event = AuditEvent.objects.get(verb=AuditVerb.STRATEGY_MEETING_RECORDED)
    assert event.payload == {"attendees": 3, "organisations": 3, "actions": 3}
    # For the chronology: the meeting, to those who may read meetings, and never a name.
    (item,) = chronology_items(child=world.child, user=world.home_staff)
    assert item["kind"] == "meeting" and item["organisation_id"] == world.placing.id
    assert (
        "Robin" not in item["label"] and item["label"] == "Strategy meeting: 3 agencies, 3 actions"
    )
    assert set(item) == {"occurred_at", "kind", "label", "organisation_id", "significance", "url"}
    assert chronology_items(child=world.child, user=world.other_officer) == []


def test_a_meeting_action_with_bad_input_names_its_row(world: World, monday: Any) -> None:
    with pytest.raises(ValidationError) as raised:
        strategy_meeting_record(
            actor=world.social_worker,
            child=world.child,
            held_at=now() - dt.timedelta(hours=2),
            decisions="Decided.",
            attendees=[AttendeeInput(organisation=world.placing, person=world.social_worker)],
            actions=[
                ActionInput(
                    kind="visit",
                    title="",
                    organisation=world.placing,
                    owner=world.social_worker,
                    due_date=DUE,
                )
            ],
        )
    assert raised.value.field == "actions[0].title"
    answer = api_post(
        world.social_worker,
        f"/children/{world.child.id}/meetings",
        {
            "held_at": (now() - dt.timedelta(hours=2)).isoformat(),
            "decisions": "Decided.",
            "attendees": [{"organisation_id": str(world.placing.id)}],
            "actions": [
                {
                    "kind": "visit",
                    "title": "",
                    "owner_id": world.social_worker.pk,
                    "due_date": DUE.isoformat(),
                }
            ],
        },
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "actions[0].title"
