"""Settings (children's homes and others) and placements of children in them."""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class Sector(models.TextChoices):
    PRIVATE = "private", "Private"
    COUNCIL = "council", "Council"
    VOLUNTARY = "voluntary", "Voluntary"
    HEALTH = "health", "Health authority"


# SSDA903 PLACE codes valid in the 2025/26 collection (rule 146).
PLACE_CODES: dict[str, str] = {
    "A3": "Placed for adoption with consent, with current foster carer",
    "A4": "Placed for adoption with consent, not with current foster carer",
    "A5": "Placed for adoption with placement order, with current foster carer",
    "A6": "Placed for adoption with placement order, not with current foster carer",
    "K1": "Secure children's home",
    "K2": "Children's home",
    "K3": "Registered supported accommodation",
    "P1": "Placed with parents or others with parental responsibility",
    "P3": "Residential employment",
    "R1": "Residential care home",
    "R2": "NHS or health trust establishment",
    "R3": "Family centre or mother and baby unit",
    "R5": "Young offender institution",
    "S1": "Residential school",
    "T0": "Temporary move",
    "T1": "Temporary period in hospital",
    "T2": "Temporary absence on holiday",
    "T3": "Temporary accommodation while foster carer on holiday",
    "T4": "Temporary accommodation of 7 days or less",
    "U1": "Foster placement with relative or friend, long-term",
    "U2": "Foster placement with relative or friend, fostering for adoption",
    "U3": "Foster placement with relative or friend, other",
    "U4": "Foster placement with other carer, long-term",
    "U5": "Foster placement with other carer, fostering for adoption",
    "U6": "Foster placement with other carer, other",
    "Z11": "Other placement (Z11)",
    "Z12": "Other placement (Z12)",
    "Z13": "Other placement (Z13)",
    "Z14": "Other placement (Z14)",
}

# SSDA903 PLACE_PROVIDER codes.
PROVIDER_CODES: dict[str, str] = {
    "PR0": "Parents or others with parental responsibility",
    "PR1": "Own council provision",
    "PR2": "Other council provision",
    "PR3": "Other public provision",
    "PR4": "Private provision",
    "PR5": "Voluntary or third sector provision",
}


class Setting(BaseModel):
    """Where a child lives: a children's home, supported accommodation, a foster household..."""

    urn = models.CharField("Ofsted URN", max_length=8, blank=True, db_index=True)
    name = models.CharField(max_length=200)
    provider = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="settings",
        null=True,
        blank=True,
    )
    sector = models.CharField(max_length=20, choices=Sector.choices)
    postcode = models.CharField(max_length=8)
    council = models.ForeignKey(
        "geography.Council", on_delete=models.PROTECT, related_name="settings"
    )
    police_force = models.ForeignKey(
        "geography.PoliceForce", on_delete=models.PROTECT, related_name="settings"
    )
    registered_places = models.PositiveSmallIntegerField(null=True, blank=True)
    place_type = models.CharField(
        "903 placement type", max_length=3, choices=sorted(PLACE_CODES.items())
    )
    from_return = models.BooleanField(
        default=False,
        help_text="Derived from an SSDA903 return (one per postcode and placement type), not "
        "recorded by a person.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["urn"], condition=~models.Q(urn=""), name="setting_urn_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Placement(BaseModel):
    """A child living in a setting from ``start_date`` until ``end_date`` (open when null).

    Host council, host force, distance and in/out of area are derived from the postcodes
    when the placement is recorded (``placement_record``) and stored, as the DfE derives
    PL_LA, PL_LOCATION and PL_DISTANCE for the SSDA903 return.
    """

    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="placements")
    setting = models.ForeignKey(Setting, on_delete=models.PROTECT, related_name="placements")
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    place_type = models.CharField("903 PLACE", max_length=3, choices=sorted(PLACE_CODES.items()))
    place_provider = models.CharField(
        "903 PLACE_PROVIDER", max_length=3, choices=sorted(PROVIDER_CODES.items()), blank=True
    )
    home_postcode = models.CharField("child's home postcode", max_length=8, blank=True)
    is_emergency = models.BooleanField(default=False)
    host_council = models.ForeignKey(
        "geography.Council", on_delete=models.PROTECT, related_name="placements_hosted"
    )
    host_police_force = models.ForeignKey(
        "geography.PoliceForce", on_delete=models.PROTECT, related_name="placements_hosted"
    )
    distance_miles = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    distance_km = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    out_of_area = models.BooleanField()
    recorded_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The rest of the SSDA903 episode. Blank where the web app or the API did not ask.
    reason_new_episode = models.CharField("903 RNE", max_length=1, blank=True)
    legal_status = models.CharField("903 LS", max_length=2, blank=True)
    category_of_need = models.CharField("903 CIN", max_length=2, blank=True)
    reason_ceased = models.CharField("903 REC", max_length=3, blank=True)
    reason_place_change = models.CharField("903 REASON_PLACE_CHANGE", max_length=6, blank=True)
    urn = models.CharField(
        "903 URN",
        max_length=8,
        blank=True,
        help_text="The Ofsted URN as returned; the setting's URN where none was returned.",
    )

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                name="placement_ends_after_start",
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
            )
        ]
        indexes = [models.Index(fields=["child", "end_date"])]

    def __str__(self) -> str:
        return f"Placement {self.id}"

    @property
    def is_current(self) -> bool:
        return self.end_date is None


class ContactRole(models.TextChoices):
    """The people and services a child's record lists as contacts (issue 14).

    Each is kept where it is true: a placing council's out-of-hours number, a police force's
    single point of contact and a return home interview service's line are the
    organisation's; a home's manager is the home's; the allocated social worker and team
    manager are the placement's (the placing council's staff allocated to the child there).
    """

    SOCIAL_WORKER = "social_worker", "Social worker"
    TEAM_MANAGER = "team_manager", "Team manager"
    HOME_MANAGER = "home_manager", "Home manager"
    OUT_OF_HOURS = "out_of_hours", "Out-of-hours number"
    POLICE_SPOC = "police_spoc", "Police single point of contact"
    RETURN_INTERVIEWS = "return_interviews", "Return home interview service"


PLACEMENT_CONTACT_ROLES = (ContactRole.SOCIAL_WORKER, ContactRole.TEAM_MANAGER)
SETTING_CONTACT_ROLES = (ContactRole.HOME_MANAGER,)
# An organisation's own contacts, by its kind.
ORGANISATION_CONTACT_ROLES: dict[str, tuple[str, ...]] = {
    "council": (ContactRole.OUT_OF_HOURS, ContactRole.RETURN_INTERVIEWS),
    "police": (ContactRole.POLICE_SPOC,),
    "provider": (ContactRole.RETURN_INTERVIEWS,),
    "health": (ContactRole.RETURN_INTERVIEWS,),
    "school": (),
}


class Contact(BaseModel):
    """One contact: a named person or team with a phone number and an e-mail address, and
    when and by whom it was last confirmed as right. ``organisation`` is the organisation
    that keeps it (and whose administrators may change it); a home manager also names its
    ``setting``, an allocated worker its ``placement``."""

    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="contacts"
    )
    setting = models.ForeignKey(
        Setting, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    placement = models.ForeignKey(
        Placement, null=True, blank=True, on_delete=models.PROTECT, related_name="contacts"
    )
    role = models.CharField(max_length=20, choices=ContactRole.choices)
    name = models.CharField(max_length=200, help_text="A person or a team.")
    phone = models.CharField(max_length=30)
    email = models.EmailField(blank=True)
    last_confirmed_at = models.DateTimeField()
    confirmed_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["role", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "role"],
                condition=models.Q(setting__isnull=True, placement__isnull=True),
                name="contact_one_per_organisation_role",
            ),
            models.UniqueConstraint(
                fields=["setting", "role"],
                condition=models.Q(setting__isnull=False),
                name="contact_one_per_setting_role",
            ),
            models.UniqueConstraint(
                fields=["placement", "role"],
                condition=models.Q(placement__isnull=False),
                name="contact_one_per_placement_role",
            ),
            models.CheckConstraint(
                name="contact_scope_matches_role",
                condition=(
                    models.Q(
                        role__in=["social_worker", "team_manager"],
                        placement__isnull=False,
                        setting__isnull=True,
                    )
                    | models.Q(role="home_manager", setting__isnull=False, placement__isnull=True)
                    | models.Q(
                        role__in=["out_of_hours", "police_spoc", "return_interviews"],
                        setting__isnull=True,
                        placement__isnull=True,
                    )
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.id} ({self.role})"
