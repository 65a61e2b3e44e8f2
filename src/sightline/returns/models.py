"""Imports of SSDA903 returns, and which placements and missing episodes each one wrote.

The links live here rather than on the placement or the episode so that the domain tables
do not depend on the returns package. Re-importing a council's return for a year replaces
the placements and episodes the earlier import of that council and year wrote; the earlier
``ReturnImport`` row stays, marked replaced, as the history of what was loaded when.
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class ReturnImport(BaseModel):
    council = models.ForeignKey("geography.Council", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(
        help_text="The collection year by its end: 2025 is 1 April 2024 to 31 March 2025."
    )
    source_name = models.CharField(max_length=300, help_text="File or folder name, no path.")
    source_format = models.CharField(max_length=3, choices=[("csv", "CSV"), ("xml", "XML")])
    source_sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    children_created = models.PositiveIntegerField(default=0)
    children_updated = models.PositiveIntegerField(default=0)
    placements = models.PositiveIntegerField(default=0)
    placements_already_recorded = models.PositiveIntegerField(
        default=0, help_text="Episodes Sightline already held, recorded in the web app or API."
    )
    missing_episodes = models.PositiveIntegerField(default=0)
    settings_created = models.PositiveIntegerField(default=0)
    placements_replaced = models.PositiveIntegerField(
        default=0, help_text="Placements of the earlier import of this council and year."
    )
    missing_episodes_replaced = models.PositiveIntegerField(default=0)
    replaced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        indexes = [models.Index(fields=["council", "year"])]

    def __str__(self) -> str:
        return f"Return import {self.id} ({self.council_id} {self.year})"


class ReturnExport(BaseModel):
    """Who wrote which council's return for which year out of Sightline, and when."""

    council = models.ForeignKey("geography.Council", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    output_format = models.CharField(max_length=3, choices=[("csv", "CSV"), ("xml", "XML")])
    exported_at = models.DateTimeField()
    exported_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    children = models.PositiveIntegerField(default=0)
    episodes = models.PositiveIntegerField(default=0)
    missing_episodes = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-exported_at"]

    def __str__(self) -> str:
        return f"Return export {self.id} ({self.council_id} {self.year})"


class ImportedPlacement(models.Model):
    return_import = models.ForeignKey(
        ReturnImport, on_delete=models.PROTECT, related_name="placement_links"
    )
    placement = models.OneToOneField(
        "placements.Placement", on_delete=models.PROTECT, related_name="return_link"
    )

    def __str__(self) -> str:
        return f"Imported placement {self.placement_id}"


class ImportedMissingEpisode(models.Model):
    return_import = models.ForeignKey(
        ReturnImport, on_delete=models.PROTECT, related_name="missing_links"
    )
    episode = models.OneToOneField(
        "missing.Episode", on_delete=models.PROTECT, related_name="return_link"
    )

    def __str__(self) -> str:
        return f"Imported missing episode {self.episode_id}"


class ReturnedChildDetails(models.Model):
    """The Header values of a child that Sightline's own child record does not hold (UPN,
    MOTHER, MC_DOB), as the return imported last gave them, so that an export can give them
    back: the DfE's rules 442, 393 and 607 need them."""

    child = models.OneToOneField(
        "children.Child", on_delete=models.CASCADE, related_name="returned_details"
    )
    return_import = models.ForeignKey(
        ReturnImport, on_delete=models.PROTECT, related_name="child_details"
    )
    upn = models.CharField(max_length=13, blank=True)
    mother = models.CharField(max_length=1, blank=True)
    mc_dob = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Returned details of child {self.child_id}"
