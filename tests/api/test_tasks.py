"""Tasks through the API: an overdue return interview sets the placing council a task, which
its case system lists, reads and closes; nobody else reaches it."""

from __future__ import annotations

import datetime as dt

import pytest

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.missing.models import ReturnInterview, Task, TaskKind, TaskStatus
from sightline.missing.services import interviews_escalate_overdue
from tests.api.test_interviews import interview  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(world, interview) -> Task:  # noqa: F811
    due = ReturnInterview.objects.get(pk=interview["id"]).due_at
    assert interviews_escalate_overdue(now=due + dt.timedelta(seconds=1)) == 1
    return Task.objects.get(kind=TaskKind.INTERVIEW_OVERDUE)


def test_the_placing_council_lists_reads_and_closes_its_task(world, task):
    api = world.api("manchester")
    listed = api.get("/tasks", {"status": "open"})
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert (item["id"], item["kind"], item["status"]) == (str(task.id), "interview_overdue", "open")
    assert item["interview_id"] == str(task.interview_id)
    assert item["child"]["id"] == str(world.ada.id)
    assert api.get(f"/tasks/{task.id}").json()["title"] == TaskKind.INTERVIEW_OVERDUE.label

    done = api.post(
        f"/tasks/{task.id}/complete",
        {"status": "done", "outcome": "Interview arranged for Friday"},
        **{"Idempotency-Key": "task-1"},
    )
    assert done.status_code == 200, done.content
    assert (done.json()["status"], done.json()["outcome"]) == (
        "done",
        "Interview arranged for Friday",
    )
    assert done.json()["completed_by"]
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.completed_by.username.startswith("api:")
    assert AuditEvent.objects.filter(verb=AuditVerb.TASK_CLOSED, object_id=str(task.id)).exists()
    # A retry with the same key replays the answer; a new request is refused by the service.
    replay = api.post(
        f"/tasks/{task.id}/complete",
        {"status": "done", "outcome": "Interview arranged for Friday"},
        **{"Idempotency-Key": "task-1"},
    )
    assert replay["Idempotent-Replayed"] == "true"
    again = api.post(f"/tasks/{task.id}/complete", {"status": "cancelled"})
    assert again.status_code == 422
    assert again.json()["errors"][0] == {
        "field": "status",
        "record": None,
        "message": "The task is already closed.",
    }
    assert api.get("/tasks", {"status": "open"}).json()["items"] == []
    assert [t["id"] for t in api.get("/tasks").json()["items"]] == [str(task.id)]


@pytest.mark.parametrize("who", ["stockport", "kent", "brightwater"])
def test_another_organisation_gets_404_for_the_task(world, task, who):
    api = world.api(who)
    assert api.get("/tasks").json()["items"] == []
    assert api.get(f"/tasks/{task.id}").status_code == 404
    assert api.post(f"/tasks/{task.id}/complete", {"status": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_status_the_task_cannot_end_in_is_refused_naming_the_field(world, task):
    response = world.api("manchester").post(f"/tasks/{task.id}/complete", {"status": "open"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "status"
