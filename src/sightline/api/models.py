"""API keys (one per partner system of an organisation) and stored answers to idempotent writes.

An API key acts as a *service user* of its organisation: a ``User`` with the key's role and no
usable password (``api:<prefix>``). The access policy, involvement and the audit trail work on
users, so a key's reads and writes go through exactly the same rules as a person's and are
recorded against the key's own user.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class ApiKey(BaseModel):
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="api_keys"
    )
    name = models.CharField(max_length=100, help_text="What the key is for, e.g. 'Case system'.")
    prefix = models.CharField(
        max_length=16, unique=True, help_text="Shown in lists and logs; the start of the key."
    )
    salt = models.CharField(max_length=32)
    secret_hash = models.CharField(
        max_length=64, help_text="HMAC-SHA256 of the key's secret part, keyed with the salt."
    )
    role = models.CharField(max_length=30)
    user = models.OneToOneField(
        "organisations.User",
        on_delete=models.PROTECT,
        related_name="api_key",
        help_text="The service user the key acts as.",
    )
    created_by = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["organisation", "created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"API key {self.prefix}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(BaseModel):
    """The answer to a write sent with an ``Idempotency-Key``, kept for 24 hours.

    The row is inserted before the write runs, in the same transaction: a second request with
    the same key waits on the unique constraint and then sees the stored answer. A failed
    write rolls the row back with it, so the client can correct the request and try again.
    """

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], name="idempotency_key_once_per_organisation"
            )
        ]
        indexes = [models.Index(fields=["organisation", "created_at"])]

    def __str__(self) -> str:
        return f"Idempotency record {self.id}"
