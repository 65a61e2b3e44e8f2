"""The child's one chronology: entries written by every involved agency (issue 17).

Append-only. An entry is never changed or deleted: a correction is a new entry that
supersedes an earlier one (``supersedes``), and both stay visible, linked. Placements,
notices, missing episodes and return interviews are not copied here: the chronology reads
them from their own tables (``sources.py``) and merges them with these entries in time order.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class EntryType(models.TextChoices):
    CONTACT = "contact", "Contact"
    CONCERN = "concern", "Concern"
    MEETING = "meeting", "Meeting"
    DECISION = "decision", "Decision"
    INFORMATION_SHARED = "information_shared", "Information shared"
    INTELLIGENCE_SUMMARY = "intelligence_summary", "Intelligence summary"


class Significance(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SIGNIFICANT = "significant", "Significant"
    CRITICAL = "critical", "Critical"


class ChronologyEntry(BaseModel):
    """One entry, as its author's agency wrote it. ``occurred_at`` is when the event
    happened; ``recorded_at`` when it was written. ``restricted``: only the source agency and
    the organisations in ``visible_to`` read the text; everyone else who may see the child's
    chronology sees that the entry exists, its date, its source agency and whom to ask."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="chronology_entries"
    )
    entry_type = models.CharField(max_length=30, choices=EntryType.choices)
    significance = models.CharField(max_length=20, choices=Significance.choices)
    occurred_at = models.DateTimeField(help_text="When the event happened.")
    recorded_at = models.DateTimeField(help_text="When the entry was written.")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="chronology_entries",
        help_text="The source agency: the author's organisation when the entry was written.",
    )
    author = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="chronology_entries"
    )
    text = models.TextField()
    restricted = models.BooleanField(
        default=False, help_text="Only the source agency and the named organisations read it."
    )
    visible_to = models.ManyToManyField(
        "organisations.Organisation", blank=True, related_name="chronology_entries_shared"
    )
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The earlier entry this one corrects; an entry is corrected once at most "
        "(a correction can itself be corrected).",
    )

    class Meta:
        ordering = ["-occurred_at", "-recorded_at"]
        indexes = [models.Index(fields=["child", "occurred_at"], name="chronology_child_when")]
        verbose_name_plural = "chronology entries"

    def __str__(self) -> str:
        return f"Chronology entry {self.pk}"
