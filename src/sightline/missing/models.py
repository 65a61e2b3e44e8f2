"""Missing and away episodes, the safety profile police receive, return home interviews, and
the tasks that repeated or risky episodes create.

Facts are appended, never overwritten: each edit of the safety profile is a new version, each
update of an episode a new row, each change of an interview's status an event. The one write
to an existing row is the return, set once on an open episode (``episode_close``).
"""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel
from sightline.missing.storage import private_storage

# --- Reference values ----------------------------------------------------------------------


class RiskGradeList(BaseModel):
    """One version of the police risk grades (College of Policing APP, missing persons).

    The list has changed over time ("no apparent risk" became "very low"), so each grade
    recorded keeps its list's version. The list in force on a day is the one with the latest
    ``effective_from`` on or before it.
    """

    version = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    effective_from = models.DateField(unique=True)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"Risk grades {self.version}"


class RiskGrade(BaseModel):
    list = models.ForeignKey(RiskGradeList, on_delete=models.PROTECT, related_name="grades")
    code = models.CharField(max_length=20)
    label = models.CharField(max_length=100)
    order = models.PositiveSmallIntegerField(help_text="Lowest risk first.")
    is_high = models.BooleanField(
        default=False, help_text="Recording this grade creates a high-risk task."
    )

    class Meta:
        ordering = ["list", "order"]
        constraints = [
            models.UniqueConstraint(fields=["list", "code"], name="risk_grade_code_unique"),
            models.UniqueConstraint(fields=["list", "order"], name="risk_grade_order_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.list.version})"


# --- Safety profile (Philomena Protocol) ---------------------------------------------------


def _photo_path(instance: SafetyProfileVersion, filename: str) -> str:
    # The caller has already chosen a random file name; keep it under the child's folder.
    return f"safety-profiles/{instance.child_id}/{filename}"


class SafetyProfileVersion(BaseModel):
    """One version of a child's safety profile: the whole profile as it stood after an edit.

    The profile belongs to the child, not to the home, so it moves with the child to the next
    placement; the new home keeps it from then on. The current profile is the highest
    version. Previous episodes are not typed in: the selectors add them from the episodes.
    """

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="safety_profile_versions"
    )
    version = models.PositiveIntegerField()
    description = models.TextField(blank=True, help_text="Height, build, hair, marks.")
    photo = models.FileField(
        storage=private_storage, upload_to=_photo_path, max_length=200, blank=True
    )
    photo_taken_on = models.DateField(null=True, blank=True)
    associates = models.TextField(blank=True)
    places_frequented = models.TextField(blank=True)
    phones_and_social_media = models.TextField(blank=True)
    medical_needs = models.TextField(blank=True)
    known_risks = models.TextField(blank=True)
    changed_fields = models.CharField(
        max_length=300, blank=True, help_text="The fields this version changed."
    )
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["child", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "version"], name="safety_profile_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Safety profile {self.child_id} v{self.version}"


# --- Episodes ------------------------------------------------------------------------------


class EpisodeKind(models.TextChoices):
    """Statutory guidance (2014): missing = whereabouts not known; away = whereabouts known,
    but not where the child should be."""

    MISSING = "missing", "Missing"
    AWAY = "away", "Away from placement without authorisation"


# SSDA903 Missing table, column MISSING.
SSDA903_MISSING_CODE: dict[str, str] = {EpisodeKind.MISSING: "M", EpisodeKind.AWAY: "A"}


class FoundBy(models.TextChoices):
    SELF = "self", "Returned of their own accord"
    CARERS = "carers", "Found or collected by carers or staff"
    POLICE = "police", "Found by the police"
    FAMILY = "family", "Found by family or friends"
    OTHER = "other", "Someone else"


class Episode(BaseModel):
    """A period a child was missing or away from their placement.

    Where the child lived (placement, setting, host council and force) and the placing
    council are stored as they were when the episode was reported, so an episode keeps its
    areas after the child moves. ``missing_code``, ``mis_start`` and ``mis_end`` are the
    SSDA903 Missing table's MISSING, MIS_START and MIS_END, in London dates.
    """

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="missing_episodes", db_index=False
    )
    kind = models.CharField(max_length=10, choices=EpisodeKind.choices)
    missing_code = models.CharField("903 MISSING", max_length=1)
    placement = models.ForeignKey(
        "placements.Placement", on_delete=models.PROTECT, related_name="missing_episodes"
    )
    setting = models.ForeignKey(
        "placements.Setting", on_delete=models.PROTECT, related_name="missing_episodes"
    )
    placing_council = models.ForeignKey(
        "geography.Council", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    host_council = models.ForeignKey(
        "geography.Council",
        on_delete=models.PROTECT,
        related_name="missing_episodes_hosted",
        db_index=False,
    )
    host_police_force = models.ForeignKey(
        "geography.PoliceForce",
        on_delete=models.PROTECT,
        related_name="missing_episodes_hosted",
        db_index=False,
    )

    # The report (Philomena Protocol part 2).
    last_seen_at = models.DateTimeField()
    last_seen_place = models.TextField()
    clothing = models.TextField(blank=True)
    circumstances = models.TextField(blank=True)
    reported_to_police = models.BooleanField()
    police_reference = models.CharField(max_length=50, blank=True)
    risk_grade = models.ForeignKey(
        RiskGrade, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    risk_grade_list_version = models.CharField(max_length=20, blank=True)
    risk_grade_supplied_by = models.CharField(max_length=200, blank=True)
    police_alerted = models.BooleanField(
        help_text="Whether the police force of the area received the alert (and a grant)."
    )
    reported_at = models.DateTimeField()
    # Who reported and who closed the episode, and the police force it was found in, are
    # shown but never looked up by: no index of their own (issue 13: a write less per
    # report each; the council it was found in keeps its index, the matching check reads it).
    reported_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    reported_by_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    mis_start = models.DateField("903 MIS_START")

    # The return, set once.
    returned_at = models.DateTimeField(null=True, blank=True)
    mis_end = models.DateField("903 MIS_END", null=True, blank=True)
    found_postcode = models.CharField(max_length=8, blank=True)
    found_place = models.TextField(blank=True)
    found_council = models.ForeignKey(
        "geography.Council", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    found_police_force = models.ForeignKey(
        "geography.PoliceForce",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    found_outside_host_area = models.BooleanField(
        null=True, blank=True, help_text="Empty when the place was not known well enough."
    )
    found_in_other_force_area = models.BooleanField(null=True, blank=True)
    found_by = models.CharField(max_length=10, choices=FoundBy.choices, blank=True)
    found_by_detail = models.CharField(max_length=200, blank=True)
    condition = models.TextField(blank=True, help_text="The child's condition on return.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        "organisations.User",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-last_seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=models.Q(returned_at__isnull=True),
                name="episode_one_open_per_child",
            ),
            models.CheckConstraint(
                name="episode_903_code_matches_kind",
                condition=models.Q(kind="missing", missing_code="M")
                | models.Q(kind="away", missing_code="A"),
            ),
            models.CheckConstraint(
                name="episode_return_all_or_nothing",
                condition=models.Q(
                    returned_at__isnull=True,
                    mis_end__isnull=True,
                    closed_at__isnull=True,
                    closed_by__isnull=True,
                )
                | models.Q(
                    returned_at__isnull=False,
                    mis_end__isnull=False,
                    closed_at__isnull=False,
                    closed_by__isnull=False,
                ),
            ),
            models.CheckConstraint(
                name="episode_returns_after_last_seen",
                condition=models.Q(returned_at__isnull=True)
                | models.Q(returned_at__gte=models.F("last_seen_at")),
            ),
            models.CheckConstraint(
                name="episode_903_end_after_start",
                condition=models.Q(mis_end__isnull=True)
                | models.Q(mis_end__gte=models.F("mis_start")),
            ),
        ]
        indexes = [
            models.Index(fields=["child", "last_seen_at"]),
            models.Index(fields=["host_council", "returned_at"]),
            models.Index(fields=["host_police_force", "returned_at"]),
            models.Index(fields=["placing_council", "returned_at"]),
        ]

    def __str__(self) -> str:
        return f"Episode {self.id} ({self.kind})"

    @property
    def is_open(self) -> bool:
        return self.returned_at is None


class UpdateKind(models.TextChoices):
    SIGHTING = "sighting", "Sighting"
    RISK_CHANGE = "risk_change", "Risk grade changed"
    INFORMATION = "information", "Information received"


class EpisodeUpdate(BaseModel):
    """A fact learned during an episode: appended, never changed. Who supplied it and when
    are kept with it (APP: record the source and time of every risk fact)."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="updates")
    kind = models.CharField(max_length=20, choices=UpdateKind.choices)
    text = models.TextField(blank=True)
    risk_grade = models.ForeignKey(
        RiskGrade, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    risk_grade_list_version = models.CharField(max_length=20, blank=True)
    supplied_by = models.CharField(
        max_length=200, help_text="Who supplied the fact, e.g. a police officer or a carer."
    )
    supplied_at = models.DateTimeField(help_text="When the fact was supplied.")
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["episode", "recorded_at", "created_at"]
        constraints = [
            models.CheckConstraint(
                name="episode_update_risk_grade_iff_risk_change",
                condition=models.Q(kind="risk_change", risk_grade__isnull=False)
                | (~models.Q(kind="risk_change") & models.Q(risk_grade__isnull=True)),
            )
        ]

    def __str__(self) -> str:
        return f"Episode update {self.id} ({self.kind})"


class AlertEvent(models.TextChoices):
    REPORTED = "reported", "Missing or away alert"
    CLOSED = "closed", "Child safe"


class EpisodeNotice(BaseModel):
    """Which notices an episode sent to whom: one per episode, event and recipient."""

    episode = models.ForeignKey(
        Episode, on_delete=models.PROTECT, related_name="notice_links", db_index=False
    )
    event = models.CharField(max_length=10, choices=AlertEvent.choices)
    recipient = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    notice = models.OneToOneField(
        "notifications.Notice", on_delete=models.PROTECT, related_name="missing_episode_link"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "event", "recipient"], name="episode_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"Episode notice {self.id} ({self.event})"


# --- Configuration per organisation or council ---------------------------------------------


class AlertPolicy(BaseModel):
    """A police force's choice about alerts for children *away* from placement (whereabouts
    known). Missing alerts always go to the force; away alerts only when it asks for them, or
    when the home reported the episode to the police."""

    organisation = models.OneToOneField(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="missing_alert_policy"
    )
    receives_away_alerts = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "alert policies"

    def __str__(self) -> str:
        return f"Alert policy {self.organisation_id}"


class TriggerConfig(BaseModel):
    """A placing council's triggers. Without a row the defaults apply (3 episodes in 30 days)."""

    council = models.OneToOneField(
        "geography.Council", on_delete=models.PROTECT, related_name="missing_trigger_config"
    )
    episodes = models.PositiveSmallIntegerField(default=3)
    days = models.PositiveSmallIntegerField(default=30)
    include_away = models.BooleanField(
        default=False, help_text="Count away episodes as well as missing ones."
    )
    high_risk_task = models.BooleanField(default=True)
    exploitation_prompt = models.BooleanField(default=True)
    task_due_working_days = models.PositiveSmallIntegerField(default=2)
    updated_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="trigger_config_positive",
                condition=models.Q(episodes__gte=1, days__gte=1),
            )
        ]

    def __str__(self) -> str:
        return f"Trigger config {self.council_id}"


class InterviewServiceConfig(BaseModel):
    """Who holds a council's return home interviews.

    For the placing council's children: ``service`` (empty: the council itself). When
    ``use_host_service_out_of_area`` is set, a child placed in another council's area is
    interviewed by that host council's service instead (its own config, or the host council).
    """

    council = models.OneToOneField(
        "geography.Council", on_delete=models.PROTECT, related_name="interview_service_config"
    )
    service = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    use_host_service_out_of_area = models.BooleanField(default=False)
    updated_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"Interview service config {self.council_id}"


# --- Return home interviews ----------------------------------------------------------------


class InterviewStatus(models.TextChoices):
    TO_OFFER = "to_offer", "To be offered"
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    COMPLETED = "completed", "Completed"


# Interviews still to be held: overdue once past their due time.
OUTSTANDING_INTERVIEW = (
    InterviewStatus.TO_OFFER,
    InterviewStatus.OFFERED,
    InterviewStatus.ACCEPTED,
)


class ReturnInterview(BaseModel):
    """A return home interview, offered after a return and due 72 hours after it.

    One interview may cover several episodes: a return while an interview is still to be held
    joins it. A refusal is recorded (``declined``); carers and agencies can still add what
    they know (``InterviewInformation``). Findings are written once, on completion.
    """

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="return_interviews"
    )
    episodes = models.ManyToManyField(Episode, related_name="interviews")
    service = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="return_interviews"
    )
    assigned_by_rule = models.CharField(
        max_length=100, help_text="Which configuration chose the service."
    )
    due_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=InterviewStatus.choices, default=InterviewStatus.TO_OFFER
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    declined_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    interviewer = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    interviewer_name = models.CharField(max_length=200, blank=True)
    interviewer_organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    independent = models.BooleanField(
        null=True,
        blank=True,
        help_text="Independent of the placement and the placing council.",
    )
    not_independent_reason = models.TextField(
        blank=True, help_text="e.g. the child asked for a trusted adult."
    )
    push_factors = models.TextField(blank=True)
    pull_factors = models.TextField(blank=True)
    harm = models.TextField(blank=True)
    where_and_with_whom = models.TextField(blank=True)
    disclosures = models.TextField(blank=True)
    child_words = models.TextField(blank=True, help_text="The child's own words.")
    follow_up_actions = models.TextField(blank=True)
    created_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"Return interview {self.id} ({self.status})"

    @property
    def is_outstanding(self) -> bool:
        return self.status in OUTSTANDING_INTERVIEW


class InterviewEvent(BaseModel):
    """Each change of an interview's status, with who and when: the interview's history."""

    interview = models.ForeignKey(ReturnInterview, on_delete=models.PROTECT, related_name="events")
    status = models.CharField(max_length=10, choices=InterviewStatus.choices)
    at = models.DateTimeField()
    actor = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True, help_text="Never personal data.")

    class Meta:
        ordering = ["at", "created_at"]

    def __str__(self) -> str:
        return f"Interview event {self.id} ({self.status})"


class InterviewPerson(BaseModel):
    """Someone the child was with, or who is linked to the episode (from the interview)."""

    interview = models.ForeignKey(ReturnInterview, on_delete=models.PROTECT, related_name="people")
    description = models.CharField(max_length=200, help_text="A name or a description.")
    relationship = models.CharField(max_length=100, blank=True)
    approximate_age = models.CharField(max_length=30, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["interview", "created_at"]

    def __str__(self) -> str:
        return f"Interview person {self.id}"


class InterviewPlace(BaseModel):
    """A place the child went or was taken to. A postcode gives its council and force."""

    interview = models.ForeignKey(ReturnInterview, on_delete=models.PROTECT, related_name="places")
    description = models.CharField(max_length=200)
    postcode = models.CharField(max_length=8, blank=True)
    council = models.ForeignKey(
        "geography.Council", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    police_force = models.ForeignKey(
        "geography.PoliceForce",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["interview", "created_at"]

    def __str__(self) -> str:
        return f"Interview place {self.id}"


class InterviewInformation(BaseModel):
    """What a carer or an agency adds, whether or not the child took up the interview."""

    interview = models.ForeignKey(
        ReturnInterview, on_delete=models.PROTECT, related_name="information"
    )
    text = models.TextField()
    supplied_by = models.CharField(max_length=200)
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by_organisation = models.ForeignKey(
        "organisations.Organisation", null=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["interview", "recorded_at", "created_at"]

    def __str__(self) -> str:
        return f"Interview information {self.id}"


# --- Tasks ---------------------------------------------------------------------------------


class TaskKind(models.TextChoices):
    STRATEGY_DISCUSSION = "strategy_discussion", "Strategy discussion: repeated episodes"
    HIGH_RISK_REVIEW = "high_risk_review", "Review: graded high risk while missing"
    EXPLOITATION_SCREENING = "exploitation_screening", "Complete an exploitation screening"
    INTERVIEW_OVERDUE = "interview_overdue", "Return home interview overdue"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Task(BaseModel):
    """Something an organisation must do about a child, created by a rule.

    Each rule creates its task once per triggering episode (or overdue interview): database
    constraints make a second run a no-op.
    """

    kind = models.CharField(max_length=30, choices=TaskKind.choices)
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="tasks")
    assignee = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="tasks"
    )
    assignee_role = models.CharField(
        max_length=30, blank=True, help_text="The role in the organisation that should act."
    )
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_from = models.ForeignKey(
        Episode, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    interview = models.ForeignKey(
        ReturnInterview, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks"
    )
    detail = models.CharField(max_length=300, blank=True, help_text="Never personal data.")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "created_from"],
                condition=models.Q(created_from__isnull=False),
                name="task_once_per_kind_and_episode",
            ),
            models.UniqueConstraint(
                fields=["kind", "interview"],
                condition=models.Q(interview__isnull=False),
                name="task_once_per_kind_and_interview",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "due_at"]),
            models.Index(fields=["child", "kind", "status"]),
        ]

    def __str__(self) -> str:
        return f"Task {self.id} ({self.kind})"
