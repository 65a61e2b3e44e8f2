"""The example client a partner generates from the OpenAPI document, driving a real server.

The client is generated here, from this version's schema, with openapi-python-client, as
``docs/api.md`` tells a partner to (so it can never fall behind the API: ADR "An example API
client generated in the test"). It then talks HTTP to a live server with API keys, as a
partner's case system would: lists and acknowledges a notice, reports a missing episode and
the return, records the return home interview, closes a task, and subscribes a webhook. Each
step is checked in the database and the audit.

Ada (placed by Manchester in Larch House, a Brightwater home in Stockport): Stockport holds
the placement notice; Brightwater reports her missing; Manchester holds the interview.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sightline.api.main import api
from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.missing.models import Episode, InterviewStatus, ReturnInterview, Task, TaskStatus
from sightline.missing.services import interviews_escalate_overdue
from sightline.notifications.models import Notice, WebhookSubscription
from sightline.organisations.models import Role
from tests.notifications.test_webhook_subscriptions import DocumentedReceiver

pytestmark = pytest.mark.django_db(transaction=True)

GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PACKAGE = "sightline_api_client"
# No post-generation hooks: the generated code is imported, not committed or linted.
CONFIG = """\
project_name_override: sightline-api-client
package_name_override: {package}
post_hooks: []
"""


def generate(schema: dict[str, Any], where: Path) -> Path:
    """Run the generator as a partner would: the schema in a file, the CLI, a package out."""
    (where / "openapi.json").write_text(json.dumps(schema))
    (where / "config.yaml").write_text(CONFIG.format(package=PACKAGE))
    result = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(where / "openapi.json"),
            "--config",
            str(where / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(where / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Warning" not in result.stdout, result.stdout  # every operation and schema generated
    return where


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    if not GENERATOR.exists():
        pytest.skip("openapi-python-client is not installed (requirements/lock.txt has it)")
    where = generate(api.get_openapi_schema(), tmp_path_factory.mktemp("client"))
    sys.path.insert(0, str(where))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def partner() -> Iterator[DocumentedReceiver]:
    receiver = DocumentedReceiver()
    yield receiver
    receiver.stop()


def module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


class Tag:
    """The generated operations of one tag: ``Tag("notices").list_notices.sync(...)``."""

    def __init__(self, tag: str) -> None:
        self.tag = tag

    def __getattr__(self, operation: str) -> Any:
        return module(f"api.{self.tag}.{operation}")


def test_a_partner_drives_the_api_with_the_generated_client(
    client_package, live_server, world, partner
):
    world.key("manchester_admin", world.manchester, Role.ADMINISTRATOR)

    def connect(who: str) -> Any:
        return client_package.AuthenticatedClient(
            base_url=live_server.url, token=world.keys[who], raise_on_unexpected_status=True
        )

    notices = Tag("notices")
    missing = Tag("missing_episodes")
    interviews = Tag("return_interviews")
    tasks = Tag("tasks")
    hooks = Tag("webhook_subscriptions")
    models = module("models")

    # Stockport's case system lists its inbox and acknowledges the placement notice.
    with connect("stockport") as stockport:
        inbox = notices.list_notices.sync(client=stockport, acknowledged=False)
        assert isinstance(inbox, models.PagedNoticeOut)
        (notice,) = [n for n in inbox.items if n.child_id == world.ada.id]
        acknowledged = notices.acknowledge_notice.sync(
            notice.id, client=stockport, idempotency_key=str(uuid.uuid4())
        )
        assert acknowledged.acknowledged_at is not None
    row = Notice.objects.get(pk=notice.id)
    assert row.acknowledged_at is not None
    assert row.acknowledged_by.username.startswith("api:")

    # Brightwater's system reports Ada missing, then back.
    now = dt.datetime.now(dt.UTC)
    with connect("brightwater") as home:
        reported = missing.report_missing_episode.sync(
            client=home,
            body=models.EpisodeReportIn(
                child_id=world.ada.id,
                kind=models.EpisodeReportInKind.MISSING,
                last_seen_at=now - dt.timedelta(hours=3),
                last_seen_place="Leaving by the back gate",
                reported_to_police=True,
            ),
            idempotency_key=str(uuid.uuid4()),
        )
        assert isinstance(reported, models.EpisodeOut), reported
        closed = missing.close_missing_episode.sync(
            reported.id,
            client=home,
            body=models.EpisodeCloseIn(
                returned_at=now - dt.timedelta(hours=1),
                found_by=models.EpisodeCloseInFoundBy.SELF,
                place="Came back to the home",
            ),
        )
        assert closed.returned_at is not None
    episode = Episode.objects.get(pk=reported.id)
    assert episode.reported_by_organisation == world.brightwater
    assert episode.returned_at is not None

    # The interview is not held in time: the worker's escalation sets Manchester a task.
    (interview,) = ReturnInterview.objects.filter(episodes=episode)
    assert interviews_escalate_overdue(now=interview.due_at + dt.timedelta(seconds=1)) == 1
    task = Task.objects.get(assignee=world.manchester, interview=interview)

    # Manchester, the interviewing service, records the interview, then closes the task.
    with connect("manchester") as council:
        (due,) = interviews.list_return_interviews.sync(client=council).items
        assert due.id == interview.id
        interviews.offer_return_interview.sync(due.id, client=council, body=models.MoveIn())
        held = interviews.complete_return_interview.sync(
            due.id,
            client=council,
            body=models.CompleteIn(
                completed_at=dt.datetime.now(dt.UTC),
                interviewer_name="An independent worker",
                independent=True,
                child_words="I wanted to see my friends",
            ),
            idempotency_key=str(uuid.uuid4()),
        )
        assert isinstance(held, models.InterviewOut), held
        assert held.status == "completed"
        (open_task,) = tasks.list_tasks.sync(
            client=council, status=models.ListTasksStatusType0.OPEN
        ).items
        assert open_task.id == task.id
        done = tasks.complete_task.sync(
            task.id,
            client=council,
            body=models.TaskCompleteIn(
                status=models.TaskCompleteInStatus.DONE, outcome="Interview held late"
            ),
        )
        assert done.status == "done"
    interview.refresh_from_db()
    assert interview.status == InterviewStatus.COMPLETED
    assert interview.child_words == "I wanted to see my friends"
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.DONE, "Interview held late")

    # Manchester's administrator key subscribes its case system to missing alerts.
    with connect("manchester_admin") as admin:
        created = hooks.create_webhook_subscription.sync(
            client=admin,
            body=models.SubscriptionIn(
                name="Manchester case system", url=partner.url, kinds=["missing"]
            ),
            idempotency_key=str(uuid.uuid4()),
        )
        assert isinstance(created, models.SubscriptionWithSecretOut), created
        assert created.secret.startswith("whsec_")
        listed = hooks.list_webhook_subscriptions.sync(client=admin)
        assert [s.id for s in listed.items] == [created.id]
    assert WebhookSubscription.objects.get(pk=created.id).organisation == world.manchester

    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {
        AuditVerb.NOTICE_ACKNOWLEDGED,
        AuditVerb.INTERVIEW_RECORDED,
        AuditVerb.TASK_CLOSED,
        AuditVerb.WEBHOOK_SUBSCRIPTION_CHANGED,
    } <= verbs
