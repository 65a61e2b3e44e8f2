"""Casework: the child's tasks, owned by one agency and one person, and strategy meetings.

A task belongs to the child. Tasks set by Sightline's own rules (``missing.Task``: a strategy
discussion after repeated episodes, an overdue return interview...) stay where the rules write
them; the one task list (``casework.selectors``) shows both in one table.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class CaseTaskKind(models.TextChoices):
    """What is asked. Two open tasks of the same kind for one child, due close together, are
    likely the same action asked of two agencies (``services.task_duplicates``)."""

    VISIT = "visit", "Visit the child"
    RETURN_INTERVIEW = "return_interview", "Arrange or hold a return home interview"
    SAFETY_PLAN = "safety_plan", "Write or review a safety plan"
    SCREENING = "screening", "Complete an exploitation screening"
    REFERRAL = "referral", "Make a referral"
    INFORMATION = "information", "Share information with another agency"
    MEETING = "meeting", "Arrange a meeting"
    OTHER = "other", "Something else"


class CaseTaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


OUTSTANDING = (CaseTaskStatus.OPEN, CaseTaskStatus.IN_PROGRESS)
FINAL = (CaseTaskStatus.DONE, CaseTaskStatus.CANCELLED)


class StrategyMeeting(BaseModel):
    """A multi-agency strategy meeting about one child: when, who came for which agency, what
    was decided, and the minutes. Its actions are ``CaseTask`` rows that name it."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="strategy_meetings"
    )
    held_at = models.DateTimeField()
    convened_by = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    decisions = models.TextField()
    minutes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-held_at"]
        indexes = [models.Index(fields=["child", "held_at"])]

    def __str__(self) -> str:
        return f"Strategy meeting {self.id}"


class MeetingAttendee(BaseModel):
    """An agency at a meeting, and the person who came for it (a user of that agency), or the
    agency alone when nobody on Sightline came for it."""

    meeting = models.ForeignKey(StrategyMeeting, on_delete=models.CASCADE, related_name="attendees")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    person = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "organisation", "person"], name="attendee_once_per_meeting"
            ),
        ]

    def __str__(self) -> str:
        return f"Attendee {self.id}"


class CaseTask(BaseModel):
    """Something one agency, and one person in it, will do for the child by a date."""

    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="case_tasks")
    kind = models.CharField(max_length=20, choices=CaseTaskKind.choices)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="case_tasks"
    )
    owner = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    status = models.CharField(
        max_length=20, choices=CaseTaskStatus.choices, default=CaseTaskStatus.OPEN
    )
    meeting = models.ForeignKey(
        StrategyMeeting, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    # Saved although it looked like this open task (the person who set it confirmed it).
    confirmed_beside = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(blank=True)
    # The due date last escalated to the owner's manager: one escalation per due date.
    escalated_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]
        indexes = [
            models.Index(fields=["child", "status"]),
            models.Index(fields=["organisation", "status", "due_date"]),
            models.Index(fields=["status", "due_date"]),
        ]

    def __str__(self) -> str:
        return f"Case task {self.id} ({self.kind})"

    @property
    def is_outstanding(self) -> bool:
        return self.status in OUTSTANDING
