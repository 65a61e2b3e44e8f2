"""What the demo loader created, so that loading again replaces it instead of adding to it."""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class DemoDataset(BaseModel):
    """One synthetic data set loaded by ``demo_load``; there is at most one at a time.

    ``records`` maps a model label ("children.child") to the primary keys of the rows the
    loader created, as strings. Rows it found already there (a council's organisation made
    by hand, say) are not listed, so replacing the data set never deletes them. A registry
    rather than a marker on each row keeps the domain tables free of demo-only columns.
    """

    seed = models.BigIntegerField()
    generator_version = models.PositiveIntegerField()
    reference_date = models.DateField()
    fingerprint = models.CharField(max_length=64)
    records = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Demo data set (seed {self.seed})"
