"""Reference geography held in the database: police forces, councils and districts.

The rows come from public ONS and DfE facts shipped in ``geography/data/`` and loaded by
migration; they change only when boundaries do (2019, 2021, 2023, 2025 so far).
"""

from __future__ import annotations

from django.db import models


class Country(models.TextChoices):
    ENGLAND = "E", "England"
    WALES = "W", "Wales"


class PoliceForce(models.Model):
    """A police force area (PFA), e.g. E23000005 Greater Manchester."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=1, choices=Country.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Council(models.Model):
    """An upper-tier local authority; in England, a children's services authority.

    ``dfe_code`` is the three-digit code the DfE uses in the SSDA903 return (356 = Stockport).
    Welsh unitary authorities are held too (no DfE code) so that a placement in Wales still
    resolves to a host council. Councils abolished by a reorganisation stay, marked not current,
    so that old returns still resolve; ``successor_codes`` lists where their area went.
    ``alias_codes`` holds later ONS codes for the same council (Barnsley and Sheffield were
    recoded in May 2025).
    """

    ons_code = models.CharField(max_length=9, primary_key=True)
    dfe_code = models.CharField(max_length=3, blank=True, db_index=True)
    name = models.CharField(max_length=100)
    country = models.CharField(max_length=1, choices=Country.choices)
    region_code = models.CharField(max_length=9)
    region_name = models.CharField(max_length=50)
    police_force = models.ForeignKey(PoliceForce, on_delete=models.PROTECT, related_name="councils")
    is_current = models.BooleanField(default=True)
    alias_codes = models.CharField(max_length=100, blank=True)
    successor_codes = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class District(models.Model):
    """A lower-tier local authority district (LAD), as coded in the ONS Postcode Directory."""

    code = models.CharField(max_length=9, primary_key=True)
    name = models.CharField(max_length=100)
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="districts")
    police_force = models.ForeignKey(
        PoliceForce, on_delete=models.PROTECT, related_name="districts"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
