"""A record of every look at a child's information (who, organisation, when, which child, why),
and the time-boxed grants that involve an organisation with a child for a while.

The audit chain itself lives in ``sightline.audit``; ``AccessRecord`` stays here as the
policy's own read log: each row feeds one ``child viewed`` event on the chain, which names it.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class GrantReason(models.TextChoices):
    """Why an organisation is involved with a child for a limited time.

    Each reason is an involvement of its own in the access policy (``policy.POLICY``), so the
    one table says what a grant of each reason allows.
    """

    MISSING_EPISODE = "missing episode", "Police of the area during a missing episode"
    RETURN_INTERVIEW = "return interview", "Interviewing service for a return home interview"
    BREAK_GLASS = "break glass", "Emergency access by one user, with a written justification"


class AccessGrant(BaseModel):
    """An organisation (or one of its users) involved with a child from ``starts_at`` until
    ``ends_at``.

    ``ends_at`` is empty while the reason lasts (a missing episode still open) and is set once
    the end is known (72 hours after the return, by default). A grant is never deleted: its row
    is the record that it existed, and every look through it is an ``AccessRecord`` naming it.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="access_grants"
    )
    user = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Only this user of the organisation; empty for every user in it.",
    )
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="access_grants", db_index=False
    )
    reason = models.CharField(max_length=30, choices=GrantReason.choices)
    about_id = models.UUIDField(
        null=True,
        blank=True,
        help_text="The record that justifies the grant: a missing episode, an interview.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    justification = models.TextField(
        blank=True, help_text="Why emergency access was needed, in the user's words."
    )

    class Meta:
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                name="access_grant_ends_after_start",
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gte=models.F("starts_at")),
            ),
            models.UniqueConstraint(
                fields=["organisation", "child", "reason", "about_id"],
                condition=models.Q(about_id__isnull=False),
                name="access_grant_once_per_reason_and_record",
            ),
        ]
        indexes = [models.Index(fields=["child", "organisation", "starts_at"])]

    def __str__(self) -> str:
        return f"Access grant {self.id} ({self.reason})"


class AccessRecord(BaseModel):
    # Who looked is read through the child's records (the index below), never looked up by
    # (issue 13: no index of their own, a write less per audited read each).
    user = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    action = models.CharField(max_length=30)
    purpose = models.CharField(max_length=200)
    involvement = models.CharField(
        max_length=200, help_text="Why the organisation was allowed: its involvement."
    )
    grant = models.ForeignKey(
        AccessGrant,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
        help_text="The time-boxed grant the look went through, or that this record created.",
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["child", "at"])]


class ReviewOutcome(models.TextChoices):
    JUSTIFIED = "justified", "Justified"
    NOT_JUSTIFIED = "not justified", "Not justified"


class BreakGlassReview(BaseModel):
    """A senior officer's verdict on one use of emergency access (a break-glass grant).

    One row per grant, written once: the review is itself part of the record.
    """

    grant = models.OneToOneField(AccessGrant, on_delete=models.PROTECT, related_name="review")
    outcome = models.CharField(max_length=20, choices=ReviewOutcome.choices)
    note = models.TextField()
    reviewed_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Review of {self.grant_id}: {self.outcome}"
