"""A record of every look at a child's information (who, organisation, when, which child, why)."""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


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
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["child", "at"])]
