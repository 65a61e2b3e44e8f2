"""The child's words, the plan written with the child, and the child's parents and carers."""

from __future__ import annotations

from django.db import models

from sightline.core.models import BaseModel


class StatementTopic(models.TextChoices):
    LIFE = "life", "About their life"
    WISHES = "wishes", "Wishes"
    WORRIES = "worries", "Worries"
    PRIORITIES = "priorities", "Their priorities and goals"


class StatementOccasion(models.TextChoices):
    VISIT = "visit", "Visit"
    REVIEW = "review", "Review"
    OTHER = "other", "Other conversation"


class ChildStatement(BaseModel):
    """Something the child said, in their own words, with when and to whom.

    ``words`` are the child's and are kept exactly as said: the language checker does not
    touch them (ADR "the child's words are not corrected"). ``context`` is the
    professional's note around them, and is checked.
    """

    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="statements")
    topic = models.CharField(max_length=12, choices=StatementTopic.choices)
    occasion = models.CharField(max_length=10, choices=StatementOccasion.choices)
    words = models.TextField(help_text="The child's own words.")
    said_at = models.DateTimeField()
    said_to = models.CharField(max_length=200, help_text="Who the child said it to (a role).")
    context = models.TextField(blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-said_at", "-created_at"]
        indexes = [models.Index(fields=["child", "-said_at"])]

    def __str__(self) -> str:
        return f"Statement {self.id}"


class PlanVersion(BaseModel):
    """One version of the child's plan. A change is a new version; none is overwritten.
    Who took part in writing it is recorded with it."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="plan_versions"
    )
    version = models.PositiveIntegerField()
    summary = models.TextField(help_text="The plan, as agreed.")
    child_took_part = models.BooleanField()
    child_views = models.TextField(blank=True, help_text="What the child said about the plan.")
    carers_took_part = models.TextField(
        blank=True, help_text="The carers who took part, by role (not by name)."
    )
    agencies = models.ManyToManyField("organisations.Organisation", related_name="+", blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    written_by = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["child", "version"], name="plan_one_per_version")
        ]

    def __str__(self) -> str:
        return f"Plan version {self.version}"


class Relationship(models.TextChoices):
    MOTHER = "mother", "Mother"
    FATHER = "father", "Father"
    STEP_PARENT = "step_parent", "Step-parent"
    GRANDPARENT = "grandparent", "Grandparent"
    FOSTER_CARER = "foster_carer", "Foster carer"
    KINSHIP_CARER = "kinship_carer", "Kinship carer"
    OTHER = "other", "Other relative or carer"


class ContactPreference(models.TextChoices):
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    POST = "post", "Post"


class Parent(BaseModel):
    """A parent or carer of the child. ``restricted``: a risk to the child; never contacted
    automatically by any channel and never shown anything (``family.services``)."""

    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="parents")
    name = models.CharField(max_length=200)
    relationship = models.CharField(max_length=16, choices=Relationship.choices)
    parental_responsibility = models.BooleanField(default=False)
    contact_preference = models.CharField(max_length=8, choices=ContactPreference.choices)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    restricted = models.BooleanField(default=False)
    restriction_reason = models.TextField(blank=True)
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        "organisations.User", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["relationship", "name"]
        constraints = [
            models.CheckConstraint(
                name="parent_restriction_has_reason",
                condition=models.Q(restricted=False) | ~models.Q(restriction_reason=""),
            )
        ]

    def __str__(self) -> str:
        return f"Parent {self.id}"


class SharingChannel(models.TextChoices):
    MEETING = "meeting", "In a meeting"
    PHONE = "phone", "By phone"
    EMAIL = "email", "By e-mail"
    LETTER = "letter", "By letter"
    PARENT_VIEW = "parent_view", "In the parent's view"


class ParentSharing(BaseModel):
    """What was shared with a parent, when and by whom: the log the issue asks for."""

    parent = models.ForeignKey(Parent, on_delete=models.PROTECT, related_name="sharings")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")
    what = models.TextField()
    channel = models.CharField(max_length=12, choices=SharingChannel.choices)
    shared_at = models.DateTimeField()
    shared_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-shared_at", "-created_at"]

    def __str__(self) -> str:
        return f"Sharing {self.id}"


class ParentInvitation(BaseModel):
    """A social worker's invitation of a parent to the narrow view of the plan and contacts.
    Open until ``ends_at`` or until ended (``ended_at``); the e-mail it was sent to is the
    one codes go to."""

    parent = models.ForeignKey(Parent, on_delete=models.PROTECT, related_name="invitations")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")
    email = models.EmailField()
    invited_by = models.ForeignKey("organisations.User", on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="+"
    )
    ends_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        "organisations.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation {self.id}"


class ParentCode(BaseModel):
    """A one-time code sent to the invited e-mail, kept only as a keyed hash
    (``notifications.secure_view.code_hash``)."""

    invitation = models.ForeignKey(ParentInvitation, on_delete=models.PROTECT, related_name="codes")
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Parent code {self.id}"
