"""A record of every look at a child's information (who, organisation, when, which child, why),
and the time-boxed grants that involve an organisation with a child for a while."""

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
        "children.Child", on_delete=models.PROTECT, related_name="access_grants"
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
    user = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")
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


class AuditKind(models.TextChoices):
    READ = "read", "Viewed"
    WRITE = "write", "Changed"
    GRANT = "grant", "Access granted"
    REVIEW = "review", "Emergency access reviewed"


class AuditEvent(models.Model):
    """One row of the append-only, hash-chained audit of children's information.

    Every look at a child's record (``AccessRecord``) and every change a service makes feeds
    one row. The row keeps plain ids rather than foreign keys, so that the audit outlives the
    records it is about and no deletion elsewhere can cascade into it.

    ``hash`` = SHA-256 over the row's canonical serialisation, which includes ``prev_hash``
    (the hash of the row before it): altering, inserting or removing a row breaks the chain
    from that row on. ``sightline audit verify`` recomputes it. On PostgreSQL a trigger
    refuses UPDATE and DELETE (migration 0005).
    """

    id = models.UUIDField(primary_key=True, editable=False)
    seq = models.BigIntegerField(unique=True, help_text="Position in the chain, from 1.")
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=AuditKind.choices)
    action = models.CharField(max_length=40, help_text="What was done, as the policy names it.")
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150, blank=True)
    organisation_id = models.UUIDField(null=True)
    child_id = models.UUIDField(null=True, db_index=True)
    purpose = models.CharField(max_length=200, blank=True)
    involvement = models.CharField(max_length=200, blank=True)
    grant_id = models.UUIDField(null=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["child_id", "at"], name="access_audit_child_at")]

    def __str__(self) -> str:
        return f"Audit row {self.seq}"


class AuditChainHead(models.Model):
    """The last row of the audit chain: one row, locked for each append.

    Locking it serialises appends (``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions
    do the same), and comparing it with the last audit row shows rows removed from the end.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Audit chain head at {self.seq}"
