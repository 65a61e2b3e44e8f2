"""Other Sightline deployments this one exchanges notices with, and what arrived from them.

A ``Peer`` is another deployment, named by its base URL (a directory entry's
``sightline_url``). Its public keys are fetched from its well-known key set and **pinned** by
an operator (``sightline federation trust URL``): only pinned keys verify its requests, and a
changed key set is pinned again only by an operator. ``InboundNotice`` ties a notice received
from a peer to the notice in this deployment's inbox (idempotent on the peer's notice id);
``SeenNonce`` refuses a signed request replayed within its lifetime.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class Peer(BaseModel):
    url = models.CharField(max_length=300, unique=True, help_text="Base URL, no trailing /.")
    keys = models.JSONField(
        default=dict, help_text="Pinned public keys, {key id (RFC 7638 thumbprint): x}."
    )
    fetched_keys = models.JSONField(
        default=dict, help_text="The key set last fetched, waiting for an operator to pin it."
    )
    fetched_at = models.DateTimeField(null=True, blank=True)
    trusted_at = models.DateTimeField(null=True, blank=True)
    trusted_by = models.CharField(
        max_length=150, blank=True, help_text="The operator's account on the server, as told."
    )
    # Refused requests audited per peer and hour at most (ADR on federation): the rest are
    # logged and counted into the next audited one.
    refusals_window_start = models.DateTimeField(null=True, blank=True)
    refusals_in_window = models.PositiveIntegerField(default=0)
    refusals_suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["url"]

    def __str__(self) -> str:
        return f"Peer {self.id}"

    @property
    def trusted(self) -> bool:
        return self.trusted_at is not None and bool(self.keys)


class InboundNotice(BaseModel):
    """A notice another deployment sent here, and its copy in this deployment's inbox."""

    peer = models.ForeignKey(Peer, on_delete=models.PROTECT, related_name="inbound_notices")
    remote_notice_id = models.UUIDField(help_text="The notice's id on the sending deployment.")
    remote_reference = models.CharField(max_length=40)
    notice = models.OneToOneField(
        "notifications.Notice", on_delete=models.PROTECT, related_name="federated_from"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["peer", "remote_notice_id"], name="inbound_notice_once_per_peer"
            )
        ]

    def __str__(self) -> str:
        return f"Inbound notice {self.id}"


class SeenNonce(BaseModel):
    key_id = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    expires_at = models.DateTimeField(help_text="Forgotten after this: the signature has expired.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key_id", "nonce"], name="federation_nonce_once")
        ]
        indexes = [models.Index(fields=["expires_at"])]

    def __str__(self) -> str:
        return f"Seen nonce {self.id}"
