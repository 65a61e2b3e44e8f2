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


# --- The other nine tables of an imported return ---------------------------------------------
#
# One row per record of the return, on the import that wrote it and the child it is about.
# Field names are the DfE's column names in lower case; dates are dates (each is checked by a
# rule before the import, so a return that validates imports), codes are text as returned.
# Re-importing the council's year replaces the earlier import's rows. Later features read
# them: the child's reviews (ImportedReview) and social workers (ImportedSocialWorkerEpisode).


class ImportedRecord(models.Model):
    return_import = models.ForeignKey(ReturnImport, on_delete=models.PROTECT, related_name="+")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk} (child {self.child_id})"


class ImportedUasc(ImportedRecord):
    """UASC: the child is or was an unaccompanied asylum-seeking child."""

    duc = models.DateField(null=True, blank=True, help_text="The date UASC status ceased.")


class ImportedReview(ImportedRecord):
    """Reviews: a review of the child's case and how the child took part."""

    review = models.DateField(help_text="The date of the review.")
    review_code = models.CharField(max_length=3, blank=True, help_text="Participation, PN0-PN7.")


class ImportedAdoption(ImportedRecord):
    """AD1: the child's adoption."""

    date_int = models.DateField(null=True, blank=True, help_text="Decision to place: date.")
    date_match = models.DateField(null=True, blank=True, help_text="Matched with adopters.")
    foster_care = models.CharField(max_length=1, blank=True)
    nb_adoptr = models.CharField(max_length=1, blank=True)
    sex_adoptr = models.CharField(max_length=2, blank=True)
    ls_adoptr = models.CharField(max_length=3, blank=True)


class ImportedPlacedForAdoption(ImportedRecord):
    """PlacedAdoption: a decision that the child should be placed for adoption."""

    date_placed = models.DateField(null=True, blank=True)
    date_placed_ceased = models.DateField(null=True, blank=True)
    reason_placed_ceased = models.CharField(max_length=3, blank=True)


class ImportedPreviousPermanence(ImportedRecord):
    """PrevPerm: the permanence option the child had before this period of care."""

    prev_perm = models.CharField(max_length=2, blank=True)
    la_perm = models.CharField(max_length=3, blank=True)
    date_perm = models.CharField(
        max_length=10, blank=True, help_text="As returned: a part may be ZZ when not known."
    )


class ImportedOutcome(ImportedRecord):
    """OC2: a child looked after for 12 months: SDQ, health, offending, substance misuse."""

    sdq_score = models.CharField(max_length=2, blank=True)
    sdq_reason = models.CharField(max_length=4, blank=True)
    convicted = models.CharField(max_length=1, blank=True)
    health_check = models.CharField(max_length=1, blank=True)
    immunisations = models.CharField(max_length=1, blank=True)
    teeth_check = models.CharField(max_length=1, blank=True)
    health_assessment = models.CharField(max_length=1, blank=True)
    substance_misuse = models.CharField(max_length=1, blank=True)
    intervention_received = models.CharField(max_length=1, blank=True)
    intervention_offered = models.CharField(max_length=1, blank=True)


class ImportedCareLeaver(ImportedRecord):
    """OC3: a care leaver: in touch, activity, accommodation."""

    in_touch = models.CharField(max_length=4, blank=True)
    activ = models.CharField(max_length=2, blank=True)
    accom = models.CharField(max_length=2, blank=True)


class ImportedSocialWorkerEpisode(ImportedRecord):
    """SWEpisodes: a social worker of the child, from when to when, and why they changed."""

    sw_id = models.CharField(max_length=20, blank=True)
    sw_decom = models.DateField(null=True, blank=True)
    sw_dec = models.DateField(null=True, blank=True)
    sw_reason = models.CharField(max_length=6, blank=True)


class ImportedDeprivationOfLiberty(ImportedRecord):
    """DoLo: a deprivation of liberty order (collected from 2026/27)."""

    dolo_start = models.DateField(null=True, blank=True)
    dolo_end = models.DateField(null=True, blank=True)


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
