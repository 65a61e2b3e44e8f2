from django.db import models
from django.utils import timezone


class BareRow(models.Model):
    """One row per request to the bare endpoint: the smallest write Django can do for it."""

    key = models.CharField(max_length=255, blank=True)
    body = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "bench_missing"

    def __str__(self) -> str:
        return f"Bare row {self.pk}"
