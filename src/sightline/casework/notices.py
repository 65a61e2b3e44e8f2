"""The notice casework owes: an overdue task, to the owner's managers (through the outbox).

The content is built here; the outbox (``notifications``) stores and delivers it and knows
nothing of tasks (ADR 9). Escalations are not chased for acknowledgement: the task itself is
what must move, and it is on the managers' overdue worklist until it does.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from sightline.casework.models import CaseTask
from sightline.core.calendar import end_of_day
from sightline.notifications.content import child_display_name
from sightline.notifications.models import Notice
from sightline.notifications.services import NoticeContent, notice_create
from sightline.organisations.models import User
from sightline.organisations.selectors import council_display_name


class CaseworkNoticeKind(models.TextChoices):
    TASK_OVERDUE = "case_task_overdue", "Task overdue"


def overdue_notice(*, task: CaseTask, people: list[User]) -> Notice:
    """The "task overdue" notice to the owning organisation, e-mailed to ``people`` (its
    managers). One per task and due date (the idempotency key)."""
    child = task.child
    kind = CaseworkNoticeKind.TASK_OVERDUE
    return notice_create(
        kind=kind,
        subject_type="casework.task",
        subject_id=task.id,
        idempotency_key=f"case-task-overdue:{task.id}:{task.due_date.isoformat()}",
        child=child,
        recipient=task.organisation,
        sender=None,
        due_at=end_of_day(task.due_date),
        actor=None,
        people=people,
        content=NoticeContent(
            kind_label=str(kind.label),
            subject_line=f"Task overdue: a task your team owns for a child was due on "
            f"{task.due_date:%-d %B %Y}",
            date_label="Due on",
            effective_date=task.due_date,
            child_name=child_display_name(first_name=child.first_name, last_name=child.last_name),
            placing_council_name=council_display_name(council=child.placing_council),
            subject_path=reverse("case_task_detail", args=[task.id]),
            subject_link_text="View the task: who owns it and what it asks",
            chase_acknowledgement=False,
        ),
    )
