"""The child record: no more than the agencies need to act."""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class Sex(models.TextChoices):
    # SSDA903 codes from 2024/25.
    MALE = "M", "Male"
    FEMALE = "F", "Female"
    UNKNOWN = "U", "Not known"


class Child(BaseModel):
    placing_council = models.ForeignKey(
        "geography.Council", on_delete=models.PROTECT, related_name="children_placed"
    )
    child_ref = models.CharField(
        "903 CHILD id",
        max_length=10,
        help_text="The placing council's CHILD identifier in the SSDA903 return.",
    )
    # Blank for children imported from an SSDA903 return, which holds no names.
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    ethnicity = models.CharField(max_length=4, blank=True, help_text="SSDA903 ETHNIC code.")

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["placing_council", "child_ref"], name="child_ref_unique_per_council"
            )
        ]

    def __str__(self) -> str:
        # Deliberately not the name: str() ends up in logs.
        return f"Child {self.id}"

    @property
    def full_name(self) -> str:
        """The name, or "Child <CHILD id>" where none is held (children from a 903 return)."""
        name = f"{self.first_name} {self.last_name}".strip()
        return name or f"Child {self.child_ref}"

    @property
    def known_as(self) -> str:
        """What a sentence calls the child: the first name, or "Child <CHILD id>"."""
        return self.first_name or self.full_name
