"""The append-only, hash-chained audit of children's information.

The tables were created by the ``access`` app (migration 0004) and keep their names
(``access_auditevent``, ``access_auditchainhead``): the move to this app changed Django's
state only, so no row moved and the PostgreSQL trigger that refuses UPDATE and DELETE
(``access`` migration 0005) still guards the same table; ``audit`` migration 0004 adds one that
refuses TRUNCATE.
"""

from __future__ import annotations

from django.db import models


class AuditKind(models.TextChoices):
    READ = "read", "Viewed"
    WRITE = "write", "Changed"
    GRANT = "grant", "Access granted"
    REVIEW = "review", "Emergency access reviewed"


class AuditEvent(models.Model):
    """One row of the audit: who did what (``verb``) to which record (``object_type``,
    ``object_id``) of which child, with a small validated ``payload`` saying what changed.

    The row keeps plain ids rather than foreign keys, so that the audit outlives the records
    it is about and no deletion elsewhere can cascade into it.

    A row is written unsealed (``seq``, ``hash`` empty; ``prev_hash`` "") and sealed just
    after its transaction commits (``services.py``, ADR 21): the one change the database lets
    anyone make to a row, once.

    ``hash`` = the digest of the row's canonical form for its ``version`` (``canonical.py``),
    which includes ``prev_hash``: altering, inserting or removing a row breaks the chain from
    that row on. Rows written before the verb existed are version 1 (``action`` free text,
    no verb or payload; SHA-256); then version 2 (verb and payload; SHA-256); rows written
    since the chain was keyed are version 3: HMAC-SHA-256 with the audit key named by
    ``key_id``, so that only a holder of the key can rewrite them.
    """

    id = models.UUIDField(primary_key=True, editable=False)
    seq = models.BigIntegerField(
        unique=True,
        null=True,
        help_text="Position in the chain, from 1; empty until the row is sealed (ADR 21).",
    )
    version = models.PositiveSmallIntegerField(
        help_text=(
            "Which canonical form the hash covers (1: before verbs; 2: verb, payload; "
            "3: keyed, HMAC)."
        )
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=AuditKind.choices)
    verb = models.CharField(
        max_length=40, blank=True, help_text="What was done (AuditVerb); empty on version 1."
    )
    action = models.CharField(
        max_length=40, help_text="Version 1: what was done, as free text. Version 2: the verb."
    )
    user_id = models.BigIntegerField(null=True)
    username = models.CharField(max_length=150, blank=True)
    organisation_id = models.UUIDField(null=True)
    child_id = models.UUIDField(null=True)  # indexed by access_audit_child_at (child_id, at)
    purpose = models.CharField(max_length=200, blank=True)
    involvement = models.CharField(max_length=200, blank=True)
    grant_id = models.UUIDField(null=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    payload = models.JSONField(
        default=dict, blank=True, help_text="What changed, per the verb's schema (verbs.py)."
    )
    key_id = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Version 3: the id of the audit key that sealed the row; empty before.",
    )
    prev_hash = models.CharField(max_length=64, blank=True, default="")
    # NULL, not "", until sealed: unique, and many rows may wait at once.
    hash = models.CharField(max_length=64, unique=True, null=True)  # noqa: DJ001

    class Meta:
        db_table = "access_auditevent"
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["child_id", "at"], name="access_audit_child_at"),
            # The rows waiting to be sealed: a few at any moment, found without a scan.
            models.Index(
                fields=["id"], condition=models.Q(seq__isnull=True), name="audit_unsealed"
            ),
        ]

    def __str__(self) -> str:
        return f"Audit row {self.seq}"


class AuditChainHead(models.Model):
    """The last sealed row of the audit chain: one row, locked for each seal.

    Locking it serialises seals (``SELECT ... FOR UPDATE``; SQLite's IMMEDIATE transactions
    do the same), which are a few statements long, after the request's commit (ADR 21);
    comparing it with the last audit row shows rows removed from the end.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "access_auditchainhead"

    def __str__(self) -> str:
        return f"Audit chain head at {self.seq}"


class AuditListedChild(models.Model):
    """One child named by a list read: a ``children listed`` event has one row here per child
    its page showed, written in the same transaction as the event.

    The chain holds one event per page, not one per child; the event's payload carries
    ``children``, the SHA-256 of the sorted ids of these rows, so the event's hash covers
    them: adding, removing or changing a row here shows as a digest that no longer matches
    (``audit_verify``). The index on (``child_id``, ``event``) answers "which list reads
    named this child" without reading the chain.
    """

    id = models.BigAutoField(primary_key=True)
    # No database constraint: like the chain's own rows, these must not stop a TRUNCATE or
    # queue trigger events on the audit table; the digest and ``audit_verify`` tie them to it.
    event = models.ForeignKey(
        AuditEvent,
        on_delete=models.DO_NOTHING,
        related_name="listed_children",
        db_index=False,
        db_constraint=False,
    )
    child_id = models.UUIDField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event", "child_id"], name="audit_listed_once")
        ]
        indexes = [models.Index(fields=["child_id", "event"], name="audit_listed_child")]

    def __str__(self) -> str:
        return f"Child listed by audit event {self.event_id}"
