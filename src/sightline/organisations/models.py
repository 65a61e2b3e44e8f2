"""Organisations (councils, police forces, providers) and the people who work for them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from sightline.core.models import BaseModel


class OrganisationKind(models.TextChoices):
    COUNCIL = "council", "Council children's services"
    POLICE = "police", "Police force"
    PROVIDER = "provider", "Children's home provider"
    HEALTH = "health", "Health"
    SCHOOL = "school", "School"


class Organisation(BaseModel):
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    name = models.CharField(max_length=200)
    council = models.OneToOneField(
        "geography.Council",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisation",
    )
    police_force = models.OneToOneField(
        "geography.PoliceForce",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organisation",
    )
    email = models.EmailField(blank=True, help_text="Team inbox for notices.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="organisation_geography_matches_kind",
                condition=(
                    models.Q(kind="council", council__isnull=False, police_force__isnull=True)
                    | models.Q(kind="police", police_force__isnull=False, council__isnull=True)
                    | (
                        ~models.Q(kind__in=["council", "police"])
                        & models.Q(council__isnull=True, police_force__isnull=True)
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    HOME_MANAGER = "home_manager", "Home manager"
    HOME_STAFF = "home_staff", "Home staff"
    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    NOMINATED_OFFICER = "nominated_officer", "Nominated officer"
    MISSING_COORDINATOR = "missing_coordinator", "Missing children coordinator"
    POLICE_MISSING_OFFICER = "police_missing_officer", "Police missing-person officer"
    ANALYST = "analyst", "Analyst"
    ADMINISTRATOR = "administrator", "Administrator"


# Which roles each kind of organisation may hold.
ROLES_BY_KIND: dict[str, set[str]] = {
    OrganisationKind.COUNCIL: {
        Role.SOCIAL_WORKER,
        Role.TEAM_MANAGER,
        Role.NOMINATED_OFFICER,
        Role.MISSING_COORDINATOR,
        Role.ANALYST,
        Role.ADMINISTRATOR,
    },
    OrganisationKind.POLICE: {Role.POLICE_MISSING_OFFICER, Role.ANALYST, Role.ADMINISTRATOR},
    OrganisationKind.PROVIDER: {Role.HOME_MANAGER, Role.HOME_STAFF, Role.ADMINISTRATOR},
    OrganisationKind.HEALTH: {Role.ANALYST, Role.ADMINISTRATOR},
    OrganisationKind.SCHOOL: {Role.ANALYST, Role.ADMINISTRATOR},
}


class User(AbstractUser):
    """A person who signs in. Belongs to one organisation with one role."""

    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(max_length=30, choices=Role.choices, blank=True)

    class Meta(AbstractUser.Meta):
        constraints = [
            # A platform operator (a superuser) works for no organisation, so that no
            # organisation's administrator can hold, or give themself, the platform's powers.
            models.CheckConstraint(
                name="superuser_has_no_organisation",
                condition=models.Q(is_superuser=False)
                | models.Q(organisation__isnull=True, role=""),
            )
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        """A role only within an organisation, and only one its kind of organisation holds
        (a police officer's role at a children's home would match nothing the policy means)."""
        super().clean()
        if self.is_superuser and (self.organisation_id is not None or self.role):
            raise ValidationError(
                {
                    "organisation": "A platform operator works for no organisation: remove "
                    "the organisation and role, or make this person an administrator of "
                    "their organisation instead"
                }
            )
        if self.role and self.organisation_id is None:
            raise ValidationError(
                {
                    "organisation": "Select the organisation this person works for, "
                    "or remove their role"
                }
            )
        if self.role and self.organisation is not None:
            kind = self.organisation.kind
            held = ROLES_BY_KIND.get(kind, set())
            if self.role not in held:
                allowed = ", ".join(sorted(str(Role(r).label).lower() for r in held))
                raise ValidationError(
                    {
                        "role": f"{Role(self.role).label} is not a role in a "
                        f"{str(OrganisationKind(kind).label).lower()}: choose {allowed}"
                    }
                )
