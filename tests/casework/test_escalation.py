"""An overdue task reaches the owner's team manager: a notice through the real outbox, in the
owning organisation's inbox and e-mailed by the worker to its team managers (the local SMTP
fixture); once per due date; and the placing council's team manager sees it on the overdue
worklist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from sightline.audit.models import AuditEvent
from sightline.audit.verbs import AuditVerb
from sightline.casework.notices import CaseworkNoticeKind
from sightline.casework.services import case_task_set, case_tasks_escalate_overdue
from sightline.notifications.models import Notice
from sightline.organisations.models import Role
from tests import factories
from tests.casework.conftest import DUE, World
from tests.missing.conftest import run_worker
from tests.notifications.conftest import SmtpServer

pytestmark = pytest.mark.django_db


def test_an_overdue_task_reaches_the_owners_team_manager(
    world: World, smtp_server: SmtpServer, monday: Any
) -> None:
    host_manager = factories.user(world.host, Role.TEAM_MANAGER)
    task = case_task_set(
        actor=world.social_worker,
        child=world.child,
        kind="visit",
        title="Visit Robin at the home",
        organisation=world.host,
        owner=world.coordinator,
        due_date=DUE,
    )
    assert case_tasks_escalate_overdue() == 0  # not due yet
    with time_machine.travel(dt.datetime(2026, 2, 10, 9, 0, tzinfo=dt.UTC), tick=False):
        run_worker()  # the worker's registered job escalates, then delivers
        (notice,) = Notice.objects.filter(kind=CaseworkNoticeKind.TASK_OVERDUE)
        assert notice.recipient == world.host and notice.subject_id == task.id
        assert notice.subject_path == reverse("case_task_detail", args=[task.id])
        received = [
            r for r in smtp_server.received if r.message["Subject"].startswith("Task overdue")
        ]
        # The team manager, and the organisation's team inbox as for every notice.
        assert sorted(r.rcpt_tos[0] for r in received) == sorted(
            [host_manager.email, world.host.email]
        )
        event = AuditEvent.objects.get(verb=AuditVerb.CASE_TASK_ESCALATED)
        assert event.payload == {"due_date": "2026-02-09", "managers": 1}
        # Idempotent: the next cycle sends nothing more.
        assert case_tasks_escalate_overdue() == 0
        assert Notice.objects.filter(kind=CaseworkNoticeKind.TASK_OVERDUE).count() == 1

        # The placing council's team manager sees it, whichever agency owns it; others do not.
        page = factories.signed_in(world.team_manager).get(reverse("overdue_tasks"))
        assert page.status_code == 200
        assert "Visit Robin at the home" in page.content.decode()
        denied = factories.signed_in(world.social_worker).get(reverse("overdue_tasks"))
        assert denied.status_code == 404
        theirs = factories.signed_in(host_manager).get(reverse("overdue_tasks"))
        assert "Visit Robin at the home" not in theirs.content.decode()
